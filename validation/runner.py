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


# ------------------------------------------------------------------ executors
class Executor(Protocol):
    """Runs picklable tasks; ``submit_all`` yields ``(task, result)`` as tasks finish."""

    def submit_all(self, fn: Callable[[Any], Any], tasks: list) -> Iterable[tuple[Any, Any]]:
        ...


class SerialExecutor:
    """Runs tasks one after the other in this process (debugging, tests).

    ``submit_all(fn, tasks)`` yields ``(task, fn(task))`` in order, lazily.

    The constructor takes no arguments.

    Examples
    --------
    >>> from classdyn.validation.runner import SerialExecutor
    >>> list(SerialExecutor().submit_all(lambda x: x * x, [1, 2, 3]))
    [(1, 1), (2, 4), (3, 9)]
    """

    def submit_all(self, fn, tasks):
        for task in tasks:
            yield task, fn(task)


class ProcessExecutor:
    """A local process pool (the default executor), with ``jobs`` workers.

    ``submit_all(fn, tasks)`` yields ``(task, result)`` as tasks finish (any order); ``fn`` and the
    tasks must be picklable. With one worker or one task it runs them serially in this process.
    Workers are started with ``spawn`` and limit their BLAS/OpenMP/Numba threads to
    ``classdyn._threads.WORKER_THREADS`` (one) before importing NumPy (unless the user set those
    variables), so parallel checks do not oversubscribe the cores: multi-threaded OpenBLAS
    competing with other processes was measured 10-40x slower on small eigenproblems than one
    thread per process.

    Parameters
    ----------
    jobs : int, optional
        Number of worker processes (default: the number of CPUs; at least 1).

    Examples
    --------
    >>> from classdyn.validation.runner import ProcessExecutor
    >>> ProcessExecutor(jobs=3).jobs, ProcessExecutor(jobs=0).jobs >= 1
    (3, True)
    >>> list(ProcessExecutor(jobs=1).submit_all(abs, [-2, 5]))     # one worker: in this process
    [(-2, 2), (5, 5)]
    """

    def __init__(self, jobs: int | None = None):
        self.jobs = max(1, jobs or (os.cpu_count() or 1))

    def submit_all(self, fn, tasks):
        if self.jobs == 1 or len(tasks) <= 1:
            yield from SerialExecutor().submit_all(fn, tasks)
            return
        import multiprocessing

        from classdyn._threads import WORKER_THREADS, limit_threads

        workers = min(self.jobs, len(tasks))
        threads = WORKER_THREADS  # the pool uses the cores: one BLAS thread per worker
        with ProcessPoolExecutor(max_workers=workers, initializer=limit_threads,
                                 initargs=(threads,),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            futures: dict[Future, Any] = {pool.submit(fn, t): t for t in tasks}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()


EXECUTORS = {"process": ProcessExecutor, "serial": SerialExecutor}


def make_executor(kind: str = "process", jobs: int | None = None) -> Executor:
    """The executor called ``kind``.

    Parameters
    ----------
    kind : {"process", "serial"}, default "process"
        :class:`ProcessExecutor` or :class:`SerialExecutor`.
    jobs : int, optional
        Workers of the process pool (ignored for ``"serial"``).

    Returns
    -------
    Executor
        An object with ``submit_all(fn, tasks)``.

    Raises
    ------
    ValueError
        For an unknown ``kind``.

    Examples
    --------
    >>> from classdyn.validation.runner import make_executor
    >>> type(make_executor("serial")).__name__, make_executor("process", jobs=2).jobs
    ('SerialExecutor', 2)
    >>> make_executor("dask")
    Traceback (most recent call last):
    ...
    ValueError: executor must be one of ['process', 'serial'], got 'dask'
    """
    if kind not in EXECUTORS:
        raise ValueError(f"executor must be one of {sorted(EXECUTORS)}, got {kind!r}")
    return ProcessExecutor(jobs) if kind == "process" else SerialExecutor()


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
