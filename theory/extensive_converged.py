"""Extensive-centroid edges and ``q(z)`` with the average ``E_m`` refined until it converges
(issue 12; docs/theory/extensive.md, the system of :mod:`classdyn.theory.extensive`).

A fixed tensor rule over the Gaussian law ``m ~ N(0, e^{−2t} Gram)`` gives numbers that depend
on the rule (docs/findings.md, issue 12). Here the composite Gauss–Legendre rule of
:func:`~classdyn.theory.extensive_nodes.gaussian_nodes` (``rule="legendre"``: 8-point panels
on ``[−8.5, 8.5]`` per whitened axis) is refined by doubling the number of panels, ``N → 2N``
points per axis, until two successive orders agree to ``rtol`` (relative), and the last
difference is returned as the error estimate. Doubling the panels is not nested, but both rules
converge geometrically for an integrand analytic near the real ``g`` axis, so the difference of
two successive orders bounds the error of the coarser one.

What converges and what does not (measured, docs/findings.md): the edges of bulks that are
square-root folds of the real branch, and ``q(z)`` off the real axis or inside those bulks,
converge to ``1e-9`` and better. The top and bottom of the band of per-neuron poles
``D(m) = λ + 1/R(m; λ)`` (the lower bulk of the reference case) are soft: the Gaussian law puts
a tail of weight ``≤ 1e-7`` of poles beyond them, carried by nodes at ``|g| ≳ 5``, so each
rule's fold sits at its own outermost node and no refinement converges. Those edges come back
flagged ``converged = False`` with the spread over the orders as their error.

The density and the bulk masses (what ``model(...).spectrum()`` reports):
:func:`converged_density` refines ``E_m`` per grid point (Newton on the finer rule from the
coarser rule's solution, :func:`~classdyn.theory.extensive_bulk.refine_density`) until two
orders agree to :data:`DENSITY_RTOL` of the peak, with the error per point;
:func:`mass_below` gives the mass below a gap point ``g`` as the contour integral
``−(1/2πi)∮_{|z|=g} q dz``, which meets the real axis only at ``−g`` and in the gap, so that
both ``E_m`` and the contour rule converge geometrically (to :data:`MASS_TOL`) where the
density on the real axis does not (the η-wide poles of single nodes inside a band of poles).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from classdyn.theory.extensive_bulk import ExtensiveDensity, solve_bulk
from classdyn.theory.extensive_edges import (ExtensiveEdges, _fold, _real_start, extensive_edges,
                                             upper_edge)
from classdyn.theory.extensive_nodes import gaussian_nodes, whitening
from classdyn.theory.params import (Mixture, RandomFeatures, check_instance, check_int,
                                    check_positive, check_time)

#: Default relative tolerance between two successive refinements of ``E_m`` (edges and ``q``):
#: 1e-8, about 100× the fold walk's own tolerance (``tol = 1e-10`` relative) and far below any
#: finite-size effect (``p^{-2/3}`` ≥ 1e-3 for ``p ≤ 1e6``).
CONVERGED_RTOL = 1e-8

#: Most nodes of one tensor rule used in a refinement (``order^rank``).
MAX_NODES = 300_000


@dataclass
class ConvergedEdges(ExtensiveEdges):
    """:class:`~classdyn.theory.extensive_edges.ExtensiveEdges` with ``E_m`` refined.

    ``intervals``: each converged edge at the finest order computed, the others as the coarsest
    rule found them; ``errors`` (k, 2): the difference of the last two orders for a converged
    edge, the largest move over all orders for the others (``inf`` where the fold walk failed
    at some order); ``converged`` (k, 2): the last two orders agree to ``rtol |edge|``; ``orders``: the Legendre points per axis used, coarsest first
    (the bulk structure comes from the coarsest, ``density`` too); ``masses`` from
    :func:`gap_masses` (contour integrals, rule-independent) with ``mass_errors`` and
    ``masses_converged``; ``tail_mass``/``tail_error`` (k, 2): :func:`edge_tails` at the edges
    not converged, NaN elsewhere.
    """

    errors: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    converged: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), bool))
    orders: list = field(default_factory=list)
    rtol: float = CONVERGED_RTOL
    tail_mass: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    tail_error: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    mass_errors: np.ndarray = field(default_factory=lambda: np.zeros(0))
    masses_converged: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))

    def to_dict(self) -> dict:
        d = super().to_dict()
        d.update(errors=self.errors, converged=self.converged, orders=self.orders,
                 rtol=self.rtol, tail_mass=self.tail_mass, tail_error=self.tail_error,
                 mass_errors=self.mass_errors, masses_converged=self.masses_converged)
        return d


def _edges_at(nodes, intervals, tol, todo):
    """The edges of ``intervals`` marked in ``todo`` re-located on ``nodes`` by the fold walk of
    :func:`~classdyn.theory.extensive_edges._fold` from the middle of the adjacent gap (from far
    above for the top edge, from half the lowest edge for the bottom one); NaN where the walk
    fails or the edge is not asked for."""
    k = intervals.shape[0]
    out = np.full((k, 2), np.nan)
    for b in range(k):
        a_, b_ = intervals[b]
        lo_start = 0.5 * a_ if b == 0 else 0.5 * (intervals[b - 1, 1] + a_)
        st = _real_start(nodes, lo_start) if todo[b, 0] else None
        if st is not None:
            res = _fold(nodes, st, +1, tol, False, h0=0.5 * (a_ - lo_start))
            if res is not None:
                out[b, 0] = res[1]
        if not todo[b, 1]:
            continue
        if b == k - 1:
            out[b, 1] = upper_edge(nodes, tol=tol).edge
        else:
            hi_start = 0.5 * (b_ + intervals[b + 1, 0])
            st = _real_start(nodes, hi_start)
            if st is not None:
                res = _fold(nodes, st, -1, tol, False, h0=0.5 * (hi_start - b_))
                if res is not None:
                    out[b, 1] = res[1]
    return out


def _orders(order, max_order, rank):
    n = [order]
    while 2 * n[-1] <= max_order and (2 * n[-1]) ** max(rank, 1) <= MAX_NODES:
        n.append(2 * n[-1])
    return n


def converged_edges(mixture: Mixture, features: RandomFeatures, t: float, *,
                    rtol: float = CONVERGED_RTOL, order: int = 64, max_order: int = 256,
                    tol: float = 1e-10, tails: bool = True) -> ConvergedEdges:
    """Bulk edges of docs/theory/extensive.md with ``E_m`` refined until two orders agree.

    The bulks (count, masses, density) come from :func:`extensive_edges` on the composite
    Legendre rule with ``order`` points per axis. Each edge is then re-located, as the critical
    value of the inverse map along the real branch (the fold ``dλ/dx = 0`` of the real solution
    of ``R(m; λ) = 1/[−λ + s̄²(m) + Σ_c ρ_c v_c²(m)/(1+δ_c) + a(m)ᵀ M a(m)]``,
    ``T = ψ_p E_m[a aᵀ R]``, ``δ_c = (1/ψ_n)[e2 σ_c² (T(I + diag(κ)T)⁻¹)_cc + ψ_p E_m[v_c² R]]``),
    on rules of ``2 order``, ``4 order``, … points per axis (at most ``max_order`` and
    :data:`MAX_NODES` nodes) until every edge moves by at most ``rtol`` relative between two
    successive orders. Edges that never do (soft edges of a band of poles, see the module
    docstring) keep the coarsest rule's value, with ``converged = False`` and the largest move
    over the refinements as their error, and (``tails=True``) the mass beyond them,
    :func:`edge_tails` (``tail_mass``, ``tail_error``; NaN at converged edges).
    """
    check_instance(mixture, Mixture, "mixture")
    check_instance(features, RandomFeatures, "features")
    t = check_time(t)
    rtol = check_positive(rtol, "rtol")
    order = check_int(order, "order", 8, 400)
    max_order = check_int(max_order, "max_order", order, 4000)
    rank = whitening(mixture).shape[1]
    orders = _orders(order, max_order, rank)
    base = extensive_edges(gaussian_nodes(mixture, features, t, order=order, rule="legendre"),
                           tol=tol)
    prev = base.intervals.copy()
    err = np.full(prev.shape, np.inf)
    spread = np.zeros(prev.shape)
    used = [order]
    if rank == 0:  # one node at m = 0: nothing to refine, the edges are exact for the law
        err[:] = 0.0
        orders = [order]
    conv = err <= rtol * np.abs(prev)
    for N in orders[1:]:
        # a converged edge is frozen; the others are walked again on the finer rule
        cur = _edges_at(gaussian_nodes(mixture, features, t, order=N, rule="legendre"),
                        base.intervals, tol, ~conv)
        new_err = np.where(np.isfinite(cur) & np.isfinite(prev), np.abs(cur - prev), np.inf)
        spread = np.maximum(spread, np.where(np.isfinite(cur), np.abs(cur - base.intervals),
                                             np.inf))
        err = np.where(conv, err, new_err)
        prev = np.where(conv | ~np.isfinite(cur), prev, cur)
        used.append(N)
        conv = err <= rtol * np.abs(prev)
        if np.all(conv):
            break
    # an edge that does not converge keeps the value of the rule that found the bulks, with the
    # largest move over all refinements as its error (soft edges: module docstring)
    intervals = np.where(conv, prev, base.intervals)
    if tails:
        tail, tail_err = edge_tails(intervals, conv, mixture, features, t)
    else:
        tail = tail_err = np.full(intervals.shape, np.nan)
    masses, mass_err, mass_ok = gap_masses(intervals, mixture, features, t)
    return ConvergedEdges(intervals=intervals, masses=masses, mass_errors=mass_err,
                          masses_converged=mass_ok,
                          methods=base.methods, grid_spacing=base.grid_spacing,
                          density=base.density, peaks=base.peaks,
                          errors=np.where(conv, err, np.maximum(err, spread)), converged=conv,
                          orders=used, rtol=rtol, tail_mass=tail, tail_error=tail_err)


def edge_tails(intervals, converged, mixture: Mixture, features: RandomFeatures, t: float, *,
               max_order: int = 128, max_contour: int = 128):
    """The rule-independent statement about a soft edge (issue 12, docs/findings.md): the mass
    of the spectrum beyond it, on its gap side, with an error.

    For an edge not ``converged`` (a top or bottom of a band of per-neuron poles, whose
    Gaussian tail has no fold that a rule can converge to): a soft top ``b`` of bulk ``k`` has
    ``F(g_k) − F(b)`` beyond it, a soft bottom ``a`` has ``F(a) − F(g_{k−1})`` below it, with
    ``F`` = :func:`mass_below` (contour integral of ``q``, ``E_m`` refined), ``g_k`` at three
    quarters of the gap above bulk ``k`` (``F = 1`` above the top bulk, ``F = 0`` below the
    lowest). Returns ``(tail (k, 2), error (k, 2))``, NaN at converged edges; the error is the
    sum of the two contour estimates (a lower bound where :func:`mass_below` stopped early).
    At ``t = 0.5`` (the issue's case) the top of the lower band carries 4.6e-5 beyond 0.0709,
    2.4e-6 beyond 0.0745, 1.8e-7 beyond 0.0769 and 3e-8 beyond 0.078: the folds the rules
    found (0.0709–0.0769) are quantiles of a tail of mass 1e-7 – 5e-5, not one edge.
    """
    intervals = np.asarray(intervals, float)
    k = intervals.shape[0]
    tail = np.full((k, 2), np.nan)
    terr = np.full((k, 2), np.nan)
    kw = dict(max_order=max_order, max_contour=max_contour)
    gaps = {}

    def F_gap(j):  # mass below the gap above bulk j (j = -1: 0, j = k - 1: 1)
        if j < 0:
            return 0.0, 0.0
        if j >= k - 1:
            return 1.0, 0.0
        if j not in gaps:
            lo_, up_ = intervals[j, 1], intervals[j + 1, 0]
            F, e, _ = mass_below(lo_ + 0.75 * (up_ - lo_), mixture, features, t, lower=lo_,
                                 upper=up_, **kw)
            gaps[j] = (F, e)
        return gaps[j]

    for b in range(k):
        for side in (0, 1):
            x = float(intervals[b, side])
            if converged[b, side] or not (math.isfinite(x) and x > 0):
                continue
            other = intervals[b, 1] if side == 0 else (intervals[b + 1, 0] if b + 1 < k
                                                       else 2.0 * x)
            lower = intervals[b - 1, 1] if side == 0 and b > 0 else None
            Fx, ex_, _ = mass_below(x, mixture, features, t, lower=lower,
                                    upper=float(other), **kw)
            Fg, eg = F_gap(b - 1) if side == 0 else F_gap(b)
            tail[b, side] = (Fx - Fg) if side == 0 else (Fg - Fx)
            terr[b, side] = ex_ + eg
    return tail, terr


@dataclass
class ConvergedStieltjes:
    """``q(z) = E_m R(m; z)`` with ``E_m`` refined: ``q``, ``delta`` (C,), ``T`` (C, C) at the
    finest order, ``error`` = ``|q_N − q_{N/2}|`` of the last two orders, ``orders`` used and
    ``converged`` (``error ≤ rtol |q|`` and the solver converged at both orders)."""

    z: complex
    q: complex
    delta: np.ndarray
    T: np.ndarray
    error: float
    orders: list
    converged: bool

    def to_dict(self) -> dict:
        return {"z": self.z, "q": self.q, "delta": self.delta, "T": self.T, "error": self.error,
                "orders": self.orders, "converged": self.converged}


def converged_stieltjes(z, mixture: Mixture, features: RandomFeatures, t: float, *,
                        rtol: float = CONVERGED_RTOL, order: int = 16,
                        max_order: int = 512) -> ConvergedStieltjes:
    """``q(z) = E_m R(m; z)`` of docs/theory/extensive.md (``Im z > 0``) with the composite
    Legendre rule doubled from ``order`` points per axis until ``|q_{2N} − q_N| ≤ rtol |q_{2N}|``
    (and the same for ``δ_c``, ``T``); solved by :func:`solve_bulk` at each order.

    Converges geometrically where ``R(m; z)`` is analytic in a strip around the real ``g`` axis
    whose width the rule resolves: off the real axis, inside square-root bulks, and on the real
    axis above the bulk. Inside the band of per-neuron poles at ``Im z → 0`` it needs ever finer
    rules (``converged = False`` once ``max_order`` is reached).
    """
    check_instance(mixture, Mixture, "mixture")
    check_instance(features, RandomFeatures, "features")
    t = check_time(t)
    z = complex(z)
    if not (math.isfinite(z.real) and math.isfinite(z.imag)) or z.imag <= 0:
        raise ValueError(f"z must be finite with Im z > 0, got {z}")
    rtol = check_positive(rtol, "rtol")
    order = check_int(order, "order", 8, 4000)
    max_order = check_int(max_order, "max_order", order, 4000)
    rank = whitening(mixture).shape[1]
    prev, used, err, ok = None, [], math.inf, False
    for N in _orders(order, max_order, rank):
        s = solve_bulk([z], gaussian_nodes(mixture, features, t, order=N, rule="legendre"))
        cur = (complex(s.q[0]), s.delta[0], s.T[0], bool(s.converged[0]))
        used.append(N)
        if prev is not None:
            err = abs(cur[0] - prev[0])
            ok = (cur[3] and prev[3] and err <= rtol * abs(cur[0])
                  and np.all(np.abs(cur[1] - prev[1]) <= rtol * (np.abs(cur[1]) + 1e-300))
                  and np.all(np.abs(cur[2] - prev[2]) <= rtol * np.abs(cur[2]).max()))
        prev = cur
        if ok or rank == 0:
            ok = ok or (rank == 0 and cur[3])
            err = 0.0 if rank == 0 else err
            break
    return ConvergedStieltjes(z=z, q=prev[0], delta=prev[1], T=prev[2], error=float(err),
                              orders=used, converged=bool(ok))


# --------------------------------------------------------------------------- density and masses
#: Default tolerance of the converged density: a point is converged when two successive orders
#: agree to ``DENSITY_RTOL × scale`` (absolute), ``scale`` the peak of the density on the grid
#: (the larger of the two orders' values at each point, their smaller one maximised over the
#: grid, so that the η-wide spike of one node's pole at one order does not set it). 1e-6: what
#: 64 and 128 Legendre points per axis reach at all but a handful of grid points in the tested
#: cases (docs/findings.md, issue 12), far below the KS distances of finite matrices (≥ 1e-3).
DENSITY_RTOL = 1e-6

#: Default absolute tolerance of a converged bulk mass (a fraction of the ``p`` eigenvalues):
#: the mass below a gap comes from a contour integral of ``q`` that avoids the real axis except
#: in the gap, where ``q`` is analytic, so both the contour rule and ``E_m`` converge
#: geometrically; 1e-8 is met in the tested cases with ≤ 128 contour points.
MASS_TOL = 1e-8


@dataclass
class ConvergedDensity:
    """``ρ(λ) = Im q(λ + iη)/π`` with ``E_m`` refined per grid point (issue 12).

    ``density`` at the finest order computed at each point; ``error`` the difference of the
    last two orders there (``inf`` where the solver failed at one of them); ``converged``
    ``error ≤ rtol × scale``; ``order`` (per point) the finest Legendre order used there;
    ``orders`` all orders used, coarsest first.
    """

    lam: np.ndarray
    density: np.ndarray
    error: np.ndarray
    converged: np.ndarray
    order: np.ndarray
    orders: list
    rtol: float
    scale: float
    eta: float

    @property
    def n_unconverged(self) -> int:
        return int(np.sum(~self.converged))

    def to_dict(self) -> dict:
        return {"lam": self.lam, "density": self.density, "density_error": self.error,
                "converged": self.converged, "order": self.order, "orders": self.orders,
                "rtol": self.rtol, "scale": self.scale, "eta": self.eta}


def converged_density(lam, mixture: Mixture, features: RandomFeatures, t: float, *,
                      rtol: float = DENSITY_RTOL, order: int = 32, max_order: int = 256,
                      eta: float = 1e-7) -> ConvergedDensity:
    """Density ``ρ(λ) = E_m[Im R(m; λ + iη)]/π`` of docs/theory/extensive.md (ext-q) on the grid
    ``lam``, with the composite Legendre rule for ``E_m`` doubled from ``order`` points per
    axis (at most ``max_order`` and :data:`MAX_NODES` nodes) at the points where two successive
    orders differ by more than ``rtol × scale`` (``scale``: the peak density, see
    :data:`DENSITY_RTOL`); points that agree are frozen. Points still apart at the finest order
    keep its value with ``converged = False`` and the last difference as ``error`` (the tails of
    a band of per-neuron poles, docs/findings.md).
    """
    check_instance(mixture, Mixture, "mixture")
    check_instance(features, RandomFeatures, "features")
    t = check_time(t)
    lam = np.atleast_1d(np.asarray(lam, dtype=float))
    if lam.ndim != 1 or lam.size == 0 or not np.all(np.isfinite(lam)):
        raise ValueError("lam must be a non-empty finite 1-D array")
    rtol = check_positive(rtol, "rtol")
    eta = check_positive(eta, "eta")
    order = check_int(order, "order", 8, 400)
    max_order = check_int(max_order, "max_order", order, 4000)
    rank = whitening(mixture).shape[1]
    from classdyn.theory.extensive_bulk import extensive_density, refine_density

    d0 = extensive_density(lam, gaussian_nodes(mixture, features, t, order=order,
                                               rule="legendre"), eta=eta)
    xs = d0.x.copy()
    dens = d0.density.copy()
    ok = d0.converged.copy()
    err = np.where(ok, 0.0 if rank == 0 else np.inf, np.inf)
    ordpt = np.full(lam.size, order)
    used = [order]
    scale = math.nan
    conv = ok & (rank == 0)
    orders = [order] if rank == 0 else _orders(order, max_order, rank)
    for N in orders[1:]:
        todo = np.flatnonzero(~conv)
        if todo.size == 0:
            break
        prev = ExtensiveDensity(lam=lam[todo], density=dens[todo], q=dens[todo] * 0j,
                                eta=eta, residual=err[todo], converged=ok[todo],
                                status=np.where(ok[todo], 0, 1), x=xs[todo])
        dn = refine_density(prev, gaussian_nodes(mixture, features, t, order=N,
                                                 rule="legendre"))
        xs[todo] = np.where(dn.converged[:, None], dn.x, xs[todo])
        both = dn.converged & ok[todo]
        if math.isnan(scale):  # first comparison: every point is in todo
            scale = float(np.max(np.where(both, np.minimum(dn.density, dens[todo]), 0.0)))
            scale = scale if scale > 0 else 1.0
        err[todo] = np.where(both, np.abs(dn.density - dens[todo]), np.inf)
        dens[todo] = np.where(dn.converged, dn.density, dens[todo])
        ok[todo] = dn.converged
        ordpt[todo] = N
        used.append(N)
        conv = err <= rtol * scale
    if math.isnan(scale):
        scale = float(dens.max()) if dens.max() > 0 else 1.0
    return ConvergedDensity(lam=lam, density=dens, error=err, converged=conv, order=ordpt,
                            orders=used, rtol=rtol, scale=scale, eta=eta)


def _contour(g, n, alpha):
    """Points ``z_j`` in the upper half of the circle ``|z| = g`` and the weights ``w_j`` with
    ``F = Re Σ_j w_j q(z_j)`` the trapezoid rule (``n`` points, midpoints, in the variable ``s``
    of ``θ = s − α sin s``, which crowds the points towards the crossing ``z = g``) for
    ``F(g) = −(1/2πi) ∮ q(z) dz``, the lower half folded in by ``q(z̄) = conj q(z)``."""
    s = (np.arange(n // 2) + 0.5) * (2.0 * math.pi / n)
    th = s - alpha * np.sin(s)
    z = g * np.exp(1j * th)
    w = -(2.0 / n) * z * (1.0 - alpha * np.cos(s))
    return z, w


def _q_on(z, mixture, features, t, N):
    """``q(z_j)`` on the contour points of :func:`_contour` for the Legendre rule of ``N``
    points per axis: the point farthest from the crossing by the η-continuation of
    :func:`~classdyn.theory.extensive_bulk.solve_bulk`, each next one by Newton from its
    neighbour's solution (the η-continuation again where that fails, lands off the physical
    branch or jumps). Returns ``(q, all converged)``."""
    from classdyn.theory import _extensive_kernels as K
    from classdyn.theory.extensive_bulk import _eta0

    nodes = gaussian_nodes(mixture, features, t, order=N, rule="legendre")
    pj, pl = K.pair_index(nodes.n_classes)
    args = nodes.kernel_args()
    q = np.zeros(z.size, complex)
    ok = True
    x = None
    for i in range(z.size - 1, -1, -1):
        zi = complex(z[i])
        st = -1
        if x is not None:
            xn, qn, _, _, st = K.newton(zi, x, *args, pj, pl, 1e-12, 12)
            if st == K.OK and abs(qn - q[i + 1]) <= 0.5 * abs(q[i + 1]):
                x, q[i] = xn, qn
                continue
        eta0 = max(float(_eta0(np.array([zi.real]), nodes)[0]), zi.imag)
        xn, qn, _, _, st = K.solve_eta_path(zi.real, zi.imag, eta0, *args, pj, pl, 1e-12, 60)
        ok = ok and st == K.OK
        x, q[i] = xn, qn
    return q, ok


def mass_below(g: float, mixture: Mixture, features: RandomFeatures, t: float, *,
               upper: float | None = None, lower: float | None = None,
               tol: float = MASS_TOL, order: int = 16, max_order: int = 128,
               n_contour: int = 32, max_contour: int = 512):
    """Mass of the extensive-centroid spectrum below ``g`` (a point of a gap, or above the
    support), ``F(g) = ∫_{λ<g} ρ = −(1/2πi) ∮ q(z) dz`` over the circle ``|z| = g``
    (counter-clockwise; ``q = E_m R``, docs/theory/extensive.md (ext-q); ``U ≥ 0`` puts the
    support in ``[0, ∞)``, so the circle encloses exactly the eigenvalues below ``g``).

    Off the real axis ``E_m`` converges geometrically; on the circle the real axis is met only
    at ``−g`` (no spectrum) and at ``g`` (in the gap, where ``q`` is analytic). ``lower`` /
    ``upper``: the edges around the gap, which set the crowding ``α`` of the contour points
    towards ``g`` (``1 − α ≈ 3 × (gap half-width)/g``). For each contour rule the Legendre
    order of ``E_m`` is doubled from ``order`` until it moves ``F`` by ``≤ tol/2``; the contour
    rule is doubled from ``n_contour`` points until two agree to ``tol/2``. Returns
    ``(F, error, converged)``; ``error`` the sum of both last differences.
    """
    check_instance(mixture, Mixture, "mixture")
    check_instance(features, RandomFeatures, "features")
    t = check_time(t)
    g = float(g)
    if not (math.isfinite(g) and g > 0):
        raise ValueError(f"g must be finite and > 0, got {g}")
    tol = check_positive(tol, "tol")
    order = check_int(order, "order", 8, 400)
    max_order = check_int(max_order, "max_order", order, 4000)
    n_contour = check_int(n_contour, "n_contour", 4, 1 << 16)
    max_contour = check_int(max_contour, "max_contour", n_contour, 1 << 16)
    half = min(g - lower if lower is not None else g, upper - g if upper is not None else g)
    alpha = float(np.clip(1.0 - 3.0 * max(half, 0.0) / g, 0.0, 0.95))
    rank = whitening(mixture).shape[1]
    orders = [order] if rank == 0 else _orders(order, max_order, rank)
    k = 0  # index in orders of the E_m rule in use
    F_prev, err_c, ok = None, math.inf, True
    n = n_contour
    while True:
        z, w = _contour(g, n, alpha)
        # E_m: the order in use against the one below it (or the next one up, first time),
        # doubled while two orders move F by more than tol/2
        q, okq = _q_on(z, mixture, features, t, orders[max(k - 1, 0)])
        F = float(np.real(np.sum(w * q)))
        err_m = 0.0 if len(orders) == 1 else math.inf
        j = max(k - 1, 0)
        while j + 1 < len(orders):
            q2, ok2 = _q_on(z, mixture, features, t, orders[j + 1])
            F2 = float(np.real(np.sum(w * q2)))
            err_m, F, okq, j = abs(F2 - F), F2, okq and ok2, j + 1
            if err_m <= 0.5 * tol and j >= k:
                break
        k = j
        ok = ok and okq
        if F_prev is not None:
            err_c = abs(F - F_prev)
        F_prev = F
        if (err_c <= 0.5 * tol and err_m <= 0.5 * tol) or 2 * n > max_contour:
            break
        if err_m > 1e3 * tol:
            # E_m does not converge on the contour even at the finest order: the crossing is
            # not in a gap of the Gaussian law (a soft band edge); a finer contour cannot help
            break
        n *= 2
    if math.isfinite(err_c):
        err = err_c + err_m
    else:  # stopped after one contour (E_m not converging): err_m alone, a lower bound
        err, ok = err_m, False
    return F, err, bool(ok and err <= tol)


def gap_masses(intervals, mixture: Mixture, features: RandomFeatures, t: float, *,
               tol: float = MASS_TOL, max_order: int = 64, max_contour: int = 64):
    """Bulk masses from :func:`mass_below` at three quarters of each gap (issue 12):
    ``mass_k = F(g_k) − F(g_{k−1})`` with ``F(g_{−1}) = 0`` and ``F = 1`` above the top bulk
    (the law of ``q`` has mass 1). The crossing sits at three quarters of the gap because the
    top of a band of per-neuron poles is soft (its tail reaches into the lower part of the
    gap, docs/findings.md) while the bottom of the next bulk is a fold. ``max_order`` /
    ``max_contour``: the budget of each :func:`mass_below` (a crossing that is not in a gap of
    the Gaussian law is reported unconverged within it). Returns ``(masses, errors,
    converged)``, ``errors`` the sum of the two contour errors around each bulk,
    ``converged`` where both met ``tol``."""
    intervals = np.asarray(intervals, float).reshape(-1, 2)
    k = intervals.shape[0]
    F = np.zeros(k + 1)
    Ferr = np.zeros(k + 1)
    Fok = np.ones(k + 1, bool)
    F[k] = 1.0
    for j in range(k - 1):
        lo_, up_ = float(intervals[j, 1]), float(intervals[j + 1, 0])
        F[j + 1], Ferr[j + 1], Fok[j + 1] = mass_below(lo_ + 0.75 * (up_ - lo_), mixture,
                                                      features, t, lower=lo_, upper=up_,
                                                      tol=tol, max_order=max_order,
                                                      max_contour=max_contour)
    errs = Ferr[1:] + Ferr[:-1]
    return np.diff(F), errs, Fok[1:] & Fok[:-1] & (errs <= 2 * tol)
