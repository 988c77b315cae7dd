r"""Spectrum, edges and outliers of the feature covariance ``U`` for extensive centroids.

THEORY.md §6 (the paper's (107), whose solution the paper leaves open) and §7 (speciation).

Derivation (re-done here; it agrees with THEORY.md §6 up to a change of basis in the ``ℓ`` block)
---------------------------------------------------------------------------------------------
GEP of ``U`` (THEORY.md §4) with per-neuron coefficients: for a sample ``ν`` of class ``c``,
``g^ν = μ0_c + D_{a_c} e^{−t} W (x^ν − μ_c)/√d + D_{v_c} ω^ν`` and

    U = (1/n) Σ_ν g^ν g^νᵀ + Δ Σ_c ρ_c D_{a_c} K D_{a_c} + diag(s̄²),   K = W Wᵀ/d.

1. *Means.*  ``(1/n) Σ_{ν∈c} g gᵀ = ρ_c y_c y_cᵀ + (centred sample covariance)`` with
   ``y_c = μ0_c + ḡ_c`` (``ḡ_c`` the class average of the fluctuations). Given ``W`` the
   fluctuations are Gaussian, so the centred covariance is independent of ``ḡ_c``.
2. *Bulk.*  Given ``W`` the class-``c`` columns have covariance
   ``Σ_c = e2 σ_c² D_{a_c} K D_{a_c} + D_{v_c}²``; the sample-covariance deterministic equivalent
   gives ``R ≈ [−z + D_{s̄²} + Σ_c ρ_c D_{v_c²}/(1+δ_c) + Σ_c κ_c D_{a_c} K D_{a_c}]⁻¹`` with
   ``κ_c = ρ_c (e2 σ_c²/(1+δ_c) + Δ)`` (the ``Δ`` is the noise term ``b = √Δ a``) and
   ``δ_c = (1/n) tr Σ_c R``. Split ``W = W⊥ + W∥`` (``W∥`` its projection on ``span(μ_c)``):
   ``K = K⊥ + K_μ`` with ``K_μ`` of rank ``r = rank(Gram) ≤ C``; the coefficients depend only on
   ``W∥`` (through the projected centroids ``m``), ``K⊥`` is an independent Wishart matrix. Writing
   ``Σ_c κ_c D_{a_c} K⊥ D_{a_c} = Σ_{k≤d} Y_k diag(κ/d) Y_kᵀ`` with ``(Y_k)_{ic} = a_c(m_i) X_{ik}``
   (independent rank-``C`` terms), one more leave-one-out gives, with
   ``T = (1/d) Σ_i R_ii a(m_i) a(m_i)ᵀ = ψ_p E_m[a aᵀ R]`` and ``M = (diag(κ)⁻¹ + T)⁻¹``:

       R(m; z) = 1 / [−z + s̄²(m) + Σ_c ρ_c v_c²(m)/(1+δ_c) + a(m)ᵀ M a(m)]
       δ_c     = (1/ψ_n) [e2 σ_c² (T (I + diag(κ) T)⁻¹)_cc + ψ_p E_m[v_c² R]]

   (the first term of ``δ_c`` is ``(1/n) Σ_k (Y_kᵀ R Y_k)_cc = (d/n)(T − T M T)_cc`` and
   ``T − T M T = T (I + diag(κ) T)⁻¹``). This is THEORY.md §6's bulk system, unchanged.
3. *Outliers.*  The rank-``r`` part ``Σ_c κ_c D_{a_c} K_μ D_{a_c}`` and the means
   ``Σ_c ρ_c y_c y_cᵀ`` are finite-rank perturbations of the bulk. With an orthonormal basis
   ``q_j`` of ``span(μ_c)``, ``g_{ij} = w_i·q_j`` (i.i.d. ``N(0, 1)``) and ``μ_c = √d Σ_j L_cj q_j``
   (``L Lᵀ = Gram``), ``m_{c,i} = e^{−t} (L g_i)_c`` and
   ``K_μ = (1/d) Σ_j (W q_j)(W q_j)ᵀ``: the spike is ``Σ_{c,j} (κ_c/d) ℓ'_{cj} ℓ'_{cj}ᵀ`` with
   ``ℓ'_{cj}(m) = a_c(m) g_j``. ``ḡ_cᵀ R ḡ_c → δ_c/ρ_c`` turns ``diag(1/ρ)`` into
   ``diag((1+δ_c)/ρ_c)``. An eigenvalue ``λ`` above the bulk solves ``det 𝓜(λ) = 0`` with the
   symmetric ``(C + C r)``-square

       𝓜(λ) = [[diag((1+δ_c)/ρ_c) + p E[μ0 μ0ᵀ R],  p E[μ0 ℓ'ᵀ R]],
               [p E[ℓ' μ0ᵀ R],                      d diag(1/κ) ⊗ I_r + p E[ℓ' ℓ'ᵀ R]]],

   and the number of eigenvalues of ``U`` above ``λ`` is the number of negative eigenvalues of
   ``𝓜(λ)`` (inertia of the Woodbury capacitance matrix; ``𝓜`` increases with ``λ``).
   **Difference from THEORY.md §6:** there the ``ℓ`` block uses ``ℓ_{cc'} = a_c m_c'`` and
   ``d e2 diag(1/κ) ⊗ Gram``; that is the same matrix up to the congruence ``ℓ = (I ⊗ e^{−t} L) ℓ'``
   when ``Gram`` is invertible, but it needs ``Gram⁻¹`` in the derivation (the Woodbury form of the
   spike is ``(e^{2t}/d) m̃ Gram⁻¹ m̃ᵀ``). The whitened form used here also covers a singular
   ``Gram`` (a class with ``norms2 = 0``, collinear centroids).

Averages over ``m`` (``E_m``) come either from quadrature over the Gaussian law
``m ~ N(0, e2 Gram)`` (:func:`gaussian_nodes`: tensor Gauss–Hermite, or a composite
Gauss–Legendre rule that resolves the sharp features of ``R(m)`` at small ``t`` better) or from a
finite set of neurons (:func:`neuron_nodes`, to compare with one finite matrix).

Public API: :func:`gaussian_nodes`, :func:`neuron_nodes`, :func:`solve_bulk`,
:func:`extensive_density`, :func:`adaptive_density`, :func:`extensive_edges`,
:func:`upper_edge`, :func:`outlier_matrix`, :func:`outliers`, :func:`speciation_time`,
:func:`outlier_speciation_times` (the form of the ``classdyn.theory.speciation`` "outlier" hook).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from classdyn.theory.params import Mixture, RandomFeatures, check_positive, check_time

#: Status names of the compiled Newton solver (see :mod:`classdyn.theory._extensive_kernels`).
STATUS_NAMES = {0: "ok", 1: "no-convergence", 2: "singular", 3: "unphysical-branch"}

RULES = ("hermite", "legendre")


# --------------------------------------------------------------------------- input checks
def _check_mixture(mixture):
    if not isinstance(mixture, Mixture):
        raise TypeError(f"mixture must be a classdyn.theory.params.Mixture, got {type(mixture).__name__}")


def _check_features(features):
    if not isinstance(features, RandomFeatures):
        raise TypeError(f"features must be a classdyn.theory.params.RandomFeatures, got "
                        f"{type(features).__name__}")


def _check_positive_int(name, value, lo=1, hi=None):
    if isinstance(value, bool) or int(value) != value or value < lo or (hi is not None
                                                                          and value > hi):
        rng = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} must be an integer {rng}, got {value!r}")
    return int(value)


def _check_nodes(nodes):
    if not isinstance(nodes, ExtensiveNodes):
        raise TypeError(f"nodes must be an ExtensiveNodes (from gaussian_nodes or neuron_nodes), "
                        f"got {type(nodes).__name__}")
    return nodes


def _check_pos_float(name, value):
    return check_positive(value, name)


# --------------------------------------------------------------------------- nodes
def whitening(mixture: Mixture) -> np.ndarray:
    """``L`` (C×r) with ``L Lᵀ = Gram`` and ``r = rank(Gram)`` (eigen-decomposition).

    Projected centroids are ``m = e^{−t} L g`` with ``g ~ N(0, I_r)`` (THEORY.md §6).
    """
    gram = mixture.gram
    evals, evecs = np.linalg.eigh(gram)
    top = max(float(evals.max()), 0.0)
    keep = evals > 1e-12 * max(top, 1e-300)
    if top == 0.0:
        keep[:] = False
    return evecs[:, keep] * np.sqrt(evals[keep])


@dataclass
class ExtensiveNodes:
    """Nodes of the average ``E_m`` with the per-neuron coefficients of THEORY.md §4 at each.

    ``weights`` (N,) sum to 1; ``m`` (N, C) projected centroids; ``g`` (N, r) their whitened
    coordinates (``m = e^{−t} g Lᵀ``); ``a``, ``v2``, ``mu0`` (N, C) the class coefficients
    ``a_c(m_c)``, ``v_c²(m_c)``, ``μ0_c(m_c)``; ``s2bar`` (N,) ``Σ_c ρ_c s_c²(m_c)``.
    """

    weights: np.ndarray
    m: np.ndarray
    g: np.ndarray
    a: np.ndarray
    v2: np.ndarray
    mu0: np.ndarray
    s2bar: np.ndarray
    rho: np.ndarray
    sigma2: np.ndarray
    t: float
    psi_p: float
    psi_n: float
    L: np.ndarray
    rule: str = "hermite"

    @property
    def e2(self) -> float:
        return math.exp(-2.0 * self.t)

    @property
    def Delta(self) -> float:
        return -math.expm1(-2.0 * self.t)

    @property
    def n_classes(self) -> int:
        return self.rho.size

    @property
    def rank(self) -> int:
        return self.g.shape[1]

    def kernel_args(self):
        """The tuple of arrays the compiled kernels take after ``z``/``x``."""
        return (self.rho, self.rho * 0 + self.e2 * self.sigma2, self.Delta, self.psi_p,
                self.psi_n, self.weights, self.a, self.v2, self.s2bar)

    def scale(self) -> float:
        """A rough upper bound of the bulk's extent (sets the start of continuations)."""
        w = self.weights
        lin = float(np.sum(w[:, None] * self.a ** 2, axis=0) @ (self.rho * (self.e2 * self.sigma2
                                                                            + self.Delta)))
        return float(w @ self.s2bar + w @ (self.v2 @ self.rho)
                     + lin * (1 + math.sqrt(self.psi_p)) ** 2 * (1 + 1 / self.psi_n) * 2 + 1e-3)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("weights", "m", "g", "a", "v2", "mu0", "s2bar",
                                               "rho", "sigma2", "t", "psi_p", "psi_n", "L",
                                               "rule")}


def _class_coefficients(activation, m, sigma2, t):
    """Per-class coefficients at per-class projected centroids ``m`` (N, C) (THEORY.md §4),
    from :func:`classdyn.theory.coefficients.coefficients`."""
    from classdyn.theory.coefficients import coefficients

    N, C = m.shape
    out = {k: np.empty((N, C)) for k in ("mu0", "a", "v2", "s2")}
    for c in range(C):
        co = coefficients(activation, m[:, c], float(sigma2[c]), t)
        for k in out:
            out[k][:, c] = np.broadcast_to(np.asarray(getattr(co, k), dtype=float), (N,))
    for k, v in out.items():
        if not np.all(np.isfinite(v)):
            raise ValueError(f"coefficient {k} is not finite at some projected centroid "
                             f"(t = {t}); check the activation and the time")
    return out


def _build(mixture, features, t, weights, g, rule, m=None):
    L = whitening(mixture)
    if m is None:
        m = math.exp(-t) * g @ L.T if L.shape[1] else np.zeros((weights.size, mixture.n_classes))
    co = _class_coefficients(features.activation, m, np.asarray(mixture.variances), t)
    rho = np.asarray(mixture.weights, float)
    return ExtensiveNodes(weights=np.ascontiguousarray(weights, float), m=m,
                          g=np.ascontiguousarray(g, float), a=np.ascontiguousarray(co["a"]),
                          v2=np.ascontiguousarray(co["v2"]), mu0=np.ascontiguousarray(co["mu0"]),
                          s2bar=np.ascontiguousarray(co["s2"] @ rho), rho=rho,
                          sigma2=np.asarray(mixture.variances, float), t=float(t),
                          psi_p=features.psi_p, psi_n=features.psi_n, L=L, rule=rule)


def _rule_1d(order: int, rule: str):
    """1-D nodes/weights for ``E f(g)``, ``g ~ N(0, 1)``."""
    if rule == "hermite":
        x, w = np.polynomial.hermite_e.hermegauss(order)
        return x, w / w.sum()
    # composite Gauss-Legendre on [-G, G], 8 points per panel, weighted by the Gaussian density
    G = 8.5
    panels = max(1, order // 8)
    xg, wg = np.polynomial.legendre.leggauss(8)
    edges = np.linspace(-G, G, panels + 1)
    h = np.diff(edges) / 2
    mid = (edges[1:] + edges[:-1]) / 2
    x = (mid[:, None] + h[:, None] * xg[None]).ravel()
    w = (h[:, None] * wg[None]).ravel() * np.exp(-x ** 2 / 2) / math.sqrt(2 * math.pi)
    return x, w / w.sum()


def gaussian_nodes(mixture: Mixture, features: RandomFeatures, t: float, order: int = 40,
                   rule: str = "hermite") -> ExtensiveNodes:
    """Nodes for ``E_m`` over the Gaussian law ``m ~ N(0, e^{−2t} Gram)`` (THEORY.md §6).

    Tensor rule in the ``r = rank(Gram)`` whitened coordinates ``g ~ N(0, I_r)``:
    ``rule="hermite"`` (``order`` Gauss–Hermite nodes per axis) or ``rule="legendre"``
    (composite 8-point Gauss–Legendre panels on ``[−8.5, 8.5]``, ``order`` points per axis rounded
    down to a multiple of 8, times the Gaussian density: equally spaced panels resolve the sharp
    peaks of ``R(m)`` near its real poles at small ``t`` better than Hermite nodes, which thin
    out in the tails). Centred mixtures (``norms2 = 0``) give one node at ``m = 0``.
    """
    _check_mixture(mixture)
    _check_features(features)
    t = check_time(t)
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    order = _check_positive_int("order", order, 2, 400)
    L = whitening(mixture)
    r = L.shape[1]
    if r == 0:
        return _build(mixture, features, t, np.ones(1), np.zeros((1, 0)), rule)
    if order ** r > 2_000_000:
        raise ValueError(f"order = {order} in {r} dimensions gives {order ** r} nodes; "
                         f"allowed: order**rank <= 2e6")
    x, w = _rule_1d(order, rule)
    grids = np.meshgrid(*([x] * r), indexing="ij")
    wgrids = np.meshgrid(*([w] * r), indexing="ij")
    g = np.stack([gr.ravel() for gr in grids], axis=1)
    wt = np.prod(np.stack([wg.ravel() for wg in wgrids], axis=1), axis=1)
    keep = wt > 1e-300
    return _build(mixture, features, t, wt[keep] / wt[keep].sum(), g[keep], rule)


def neuron_nodes(mixture: Mixture, features: RandomFeatures, t: float,
                 m: np.ndarray) -> ExtensiveNodes:
    """Nodes for ``E_m`` over a finite set of neurons (equal weights), to compare with one matrix.

    ``m`` (p, C): the neurons' projected centroids ``m_{c,i} = e^{−t} w_i·μ_c/√d``. Their
    whitened coordinates (for the outlier ``ℓ`` block) are ``g_i = e^{t} L⁺ m_i``.
    """
    _check_mixture(mixture)
    _check_features(features)
    t = check_time(t)
    m = np.asarray(m, dtype=float)
    C = mixture.n_classes
    if m.ndim != 2 or m.shape[1] != C or m.shape[0] < 1:
        raise ValueError(f"m must have shape (p, {C}), got {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError("m must be finite")
    L = whitening(mixture)
    g = (math.exp(t) * m @ np.linalg.pinv(L).T) if L.shape[1] else np.zeros((m.shape[0], 0))
    # coefficients at the given m (not at the re-projection e^{-t} g Lᵀ, which differs from m
    # by rounding only when m lies in the span of the centroids, as it does for real neurons)
    return _build(mixture, features, t, np.full(m.shape[0], 1.0 / m.shape[0]), g, "neurons",
                  m=m)


# --------------------------------------------------------------------------- bulk solver
def _K():
    from classdyn.theory import _extensive_kernels as K

    return K


@dataclass
class BulkSolution:
    """Solution of the bulk system at points ``z`` (THEORY.md §6).

    ``q = E_m R(m; z)`` (the normalised trace ``(1/p) tr (U − z)⁻¹``), ``delta`` (n, C), ``T``
    (n, C, C), Newton ``residual`` and ``iterations``, ``status`` (0 ok; see
    :data:`STATUS_NAMES`). ``converged`` is ``status == 0``; values at unconverged points are
    the last iterate, never a silent NaN: callers must look at ``converged``.
    """

    z: np.ndarray
    q: np.ndarray
    delta: np.ndarray
    T: np.ndarray
    residual: np.ndarray
    iterations: np.ndarray
    status: np.ndarray

    @property
    def converged(self) -> np.ndarray:
        return self.status == 0

    def to_dict(self) -> dict:
        return {"z": self.z, "q": self.q, "delta": self.delta, "T": self.T,
                "residual": self.residual, "iterations": self.iterations, "status": self.status,
                "converged": self.converged}


def _unpack_many(X, C):
    K = _K()
    pj, pl = K.pair_index(C)
    delta = X[:, :C].copy()
    T = np.empty((X.shape[0], C, C), complex)
    for u in range(pj.size):
        T[:, pj[u], pl[u]] = X[:, C + u]
        T[:, pl[u], pj[u]] = X[:, C + u]
    return delta, T


def _eta0(lams, nodes):
    return 4.0 * (1.0 + np.abs(lams) + nodes.scale())


def solve_bulk(z, nodes: ExtensiveNodes, *, tol: float = 1e-12, maxit: int = 60) -> BulkSolution:
    """Solve the bulk equations of THEORY.md §6 at complex ``z`` (``Im z > 0``).

    Equations (unknowns ``δ ∈ C^C``, symmetric ``T ∈ C^{C×C}``):
    ``κ_c = ρ_c (e2 σ_c²/(1+δ_c) + Δ)``, ``M = (diag(κ)⁻¹ + T)⁻¹``,
    ``R(m) = 1/[−z + s̄²(m) + Σ_c ρ_c v_c²(m)/(1+δ_c) + a(m)ᵀ M a(m)]``,
    ``T = ψ_p E_m[a aᵀ R]``, ``δ_c = (1/ψ_n)[e2 σ_c² (T(I + diag(κ)T)⁻¹)_cc + ψ_p E_m[v_c² R]]``,
    ``q = E_m R``. Newton (analytic Jacobian, compiled) with continuation in ``Im z`` from far
    above the real axis, where the physical branch (``q ~ −1/z``) is the only attractor; steps
    that land on ``Im q < 0`` (or ``Im δ_c < 0``) are refused and retried smaller.
    """
    _check_nodes(nodes)
    z = np.atleast_1d(np.asarray(z, dtype=complex))
    if z.ndim != 1 or not np.all(np.isfinite(z)):
        raise ValueError("z must be a finite scalar or 1-D array")
    if np.any(z.imag <= 0):
        raise ValueError(f"z must have Im z > 0 (got min Im z = {z.imag.min():g}); real points "
                         f"outside the bulk: see upper_edge/outlier_matrix")
    tol = _check_pos_float("tol", tol)
    maxit = _check_positive_int("maxit", maxit)
    C = nodes.n_classes
    X, Q, RES, ITS, ST = _solve_points(z, nodes, tol, maxit)
    delta, T = _unpack_many(X, C)
    return BulkSolution(z=z, q=Q, delta=delta, T=T, residual=RES, iterations=ITS, status=ST)


def _solve_points(z, nodes, tol, maxit):
    K = _K()
    pj, pl = K.pair_index(nodes.n_classes)
    args = nodes.kernel_args()
    n = z.size
    nu = nodes.n_classes + pj.size
    X = np.zeros((n, nu), complex)
    Q = np.zeros(n, complex)
    RES = np.zeros(n)
    ITS = np.zeros(n, np.int64)
    ST = np.zeros(n, np.int64)
    eta0 = _eta0(z.real, nodes)
    for i in range(n):
        x, q, r, it, st = K.solve_eta_path(float(z[i].real), float(z[i].imag),
                                           max(float(eta0[i]), float(z[i].imag)), *args, pj, pl,
                                           tol, maxit)
        X[i], Q[i], RES[i], ITS[i], ST[i] = x, q, r, it, st
    return X, Q, RES, ITS, ST


@dataclass
class ExtensiveDensity:
    """Bulk density ``ρ(λ) = Im q(λ + iη)/π`` on a grid (THEORY.md §6).

    ``mass`` is the trapezoid integral of the density over the grid (≈ 1 when the grid covers
    the bulk); ``converged`` per point; ``n_failed`` the number of points that did not converge
    (their density is still the last iterate's, flagged, never NaN).
    """

    lam: np.ndarray
    density: np.ndarray
    q: np.ndarray
    eta: float
    residual: np.ndarray
    converged: np.ndarray
    status: np.ndarray

    @property
    def mass(self) -> float:
        return float(np.trapezoid(self.density, self.lam))

    @property
    def n_failed(self) -> int:
        return int(np.sum(~self.converged))

    def cdf(self) -> np.ndarray:
        """Cumulative integral of the density (trapezoid), starting at 0 at ``lam[0]``."""
        d = self.density
        inc = 0.5 * (d[1:] + d[:-1]) * np.diff(self.lam)
        return np.concatenate([[0.0], np.cumsum(inc)])

    def to_dict(self) -> dict:
        return {"lam": self.lam, "density": self.density, "q": self.q, "eta": self.eta,
                "residual": self.residual, "converged": self.converged, "status": self.status,
                "mass": self.mass, "n_failed": self.n_failed}


def extensive_density(lam, nodes: ExtensiveNodes, *, eta: float = 1e-7, tol: float = 1e-12,
                      maxit: int = 60, warm: bool = True) -> ExtensiveDensity:
    """Density ``ρ(λ) = lim_{η→0+} Im q(λ + iη)/π`` of THEORY.md §6 on the grid ``lam``.

    ``warm=False``: each point is solved by its own continuation in ``η`` (compiled; no
    information passes between grid points, so a wrong branch cannot propagate along the grid).
    ``warm=True`` (default, ~5x faster on fine grids): Newton starts from the previous grid
    point's solution, and falls back to the η-continuation when that fails, lands on
    ``Im q < 0`` or jumps (tests check both give the same density). ``eta`` is the
    final imaginary part: it smooths the density on the scale ``η`` (edges, and the sharp peaks
    that quadrature nodes near a real pole of ``R(m)`` leave inside gaps at small ``t``).
    """
    _check_nodes(nodes)
    lam = np.atleast_1d(np.asarray(lam, dtype=float))
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.isfinite(lam)):
        raise ValueError("lam must be a non-empty finite 1-D array")
    eta = _check_pos_float("eta", eta)
    tol = _check_pos_float("tol", tol)
    maxit = _check_positive_int("maxit", maxit)
    K = _K()
    pj, pl = K.pair_index(nodes.n_classes)
    fn = K.density_grid_warm if warm else K.density_grid
    X, Q, RES, ITS, ST = fn(lam, eta, _eta0(lam, nodes), *nodes.kernel_args(), pj, pl, tol, maxit)
    return ExtensiveDensity(lam=lam, density=np.maximum(Q.imag, 0.0) / math.pi, q=Q, eta=eta,
                            residual=RES, converged=ST == 0, status=ST)


def adaptive_density(nodes: ExtensiveNodes, lo: float, hi: float, *, n0: int = 400,
                     eta: float = 1e-7, rtol: float = 1e-5, max_points: int = 8000
                     ) -> ExtensiveDensity:
    """:func:`extensive_density` on a grid refined where the density is poorly resolved.

    Starts from ``n0`` equispaced points on ``[lo, hi]``; an interval is bisected when the
    trapezoid mass on it differs from that of its two halves by more than ``rtol`` (absolute, in
    units of the total mass 1); only the halves of bisected intervals are examined again, until
    none is bisected or ``max_points`` is reached. Used for CDFs (KS distances), where the
    inverse-square-root edge and the narrow bulk near ``s̄²`` need a fine grid.
    """
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi) and hi > lo):
        raise ValueError(f"need finite lo < hi, got lo={lo}, hi={hi}")
    n0 = _check_positive_int("n0", n0, 3)
    rtol = _check_pos_float("rtol", rtol)
    lam = np.linspace(lo, hi, n0)
    dens = extensive_density(lam, nodes, eta=eta)
    pts = {float(l_): (float(dv), complex(qv), float(rv), int(sv)) for l_, dv, qv, rv, sv in
           zip(dens.lam, dens.density, dens.q, dens.residual, dens.status)}
    cand = list(zip(lam[:-1], lam[1:]))
    while cand and len(pts) < max_points:
        a_ = np.array([c[0] for c in cand])
        b_ = np.array([c[1] for c in cand])
        mid = 0.5 * (a_ + b_)
        dm = extensive_density(mid, nodes, eta=eta)
        da = np.array([pts[float(x)][0] for x in a_])
        db = np.array([pts[float(x)][0] for x in b_])
        h = b_ - a_
        coarse = 0.5 * h * (da + db)
        fine = 0.25 * h * (da + 2 * dm.density + db)
        err = np.abs(coarse - fine)
        for i, mval in enumerate(mid):
            pts[float(mval)] = (float(dm.density[i]), complex(dm.q[i]), float(dm.residual[i]),
                                int(dm.status[i]))
        bad = np.flatnonzero((err > rtol) & (h > 1e-12 * (1 + abs(hi))))
        bad = bad[np.argsort(-err[bad])][: max(0, (max_points - len(pts)) // 2)]
        cand = sorted([(a_[i], mid[i]) for i in bad] + [(mid[i], b_[i]) for i in bad])
    keys = np.array(sorted(pts))
    vals = [pts[k] for k in keys]
    st = np.array([v[3] for v in vals])
    return ExtensiveDensity(lam=keys, density=np.array([v[0] for v in vals]),
                            q=np.array([v[1] for v in vals]), eta=eta,
                            residual=np.array([v[2] for v in vals]), converged=st == 0, status=st)


# --------------------------------------------------------------------------- real axis, edges
@dataclass
class _RealPoint:
    lam: float
    x: np.ndarray
    q: float
    detJ: float


def _real_solve(nodes, lam, x0, tol=1e-13, maxit=40, maxhalf=9):
    """Newton at real ``z = lam`` from ``x0`` in real arithmetic; a :class:`_RealPoint` or
    ``None``."""
    K = _K()
    pj, pl = K.pair_index(nodes.n_classes)
    args = nodes.kernel_args()
    x0 = np.ascontiguousarray(np.real(np.asarray(x0)), dtype=float)
    x, q, res, it, st = K.newton(float(lam), x0, *args, pj, pl, tol, maxit, maxhalf)
    if st != 0 or not np.all(np.isfinite(x)):
        return None
    F, J, q2, ok = K.residual_jacobian(float(lam), x, *args, pj, pl, True)
    if not ok:
        return None
    return _RealPoint(float(lam), x.copy(), float(q), float(np.linalg.det(J)))


def _node_R(nodes, lam, x):
    K = _K()
    pj, pl = K.pair_index(nodes.n_classes)
    rho, e2s2, Delta = nodes.kernel_args()[:3]
    return K.node_resolvent(complex(lam, 0.0), np.asarray(x, complex), rho, e2s2, Delta, nodes.a,
                            nodes.v2, nodes.s2bar, pj, pl).real


def _far_above(nodes):
    """A real point above the bulk with its solution (``R(m) < 0`` at every node)."""
    K = _K()
    pj, pl = K.pair_index(nodes.n_classes)
    lam = 4.0 * nodes.scale() + 1.0
    for _ in range(40):
        x0 = K.fixed_point_start(complex(lam, 0.0), *nodes.kernel_args(), pj, pl, 60)
        pt = _real_solve(nodes, lam, x0)
        if pt is not None and pt.detJ > 0 and np.all(_node_R(nodes, lam, pt.x) < 0):
            return pt
        lam *= 2.0
    raise RuntimeError("no real solution of the bulk equations found above the bulk")


def _fold(nodes, start: _RealPoint, direction: int, tol: float, upper_check: bool,
          stop: float | None = None, h0: float | None = None):
    """Follow the real solution from ``start`` in ``direction`` (−1: down, +1: up) to the fold.

    The physical real branch outside the support has ``q(λ) = ∫ρ(x)/(x − λ)dx`` increasing in
    ``λ``, and ``det J`` keeps its sign until the fold, where the physical and an unphysical real
    branch merge (square-root edge: ``λ(q)`` has a quadratic extremum there, i.e. the edge is a
    critical value of the inverse map ``q ↦ λ``). Steps that fail Newton, break the monotonicity
    of ``q``, flip the sign of ``det J`` (or, above the bulk, make some ``R(m) ≥ 0``) are halved.
    Once three points are accepted, steps aim at 90 % of the distance to the vertex of the
    parabola ``λ(q)`` through them (geometric convergence to the edge). Stops when the step, or
    the distance to the vertex, is below ``tol (1 + |λ|)``. Returns ``(point, edge_estimate)``,
    or ``None`` if ``stop`` is reached first (no edge between).
    """
    pt = start
    sgn = np.sign(start.detJ)
    h = h0 if h0 is not None else 0.125 * max(abs(start.lam), nodes.scale())
    hist = [pt]
    vertex = None
    for _ in range(400):
        eps = tol * (1.0 + abs(pt.lam))
        if h <= eps:
            break
        step = h
        if len(hist) >= 3:
            (l0, q0), (l1, q1), (l2, q2) = [(p_.lam, p_.q) for p_ in hist[-3:]]
            sc = abs(q0 - q2) or 1.0
            u = np.array([q0 - q2, q1 - q2, 0.0]) / sc
            try:
                cf = np.linalg.solve(np.vander(u, 3), np.array([l0, l1, l2]))
                if cf[0] != 0:
                    uv = -cf[1] / (2 * cf[0])
                    lv = float(np.polyval(cf, uv))
                    if (lv - pt.lam) * direction > 0:
                        vertex = lv
                        if abs(lv - pt.lam) <= eps:
                            break
                        step = min(h, 0.9 * abs(lv - pt.lam))
            except (np.linalg.LinAlgError, ValueError):
                pass
        lt = pt.lam + direction * step
        if stop is not None and (lt - stop) * direction >= 0:
            h = 0.5 * step
            if h <= eps:
                return None
            continue
        if lt <= 0.0 and direction < 0:
            h = 0.5 * step
            continue
        new = _real_solve(nodes, lt, pt.x, maxit=12, maxhalf=4)
        ok = new is not None and np.sign(new.detJ) == sgn and (new.q - pt.q) * direction > 0
        if ok and upper_check:
            ok = bool(np.all(_node_R(nodes, lt, new.x) < 0))
        if ok:
            pt = new
            hist.append(pt)
        else:
            h = 0.5 * step
    est = pt.lam if vertex is None or abs(vertex - pt.lam) > 1e3 * tol * (1 + abs(pt.lam)) \
        else vertex
    return pt, est


@dataclass
class UpperEdge:
    """Upper edge ``λ_+`` of the bulk (THEORY.md §6).

    ``edge``: the estimate (vertex of the parabola ``λ(q)`` through the last accepted real
    points, or the last accepted point); ``lam_solved`` (≥ ``edge``, within ``tol``-ish): the
    last point where the real solution ``x`` (and ``q``) was actually computed.
    """

    edge: float
    x: np.ndarray
    q: float
    tol: float
    lam_solved: float = math.nan

    def to_dict(self) -> dict:
        return {"edge": self.edge, "q": self.q, "tol": self.tol, "lam_solved": self.lam_solved}


def upper_edge(nodes: ExtensiveNodes, *, tol: float = 1e-11) -> UpperEdge:
    """Upper edge of the bulk: the critical value of the inverse map along the real branch.

    Above the bulk the bulk equations (THEORY.md §6) have a real solution with ``R(m) < 0`` at
    every node, analytic in ``λ``; it disappears at the edge, where it merges with an unphysical
    real branch (``dλ/dx = 0``, the critical point of the inverse map ``x ↦ λ``). Found by
    continuation from far above with step halving (:func:`_fold`), to ``tol (1 + λ)``.
    """
    _check_nodes(nodes)
    tol = _check_pos_float("tol", tol)
    far = _far_above(nodes)
    pt, est = _fold(nodes, far, -1, tol, True)
    return UpperEdge(edge=min(est, pt.lam), x=pt.x, q=pt.q, tol=tol, lam_solved=pt.lam)


# --------------------------------------------------------------------------- outliers
def _check_d(d):
    return _check_positive_int("d", d, 1)


def _outlier_features(nodes):
    """Per-node vectors ``[μ0_c]_c`` and ``ℓ'_{cj} = a_c g_j`` (c-major), THEORY.md §6."""
    N, C = nodes.a.shape
    r = nodes.rank
    ell = (nodes.a[:, :, None] * nodes.g[:, None, :]).reshape(N, C * r)
    return np.concatenate([nodes.mu0, ell], axis=1)


def outlier_matrix(lam: float, nodes: ExtensiveNodes, d: int, x: np.ndarray) -> np.ndarray:
    """The symmetric ``(C + C r)``-square matrix ``𝓜(λ)`` at real ``λ`` above the bulk.

    THEORY.md §6 (re-derived in the module docstring; whitened ``ℓ`` block):

        𝓜 = [[diag((1+δ_c)/ρ_c) + p E[μ0 μ0ᵀ R],  p E[μ0 ℓ'ᵀ R]],
             [p E[ℓ' μ0ᵀ R],                      d diag(1/κ) ⊗ I_r + p E[ℓ' ℓ'ᵀ R]]]

    with ``R = R(m; λ)``, ``κ_c = ρ_c (e2 σ_c²/(1+δ_c) + Δ)``, ``ℓ'_{cj} = a_c(m) g_j``,
    ``p = ψ_p d``; ``x`` the real bulk solution at ``λ``. The number of eigenvalues of ``U``
    above ``λ`` equals the number of negative eigenvalues of ``𝓜(λ)``.
    """
    d = _check_d(d)
    C = nodes.n_classes
    r = nodes.rank
    x = np.asarray(x, complex)
    R = _node_R(nodes, lam, x)
    delta = x[:C].real
    kappa = nodes.rho * (nodes.e2 * nodes.sigma2 / (1 + delta) + nodes.Delta)
    Fm = _outlier_features(nodes)
    p = nodes.psi_p * d
    Mat = p * (Fm * (nodes.weights * R)[:, None]).T @ Fm
    Mat[:C, :C] += np.diag((1 + delta) / nodes.rho)
    if r:
        Mat[C:, C:] += d * np.kron(np.diag(1.0 / kappa), np.eye(r))
    return 0.5 * (Mat + Mat.T)


@dataclass
class Outliers:
    """Outliers of ``U`` above the bulk (THEORY.md §6), largest first.

    ``locations`` (k,), ``classes`` (k,): the class whose block (``μ0_c`` and ``ℓ'_{c·}``)
    carries most of the null vector of ``𝓜`` at that outlier (−1 if none dominates: weight
    below 0.5); ``class_weights`` (k, C); ``edge`` the upper bulk edge; ``n_at_edge`` the number
    of negative eigenvalues of ``𝓜(edge)``; ``min_eig_at_edge`` (C + C r,) the eigenvalues of
    ``𝓜(edge)`` (their zero crossings in ``t`` are the speciation times).
    """

    locations: np.ndarray
    classes: np.ndarray
    class_weights: np.ndarray
    edge: float
    n_at_edge: int
    eig_at_edge: np.ndarray
    d: int
    t: float

    def to_dict(self) -> dict:
        return {"locations": self.locations, "classes": self.classes,
                "class_weights": self.class_weights, "edge": self.edge,
                "n_at_edge": self.n_at_edge, "eig_at_edge": self.eig_at_edge, "d": self.d,
                "t": self.t}


class _RealPath:
    """Real bulk solutions above the edge, cached; new points start from the nearest one."""

    def __init__(self, nodes, edge: UpperEdge):
        self.nodes = nodes
        self.pts = [_RealPoint(edge.lam_solved, np.asarray(edge.x, complex), edge.q, 1.0)]

    def solve(self, lam):
        near = min(self.pts, key=lambda p_: abs(p_.lam - lam))
        new = _real_solve(self.nodes, lam, near.x)
        if new is None:
            # continuation from the nearest point in sub-steps
            cur = near
            n = 2
            while new is None and n <= 4096:
                ok = True
                cur = near
                for k in range(1, n + 1):
                    nxt = _real_solve(self.nodes, near.lam + (lam - near.lam) * k / n, cur.x)
                    if nxt is None:
                        ok = False
                        break
                    cur = nxt
                if ok:
                    new = cur
                n *= 4
            if new is None:
                raise RuntimeError(f"bulk equations: no real solution reached at lambda = {lam}")
        self.pts.append(new)
        return new


def _class_weights(vec, C, r):
    w = np.zeros(C)
    for c in range(C):
        w[c] = vec[c] ** 2 + np.sum(vec[C + c * r: C + (c + 1) * r] ** 2)
    return w / w.sum()


def outliers(nodes: ExtensiveNodes, d: int, *, tol: float = 1e-10,
             edge: UpperEdge | None = None) -> Outliers:
    """Locations of all outliers of ``U`` above the bulk (THEORY.md §6, the matrix ``𝓜(λ)``).

    ``𝓜(λ)`` increases with ``λ``; its ``k``-th smallest eigenvalue ``μ_k(λ)`` crosses zero at
    the ``k``-th largest outlier. The count is the number of negative eigenvalues at the upper
    edge; each root is bracketed between the edge and a ``λ`` where ``𝓜`` is positive definite,
    and found by Brent's method to ``tol (1 + λ)``. Outliers are ``O(d)`` while the classes are
    resolved at fixed ``t`` (``p E[μ0 μ0ᵀ R]`` with ``R ≈ −1/λ``) and ``O(1)`` near speciation.
    """
    from scipy.optimize import brentq

    _check_nodes(nodes)
    d = _check_d(d)
    tol = _check_pos_float("tol", tol)
    C, r = nodes.n_classes, nodes.rank
    if edge is None:
        edge = upper_edge(nodes, tol=tol)
    lam0 = edge.lam_solved
    Me = outlier_matrix(lam0, nodes, d, edge.x)
    ev_e = np.linalg.eigvalsh(Me)
    n_out = int(np.sum(ev_e < 0))
    path = _RealPath(nodes, edge)

    def mat(lam):
        return outlier_matrix(lam, nodes, d, path.solve(lam).x)

    locs, cls, cw = [], [], []
    if n_out:
        # an upper bracket: 𝓜 positive definite
        Fm = _outlier_features(nodes)
        hi = lam0 + 2.0 * nodes.psi_p * d * float(nodes.weights @ np.sum(Fm ** 2, axis=1)) \
            * float(max(nodes.rho.max(), 1.0)) + 1.0
        for _ in range(60):
            if np.linalg.eigvalsh(mat(hi))[0] > 0:
                break
            hi *= 2.0
        else:
            raise RuntimeError("outliers: no upper bracket where the outlier matrix is positive "
                               "definite")
        for k in range(n_out):
            f = lambda lam, k=k: np.linalg.eigvalsh(mat(lam))[k]
            root = brentq(f, lam0, hi, xtol=tol * (1 + lam0), rtol=1e-15)
            w, V = np.linalg.eigh(mat(root))
            cwk = _class_weights(V[:, k], C, r)
            locs.append(root)
            cw.append(cwk)
            cls.append(int(np.argmax(cwk)) if cwk.max() >= 0.5 else -1)
    return Outliers(locations=np.array(locs), classes=np.array(cls, dtype=int),
                    class_weights=np.array(cw).reshape(-1, C), edge=edge.edge,
                    n_at_edge=n_out, eig_at_edge=ev_e, d=d, t=nodes.t)


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


# --------------------------------------------------------------------------- all edges
@dataclass
class ExtensiveEdges:
    """Bulks of the extensive-centroid spectrum (THEORY.md §6), left to right.

    ``intervals`` (k, 2): ``[lower, upper]`` edge of each bulk; ``masses`` (k,): integrated
    density of each; ``methods`` (k, 2): ``"fold"`` where the edge was located as the critical
    value of the inverse map along the real branch (to ``tol``), ``"grid"`` where the fold walk
    failed and the edge is the threshold crossing on the refined density grid (accuracy: the
    local grid spacing, reported in ``grid_spacing``). ``density``: the grid used.
    """

    intervals: np.ndarray
    masses: np.ndarray
    methods: list
    grid_spacing: np.ndarray
    density: ExtensiveDensity

    @property
    def edges(self) -> np.ndarray:
        return self.intervals.ravel()

    def to_dict(self) -> dict:
        return {"intervals": self.intervals, "masses": self.masses, "methods": self.methods,
                "grid_spacing": self.grid_spacing}


def _real_start(nodes, lam):
    """The real solution at ``lam`` (outside the support), from the η-continuation at tiny η."""
    sol = solve_bulk([complex(lam, 1e-10 * (1 + abs(lam)))], nodes)
    if not sol.converged[0]:
        return None
    K = _K()
    C = nodes.n_classes
    pj, pl = K.pair_index(C)
    x = np.concatenate([sol.delta[0].real, [sol.T[0][pj[u], pl[u]].real
                                            for u in range(pj.size)]]).astype(complex)
    return _real_solve(nodes, lam, x)


def extensive_edges(nodes: ExtensiveNodes, *, eta: float = 1e-8, min_mass: float = 1e-3,
                    threshold: float = 1e-6, tol: float = 1e-10, rtol: float = 2e-5
                    ) -> ExtensiveEdges:
    """Edges of every bulk of THEORY.md §6's density (the timescales τ = 1/λ_edge of THEORY.md
    §5 extend to extensive centroids through them).

    1. the upper edge by :func:`upper_edge` (fold of the real branch from above);
    2. the density on an adaptive grid from ``min s̄²(m)/2`` (``U ≥ diag(s̄²)``) to the upper
       edge; support = where the density exceeds ``threshold`` × its maximum; bulks of mass
       below ``min_mass`` are dropped: quadrature nodes near a real pole of ``R(m)`` leave tiny
       spurious bands inside gaps (THEORY.md §6 pitfalls). Measured at t = 1 (variances 1, 2,
       ‖μ_c‖² = d, ψ_p = 2, ψ_n = 1): Gauss–Hermite 40×40 and 70×70 give 6–7 bands of mass
       1e-5 – 6e-4 between 0.045 and 0.095 that move with the order, the composite Legendre rule
       (96 per axis) one of mass 1e-5; the two real bulks carry 0.4987–0.5002 each. For the
       Gaussian law of ``m`` the lowest edge is not sharp (``s̄²(m) → 0`` in the tails of ``m``:
       a thin density reaches down towards 0), so it depends on how far out the rule reaches:
       0.0285 (Hermite 40), 0.0304 (Hermite 70, Legendre 96); with :func:`neuron_nodes` (a
       finite matrix) it is sharp.
    3. each remaining edge refined from the gap side by the fold walk of :func:`_fold` (the real
       solution in the gap followed to the critical value of the inverse map), accepted when it
       lands within two grid spacings of the grid estimate; otherwise the grid estimate is kept
       and flagged ``"grid"``.
    """
    eta = _check_pos_float("eta", eta)
    ue = upper_edge(nodes, tol=tol)
    lo = 0.5 * float(nodes.s2bar.min())
    hi = ue.edge
    dens = adaptive_density(nodes, lo, hi, eta=eta, rtol=rtol)
    lam, den = dens.lam, dens.density
    on = den > threshold * den.max()
    # maximal runs of support
    runs = []
    i = 0
    while i < lam.size:
        if on[i]:
            j = i
            while j + 1 < lam.size and on[j + 1]:
                j += 1
            runs.append((i, j))
            i = j + 1
        else:
            i += 1
    cdf = dens.cdf()
    bulks = []
    for (i, j) in runs:
        a = lam[i - 1] if i > 0 else lam[0]
        b = lam[j + 1] if j + 1 < lam.size else lam[-1]
        mass = cdf[min(j + 1, lam.size - 1)] - cdf[max(i - 1, 0)]
        bulks.append([i, j, a, b, mass])
    # merge away tiny bands: a band below min_mass is dropped
    bulks = [bk for bk in bulks if bk[4] >= min_mass]
    intervals, methods, spacing, masses = [], [], [], []
    for k, (i, j, a, b, mass) in enumerate(bulks):
        lo_e, hi_e = float(lam[i]), float(lam[j])
        h_lo = float(lam[i] - lam[i - 1]) if i > 0 else float(lam[1] - lam[0])
        h_hi = float(lam[j + 1] - lam[j]) if j + 1 < lam.size else float(lam[j] - lam[j - 1])
        m_lo, m_hi = "grid", "grid"
        # lower edge: walk up from the gap point just below (a grid point of ~zero density)
        start_lam = float(lam[i - 1]) if i > 0 else lo
        st = _real_start(nodes, start_lam) if start_lam > 0 else None
        if st is not None:
            res = _fold(nodes, st, +1, tol, False, h0=0.5 * (lo_e - start_lam + h_lo))
            if res is not None and abs(res[1] - lo_e) <= 2 * h_lo + tol:
                lo_e, m_lo = float(res[1]), "fold"
        if k == len(bulks) - 1:
            hi_e, m_hi = float(ue.edge), "fold"
        elif j + 1 < lam.size:
            st = _real_start(nodes, float(lam[j + 1]))
            if st is not None:
                res = _fold(nodes, st, -1, tol, False, h0=0.5 * (lam[j + 1] - hi_e + h_hi))
                if res is not None and abs(res[1] - hi_e) <= 2 * h_hi + tol:
                    hi_e, m_hi = float(res[1]), "fold"
        intervals.append([lo_e, hi_e])
        methods.append([m_lo, m_hi])
        spacing.append([h_lo, h_hi])
        masses.append(mass)
    return ExtensiveEdges(intervals=np.array(intervals).reshape(-1, 2), masses=np.array(masses),
                          methods=methods, grid_spacing=np.array(spacing).reshape(-1, 2),
                          density=dens)


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


# --------------------------------------------------------------------------- CLI-facing summary
@dataclass
class ExtensiveSpectrum:
    """Everything ``classdyn spectrum|edges|times`` show for extensive centroids (THEORY.md §6).

    ``lam``/``density``: the bulk density on a grid; ``intervals``/``masses``/``methods``: the
    bulks (:class:`ExtensiveEdges`); ``outliers``: their locations (``d`` given) or empty;
    ``times``: ``τ = 1/λ`` of the named edges (:func:`edge_times`), training-time units (a mode
    of eigenvalue λ relaxes as ``exp(−λ τ)``).
    """

    t: float
    lam: np.ndarray
    density: np.ndarray
    intervals: np.ndarray
    masses: np.ndarray
    methods: list
    outliers: np.ndarray
    outlier_classes: np.ndarray
    times: dict
    d: int | None

    def to_dict(self) -> dict:
        return {"t": self.t, "lam": self.lam, "density": self.density,
                "intervals": self.intervals, "masses": self.masses, "methods": self.methods,
                "outliers": self.outliers, "outlier_classes": self.outlier_classes,
                "times": self.times, "d": self.d, "theory": "THEORY.md §6 (extensive centroids)"}

    def summary(self) -> str:
        lines = [f"extensive-centroid spectrum at t = {self.t:g} (THEORY.md §6)"]
        for (a, b), m, meth in zip(self.intervals, self.masses, self.methods):
            lines.append(f"  bulk [{a:.6g}, {b:.6g}]  mass {m:.4f}  ({meth[0]}/{meth[1]})")
        if self.outliers.size:
            lines.append(f"  outliers (d = {self.d}): " + ", ".join(
                f"{x:.6g} (class {c})" for x, c in zip(self.outliers, self.outlier_classes)))
        for k, v in self.times.items():
            lines.append(f"  {k} = {v:.6g}")
        return "\n".join(lines)


def edge_times(intervals) -> dict:
    """``τ = 1/λ`` of the named edges (THEORY.md §5 naming, applied to the bulks of §6).

    ``tau_gen``: lower edge of the rightmost bulk; ``tau_fin``: the lowest edge; ``tau_mem``:
    upper edge of the bulk left of the rightmost one, only when there are at least three bulks
    (with two bulks, e.g. ``ψ_n ≤ 1`` or ``ψ_p = 1 + ψ_n``, the lower one is the leftmost
    ``s̄²`` bulk and no memorisation bulk is separated: the name would be wrong). Training-time
    units: a mode of eigenvalue ``λ`` relaxes as ``exp(−λ τ)``.
    """
    iv = np.asarray(intervals, float).reshape(-1, 2)
    out = {}
    if iv.shape[0] == 0:
        return out
    out["tau_gen"] = 1.0 / iv[-1, 0]
    if iv.shape[0] >= 3:
        out["tau_mem"] = 1.0 / iv[-2, 1]
    out["tau_fin"] = 1.0 / iv[0, 0]
    return out


def extensive_spectrum(mixture: Mixture, features: RandomFeatures, t: float, *,
                       d: int | None = None, order: int = 40, n_grid: int = 400,
                       rule: str = "hermite") -> ExtensiveSpectrum:
    """Density, bulk edges, timescales and (for a given ``d``) outliers for extensive centroids
    (THEORY.md §6), with ``E_m`` over the Gaussian law of ``m`` (``order`` nodes per axis).

    The density is returned on ``n_grid`` equispaced points from ``min s̄²(m)/2`` to 5 % above
    the upper edge (for CDFs use :func:`adaptive_density`).
    """
    nodes = gaussian_nodes(mixture, features, t, order=order, rule=rule)
    n_grid = _check_positive_int("n_grid", n_grid, 2)
    e = extensive_edges(nodes)
    hi = float(e.intervals[-1, 1]) if e.intervals.size else upper_edge(nodes).edge
    lam = np.linspace(0.5 * float(nodes.s2bar.min()), 1.05 * hi, n_grid)
    dens = extensive_density(lam, nodes)
    if dens.n_failed:
        raise RuntimeError(f"bulk equations did not converge at {dens.n_failed} grid points "
                           f"(first at lambda = {lam[~dens.converged][0]:g})")
    if d is not None:
        o = outliers(nodes, d)
        locs, cls = o.locations, o.classes
    else:
        locs, cls = np.zeros(0), np.zeros(0, int)
    return ExtensiveSpectrum(t=nodes.t, lam=lam, density=dens.density, intervals=e.intervals,
                             masses=e.masses, methods=e.methods, outliers=locs,
                             outlier_classes=cls, times=edge_times(e.intervals),
                             d=None if d is None else int(d))
