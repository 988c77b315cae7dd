"""Finite-size speciation: outliers of ``U`` and their class overlaps (docs/theory/speciation.md, paper's Fig. 1).

For extensive centroids (``‖μ_c‖² = n2_c d``) the class means of the features put a rank-``C``
spike ``Σ_c ρ_c f̄_c f̄_cᵀ``, ``f̄_c ∝ e^{−t} W μ_c/√d``, on the feature covariance
``U(t) = (1/n) Σ_ν E_ξ φ(x_t^ν) φ(x_t^ν)ᵀ``. Sweeping the diffusion time ``t`` (dimensionless,
OU forward process) we measure, at each ``t``:

- the **bulk edge** ``λ_edge(t)``: the top eigenvalue of the *null* matrix ``U₀(t)`` built from
  the same ``W`` and the same training noise with every centroid removed
  (``x₀^ν = x^ν − μ_{c(ν)}``), i.e. the same finite-size bulk without the spike — no asymptotic
  edge formula is needed and the edge's own finite-size shift cancels;
- the class directions ``y_c = W μ_c/‖W μ_c‖`` and, for each class, the top eigenvalue
  ``λ_c(t)`` among the leading ``C + extra`` eigenpairs whose eigenvector has the largest overlap
  with ``y_c``; the excess ``e_c(t) = λ_c(t)/λ_edge(t) − 1``;
- the squared overlap ``o_c(t) = ‖P_top y_c‖²`` with the span of the top ``C`` eigenvectors
  (``≈ C/p`` with no outlier, → 1 deep in the speciated phase).

Speciation time of class ``c`` (backward diffusion crosses it as ``t`` decreases):
- from the outlier: the largest ``t`` with ``e_c(t) ≥ margin`` (default 0.05: the top eigenvalue
  of a finite bulk fluctuates by ``O(p^{−2/3})`` relative, ~1 % at p = 500);
- from the overlap: the largest ``t`` with ``o_c(t) ≥ level`` (default ½).
Both are located by linear interpolation between the two sweep points bracketing the crossing.
Fitted against ``log d`` over several ``d`` their slopes tend to ``½(1 − γ_c)`` for
``ρ_c ∝ d^{−γ_c}`` (docs/theory/speciation.md); the order-one offsets do not affect the slopes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from classdyn.simulate.data import as_generator, sample_mixture
from classdyn.theory.params import Mixture, check_instance, check_time

#: up to this many features, linear algebra runs on one BLAS thread (classdyn._threads)
SMALL_P = 1000


@dataclass
class SpeciationSweep:
    """One ``d`` of a speciation sweep (:func:`speciation_sweep`, docs/theory/speciation.md).

    Per diffusion time ``t`` (ascending; dimensionless, OU forward process) the bulk edge,
    per-class outlier eigenvalues, excesses and overlaps; and the extracted speciation times
    (C,).

    Parameters
    ----------
    d : int
        Input dimension.
    t : numpy.ndarray, shape (T,)
        Diffusion times, ascending.
    edge : numpy.ndarray, shape (T,)
        Bulk edge ``λ_edge(t)``: top eigenvalue of the null matrix ``U₀(t)``.
    top : numpy.ndarray, shape (T, k)
        Leading eigenvalues of ``U(t)``, descending (``k = min(C + extra, p)``).
    lam_class : numpy.ndarray, shape (C, T)
        Outlier eigenvalue ``λ_c(t)`` of each class.
    excess : numpy.ndarray, shape (C, T)
        ``e_c(t) = λ_c(t)/λ_edge(t) − 1``.
    overlap : numpy.ndarray, shape (C, T)
        ``o_c(t) = ‖P_top y_c‖²`` with the span of the top C eigenvectors.
    t_s_outlier : numpy.ndarray, shape (C,)
        Speciation time from the outlier: largest ``t`` with ``e_c(t) ≥ margin``.
    t_s_overlap : numpy.ndarray, shape (C,)
        Speciation time from the overlap: largest ``t`` with ``o_c(t) ≥ level``.
    weights : numpy.ndarray, shape (C,)
        Class weights ``ρ_c``.
    found_outlier : numpy.ndarray of bool, shape (C,), optional
        False where ``t_s_outlier`` is only a bound (no crossing inside the sweep).
    found_overlap : numpy.ndarray of bool, shape (C,), optional
        False where ``t_s_overlap`` is only a bound.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import speciation_sweep
    >>> mix = Mixture(variances=(1.0, 1.0), norms2=(4.0, 4.0))
    >>> sw = speciation_sweep(mix, d=20, psi_p=2.0, psi_n=2.0, ts=[0.1, 0.5, 1.0, 2.0, 3.0],
    ...                       activation="linear", seed=0)
    >>> sw.top.shape, sw.excess.shape, sw.d
    ((5, 5), (2, 5), 20)
    >>> len(sw.to_dict()), sw.to_dict()["t_unit"]
    (13, 'diffusion time t of the OU forward process (dimensionless)')
    """

    d: int
    t: np.ndarray
    edge: np.ndarray  # (T,)
    top: np.ndarray  # (T, k) leading eigenvalues of U, descending
    lam_class: np.ndarray  # (C, T)
    excess: np.ndarray  # (C, T)
    overlap: np.ndarray  # (C, T)
    t_s_outlier: np.ndarray  # (C,)
    t_s_overlap: np.ndarray  # (C,)
    weights: np.ndarray
    found_outlier: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    found_overlap: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in
                ("d", "t", "edge", "top", "lam_class", "excess", "overlap", "t_s_outlier",
                 "t_s_overlap", "weights", "found_outlier", "found_overlap")} | {
            "t_unit": "diffusion time t of the OU forward process (dimensionless)"}


def last_crossing(t: np.ndarray, y: np.ndarray, level: float) -> tuple[float, bool]:
    """Largest ``t`` where ``y(t) ≥ level``, linearly interpolated between sweep points.

    Parameters
    ----------
    t : numpy.ndarray, shape (T,)
        Ascending sweep points (diffusion times, dimensionless).
    y : numpy.ndarray, shape (T,)
        Values at the sweep points.
    level : float
        The level.

    Returns
    -------
    t_cross : float
        The crossing, interpolated between the last point at or above ``level`` and the next.
    found : bool
        False when ``y`` is below ``level`` everywhere (``t_cross = t[0]``, a bound) or above
        it at the last point (``t_cross = t[-1]``, a bound).

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import last_crossing
    >>> t = np.array([0.1, 0.2, 0.3, 0.4])
    >>> last_crossing(t, np.array([1.0, 0.8, 0.4, 0.2]), 0.5)  # 0.8 → 0.4: 3/4 of the way
    (0.275, True)
    >>> last_crossing(t, np.zeros(4), 0.5), last_crossing(t, np.ones(4), 0.5)
    ((0.1, False), (0.4, False))
    """
    above = np.flatnonzero(y >= level)
    if above.size == 0:
        return float(t[0]), False
    i = int(above[-1])
    if i == len(t) - 1:
        return float(t[-1]), False
    y0, y1 = y[i], y[i + 1]
    frac = (y0 - level) / (y0 - y1) if y0 != y1 else 0.0
    return float(t[i] + frac * (t[i + 1] - t[i])), True


def _top_eigh(U: np.ndarray, k: int):
    """Leading ``k`` eigenpairs of a symmetric ``U``, descending (Lanczos for large ``p``)."""
    p = U.shape[0]
    k = min(k, p)
    if p > 500 and k < p // 10:
        from scipy.sparse.linalg import eigsh

        w, v = eigsh(U, k=k, which="LA", tol=1e-12, v0=np.ones(p))
        order = np.argsort(w)[::-1]
        return w[order], v[:, order]
    from scipy.linalg import eigh

    w, v = eigh(U, subset_by_index=[p - k, p - 1], check_finite=False, driver="evr")
    return w[::-1], v[:, ::-1]


def _u_builder(W, X, X0, t_list, activation, kind, data, mixture):
    """Yield ``(U(t), U₀(t))``; for the linear activation ``U(t) = e^{−2t} S + Δ_t K`` with
    ``S = (1/n) Σ_ν (W x^ν/√d)(W x^ν/√d)ᵀ`` computed once (docs/theory/gaussian-equivalence.md with ``σ = id``)."""
    from classdyn.simulate.systems import build_U
    from classdyn.theory.params import delta_t

    if activation == "linear":
        d = W.shape[1]
        Wd = W / math.sqrt(d)
        K = Wd @ Wd.T
        F, F0 = X @ Wd.T, X0 @ Wd.T
        S, S0 = F.T @ F / X.shape[0], F0.T @ F0 / X.shape[0]
        for t in t_list:
            e2, D = math.exp(-2 * t), delta_t(t)
            yield e2 * S + D * K, e2 * S0 + D * K
        return
    for t in t_list:
        yield (build_U(W, X, t, activation, kind, data=data, mixture=mixture),
               build_U(W, X0, t, activation, kind, data=data, mixture=mixture, centred=True))


def speciation_sweep(mixture: Mixture, d: int, psi_p: float, psi_n: float, ts,
                     activation: str = "tanh", seed=0, margin: float = 0.05,
                     level: float = 0.5, extra: int = 3, kind: str = "exact",
                     progress=None) -> SpeciationSweep:
    r"""Sweep the diffusion times ``ts`` at size ``d`` (module docstring, docs/theory/speciation.md).

    ``p = round(psi_p d)``, ``n = round(psi_n d)``; one draw of ``W``, data and centroids from
    ``seed``. At each ``t`` the bulk edge is the top eigenvalue of the null matrix ``U₀(t)``
    (same ``W`` and noise, centroids removed), and for each class

    .. math::

        e_c(t) = \frac{\lambda_c(t)}{\lambda_\mathrm{edge}(t)} - 1, \qquad
        o_c(t) = \| P_\mathrm{top}\, y_c \|^2, \quad y_c = \frac{W \mu_c}{\|W \mu_c\|};

    the speciation times are the largest ``t`` with ``e_c ≥ margin`` and with ``o_c ≥ level``
    (:func:`last_crossing`).

    Parameters
    ----------
    mixture : classdyn.theory.params.Mixture
        A mixture with extensive centroids (``norms2 > 0`` for some class).
    d : int
        Input dimension (≥ C).
    psi_p : float
        ``p/d``.
    psi_n : float
        ``n/d``.
    ts : array_like
        At least 2 diffusion times of the OU forward process (dimensionless, > 0; sorted here).
    activation : str, optional
        ``tanh`` (default), ``erf``, ``relu`` or ``linear`` (closed form).
    seed : int or numpy.random.Generator, optional
        Seed of ``W``, the centroids and the data (default 0).
    margin : float, optional
        Excess that marks an outlier (> 0, default 0.05: the top eigenvalue of a finite bulk
        fluctuates by ``O(p^{−2/3})`` relative, ~1 % at p = 500).
    level : float, optional
        Overlap level in (0, 1) (default ½).
    extra : int, optional
        Eigenpairs followed beyond the C leading ones (default 3).
    kind : str, optional
        ``"exact"`` feature matrices (Mehler/Stein, or closed form for the linear activation,
        default) or ``"gep"``.
    progress : callable, optional
        Called with the index of each finished ``t``.

    Returns
    -------
    SpeciationSweep
        Edges, outliers, excesses, overlaps and speciation times.

    Raises
    ------
    ValueError
        For a centred mixture, ``d`` not an integer ≥ C, fewer than 2 times or a time ≤ 0,
        ``level`` outside (0, 1), ``margin ≤ 0``, or ``p < C + 1``.
    TypeError
        If ``mixture`` is not a :class:`~classdyn.theory.params.Mixture`.

    Examples
    --------
    Two classes with ``‖μ_c‖² = 4d``, linear activation: the outliers leave the bulk as ``t``
    grows:

    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import speciation_sweep
    >>> mix = Mixture(variances=(1.0, 1.0), norms2=(4.0, 4.0))
    >>> sw = speciation_sweep(mix, d=20, psi_p=2.0, psi_n=2.0, ts=[0.1, 0.5, 1.0, 2.0, 3.0],
    ...                       activation="linear", seed=0)
    >>> np.round(sw.excess[0], 1)
    array([14. ,  6.9,  2.4,  0.2,  0. ])
    >>> np.round(sw.t_s_outlier, 2), sw.found_outlier
    (array([2.78, 1.91]), array([ True,  True]))
    """
    check_instance(mixture, Mixture, "mixture")
    if mixture.centred:
        raise ValueError("speciation needs extensive centroids: norms2 must be > 0 for some "
                         f"class, got {list(mixture.norms2)}")
    if isinstance(d, bool) or int(d) != d or d < mixture.n_classes:
        raise ValueError(f"d must be an integer >= {mixture.n_classes}, got {d!r}")
    ts = np.sort(np.atleast_1d(np.asarray(ts, float)))
    if ts.size < 2:
        raise ValueError(f"ts must hold at least 2 diffusion times, got {ts.tolist()}")
    for t in ts:
        check_time(t, "ts")
    if not 0 < level < 1:
        raise ValueError(f"level must lie in (0, 1), got {level}")
    if not margin > 0:
        raise ValueError(f"margin must be > 0, got {margin}")
    d = int(d)
    p, n = max(1, round(psi_p * d)), max(1, round(psi_n * d))
    if p < mixture.n_classes + 1:
        raise ValueError(f"d, psi_p: p = round(psi_p*d) = {p} features cannot hold the "
                         f"{mixture.n_classes} class outliers and a bulk edge; need p >= "
                         f"{mixture.n_classes + 1} (raise d or psi_p)")
    rng = as_generator(seed)
    W = rng.standard_normal((p, d))
    data = sample_mixture(mixture, d, n, seed=rng)
    X0 = data.X - data.centroids[data.labels]
    Y = W @ data.centroids.T  # p×C
    nrm = np.linalg.norm(Y, axis=0)
    Y = Y / np.where(nrm > 0, nrm, 1.0)
    C = mixture.n_classes
    k = min(C + extra, p)  # leading eigenpairs followed (at most p of them)
    T = ts.size
    edge = np.empty(T)
    top = np.empty((T, k))
    lam_c = np.empty((C, T))
    ov = np.empty((C, T))
    from classdyn._threads import blas_threads

    mats = _u_builder(W, data.X, X0, ts, activation, kind, data, mixture)
    with blas_threads(1, enabled=p <= SMALL_P):
        results = [(_top_eigh(U, k), _top_eigh(U0, 1)[0][0]) for U, U0 in mats]
    for j, ((w, v), e0) in enumerate(results):
        edge[j] = e0
        top[j] = w
        P = v.T @ Y  # k×C overlaps
        for c in range(C):
            lam_c[c, j] = w[int(np.argmax(np.abs(P[:, c])))]
            ov[c, j] = float(np.sum(P[:C, c] ** 2))
        if progress is not None:
            progress(j)
    exc = lam_c / edge[None, :] - 1.0
    ts_out, f_out, ts_ov, f_ov = (np.empty(C) for _ in range(4))
    for c in range(C):
        ts_out[c], f_out[c] = last_crossing(ts, exc[c], margin)
        ts_ov[c], f_ov[c] = last_crossing(ts, ov[c], level)
    return SpeciationSweep(d=d, t=ts, edge=edge, top=top, lam_class=lam_c, excess=exc,
                           overlap=ov, t_s_outlier=ts_out, t_s_overlap=ts_ov,
                           weights=np.asarray(mixture.weights),
                           found_outlier=f_out.astype(bool), found_overlap=f_ov.astype(bool))


@dataclass
class SlopeFit:
    """Least-squares fit ``t_s^c = slope_c log d + offset_c`` over the sizes ``ds``.

    Returned by :func:`fit_slopes` (docs/theory/speciation.md).

    Parameters
    ----------
    ds : numpy.ndarray, shape (S,)
        The sizes ``d``.
    t_s : numpy.ndarray, shape (C, S)
        Speciation times (diffusion time, dimensionless).
    slope : numpy.ndarray, shape (C,)
        Slopes against ``log d``.
    offset : numpy.ndarray, shape (C,)
        Intercepts.
    slope_se : numpy.ndarray, shape (C,)
        Standard errors of the slopes (``nan`` with two sizes).

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> from classdyn.simulate import fit_slopes
    >>> ds = [100, 200, 400, 800]
    >>> fit = fit_slopes(ds, [[0.5 * math.log(d) + 0.1 for d in ds],
    ...                       [0.25 * math.log(d) for d in ds]])
    >>> sorted(fit.to_dict())
    ['ds', 'offset', 'slope', 'slope_se', 't_s']
    """

    ds: np.ndarray
    t_s: np.ndarray  # (C, len(ds))
    slope: np.ndarray
    offset: np.ndarray
    slope_se: np.ndarray

    def to_dict(self) -> dict:
        return {"ds": self.ds, "t_s": self.t_s, "slope": self.slope, "offset": self.offset,
                "slope_se": self.slope_se}


def fit_slopes(ds, t_s) -> SlopeFit:
    r"""Fit ``t_s^c`` (C × len(ds)) against ``log d`` (docs/theory/speciation.md: slope ``½(1 − γ_c)``).

    .. math::

        t_s^c(d) = \mathrm{slope}_c \log d + \mathrm{offset}_c,

    whose slope tends to ``½(1 − γ_c)`` for ``ρ_c ∝ d^{−γ_c}``. ``slope_se`` is the
    least-squares standard error (``nan`` with only two sizes: no residual degrees of freedom).

    Parameters
    ----------
    ds : array_like, shape (S,)
        At least 2 sizes ``d``.
    t_s : array_like, shape (C, S) or (S,)
        Speciation times (diffusion time, dimensionless), finite.

    Returns
    -------
    SlopeFit
        ``slope``, ``offset``, ``slope_se`` per class.

    Raises
    ------
    ValueError
        With fewer than 2 sizes, ``t_s`` of the wrong shape, or non-finite ``t_s``.

    Examples
    --------
    Exact lines are recovered, with zero standard error:

    >>> import math
    >>> import numpy as np
    >>> from classdyn.simulate import fit_slopes
    >>> ds = [100, 200, 400, 800]
    >>> fit = fit_slopes(ds, [[0.5 * math.log(d) + 0.1 for d in ds],
    ...                       [0.25 * math.log(d) for d in ds]])
    >>> np.round(fit.slope, 6), np.round(fit.offset, 6), np.round(fit.slope_se, 6)
    (array([0.5 , 0.25]), array([0.1, 0. ]), array([0., 0.]))
    >>> fit_slopes([100, 200], [1.0, 1.5]).slope_se
    array([nan])
    """
    ds = np.asarray(ds, float)
    t_s = np.atleast_2d(np.asarray(t_s, float))
    if ds.ndim != 1 or ds.size < 2 or t_s.shape[1] != ds.size:
        raise ValueError(f"need >= 2 sizes and t_s of shape (C, {ds.size}), got ds {ds.shape}, "
                         f"t_s {t_s.shape}")
    if not np.all(np.isfinite(t_s)):
        raise ValueError("t_s must be finite")
    x = np.log(ds)
    Xm = np.vstack([x, np.ones_like(x)]).T
    coef, res, *_ = np.linalg.lstsq(Xm, t_s.T, rcond=None)
    slope, offset = coef
    dof = ds.size - 2
    if dof > 0:
        resid = t_s.T - Xm @ coef
        s2 = np.sum(resid**2, axis=0) / dof
        se = np.sqrt(s2 / np.sum((x - x.mean()) ** 2))
    else:
        se = np.full(t_s.shape[0], math.nan)
    return SlopeFit(ds=ds, t_s=t_s, slope=slope, offset=offset, slope_se=se)
