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
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from classdyn.theory.extensive_bulk import solve_bulk
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
    (the bulk structure and masses come from the coarsest, ``density`` too).
    """

    errors: np.ndarray = field(default_factory=lambda: np.zeros((0, 2)))
    converged: np.ndarray = field(default_factory=lambda: np.zeros((0, 2), bool))
    orders: list = field(default_factory=list)
    rtol: float = CONVERGED_RTOL

    def to_dict(self) -> dict:
        d = super().to_dict()
        d.update(errors=self.errors, converged=self.converged, orders=self.orders,
                 rtol=self.rtol)
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
                    tol: float = 1e-10) -> ConvergedEdges:
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
    over the refinements as their error.
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
    return ConvergedEdges(intervals=np.where(conv, prev, base.intervals), masses=base.masses,
                          methods=base.methods, grid_spacing=base.grid_spacing,
                          density=base.density, peaks=base.peaks,
                          errors=np.where(conv, err, np.maximum(err, spread)), converged=conv,
                          orders=used, rtol=rtol)


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
