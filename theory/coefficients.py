"""Hermite / Gaussian-equivalence coefficients of a random-features layer (docs/theory/gaussian-equivalence.md).

Pre-activation of a neuron on a noisy sample of class ``c`` at diffusion time ``t``:
``h = u + v``, data part ``u ~ N(m, e^{−2t} σ_c²)`` (``m`` the projected centroid), noise part
``v ~ N(0, Δ_t)``, so ``h ~ N(m, Γ²)``, ``Γ² = e^{−2t} σ_c² + Δ_t``. With ``z ~ N(0, 1)`` and the
smoothed activation ``f(u) = E_v σ(u + v)`` (paper's App. D–E, eqs. (47)–(49)):

* ``μ0 = E σ(m + Γ z)``
* ``a  = E σ'(m + Γ z)``                      (data direction; Stein's lemma)
* ``b  = √Δ_t · a``                            (noise direction)
* ``v² = Var_u f(u) − a² e^{−2t} σ²``          (nonlinear part of the data response)
* ``s² = Var σ(m + Γ z) − a² e^{−2t} σ² − v² − b²``  (nonlinear part of the noise response)

so that ``Var σ(h) = a² e^{−2t}σ² + v² + b² + s²`` is split into four non-negative pieces
(``v², s² ≥ 0`` by Cauchy–Schwarz on the Hermite expansions).

Public API
----------
:func:`coefficients` (activation, m, sigma2, t) — float64, vectorised, broadcasting ``m`` and
``sigma2``; :func:`class_coefficients` (mixture, activation, t, m=None) — per class;
:func:`coefficients_mp` — the same at ``dps`` decimal digits with mpmath (any activation).

Methods (``method=``): ``"closed"`` closed forms (linear, ReLU, erf; ``classdyn.theory.activations`` has
their SymPy derivation, and the float64 kernels are generated from those expressions by
:mod:`classdyn.theory.codegen`), ``"quadrature"`` nested trapezoidal quadrature (any activation,
see :mod:`classdyn.theory.quadrature`), ``"auto"`` closed form where one exists, else quadrature.
Fewer than :data:`JIT_MIN_SIZE` values run the kernels as plain Python (no Numba import); more
run their compiled twins (same function bodies, :mod:`classdyn.theory._lazyjit`).

Accuracy (float64), over :data:`VERIFIED_RANGE` (σ² ∈ [0.01, 16], t ∈ [0.001, 10], |m| ≤ 10):
absolute error ≤ 1e−12 × S, ``S = 1`` for bounded σ and ``(|m| + Γ)²`` for ReLU; where a value
is ≥ 1e−3 S also ≤ 1e−12 relative for μ0, a, b and ≤ 1e−10 relative for v², s² (measured
errors are ~1e−15). Checked in ``tests/theory/test_coefficients.py`` and
``tests/theory/test_coeff_range.py`` against the mpmath path (50 and 20 digits), the closed
forms, adaptive quadrature and Monte Carlo. Deep in the tails (|m|/Γ ≳ 5) v², s² are tiny
differences and only the absolute bound holds. Outside the range results are still computed
(the rules adapt their steps) but are not covered by the tests.

Quadrature rule: truncated trapezoidal rule (exponentially convergent for integrands analytic
in a strip), with the step set by the distance of tanh's poles and the growth of the Gaussian
off the real axis (:func:`classdyn.theory.quadrature.trapezoid_step`); plain Gauss–Hermite with 200
nodes misses by ~1e−9 at σ² = 4 (tests/theory/test_coeff_range.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from classdyn.theory.params import (Mixture, check_activation, check_choice,
                                    check_instance, check_time, delta_t)

#: (low, high) of the parameters over which the float64 accuracy (≤ 1e-12) is tested.
VERIFIED_RANGE = {"sigma2": (1e-2, 16.0), "t": (1e-3, 10.0), "abs_m": 10.0}

#: tanh is replaced by its limits (μ0 = sign m, a = v² = s² = 0) where
#: ``|m| − L_TRUNC (s + √Δ) ≥ TANH_SATURATION``: on the whole truncated integration domain then
#: ``|h| ≥ 20``, so ``|tanh h − sign m| ≤ 2e^{−40} ≈ 8e-18`` and ``tanh' ≤ 4e^{−40}``: every
#: coefficient is within 1e-17 of its limit (the Gaussian tails cut at L_TRUNC add ≤ e^{−36}),
#: below the 1e-12 absolute accuracy of the verified range. Without it the lattice of the
#: quadrature cannot be resolved in float64 at ``|m| ≳ 1e16`` (the kernel's buffer overran).
TANH_SATURATION = 20.0

#: Most lattice points of one quadrature cluster (4 float64 values each: 160 MB). The lattice
#: spans ``±L_TRUNC s`` around the centroids in steps ``δ`` bounded by the activation's poles,
#: so its size grows like ``√σ²``: without a bound σ² = 1e12 took 57 s and 2.6 GB and
#: σ² = 1e15 raised MemoryError; with it they are refused at once, naming the parameter.
LATTICE_MAX = 5_000_000

METHODS = ("auto", "closed", "quadrature")
CLOSED_FORMS = ("linear", "relu", "erf")


@dataclass
class Coefficients:
    """GEP coefficients (docs/theory/gaussian-equivalence.md) on the broadcast shape of ``m`` and ``sigma2``.

    Attributes: ``mu0, a, b, v2, s2`` (float64 arrays), the inputs ``m, sigma2`` (broadcast),
    ``t``, ``Delta = 1 − e^{−2t}``, ``activation``, ``method``.
    """

    activation: str
    t: float
    m: np.ndarray
    sigma2: np.ndarray
    mu0: np.ndarray
    a: np.ndarray
    b: np.ndarray
    v2: np.ndarray
    s2: np.ndarray
    method: str = "auto"

    @property
    def Delta(self) -> float:
        return delta_t(self.t)

    @property
    def Gamma2(self) -> np.ndarray:
        """``Γ² = e^{−2t} σ² + Δ_t``."""
        return math.exp(-2 * self.t) * self.sigma2 + self.Delta

    @property
    def var_sigma(self) -> np.ndarray:
        """``Var σ(h) = a² e^{−2t} σ² + v² + b² + s²``."""
        return self.a ** 2 * math.exp(-2 * self.t) * self.sigma2 + self.v2 + self.b ** 2 + self.s2

    def to_dict(self) -> dict:
        return {"activation": self.activation, "t": self.t, "Delta": self.Delta,
                "method": self.method, "m": self.m, "sigma2": self.sigma2, "mu0": self.mu0,
                "a": self.a, "b": self.b, "v2": self.v2, "s2": self.s2}


# ------------------------------------------------------------------ input checks
def _check_inputs(activation, m, sigma2, t, method):
    check_activation(activation)
    t = check_time(t)
    check_choice(method, "method", METHODS)
    if method == "closed" and activation not in CLOSED_FORMS:
        raise ValueError(f"method='closed': activation {activation!r} has no closed form "
                         f"(closed forms exist for {CLOSED_FORMS}); use 'quadrature' or 'auto'")
    try:
        m_arr = np.asarray(m, dtype=float)
        s_arr = np.asarray(sigma2, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"m and sigma2 must be numbers or arrays of numbers, got m={m!r}, "
                         f"sigma2={sigma2!r}") from None
    if not np.all(np.isfinite(m_arr)):
        raise ValueError(f"m (projected centroid) must be finite, got non-finite entries in "
                         f"{m_arr.ravel()[:5].tolist()}...")
    if not np.all(np.isfinite(s_arr)) or np.any(s_arr <= 0):
        bad = s_arr[~(np.isfinite(s_arr) & (s_arr > 0))].ravel()[:5].tolist()
        raise ValueError(f"sigma2 (class variance) must be finite and > 0, got {bad}")
    try:
        m_b, s_b = np.broadcast_arrays(m_arr, s_arr)
    except ValueError:
        raise ValueError(f"m (shape {m_arr.shape}) and sigma2 (shape {s_arr.shape}) do not "
                         f"broadcast") from None
    return t, np.array(m_b, dtype=float), np.array(s_b, dtype=float)


# ------------------------------------------------------------------ evaluators
#: below this many values (or lattice work, for the quadrature) kernels run as plain Python, so
#: that a command evaluating a few coefficients never imports Numba (issue 16); above it the
#: same function bodies run compiled (:mod:`classdyn.theory._lazyjit`)
JIT_MIN_SIZE = 256
#: plain-Python quadrature up to this many inner-integrand evaluations per lattice (~0.1 s)
JIT_MIN_WORK = 200_000


def _kernel(fn, compiled: bool):
    from classdyn.theory._lazyjit import compiled_preferred

    return fn.jit if compiled or compiled_preferred() else fn


def _eval_closed(activation, m, s2, D):
    """Closed forms, generated from their SymPy expressions (:mod:`classdyn.theory.codegen`)."""
    from classdyn.theory import _generated_coeffs as g

    out = np.empty((m.size, 4))
    batch = {"linear": g.linear_batch, "erf": g.erf_batch, "relu": g.relu_batch}.get(activation)
    if batch is None:  # pragma: no cover - guarded by _check_inputs
        raise ValueError(f"no closed form for {activation!r}")
    _kernel(batch, m.size >= JIT_MIN_SIZE)(np.ascontiguousarray(m.ravel()),
                                           np.ascontiguousarray(s2.ravel()), D, out)
    return out


def _clusters(sorted_m: np.ndarray, gap: float):
    """Split sorted values where consecutive gaps exceed ``gap`` (lattices would not overlap)."""
    if sorted_m.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(sorted_m) > gap) + 1
    return np.split(np.arange(sorted_m.size), cuts)


def _eval_quadrature(activation, m, s2, t):
    """Nested trapezoidal quadrature on shared lattices (see :mod:`classdyn.theory.quadrature`)."""
    from classdyn.theory import quadrature as q

    code = q.CODES[activation]
    D = delta_t(t)
    sqd = math.sqrt(D)
    e2 = math.exp(-2 * t)
    yn, yw = q.inner_rule(code, sqd)
    gx, gw = q.gauss_legendre(q.N_GL)
    out = np.empty((m.size, 4))
    mm = m.ravel()
    ss = s2.ravel()
    for sv in np.unique(ss):
        idx = np.flatnonzero(ss == sv)
        s = math.sqrt(e2 * sv)
        delta = q.trapezoid_step(code, s, sqd)
        if activation == "tanh":
            sat = np.abs(mm[idx]) - q.L_TRUNC * (s + sqd) >= TANH_SATURATION
            if np.any(sat):
                # tanh saturated on the whole truncated domain: the limits, see TANH_SATURATION
                out[idx[sat]] = np.stack([np.sign(mm[idx[sat]]), np.zeros(sat.sum()),
                                          np.zeros(sat.sum()), np.zeros(sat.sum())], axis=1)
                idx = idx[~sat]
                if idx.size == 0:
                    continue
        too_far = np.spacing(np.abs(mm[idx])) > 1e-3 * delta
        if np.any(too_far):
            bad = float(mm[idx][too_far][0])
            raise ValueError(
                f"m = {bad:g}: too large for the {activation} quadrature at sigma^2 = {sv:g}, "
                f"t = {t:g} (float64 cannot resolve its step {delta:.3g} there); the verified "
                f"range is |m| <= {VERIFIED_RANGE['abs_m']:g}")
        mv = mm[idx]
        order = np.argsort(mv, kind="stable")
        msorted = mv[order]
        for cl in _clusters(msorted, 2 * q.L_TRUNC * s):
            mc = np.ascontiguousarray(msorted[cl])
            lo = mc[0] - q.L_TRUNC * s - 2 * delta
            hi = mc[-1] + q.L_TRUNC * s + 2 * delta
            # lattice anchored at multiples of delta (u0 = k0 δ)
            k0 = math.floor(lo / delta)
            u0 = k0 * delta
            nk = math.ceil((hi - u0) / delta) + 1
            if nk > LATTICE_MAX:
                raise ValueError(
                    f"sigma2 = {sv:g} (with |m| up to {abs(mc).max():g}) at t = {t:g} needs a "
                    f"quadrature lattice of {nk:.3g} points (limit {LATTICE_MAX:.0e}, "
                    f"~{32 * LATTICE_MAX / 2**20:.0f} MB): the class variance is too large for "
                    f"the {activation} quadrature; the verified range is sigma2 in "
                    f"[{VERIFIED_RANGE['sigma2'][0]:g}, {VERIFIED_RANGE['sigma2'][1]:g}]")
            nk = int(nk)
            compiled = (nk * (yn.size if code != 2 else gx.size) > JIT_MIN_WORK
                        or mc.size >= JIT_MIN_SIZE)
            lat = _kernel(q.lattice_values, compiled)(code, u0, delta, nk, sqd, yn, yw, gx, gw)
            res = np.empty((mc.size, 4))
            _kernel(q.outer_coefficients, compiled)(mc, s, sqd, u0, delta, lat, res)
            out[idx[order[cl]]] = res
    return out


def _evaluate(activation, m, s2, t, use_closed, table=True):
    """Group by σ², evaluate each group directly or through a Chebyshev table in ``m``."""
    D = delta_t(t)
    e2 = math.exp(-2 * t)
    out = np.empty((m.size, 4))
    if m.size == 0:
        return out
    for sv in np.unique(s2):
        idx = np.flatnonzero(s2 == sv)
        mv = np.ascontiguousarray(m[idx])

        def ev(mm, sv=sv):
            mm = np.ascontiguousarray(mm, dtype=float)
            if use_closed:
                return _eval_closed(activation, mm, np.full(mm.size, e2 * sv), D)
            return _eval_quadrature(activation, mm, np.full(mm.size, sv), t)

        res = None
        gam = math.sqrt(e2 * sv + D)
        npan = (mv.max() - mv.min()) / gam + 1
        if (table and activation != "linear" and idx.size >= TABLE_MIN_SIZE
                and npan * 4 * (TABLE_DEGREE + 1) < idx.size):
            res = _eval_table(ev, mv, gam)
        out[idx] = ev(mv) if res is None else res
    return out


def coefficients(activation: str, m=0.0, sigma2=1.0, t: float = 0.1, *,
                 method: str = "auto") -> Coefficients:
    """GEP coefficients ``μ0, a, b, v², s²`` of docs/theory/gaussian-equivalence.md (paper's (47)–(49)), float64.

    .. math::
        μ_0 = E σ(m + Γz),\\quad a = E σ'(m + Γz),\\quad b = \\sqrt{Δ_t}\\,a,\\\\
        v^2 = \\mathrm{Var}_u f(u) − a^2 e^{−2t}σ^2,\\quad
        s^2 = \\mathrm{Var}\\,σ(m+Γz) − a^2 e^{−2t}σ^2 − v^2 − b^2,

    ``Γ² = e^{−2t} σ² + Δ_t``, ``f(u) = E_v σ(u + v)``, ``v ~ N(0, Δ_t)``, ``u ~ N(m, e^{−2t}σ²)``.

    Parameters
    ----------
    activation : one of ``classdyn.theory.params.ACTIVATIONS`` (tanh, erf = ``erf(x)``, relu, linear).
    m : projected centroid(s) ``m = e^{−t} w·μ/√d`` (any shape; 0 for centred classes).
    sigma2 : class variance(s) ``σ² > 0``, broadcast against ``m``.
    t : diffusion time ``t > 0`` (OU forward process).
    method : ``"auto"`` (closed form where it exists, else quadrature), ``"closed"``,
        ``"quadrature"``.

    Returns
    -------
    Coefficients with arrays of the broadcast shape of ``m`` and ``sigma2``.

    Raises
    ------
    ValueError : unknown activation/method, ``t ≤ 0``, ``σ² ≤ 0``, non-finite ``m``, shapes that do
        not broadcast, or ``method="closed"`` for tanh.
    """
    t, m_b, s_b = _check_inputs(activation, m, sigma2, t, method)
    D = delta_t(t)
    use_closed = method == "closed" or (method == "auto" and activation in CLOSED_FORMS)
    out = _evaluate(activation, m_b.ravel(), s_b.ravel(), t, use_closed)
    shape = m_b.shape
    res = [out[:, j].reshape(shape).copy() for j in range(4)]
    if not all(np.all(np.isfinite(r)) for r in res):  # never hand back silent NaNs
        raise FloatingPointError(f"non-finite coefficient for activation={activation!r}, t={t}: "
                                 f"check m and sigma2 ranges ({VERIFIED_RANGE})")
    mu0, a, v2, s2 = res
    # round-off can leave v2, s2 at -1e-17 where they vanish (linear-like regimes)
    v2 = np.where(np.abs(v2) < 1e-15 * (1 + np.abs(mu0)), np.maximum(v2, 0.0), v2)
    s2 = np.where(np.abs(s2) < 1e-15 * (1 + np.abs(mu0)), np.maximum(s2, 0.0), s2)
    return Coefficients(activation=activation, t=t, m=m_b, sigma2=s_b, mu0=mu0, a=a,
                        b=math.sqrt(D) * a, v2=v2, s2=s2,
                        method="closed" if use_closed else "quadrature")


def class_coefficients(mixture: Mixture, activation: str, t: float, m=None, *,
                       method: str = "auto") -> Coefficients:
    """Gaussian-equivalence coefficients of each class of a mixture
    (docs/theory/gaussian-equivalence.md).

    With ``h = m + Γ z``, ``Γ² = e^{−2t} σ_c² + Δ_t``: ``μ0 = E σ(h)``, ``a = E σ'(h)``,
    ``b = √Δ_t a``, and the variances ``v²``, ``s²`` of the parts of ``σ`` beyond the linear
    term (see :func:`coefficients` for the formulas).

    Parameters
    ----------
    mixture : Mixture
        The classes (their ``variances`` are the ``σ_c²``).
    activation : str
        One of ``"tanh"``, ``"erf"``, ``"relu"``, ``"linear"``.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    m : array_like, optional
        ``None`` (default): centred classes, at ``m = 0``. Shape ``(C,)``: one projected mean
        per class. Shape ``(C, p)``: per-neuron projected centroids
        ``m_{c,i} = e^{−t} w_i·μ_c/√d`` (extensive centroids).
    method : {"auto", "closed", "quadrature"}, optional
        Closed forms where they exist (``auto``), or the quadrature.

    Returns
    -------
    Coefficients
        Arrays ``mu0``, ``a``, ``b``, ``v2``, ``s2`` of the shape of ``m`` (``(C,)`` by default).

    Raises
    ------
    TypeError
        ``mixture`` is not a :class:`~classdyn.theory.params.Mixture`.
    ValueError
        Bad activation, ``t``, ``m`` shape, or an input beyond what the quadrature resolves.

    Examples
    --------
    >>> from classdyn.theory import Mixture, class_coefficients
    >>> c = class_coefficients(Mixture((1.0, 2.0)), "linear", 0.5)
    >>> c.a.tolist(), c.v2.tolist(), c.b.round(6).tolist()  # linear: a = 1, b = sqrt(Delta_t)
    ([1.0, 1.0], [0.0, 0.0], [0.79506, 0.79506])
    >>> class_coefficients(Mixture((1.0, 2.0)), "erf", 0.1).a.round(6).tolist()
    [0.65147, 0.52398]
    """
    check_instance(mixture, Mixture, "mixture")
    C = mixture.n_classes
    var = np.asarray(mixture.variances, dtype=float)
    if m is None:
        return coefficients(activation, np.zeros(C), var, t, method=method)
    m_arr = np.asarray(m, dtype=float)
    if m_arr.ndim == 1 and m_arr.shape[0] == C:
        return coefficients(activation, m_arr, var, t, method=method)
    if m_arr.ndim != 2 or m_arr.shape[0] != C:
        raise ValueError(f"m must have shape (C,) or (C, p) with C = {C} classes, got shape "
                         f"{m_arr.shape}")
    return coefficients(activation, m_arr, var[:, None], t, method=method)


# ------------------------------------------------------------------ fast path for many m
#: use a piecewise-Chebyshev table in m when a group has more values than this
TABLE_MIN_SIZE = 4096
#: Chebyshev degree per panel and accepted table error (absolute, relative to 1 + |value|)
TABLE_DEGREE = 24
TABLE_TOL = 2e-14


def _cheb_matrix(N: int) -> tuple[np.ndarray, np.ndarray]:
    k = np.arange(N)
    x = np.cos(np.pi * (k + 0.5) / N)
    j = np.arange(N)[:, None]
    T = 2.0 / N * np.cos(np.pi * j * (k[None, :] + 0.5) / N)
    T[0] *= 0.5
    return x, T


def _eval_table(evaluate, m: np.ndarray, scale: float):
    """Piecewise-Chebyshev interpolation in ``m`` of an exact evaluator (docs/theory/gaussian-equivalence.md coefficients
    are entire functions of ``m`` varying on the scale ``Γ``).

    Panels of width ``scale`` (halved until every panel passes), degree :data:`TABLE_DEGREE`;
    each panel is checked against ``evaluate`` at two points between the Chebyshev nodes and must
    agree to :data:`TABLE_TOL` × (1 + |value|). Returns ``None`` if no width passes (the caller
    then evaluates directly).
    """
    from classdyn.theory import quadrature as q

    N = TABLE_DEGREE + 1
    xn, T = _cheb_matrix(N)
    mlo, mhi = float(m.min()), float(m.max())
    width = scale
    for _ in range(5):
        npan = max(1, int(math.ceil((mhi - mlo) / width + 1e-9)))
        lo = mlo - 0.5 * (npan * width - (mhi - mlo))
        centres = lo + (np.arange(npan) + 0.5) * width
        nodes = (centres[:, None] + 0.5 * width * xn[None, :]).ravel()
        vals = evaluate(nodes).reshape(npan, N, 4)
        coefs = np.einsum("jk,pkc->pcj", T, vals)
        # check points: between the two outermost nodes and near the centre
        chk = np.concatenate([centres + 0.5 * width * 0.987, centres - 0.5 * width * 0.43,
                              centres + 0.5 * width * 0.061])
        exact = evaluate(chk)
        approx = np.empty_like(exact)
        q.cheb_eval.jit(chk, lo, width, np.ascontiguousarray(coefs), approx)
        err = np.abs(approx - exact) / (1.0 + np.abs(exact))
        if np.all(err <= TABLE_TOL):
            out = np.empty((m.size, 4))
            q.cheb_eval.jit(m, lo, width, np.ascontiguousarray(coefs), out)
            return out
        width *= 0.5
    return None


# ------------------------------------------------------------------ high precision (mpmath)
def coefficients_mp(activation: str, m=0.0, sigma2=1.0, t: float = 0.1, *, dps: int = 30,
                    method: str = "quadrature") -> dict:
    """The coefficients of :func:`coefficients` at ``dps`` significant digits (mpmath), scalars.

    ``method="quadrature"`` (default, any activation): the definitions of docs/theory/gaussian-equivalence.md
    integrated with the nested trapezoidal rule of :mod:`classdyn.theory.quadrature` in mpmath
    arithmetic, with the aliasing budget ``LOG_EPS = (dps + 5) ln 10`` and truncation
    ``L = √(2 LOG_EPS)``, so the rule error is below ``10^{−dps}``. The inner (noise) integrals of
    ReLU use the truncated-Gaussian moments ``E_y[(u + √Δy)^k; y > −u/√Δ]`` (exact), so the
    Owen's-T closed forms are checked independently. ``method="closed"``: the SymPy closed forms
    of :mod:`classdyn.theory.activations` evaluated with mpmath (linear, ReLU, erf).

    Returns ``{"mu0", "a", "b", "v2", "s2"}`` as ``mpmath.mpf`` (precision ``dps``). The
    arguments ``m, sigma2, t`` are converted with ``mpmath.mpf`` (pass strings for exact
    decimals).
    """
    import mpmath

    check_activation(activation)
    check_time(float(t))
    if isinstance(dps, bool) or int(dps) != dps or not 15 <= int(dps) <= 1000:
        raise ValueError(f"dps must be an integer in [15, 1000], got {dps!r}")
    if method not in ("quadrature", "closed"):
        raise ValueError(f"method must be 'quadrature' or 'closed', got {method!r}")
    if method == "closed" and activation not in CLOSED_FORMS:
        raise ValueError(f"method='closed': activation {activation!r} has no closed form "
                         f"(closed forms exist for {CLOSED_FORMS})")
    if not math.isfinite(float(m)):
        raise ValueError(f"m must be finite, got {m!r}")
    if not (math.isfinite(float(sigma2)) and float(sigma2) > 0):
        raise ValueError(f"sigma2 must be finite and > 0, got {sigma2!r}")
    dps = int(dps)
    with mpmath.workdps(dps + 6):
        mm, s2v, tt = mpmath.mpf(m), mpmath.mpf(sigma2), mpmath.mpf(t)
        if method == "closed":
            from classdyn.theory.activations import lambdify_mp, symbolic_coefficients

            res = {k: lambdify_mp(v)(mm, s2v, tt)
                   for k, v in symbolic_coefficients(activation).items()}
        else:
            res = _mp_quadrature(activation, mm, s2v, tt, dps)
    with mpmath.workdps(dps):
        return {k: +mpmath.mpf(v) for k, v in res.items()}


def _mp_quadrature(activation, m, sigma2, t, dps):
    import mpmath as mp

    from classdyn.theory import quadrature as q

    code = q.CODES[activation]
    log_eps = (dps + 5) * math.log(10.0)
    L = math.sqrt(2 * log_eps)
    e2 = mp.exp(-2 * t)
    D = 1 - e2
    sd = mp.sqrt(D)
    s = mp.sqrt(e2 * sigma2)
    fs, fsd = float(s), float(sd)
    sig = {"tanh": mp.tanh, "erf": mp.erf, "relu": lambda v: v if v > 0 else mp.zero,
           "linear": lambda v: v}[activation]
    one = mp.mpf(1)
    two_over_sqrtpi = 2 / mp.sqrt(mp.pi)
    dsig = {"tanh": lambda v: 1 - mp.tanh(v) ** 2,
            "erf": lambda v: two_over_sqrtpi * mp.exp(-v * v),
            "relu": lambda v: one if v > 0 else mp.zero, "linear": lambda v: one}[activation]
    inv_sqrt2pi = 1 / mp.sqrt(2 * mp.pi)

    def nodes(h):
        J = int(math.floor(L / h))
        hh = mp.mpf(h)
        zs = [hh * j for j in range(-J, J + 1)]
        return zs, [hh * mp.exp(-zz * zz / 2) * inv_sqrt2pi for zz in zs]

    if activation != "relu":
        h_in = min(q.trapezoid_step(code, fsd, fsd, log_eps) / fsd,
                   math.pi * math.sqrt(2.0) / math.sqrt(log_eps))
        yn, yw = nodes(h_in)

    def inner(u):
        if activation == "relu":
            # truncated Gaussian moments above the kink y* = −u/√Δ
            ys = -u / sd
            Pv = mp.ncdf(-ys)          # P(y > y*)
            ph = mp.npdf(ys)           # φ(y*)
            E1, Ey, Ey2 = Pv, ph, ys * ph + Pv          # E[1], E[y], E[y²] on y > y*
            f = u * E1 + sd * Ey
            ell = u * Ey + sd * Ey2
            P = E1
            # R = E[(σ − f − ℓ y)²] = E σ² − f² − ℓ² (projection onto 1, y)
            Es2 = u * u * E1 + 2 * u * sd * Ey + D * Ey2
            R = Es2 - f * f - ell * ell
            return f, P, ell, R
        vals = [sig(u + sd * yy) for yy in yn]
        f = mp.fsum(w * v for w, v in zip(yw, vals))
        P = mp.fsum(w * dsig(u + sd * yy) for w, yy in zip(yw, yn))
        ell = mp.fsum(w * yy * v for w, yy, v in zip(yw, yn, vals))
        R = mp.fsum(w * (v - f - ell * yy) ** 2 for w, yy, v in zip(yw, yn, vals))
        return f, P, ell, R

    h_out = q.trapezoid_step(code, fs, fsd, log_eps) / fs
    xn, xw = nodes(h_out)
    tab = [inner(m + s * xx) for xx in xn]
    mu0 = mp.fsum(w * r[0] for w, r in zip(xw, tab))
    a = mp.fsum(w * r[1] for w, r in zip(xw, tab))
    v2 = mp.fsum(w * (r[0] - mu0 - a * s * xx) ** 2 for w, xx, r in zip(xw, xn, tab))
    s2 = mp.fsum(w * (r[3] + (r[2] - sd * a) ** 2) for w, r in zip(xw, tab))
    return {"mu0": mu0, "a": a, "b": sd * a, "v2": v2, "s2": s2}
