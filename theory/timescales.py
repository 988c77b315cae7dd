"""Learning timescales and windows from the spectral edges, centred classes (THEORY.md §5).

Time unit: training time ``τ`` of THEORY.md §2 — an eigenmode of ``U`` with eigenvalue ``λ``
relaxes as ``exp(−λ τ)`` (``τ = 2 Δ_t τ_GF/(p d)`` for gradient flow on the loss). Every time
returned here is in that unit: ``τ_x = 1/λ_x``.

Bulks (THEORY.md §5 "Bulks", paper Sec. 3.2 and App. F.3.1), for ``ψ_n > 1`` and
``ψ_p ≥ 1 + ψ_n``, counted from the right by their weights:

* the rightmost ``d`` eigenvalues (weight ``1/ψ_p``, the population part): lower edge
  ``λ_gen``, ``τ_gen = 1/λ_gen`` — onset of generalisation;
* the next ``n − d`` eigenvalues (weight ``(ψ_n − 1)/ψ_p``, one or several central bulks, the
  memorisation part): upper edge ``λ_mem``, ``τ_mem = 1/λ_mem`` — onset of memorisation;
* the leftmost ``d`` eigenvalues just above ``s̄²`` (weight ``1/ψ_p``): lower edge ``λ_fin``,
  ``τ_fin = 1/λ_fin`` — end of memorisation;
* a delta peak at ``s̄²`` carrying the rest (modes that training never moves).

For ``ψ_n < 1`` the bulks hold ``n``, ``d − n``, ``n`` eigenvalues from left to right (theory
weights, checked against GEP matrices in tests/theory/test_timescales.py; THEORY.md's first guess
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
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Timescales", "timescales", "timescales_model", "WindowLimit", "window_limits",
           "MASS_MATCH_TOL"]

#: Tolerance on the match between cumulative bulk weights and ``1/ψ_p``, ``ψ_n/ψ_p``: the bulk
#: masses are integrated to ~1e-10 (classdyn.theory.spectrum.MASS_TOL), so 1e-6 is safe and still far
#: below any physical weight difference.
MASS_MATCH_TOL = 1e-6


@dataclass
class Timescales:
    """Edges ``λ_gen, λ_mem, λ_fin``, times ``τ = 1/λ`` (training-time unit of THEORY.md §2:
    a mode of eigenvalue ``λ`` relaxes as ``exp(−λ τ)``) and windows (THEORY.md §5).

    ``roles[i]`` names what bulk ``i`` (left to right) holds: ``"fin"``, ``"mem"``, ``"gen"``,
    or merged roles joined by ``+``.
    """

    lam_gen: float | None
    lam_mem: float | None
    lam_fin: float | None
    tau_gen: float | None
    tau_mem: float | None
    tau_fin: float | None
    W_gen: float | None
    W_mem: float | None
    gen_mem_separated: bool
    mem_fin_separated: bool
    bulks: list = field(default_factory=list)
    roles: list = field(default_factory=list)
    edges: list = field(default_factory=list)
    params: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"lam_gen": self.lam_gen, "lam_mem": self.lam_mem, "lam_fin": self.lam_fin,
                "tau_gen": self.tau_gen, "tau_mem": self.tau_mem, "tau_fin": self.tau_fin,
                "W_gen": self.W_gen, "W_mem": self.W_mem,
                "gen_mem_separated": self.gen_mem_separated,
                "mem_fin_separated": self.mem_fin_separated,
                "bulks": [b.to_dict() for b in self.bulks], "roles": list(self.roles),
                "edges": list(self.edges), "time_unit": "training time tau: a mode of "
                "eigenvalue lambda relaxes as exp(-lambda tau)",
                "params": None if self.params is None else self.params.to_dict()}


def _inv(x):
    return None if x is None or x <= 0 else 1.0 / x


def assign_roles(bulks, psi_p: float, psi_n: float):
    """Which bulk is generalisation / memorisation / final (THEORY.md §5), by cumulative weight.

    Walking the bulks from the right, the cumulative weight reaches ``1/ψ_p`` at the end of the
    generalisation bulk and ``ψ_n/ψ_p`` at the end of the memorisation bulk(s). Returns
    ``(roles, i_gen, i_mem, i_fin, gen_mem_separated, mem_fin_separated)``: ``i_gen`` the index
    of the bulk whose lower edge is ``λ_gen`` (``None`` if merged), ``i_mem`` the bulk whose
    upper edge is ``λ_mem``, ``i_fin = 0``.
    """
    w_gen = 1.0 / psi_p
    w_mem_end = psi_n / psi_p
    nb = len(bulks)
    cum = np.cumsum([b.weight for b in bulks[::-1]])  # from the right
    i_gen = i_mem = None
    gen_sep = mem_sep = False
    for j, c in enumerate(cum[:-1]):
        i = nb - 1 - j
        if abs(c - w_gen) <= MASS_MATCH_TOL:
            gen_sep, i_gen, i_mem = True, i, i - 1
        if abs(c - w_mem_end) <= MASS_MATCH_TOL:
            mem_sep = True
    roles = []
    for i in range(nb):
        j = nb - 1 - i
        lo = cum[j] - bulks[i].weight  # cumulative weight above this bulk
        hi = cum[j]
        r = []
        if lo < w_gen - MASS_MATCH_TOL:
            r.append("gen")
        if hi > w_gen + MASS_MATCH_TOL and lo < w_mem_end - MASS_MATCH_TOL:
            r.append("mem")
        if hi > w_mem_end + MASS_MATCH_TOL:
            r.append("fin")
        roles.append("+".join(reversed(r)))
    return roles, i_gen, i_mem, 0 if nb else None, gen_sep, mem_sep


def timescales(params, *, dps: int = 30) -> Timescales:
    """``λ_gen, λ_mem, λ_fin``, ``τ = 1/λ`` and the windows (THEORY.md §5, paper Sec. 3.2).

    ``τ_gen = 1/λ_gen``, ``τ_mem = 1/λ_mem``, ``τ_fin = 1/λ_fin`` in training-time units
    (a mode of eigenvalue ``λ`` relaxes as ``exp(−λ τ)``); ``W_gen = τ_mem/τ_gen``,
    ``W_mem = τ_fin/τ_mem``. Needs ``ψ_n > 1`` and ``ψ_p ≥ 1 + ψ_n`` (the bulk counting of
    THEORY.md §5); raises ``ValueError`` otherwise.
    """
    from classdyn.theory.spectrum import SpectralParams, spectrum

    if not isinstance(params, SpectralParams):
        raise TypeError(f"params must be a classdyn.theory.spectrum.SpectralParams, got {type(params)}")
    if params.psi_n <= 1:
        raise ValueError(f"psi_n must be > 1 for the generalisation/memorisation bulk counting "
                         f"(THEORY.md §5), got psi_n={params.psi_n}")
    if params.psi_p < 1 + params.psi_n - 1e-12:
        raise ValueError(f"psi_p must be >= 1 + psi_n = {1 + params.psi_n:g} for the bulk "
                         f"counting of THEORY.md §5, got psi_p={params.psi_p}")
    sp = spectrum(params, dps=dps)
    bulks = sp.bulks
    roles, i_gen, i_mem, i_fin, gen_sep, mem_sep = assign_roles(bulks, params.psi_p,
                                                               params.psi_n)
    lam_gen = bulks[i_gen].lower if gen_sep else None
    lam_mem = bulks[i_mem].upper if gen_sep and i_mem is not None and i_mem >= 0 else None
    lam_fin = bulks[0].lower if bulks else None
    tg, tm, tf = _inv(lam_gen), _inv(lam_mem), _inv(lam_fin)
    W_gen = None if tg is None or tm is None else tm / tg
    W_mem = None if tm is None or tf is None else tf / tm
    return Timescales(lam_gen=lam_gen, lam_mem=lam_mem, lam_fin=lam_fin, tau_gen=tg,
                      tau_mem=tm, tau_fin=tf, W_gen=W_gen, W_mem=W_mem,
                      gen_mem_separated=gen_sep, mem_fin_separated=mem_sep, bulks=bulks,
                      roles=roles, edges=sp.edges, params=params)


def timescales_model(mixture, rf, t: float, *, dps: int = 30) -> Timescales:
    """:func:`timescales` for a centred :class:`~classdyn.theory.params.Mixture`, a
    :class:`~classdyn.theory.params.RandomFeatures` model and diffusion time ``t`` (THEORY.md §4–5)."""
    from classdyn.theory.spectrum import SpectralParams

    return timescales(SpectralParams.from_model(mixture, rf, t), dps=dps)


# ---------------------------------------------------------------------- large-ψ_p limit
@dataclass
class WindowLimit:
    """Windows as ``ψ_p → ∞`` at fixed ``ψ_n`` (paper Fig. 2b; THEORY.md §5).

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
