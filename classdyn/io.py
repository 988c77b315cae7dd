"""Atomic, resumable result I/O shared by every package.

Conventions (DESIGN.md): JSON for scalars and metadata, ``.npz`` for arrays, both written to a
temporary file in the destination folder and renamed into place, so a killed run never leaves a
half-written file behind.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any, Mapping

import numpy as np


def to_jsonable(obj: Any) -> Any:
    """Convert NumPy scalars/arrays, dataclasses, paths and complex numbers to JSON types.

    Non-finite floats become the strings ``"nan"``, ``"inf"``, ``"-inf"`` so the output is strict
    JSON (``json.loads`` of other languages accepts it).
    """
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        if hasattr(obj, "to_dict"):
            return to_jsonable(obj.to_dict())
        return to_jsonable(dataclasses.asdict(obj))
    if isinstance(obj, Mapping):
        return {str(k): to_jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return to_jsonable(obj.tolist())
    if isinstance(obj, (np.bool_, bool)):
        return bool(obj)
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating, float)):
        x = float(obj)
        if math.isfinite(x):
            return x
        return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(obj, (complex, np.complexfloating)):
        return {"re": to_jsonable(float(obj.real)), "im": to_jsonable(float(obj.imag))}
    if isinstance(obj, Path):
        return str(obj)
    return obj


def dumps(obj: Any, **kw: Any) -> str:
    """``json.dumps`` after :func:`to_jsonable`."""
    return json.dumps(to_jsonable(obj), **kw)


def _remove_stale_temps(path: Path) -> None:
    """Remove temp files of ``path`` left by a writer that was killed (SIGKILL, power loss): their
    names carry the writer's process id, and a process that no longer exists cannot finish."""
    for tmp in path.parent.glob(f".{path.name}.*.tmp"):
        parts = tmp.name[len(path.name) + 2:].split(".")
        try:
            pid = int(parts[0])
        except (ValueError, IndexError):
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            try:
                tmp.unlink()
            except OSError:
                pass
        except OSError:
            pass  # the process exists (another user's): leave its file


def atomic_write_with(path: str | os.PathLike, write) -> Path:
    """Call ``write(fh)`` on a binary file handle and move the file to ``path`` atomically.

    The temp file lives in the destination folder (same file system, so ``os.replace`` is
    atomic); it is removed if ``write`` raises, and the previous ``path`` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temps(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp",
                               dir=path.parent)
    # mkstemp creates 0600; give the result the permissions a plain open() would (umask).
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return path


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file in the same folder, then rename)."""
    return atomic_write_with(path, lambda fh: fh.write(data))


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(path: str | os.PathLike, obj: Any) -> Path:
    """Write ``obj`` as indented JSON atomically (NumPy types converted).

    The text goes to a temporary file in the destination folder, which is then renamed onto
    ``path`` (``os.replace``), so a killed run never leaves a half-written file; missing parent
    folders are created. NumPy scalars and arrays, dataclasses, paths and complex numbers are
    converted by :func:`to_jsonable`; non-finite floats become the strings ``"nan"``, ``"inf"``,
    ``"-inf"`` (strict JSON).

    Parameters
    ----------
    path : str or os.PathLike
        Destination file; an existing file is replaced only once the new one is complete.
    obj : Any
        The object to write (mappings, sequences, NumPy types, dataclasses, ...).

    Returns
    -------
    pathlib.Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    TypeError
        If ``obj`` holds something JSON cannot encode even after conversion; the previous
        ``path`` is left untouched.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from classdyn import atomic_write_json, read_json
    >>> path = atomic_write_json(os.path.join(tempfile.mkdtemp(), "r.json"),
    ...                          {"x": np.float64(0.5), "n": np.int64(3), "bad": float("nan")})
    >>> path.name
    'r.json'
    >>> read_json(path)
    {'x': 0.5, 'n': 3, 'bad': 'nan'}
    """
    return atomic_write_text(path, dumps(obj, indent=2, sort_keys=False) + "\n")


def atomic_save_npz(path: str | os.PathLike, **arrays: np.ndarray) -> Path:
    """``numpy.savez_compressed`` to ``path`` atomically.

    The archive is written to a temporary file in the destination folder and renamed onto
    ``path``, so a killed run never leaves a half-written ``.npz``; missing parent folders are
    created.

    Parameters
    ----------
    path : str or os.PathLike
        Destination file (give it the ``.npz`` suffix: it is used as is, nothing is appended).
    **arrays : numpy.ndarray
        The arrays to store, by the name they get in the archive.

    Returns
    -------
    pathlib.Path
        ``path`` as a :class:`~pathlib.Path`.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from classdyn import atomic_save_npz
    >>> path = atomic_save_npz(os.path.join(tempfile.mkdtemp(), "a.npz"), x=np.arange(4.0))
    >>> with np.load(path) as f:
    ...     print(f.files, f["x"])
    ['x'] [0. 1. 2. 3.]
    """
    return atomic_write_with(path, lambda fh: np.savez_compressed(fh, **arrays))


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file (UTF-8), as written by :func:`atomic_write_json`.

    Non-finite floats written as ``"nan"``, ``"inf"``, ``"-inf"`` come back as those strings.

    Parameters
    ----------
    path : str or os.PathLike
        The JSON file.

    Returns
    -------
    Any
        The decoded object (dict, list, str, int, float, bool or None).

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    json.JSONDecodeError
        If the file is not valid JSON.

    Examples
    --------
    >>> import os, tempfile
    >>> from classdyn import atomic_write_json, read_json
    >>> path = atomic_write_json(os.path.join(tempfile.mkdtemp(), "r.json"), {"a": [1, 2]})
    >>> read_json(path)
    {'a': [1, 2]}
    """
    with open(path, "r", encoding="utf-8") as fh:
        return json.load(fh)
