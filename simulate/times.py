"""Class times from test-loss curves (docs/theory/class-losses.md; paper's (15)) and the gaps between classes.

All times are training times ``τ`` in the unit of docs/theory/model.md (a mode of eigenvalue ``λ`` of
``U`` relaxes as ``exp(−λ τ)``), read off the ``τ`` grid of the curves.

- ``τ_gen^c = argmin_τ E_c(τ)`` — refined by a parabola through the grid minimum and its two
  neighbours in ``log τ`` (the grid is log-spaced);
- ``τ_mem^c = min{τ > τ_gen^c : E_c(τ) ≥ θ}``, ``θ = threshold`` (default 1 = the loss of the
  untrained model, ``E_c(0) = 1``), located by linear interpolation in ``log τ`` between the two
  grid points that bracket the crossing. Variant: ``worse_than_min = r`` uses
  ``θ_c = (1 + r) E_c(τ_gen^c)`` (the paper's "1 % worse" is ``r = 0.01``).
  When the curve never reaches ``θ`` on the grid, ``tau_mem = inf`` and ``mem_reached`` is False.
- gaps between classes ``a`` and ``b``: ``log10 τ^a − log10 τ^b`` (negative: ``a`` first) for
  both times; :func:`first_class` names the class that reaches a time first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass
class ClassTimes:
    """Per-class generalisation and memorisation times, as returned by :func:`class_times`.

    Times are training times ``τ`` in docs/theory/model.md units (a mode of eigenvalue ``λ``
    of ``U`` relaxes as ``exp(−λ τ)``; dimensionless).

    Parameters
    ----------
    tau_gen : numpy.ndarray, shape (C,)
        ``τ_gen^c = argmin_τ E_c(τ)`` (parabola-refined).
    tau_mem : numpy.ndarray, shape (C,)
        ``τ_mem^c``, first crossing of the threshold after ``τ_gen^c``; ``inf`` when not
        reached on the grid.
    min_loss : numpy.ndarray, shape (C,)
        Smallest grid value of ``E_c``.
    mem_reached : numpy.ndarray of bool, shape (C,)
        Whether ``E_c`` reached the threshold on the grid.
    threshold : numpy.ndarray, shape (C,)
        The threshold ``θ_c`` used for ``τ_mem``.
    gen_interior : numpy.ndarray of bool, shape (C,)
        False when the minimum sits at an end of the grid (``τ_gen`` is then that end).

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import class_times
    >>> tau = np.geomspace(0.1, 1000.0, 41)
    >>> x = np.log10(tau)
    >>> curves = [0.5 + 0.1 * x**2, 0.5 + 0.1 * (x - 1) ** 2]  # minima at τ = 1 and 10
    >>> ct = class_times(tau, curves)
    >>> ct.tau_mem, ct.mem_reached
    (array([172.01073657,          inf]), array([ True, False]))
    >>> sorted(ct.to_dict())
    ['gaps', 'gen_interior', 'mem_reached', 'min_loss', 'tau_gen', 'tau_mem', 'tau_unit', 'threshold']
    """

    tau_gen: np.ndarray
    tau_mem: np.ndarray
    min_loss: np.ndarray
    mem_reached: np.ndarray
    threshold: np.ndarray
    gen_interior: np.ndarray  # False when the minimum sits at an end of the grid

    def to_dict(self) -> dict:
        return {"tau_gen": self.tau_gen, "tau_mem": self.tau_mem, "min_loss": self.min_loss,
                "mem_reached": self.mem_reached, "threshold": self.threshold,
                "gen_interior": self.gen_interior, "gaps": gaps(self),
                "tau_unit": "docs/theory/model.md: a mode of eigenvalue λ of U relaxes as exp(-λ τ)"}


def _check_curves(tau, curves):
    tau = np.asarray(tau, float)
    curves = np.atleast_2d(np.asarray(curves, float))
    if tau.ndim != 1 or tau.size < 3:
        raise ValueError(f"tau must be a 1-d grid with >= 3 points, got shape {tau.shape}")
    if np.any(tau <= 0) or np.any(np.diff(tau) <= 0) or not np.all(np.isfinite(tau)):
        raise ValueError("tau must be finite, > 0 and strictly increasing (log-spaced grid)")
    if curves.ndim != 2 or curves.shape[1] != tau.size:
        raise ValueError(f"curves must have shape (C, {tau.size}), got {curves.shape}")
    if not np.all(np.isfinite(curves)):
        raise ValueError("curves must be finite (found NaN or inf)")
    return tau, curves


def class_times(tau, curves, threshold: float = 1.0, worse_than_min: float | None = None
                ) -> ClassTimes:
    r"""``τ_gen^c`` and ``τ_mem^c`` of each class curve ``E_c`` (module docstring; paper's (15)).

    docs/theory/class-losses.md:

    .. math::

        \tau_\mathrm{gen}^c = \operatorname{argmin}_\tau E_c(\tau), \qquad
        \tau_\mathrm{mem}^c = \min\{\tau > \tau_\mathrm{gen}^c : E_c(\tau) \ge \theta_c\}.

    ``τ_gen`` is refined by a parabola through the grid minimum and its two neighbours in
    ``log τ``; ``τ_mem`` is located by linear interpolation in ``log τ`` between the two grid
    points that bracket the crossing. ``θ_c = threshold`` (default 1, the loss of the untrained
    model ``E_c(0) = 1``), or ``θ_c = (1 + r) min E_c`` with ``worse_than_min = r`` (the paper's
    "1 % worse" is ``r = 0.01``). When the curve never reaches ``θ_c`` on the grid,
    ``tau_mem = inf`` and ``mem_reached`` is False.

    Parameters
    ----------
    tau : array_like, shape (T,)
        Log-spaced grid of training times (docs/theory/model.md units, dimensionless), > 0,
        strictly increasing, T ≥ 3.
    curves : array_like, shape (C, T) or (T,)
        Class test losses ``E_c(τ)`` (finite).
    threshold : float, optional
        Memorisation threshold ``θ`` (default 1.0).
    worse_than_min : float or None, optional
        If given (> 0), ``θ_c = (1 + worse_than_min) min E_c`` instead of ``threshold``.

    Returns
    -------
    ClassTimes
        ``tau_gen``, ``tau_mem``, ``min_loss``, ``mem_reached``, ``threshold``, ``gen_interior``.

    Raises
    ------
    ValueError
        For a bad grid (fewer than 3 points, not > 0, not increasing), curves of the wrong
        shape or not finite, a non-finite ``threshold``, or ``worse_than_min`` not > 0.

    Examples
    --------
    Parabolas in ``log10 τ``, ``E = 0.5 + 0.1 (log10 τ − m)²``: ``τ_gen = 10^m`` exactly, and
    ``E = 1`` at ``log10 τ = m + √5`` (``10^√5 ≈ 172.2``; grid interpolation gives 172.0):

    >>> import numpy as np
    >>> from classdyn.simulate import class_times
    >>> tau = np.geomspace(0.1, 1000.0, 41)
    >>> x = np.log10(tau)
    >>> curves = [0.5 + 0.1 * x**2, 0.5 + 0.1 * (x - 1) ** 2]  # minima at τ = 1 and 10
    >>> ct = class_times(tau, curves)
    >>> np.round(ct.tau_gen, 6), np.round(ct.tau_mem, 1), ct.mem_reached
    (array([ 1., 10.]), array([172.,  inf]), array([ True, False]))
    >>> np.round(class_times(tau, curves, worse_than_min=0.01).threshold, 6)
    array([0.505, 0.505])
    """
    tau, curves = _check_curves(tau, curves)
    if not (isinstance(threshold, (int, float, np.floating)) and math.isfinite(threshold)):
        raise ValueError(f"threshold must be a finite number, got {threshold!r}")
    if worse_than_min is not None and not (math.isfinite(worse_than_min) and worse_than_min > 0):
        raise ValueError(f"worse_than_min must be a finite number > 0, got {worse_than_min!r}")
    C, T = curves.shape
    lt = np.log(tau)
    tg, tm, mins, reached, thr, interior = (np.empty(C) for _ in range(6))
    for c in range(C):
        E = curves[c]
        i = int(np.argmin(E))
        interior[c] = 0 < i < T - 1
        if interior[c]:
            y0, y1, y2 = E[i - 1], E[i], E[i + 1]
            x0, x1, x2 = lt[i - 1], lt[i], lt[i + 1]
            # vertex of the parabola through the three points (non-uniform spacing)
            den = (x0 - x1) * (x0 - x2) * (x1 - x2)
            a = (x2 * (y1 - y0) + x1 * (y0 - y2) + x0 * (y2 - y1)) / den
            b = (x2**2 * (y0 - y1) + x1**2 * (y2 - y0) + x0**2 * (y1 - y2)) / den
            xv = -b / (2 * a) if a > 0 else x1
            xv = min(max(xv, x0), x2)
            tg[c] = math.exp(xv)
            mins[c] = y1
        else:
            tg[c] = tau[i]
            mins[c] = E[i]
        thr[c] = (1 + worse_than_min) * E[i] if worse_than_min is not None else threshold
        above = np.flatnonzero(E[i + 1:] >= thr[c])
        if above.size == 0:
            tm[c], reached[c] = math.inf, False
            continue
        j = i + 1 + int(above[0])
        ya, yb = E[j - 1], E[j]
        frac = 1.0 if yb == ya else (thr[c] - ya) / (yb - ya)
        tm[c] = math.exp(lt[j - 1] + min(max(frac, 0.0), 1.0) * (lt[j] - lt[j - 1]))
        reached[c] = True
    return ClassTimes(tau_gen=tg, tau_mem=tm, min_loss=mins, mem_reached=reached.astype(bool),
                      threshold=thr, gen_interior=interior.astype(bool))


def gaps(times: ClassTimes) -> dict:
    r"""Pairwise gaps ``log10 τ^a − log10 τ^b`` for ``a < b`` (keys ``"a-b"``), both times.

    .. math::

        \mathrm{gap}_{ab} = \log_{10} \tau^a - \log_{10} \tau^b

    (negative: class ``a`` first), for ``τ_gen`` and ``τ_mem`` (docs/theory/class-losses.md).
    A memorisation gap involving a class that never memorised on the grid is ``inf``/``-inf``
    (or ``nan`` when neither did; check ``mem_reached``).

    Parameters
    ----------
    times : ClassTimes
        The class times.

    Returns
    -------
    dict
        ``{"gen": {"a-b": float, ...}, "mem": {"a-b": float, ...}}``.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import class_times
    >>> tau = np.geomspace(0.1, 1000.0, 41)
    >>> x = np.log10(tau)
    >>> curves = [0.5 + 0.1 * x**2, 0.5 + 0.1 * (x - 1) ** 2]  # minima at τ = 1 and 10
    >>> ct = class_times(tau, curves)
    >>> from classdyn.simulate import gaps
    >>> g = gaps(ct)
    >>> round(g["gen"]["0-1"], 6), g["mem"]["0-1"]
    (-1.0, -inf)
    """
    C = len(times.tau_gen)
    out = {"gen": {}, "mem": {}}
    with np.errstate(invalid="ignore"):
        for a in range(C):
            for b in range(a + 1, C):
                out["gen"][f"{a}-{b}"] = float(np.log10(times.tau_gen[a])
                                               - np.log10(times.tau_gen[b]))
                out["mem"][f"{a}-{b}"] = float(np.log10(times.tau_mem[a])
                                               - np.log10(times.tau_mem[b]))
    return out


def first_class(times: ClassTimes, which: str = "gen") -> int:
    """Index of the class with the smallest ``τ_gen`` (``which='gen'``) or ``τ_mem``.

    Ties go to the lower index; with ``which='mem'`` a class that never memorised has
    ``τ_mem = inf`` and is last.

    Parameters
    ----------
    times : ClassTimes
        The class times.
    which : {'gen', 'mem'}, optional
        Which time to compare (default ``'gen'``).

    Returns
    -------
    int
        The class index.

    Raises
    ------
    ValueError
        If ``which`` is not ``'gen'`` or ``'mem'``.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import class_times
    >>> tau = np.geomspace(0.1, 1000.0, 41)
    >>> x = np.log10(tau)
    >>> curves = [0.5 + 0.1 * x**2, 0.5 + 0.1 * (x - 1) ** 2]  # minima at τ = 1 and 10
    >>> ct = class_times(tau, curves)
    >>> from classdyn.simulate import first_class
    >>> first_class(ct), first_class(ct, "mem")
    (0, 0)
    """
    if which not in ("gen", "mem"):
        raise ValueError(f"which must be 'gen' or 'mem', got {which!r}")
    return int(np.argmin(times.tau_gen if which == "gen" else times.tau_mem))
