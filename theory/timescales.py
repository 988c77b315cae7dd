"""Learning timescales and windows from the spectral edges, centred classes (docs/theory/timescales.md).

Time unit: training time ``τ`` of docs/theory/model.md — an eigenmode of ``U`` with eigenvalue ``λ``
relaxes as ``exp(−λ τ)`` (``τ = 2 Δ_t τ_GF/(p d)`` for gradient flow on the loss). Every time
returned here is in that unit: ``τ_x = 1/λ_x``.

Bulks (docs/theory/timescales.md "Bulks", paper Sec. 3.2 and App. F.3.1), for ``ψ_n > 1`` and
``ψ_p ≥ 1 + ψ_n``, counted from the right by their weights:

* the rightmost ``d`` eigenvalues (weight ``1/ψ_p``, the population part): lower edge
  ``λ_gen``, ``τ_gen = 1/λ_gen`` — onset of generalisation;
* the next ``n − d`` eigenvalues (weight ``(ψ_n − 1)/ψ_p``, one or several central bulks, the
  memorisation part): upper edge ``λ_mem``, ``τ_mem = 1/λ_mem`` — onset of memorisation;
* the leftmost ``d`` eigenvalues just above ``s̄²`` (weight ``1/ψ_p``): lower edge ``λ_fin``,
  ``τ_fin = 1/λ_fin`` — end of memorisation;
* a delta peak at ``s̄²`` carrying the rest (modes that training never moves).

For ``ψ_n < 1`` the bulks hold ``n``, ``d − n``, ``n`` eigenvalues from left to right (theory
weights, checked against GEP matrices in tests/theory/test_timescales.py; the first reconstruction's first guess
"d − n, n, n" is not what the equations give); the generalisation/memorisation reading above is
not defined there and :func:`timescales` refuses ``ψ_n ≤ 1``.

Windows: ``W_gen = τ_mem/τ_gen = λ_gen/λ_mem``, ``W_mem = τ_fin/τ_mem = λ_mem/λ_fin``.

Merged bulks are handled explicitly: ``λ_gen`` and ``λ_mem`` exist only if a gap separates the
top ``1/ψ_p`` of the mass from the rest (``gen_mem_separated``); ``λ_fin`` always exists (the
lowest edge), ``mem_fin_separated`` says whether a gap sits at cumulative weight
``ψ_n/ψ_p`` from the top. Missing quantities are ``None``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from classdyn.theory.bulks import (MASS_MATCH_TOL, Timescales, assign_roles,  # noqa: F401
                                   check_bulk_counting, named_timescales)

__all__ = ["Timescales", "timescales", "timescales_model", "named_timescales", "assign_roles",
           "check_bulk_counting", "WindowLimit", "window_limits", "MASS_MATCH_TOL"]

def timescales(params, *, dps: int = 30) -> Timescales:
    """``λ_gen, λ_mem, λ_fin``, ``τ = 1/λ`` and the windows of centred classes (docs/theory/timescales.md,
    paper Sec. 3.2): the bulks of :func:`classdyn.theory.spectrum.spectrum` named by
    :func:`classdyn.theory.bulks.named_timescales`.

    ``τ_gen = 1/λ_gen``, ``τ_mem = 1/λ_mem``, ``τ_fin = 1/λ_fin`` in training-time units
    (a mode of eigenvalue ``λ`` relaxes as ``exp(−λ τ)``); ``W_gen = τ_mem/τ_gen``,
    ``W_mem = τ_fin/τ_mem``. Needs ``ψ_n > 1`` and ``ψ_p ≥ 1 + ψ_n`` (the bulk counting of
    docs/theory/timescales.md, :func:`~classdyn.theory.bulks.check_bulk_counting`); raises ``ValueError``
    otherwise.
    """
    from classdyn.theory.spectrum import SpectralParams, spectrum

    if not isinstance(params, SpectralParams):
        raise TypeError(f"params must be a classdyn.theory.spectrum.SpectralParams, got {type(params)}")
    check_bulk_counting(params.psi_p, params.psi_n)
    sp = spectrum(params, dps=dps)
    return named_timescales(sp.bulks, params.psi_p, params.psi_n, edges=sp.edges,
                            params=params)


def timescales_model(mixture, rf, t: float, *, dps: int = 30) -> Timescales:
    """:func:`timescales` for a centred :class:`~classdyn.theory.params.Mixture`, a
    :class:`~classdyn.theory.params.RandomFeatures` model and diffusion time ``t`` (docs/theory/gaussian-equivalence.md)."""
    from classdyn.theory.spectrum import SpectralParams

    return timescales(SpectralParams.from_model(mixture, rf, t), dps=dps)


# ---------------------------------------------------------------------- large-ψ_p limit
@dataclass
class WindowLimit:
    """Windows as ``ψ_p → ∞`` at fixed ``ψ_n`` (paper Fig. 2b; docs/theory/timescales.md).

    All bulks scale like ``ψ_p`` at large ``ψ_p`` (the lowest one above the fixed ``s̄²``), so
    ``W_gen`` and ``W_mem`` have finite limits, reached like ``ψ_p^{−1/2}`` (measured: successive
    differences shrink by ~0.7 per doubling of ``ψ_p``). ``W_gen``, ``W_mem``: extrapolation in
    ``h = ψ_p^{−1/2}`` (quadratic through ``psi_p_values = (N, 2N, 4N)``, at ``h = 0``);
    ``*_err``: the distance to the linear extrapolation from the last two points, an error bar.
    """

    W_gen: float | None
    W_mem: float | None
    W_gen_err: float | None
    W_mem_err: float | None
    psi_p_values: list
    W_gen_seq: list
    W_mem_seq: list
    psi_n: float
    t: float

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _richardson(psi_p_values, seq):
    """Extrapolate ``W(ψ_p)`` to ``ψ_p → ∞`` in ``h = ψ_p^{−1/2}`` (edges of
    Marchenko–Pastur type move like ``√(1/ψ_p)``): the quadratic in ``h`` through the three
    points, at ``h = 0``; error bar: its distance to the line through the last two points."""
    if any(s is None for s in seq):
        return None, None
    h = np.asarray(psi_p_values, float) ** -0.5
    y = np.asarray(seq, float)
    second = float(np.polyval(np.polyfit(h, y, 2), 0.0))
    first = float(np.polyval(np.polyfit(h[1:], y[1:], 1), 0.0))
    return second, abs(second - first)


def window_limits(mixture, psi_n: float, t: float, *, activation: str = "tanh",
                  psi_p0: float = 128.0, dps: int = 30) -> WindowLimit:
    """Large-``ψ_p`` limits of ``W_gen = τ_mem/τ_gen`` and ``W_mem = τ_fin/τ_mem`` (paper Fig. 2b).

    Computes :func:`timescales_model` at ``ψ_p = N, 2N, 4N`` (``N = psi_p0``, at least
    ``1 + ψ_n``) and extrapolates in ``1/ψ_p`` (:class:`WindowLimit`).
    """
    from classdyn.theory.params import RandomFeatures, check_time

    t = check_time(t)
    if not (isinstance(psi_p0, (int, float)) and math.isfinite(psi_p0)
            and psi_p0 >= 1 + psi_n):
        raise ValueError(f"psi_p0 must be a number >= 1 + psi_n = {1 + psi_n:g}, got {psi_p0!r}")
    vals = [psi_p0, 2 * psi_p0, 4 * psi_p0]
    wg, wm = [], []
    for pp in vals:
        ts = timescales_model(mixture, RandomFeatures(pp, psi_n, activation), t, dps=dps)
        wg.append(ts.W_gen)
        wm.append(ts.W_mem)
    g, ge = _richardson(vals, wg)
    m, me = _richardson(vals, wm)
    return WindowLimit(W_gen=g, W_mem=m, W_gen_err=ge, W_mem_err=me, psi_p_values=vals,
                       W_gen_seq=wg, W_mem_seq=wm, psi_n=float(psi_n), t=t)
