"""Bulk solver for extensive centroids (docs/theory/extensive.md, the system of :mod:`classdyn.theory.extensive`):

    R(m; z) = 1 / [−z + s̄²(m) + Σ_c ρ_c v_c²(m)/(1+δ_c) + a(m)ᵀ M a(m)]
    δ_c     = (1/ψ_n) [e2 σ_c² (T (I + diag(κ) T)⁻¹)_cc + ψ_p E_m[v_c² R]]

with ``T = ψ_p E_m[a aᵀ R]``, ``M = (diag(κ)⁻¹ + T)⁻¹``, ``κ_c = ρ_c (e2 σ_c²/(1+δ_c) + Δ)``;
density ``ρ(λ) = E_m[Im R(m; λ + i0⁺)]/π`` (:func:`extensive_density`, :func:`adaptive_density`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from classdyn.theory.extensive_nodes import ExtensiveNodes, _check_nodes
from classdyn.theory.params import check_int, check_positive


# --------------------------------------------------------------------------- bulk solver
def _K():
    from classdyn.theory import _extensive_kernels as K

    return K


@dataclass
class BulkSolution:
    """Solution of the bulk system at points ``z`` (docs/theory/extensive.md).

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
    """Solve the bulk equations of docs/theory/extensive.md at complex ``z`` (``Im z > 0``).

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
    tol = check_positive(tol, "tol")
    maxit = check_int(maxit, "maxit")
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
    """Bulk density ``ρ(λ) = Im q(λ + iη)/π`` on a grid (docs/theory/extensive.md).

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
    x: np.ndarray | None = None  # (n, C + C(C+1)/2) solutions (δ, T_jl), for warm starts

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
    """Density ``ρ(λ) = lim_{η→0+} Im q(λ + iη)/π`` of docs/theory/extensive.md on the grid ``lam``.

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
    eta = check_positive(eta, "eta")
    tol = check_positive(tol, "tol")
    maxit = check_int(maxit, "maxit")
    K = _K()
    pj, pl = K.pair_index(nodes.n_classes)
    fn = K.density_grid_warm if warm else K.density_grid
    args = nodes.kernel_args()
    eta0 = _eta0(lam, nodes)
    X, Q, RES, ITS, ST = fn(lam, eta, eta0, *args, pj, pl, tol, maxit)
    # a point flagged converged must satisfy its equations on the physical branch (issue 12: a
    # warm-started point on Im q < 0 came back "converged" with zero density inside a bulk and
    # split it); one that does not is redone by its own η-continuation, and flagged if that
    # fails the check too
    good = K.verify_points(lam, eta, X, Q, ST, *args, pj, pl, tol)
    bad = np.flatnonzero((ST == 0) & ~good)
    if bad.size:
        Xb, Qb, Rb, Ib, Sb = K.density_grid(lam[bad], eta, eta0[bad], *args, pj, pl, tol, maxit)
        gb = K.verify_points(lam[bad], eta, Xb, Qb, Sb, *args, pj, pl, tol)
        Sb = np.where(gb, 0, np.where(Sb == 0, K.BRANCH, Sb))
        X[bad], Q[bad], RES[bad], ITS[bad], ST[bad] = Xb, Qb, Rb, Ib, Sb
    return ExtensiveDensity(lam=lam, density=np.maximum(Q.imag, 0.0) / math.pi, q=Q, eta=eta,
                            residual=RES, converged=ST == 0, status=ST, x=X)


def refine_density(dens: ExtensiveDensity, nodes: ExtensiveNodes, *, tol: float = 1e-12,
                   maxit: int = 20) -> ExtensiveDensity:
    """:func:`extensive_density` at the points of ``dens`` on other ``nodes`` (a finer rule),
    each point's Newton started from its solution in ``dens`` (same ``λ``, same ``η``; much
    cheaper than a new η-continuation when the two rules are close). A point whose Newton
    fails, or that fails the re-check of :func:`_extensive_kernels.verify_points` (residual,
    ``q = E_m R``, physical branch), is redone by its own η-continuation."""
    _check_nodes(nodes)
    if dens.x is None:
        return extensive_density(dens.lam, nodes, eta=dens.eta, tol=tol, maxit=60)
    K = _K()
    pj, pl = K.pair_index(nodes.n_classes)
    args = nodes.kernel_args()
    lam, eta = dens.lam, dens.eta
    n = lam.size
    X = dens.x.copy()
    Q = np.zeros(n, complex)
    RES = np.zeros(n)
    ST = np.ones(n, np.int64)
    for i in range(n):
        X[i], Q[i], RES[i], _, ST[i] = K.newton(complex(lam[i], eta), dens.x[i], *args, pj, pl,
                                                 tol, maxit)
    good = K.verify_points(lam, eta, X, Q, ST, *args, pj, pl, tol)
    bad = np.flatnonzero(~good)
    if bad.size:
        Xb, Qb, Rb, _, Sb = K.density_grid(lam[bad], eta, _eta0(lam[bad], nodes), *args, pj, pl,
                                           tol, 60)
        gb = K.verify_points(lam[bad], eta, Xb, Qb, Sb, *args, pj, pl, tol)
        Sb = np.where(gb, 0, np.where(Sb == 0, K.BRANCH, Sb))
        X[bad], Q[bad], RES[bad], ST[bad] = Xb, Qb, Rb, Sb
    return ExtensiveDensity(lam=lam, density=np.maximum(Q.imag, 0.0) / math.pi, q=Q, eta=eta,
                            residual=RES, converged=ST == 0, status=ST, x=X)


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
    n0 = check_int(n0, "n0", 3)
    rtol = check_positive(rtol, "rtol")
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
