"""Continuation sweeps (issue 14): centred spectra computed line by line of a map.

``sweep(..., base={"method": "continuation"})`` (CLI ``classdyn sweep --method continuation``)
computes ``timescales``, ``edges`` and ``masses`` of centred classes with
:func:`classdyn.theory.spectrum_path.spectra_along`: the edges of each point are followed from
its neighbour on the grid (every root of the edge polynomial as a fold, float64 Newton), and the
certified route (:func:`classdyn.theory.spectrum.spectrum`, exact edge polynomial) is run only
where the spectrum changes structure or a check fails (docs/theory/edges.md, "Edges along a
path"). The numbers equal the certified route's to float64 rounding (edges ~1e-16 of the scale,
tests/theory/test_spectrum_path.py), at a few milliseconds per point instead of ~0.2 s.

Order of the work (deterministic, so that a rerun gives the same Dataset bit for bit):

1. the first column (last swept index 0), visited in snake order over the other indices, is one
   path, computed here in the client;
2. every line along the last swept axis is a task that continues from its first point (from
   step 1): the tasks run on the executor (local pool or Dask) in parallel.

The cache works by lines: a line with a missing point is recomputed whole from the same start
(step 1 is always recomputed: a few milliseconds per line).
"""

from __future__ import annotations

import math

from .sweep_points import (QUANTITIES, VECTORS, _as_float, _door, centred_bulks,
                           vector_values)

#: quantities that the continuation computes (centred classes)
PATH_QUANTITIES = ("timescales", "edges", "masses")
#: values of the base parameter ``method``
METHODS = ("certified", "continuation")


def check_method(quantity: str, method: str, points) -> None:
    """Refuse ``method="continuation"`` where it does not apply, before any work.

    Parameters
    ----------
    quantity : str
        The sweep's quantity.
    method : str
        ``"certified"`` (point by point, the default) or ``"continuation"``.
    points : iterable of dict
        The grid points (their ``norm2`` must be 0: centred classes).

    Raises
    ------
    ValueError
        For an unknown method, a quantity other than :data:`PATH_QUANTITIES`, or a point with
        extensive centroids.

    Examples
    --------
    >>> from classdyn.validation.sweep_lines import check_method
    >>> check_method("timescales", "continuation", [{"norm2": 0.0}])
    >>> check_method("speciation", "continuation", [{"norm2": 1.0}])
    Traceback (most recent call last):
    ...
    ValueError: method 'continuation' computes timescales, edges, masses (centred classes); got quantity 'speciation'
    """
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if method == "certified":
        return
    if quantity not in PATH_QUANTITIES:
        raise ValueError(f"method 'continuation' computes {', '.join(PATH_QUANTITIES)} (centred "
                         f"classes); got quantity {quantity!r}")
    if any(float(p["norm2"]) > 0 for p in points):
        raise ValueError("method 'continuation' needs centred classes (norm2 = 0 at every "
                         "point): extensive centroids have no edge polynomial to follow")


def _failed(quantity: str, exc: BaseException) -> dict:
    names = list(QUANTITIES[quantity])
    return {"values": {k: ([] if k in VECTORS else math.nan) for k in names},
            "status": f"failed: {type(exc).__name__}: {exc}"}


def _result(quantity: str, point: dict, ps) -> dict:
    """The values of one point from its :class:`~classdyn.theory.spectrum_path.PathSpectrum`,
    as :func:`~classdyn.validation.sweep_points.compute_point` gives them through the door."""
    from classdyn.theory.bulks import check_bulk_counting, named_timescales

    try:
        if quantity == "timescales":
            check_bulk_counting(float(point["psi_p"]), float(point["psi_n"]))
        if ps.error is not None:
            raise ps.error
        spec = ps.spectrum
        if quantity == "timescales":
            ts = named_timescales(spec.bulks, spec.params.psi_p, spec.params.psi_n,
                                  edges=spec.edges, params=spec.params)
            raw = {k: getattr(ts, k) for k in QUANTITIES[quantity]}
        else:
            raw = vector_values(quantity, *centred_bulks(spec))
        return {"values": {k: _as_float(raw[k]) for k in QUANTITIES[quantity]}, "status": "ok"}
    except Exception as exc:  # a failed point never stops the sweep
        return _failed(quantity, exc)


def path_results(quantity: str, points: list, *, start=None, dps: int = 30):
    """Results of consecutive grid points along a path, and the last point's path state.

    Parameters
    ----------
    quantity : str
        One of :data:`PATH_QUANTITIES`.
    points : list of dict
        Neighbouring grid points (full parameter dicts, as in
        :func:`~classdyn.validation.sweep_points.compute_point`).
    start : PathSpectrum, optional
        The path state at the point before ``points[0]``.
    dps : int
        Digits of the certified route.

    Returns
    -------
    results : list of dict
        One ``{"values", "status"}`` per point.
    states : list of PathSpectrum or None
        The path state at each point (``None`` where the point's parameters were refused).

    Examples
    --------
    >>> from classdyn.validation.sweep_points import DEFAULT_BASE
    >>> from classdyn.validation.sweep_lines import path_results
    >>> pts = [dict(DEFAULT_BASE, psi_p=p) for p in (4.0, 4.2, 4.4)]
    >>> res, states = path_results("masses", pts)
    >>> [r["status"] for r in res], [s.method for s in states]
    (['ok', 'ok', 'ok'], ['certified', 'continuation', 'continuation'])
    """
    from classdyn.theory.spectrum_path import compiled_kernels, spectra_along

    params, results = [], [None] * len(points)
    states = [None] * len(points)
    with compiled_kernels():  # many small calls: the coefficient kernels compiled too
        for i, p in enumerate(points):
            try:
                params.append((i, _door(p).params))
            except Exception as exc:  # refused parameters: a failed point, the path goes on
                results[i] = _failed(quantity, exc)
        along = spectra_along([sp for _, sp in params], dps=dps, compiled=True, start=start)
        for (i, _), ps in zip(params, along):
            states[i] = ps
            results[i] = _result(quantity, points[i], ps)
    return results, states


def compute_line(task) -> list:
    """One line of a continuation sweep (a task of the executor; top-level, picklable).

    Parameters
    ----------
    task : tuple
        ``(quantity, line, start, points)``: the quantity, the line's index (returned with the
        results), the path state at the line's first point, and the line's other points.

    Returns
    -------
    list of dict
        One result per point of ``points``.

    Examples
    --------
    >>> from classdyn.validation.sweep_points import DEFAULT_BASE
    >>> from classdyn.validation.sweep_lines import compute_line, path_results
    >>> _, states = path_results("edges", [dict(DEFAULT_BASE)])
    >>> res = compute_line(("edges", (0,), states[0], [dict(DEFAULT_BASE, psi_p=4.1)]))
    >>> res[0]["status"], res[0]["values"]["n_bulks"]
    ('ok', 2.0)
    """
    quantity, _line, start, points = task
    dps = int(points[0].get("dps", 30)) if points else 30
    return path_results(quantity, points, start=start, dps=dps)[0]


def _snake(shape: tuple) -> list:
    """The multi-indices of ``shape`` in boustrophedon order (each step changes one index by 1)."""
    order = [()]
    for n in reversed(shape):
        new = []
        for j in range(n):
            new.extend((j,) + b for b in (order if j % 2 == 0 else order[::-1]))
        order = new
    return order


def run_lines(quantity: str, shape: tuple, points: dict, todo: set, executor, progress):
    """Compute the points ``todo`` of a continuation sweep (module docstring); yields
    ``(idx, result)`` for each of them.

    ``points`` maps every multi-index of the grid to its parameter dict; lines run along the
    last axis; ``progress(iterable, total)`` wraps the stream of finished lines.
    """
    dps = int(next(iter(points.values())).get("dps", 30))
    heads = _snake(shape[:-1])
    column = [points[h + (0,)] for h in heads]
    head_res, head_states = path_results(quantity, column, dps=dps)
    lines = {}
    for h, res, state in zip(heads, head_res, head_states):
        if h + (0,) in todo:
            yield h + (0,), res
        rest = [h + (j,) for j in range(1, shape[-1])]
        if any(idx in todo for idx in rest):
            ok = state is not None and state.spectrum is not None
            lines[h] = (state if ok else None, rest)
    tasks = [(quantity, h, state, [points[idx] for idx in rest])
             for h, (state, rest) in lines.items()]
    if not tasks:
        return
    for task, res in progress(executor.submit_all(compute_line, tasks), len(tasks)):
        for idx, r in zip(lines[task[1]][1], res):
            if idx in todo:
                yield idx, r
