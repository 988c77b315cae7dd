"""Running checks: executors, the cache, and one check's record.

Independent checks run in parallel behind a small executor interface (:class:`Executor`), a
process pool by default, so that a distributed engine can replace it later without touching the
checks. Finished checks are cached on disk under ``<out>/checks/<name>/<key>/`` where ``key``
hashes the check's name, its parameters and the code version (a hash of the package sources), so
re-running is cheap and any change of code or parameters re-runs the check.
"""

from __future__ import annotations

import hashlib
import importlib
import io
import json
import os
import sys
import time
import traceback
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Protocol

from classdyn import __version__
from classdyn.io import atomic_write_bytes, atomic_write_json, read_json, to_jsonable

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
    """Hash of the check's name, parameters, code version and input files' digest."""
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


# ------------------------------------------------------------------ executors
class Executor(Protocol):
    """Runs picklable tasks; ``submit_all`` yields ``(task, result)`` as tasks finish."""

    def submit_all(self, fn: Callable[[Any], Any], tasks: list) -> Iterable[tuple[Any, Any]]:
        ...


class SerialExecutor:
    """Runs tasks one after the other in this process (debugging, tests)."""

    def submit_all(self, fn, tasks):
        for task in tasks:
            yield task, fn(task)


class ProcessExecutor:
    """A local process pool (the default); ``jobs`` workers.

    Workers are started with ``spawn`` and limit their BLAS/OpenMP/Numba threads to
    ``cpu_count // workers`` before importing NumPy (unless the user set those variables), so
    parallel checks do not oversubscribe the cores: multi-threaded OpenBLAS competing with other
    processes was measured 10-40x slower on small eigenproblems than one thread per process.
    """

    def __init__(self, jobs: int | None = None):
        self.jobs = max(1, jobs or (os.cpu_count() or 1))

    def submit_all(self, fn, tasks):
        if self.jobs == 1 or len(tasks) <= 1:
            yield from SerialExecutor().submit_all(fn, tasks)
            return
        import multiprocessing

        from classdyn._threads import limit_threads

        workers = min(self.jobs, len(tasks))
        threads = max(1, (os.cpu_count() or 1) // workers)
        with ProcessPoolExecutor(max_workers=workers, initializer=limit_threads,
                                 initargs=(threads,),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            futures: dict[Future, Any] = {pool.submit(fn, t): t for t in tasks}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()


EXECUTORS = {"process": ProcessExecutor, "serial": SerialExecutor}


def make_executor(kind: str = "process", jobs: int | None = None) -> Executor:
    if kind not in EXECUTORS:
        raise ValueError(f"executor must be one of {sorted(EXECUTORS)}, got {kind!r}")
    return ProcessExecutor(jobs) if kind == "process" else SerialExecutor()


# ------------------------------------------------------------------ driver
def run_checks(checks: list[Check], size: str, out: Path, *, executor: Executor | None = None,
               force: bool = False, log=sys.stderr) -> list[dict]:
    """Run ``checks`` at ``size``; cached records are reused unless ``force``.

    Returns the records in registry order and writes ``<out>/validation.json`` (the summary).
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
            print(f"  {task.name}: {rec['status']} ({rec['seconds']:.1f} s)", file=log)
    ordered = []
    for chk in checks:
        rec = records[chk.name]
        rec["record_dir"] = str(Path(out) / "checks" / chk.name / keys[chk.name])
        ordered.append(rec)
    summary = {"version": __version__, "code_version": version, "size": size,
               "environment": environment(), "checks": ordered}
    atomic_write_json(out / "validation.json", summary)
    return ordered


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
