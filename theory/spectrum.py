"""Spectral density of the Gaussian-equivalent feature covariance ``U``, centred classes.

THEORY.md §5 (paper App. F.3, eqs. (63), (114)). For centred classes the GEP matrix is

.. math::

    U = \\sum_c \\frac{1}{n} G_c G_c^T + \\bar b^2 K + \\bar s^2 I_p,\\qquad
    K = W W^T/d,\\quad G_c = a_c e^{-t} W X_c/\\sqrt d + v_c \\Omega_c,

and its Stieltjes transform ``q(z) = (1/p) tr (U − z)⁻¹`` solves, with ``r = (1/p) tr K(U − z)⁻¹``
and ``α_c² = a_c² e^{−2t} σ_c²``,

* ``δ_c = (ψ_p/ψ_n)(α_c² r + v_c² q)``,
* ``A = b̄² + Σ_c ρ_c α_c²/(1+δ_c)``,  ``B = −z + s̄² + Σ_c ρ_c v_c²/(1+δ_c)``,
* ``A r + B q = 1``  and  ``r = ψ_p B q² + (1 − ψ_p) q``

(two complex unknowns for any number of classes). The density is ``ρ(λ) = Im q(λ + i0⁺)/π``;
the physical branch has ``Im q > 0`` for ``Im z > 0`` and ``q ~ −1/z`` as ``|z| → ∞``. Besides the
bulks there is a delta peak at ``s̄²`` of weight ``max(0, 1 − (ψ_n + ψ_K)/ψ_p)`` with
``ψ_K = min(1, ψ_p)`` when ``b̄² > 0`` or some ``α_c² > 0`` (rank counting: ``Σ G_c G_cᵀ/n``
has rank ``n``, ``b̄² K`` adds the ``d`` directions of ``W``), ``ψ_K = 0`` otherwise.

Solvers
-------
``method="continuation"`` (the compiled default): damped Newton on the two equations, vectorised
over the grid in Numba, with a short adaptive continuation in ``Im z`` from the large-``|z|``
branch, then a polish at ``Im z = 0`` exactly. Typically 30–60 Newton iterations per point.
``method="polynomial"``: the algebraic-curve route — the roots of the eliminated polynomial
``P(q, z)`` of :mod:`classdyn.theory.edges` at each ``λ`` (NumPy companion eigenvalues), keeping the root
with ``Im q > 0`` that is consistent with a root ``r`` of the curve having ``Im r > 0``. Slower
(SymPy elimination once, then an eigen-problem per point) and limited to the number of classes
:mod:`classdyn.theory.edges` supports; used to cross-check the compiled solver.

Bulks, their weights and the support come from the edges of :mod:`classdyn.theory.edges` (critical values
of the algebraic curve), with the density integrated between consecutive edges by Gauss–Legendre
quadrature in the angle variable ``λ = a + (b − a)(1 − cos θ)/2`` (exact for the square-root
edges, integrable at the inverse-square-root edge at ``s̄²`` when ``ψ_p = 1 + ψ_n``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["SpectralParams", "StieltjesResult", "DensityResult", "Bulk", "Spectrum",
           "NonConvergenceError", "stieltjes", "density", "delta_weight", "spectrum",
           "default_grid", "cdf_grid", "ks_distance"]


class NonConvergenceError(RuntimeError):
    """A solver did not converge at some points; ``points`` holds their ``z`` values."""

    def __init__(self, message: str, points=None):
        super().__init__(message)
        self.points = np.asarray(points if points is not None else [])


def _vec(name, value, n=None, allow_zero=True):
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of numbers, got {value!r}")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} must have one entry per class ({n}), got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}")
    if np.any(arr < 0) or (not allow_zero and np.any(arr <= 0)):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {arr.tolist()}")
    return arr


def _scalar(name, value, positive=False):
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        raise ValueError(f"{name} must be finite and {'> 0' if positive else '>= 0'}, "
                         f"got {value!r}")
    return x


@dataclass(frozen=True)
class SpectralParams:
    """Plain numbers that fix the spectrum of the centred-class GEP matrix (THEORY.md §5).

    Parameters
    ----------
    psi_p, psi_n : ``p/d > 0`` and ``n/d > 0``.
    rho : class weights ``ρ_c > 0`` summing to 1 (shape ``(C,)``).
    alpha2 : ``α_c² = a_c² e^{−2t} σ_c² ≥ 0`` (data-direction strength of class ``c``).
    v2 : ``v_c² ≥ 0`` (GEP noise of class ``c``).
    bbar2 : ``b̄² = Σ_c ρ_c b_c² ≥ 0`` (weight of ``K = W Wᵀ/d``).
    sbar2 : ``s̄² = Σ_c ρ_c s_c² ≥ 0`` (the identity shift; location of the delta peak).

    At least one of ``alpha2``, ``v2`` must be non-zero somewhere (otherwise ``U`` has no
    random part).
    """

    psi_p: float
    psi_n: float
    rho: np.ndarray
    alpha2: np.ndarray
    v2: np.ndarray
    bbar2: float = 0.0
    sbar2: float = 0.0

    def __post_init__(self):
        psi_p = _scalar("psi_p", self.psi_p, positive=True)
        psi_n = _scalar("psi_n", self.psi_n, positive=True)
        rho = _vec("rho", self.rho, allow_zero=False)
        C = rho.size
        if abs(rho.sum() - 1.0) > 1e-9:
            raise ValueError(f"rho must sum to 1 (within 1e-9), got {rho.tolist()} "
                             f"(sum {rho.sum():.12g})")
        a2 = _vec("alpha2", self.alpha2, C)
        v2 = _vec("v2", self.v2, C)
        if not np.any(a2 > 0) and not np.any(v2 > 0):
            raise ValueError(f"alpha2 and v2 cannot all vanish (no random part in U), got "
                             f"alpha2={a2.tolist()}, v2={v2.tolist()}")
        for name, val in (("psi_p", psi_p), ("psi_n", psi_n)):
            object.__setattr__(self, name, val)
        object.__setattr__(self, "rho", rho)
        object.__setattr__(self, "alpha2", a2)
        object.__setattr__(self, "v2", v2)
        object.__setattr__(self, "bbar2", _scalar("bbar2", self.bbar2))
        object.__setattr__(self, "sbar2", _scalar("sbar2", self.sbar2))
        for arr in (rho, a2, v2):
            arr.setflags(write=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_model(cls, mixture, rf, t: float, m=None) -> "SpectralParams":
        """Parameters of the GEP matrix for a centred ``mixture`` (THEORY.md §4–5).

        ``α_c² = a_c² e^{−2t} σ_c²``, ``v_c²``, ``b̄² = Σ ρ_c b_c²``, ``s̄² = Σ ρ_c s_c²`` from
        :func:`classdyn.theory.coefficients.class_coefficients` (Gaussian-equivalence coefficients of
        ``rf.activation`` at diffusion time ``t``). ``rf`` is a
        :class:`classdyn.theory.params.RandomFeatures`; the population weights ``ρ_c`` of the mixture
        stand for ``ρ̂_c`` (their limit).
        """
        from classdyn.theory.params import Mixture, RandomFeatures, check_time

        if not isinstance(mixture, Mixture):
            raise TypeError(f"mixture must be a classdyn.theory.params.Mixture, got {type(mixture)}")
        if not isinstance(rf, RandomFeatures):
            raise TypeError(f"rf must be a classdyn.theory.params.RandomFeatures, got {type(rf)}")
        t = check_time(t)
        if not mixture.centred:
            raise ValueError(f"the centred-class spectrum needs norms2 = 0 for every class, got "
                             f"norms2={list(mixture.norms2)}; extensive centroids are THEORY.md "
                             f"§6")
        from classdyn.theory.coefficients import class_coefficients

        co = class_coefficients(mixture, rf.activation, t, m=m)
        rho = np.asarray(mixture.weights)
        var = np.asarray(mixture.variances)
        a = np.asarray(co.a, dtype=float).reshape(-1)
        b = np.asarray(co.b, dtype=float).reshape(-1)
        v2 = np.asarray(co.v2, dtype=float).reshape(-1)
        s2 = np.asarray(co.s2, dtype=float).reshape(-1)
        alpha2 = a * a * math.exp(-2.0 * t) * var
        # tiny negative rounding of variance-like coefficients (e.g. linear activation: v² = 0)
        v2 = np.where(np.abs(v2) < 1e-14, 0.0, v2)
        s2v = float(rho @ s2)
        s2v = 0.0 if abs(s2v) < 1e-14 else s2v
        return cls(psi_p=rf.psi_p, psi_n=rf.psi_n, rho=rho, alpha2=alpha2, v2=v2,
                   bbar2=float(rho @ (b * b)), sbar2=s2v)

    @classmethod
    def marchenko_pastur(cls, psi_p: float, psi_n: float) -> "SpectralParams":
        """Pure-noise features (``α = b̄ = s̄ = 0``, ``v = 1``): ``U = Ω Ωᵀ/n``, MP of ratio
        ``ψ_p/ψ_n``."""
        return cls(psi_p=psi_p, psi_n=psi_n, rho=[1.0], alpha2=[0.0], v2=[1.0])

    # ------------------------------------------------------------------ properties
    @property
    def n_classes(self) -> int:
        return int(self.rho.size)

    @property
    def k(self) -> float:
        """``ψ_p/ψ_n`` (the factor in ``δ_c``)."""
        return self.psi_p / self.psi_n

    @property
    def scale(self) -> float:
        """An upper bound on the spectrum's extent (used for starting points and grids).

        ``s̄² + b̄² (1+√ψ_p)² + Σ_c ρ_c [α_c² (1+√ψ_p)² (1+1/√ψ_n)² + v_c² (1+√(ψ_p/ψ_n))²]``
        — the sum of the largest eigenvalues of the terms of ``U`` (Marchenko–Pastur edges of
        ``K``, of ``Z Zᵀ/n`` (d×d) and of ``Ω Ωᵀ/n`` (p×p)).
        """
        sp = (1 + math.sqrt(self.psi_p)) ** 2
        sd = (1 + 1 / math.sqrt(self.psi_n)) ** 2
        sn = (1 + math.sqrt(self.k)) ** 2
        return float(self.sbar2 + self.bbar2 * sp
                     + np.sum(self.rho * (self.alpha2 * sp * sd + self.v2 * sn)))

    def merged(self) -> "SpectralParams":
        """The same spectrum with classes of identical ``(α_c², v_c²)`` merged (weights added).

        The equations of THEORY.md §5 depend on the classes only through ``Σ_c ρ_c f(α_c², v_c²)``
        so merging is exact; it removes the common factors that identical classes put into the
        eliminated polynomials of :mod:`classdyn.theory.edges`.
        """
        keys, weights = [], []
        for r, a, v in zip(self.rho, self.alpha2, self.v2):
            if (a, v) in keys:
                weights[keys.index((a, v))] += r
            else:
                keys.append((a, v))
                weights.append(r)
        if len(keys) == self.n_classes:
            return self
        return SpectralParams(psi_p=self.psi_p, psi_n=self.psi_n, rho=weights,
                              alpha2=[k[0] for k in keys], v2=[k[1] for k in keys],
                              bbar2=self.bbar2, sbar2=self.sbar2)

    def to_dict(self) -> dict[str, Any]:
        return {"psi_p": self.psi_p, "psi_n": self.psi_n, "rho": self.rho.tolist(),
                "alpha2": self.alpha2.tolist(), "v2": self.v2.tolist(), "bbar2": self.bbar2,
                "sbar2": self.sbar2}

    def key(self) -> tuple:
        """Hashable key (exact floats), used by caches."""
        return (self.psi_p, self.psi_n, tuple(self.rho), tuple(self.alpha2), tuple(self.v2),
                self.bbar2, self.sbar2)


def delta_weight(params: SpectralParams) -> float:
    """Weight of the delta peak of the density at ``s̄²`` (THEORY.md §5, paper App. F.3.1).

    Rank counting: ``Σ_c G_c G_cᵀ/n`` has rank ``min(n, p)``; ``b̄² K`` (or the ``α`` part of
    ``G``) spans the ``min(d, p)`` directions of ``W``; the other directions carry eigenvalue
    ``s̄²`` exactly. So the weight is ``max(0, 1 − (ψ_n + ψ_K)/ψ_p)`` with ``ψ_K = 1`` when the
    ``W`` directions are present and not already counted, i.e. when ``v > 0`` and (``b̄² > 0``
    or ``α > 0``); when ``v ≡ 0`` every ``G_c`` lives in the ``W`` directions and the rank is
    ``min(n + (b̄²>0)·d, d)``.
    """
    p = params.psi_p
    has_w = params.bbar2 > 0 or np.any(params.alpha2 > 0)
    has_v = np.any(params.v2 > 0)
    if has_v:
        rank = params.psi_n + (1.0 if has_w else 0.0)
    else:  # all randomness along W: rank <= d
        rank = 1.0 if params.bbar2 > 0 else min(params.psi_n, 1.0)
    return max(0.0, 1.0 - rank / p)


# ---------------------------------------------------------------------- results
@dataclass
class StieltjesResult:
    """``q(z)``, ``r(z)`` on an array of ``z`` (THEORY.md §5).

    ``converged`` is ``False`` where the solver failed (``status`` 1: Newton did not converge,
    2: the continuation could not keep the physical branch); ``residual`` the final
    ``|G1| + |G2|/|q|``; ``eta`` the imaginary part at which the returned point was solved
    (``0`` = on the real axis; ``> 0`` only for real input where the real-axis polish did not
    settle, typically within ``1e-8`` of an edge).
    """

    z: np.ndarray
    q: np.ndarray
    r: np.ndarray
    converged: np.ndarray
    status: np.ndarray
    residual: np.ndarray
    iterations: np.ndarray
    eta: np.ndarray
    method: str = "continuation"

    @property
    def all_converged(self) -> bool:
        return bool(np.all(self.converged))

    def to_dict(self) -> dict[str, Any]:
        return {"z": self.z, "q": self.q, "r": self.r, "converged": self.converged,
                "status": self.status, "residual": self.residual,
                "iterations": self.iterations, "eta": self.eta, "method": self.method}


@dataclass
class DensityResult:
    """Density ``ρ(λ) = Im q(λ + i0⁺)/π`` on a real grid, plus the delta peak (THEORY.md §5)."""

    lam: np.ndarray
    density: np.ndarray
    q: np.ndarray
    converged: np.ndarray
    residual: np.ndarray
    delta_location: float
    delta_weight: float
    params: SpectralParams

    def to_dict(self) -> dict[str, Any]:
        return {"lam": self.lam, "density": self.density, "q": self.q,
                "converged": self.converged, "residual": self.residual,
                "delta_location": self.delta_location, "delta_weight": self.delta_weight,
                "params": self.params.to_dict()}


@dataclass
class Bulk:
    """One connected piece ``[lower, upper]`` of the support, with its weight (mass)."""

    lower: float
    upper: float
    weight: float

    def to_dict(self) -> dict[str, float]:
        return {"lower": self.lower, "upper": self.upper, "weight": self.weight}


@dataclass
class Spectrum:
    """Support, bulk weights and delta peak of the density (THEORY.md §5, bulks).

    ``bulks`` sorted left to right; ``total_mass = Σ bulk weights + delta_weight`` (should be 1);
    ``edges`` the high-precision edges (strings with ``dps`` digits) they come from.
    """

    bulks: list[Bulk]
    delta_location: float
    delta_weight: float
    total_mass: float
    edges: list[str] = field(default_factory=list)
    singular_lower_edge: bool = False
    params: SpectralParams | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"bulks": [b.to_dict() for b in self.bulks],
                "delta_location": self.delta_location, "delta_weight": self.delta_weight,
                "total_mass": self.total_mass, "edges": list(self.edges),
                "singular_lower_edge": self.singular_lower_edge,
                "params": None if self.params is None else self.params.to_dict()}


# ---------------------------------------------------------------------- solvers
#: Smallest imaginary part of the continuation, relative to the spectrum's scale, before the
#: final polish on the real axis.
ETA_MIN_REL = 1e-14
#: Newton stopping rule: relative step below this.
NEWTON_TOL = 1e-13
NEWTON_MAXIT = 60


def _as_z(z) -> np.ndarray:
    arr = np.atleast_1d(np.asarray(z))
    if arr.dtype.kind not in "biufc":
        raise ValueError(f"z must be numbers, got dtype {arr.dtype}")
    arr = arr.astype(np.complex128).ravel()
    if not np.all(np.isfinite(arr)):
        bad = arr[~np.isfinite(arr)][:5]
        raise ValueError(f"z must be finite, got {bad.tolist()}")
    if np.any(arr.imag < 0):
        bad = arr[arr.imag < 0][:5]
        raise ValueError(f"z must lie in the closed upper half-plane Im z >= 0 (the physical "
                         f"branch is defined there; use q(conj z) = conj q(z)), got "
                         f"{bad.tolist()}")
    return arr


def _kernel_args(params: SpectralParams):
    return (params.psi_p, params.k, np.ascontiguousarray(params.rho),
            np.ascontiguousarray(params.alpha2), np.ascontiguousarray(params.v2),
            params.bbar2, params.sbar2)


def stieltjes(params: SpectralParams, z, *, method: str = "continuation",
              strict: bool = True) -> StieltjesResult:
    """Stieltjes transform ``q(z) = (1/p) tr (U − z)⁻¹`` of the GEP matrix (THEORY.md §5).

    Solves ``A r + B q = 1``, ``r = ψ_p B q² + (1 − ψ_p) q`` with
    ``δ_c = (ψ_p/ψ_n)(α_c² r + v_c² q)``, ``A = b̄² + Σ ρ_c α_c²/(1+δ_c)``,
    ``B = −z + s̄² + Σ ρ_c v_c²/(1+δ_c)``, on the branch ``Im q > 0`` (``Im z > 0``),
    ``q ~ −1/z`` at infinity. Real ``z`` means ``z + i0⁺``.

    Parameters
    ----------
    params : :class:`SpectralParams`.
    z : complex or real array, ``Im z ≥ 0`` (``ValueError`` otherwise).
    method : ``"continuation"`` (compiled) or ``"polynomial"`` (roots of ``P(q, z)``, real
        ``z`` only, ``C ≤ 3``).
    strict : raise :class:`NonConvergenceError` if any point fails (default); with
        ``strict=False`` failures are reported in ``converged``/``status``.
    """
    if not isinstance(params, SpectralParams):
        raise TypeError(f"params must be a SpectralParams, got {type(params)}")
    zz = _as_z(z)
    if method == "continuation":
        from classdyn.theory._spectrum_kernels import solve_grid

        scale = params.scale
        q, r, status, res, its, eta = solve_grid(
            np.ascontiguousarray(zz.real), np.ascontiguousarray(zz.imag),
            *_kernel_args(params), scale, ETA_MIN_REL * scale, NEWTON_TOL, NEWTON_MAXIT)
        out = StieltjesResult(z=zz, q=q, r=r, converged=status == 0, status=status,
                              residual=res, iterations=its, eta=eta, method=method)
    elif method == "polynomial":
        if np.any(zz.imag != 0):
            raise ValueError("method='polynomial' takes real z (z = λ + i0⁺) only")
        out = _stieltjes_polynomial(params, zz.real)
    else:
        raise ValueError(f"method must be 'continuation' or 'polynomial', got {method!r}")
    if strict and not out.all_converged:
        bad = out.z[~out.converged]
        raise NonConvergenceError(
            f"the spectral equations did not converge at {bad.size} of {out.z.size} points "
            f"(first: {bad[:5].tolist()}); pass strict=False to get the flags", bad)
    return out


def _stieltjes_polynomial(params: SpectralParams, lam: np.ndarray) -> StieltjesResult:
    """``q(λ + i0⁺)`` from the roots of the eliminated polynomial ``P(q, λ)`` (classdyn.theory.edges).

    At each ``λ``: the roots ``q`` of ``P(·, λ)``; for each, the roots ``r`` of the
    ``z``-free curve ``F(q, ·)``, keeping the pair whose explicit ``z(q, r)`` is closest to
    ``λ``; among those with ``Im q > 0`` and ``Im r > 0`` the one closest to the previous point
    (scanning from large ``λ``, where ``q`` is real and close to ``−1/λ``). Where no root has
    ``Im q > 0`` the density is zero and the real root closest to the previous one is kept.
    """
    from classdyn.theory import edges as E

    curve = E.numeric_curve(params)
    order = np.argsort(-lam)
    n = lam.size
    q = np.empty(n, complex)
    r = np.empty(n, complex)
    res = np.empty(n)
    prev = None
    for idx in order:
        x = float(lam[idx])
        cands = curve.solutions(x)
        if not cands:
            q[idx] = r[idx] = np.nan
            res[idx] = np.inf
            continue
        upper = [c for c in cands
                 if c[0].imag > 1e-12 * abs(c[0]) and c[1].imag > -1e-12 * abs(c[1])]
        pool = upper if upper else [c for c in cands if abs(c[0].imag) <= 1e-9 * abs(c[0])] or cands
        ref = prev if prev is not None else -1.0 / x if x != 0 else 0.0
        best = min(pool, key=lambda c: abs(c[0] - ref))
        q[idx], r[idx], res[idx] = best
        prev = best[0]
    conv = np.isfinite(res) & (res < 1e-6)
    return StieltjesResult(z=lam.astype(complex), q=q, r=r, converged=conv,
                           status=np.where(conv, 0, 1), residual=res,
                           iterations=np.zeros(n, int), eta=np.zeros(n), method="polynomial")


def density(params: SpectralParams, lam, *, method: str = "continuation",
            strict: bool = True) -> DensityResult:
    """Spectral density ``ρ(λ) = lim_{η→0⁺} Im q(λ + iη)/π`` on a real grid (THEORY.md §5).

    The delta peak at ``s̄²`` (weight :func:`delta_weight`) is reported separately, not on the
    grid. ``lam`` must be real and finite. Non-converged points raise
    :class:`NonConvergenceError` (``strict=True``) or are flagged in ``converged``.
    """
    lam_arr = np.atleast_1d(np.asarray(lam))
    if lam_arr.dtype.kind == "c":
        raise ValueError("lam must be real (the density lives on the real axis)")
    lam_arr = lam_arr.astype(float).ravel()
    res = stieltjes(params, lam_arr, method=method, strict=strict)
    rho = np.maximum(res.q.imag, 0.0) / math.pi
    return DensityResult(lam=lam_arr, density=rho, q=res.q, converged=res.converged,
                         residual=res.residual, delta_location=params.sbar2,
                         delta_weight=delta_weight(params), params=params)


def default_grid(params: SpectralParams, n: int = 400) -> np.ndarray:
    """A real grid from ``max(0, s̄² − scale/n)`` to the spectrum's upper bound ``scale``."""
    if n < 2:
        raise ValueError(f"n must be >= 2, got {n}")
    hi = params.scale
    lo = max(0.0, params.sbar2 - hi / n)
    return np.linspace(lo, hi, n)


# ---------------------------------------------------------------------- bulks
def _bulk_mass(params: SpectralParams, a: float, b: float, nodes: int) -> float:
    """``∫_a^b ρ(λ) dλ`` with ``λ = a + (b − a)(1 − cos θ)/2``, Gauss–Legendre in ``θ``."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    theta = (x + 1.0) * math.pi / 2.0
    lam = a + (b - a) * (1.0 - np.cos(theta)) / 2.0
    jac = (b - a) * np.sin(theta) / 2.0 * (math.pi / 2.0)
    res = stieltjes(params, lam, strict=False)
    if not res.all_converged:
        # points a hair from an edge may stop at eta_min: harmless for the integral
        bad = ~res.converged
        if np.any(bad & (np.abs(res.q) > 0)):
            raise NonConvergenceError(f"density did not converge at {bad.sum()} quadrature "
                                      f"nodes in [{a}, {b}]", lam[bad])
    rho = np.maximum(res.q.imag, 0.0) / math.pi
    return float(np.sum(w * jac * rho))


#: absolute accuracy asked of each piece of the adaptive bulk integration
MASS_TOL = 1e-10


def _adaptive_mass(params, lo, hi, nodes, whole, depth):
    """Adaptive bisection of ``∫_lo^hi ρ``: split until halves agree with the whole to
    :data:`MASS_TOL` (depth ≤ 14)."""
    mid = 0.5 * (lo + hi)
    left = _bulk_mass(params, lo, mid, nodes)
    right = _bulk_mass(params, mid, hi, nodes)
    if abs(left + right - whole) <= MASS_TOL or depth >= 14:
        return left + right
    return (_adaptive_mass(params, lo, mid, nodes, left, depth + 1)
            + _adaptive_mass(params, mid, hi, nodes, right, depth + 1))


def spectrum(params: SpectralParams, *, dps: int = 30, nodes: int = 120) -> Spectrum:
    """Support, bulk weights, delta peak and total mass (THEORY.md §5, "Bulks").

    The edges are the true edges of :func:`classdyn.theory.edges.find_edges` (algebraic curve, mpmath
    with ``dps`` digits); each bulk's weight is ``∫ρ`` over it: the bulk is cut at the non-edge
    roots of the edge polynomial inside it, and each piece is integrated by adaptive bisection
    (to :data:`MASS_TOL`), Gauss–Legendre with ``nodes`` nodes in the angle variable
    ``λ = a + (b−a)(1 − cos θ)/2`` on each sub-piece. When the density starts at ``s̄²`` with an
    inverse-square-root singularity (``ψ_p = 1 + ψ_n``), ``s̄²`` is the leftmost edge
    (``singular_lower_edge``).
    """
    from classdyn.theory.edges import find_edges

    ed = find_edges(params, dps=dps)
    edges = [float(e) for e in ed.edges]
    if len(edges) % 2:
        raise NonConvergenceError(f"found an odd number of edges {ed.edge_strings()}: the "
                                  f"classification failed; inspect classdyn.theory.edges.find_edges")
    others = sorted(float(c) for c, e in zip(ed.candidates, ed.is_edge) if not e)
    bulks = []
    for a, b in zip(edges[::2], edges[1::2]):
        # split at the non-edge roots of E inside the bulk (cusps, near-gaps: where the
        # density has structure), then at most 1/8 of the bulk per piece
        cuts = [a] + [c for c in others if a < c < b] + [b]
        mass = sum(_adaptive_mass(params, lo, hi, nodes, _bulk_mass(params, lo, hi, nodes), 0)
                   for lo, hi in zip(cuts[:-1], cuts[1:]))
        bulks.append(Bulk(a, b, mass))
    dw = delta_weight(params)
    total = sum(b.weight for b in bulks) + dw
    return Spectrum(bulks=bulks, delta_location=params.sbar2, delta_weight=dw,
                    total_mass=total, edges=ed.edge_strings(),
                    singular_lower_edge=ed.singular_lower_edge, params=params)


def cdf_grid(spec: Spectrum, pieces: int = 200, nodes: int = 8):
    """Cumulative distribution ``F(λ) = μ((−∞, λ])`` on a grid, from a :class:`Spectrum`.

    Each bulk ``[a, b]`` is cut at ``λ_j = a + (b − a)(1 − cos θ_j)/2``, ``θ_j = jπ/pieces``
    (dense near the edges), and ``∫ρ`` over each piece is Gauss–Legendre with ``nodes`` nodes in
    ``θ``; the delta peak adds its weight at ``s̄²``. Returns ``(lam, F)`` (increasing ``lam``),
    to be interpolated linearly; ``F`` ends at ``spec.total_mass``.
    """
    if spec.params is None:
        raise ValueError("spec.params is missing: pass a Spectrum from classdyn.theory.spectrum.spectrum")
    params = spec.params
    x, w = np.polynomial.legendre.leggauss(nodes)
    lam_all, mass_all = [], []
    for b in spec.bulks:
        th = np.linspace(0.0, math.pi, pieces + 1)
        lo, hi = th[:-1], th[1:]
        tt = (lo[:, None] + hi[:, None]) / 2 + (hi - lo)[:, None] / 2 * x[None, :]
        lam = b.lower + (b.upper - b.lower) * (1 - np.cos(tt)) / 2
        jac = (b.upper - b.lower) * np.sin(tt) / 2 * ((hi - lo)[:, None] / 2)
        res = stieltjes(params, lam.ravel(), strict=False)
        rho = (np.maximum(res.q.imag, 0.0) / math.pi).reshape(lam.shape)
        lam_all.append(b.lower + (b.upper - b.lower) * (1 - np.cos(th)) / 2)
        mass_all.append(np.concatenate([[0.0], np.cumsum((w[None, :] * jac * rho).sum(1))]))
    grid, F = [], []
    events = sorted([(b.lower, i) for i, b in enumerate(spec.bulks)])
    # the delta (at s̄², below or at every bulk's lower edge) comes first
    total = spec.delta_weight
    grid.append(params.sbar2)
    F.append(total)
    for _, i in events:
        grid.extend(lam_all[i].tolist())
        F.extend((total + mass_all[i]).tolist())
        total += mass_all[i][-1]
    return np.asarray(grid), np.asarray(F)


def ks_distance(spec: Spectrum, eigenvalues, pieces: int = 200) -> float:
    """Kolmogorov–Smirnov distance ``sup |F_theory − F_empirical|`` between a
    :class:`Spectrum` (bulks + delta) and a sample of eigenvalues (e.g. of a GEP matrix).

    The empirical CDF jumps at each eigenvalue; the sup is taken on both sides of each jump.
    Eigenvalues within ``1e-9 (1 + s̄²)`` of ``s̄²`` count as the delta peak.
    """
    ev = np.asarray(eigenvalues, dtype=float).ravel()
    if ev.size == 0 or not np.all(np.isfinite(ev)):
        raise ValueError("eigenvalues must be a non-empty array of finite numbers")
    s2 = spec.delta_location
    ev = np.sort(np.where(np.abs(ev - s2) <= 1e-9 * (1 + s2), s2, ev))
    g, F = cdf_grid(spec, pieces=pieces)
    vals = np.unique(ev)
    n = ev.size
    emp_right = np.searchsorted(ev, vals, side="right") / n
    emp_left = np.searchsorted(ev, vals, side="left") / n
    Ft = np.interp(vals, g, F, left=0.0, right=float(F[-1]))
    # the theoretical CDF is continuous except for the jump of the delta at s̄²
    Ft_left = np.where(vals == s2, Ft - spec.delta_weight, Ft)
    Ft = np.where(vals < s2, 0.0, Ft)
    Ft_left = np.where(vals <= s2, np.maximum(Ft_left, 0.0) * (vals > s2), Ft_left)
    return float(max(np.max(np.abs(Ft - emp_right)), np.max(np.abs(Ft_left - emp_left))))
