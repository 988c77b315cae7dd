"""Speciation times of the classes in backward diffusion (docs/theory/speciation.md; paper's Sec. 3.1, Result 1).

At large diffusion time ``t`` the class means of the features put a rank-``C`` perturbation
``Σ_c ρ_c f̄_c f̄_cᵀ`` on the feature covariance ``U``, with ``f̄_c ≈ a e^{−t} W μ_c/√d`` of squared
norm ``≈ a² e^{−2t} ψ_p ‖μ_c‖²``. An outlier eigenvalue carrying class ``c`` leaves the bulk
(a BBP-type transition) when ``ρ_c a² e^{−2t} ψ_p ‖μ_c‖²`` reaches order one, so to leading
order in ``d``

    ``t_s^c = ½ log(ρ_c ‖μ_c‖²) + O(1)``                                   (docs/theory/speciation.md)

and, for ``‖μ_c‖² = n2_c d`` and ``ρ_c ∝ d^{−γ_c}``, ``t_s^c = ½ (1 − γ_c) log d + O(1)``: the
slope of ``t_s^c`` against ``log d`` is ``½ (1 − γ_c)``.

Methods (``method=``):
- ``"leading"``: the formula above, without the order-one constant;
- ``"outlier"``: the order-one threshold from the outlier equation of docs/theory/extensive.md (the diffusion
  time at which the class's outlier of ``𝓜(λ)`` leaves the upper bulk edge): ``t_s`` solves
  ``μ_k(𝓜(λ_+(t); t)) = 0`` (:func:`speciation_time`, on the extensive-centroid modules
  ``extensive_nodes``, ``extensive_edges``, ``extensive_outliers``, imported when needed).

One result type for both methods, :class:`SpeciationTimes`; this module is the one home of the
speciation times (``classdyn.theory.extensive`` re-exports :func:`speciation_time`).

Times ``t`` are diffusion times of the forward OU process (dimensionless); speciation happens in
the backward process as ``t`` decreases through ``t_s^c``.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from classdyn.theory.params import (Mixture, RandomFeatures, check_choice, check_instance,
                                    check_int, check_positive, check_time)

METHODS = ("leading", "outlier")


@dataclass
class SpeciationTimes:
    """Speciation times of the classes (docs/theory/speciation.md), either method.

    Parameters
    ----------
    t_s : ndarray, shape (C,)
        Diffusion time (OU forward process, dimensionless) at which class ``c`` speciates in
        backward diffusion; ``−inf`` for a class that never does (``norms2 = 0``, or no outlier
        above the edge in the searched range).
    method : {"leading", "outlier"}
        How they were computed.
    d : int
        Input dimension.
    slopes : ndarray, shape (C,), optional
        Slopes of ``t_s^c`` against ``log d`` where the weights follow a power law.
    times : ndarray, shape (k,), optional
        ``"outlier"``: crossing time of each outlier (latest first).
    classes : ndarray, shape (k,), optional
        ``"outlier"``: the class each outlier is assigned to (the assignment maximising the
        total null-vector weight, one outlier per class; −1 unassigned).
    class_weights : ndarray, shape (k, C), optional
        ``"outlier"``: weight of each class in each outlier's null vector.
    leading_order : ndarray, shape (C,), optional
        ``"outlier"``: ``½ log(ρ_c ‖μ_c‖²)``.
    t_range : tuple, optional
        ``"outlier"``: the bracket of ``t`` searched.

    Examples
    --------
    >>> from classdyn.theory import Mixture, speciation_times
    >>> sp = speciation_times(Mixture((1.0, 1.0), weights=(0.9, 0.1), norms2=(1.0, 1.0)), 1000)
    >>> sp.method, sp.t_s.round(4).tolist()
    ('leading', [3.4012, 2.3026])
    """

    t_s: np.ndarray
    method: str
    d: int
    slopes: np.ndarray | None = None
    times: np.ndarray | None = None
    classes: np.ndarray | None = None
    class_weights: np.ndarray | None = None
    leading_order: np.ndarray | None = None
    t_range: tuple | None = None

    def to_dict(self) -> dict:
        out = {"t_s": self.t_s, "method": self.method, "d": self.d,
               "t_unit": "diffusion time t of the OU forward process (dimensionless)"}
        for k in ("slopes", "times", "classes", "class_weights", "leading_order", "t_range"):
            if getattr(self, k) is not None:
                out[k] = getattr(self, k)
        return out


def _check_d(d) -> int:
    return check_int(d, "d", 2)


def power_law_weights(gammas, d: int, prefactors=None) -> np.ndarray:
    """Weights ``ρ_c = κ_c d^{−γ_c}`` for classes with ``γ_c > 0``; the remaining mass is split
    equally among the classes with ``γ_c = 0`` (docs/theory/speciation.md, strong imbalance).

    ``gammas`` in ``[0, 1)``, at least one zero; ``prefactors`` ``κ_c > 0`` (default 1).
    Raises ``ValueError`` when the minority weights leave no mass for the majority classes.
    """
    g = np.asarray(gammas, float)
    d = _check_d(d)
    if g.ndim != 1 or g.size == 0 or np.any(~np.isfinite(g)) or np.any(g < 0) or np.any(g >= 1):
        raise ValueError(f"gammas must be numbers in [0, 1), got {np.asarray(gammas).tolist()}")
    if not np.any(g == 0):
        raise ValueError(f"gammas must contain at least one 0 (a majority class), got "
                         f"{g.tolist()}")
    k = np.ones_like(g) if prefactors is None else np.asarray(prefactors, float)
    if k.shape != g.shape or np.any(~(k > 0)):
        raise ValueError(f"prefactors must be {g.size} numbers > 0, got {prefactors!r}")
    rho = np.where(g > 0, k * float(d) ** (-g), 0.0)
    rest = 1.0 - rho.sum()
    if rest <= 0:
        raise ValueError(f"minority weights {rho[g > 0].tolist()} sum to >= 1 at d = {d}; use "
                         "larger d or smaller prefactors")
    rho[g == 0] = rest / np.count_nonzero(g == 0)
    return rho


def speciation_times(mixture: Mixture, d: int, features: RandomFeatures | None = None,
                     method: str = "leading", **kw) -> SpeciationTimes:
    r"""Speciation time of each class in backward diffusion (docs/theory/speciation.md).

    ``"leading"`` (paper's Result 1, leading order in ``d``):

    .. math:: t_s^c = \tfrac12 \log(\rho_c \lVert\mu_c\rVert^2) = \tfrac12 \log(\rho_c\, n2_c\, d)

    classes with ``norms2 = 0`` (centred) never speciate (``t_s = −inf``). ``"outlier"``: the
    order-one threshold, the ``t`` at which the class's outlier of the outlier equation
    (docs/theory/extensive.md) leaves the upper bulk edge (:func:`speciation_time`).

    Parameters
    ----------
    mixture : Mixture
        The data model (``norms2`` are the ``‖μ_c‖²/d``).
    d : int
        Input dimension (≥ 2).
    features : RandomFeatures, optional
        Needed by ``method="outlier"``.
    method : {"leading", "outlier"}, optional
        Default ``"leading"``.
    **kw
        For ``"outlier"``: ``order``, ``rule``, ``tol``, ``t_min``, ``t_max`` of
        :func:`speciation_time`.

    Returns
    -------
    SpeciationTimes
        ``t_s`` in diffusion-time units of the OU forward process (dimensionless).

    Raises
    ------
    ValueError
        Bad ``d``, unknown ``method``, or ``"outlier"`` without ``features``.

    Examples
    --------
    >>> from classdyn.theory import Mixture, speciation_times
    >>> mix = Mixture((1.0, 1.0), weights=(0.5, 0.5), norms2=(1.0, 0.0))
    >>> speciation_times(mix, 400).t_s.round(4).tolist()  # 1/2 log(0.5 * 400)
    [2.6492, -inf]
    """
    check_instance(mixture, Mixture, "mixture")
    d = _check_d(d)
    check_choice(method, "method", METHODS)
    if method == "leading":
        rho = np.asarray(mixture.weights)
        n2 = np.asarray(mixture.norms2)
        with np.errstate(divide="ignore"):
            ts = 0.5 * np.log(rho * n2 * d)
        return SpeciationTimes(t_s=ts, method=method, d=d)
    if features is None:
        raise ValueError("method='outlier' needs features (a RandomFeatures: psi_p, psi_n, "
                         "activation)")
    return speciation_time(mixture, features, d, **kw)


def speciation_slopes(gammas) -> np.ndarray:
    """Slope of ``t_s^c`` against ``log d`` for ``ρ_c ∝ d^{−γ_c}``: ``½ (1 − γ_c)``
    (docs/theory/speciation.md; for the majority classes, whose weight tends to a constant, ``γ_c = 0``)."""
    g = np.asarray(gammas, float)
    if g.ndim != 1 or np.any(~np.isfinite(g)) or np.any(g < 0) or np.any(g >= 1):
        raise ValueError(f"gammas must be numbers in [0, 1), got {np.asarray(gammas).tolist()}")
    return 0.5 * (1.0 - g)


def leading_times_power_law(gammas, d: int, norms2=None, prefactors=None) -> np.ndarray:
    """``t_s^c = ½ log(ρ_c(d) n2_c d)`` with ``ρ(d)`` from :func:`power_law_weights`."""
    rho = power_law_weights(gammas, d, prefactors)
    n2 = np.ones_like(rho) if norms2 is None else np.asarray(norms2, float)
    if n2.shape != rho.shape or np.any(~(n2 > 0)):
        raise ValueError(f"norms2 must be {rho.size} numbers > 0, got {norms2!r}")
    return 0.5 * np.log(rho * n2 * d)


# --------------------------------------------------------------------------- outlier threshold
def _edge_matrix(mixture, features, t, d, order, rule, tol):
    from classdyn.theory.extensive_edges import upper_edge
    from classdyn.theory.extensive_nodes import gaussian_nodes
    from classdyn.theory.extensive_outliers import outlier_matrix

    nodes = gaussian_nodes(mixture, features, t, order=order, rule=rule)
    e = upper_edge(nodes, tol=tol)
    return outlier_matrix(e.lam_solved, nodes, d, e.x), nodes


def speciation_time(mixture: Mixture, features: RandomFeatures, d: int, *,
                    t_min: float | None = None, t_max: float | None = None, order: int = 20,
                    rule: str = "hermite", tol: float = 1e-6) -> SpeciationTimes:
    """Speciation time of each class: when its outlier leaves the upper bulk edge (docs/theory/speciation.md),
    the ``"outlier"`` method of :func:`speciation_times`.

    ``t_s`` solves ``μ_k(𝓜(λ_+(t); t)) = 0`` (``μ_k`` the ``k``-th eigenvalue, ``λ_+`` the upper
    edge of the bulk, both from docs/theory/extensive.md with ``E_m`` by ``order``-point quadrature per axis
    of the Gaussian law of ``m``): for ``t < t_s`` the outlier is above the edge. Brent's method
    in ``t`` to ``tol``, bracketed by ``[t_min, t_max]`` (default: the leading-order
    ``½ log(ρ_c ‖μ_c‖²)`` range widened by 2.5 on each side, ``t_min ≥ 0.02``). Classes with
    ``norms2 = 0`` have no outlier. Cost: ~2 × 15 bulk-edge solves per class.
    """
    import itertools

    from scipy.optimize import brentq

    from classdyn.theory.extensive_nodes import gaussian_nodes
    from classdyn.theory.extensive_outliers import _class_weights

    check_instance(mixture, Mixture, "mixture")
    check_instance(features, RandomFeatures, "features")
    d = _check_d(d)
    order = check_int(order, "order", 2, 400)
    tol = check_positive(tol, "tol")
    rho = np.asarray(mixture.weights)
    n2 = np.asarray(mixture.norms2)
    with np.errstate(divide="ignore"):
        lead = np.where(n2 > 0, 0.5 * np.log(rho * n2 * d), -np.inf)
    if not np.any(n2 > 0):
        raise ValueError("speciation_time needs at least one extensive centroid (norms2 > 0), "
                         f"got norms2 = {list(mixture.norms2)}")
    finite = lead[np.isfinite(lead)]
    lo = max(0.02, float(finite.min()) - 2.5) if t_min is None else check_time(t_min, "t_min")
    hi = float(finite.max()) + 2.5 if t_max is None else check_time(t_max, "t_max")
    if hi <= lo:
        raise ValueError(f"need t_min < t_max, got t_min={lo}, t_max={hi}")
    cache = {}

    def eigs(t):
        if t not in cache:
            Mt, _ = _edge_matrix(mixture, features, t, d, order, rule, 1e-11)
            cache[t] = np.linalg.eigh(Mt)
        return cache[t]

    ev_lo = eigs(lo)[0]
    n_out = int(np.sum(ev_lo < 0))
    for _ in range(6):
        if np.sum(eigs(hi)[0] < 0) == 0:
            break
        hi += 2.0
    times, weights = [], []
    C = mixture.n_classes
    for k in range(n_out):
        if eigs(hi)[0][k] < 0:
            continue
        ts = brentq(lambda t, k=k: eigs(t)[0][k], lo, hi, xtol=tol)
        vec = eigs(ts)[1][:, k]
        nodes = gaussian_nodes(mixture, features, ts, order=2, rule=rule)
        times.append(ts)
        weights.append(_class_weights(vec, C, nodes.rank))
    times = np.array(times)
    W = np.array(weights).reshape(-1, C)
    classes = np.full(times.size, -1, dtype=int)
    class_times = np.full(C, np.inf)
    if times.size:
        best, best_perm = -1.0, None
        k_use = min(times.size, C)
        for outs in itertools.permutations(range(times.size), k_use):
            for cls_perm in itertools.permutations(range(C), k_use):
                score = sum(W[o, c] for o, c in zip(outs, cls_perm))
                if score > best:
                    best, best_perm = score, (outs, cls_perm)
        for o, c in zip(*best_perm):
            classes[o] = c
            class_times[c] = times[o]
    order_idx = np.argsort(-times)
    # a class without an outlier above the edge in [t_min, t_max] never separates: -inf, the
    # convention of the leading-order formula for centred classes
    return SpeciationTimes(t_s=np.where(np.isfinite(class_times), class_times, -np.inf),
                           method="outlier", d=d, times=times[order_idx],
                           classes=classes[order_idx], class_weights=W[order_idx],
                           leading_order=lead, t_range=(lo, hi))
