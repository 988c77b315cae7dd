"""Parameter sweeps as ``xarray.Dataset`` maps (issue 14; docs/theory/timescales.md,
docs/theory/speciation.md, docs/theory/extensive.md).

``parse_grid(["psi_p=4:16:log3", "t=0.01,0.1"])`` turns command-line specs into a grid (one axis
per swept parameter, :mod:`~classdyn.validation.sweep_grid`; TOML files through
``read_grid_file``); ``sweep(quantity, grid)`` evaluates a quantity at every point of the grid
(:mod:`~classdyn.validation.sweep_points`: the theory through the one door
``classdyn.theory.model(...)``, simulated losses through ``classdyn.simulate``) on an executor
(:mod:`~classdyn.validation.executors`: local pool, serial or Dask) and returns a Dataset with one
dimension per swept parameter (plus ``edge``/``bulk`` for vector quantities), units in attrs, a
per-point ``status`` and provenance.

Swept parameters (two classes): ``psi_p``, ``psi_n``, ``t``, ``ratio`` (variance ratio
σ_2²/σ_1² with σ_1² = 1), ``weight`` (ρ_1; ρ_2 = 1 − ρ_1), ``norm2`` (centroid norm
‖μ_c‖²/d of both classes), ``tau``, ``d``, ``seed``, ``activation``. Quantities:
``timescales``, ``speciation``, ``edges``, ``masses``, ``outliers``, ``losses``.

A point that fails is NaN with its reason in ``status``; the sweep goes on. With ``out`` the run
lives in ``<out>/sweep/<hash of quantity, grid and base>/``: one JSON per point (keyed by the
point's parameters, the code version and the library versions, so a rerun computes only what is
missing) and the Dataset as ``sweep.zarr`` (``sweep.nc`` when zarr is not installed). All files
are written by this process (the client), also when points run on Dask workers.

Units: training time ``tau`` such that a mode of eigenvalue ``lambda`` relaxes as
``exp(-lambda tau)``; diffusion time ``t`` of the OU forward process (dimensionless).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from .sweep_grid import (KINDS, MAX_POINTS, PARAMETERS, check_grid,  # noqa: F401
                         grid_from_file_entries, parse_grid, read_grid_file)
from .sweep_points import (DEFAULT_BASE, QUANTITIES, T_UNIT, TAU_UNIT, VECTORS,  # noqa: F401
                           compute_point)

#: docs page of each quantity (Dataset attrs)
DOCS = {"timescales": "docs/theory/timescales.md", "speciation": "docs/theory/speciation.md",
        "edges": "docs/theory/edges.md", "masses": "docs/theory/spectrum-centred.md",
        "outliers": "docs/theory/extensive.md", "losses": "docs/theory/model.md",
        "class_order": "docs/theory/class-losses.md"}


# ------------------------------------------------------------------ run directory and cache
def _canonical(obj: Any) -> str:
    def conv(o):
        if isinstance(o, dict):
            return {str(k): conv(v) for k, v in o.items()}
        if isinstance(o, (list, tuple, np.ndarray)):
            return [conv(v) for v in list(o)]
        if isinstance(o, (float, np.floating)):
            return repr(float(o))
        if isinstance(o, np.integer):
            return int(o)
        return o
    return json.dumps(conv(obj), sort_keys=True)


def _digest(obj: Any, n: int = 16) -> str:
    return hashlib.sha256(_canonical(obj).encode()).hexdigest()[:n]


def _code_version() -> str:
    from classdyn.provenance import code_version

    return code_version()


def _library_versions() -> dict:
    from classdyn.provenance import library_versions

    v = library_versions()
    v.pop("platform", None)
    return v


#: defaults that differ by quantity: speciation and outliers need extensive centroids (centred
#: classes never speciate and have no outliers); simulated losses are small systems
QUANTITY_BASE = {"speciation": {"norm2": 1.0}, "outliers": {"norm2": 1.0}, "losses": {"d": 40},
                 "class_order": {"d": 40}}


def _base(quantity: str, base: dict | None) -> dict:
    from .sweep_grid import _typed

    full = dict(DEFAULT_BASE)
    full.update(QUANTITY_BASE.get(quantity, {}))
    for k, v in (base or {}).items():
        if k not in DEFAULT_BASE:
            raise ValueError(f"base: unknown parameter {k!r}; allowed: {', '.join(DEFAULT_BASE)}")
        if k == "dps":
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or not 15 <= v <= 100:
                raise ValueError(f"base dps: working digits must be an integer in [15, 100], "
                                 f"got {v!r}")
            full[k] = int(v)
            continue
        if k == "method":
            from .sweep_lines import METHODS

            if v not in METHODS:
                raise ValueError(f"base method: must be one of {', '.join(METHODS)}, got {v!r}")
            full[k] = v
            continue
        try:
            full[k] = _typed(k, [v])[0].item()
        except ValueError as exc:
            raise ValueError(f"base {k}: {str(exc).split(': ', 1)[-1]}") from None
    return full


def run_directory(quantity: str, grid: dict, base: dict | None, out: str | Path) -> Path:
    """The run directory ``<out>/sweep/<hash>/`` of a sweep, named by its quantity, grid and base.

    Parameters
    ----------
    quantity : str
        A key of :data:`QUANTITIES`.
    grid : dict of str to array_like
        The swept axes.
    base : dict or None
        The fixed parameters given by the caller (``None``: the defaults).
    out : str or Path
        The output folder.

    Returns
    -------
    Path
        ``<out>/sweep/<16 hex digits>``; another grid, quantity or base gets another folder.

    Examples
    --------
    >>> from classdyn.validation.sweep import run_directory
    >>> a = run_directory("timescales", {"t": [0.1]}, None, "results")
    >>> a.parent.as_posix(), a == run_directory("timescales", {"t": [0.2]}, None, "results")
    ('results/sweep', False)
    """
    full = _base(quantity, base)
    key = {"quantity": quantity, "base": full,
           "grid": {k: v.tolist() for k, v in check_grid(grid, yes=True).items()}}
    return Path(out) / "sweep" / _digest(key)


def _point_key(quantity: str, point: dict, version: str, versions: dict) -> str:
    return _digest({"quantity": quantity, "point": point, "code_version": version,
                    "versions": versions}, n=24)


def _from_json(v):
    if isinstance(v, list):
        return [_from_json(x) for x in v]
    return math.nan if v is None else float(v)


def _to_json(v):
    if isinstance(v, list):
        return [_to_json(x) for x in v]
    return None if math.isnan(v) else (repr(v) if math.isinf(v) else v)


def _read_point(path: Path, key: str) -> dict | None:
    try:
        rec = json.loads(path.read_text())
        if rec.get("key") != key:
            return None
        return {"values": {k: _from_json(v) for k, v in rec["values"].items()},
                "status": str(rec["status"])}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None  # unreadable or foreign: recomputed


def _write_point(path: Path, key: str, point: dict, result: dict) -> None:
    from classdyn.io import atomic_write_text

    vals = {k: _to_json(v) for k, v in result["values"].items()}
    rec = {"key": key, "point": point, "values": vals, "status": result["status"]}
    atomic_write_text(path, json.dumps(rec, indent=1))


# ------------------------------------------------------------------ the sweep
def sweep(quantity: str, grid, *, base: dict | None = None, out: str | Path | None = None,
          executor=None, progress: bool = True, yes: bool = False,
          command: str | None = None):
    """Evaluate a quantity over a grid: an ``xarray.Dataset`` map (issue 14).

    Each point is two classes (variances ``(1, ratio)``, weights ``(weight, 1 - weight)``,
    ``norms2 = (norm2, norm2)``) asked through ``classdyn.theory.model(...)`` or
    ``classdyn.simulate`` (:func:`~classdyn.validation.sweep_points.compute_point`):
    ``"timescales"`` gives ``τ_gen = 1/λ_gen``, ``τ_mem``, ``τ_fin``, ``W_gen = τ_mem/τ_gen``
    and ``W_mem = τ_fin/τ_mem`` (docs/theory/timescales.md; NaN where the bulks merged and the
    edge does not exist), ``"speciation"`` the leading-order ``t_s^c = ½ log(ρ_c n2 d)``
    (docs/theory/speciation.md), ``"edges"``/``"masses"`` every bulk's edges/mass (extra
    dimension ``edge``/``bulk``, NaN-padded), ``"outliers"`` each class's outlier and the bulk
    edge (norm2 > 0, at ``d``), ``"losses"`` simulated train and class test losses at ``tau``
    (one system of size ``d``, seed ``seed``). A point that fails is NaN with its reason in
    ``status``; the sweep goes on.

    Parameters
    ----------
    quantity : {"timescales", "speciation", "edges", "masses", "outliers", "losses"}
        What to compute at each point.
    grid : dict or list of str
        Parameter → values, or specs for :func:`parse_grid`; checked before any work.
    base : dict, optional
        Values of the parameters not swept (keys of :data:`DEFAULT_BASE`: ``psi_p``,
        ``psi_n``, ``t``, ``ratio``, ``weight``, ``norm2``, ``d``, ``activation``, ``tau``,
        ``seed``, and ``dps``, the working digits of the centred edge search: 30 by default,
        15 the fast path).
    out : str or Path, optional
        Output folder: the run goes to :func:`run_directory` with one cached JSON per point
        (a rerun computes only missing points) and the Dataset as ``sweep.zarr`` (``sweep.nc``
        without zarr). ``None``: nothing is written.
    executor : object with ``submit_all(fn, tasks)``, optional
        Default: the local process pool (``classdyn.validation.executors.make_executor("local")``);
        a :class:`~classdyn.validation.executors.DaskExecutor` runs points on Dask workers.
    progress : bool, default True
        Show a progress bar (on a terminal).
    yes : bool, default False
        Allow more than :data:`MAX_POINTS` points.
    command : str, optional
        The command line recorded in the provenance (default ``sys.argv``).

    Returns
    -------
    xarray.Dataset
        One dimension per swept parameter (coords with ``long_name``/``units``), one variable
        per quantity with ``units``, ``status`` (str per point) and attrs ``quantity``,
        ``grid``, ``base``, ``provenance`` (JSON strings), ``code_version``,
        ``n_failed``.

    Raises
    ------
    ValueError
        For an unknown quantity, a bad grid or base (before any work).

    Examples
    --------
    >>> from classdyn.validation.runner import SerialExecutor
    >>> from classdyn.validation.sweep import sweep
    >>> ds = sweep("speciation", {"weight": [0.25, 0.5]}, executor=SerialExecutor(),
    ...            progress=False)
    >>> ds["t_s_1"].dims, ds["t_s_1"].values.round(4).tolist(), ds["status"].values.tolist()
    (('weight',), [2.7607, 3.1073], ['ok', 'ok'])
    >>> ds["t_s_1"].attrs["units"]
    'diffusion time t of the OU forward process (dimensionless)'
    """
    if quantity not in QUANTITIES:
        raise ValueError(f"quantity must be one of {sorted(QUANTITIES)}, got {quantity!r}")
    grid = parse_grid(grid, yes=yes) if isinstance(grid, (list, tuple)) else check_grid(grid,
                                                                                       yes=yes)
    full = _base(quantity, base)
    import xarray as xr

    from classdyn.progress import progress as bar
    from classdyn.provenance import provenance

    names = list(grid)
    shape = tuple(len(grid[k]) for k in names)
    version, versions = _code_version(), _library_versions()
    points = []
    for idx in np.ndindex(*shape):
        p = dict(full)
        p.update({k: grid[k][i].item() for k, i in zip(names, idx)})  # float, int or str
        points.append((idx, p))

    from .sweep_lines import check_method

    check_method(quantity, full["method"], [p for _, p in points])
    run = run_directory(quantity, grid, base, out) if out is not None else None
    results: dict[tuple, dict] = {}
    todo = []
    for idx, p in points:
        key = _point_key(quantity, p, version, versions)
        path = run / "points" / f"{key}.json" if run is not None else None
        cached = _read_point(path, key) if path is not None and path.exists() else None
        if cached is not None:
            results[idx] = cached
        else:
            todo.append((idx, p, key, path))

    if todo:
        if executor is None:
            from classdyn.validation.runner import make_executor

            executor = make_executor("local")
        if full["method"] == "continuation":
            from .sweep_lines import run_lines

            by_idx = {idx: (p, key, path) for idx, p, key, path in todo}
            stream = run_lines(quantity, shape, dict(points), set(by_idx), executor,
                               lambda it, n: bar(it, desc=f"sweep {quantity} (lines)", total=n,
                                                 disable=None if progress else True))
            for idx, res in stream:
                results[idx] = res
                p, key, path = by_idx[idx]
                if path is not None:
                    _write_point(path, key, p, res)
        else:
            _run_points(quantity, todo, executor, results, bar, progress)

    coords = {}
    for k in names:
        long_name, units = PARAMETERS[k]
        coords[k] = (k, grid[k], {"long_name": long_name, "units": units})
    data = {}
    for var, (long_name, units) in QUANTITIES[quantity].items():
        if var in VECTORS:  # NaN-padded to the longest point along its own dimension
            width = max([len(r["values"].get(var, [])) for r in results.values()] + [1])
            arr = np.full(shape + (width,), np.nan)
            for idx, res in results.items():
                vec = res["values"].get(var, [])
                arr[idx + (slice(0, len(vec)),)] = vec
            data[var] = (names + [VECTORS[var]], arr, {"long_name": long_name, "units": units})
            continue
        arr = np.full(shape, np.nan)
        for idx, res in results.items():
            arr[idx] = res["values"].get(var, np.nan)
        data[var] = (names, arr, {"long_name": long_name, "units": units})
    status = np.empty(shape, dtype=object)
    for idx, res in results.items():
        status[idx] = res["status"]
    status = status.astype(str)
    data["status"] = (names, status, {"long_name": "per-point status: 'ok' or 'failed: reason'"})
    n_failed = int(sum(1 for s in status.ravel() if s != "ok"))
    attrs = {"quantity": quantity,
             "grid": json.dumps({k: v.tolist() for k, v in grid.items()}),
             "base": json.dumps(full),
             "code_version": version,
             "provenance": json.dumps(provenance(command)),
             "n_points": int(math.prod(shape)), "n_failed": n_failed,
             "time_unit": TAU_UNIT,
             "docs": DOCS[quantity]}
    ds = xr.Dataset(data, coords=coords, attrs=attrs)
    if run is not None:
        save_dataset(ds, run)
    return ds


def _run_points(quantity, todo, executor, results, bar, progress) -> None:
    """Every point on its own (``method="certified"``): one task per point."""
    by_task = {}
    tasks = []
    for idx, p, key, path in todo:
        task = (quantity, p)
        tasks.append(task)
        by_task[id(task)] = (idx, p, key, path)
    lookup = {_canonical(t[1]): by_task[id(t)] for t in tasks}
    stream = executor.submit_all(compute_point, tasks)
    for task, res in bar(stream, desc=f"sweep {quantity}", total=len(tasks),
                         disable=None if progress else True):
        idx, p, key, path = lookup[_canonical(task[1])]
        results[idx] = res
        if path is not None:
            _write_point(path, key, p, res)


def save_dataset(ds, run: str | Path) -> Path:
    """Save a sweep Dataset in ``run`` as ``sweep.zarr``, or ``sweep.nc`` when zarr is missing.

    Parameters
    ----------
    ds : xarray.Dataset
        A Dataset made by :func:`sweep`.
    run : str or Path
        The run directory (made if missing).

    Returns
    -------
    Path
        The path written.

    Examples
    --------
    >>> import tempfile, xarray as xr
    >>> from classdyn.validation.sweep import save_dataset
    >>> ds = xr.Dataset({"a": ("t", [1.0, 2.0])}, coords={"t": [0.1, 0.2]})
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = save_dataset(ds, d)
    ...     p.name in ("sweep.zarr", "sweep.nc")
    True
    """
    import warnings

    run = Path(run)
    run.mkdir(parents=True, exist_ok=True)
    try:
        import zarr  # noqa: F401
    except ImportError:
        path = run / "sweep.nc"
        ds.to_netcdf(path)
        return path
    path = run / "sweep.zarr"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds.to_zarr(path, mode="w")
    return path


# ``classdyn.validation.sweep`` names both this module and the function :func:`sweep`; once the
# module is imported, the package attribute is the module (the import system sets it), so the
# module is made callable: ``classdyn.validation.sweep(quantity, grid)`` is :func:`sweep` either way.
class _CallableModule(__import__("types").ModuleType):
    def __call__(self, quantity, grid, **kw):
        return sweep(quantity, grid, **kw)


__import__("sys").modules[__name__].__class__ = _CallableModule
