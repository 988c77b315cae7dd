"""Running checks: executors, the cache, and one check's record.

Independent checks run in parallel behind a small executor interface (:class:`Executor`, in
:mod:`classdyn.validation.executors`, re-exported here): a local process pool by default, or Dask
workers, whose records and figures come back to this process, which writes them
(:func:`run_task_remote`). Finished checks are cached on disk under ``<out>/checks/<name>/<key>/`` where ``key``
hashes the check's name, its parameters and the code version (a hash of the package sources), so
re-running is cheap and any change of code or parameters re-runs the check.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import os
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

from classdyn import __version__
from classdyn.io import atomic_write_bytes, atomic_write_json, read_json, to_jsonable

from .executors import (EXECUTORS, DaskExecutor, Executor, ProcessExecutor,  # noqa: F401
                        SerialExecutor, make_executor)
from .registry import Check, CheckContext, Outcome



def code_version() -> str:
    """Hash of every ``.py`` source of the five packages (:func:`classdyn.provenance.code_version`):
    changes whenever the code does."""
    from classdyn.provenance import code_version as _cv

    return _cv()


_FILE_HASHES: dict[tuple, str] = {}


def file_digest(path: str | os.PathLike) -> str:
    """SHA-256 of a file's contents (memoised per path, size and modification time)."""
    p = Path(path)
    st = p.stat()
    memo = (str(p.resolve()), st.st_size, st.st_mtime_ns)
    if memo not in _FILE_HASHES:
        h = hashlib.sha256()
        with open(p, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        _FILE_HASHES[memo] = h.hexdigest()
    return _FILE_HASHES[memo]


def inputs_digest(chk: Check, params: dict, results_dir: Path) -> str:
    """One hash over the contents of the files ``chk`` reads (``Check.inputs``); ``""`` if
    none. A file that appears, disappears or changes changes the digest."""
    if chk.inputs is None:
        return ""
    h = hashlib.sha256()
    for path in sorted(str(p) for p in chk.inputs(dict(params), Path(results_dir))):
        h.update(path.encode())
        h.update(file_digest(path).encode() if Path(path).is_file() else b"missing")
    return h.hexdigest()[:16]


def cache_key(name: str, params: dict, version: str, inputs: str = "") -> str:
    """Hash of a check's name, parameters, code version and input files' digest.

    A finished check is cached under ``<out>/checks/<name>/<key>/``; any change of code,
    parameters or input files changes the key, so the check re-runs.

    Parameters
    ----------
    name : str
        The check's name.
    params : dict
        Its parameters at the requested size (made JSON-able; key order does not matter).
    version : str
        The code version (:func:`classdyn.provenance.code_version`).
    inputs : str, default ""
        Digest of the files the check reads (``inputs_digest``); ``""`` for none.

    Returns
    -------
    str
        16 hexadecimal digits (the start of a SHA-256).

    Examples
    --------
    >>> from classdyn.validation.runner import cache_key
    >>> k = cache_key("windows", {"d": 100, "t": 1.0}, "v1")
    >>> len(k), k == cache_key("windows", {"t": 1.0, "d": 100}, "v1")
    (16, True)
    >>> k == cache_key("windows", {"d": 100, "t": 1.0}, "v2")      # new code: new key
    False
    """
    blob = json.dumps({"name": name, "params": to_jsonable(params), "code": version,
                       **({"inputs": inputs} if inputs else {})}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


@dataclass
class CheckTask:
    """Everything a worker needs to run one check (picklable)."""

    name: str
    target: str
    claim: str
    reference: str
    size: str
    params: dict
    requires: tuple[str, ...]
    record_dir: str
    results_dir: str
    cache_key: str = ""
    code_version: str = ""


def _missing_requirements(requires: Iterable[str]) -> list[str]:
    missing = []
    for req in requires:
        try:
            importlib.import_module(req)
        except Exception:  # noqa: BLE001 - any import failure means "not usable here"
            missing.append(req)
    return missing


def run_task(task: CheckTask) -> dict:
    """Run one check in this process and write its record (JSON + PNG) atomically.

    Never raises: an exception inside the check becomes status ``error`` with its traceback.
    """
    import matplotlib

    matplotlib.use("Agg")
    record_dir = Path(task.record_dir)
    record: dict[str, Any] = {
        "name": task.name, "claim": task.claim, "reference": task.reference,
        "size": task.size, "params": task.params, "figure": None,
        "cache_key": task.cache_key, "code_version": task.code_version,
    }
    t0 = time.perf_counter()
    missing = _missing_requirements(task.requires)
    if missing:
        outcome = Outcome(passed=None, status="skipped",
                          summary=f"needs {', '.join(missing)}, not importable here "
                                  f"(install the matching extra: pip install -e '.[ddpm]')")
    else:
        try:
            mod_name, func_name = task.target.split(":")
            func: Callable = getattr(importlib.import_module(mod_name), func_name)
            ctx = CheckContext(size=task.size, results_dir=Path(task.results_dir),
                               work_dir=record_dir)
            record_dir.mkdir(parents=True, exist_ok=True)
            outcome = func(dict(task.params), ctx)
            if not isinstance(outcome, Outcome):
                raise TypeError(f"check {task.name} returned {type(outcome).__name__}, "
                                "expected classdyn.validation.registry.Outcome")
        except Exception:  # noqa: BLE001 - recorded, reported, and counted as a failure
            outcome = Outcome(passed=False, status="error",
                              summary="the check raised an exception",
                              measured={"traceback": traceback.format_exc()})
    record["seconds"] = time.perf_counter() - t0
    status = outcome.resolved_status()
    record.update(status=status, passed=outcome.passed if status != "error" else False,
                  measured=to_jsonable(outcome.measured), tolerance=outcome.tolerance,
                  tolerance_reason=outcome.tolerance_reason, summary=outcome.summary,
                  results={str(k): v if isinstance(v, str) else bool(v)
                           for k, v in outcome.results.items()})
    if outcome.figure is not None:
        buf = io.BytesIO()
        outcome.figure.savefig(buf, format="png", dpi=110, bbox_inches="tight")
        import matplotlib.pyplot as plt

        plt.close(outcome.figure)
        atomic_write_bytes(record_dir / "figure.png", buf.getvalue())
        record["figure"] = "figure.png"
    atomic_write_json(record_dir / "record.json", record)
    return record


# ------------------------------------------------------------------ remote checks
def run_task_remote(task: CheckTask) -> dict:
    """Run one check on a (possibly remote) worker and return its files instead of leaving them
    there: ``{"record": dict, "files": {relative path: bytes}}``.

    The check writes into a temporary folder of the worker, removed afterwards; the client
    writes the files where they belong with :func:`receive_remote` (no shared file system).
    """
    import dataclasses
    import tempfile

    with tempfile.TemporaryDirectory(prefix="classdyn-check-") as tmp:
        record = run_task(dataclasses.replace(task, record_dir=tmp))
        files = {p.relative_to(tmp).as_posix(): p.read_bytes()
                 for p in sorted(Path(tmp).rglob("*")) if p.is_file()}
    return {"record": record, "files": files}


def receive_remote(task: CheckTask, shipped: dict) -> dict:
    """Write the files a worker returned (:func:`run_task_remote`) under ``task.record_dir``,
    ``record.json`` last, and return the record. A path that would leave the folder is refused."""
    record_dir = Path(task.record_dir)
    files = dict(shipped["files"])
    record_json = files.pop("record.json", None)
    for rel, data in sorted(files.items()):
        parts = Path(rel).parts
        if Path(rel).is_absolute() or ".." in parts or not parts:
            raise ValueError(f"check {task.name}: worker returned a file outside its record "
                             f"folder: {rel!r}")
        atomic_write_bytes(record_dir / rel, data)
    if record_json is not None:
        atomic_write_bytes(record_dir / "record.json", record_json)
    return shipped["record"]


#: executors that run tasks away from this machine's disk (Dask) call these instead
run_task.remote = (run_task_remote, receive_remote)


# ------------------------------------------------------------------ driver
def run_checks(checks: list[Check], size: str, out: Path, *, executor: Executor | None = None,
               force: bool = False, log=None) -> list[dict]:
    """Run ``checks`` at ``size``; cached records are reused unless ``force``.

    Each check's record (``record.json``, and ``figure.png`` if it made a figure) is written under
    ``<out>/checks/<name>/<key>/`` (key: :func:`cache_key`); a cached record is trusted only if it
    was written for the same key and code version. A check whose ``requires`` are not importable is
    ``skipped``; one that raises is recorded as ``error`` with its traceback. Also writes
    ``<out>/validation.json`` (version, code version, size, environment and the records).

    Parameters
    ----------
    checks : list of Check
        The checks (e.g. from :func:`get_checks`).
    size : {"small", "paper"}
        The parameter set to run.
    out : str or pathlib.Path
        The output folder.
    executor : Executor, optional
        Default a :class:`ProcessExecutor`.
    force : bool, default False
        Re-run even if cached.
    log : file-like, optional
        Where to write one line per check run; default the ``classdyn`` logger (stderr,
        ``-q`` silences it).

    Returns
    -------
    list of dict
        The records in the order of ``checks`` (``status``, ``passed``, ``measured``, ``summary``,
        ``seconds``, ``cached``, ``record_dir``, ...).

    Raises
    ------
    ValueError
        For a size outside ("small", "paper").

    Examples
    --------
    A check whose requirement is missing is recorded as skipped, and cached the second time:

    >>> import io, tempfile
    >>> from classdyn.validation.registry import Check, Outcome
    >>> from classdyn.validation.runner import SerialExecutor, run_checks
    >>> def demo(params, ctx):
    ...     return Outcome(passed=True)
    >>> chk = Check(name="demo", claim="a demonstration", reference="docs/theory/model.md",
    ...             func=demo, sizes={"small": {}}, requires=("no_such_module_here",))
    >>> out = tempfile.mkdtemp()
    >>> rec = run_checks([chk], "small", out, executor=SerialExecutor(), log=io.StringIO())[0]
    >>> rec["status"], rec["passed"], rec["cached"]
    ('skipped', None, False)
    >>> rec["summary"][:30]
    'needs no_such_module_here, not'
    >>> run_checks([chk], "small", out, executor=SerialExecutor(), log=io.StringIO())[0]["cached"]
    True
    """
    from classdyn.progress import progress

    out = Path(out)
    version = code_version()
    tasks, records, keys = [], {}, {}
    for chk in checks:
        params = chk.params(size)
        key = cache_key(chk.name, params, version, inputs_digest(chk, params, out))
        keys[chk.name] = key
        record_dir = out / "checks" / chk.name / key
        cached = record_dir / "record.json"
        if cached.exists() and not force:
            rec = _trusted_record(cached, key, version)
            if rec is not None:
                rec["cached"] = True
                records[chk.name] = rec
                continue
        tasks.append(CheckTask(name=chk.name, target=chk.target, claim=chk.claim,
                               reference=chk.reference, size=size, params=params,
                               requires=chk.requires, record_dir=str(record_dir),
                               results_dir=str(out), cache_key=key, code_version=version))
    if tasks:
        executor = executor or ProcessExecutor()
        bar = progress(executor.submit_all(run_task, tasks), desc="checks", total=len(tasks))
        for task, rec in bar:
            rec["cached"] = False
            records[task.name] = rec
            msg = f"  {task.name}: {rec['status']} ({rec['seconds']:.1f} s)"
            if log is None:
                from classdyn.log import get_logger

                get_logger(__name__).info(msg)
            else:
                print(msg, file=log)
    ordered = []
    for chk in checks:
        rec = records[chk.name]
        rec["record_dir"] = str(Path(out) / "checks" / chk.name / keys[chk.name])
        ordered.append(rec)
    summary = {"version": __version__, "code_version": version, "size": size,
               "environment": environment(),
               "checks": ordered + _earlier_records(out / "validation.json", size,
                                                    {r["name"] for r in ordered})}
    atomic_write_json(out / "validation.json", summary)
    return ordered


def _earlier_records(path: Path, size: str, now: set) -> list[dict]:
    """Records of ``validation.json`` for checks not run this time (``validate --only A B``
    must not discard the others), kept when the file is for the same ``size`` and marked
    ``from_earlier_run``; records of another size are dropped (one file describes one size)."""
    try:
        old = read_json(path)
    except (OSError, ValueError):
        return []
    if not isinstance(old, dict) or old.get("size") != size:
        return []
    kept = []
    for rec in old.get("checks", []):
        if isinstance(rec, dict) and rec.get("name") not in now:
            kept.append({**rec, "from_earlier_run": True})
    return kept


def _trusted_record(path: Path, key: str, version: str) -> dict | None:
    """A cached record, or ``None`` when it cannot be trusted: unreadable, written for another
    key or code version, or with an unknown status (a planted or stale file is recomputed)."""
    from .registry import STATUSES

    try:
        rec = read_json(path)
    except (OSError, ValueError):
        return None
    if not isinstance(rec, dict) or rec.get("cache_key") != key \
            or rec.get("code_version") != version or rec.get("status") not in STATUSES:
        return None
    return rec


def environment() -> dict[str, str]:
    """Versions of Python, the platform and the main libraries (for the report's footer)."""
    from classdyn.provenance import library_versions

    return library_versions()
