"""Bulks of a spectral density and the one rule that names their edges (docs/theory/timescales.md).

A :class:`Bulk` is one connected piece ``[lower, upper]`` of the support of the density of
``U`` with its mass. Both kinds of model, centred classes (:mod:`classdyn.theory.spectrum`) and
extensive centroids (:mod:`classdyn.theory.extensive`), name their bulks with
:func:`assign_roles` and turn them into :class:`Timescales` with :func:`named_timescales`:
counted from the right by mass, the top ``1/ψ_p`` is the generalisation bulk (lower edge
``λ_gen``), up to ``ψ_n/ψ_p`` the memorisation bulk(s) (upper edge ``λ_mem``), up to
``(1 + ψ_n)/ψ_p`` the final bulk (lower edge ``λ_fin``); ``τ_x = 1/λ_x`` in training-time units
(a mode of eigenvalue ``λ`` relaxes as ``exp(−λ τ)``), ``W_gen = τ_mem/τ_gen``,
``W_mem = τ_fin/τ_mem``. The reading needs ``ψ_n > 1`` and ``ψ_p ≥ 1 + ψ_n``
(:func:`check_bulk_counting`).

NumPy only: importing this module loads neither Numba, SymPy nor mpmath.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["Bulk", "Timescales", "MASS_MATCH_TOL", "check_bulk_counting", "assign_roles",
           "named_timescales"]


@dataclass
class Bulk:
    """One connected piece ``[lower, upper]`` of the support of the density of ``U``.

    Parameters
    ----------
    lower, upper : float
        Edges of the piece (eigenvalues of ``U``, dimensionless), ``lower < upper``.
    weight : float
        Its mass: the fraction of the ``p`` eigenvalues of ``U`` it holds.

    Examples
    --------
    >>> from classdyn.theory import Bulk
    >>> Bulk(0.1, 0.4, 0.25).to_dict()
    {'lower': 0.1, 'upper': 0.4, 'weight': 0.25}
    """

    lower: float
    upper: float
    weight: float

    def to_dict(self) -> dict[str, float]:
        return {"lower": self.lower, "upper": self.upper, "weight": self.weight}



#: Tolerance on the match between cumulative bulk weights and ``1/ψ_p``, ``ψ_n/ψ_p``: the bulk
#: masses are integrated to ~1e-10 (classdyn.theory.spectrum.MASS_TOL), so 1e-6 is safe and still far
#: below any physical weight difference.
MASS_MATCH_TOL = 1e-6


@dataclass
class Timescales:
    r"""Named edges, learning times and windows of one spectrum (docs/theory/timescales.md).

    .. math::

        \tau_x = 1/\lambda_x,\qquad W_{\mathrm{gen}} = \tau_{\mathrm{mem}}/\tau_{\mathrm{gen}},
        \qquad W_{\mathrm{mem}} = \tau_{\mathrm{fin}}/\tau_{\mathrm{mem}}

    Times are in the training-time unit of docs/theory/model.md: a mode of eigenvalue ``λ``
    relaxes as ``exp(−λ τ)``. Made by :func:`named_timescales` for both kinds of model.

    Parameters
    ----------
    lam_gen, lam_mem, lam_fin : float or None
        Lower edge of the generalisation bulk, upper edge of the memorisation bulk, lower edge of
        the final bulk; ``None`` where the bulks merged and the edge does not exist.
    tau_gen, tau_mem, tau_fin : float or None
        ``1/λ`` of each.
    W_gen, W_mem : float or None
        The windows.
    gen_mem_separated, mem_fin_separated : bool
        Whether a gap separates those parts of the spectrum.
    bulks : list of Bulk
        The bulks, left to right.
    roles : list of str
        What each bulk holds: ``"fin"``, ``"mem"``, ``"gen"``, ``"band"`` (extensive
        centroids' ``s̄²(m)`` modes), merged roles joined by ``+`` (lowest first).
    edges : list
        The edges as found (strings at high precision for centred classes).
    params : SpectralParams or None
        The parameters (centred classes).

    Examples
    --------
    >>> from classdyn.theory import Bulk, named_timescales
    >>> ts = named_timescales([Bulk(0.01, 0.1, 0.25), Bulk(0.2, 0.3, 0.25),
    ...                        Bulk(0.5, 2.0, 0.25)], psi_p=4.0, psi_n=2.0)
    >>> ts.roles, ts.tau_gen, round(ts.W_gen, 4)
    (['fin', 'mem', 'gen'], 2.0, 1.6667)
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


def check_bulk_counting(psi_p: float, psi_n: float) -> None:
    """Refuse the parameters where the generalisation / memorisation / final reading of the
    bulks (docs/theory/timescales.md) is not defined: it needs ``ψ_n > 1`` and ``ψ_p ≥ 1 + ψ_n``."""
    if psi_n <= 1:
        raise ValueError(f"psi_n must be > 1 for the generalisation/memorisation bulk counting "
                         f"(docs/theory/timescales.md), got psi_n={psi_n}")
    if psi_p < 1 + psi_n - 1e-12:
        raise ValueError(f"psi_p must be >= 1 + psi_n = {1 + psi_n:g} for the bulk "
                         f"counting of docs/theory/timescales.md, got psi_p={psi_p}")


def assign_roles(bulks, psi_p: float, psi_n: float, *, tol: float = MASS_MATCH_TOL):
    """Which bulk is generalisation / memorisation / final (docs/theory/timescales.md), by cumulative weight.

    Walking the bulks (objects with ``weight``, ordered left to right) from the right, the
    cumulative weight ``W`` reaches ``1/ψ_p`` at the end of the generalisation bulk,
    ``ψ_n/ψ_p`` at the end of the memorisation bulk(s) and ``(1 + ψ_n)/ψ_p`` at the end of the
    final bulk; weights are matched to ``tol``. Centred classes have no bulk beyond
    ``(1 + ψ_n)/ψ_p`` (the rest is the delta peak at ``s̄²``); with extensive centroids the
    ``s̄²(m)`` modes spread into a band, role ``"band"``.

    Returns ``(roles, i_gen, i_mem, i_fin, gen_mem_separated, mem_fin_separated)``: ``roles[i]``
    the roles of bulk ``i`` joined by ``+`` (lowest first, e.g. ``fin+mem``); ``i_gen`` the bulk whose lower
    edge is ``λ_gen`` (``None`` when no gap sits at ``W = 1/ψ_p``), ``i_mem = i_gen − 1`` the
    bulk whose upper edge is ``λ_mem``, ``i_fin`` the lowest bulk holding final mass (lower edge
    ``λ_fin``; ``None`` when no bulk does, e.g. when the final bulk has shrunk into the delta
    peak at ``s̄²`` at large ``t``).
    """
    w_gen = 1.0 / psi_p
    w_mem_end = psi_n / psi_p
    w_fin_end = (1.0 + psi_n) / psi_p
    weights = [float(b.weight) for b in bulks]
    nb = len(weights)
    cum = np.cumsum(weights[::-1])  # from the right
    i_gen = i_mem = i_fin = None
    gen_sep = mem_sep = False
    for j, c in enumerate(cum[:-1]):
        i = nb - 1 - j
        if abs(c - w_gen) <= tol:
            gen_sep, i_gen, i_mem = True, i, i - 1
        if abs(c - w_mem_end) <= tol:
            mem_sep = True
    roles = []
    for i in range(nb):
        j = nb - 1 - i
        lo = cum[j] - weights[i]  # cumulative weight above this bulk
        hi = cum[j]
        r = []
        if lo < w_gen - tol:
            r.append("gen")
        if hi > w_gen + tol and lo < w_mem_end - tol:
            r.append("mem")
        if hi > w_mem_end + tol and lo < w_fin_end - tol:
            r.append("fin")
            if i_fin is None:  # bulks run left to right: the lowest one holding final mass
                i_fin = i
        if hi > w_fin_end + tol:
            r.append("band")
        roles.append("+".join(reversed(r)))
    return roles, i_gen, i_mem, i_fin, gen_sep, mem_sep


def named_timescales(bulks, psi_p: float, psi_n: float, *, tol: float = MASS_MATCH_TOL,
                     edges=(), params=None) -> Timescales:
    r"""Learning times and windows from bulks named by mass, for either kind of model
    (docs/theory/timescales.md, paper Sec. 3.2).

    The bulks are named by :func:`assign_roles`. ``λ_gen`` is the lower edge of bulk ``i_gen``
    and ``λ_mem`` the upper edge of bulk ``i_mem`` (both only when a gap separates the top
    ``1/ψ_p`` of the mass), ``λ_fin`` the lower edge of bulk ``i_fin``; then

    .. math::

        \tau_x = 1/\lambda_x,\qquad W_{\mathrm{gen}} = \tau_{\mathrm{mem}}/\tau_{\mathrm{gen}},
        \qquad W_{\mathrm{mem}} = \tau_{\mathrm{fin}}/\tau_{\mathrm{mem}}.

    Parameters
    ----------
    bulks : sequence of Bulk
        The bulks, left to right (any objects with ``lower``, ``upper``, ``weight``).
    psi_p, psi_n : float
        ``p/d`` and ``n/d``; the reading needs ``ψ_n > 1`` and ``ψ_p ≥ 1 + ψ_n``.
    tol : float, optional
        Tolerance of the mass matching (default :data:`MASS_MATCH_TOL`, 1e-6, for masses
        integrated to ~1e-10; extensive centroids use 1e-3).
    edges : sequence, optional
        The edges as found, stored in the result.
    params : SpectralParams, optional
        Stored in the result.

    Returns
    -------
    Timescales
        Times in training-time units (a mode of eigenvalue ``λ`` relaxes as ``exp(−λ τ)``);
        ``None`` for an edge that does not exist.

    Raises
    ------
    ValueError
        Outside the bulk counting's range (:func:`check_bulk_counting`).

    Examples
    --------
    >>> from classdyn.theory import Bulk, named_timescales
    >>> ts = named_timescales([Bulk(0.01, 0.3, 0.5), Bulk(0.5, 2.0, 0.25)], 4.0, 2.0)
    >>> ts.roles, ts.lam_gen, ts.lam_mem, ts.lam_fin
    (['fin+mem', 'gen'], 0.5, 0.3, 0.01)
    """
    check_bulk_counting(psi_p, psi_n)
    roles, i_gen, i_mem, i_fin, gen_sep, mem_sep = assign_roles(bulks, psi_p, psi_n, tol=tol)
    lam_gen = float(bulks[i_gen].lower) if gen_sep else None
    lam_mem = (float(bulks[i_mem].upper) if gen_sep and i_mem is not None and i_mem >= 0
               else None)
    lam_fin = float(bulks[i_fin].lower) if i_fin is not None else None
    tg, tm, tf = _inv(lam_gen), _inv(lam_mem), _inv(lam_fin)
    W_gen = None if tg is None or tm is None else tm / tg
    W_mem = None if tm is None or tf is None else tf / tm
    return Timescales(lam_gen=lam_gen, lam_mem=lam_mem, lam_fin=lam_fin, tau_gen=tg,
                      tau_mem=tm, tau_fin=tf, W_gen=W_gen, W_mem=W_mem,
                      gen_mem_separated=gen_sep, mem_fin_separated=mem_sep, bulks=list(bulks),
                      roles=roles, edges=list(edges), params=params)
