"""Stieltjes solvers of the centred spectral equations (docs/theory/spectrum-centred.md): ``q(z)``, ``r(z)`` and the
density ``ρ(λ) = Im q(λ + i0⁺)/π``. Second-to-last link of the chain ``spectral_params`` →
``curve`` → ``stieltjes`` → ``edges`` → ``spectrum``.

Solvers
-------
``method="continuation"`` (the default): damped Newton on the two equations, with a short
adaptive continuation in ``Im z`` from the large-``|z|`` branch, then a polish at ``Im z = 0``
exactly (30–110 Newton iterations per point). On a real grid, points inside a bulk are instead
warm-started from their neighbour (about 3.5 iterations; gap points are always solved on their
own, see ``_spectrum_kernels.solve_real_path``). The kernels run as plain Python for small work
and compiled by Numba for large grids (``_spectrum_kernels.kernels``).
``method="polynomial"``: the algebraic-curve route — the roots of the eliminated polynomial
``P(q, z)`` of :mod:`classdyn.theory.edges` at each ``λ`` (NumPy companion eigenvalues), keeping the root
with ``Im q > 0`` that is consistent with a root ``r`` of the curve having ``Im r > 0``. Slower
(SymPy elimination once, then an eigen-problem per point) and limited to the number of classes
:mod:`classdyn.theory.edges` supports; used to cross-check the compiled solver.

Bulks, their weights and the support come from the edges of :mod:`classdyn.theory.edges` (critical values
of the algebraic curve), with the density integrated between consecutive edges by Gauss–Legendre
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from classdyn.theory.spectral_params import NonConvergenceError, SpectralParams, delta_weight

__all__ = ["StieltjesResult", "DensityResult", "stieltjes", "density", "default_grid"]


@dataclass
class StieltjesResult:
    """``q(z)``, ``r(z)`` on an array of ``z`` (docs/theory/spectrum-centred.md).

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
    """Density ``ρ(λ) = Im q(λ + i0⁺)/π`` on a real grid, plus the delta peak (docs/theory/spectrum-centred.md)."""

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


def _continuation(params: SpectralParams, zz: np.ndarray, compiled=None) -> StieltjesResult:
    """The compiled-or-plain continuation solver (:mod:`classdyn.theory._spectrum_kernels`):
    a real grid is solved along the grid, each point warm-started from its neighbour
    (``solve_real_path``); complex ``z`` point by point from the large-``|z|`` branch."""
    from classdyn.theory._spectrum_kernels import PLAIN_PYTHON_WORK, kernels

    from classdyn.theory._lazyjit import compiled_preferred

    scale = params.scale
    work = zz.size * max(params.n_classes, 1)
    if compiled is None and compiled_preferred():  # a prefer_compiled() block (sweep lines)
        compiled = True
    if compiled is not None:  # forced: the compiled set above the threshold, else the plain one
        work = PLAIN_PYTHON_WORK + 1 if compiled else 0
    K = kernels(work)
    plain = work <= PLAIN_PYTHON_WORK
    psi_p, k, rho, a2, v2, bb2, ss2 = _kernel_args(params)
    if plain:  # Python scalars and lists: NumPy scalars would slow the plain loops ~5x
        rho, a2, v2 = rho.tolist(), a2.tolist(), v2.tolist()
        psi_p, k, bb2, ss2 = float(psi_p), float(k), float(bb2), float(ss2)
    args = (psi_p, k, rho, a2, v2, bb2, ss2, scale, ETA_MIN_REL * scale, NEWTON_TOL,
            NEWTON_MAXIT)
    if np.all(zz.imag == 0):
        order = np.argsort(-zz.real, kind="stable")
        xs = np.ascontiguousarray(zz.real[order])
        got = K.solve_real_path(xs.tolist() if plain else xs, *args)
        q, r, status, res, its, eta = (np.empty_like(a) for a in got[:6])
        for dst, src in zip((q, r, status, res, its, eta), got[:6]):
            dst[order] = src
    else:
        x, y = np.ascontiguousarray(zz.real), np.ascontiguousarray(zz.imag)
        if plain:
            x, y = x.tolist(), y.tolist()
        q, r, status, res, its, eta = K.solve_grid(x, y, *args)
    return StieltjesResult(z=zz, q=q, r=r, converged=status == 0, status=status,
                           residual=res, iterations=its, eta=eta, method="continuation")


def stieltjes(params: SpectralParams, z, *, method: str = "continuation",
              strict: bool = True, compiled: bool | None = None) -> StieltjesResult:
    """Stieltjes transform ``q(z) = (1/p) tr (U − z)⁻¹`` of the GEP matrix (docs/theory/spectrum-centred.md).

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
    compiled : ``None`` (default) runs the kernels as plain Python for small work (points ×
        classes ≤ 20,000) and compiled by Numba beyond; ``True``/``False`` force one of them
        (the same source: results agree to rounding).
    """
    if not isinstance(params, SpectralParams):
        raise TypeError(f"params must be a SpectralParams, got {type(params)}")
    zz = _as_z(z)
    if method == "continuation":
        out = _continuation(params, zz, compiled)
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
    from classdyn.theory.curve import numeric_curve

    curve = numeric_curve(params)
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
    """Spectral density ``ρ(λ) = lim_{η→0⁺} Im q(λ + iη)/π`` on a real grid (docs/theory/spectrum-centred.md).

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
