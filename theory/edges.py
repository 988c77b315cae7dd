"""High-precision spectral edges, centred classes (docs/theory/edges.md): the real roots of the edge
polynomial ``E(z)`` of :mod:`classdyn.theory.curve`, classified. Fourth link of the chain
``spectral_params`` → ``curve`` → ``stieltjes`` → ``edges`` → ``spectrum``.

Edges are real ``z`` at which two roots ``q`` of the eliminated polynomial ``P(·, z)`` merge:
roots of the *edge polynomial* ``E(z)``, the square-free part of the discriminant
``Disc_q P(q, z)`` (degree 38 for ``C = 2`` before, 29 after removing repeated factors), built
exactly in :mod:`classdyn.theory.curve` (float64 inputs converted to their binary fractions, so
the digits reported are those of the given parameters). Its real roots are isolated and
certified with FLINT/Arb ball arithmetic (:func:`_real_roots`) at ``dps + 20`` digits; most real
roots are not edges (negative ones, double points inside gaps), so each root is *classified*: a
true edge has zero density on one side and positive density on the other (compiled solver of
:mod:`classdyn.theory.spectrum`, probed at ``λ₀ ± ε``). Results are cached per parameter set
(:func:`functools.lru_cache`).

Public API: :func:`find_edges` (classified edges, :class:`EdgeResult`); the curve's names
(:func:`curve_polynomials`, :func:`eliminated_polynomial`, :func:`edge_polynomial`,
:func:`numeric_curve`) are re-exported from :mod:`classdyn.theory.curve`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np

from classdyn.theory.curve import (MAX_CLASSES, NumericCurve, _check_params, _edge_coefficients,
                                   curve_polynomials, edge_polynomial, eliminated_polynomial,
                                   numeric_curve)
from classdyn.theory.spectral_params import SpectralParams
from classdyn.theory.stieltjes import stieltjes

__all__ = ["curve_polynomials", "eliminated_polynomial", "edge_polynomial", "find_edges",
           "classify_candidates", "EdgeResult", "numeric_curve", "MAX_CLASSES"]



@dataclass
class EdgeResult:
    """Real roots of the edge polynomial at ``dps`` digits, classified (docs/theory/edges.md).

    ``candidates``: every real root ``≥ s̄²`` (mpmath ``mpf``) sorted; ``is_edge``: whether it is a
    true edge; ``kind``: ``"lower"`` (density zero below, positive above), ``"upper"``, or
    ``"none"``; ``edges`` the true edges in increasing order, alternating lower/upper;
    ``singular_lower_edge``: the leftmost edge is ``s̄²`` with an inverse-square-root density
    (``ψ_p = 1 + ψ_n``). ``negative_roots`` counts discarded real roots below ``s̄²`` (outside
    the spectrum since ``U ⪰ s̄² I``).
    """

    candidates: list
    is_edge: list
    kind: list
    dps: int
    singular_lower_edge: bool = False
    negative_roots: int = 0
    degree: int = 0
    probe: list = field(default_factory=list)
    method: str = "polynomial"
    error: list = field(default_factory=list)

    @property
    def edges(self) -> list:
        return [c for c, e in zip(self.candidates, self.is_edge) if e]

    def edge_strings(self, digits: int | None = None) -> list[str]:
        import mpmath

        n = self.dps if digits is None else digits
        return [mpmath.nstr(e, n) for e in self.edges]

    def to_dict(self) -> dict[str, Any]:
        import mpmath

        return {"edges": self.edge_strings(), "edges_float": [float(e) for e in self.edges],
                "candidates": [mpmath.nstr(c, self.dps) for c in self.candidates],
                "is_edge": list(self.is_edge), "kind": list(self.kind), "dps": self.dps,
                "singular_lower_edge": self.singular_lower_edge,
                "negative_roots": self.negative_roots, "degree": self.degree,
                "probe": self.probe, "method": self.method, "error": list(self.error)}


def _real_roots(poly, dps):
    """Real roots of an integer polynomial in one variable, to ``dps`` digits, certified.

    ``poly`` is a ``sympy.Poly`` or its integer coefficients, lowest degree first.

    FLINT's ``fmpz_poly.complex_roots`` (Arb ball arithmetic: every root is isolated in a ball
    that provably contains exactly one root, refined to ``dps + 20`` digits) decides which roots
    are real *by proof*: Arb returns a real root with an imaginary part that is exactly zero,
    so no ``|Im| ≤ 10^(−dps)`` threshold is involved, and tight clusters of roots (nearly
    identical classes at large ``t``) are separated instead of stalling an iteration. Returns
    the midpoints as ``mpmath.mpf`` at ``dps + 20`` digits, ascending.
    """
    import flint
    import mpmath

    if hasattr(poly, "all_coeffs"):
        low_first = [int(c) for c in reversed(poly.all_coeffs())]
    else:
        low_first = [int(c) for c in poly]
    if len(low_first) < 2:
        return []
    f = flint.fmpz_poly(low_first)
    work = dps + 20
    prec = flint.ctx.prec
    try:
        flint.ctx.dps = work
        roots = f.complex_roots()
    finally:
        flint.ctx.prec = prec
    out = []
    with mpmath.workdps(work):
        for z, _mult in roots:
            if z.imag.is_zero():
                out.append(mpmath.mpf(z.real.mid().str(work + 5, radius=False)))
    return sorted(out)


def classify_candidates(params, xs, *, compiled=None):
    """Which real candidates ``xs`` (sorted floats: roots of ``E``, or followed folds) are edges,
    by the density at ``x ± ε`` (``ε`` a quarter of the distance to the nearest other candidate,
    at most ``1e-5 max(|x|, 10⁻³ scale)``, at least ``10⁻¹³`` of that: above float64 resolution).

    A side is *zero* when its density is at most ``1e-7`` of the other side's (a square-root
    edge probed at distance ``ε`` has density ``~√ε``, a gap point ``Im q = 0`` to rounding,
    ``~1e-16 |q|``), and the other side must be positive (above ``1e-12/scale``).

    Parameters
    ----------
    params : SpectralParams
        The spectral parameters.
    xs : sequence of float
        The candidates, increasing.
    compiled : bool, optional
        Density kernels, as in :func:`~classdyn.theory.stieltjes.stieltjes`.

    Returns
    -------
    kinds : list of str
        ``"lower"`` (zero below, positive above), ``"upper"``, ``"none"``, or ``"unresolved"``
        where a probe did not converge.
    probe : list of dict
        Per candidate: ``root``, ``eps``, ``density_below``, ``density_above``, ``converged``.

    Examples
    --------
    >>> from classdyn.theory.spectral_params import SpectralParams
    >>> from classdyn.theory.edges import classify_candidates
    >>> mp = SpectralParams.marchenko_pastur(2.0, 1.0)      # edges (1 ± √2)²
    >>> classify_candidates(mp, [0.171572875253810, 3.0, 5.828427124746190])[0]
    ['lower', 'none', 'upper']
    """
    scale = params.scale
    fl = np.asarray(xs, dtype=float)
    probe_pts, eps_list = [], []
    for i, x in enumerate(fl):
        gaps = [abs(x - y) for j, y in enumerate(fl) if j != i and abs(x - y) > 0]
        near = min(gaps) if gaps else scale
        eps = min(0.25 * near, 1e-5 * max(abs(x), 1e-3 * scale))
        eps = max(eps, 1e-13 * max(abs(x), 1e-3 * scale))  # stay above float64 resolution
        eps_list.append(eps)
        probe_pts.extend([x - eps, x + eps])
    kind, probe = [], []
    if not probe_pts:
        return kind, probe
    pts = np.array(probe_pts)
    res = stieltjes(params, np.maximum(pts, 0.0), strict=False, compiled=compiled)
    rho = np.where(pts < 0, 0.0, np.maximum(res.q.imag, 0.0) / math.pi)
    for i, x in enumerate(fl):
        lo, hi = rho[2 * i], rho[2 * i + 1]
        ok = bool(res.converged[2 * i] and res.converged[2 * i + 1])
        big = max(lo, hi)
        thr = 1e-7 * big
        positive = big > 1e-12 / scale
        if not ok:
            k = "unresolved"
        elif positive and lo <= thr < hi:
            k = "lower"
        elif positive and hi <= thr < lo:
            k = "upper"
        else:
            k = "none"
        kind.append(k)
        probe.append({"root": float(x), "eps": eps_list[i], "density_below": float(lo),
                      "density_above": float(hi), "converged": ok})
    return kind, probe


@lru_cache(maxsize=64)
def _find_edges_cached(key, n_classes, dps):
    import mpmath

    params = SpectralParams(psi_p=key[0], psi_n=key[1], rho=key[2], alpha2=key[3], v2=key[4],
                            bbar2=key[5], sbar2=key[6])
    E = _edge_coefficients(key, n_classes)[1]
    roots = _real_roots(E, dps)
    s2 = mpmath.mpf(params.sbar2)
    tol = mpmath.mpf(10) ** (-(dps - 5))
    cands = [x for x in roots if x >= s2 - tol * max(1, abs(s2))]
    negative = len(roots) - len(cands)
    # s̄² itself is a candidate (the inverse-square-root edge when ψ_p = 1 + ψ_n)
    if params.sbar2 > 0 and not any(abs(x - s2) <= tol * max(abs(s2), 1) for x in cands):
        cands.append(s2)
    cands.sort()
    kind, probe = classify_candidates(params, [float(x) for x in cands])
    is_edge = [k in ("lower", "upper") for k in kind]
    singular = bool(cands and params.sbar2 > 0 and is_edge and is_edge[0]
                    and abs(cands[0] - s2) <= tol * max(abs(s2), 1))
    return EdgeResult(candidates=cands, is_edge=is_edge, kind=kind, dps=dps,
                      singular_lower_edge=singular, negative_roots=negative,
                      degree=len(E) - 1, probe=probe)


def find_edges(params, dps: int = 30) -> EdgeResult:
    """Edges of the spectral density at ``dps`` digits (docs/theory/edges.md, "Edges").

    Real roots ``λ₀ ≥ s̄²`` of the edge polynomial ``E(z)`` (:func:`edge_polynomial`), isolated
    and certified real with FLINT/Arb at ``dps + 20`` digits (:func:`_real_roots`), plus ``s̄²``; each
    is classified by the density at ``λ₀ ± ε`` (``ε`` a quarter of the distance to the nearest
    other root, at most ``1e-5 λ₀``): an edge has zero density on exactly one side.

    ``dps`` must be an integer in [15, 1000] (default 30).

    Beyond :data:`MAX_CLASSES` distinct classes there is no edge polynomial (its cost grows
    about tenfold per class): the edges are then located numerically from the density
    (:func:`classdyn.theory.edges_numeric.numeric_edges`, ``method = "numeric"``, about 11
    significant digits, each edge's bracket in ``error``), and a warning says so.
    """
    if not isinstance(dps, (int, np.integer)) or not 15 <= int(dps) <= 1000:
        raise ValueError(f"dps must be an integer in [15, 1000], got {dps!r}")
    merged = params.merged() if isinstance(params, SpectralParams) else None
    if merged is not None and merged.n_classes > MAX_CLASSES:
        import logging

        from classdyn.theory.edges_numeric import NUMERIC_RTOL, numeric_edges

        logging.getLogger("classdyn").warning(
            "%d distinct classes: no edge polynomial beyond %d classes, edges located "
            "numerically from the density (relative accuracy ~%.0e; --dps %d not reached)",
            merged.n_classes, MAX_CLASSES, NUMERIC_RTOL, dps)
        ne = numeric_edges(merged)
        return EdgeResult(candidates=list(ne.edges), is_edge=[True] * len(ne.edges),
                          kind=list(ne.kind), dps=15, singular_lower_edge=ne.singular_lower_edge,
                          method="numeric", error=list(ne.error))
    params = _check_params(params)
    return _find_edges_cached(params.key(), params.n_classes, int(dps))
