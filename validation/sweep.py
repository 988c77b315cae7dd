"""Parameter sweeps of the theory as ``xarray.Dataset`` maps (issue 14; docs/theory/timescales.md,
docs/theory/speciation.md).

``parse_grid(["psi_p=4:16:log3", "t=0.01,0.1"])`` turns command-line specs into a grid (one axis
per swept parameter); ``sweep(quantity, grid)`` evaluates a quantity at every point of the grid
through the one door ``classdyn.theory.model(...)`` and returns a Dataset with one dimension per
swept parameter, units in attrs, a per-point ``status`` and provenance.

Swept parameters (two classes): ``psi_p``, ``psi_n``, ``t``, ``ratio`` (variance ratio
σ_2²/σ_1² with σ_1² = 1), ``weight`` (ρ_1; ρ_2 = 1 − ρ_1) and ``norm2`` (centroid norm
‖μ_c‖²/d of both classes). Quantities: ``"timescales"`` (τ_gen, τ_mem, τ_fin, W_gen, W_mem of
docs/theory/timescales.md) and ``"speciation"`` (leading-order t_s of each class,
docs/theory/speciation.md).

A point that fails is NaN with its reason in ``status``; the sweep goes on. With ``out`` the run
lives in ``<out>/sweep/<hash of quantity, grid and base>/``: one JSON per point (keyed by the
point's parameters, the code version and the library versions, so a rerun computes only what is
missing) and the Dataset as ``sweep.zarr`` (``sweep.nc`` when zarr is not installed).

Units: training time ``tau`` such that a mode of eigenvalue ``lambda`` relaxes as
``exp(-lambda tau)``; diffusion time ``t`` of the OU forward process (dimensionless).
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any, Iterable

import numpy as np

#: swept parameter -> (long name, units)
PARAMETERS = {
    "psi_p": ("p/d, hidden neurons per input dimension", "dimensionless"),
    "psi_n": ("n/d, training samples per input dimension", "dimensionless"),
    "t": ("diffusion time of the OU forward process", "dimensionless (OU time)"),
    "ratio": ("variance ratio sigma_2^2/sigma_1^2 (sigma_1^2 = 1)", "dimensionless"),
    "weight": ("weight rho_1 of class 1 (rho_2 = 1 - rho_1)", "dimensionless"),
    "norm2": ("squared centroid norm per dimension |mu_c|^2/d of both classes", "dimensionless"),
}

#: a grid larger than this is refused unless ``yes=True`` (``--yes``)
MAX_POINTS = 10_000_000

TAU_UNIT = "training time tau: a mode of eigenvalue lambda relaxes as exp(-lambda tau)"
T_UNIT = "diffusion time t of the OU forward process (dimensionless)"

#: quantity -> {variable: (long name, units)}
QUANTITIES = {
    "timescales": {
        "tau_gen": ("generalisation time 1/lambda_gen (docs/theory/timescales.md)", TAU_UNIT),
        "tau_mem": ("memorisation time 1/lambda_mem (docs/theory/timescales.md)", TAU_UNIT),
        "tau_fin": ("final time 1/lambda_fin (docs/theory/timescales.md)", TAU_UNIT),
        "W_gen": ("generalisation window tau_mem/tau_gen", "dimensionless (ratio of times)"),
        "W_mem": ("memorisation window tau_fin/tau_mem", "dimensionless (ratio of times)"),
    },
    "speciation": {
        "t_s_1": ("leading-order speciation time of class 1, 1/2 log(rho_1 n2 d) "
                  "(docs/theory/speciation.md)", T_UNIT),
        "t_s_2": ("leading-order speciation time of class 2, 1/2 log(rho_2 n2 d) "
                  "(docs/theory/speciation.md)", T_UNIT),
    },
}

#: fixed values of the parameters that are not swept; ``d`` is the input dimension (speciation)
DEFAULT_BASE = {"psi_p": 4.0, "psi_n": 2.0, "t": 0.1, "ratio": 2.0, "weight": 0.5,
                "norm2": 0.0, "d": 1000, "activation": "tanh"}


# ------------------------------------------------------------------ grids
def _number(name: str, text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"grid {name}: {text!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"grid {name}: {text!r} is not a finite number")
    return v


def _axis(name: str, text: str) -> np.ndarray:
    if name not in PARAMETERS:
        raise ValueError(f"grid: unknown parameter {name!r}; allowed: {', '.join(PARAMETERS)}")
    text = text.strip()
    if not text:
        raise ValueError(f"grid {name}: empty range (no values after '=')")
    if ":" in text:
        parts = text.split(":")
        if len(parts) != 3:
            raise ValueError(f"grid {name}: expected lo:hi:N or lo:hi:logN, got {text!r}")
        lo, hi = _number(name, parts[0]), _number(name, parts[1])
        count = parts[2].strip()
        log = count.lower().startswith("log")
        count = count[3:] if log else count
        try:
            n = int(count)
        except ValueError:
            raise ValueError(f"grid {name}: N must be an integer, got {parts[2]!r}") from None
        if n < 1:
            raise ValueError(f"grid {name}: N < 1 (got N = {n}): empty range")
        if n > 1 and not hi > lo:
            raise ValueError(f"grid {name}: empty range {lo}:{hi} (hi must exceed lo)")
        if log:
            if lo <= 0 or hi <= 0:
                raise ValueError(f"grid {name}: log range {lo}:{hi} runs through 0 or negative "
                                 "values (both ends must be > 0)")
            return np.geomspace(lo, hi, n)
        return np.linspace(lo, hi, n)
    values = [v for v in (s.strip() for s in text.split(",")) if v]
    if not values:
        raise ValueError(f"grid {name}: empty range (no values in {text!r})")
    return np.array([_number(name, v) for v in values], dtype=float)


def _check_domain(name: str, values: np.ndarray) -> None:
    if len(np.unique(values)) != len(values):
        raise ValueError(f"grid {name}: repeated values {values.tolist()}")
    if name == "weight" and not np.all((values > 0) & (values < 1)):
        raise ValueError(f"grid weight: rho_1 must lie in (0, 1), got {values.tolist()}")
    elif name == "norm2" and not np.all(values >= 0):
        raise ValueError(f"grid norm2: must be >= 0, got {values.tolist()}")
    elif name not in ("weight", "norm2") and not np.all(values > 0):
        raise ValueError(f"grid {name}: must be > 0, got {values.tolist()}")


def check_grid(grid: dict, *, yes: bool = False) -> dict[str, np.ndarray]:
    """Check a grid (parameter → values) before any work and return it as float arrays.

    Parameters
    ----------
    grid : dict of str to array_like
        One entry per swept parameter (names of :data:`PARAMETERS`), each a 1-D list of values.
    yes : bool, default False
        Allow a grid of more than :data:`MAX_POINTS` points.

    Returns
    -------
    dict of str to ndarray
        The same axes as 1-D float64 arrays, in the given order.

    Raises
    ------
    ValueError
        Naming the problem: no parameter, unknown parameter, empty axis, repeated values,
        values outside a parameter's range, or too many points without ``yes``.

    Examples
    --------
    >>> from classdyn.validation.sweep import check_grid
    >>> check_grid({"psi_p": [4, 8]})["psi_p"].tolist()
    [4.0, 8.0]
    >>> check_grid({"weight": [0.5, 1.0]})
    Traceback (most recent call last):
    ...
    ValueError: grid weight: rho_1 must lie in (0, 1), got [0.5, 1.0]
    """
    if not grid:
        raise ValueError("grid: no parameter to sweep; give at least one name=values")
    out = {}
    for name, values in grid.items():
        if name not in PARAMETERS:
            raise ValueError(f"grid: unknown parameter {name!r}; allowed: {', '.join(PARAMETERS)}")
        arr = np.atleast_1d(np.asarray(values, dtype=float))
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"grid {name}: empty range (need a non-empty 1-D list of values)")
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"grid {name}: values must be finite, got {arr.tolist()}")
        _check_domain(name, arr)
        out[name] = arr
    size = math.prod(len(v) for v in out.values())
    if size > MAX_POINTS and not yes:
        raise ValueError(f"grid: {size} points exceed {MAX_POINTS:.0e}; pass yes=True (--yes) "
                         "to run it anyway")
    return out


def parse_grid(specs: Iterable[str], *, yes: bool = False) -> dict[str, np.ndarray]:
    """Parse ``name=lo:hi:N``, ``name=lo:hi:logN`` and ``name=v1,v2,...`` specs into a grid.

    ``lo:hi:N`` is linearly spaced (``numpy.linspace``), ``lo:hi:logN`` log-spaced
    (``numpy.geomspace``, both ends > 0). Names: ``psi_p``, ``psi_n``, ``t``, ``ratio``
    (σ_2²/σ_1², σ_1² = 1), ``weight`` (ρ_1, ρ_2 = 1 − ρ_1), ``norm2`` (‖μ_c‖²/d of both
    classes). Everything is checked here, before any work (:func:`check_grid`).

    Parameters
    ----------
    specs : iterable of str
        One spec per swept parameter.
    yes : bool, default False
        Allow a grid of more than :data:`MAX_POINTS` (10⁷) points.

    Returns
    -------
    dict of str to ndarray
        Parameter → 1-D float64 values, in the order given.

    Raises
    ------
    ValueError
        Naming the problem: a spec without ``=``, a parameter given twice, an unknown parameter,
        an empty range, ``N < 1``, a log range through 0 or negative values, values outside a
        parameter's range, or a grid of more than 10⁷ points without ``yes``.

    Examples
    --------
    >>> from classdyn.validation.sweep import parse_grid
    >>> g = parse_grid(["psi_p=4:16:log3", "t=0.01,0.1"])
    >>> g["psi_p"].round(6).tolist(), g["t"].tolist()
    ([4.0, 8.0, 16.0], [0.01, 0.1])
    >>> parse_grid(["t=-1:1:log5"])
    Traceback (most recent call last):
    ...
    ValueError: grid t: log range -1.0:1.0 runs through 0 or negative values (both ends must be > 0)
    >>> parse_grid(["beta=1,2"])
    Traceback (most recent call last):
    ...
    ValueError: grid: unknown parameter 'beta'; allowed: psi_p, psi_n, t, ratio, weight, norm2
    """
    grid: dict[str, np.ndarray] = {}
    for spec in specs:
        if "=" not in spec:
            raise ValueError(f"grid: expected name=values, got {spec!r}")
        name, text = (s.strip() for s in spec.split("=", 1))
        if name in grid:
            raise ValueError(f"grid: parameter {name!r} given twice")
        grid[name] = _axis(name, text)
    return check_grid(grid, yes=yes)


# ------------------------------------------------------------------ one point
def compute_point(task: tuple[str, dict]) -> dict:
    """Evaluate one grid point; never raises (a failure is NaN values and a reason).

    Top-level, so that a process pool can pickle it. ``task`` is ``(quantity, point)`` with
    ``point`` holding every parameter of :data:`DEFAULT_BASE`. The model is two classes with
    variances ``(1, ratio)``, weights ``(weight, 1 - weight)`` and ``norms2`` ``(norm2,
    norm2)`` (centred when 0), asked through ``classdyn.theory.model(...)``:
    ``.timescales()`` (docs/theory/timescales.md) or ``.speciation(d, method="leading")``,
    ``t_s^c = ½ log(ρ_c n2 d)`` (docs/theory/speciation.md).

    Parameters
    ----------
    task : tuple of (str, dict)
        The quantity (a key of :data:`QUANTITIES`) and the point's parameters.

    Returns
    -------
    dict
        ``values`` (variable → float, NaN where missing: training time ``tau`` for the times,
        diffusion time ``t`` for ``t_s``) and ``status`` (``"ok"`` or ``"failed: <error>"``).

    Examples
    --------
    >>> from classdyn.validation.sweep import DEFAULT_BASE, compute_point
    >>> r = compute_point(("speciation", dict(DEFAULT_BASE, norm2=1.0)))
    >>> r["status"], round(r["values"]["t_s_1"], 4)
    ('ok', 3.1073)
    >>> compute_point(("timescales", dict(DEFAULT_BASE, psi_n=1.0)))["status"][:18]
    'failed: ValueError'
    """
    quantity, point = task
    names = list(QUANTITIES.get(quantity, {}))
    try:
        from classdyn.theory.model import model
        from classdyn.theory.params import Mixture, RandomFeatures

        if quantity not in QUANTITIES:
            raise ValueError(f"quantity must be one of {sorted(QUANTITIES)}, got {quantity!r}")
        w, n2 = float(point["weight"]), float(point["norm2"])
        mix = Mixture((1.0, float(point["ratio"])), weights=(w, 1.0 - w),
                      norms2=(n2, n2) if n2 > 0 else None)
        rf = RandomFeatures(float(point["psi_p"]), float(point["psi_n"]),
                            point.get("activation", "tanh"))
        if quantity == "timescales":
            ts = model(mix, rf, t=float(point["t"])).timescales()
            raw = [getattr(ts, k) for k in names]
        else:
            sp = model(mix, rf).speciation(int(point["d"]), method="leading")
            raw = [float(x) for x in np.asarray(sp.t_s, dtype=float)]
        values = {k: (math.nan if v is None else float(v)) for k, v in zip(names, raw)}
        return {"values": values, "status": "ok"}
    except Exception as exc:  # a failed point never stops the sweep
        return {"values": {k: math.nan for k in names},
                "status": f"failed: {type(exc).__name__}: {exc}"}


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


def _base(quantity: str, base: dict | None) -> dict:
    full = dict(DEFAULT_BASE)
    if quantity == "speciation":
        full["norm2"] = 1.0  # centred classes never speciate
    for k, v in (base or {}).items():
        if k not in DEFAULT_BASE:
            raise ValueError(f"base: unknown parameter {k!r}; allowed: {', '.join(DEFAULT_BASE)}")
        full[k] = v
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
           "grid": {k: np.asarray(v, dtype=float).tolist() for k, v in grid.items()}}
    return Path(out) / "sweep" / _digest(key)


def _point_key(quantity: str, point: dict, version: str, versions: dict) -> str:
    return _digest({"quantity": quantity, "point": point, "code_version": version,
                    "versions": versions}, n=24)


def _read_point(path: Path, key: str) -> dict | None:
    try:
        rec = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if rec.get("key") != key:
        return None
    vals = {k: (math.nan if v is None else float(v)) for k, v in rec["values"].items()}
    return {"values": vals, "status": rec["status"]}


def _write_point(path: Path, key: str, point: dict, result: dict) -> None:
    from classdyn.io import atomic_write_text

    vals = {k: (None if math.isnan(v) else (repr(v) if math.isinf(v) else v))
            for k, v in result["values"].items()}
    rec = {"key": key, "point": point, "values": vals, "status": result["status"]}
    atomic_write_text(path, json.dumps(rec, indent=1))


# ------------------------------------------------------------------ the sweep
def sweep(quantity: str, grid, *, base: dict | None = None, out: str | Path | None = None,
          executor=None, progress: bool = True, yes: bool = False,
          command: str | None = None):
    """Evaluate a theory quantity over a grid: an ``xarray.Dataset`` map (issue 14).

    Each point is two classes (variances ``(1, ratio)``, weights ``(weight, 1 - weight)``,
    ``norms2 = (norm2, norm2)``) asked through ``classdyn.theory.model(...)``
    (:func:`compute_point`): ``"timescales"`` gives ``τ_gen = 1/λ_gen``, ``τ_mem``, ``τ_fin``,
    ``W_gen = τ_mem/τ_gen`` and ``W_mem = τ_fin/τ_mem`` (docs/theory/timescales.md; NaN where
    the bulks merged and the edge does not exist), ``"speciation"`` the leading-order
    ``t_s^c = ½ log(ρ_c n2 d)`` (docs/theory/speciation.md). A point that fails is NaN with its
    reason in ``status``; the sweep goes on.

    Parameters
    ----------
    quantity : {"timescales", "speciation"}
        What to compute at each point.
    grid : dict or list of str
        Parameter → values, or specs for :func:`parse_grid`; checked before any work.
    base : dict, optional
        Values of the parameters not swept (keys of :data:`DEFAULT_BASE`: ``psi_p``,
        ``psi_n``, ``t``, ``ratio``, ``weight``, ``norm2``, ``d``, ``activation``).
    out : str or Path, optional
        Output folder: the run goes to :func:`run_directory` with one cached JSON per point
        (a rerun computes only missing points) and the Dataset as ``sweep.zarr`` (``sweep.nc``
        without zarr). ``None``: nothing is written.
    executor : object with ``submit_all(fn, tasks)``, optional
        Default: the local process pool of :mod:`classdyn.validation.runner`
        (``make_executor("process")``).
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
        p.update({k: float(grid[k][i]) for k, i in zip(names, idx)})
        points.append((idx, p))

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

            executor = make_executor("process")
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

    coords = {}
    for k in names:
        long_name, units = PARAMETERS[k]
        coords[k] = (k, grid[k], {"long_name": long_name, "units": units})
    data = {}
    for var, (long_name, units) in QUANTITIES[quantity].items():
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
             "docs": ("docs/theory/timescales.md" if quantity == "timescales"
                      else "docs/theory/speciation.md")}
    ds = xr.Dataset(data, coords=coords, attrs=attrs)
    if run is not None:
        save_dataset(ds, run)
    return ds


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
