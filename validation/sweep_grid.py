"""Grids of parameter sweeps (issue 14): command-line specs, TOML grid files, and their checks.

A grid maps each swept parameter to its values. Specs: ``name=lo:hi:N`` (``numpy.linspace``),
``name=lo:hi:logN`` (``numpy.geomspace``, both ends > 0), ``name=v1,v2,...``. Parameters
(:data:`PARAMETERS`, two classes): ``psi_p``, ``psi_n``, ``t`` (diffusion time), ``ratio``
(σ_2²/σ_1², σ_1² = 1), ``weight`` (ρ_1, ρ_2 = 1 − ρ_1), ``norm2`` (‖μ_c‖²/d of both classes),
``tau`` (training time, for simulated losses), ``d`` (input dimension, integer), ``seed``
(integer ≥ 0, simulations) and ``activation`` (categorical: tanh, erf, relu, linear).
Integer ranges are rounded to integers (repeated values after rounding are refused).

A TOML grid file (:func:`read_grid_file`) has a ``[grid]`` table (``psi_p = "1.5:16:log20"``
or a list of values) and an optional ``[base]`` table of fixed values::

    [grid]
    ratio = "0.25:4:log9"
    weight = [0.2, 0.5, 0.8]

    [base]
    psi_p = 8.0
    t = 0.05

Everything is checked before any work; a problem is a ``ValueError`` naming it.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Iterable

import numpy as np

#: swept parameter -> (long name, units)
PARAMETERS = {
    "psi_p": ("p/d, hidden neurons per input dimension", "dimensionless"),
    "psi_n": ("n/d, training samples per input dimension", "dimensionless"),
    "t": ("diffusion time of the OU forward process", "dimensionless (OU time)"),
    "ratio": ("variance ratio sigma_2^2/sigma_1^2 (sigma_1^2 = 1)", "dimensionless"),
    "weight": ("weight rho_1 of class 1 (rho_2 = 1 - rho_1)", "dimensionless"),
    "norm2": ("squared centroid norm per dimension |mu_c|^2/d of both classes", "dimensionless"),
    "tau": ("training time of the simulated losses", "training time tau: a mode of eigenvalue "
                                                      "lambda relaxes as exp(-lambda tau)"),
    "d": ("input dimension", "dimensionless (integer)"),
    "seed": ("seed of the simulated system", "integer"),
    "activation": ("activation of the random features", "categorical"),
}

#: parameter -> value kind: "float", "int" or "str" (categorical)
KINDS = {**{k: "float" for k in ("psi_p", "psi_n", "t", "ratio", "weight", "norm2", "tau")},
         "d": "int", "seed": "int", "activation": "str"}

#: the values of the categorical parameter ``activation``
ACTIVATIONS = ("tanh", "erf", "relu", "linear")

#: a grid larger than this is refused unless ``yes=True`` (``--yes``)
MAX_POINTS = 10_000_000


def _number(name: str, text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise ValueError(f"grid {name}: {text!r} is not a number") from None
    if not math.isfinite(v):
        raise ValueError(f"grid {name}: {text!r} is not a finite number")
    return v


def _unknown(name: str) -> ValueError:
    return ValueError(f"grid: unknown parameter {name!r}; allowed: {', '.join(PARAMETERS)}")


def _axis(name: str, text: str) -> np.ndarray:
    if name not in PARAMETERS:
        raise _unknown(name)
    text = text.strip()
    if not text:
        raise ValueError(f"grid {name}: empty range (no values after '=')")
    if ":" in text:
        if KINDS[name] == "str":
            raise ValueError(f"grid {name}: a categorical parameter takes a list v1,v2,..., "
                             f"not a range {text!r}")
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
            values = np.geomspace(lo, hi, n)
        else:
            values = np.linspace(lo, hi, n)
        return np.rint(values).astype(np.int64) if KINDS[name] == "int" else values
    values = [v for v in (s.strip() for s in text.split(",")) if v]
    if not values:
        raise ValueError(f"grid {name}: empty range (no values in {text!r})")
    if KINDS[name] == "str":
        return np.array(values, dtype=str)
    return np.array([_number(name, v) for v in values], dtype=float)


def _typed(name: str, values) -> np.ndarray:
    """The values of ``name`` as a 1-D array of its kind, checked against its range."""
    kind = KINDS[name]
    raw = np.atleast_1d(np.asarray(values))
    if raw.ndim != 1 or raw.size == 0:
        raise ValueError(f"grid {name}: empty range (need a non-empty 1-D list of values)")
    if kind == "str":
        arr = raw.astype(str)
        bad = [v for v in arr.tolist() if v not in ACTIVATIONS]
        if bad:
            raise ValueError(f"grid {name}: unknown value(s) {bad}; allowed: "
                             f"{', '.join(ACTIVATIONS)}")
    else:
        try:
            arr = raw.astype(float)
        except (TypeError, ValueError):
            raise ValueError(f"grid {name}: values must be numbers, got {raw.tolist()}") from None
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"grid {name}: values must be finite, got {arr.tolist()}")
        if kind == "int":
            if not np.all(arr == np.rint(arr)):
                raise ValueError(f"grid {name}: values must be integers, got {arr.tolist()}")
            arr = arr.astype(np.int64)
    if len(np.unique(arr)) != len(arr):
        raise ValueError(f"grid {name}: repeated values {arr.tolist()}")
    lower = {"weight": None, "norm2": 0, "seed": 0}.get(name, "positive")
    if name == "weight" and not np.all((arr > 0) & (arr < 1)):
        raise ValueError(f"grid weight: rho_1 must lie in (0, 1), got {arr.tolist()}")
    elif lower == 0 and not np.all(arr >= 0):
        raise ValueError(f"grid {name}: must be >= 0, got {arr.tolist()}")
    elif lower == "positive" and kind != "str" and not np.all(arr > 0):
        raise ValueError(f"grid {name}: must be > 0, got {arr.tolist()}")
    return arr


def check_grid(grid: dict, *, yes: bool = False) -> dict[str, np.ndarray]:
    """Check a grid (parameter → values) before any work and return it as typed arrays.

    Parameters
    ----------
    grid : dict of str to array_like
        One entry per swept parameter (names of :data:`PARAMETERS`), each a 1-D list of values.
    yes : bool, default False
        Allow a grid of more than :data:`MAX_POINTS` points.

    Returns
    -------
    dict of str to ndarray
        The same axes as 1-D arrays in the given order: float64, int64 (``d``, ``seed``) or
        str (``activation``).

    Raises
    ------
    ValueError
        Naming the problem: no parameter, unknown parameter, empty axis, repeated values,
        values outside a parameter's range, or too many points without ``yes``.

    Examples
    --------
    >>> from classdyn.validation.sweep_grid import check_grid
    >>> check_grid({"psi_p": [4, 8]})["psi_p"].tolist()
    [4.0, 8.0]
    >>> check_grid({"activation": ["tanh", "relu"], "d": [100, 200]})["d"].tolist()
    [100, 200]
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
            raise _unknown(name)
        out[name] = _typed(name, values)
    size = math.prod(len(v) for v in out.values())
    if size > MAX_POINTS and not yes:
        raise ValueError(f"grid: {size} points exceed {MAX_POINTS:.0e}; pass yes=True (--yes) "
                         "to run it anyway")
    return out


def parse_grid(specs: Iterable[str], *, yes: bool = False) -> dict[str, np.ndarray]:
    """Parse ``name=lo:hi:N``, ``name=lo:hi:logN`` and ``name=v1,v2,...`` specs into a grid.

    ``lo:hi:N`` is linearly spaced (``numpy.linspace``), ``lo:hi:logN`` log-spaced
    (``numpy.geomspace``, both ends > 0); integer parameters (``d``, ``seed``) are rounded;
    ``activation`` takes a list only. Names: :data:`PARAMETERS`. Everything is checked here,
    before any work (:func:`check_grid`).

    Parameters
    ----------
    specs : iterable of str
        One spec per swept parameter.
    yes : bool, default False
        Allow a grid of more than :data:`MAX_POINTS` (10⁷) points.

    Returns
    -------
    dict of str to ndarray
        Parameter → 1-D values, in the order given.

    Raises
    ------
    ValueError
        Naming the problem: a spec without ``=``, a parameter given twice, an unknown parameter,
        an empty range, ``N < 1``, a log range through 0 or negative values, values outside a
        parameter's range, or a grid of more than 10⁷ points without ``yes``.

    Examples
    --------
    >>> from classdyn.validation.sweep_grid import parse_grid
    >>> g = parse_grid(["psi_p=4:16:log3", "t=0.01,0.1", "d=100:1000:log3"])
    >>> g["psi_p"].round(6).tolist(), g["t"].tolist(), g["d"].tolist()
    ([4.0, 8.0, 16.0], [0.01, 0.1], [100, 316, 1000])
    >>> parse_grid(["t=-1:1:log5"])
    Traceback (most recent call last):
    ...
    ValueError: grid t: log range -1.0:1.0 runs through 0 or negative values (both ends must be > 0)
    >>> parse_grid(["activation=tanh,sigmoid"])
    Traceback (most recent call last):
    ...
    ValueError: grid activation: unknown value(s) ['sigmoid']; allowed: tanh, erf, relu, linear
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


def read_grid_file(path: str | Path) -> tuple[dict[str, str | list], dict]:
    """Read a TOML grid file: its ``[grid]`` specs and its ``[base]`` fixed values.

    The file is data (parsed by the standard library's ``tomllib``, never executed). ``[grid]``
    maps a parameter to a spec string (``"1.5:16:log20"``, ``"0.1,0.5"``) or a list of values;
    ``[base]`` maps a parameter to one value. Unknown tables or keys are refused, naming them.

    Parameters
    ----------
    path : str or Path
        The ``.toml`` file.

    Returns
    -------
    grid : dict
        Parameter → spec string or list (pass to :func:`grid_from_file_entries`).
    base : dict
        Parameter → fixed value (``{}`` without ``[base]``).

    Raises
    ------
    ValueError
        For a file that is not valid TOML, a missing ``[grid]``, or unknown tables/keys.
    OSError
        For a file that cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from classdyn.validation.sweep_grid import read_grid_file
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "g.toml"
    >>> _ = p.write_text('[grid]\\npsi_p = "4:16:log3"\\nweight = [0.2, 0.5]\\n[base]\\nt = 0.05\\n')
    >>> read_grid_file(p)
    ({'psi_p': '4:16:log3', 'weight': [0.2, 0.5]}, {'t': 0.05})
    >>> _ = p.write_text('[grid]\\npsi_q = "1,2"\\n')
    >>> read_grid_file(p)
    Traceback (most recent call last):
    ...
    ValueError: grid file g.toml: unknown key(s) in [grid]: psi_q; allowed: psi_p, psi_n, t, ratio, weight, norm2, tau, d, seed, activation
    """
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    path = Path(path)
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"grid file {path.name}: not valid TOML ({exc})") from None
    extra = sorted(set(data) - {"grid", "base"})
    if extra:
        raise ValueError(f"grid file {path.name}: unknown table(s)/key(s) {', '.join(extra)}; "
                         "allowed: [grid], [base]")
    if not isinstance(data.get("grid"), dict) or not data["grid"]:
        raise ValueError(f"grid file {path.name}: needs a non-empty [grid] table")
    from .sweep_points import DEFAULT_BASE

    for table, allowed in (("grid", list(PARAMETERS)), ("base", list(DEFAULT_BASE))):
        entries = data.get(table, {})
        if not isinstance(entries, dict):
            raise ValueError(f"grid file {path.name}: {table} must be a table [{table}]")
        bad = [k for k in entries if k not in allowed]
        if bad:
            raise ValueError(f"grid file {path.name}: unknown key(s) in [{table}]: "
                             f"{', '.join(bad)}; allowed: {', '.join(allowed)}")
    return dict(data["grid"]), dict(data.get("base", {}))


def grid_from_file_entries(entries: dict, *, yes: bool = False) -> dict[str, np.ndarray]:
    """The grid of a file's ``[grid]`` entries: a spec string is parsed as on the command line
    (:func:`parse_grid`), a list taken as the values (:func:`check_grid`)."""
    specs, lists = [], {}
    for name, value in entries.items():
        if isinstance(value, str):
            specs.append(f"{name}={value}")
        elif isinstance(value, list):
            lists[name] = value
        else:
            raise ValueError(f"grid {name}: expected a spec string or a list, got {value!r}")
    grid = dict(parse_grid(specs, yes=True)) if specs else {}
    grid.update(check_grid(lists, yes=True) if lists else {})
    return check_grid({k: grid[k] for k in entries}, yes=yes)
