"""Numeric edges of the centred spectral density, for more distinct classes than the edge
polynomial handles (docs/theory/edges.md, "Beyond five classes").

The edge polynomial of :mod:`classdyn.theory.curve` grows about fivefold per class (degree 167 and
a minute at ``C = 5``), so beyond :data:`~classdyn.theory.curve.MAX_CLASSES` distinct classes the
edges are located from the density itself. An edge is where the density ``ρ(λ) = Im q(λ + i0⁺)/π``
changes from zero to positive:

1. ``q`` is solved on a scan grid (:func:`scan_grid`: geometric in ``λ − s̄²`` near ``s̄²``,
   where narrow bulks sit at small ``t``, uniform above) with
   :func:`classdyn.theory.stieltjes.stieltjes`; a point is *in a bulk* when
   ``Im q > 10⁻⁹ |q|`` (:data:`BULK_RTOL`: gap points next to an edge keep a small imaginary
   part from the near-double root there);
2. each change of kind between two neighbouring grid points brackets an edge, and the bracket is
   halved (one point solved on its own per step) until its width is below ``rtol`` times the
   spectrum's scale.

The error of each edge is its final bracket (stated in :attr:`EdgeResult.error`); a bulk or a gap
narrower than the local scan spacing is not seen, which is why
:func:`classdyn.theory.spectrum.spectrum` still checks that the bulks found add up to mass 1 and
refuses otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from classdyn.theory.spectral_params import SpectralParams

#: Relative accuracy of the numeric edges (bracket width over the spectrum's scale).
NUMERIC_RTOL = 1e-11
#: Points of the scan grid.
SCAN_POINTS = 4000


def scan_grid(params: SpectralParams, points: int = SCAN_POINTS) -> np.ndarray:
    """The scan grid of :func:`numeric_edges`: half the points at ``s̄² + scale·10^u``, ``u``
    equispaced on ``[−12, 0]`` (bulks squeezed against ``s̄²``), half equispaced on
    ``(s̄², 1.05 scale]``, sorted, strictly above ``s̄²``.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory.spectral_params import SpectralParams
    >>> p = SpectralParams(psi_p=4.0, psi_n=2.0, rho=np.array([1.0]), alpha2=np.array([0.5]),
    ...                    v2=np.array([0.1]), bbar2=0.3, sbar2=0.05)
    >>> g = scan_grid(p, 100)
    >>> bool(g[0] > p.sbar2 and np.all(np.diff(g) > 0)), g.size <= 100
    (True, True)
    """
    s2, scale = params.sbar2, params.scale
    near = s2 + scale * np.logspace(-12, 0, points // 2)
    far = np.linspace(s2, 1.05 * scale + s2, points - points // 2 + 1)[1:]
    return np.unique(np.concatenate([near, far]))


#: A point is in a bulk when ``Im q > BULK_RTOL |q|``. Gap points polished on the real axis keep
#: an imaginary part from the near-double root they sit by: up to 3e-12 |q| at 2e-10 (relative)
#: outside a square-root edge, 1.2e-10 |q| within 1e-11 (measured), while inside a bulk
#: ``Im q/|q| ~ c √δ`` (c ≈ 150 there: 1.5e-6 at δ = 1e-10). 1e-9 separates the two; a bulk
#: point is taken for a gap point only within ``δ ~ (1e-9/c)²`` ≈ 1e-22 of its edge.
BULK_RTOL = 1e-9


def _in_bulk(q) -> np.ndarray:
    q = np.asarray(q)
    return q.imag > BULK_RTOL * np.abs(q)


def _kind_at(params, x: float) -> bool:
    from classdyn.theory.stieltjes import stieltjes

    res = stieltjes(params, np.array([x]), strict=False, compiled=True)
    if not res.converged[0]:
        from classdyn.theory.spectral_params import NonConvergenceError

        raise NonConvergenceError(f"the spectral equations did not converge at lambda = {x!r} "
                                  f"while bisecting an edge", np.array([x]))
    return bool(_in_bulk(res.q)[0])


@dataclass
class NumericEdges:
    """Edges located by :func:`numeric_edges`.

    ``edges`` increasing (floats); ``kind`` ``"lower"``/``"upper"`` alternating; ``error`` each
    edge's bracket half-width; ``singular_lower_edge`` when the density is positive right above
    ``s̄²`` (the support starts there: the inverse-square-root edge at ``ψ_p = 1 + ψ_n``);
    ``spacing`` the largest scan spacing relative to the scale (narrower bulks or gaps can be
    missed).
    """

    edges: list
    kind: list
    error: list
    singular_lower_edge: bool
    spacing: float


def numeric_edges(params: SpectralParams, *, points: int = SCAN_POINTS,
                  rtol: float = NUMERIC_RTOL) -> NumericEdges:
    """Edges of the density located numerically (module docstring): scan, then bisection.

    Parameters
    ----------
    params : SpectralParams
        The spectral parameters (any number of classes).
    points : int
        Points of the scan grid (:func:`scan_grid`); bulks and gaps narrower than its local
        spacing are not resolved.
    rtol : float
        Width of each edge's final bracket relative to ``params.scale``.

    Returns
    -------
    NumericEdges
        The edges with their brackets. :func:`classdyn.theory.edges.find_edges` returns them
        as an ``EdgeResult`` with ``method = "numeric"`` beyond five classes.

    Examples
    --------
    >>> from classdyn.theory.spectral_params import SpectralParams
    >>> mp = SpectralParams.marchenko_pastur(2.0, 1.0)       # edges (1 ± √2)²
    >>> e = numeric_edges(mp, points=400)
    >>> [round(float(x), 9) for x in e.edges], e.kind
    ([0.171572875, 5.828427125], ['lower', 'upper'])
    """
    from classdyn.theory.stieltjes import stieltjes

    if not isinstance(params, SpectralParams):
        raise TypeError(f"params must be a SpectralParams, got {type(params)}")
    if not (isinstance(points, (int, np.integer)) and 10 <= points <= 10**6):
        raise ValueError(f"points must be an integer in [10, 1e6], got {points!r}")
    if not (isinstance(rtol, float) and 1e-15 <= rtol <= 1e-2):
        raise ValueError(f"rtol must be a float in [1e-15, 1e-2], got {rtol!r}")
    grid = scan_grid(params, int(points))
    res = stieltjes(params, grid, strict=False, compiled=True)
    if not res.all_converged:
        from classdyn.theory.spectral_params import NonConvergenceError

        bad = grid[~res.converged]
        raise NonConvergenceError(f"the spectral equations did not converge at {bad.size} scan "
                                  f"points (first {bad[:3].tolist()})", bad)
    bulk = _in_bulk(res.q)
    tol = rtol * params.scale
    edges, kinds, errors = [], [], []
    singular = bool(bulk[0])
    if singular:  # positive density right above s̄²: the support starts at s̄²
        edges.append(params.sbar2)
        kinds.append("lower")
        errors.append(float(grid[0] - params.sbar2))
    for i in np.flatnonzero(bulk[1:] != bulk[:-1]):
        lo, hi = float(grid[i]), float(grid[i + 1])
        lo_bulk = bool(bulk[i])
        while hi - lo > tol:
            mid = 0.5 * (lo + hi)
            if mid <= lo or mid >= hi:  # float64 resolution reached
                break
            if _kind_at(params, mid) == lo_bulk:
                lo = mid
            else:
                hi = mid
        edges.append(0.5 * (lo + hi))
        kinds.append("upper" if lo_bulk else "lower")
        errors.append(0.5 * (hi - lo))
    return NumericEdges(edges=edges, kind=kinds, error=errors, singular_lower_edge=singular,
                        spacing=float(np.max(np.diff(grid)) / params.scale))


def relative_spacing(params: SpectralParams, points: int = SCAN_POINTS) -> float:
    """Largest spacing of the scan grid relative to the scale: bulks and gaps narrower than
    about this (times the scale) can be missed by :func:`numeric_edges`.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory.spectral_params import SpectralParams
    >>> mp = SpectralParams.marchenko_pastur(2.0, 1.0)
    >>> 0 < relative_spacing(mp, 4000) < 1e-3
    True
    """
    g = scan_grid(params, points)
    return float(np.max(np.diff(g)) / params.scale) if g.size > 1 else math.inf
