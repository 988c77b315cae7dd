"""Bulks of the centred spectral density (docs/theory/spectrum-centred.md): support, weights, delta peak, CDF.

Last link of the centred chain, which runs one way: :mod:`classdyn.theory.spectral_params`
(``SpectralParams``) → :mod:`classdyn.theory.curve` (algebraic curve, edge polynomial) →
:mod:`classdyn.theory.stieltjes` (``stieltjes``, ``density``) → :mod:`classdyn.theory.edges`
(``find_edges``) → this module (``spectrum``, ``cdf_grid``, ``ks_distance``). The names of
the earlier links are re-exported here for convenience.

quadrature in the angle variable ``λ = a + (b − a)(1 − cos θ)/2`` (exact for the square-root
edges, integrable at the inverse-square-root edge at ``s̄²`` when ``ψ_p = 1 + ψ_n``).

"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from classdyn.theory.bulks import Bulk
from classdyn.theory.edges import find_edges
from classdyn.theory.spectral_params import NonConvergenceError, SpectralParams, delta_weight
from classdyn.theory.stieltjes import (DensityResult, StieltjesResult, default_grid, density,
                                       stieltjes)

__all__ = ["SpectralParams", "StieltjesResult", "DensityResult", "Bulk", "Spectrum",
           "NonConvergenceError", "IncompleteSpectrumError", "TOTAL_MASS_TOL", "stieltjes", "density", "delta_weight", "spectrum",
           "default_grid", "cdf_grid", "ks_distance"]



@dataclass
class Spectrum:
    """Support, bulk weights and delta peak of the density (docs/theory/spectrum-centred.md, bulks).

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

@functools.lru_cache(maxsize=8)
def _leggauss(nodes: int):
    """Gauss–Legendre nodes and weights on [-1, 1] (NumPy's eigenvalue method, ~30 ms for 120
    nodes: computed once per process)."""
    return np.polynomial.legendre.leggauss(nodes)


def _bulk_mass(params: SpectralParams, a: float, b: float, nodes: int, compiled=None) -> float:
    """``∫_a^b ρ(λ) dλ`` with ``λ = a + (b − a)(1 − cos θ)/2``, Gauss–Legendre in ``θ``
    (``compiled``: as :func:`~classdyn.theory.stieltjes.stieltjes`)."""
    x, w = _leggauss(nodes)
    theta = (x + 1.0) * math.pi / 2.0
    lam = a + (b - a) * (1.0 - np.cos(theta)) / 2.0
    jac = (b - a) * np.sin(theta) / 2.0 * (math.pi / 2.0)
    res = stieltjes(params, lam, strict=False, compiled=compiled)
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

#: Largest ``|total mass − 1|`` (bulks plus delta peak) that :func:`spectrum` returns. Each bulk
#: piece is integrated to :data:`MASS_TOL`; the inverse-square-root edge at ``ψ_p = 1 + ψ_n``
#: loses up to 7e-5 (measured); a bulk that the edge classifier missed costs its whole weight
#: (0.25 and 0.5 in the cases that motivated the check). 1e-4 separates the two.
TOTAL_MASS_TOL = 1e-4


class IncompleteSpectrumError(NonConvergenceError, ValueError):
    """The spectrum found does not add up to mass 1 (a bulk was not resolved): refused."""


def _adaptive_mass(params, lo, hi, nodes, whole, depth, compiled=None):
    """Adaptive bisection of ``∫_lo^hi ρ``: split until halves agree with the whole to
    :data:`MASS_TOL` (depth ≤ 14)."""
    mid = 0.5 * (lo + hi)
    left = _bulk_mass(params, lo, mid, nodes, compiled)
    right = _bulk_mass(params, mid, hi, nodes, compiled)
    if abs(left + right - whole) <= MASS_TOL or depth >= 14:
        return left + right
    return (_adaptive_mass(params, lo, mid, nodes, left, depth + 1, compiled)
            + _adaptive_mass(params, mid, hi, nodes, right, depth + 1, compiled))


def _bulk_masses(params, edges, cuts=(), *, nodes: int = 64, compiled=None, inside=False):
    """``∫ρ`` over each bulk ``[e₀, e₁], [e₂, e₃], …``: each bulk cut at the points of ``cuts``
    inside it (where the density has structure), each piece by :func:`_adaptive_mass`, its
    first level (the whole piece and both halves, Gauss–Legendre in the angle variable) solved
    in one call. ``inside=True`` (bulks whose edges were not certified: the fold continuation of
    :mod:`classdyn.theory.spectrum_path`) returns ``None`` when a first-level node fails or has
    zero density (``Im q ≤`` :data:`~classdyn.theory.edges_numeric.BULK_RTOL` ``|q|``: a gap
    inside what was taken for a bulk) instead of integrating over it."""
    from classdyn.theory.edges_numeric import BULK_RTOL

    x, w = _leggauss(nodes)
    theta = (x + 1.0) * math.pi / 2.0
    u = (1.0 - np.cos(theta)) / 2.0
    du = np.sin(theta) / 2.0 * (math.pi / 2.0) * w / math.pi  # dλ/(b − a) times the weight, /π
    masses = []
    for lo_edge, hi_edge in zip(edges[::2], edges[1::2]):
        inner = [c for c in cuts if lo_edge < c < hi_edge]
        total = 0.0
        for a, b in zip([lo_edge] + inner, inner + [hi_edge]):
            m = 0.5 * (a + b)
            pieces = ((a, b), (a, m), (m, b))
            lam = np.concatenate([lo + (hi - lo) * u for lo, hi in pieces])
            res = stieltjes(params, lam, strict=False, compiled=compiled)
            q = res.q
            if inside:
                if not res.all_converged or np.any(q.imag <= BULK_RTOL * np.abs(q)):
                    return None
            elif not res.all_converged:
                # points a hair from an edge may stop at eta_min: harmless for the integral
                bad = ~res.converged
                if np.any(bad & (np.abs(q) > 0)):
                    raise NonConvergenceError(f"density did not converge at {bad.sum()} "
                                              f"quadrature nodes in [{a}, {b}]", lam[bad])
            rho = np.maximum(q.imag, 0.0)
            whole, left, right = ((hi - lo) * float(np.sum(du * rho[i * nodes:(i + 1) * nodes]))
                                  for i, (lo, hi) in enumerate(pieces))
            if abs(left + right - whole) > MASS_TOL:
                left = _adaptive_mass(params, a, m, nodes, left, 1, compiled)
                right = _adaptive_mass(params, m, b, nodes, right, 1, compiled)
            total += left + right
        masses.append(total)
    return masses


def spectrum(params: SpectralParams, *, dps: int = 30, nodes: int = 64,
             compiled: bool | None = None) -> Spectrum:
    """Support, bulk weights, delta peak and total mass (docs/theory/spectrum-centred.md, "Bulks").

    The edges are the true edges of :func:`classdyn.theory.edges.find_edges` (algebraic curve, mpmath
    with ``dps`` digits); each bulk's weight is ``∫ρ`` over it: the bulk is cut at the non-edge
    roots of the edge polynomial inside it, and each piece is integrated by adaptive bisection
    (to :data:`MASS_TOL`), Gauss–Legendre with ``nodes`` nodes in the angle variable
    ``λ = a + (b−a)(1 − cos θ)/2`` on each sub-piece (64 by default: total mass within 4e-13 of 1
    in the tested cases, as with 120, at half the density evaluations; 32 lose 1e-12). When the density starts at ``s̄²`` with an
    inverse-square-root singularity (``ψ_p = 1 + ψ_n``), ``s̄²`` is the leftmost edge
    (``singular_lower_edge``). ``compiled`` chooses the density kernels of the masses as in
    :func:`~classdyn.theory.stieltjes.stieltjes` (``True``: Numba, for many calls).
    """
    ed = find_edges(params, dps=dps)
    edges = [float(e) for e in ed.edges]
    if len(edges) % 2:
        raise NonConvergenceError(f"found an odd number of edges {ed.edge_strings()}: the "
                                  f"classification failed; inspect classdyn.theory.edges.find_edges")
    others = sorted(float(c) for c, e in zip(ed.candidates, ed.is_edge) if not e)
    # each bulk split at the non-edge roots of E inside it (cusps, near-gaps)
    masses = _bulk_masses(params, edges, others, nodes=nodes, compiled=compiled)
    bulks = [Bulk(a, b, m) for a, b, m in zip(edges[::2], edges[1::2], masses)]
    dw = delta_weight(params)
    total = sum(b.weight for b in bulks) + dw
    if abs(total - 1.0) > TOTAL_MASS_TOL:
        raise IncompleteSpectrumError(
            f"the bulks found and the delta peak carry total mass {total:.6g}, not 1: a bulk was "
            f"not resolved (edges found: {', '.join(ed.edge_strings()) or 'none'}; s^2 = "
            f"{params.sbar2:.10g}). This happens when bulks are squeezed into a sliver against "
            f"s^2 (very small class variances, or large t where the data signal ~ e^(-2t) "
            f"vanishes); refusing rather than returning an incomplete spectrum", [total])
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
