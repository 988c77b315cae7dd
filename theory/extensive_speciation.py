"""Speciation times from the outliers (THEORY.md §7): ``t_s`` solves ``μ_k(𝓜(λ_+(t); t)) = 0``,
the time at which class ``k``'s outlier leaves the upper bulk edge (:func:`speciation_time`,
:func:`outlier_speciation_times`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classdyn.theory.params import Mixture, RandomFeatures, check_time
from classdyn.theory.extensive_nodes import (_check_features, _check_mixture, _check_pos_float,
                                             _check_positive_int, gaussian_nodes)
from classdyn.theory.extensive_edges import upper_edge
from classdyn.theory.extensive_outliers import _check_d, _class_weights, outlier_matrix


# --------------------------------------------------------------------------- speciation
@dataclass
class SpeciationTimes:
    """Speciation times from the outlier equation (THEORY.md §7, order-one threshold).

    ``times`` (k,): diffusion time (OU time ``t``) at which the ``k``-th eigenvalue of
    ``𝓜(λ_+)`` (``λ_+`` the upper bulk edge) crosses zero, i.e. an outlier of ``U`` merges into
    the bulk; ``classes`` (k,) the class each belongs to (assignment maximising the total
    null-vector weight, one outlier per class); ``class_times`` (C,) the time for each class
    (``inf`` if no outlier was assigned to it, i.e. it never separates in ``[t_min, t_max]``);
    ``leading_order`` (C,) ``½ log(ρ_c ‖μ_c‖²)``; ``d`` the dimension.
    """

    times: np.ndarray
    classes: np.ndarray
    class_weights: np.ndarray
    class_times: np.ndarray
    leading_order: np.ndarray
    d: int
    t_range: tuple

    def to_dict(self) -> dict:
        return {"times": self.times, "classes": self.classes,
                "class_weights": self.class_weights, "class_times": self.class_times,
                "leading_order": self.leading_order, "d": self.d, "t_range": self.t_range}


def _edge_matrix(mixture, features, t, d, order, rule, tol):
    nodes = gaussian_nodes(mixture, features, t, order=order, rule=rule)
    e = upper_edge(nodes, tol=tol)
    return outlier_matrix(e.lam_solved, nodes, d, e.x), nodes


def speciation_time(mixture: Mixture, features: RandomFeatures, d: int, *,
                    t_min: float | None = None, t_max: float | None = None, order: int = 20,
                    rule: str = "hermite", tol: float = 1e-6) -> SpeciationTimes:
    """Speciation time of each class: when its outlier leaves the upper bulk edge (THEORY.md §7).

    ``t_s`` solves ``μ_k(𝓜(λ_+(t); t)) = 0`` (``μ_k`` the ``k``-th eigenvalue, ``λ_+`` the upper
    edge of the bulk, both from THEORY.md §6 with ``E_m`` by ``order``-point quadrature per axis
    of the Gaussian law of ``m``): for ``t < t_s`` the outlier is above the edge. Brent's method
    in ``t`` to ``tol``, bracketed by ``[t_min, t_max]`` (default: the leading-order
    ``½ log(ρ_c ‖μ_c‖²)`` range widened by 2.5 on each side, ``t_min ≥ 0.02``). Classes with
    ``norms2 = 0`` have no outlier. Cost: ~2 × 15 bulk-edge solves per class.
    """
    from scipy.optimize import brentq

    _check_mixture(mixture)
    _check_features(features)
    d = _check_d(d)
    order = _check_positive_int("order", order, 2, 400)
    tol = _check_pos_float("tol", tol)
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
        import itertools

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
    return SpeciationTimes(times=times[order_idx], classes=classes[order_idx],
                           class_weights=W[order_idx], class_times=class_times,
                           leading_order=lead, d=d, t_range=(lo, hi))



def outlier_speciation_times(mixture: Mixture, d: int, features: RandomFeatures,
                             **kw) -> np.ndarray:
    """Per-class speciation times (C,) from the outlier equation; what
    ``classdyn.theory.speciation.speciation_times(..., method="outlier")`` returns.

    Diffusion-time units (OU forward process). Classes with ``norms2 = 0`` never speciate and
    classes whose outlier is not above the edge even at ``t_min`` get ``−inf`` (the convention of
    the leading-order formula ``½ log(ρ_c ‖μ_c‖²)`` for centred classes). ``kw`` goes to
    :func:`speciation_time` (``order``, ``rule``, ``tol``, ``t_min``, ``t_max``).
    """
    sp = speciation_time(mixture, features, d, **kw)
    out = np.where(np.isfinite(sp.class_times), sp.class_times, -np.inf)
    return out
