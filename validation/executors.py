"""Executors: where independent tasks (validation checks, sweep points) run (issue 14).

One interface, ``submit_all(fn, tasks)`` yielding ``(task, result)`` as tasks finish, shared by
``classdyn validate`` and ``classdyn sweep``:

- ``local`` (:class:`ProcessExecutor`, the default): a process pool on this machine, no extra
  dependency;
- ``serial`` (:class:`SerialExecutor`): one task after the other in this process;
- ``dask`` (:class:`DaskExecutor`): Dask distributed, on a ``LocalCluster`` started for the run,
  an existing scheduler (``--scheduler tcp://host:port``) or a batch system through
  ``dask-jobqueue`` (``--cluster slurm|pbs``). Needs the ``dist`` extra
  (``pip install 'classdyn[dist]'``).

Every worker runs with one BLAS thread (the pool uses the cores; threads inside workers only
fight over them). Results come back to the client, which writes every file: no shared file
system is assumed. A function whose results are files (a check's record and figure) declares a
``remote`` pair ``(run_remote, receive)``: the worker runs ``run_remote(task)``, which returns
the files' bytes, and the client calls ``receive(task, shipped)``, which writes them.

Batch systems (``--cluster slurm`` or ``--cluster pbs``) are configured the Dask way, not by
classdyn: queue, cores, memory, walltime, ... come from ``~/.config/dask/jobqueue.yaml`` or the
environment variables ``DASK_JOBQUEUE__SLURM__QUEUE``, ``DASK_JOBQUEUE__SLURM__CORES``,
``DASK_JOBQUEUE__SLURM__MEMORY``, ``DASK_JOBQUEUE__SLURM__WALLTIME`` (``PBS`` likewise), e.g.::

    jobqueue:
      slurm:
        queue: normal
        cores: 8          # cores per job; classdyn runs one single-threaded process per core
        processes: 8
        memory: 16GB
        walltime: "02:00:00"

``--workers N`` asks for ``N`` jobs of that shape. The client refuses workers whose classdyn
version or code version (the hash of the sources used in cache keys) differs from its own.
"""

from __future__ import annotations

import os
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Protocol


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
    >>> from classdyn.validation.executors import SerialExecutor
    >>> list(SerialExecutor().submit_all(lambda x: x * x, [1, 2, 3]))
    [(1, 1), (2, 4), (3, 9)]
    """

    def submit_all(self, fn, tasks):
        for task in tasks:
            yield task, fn(task)


class ProcessExecutor:
    """A local process pool (the ``local`` executor, the default), with ``jobs`` workers.

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
    >>> from classdyn.validation.executors import ProcessExecutor
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
        with ProcessPoolExecutor(max_workers=workers, initializer=limit_threads,
                                 initargs=(WORKER_THREADS,),
                                 mp_context=multiprocessing.get_context("spawn")) as pool:
            futures: dict[Future, Any] = {pool.submit(fn, t): t for t in tasks}
            for fut in as_completed(futures):
                yield futures[fut], fut.result()


# ------------------------------------------------------------------ Dask
class WorkerVersionError(RuntimeError):
    """A Dask worker runs another classdyn (version or code) than the client."""


def worker_versions() -> dict[str, str]:
    """The classdyn version and code version of the process that calls it (run on each worker).

    Returns
    -------
    dict
        ``{"version": classdyn.__version__, "code_version": classdyn.provenance.code_version()}``
        (the code version is the hash of the sources that sweeps and checks put in cache keys).

    Examples
    --------
    >>> import classdyn
    >>> from classdyn.validation.executors import worker_versions
    >>> worker_versions()["version"] == classdyn.__version__
    True
    """
    import classdyn
    from classdyn.provenance import code_version

    return {"version": str(classdyn.__version__), "code_version": code_version()}


def check_worker_versions(reported: dict, mine: dict) -> None:
    """Refuse workers whose :func:`worker_versions` differ from the client's.

    Parameters
    ----------
    reported : dict
        Worker address → what :func:`worker_versions` returned there (or the exception it
        raised, e.g. classdyn not importable on that worker).
    mine : dict
        The client's own :func:`worker_versions`.

    Returns
    -------
    None
        When every worker matches.

    Raises
    ------
    WorkerVersionError
        Naming the first mismatched worker and both versions.

    Examples
    --------
    >>> from classdyn.validation.executors import check_worker_versions
    >>> me = {"version": "1.0", "code_version": "ab"}
    >>> check_worker_versions({"tcp://h:1": dict(me)}, me)
    >>> check_worker_versions({"tcp://h:1": {"version": "0.9", "code_version": "cd"}}, me)
    Traceback (most recent call last):
    ...
    classdyn.validation.executors.WorkerVersionError: dask worker tcp://h:1 runs classdyn 0.9 (code cd), this client classdyn 1.0 (code ab); install the same classdyn on every worker
    """
    if not reported:
        raise WorkerVersionError("the dask cluster has no worker")
    for addr in sorted(reported):
        got = reported[addr]
        if isinstance(got, BaseException):
            raise WorkerVersionError(f"dask worker {addr} cannot report its classdyn version "
                                     f"({type(got).__name__}: {got}); install classdyn "
                                     f"{mine['version']} on every worker")
        if got != mine:
            raise WorkerVersionError(
                f"dask worker {addr} runs classdyn {got.get('version')} (code "
                f"{got.get('code_version')}), this client classdyn {mine['version']} (code "
                f"{mine['code_version']}); install the same classdyn on every worker")


class _OneBlasThread:
    """``fn`` run with one BLAS thread (``classdyn._threads.blas_threads``); picklable."""

    def __init__(self, fn):
        self.fn = fn

    def __call__(self, task):
        from classdyn._threads import WORKER_THREADS, blas_threads

        with blas_threads(WORKER_THREADS):
            return self.fn(task)


def _require_dask():
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise ImportError("the dask executor needs dask.distributed, which is not installed: "
                          "pip install 'classdyn[dist]' (the 'dist' extra)",
                          name="distributed") from None


CLUSTERS = ("slurm", "pbs")


class DaskExecutor:
    """Runs tasks on Dask distributed workers; results come back to this client.

    Without ``scheduler`` or ``cluster`` a ``distributed.LocalCluster`` of ``workers`` processes
    (one thread each) is started for each ``submit_all`` and closed afterwards. With
    ``scheduler="tcp://host:port"`` it connects to a running cluster (left running). With
    ``cluster="slurm"`` or ``"pbs"`` it submits ``workers`` batch jobs through ``dask-jobqueue``
    (``SLURMCluster``/``PBSCluster`` configured by Dask's ``jobqueue.yaml`` or the
    ``DASK_JOBQUEUE__SLURM__*`` environment variables: queue, cores, memory, walltime; see
    the module docstring). Before submitting, every worker reports :func:`worker_versions`;
    a worker with another classdyn version or code version is refused
    (:class:`WorkerVersionError`). Each task runs with one BLAS thread. A ``fn`` with a
    ``remote`` attribute ``(run_remote, receive)`` is run as ``run_remote`` on the worker and
    its result handed to ``receive(task, result)`` here (which writes the files).

    Parameters
    ----------
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.1:8786"``.
    cluster : {"slurm", "pbs"}, optional
        Start workers as batch jobs through ``dask-jobqueue``.
    workers : int, optional
        Worker processes of the ``LocalCluster`` (default: the number of CPUs) or batch jobs
        (default 1); ignored with ``scheduler``.

    Raises
    ------
    ValueError
        For both ``scheduler`` and ``cluster``, an unknown ``cluster``, or ``workers`` < 1.
    ImportError
        When dask.distributed is missing (naming the ``dist`` extra).

    Examples
    --------
    >>> from classdyn.validation.executors import DaskExecutor
    >>> DaskExecutor(workers=2).workers
    2
    >>> DaskExecutor(cluster="lsf")
    Traceback (most recent call last):
    ...
    ValueError: cluster must be one of ('slurm', 'pbs'), got 'lsf'
    """

    def __init__(self, scheduler: str | None = None, cluster: str | None = None,
                 workers: int | None = None):
        if scheduler is not None and cluster is not None:
            raise ValueError("give either scheduler (an existing cluster) or cluster "
                             "(slurm/pbs jobs), not both")
        if cluster is not None and cluster not in CLUSTERS:
            raise ValueError(f"cluster must be one of {CLUSTERS}, got {cluster!r}")
        if workers is not None and int(workers) < 1:
            raise ValueError(f"workers must be >= 1, got {workers}")
        _require_dask()
        self.scheduler, self.cluster = scheduler, cluster
        self.workers = int(workers) if workers is not None else None

    @contextmanager
    def _client(self):
        from distributed import Client, LocalCluster

        if self.scheduler is not None:
            with Client(self.scheduler) as client:
                yield client
            return
        if self.cluster is not None:
            import dask_jobqueue

            kind = {"slurm": dask_jobqueue.SLURMCluster, "pbs": dask_jobqueue.PBSCluster}
            try:
                cl = kind[self.cluster]()
            except ValueError as exc:  # no cores/memory configured
                name = self.cluster.upper()
                raise ValueError(
                    f"--cluster {self.cluster}: dask-jobqueue is not configured ({exc}); set "
                    f"cores, memory, queue and walltime in ~/.config/dask/jobqueue.yaml "
                    f"(jobqueue: {self.cluster}: ...) or DASK_JOBQUEUE__{name}__CORES, "
                    f"DASK_JOBQUEUE__{name}__MEMORY, ...") from None
            with cl, Client(cl) as client:
                cl.scale(jobs=self.workers or 1)
                client.wait_for_workers(1)
                yield client
            return
        n = self.workers or (os.cpu_count() or 1)
        with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                          dashboard_address=":0") as cl, Client(cl) as client:
            yield client

    def submit_all(self, fn, tasks):
        if not tasks:
            return
        from distributed import as_completed as dask_completed

        run_remote, receive = getattr(fn, "remote", (fn, None))
        with self._client() as client:
            check_worker_versions(client.run(worker_versions, on_error="return"),
                                  worker_versions())
            futures = client.map(_OneBlasThread(run_remote), tasks, pure=False)
            by_key = {f.key: t for f, t in zip(futures, tasks)}
            for fut, result in dask_completed(futures, with_results=True):
                task = by_key[fut.key]
                yield task, (receive(task, result) if receive is not None else result)


EXECUTORS = {"local": ProcessExecutor, "process": ProcessExecutor, "serial": SerialExecutor,
             "dask": DaskExecutor}


def make_executor(kind: str = "local", jobs: int | None = None, *, scheduler: str | None = None,
                  cluster: str | None = None, workers: int | None = None) -> Executor:
    """The executor called ``kind``.

    Parameters
    ----------
    kind : {"local", "process", "serial", "dask"}, default "local"
        :class:`ProcessExecutor` (``local``; ``process`` is the same), :class:`SerialExecutor`
        or :class:`DaskExecutor`.
    jobs : int, optional
        Workers of the process pool, or of the Dask ``LocalCluster`` when ``workers`` is not
        given (ignored for ``"serial"``).
    scheduler : str, optional
        Dask scheduler address (``dask`` only).
    cluster : {"slurm", "pbs"}, optional
        Batch system for Dask workers (``dask`` only).
    workers : int, optional
        Number of workers (processes of the local pool or Dask workers/jobs); overrides ``jobs``.

    Returns
    -------
    Executor
        An object with ``submit_all(fn, tasks)``.

    Raises
    ------
    ValueError
        For an unknown ``kind``, or ``scheduler``/``cluster`` with another executor than dask.

    Examples
    --------
    >>> from classdyn.validation.executors import make_executor
    >>> type(make_executor("serial")).__name__, make_executor("local", jobs=2).jobs
    ('SerialExecutor', 2)
    >>> make_executor("spark")
    Traceback (most recent call last):
    ...
    ValueError: executor must be one of ['dask', 'local', 'process', 'serial'], got 'spark'
    >>> make_executor("local", scheduler="tcp://h:8786")
    Traceback (most recent call last):
    ...
    ValueError: --scheduler/--cluster need the dask executor (--executor dask), got 'local'
    """
    if kind not in EXECUTORS:
        raise ValueError(f"executor must be one of {sorted(EXECUTORS)}, got {kind!r}")
    if kind != "dask" and (scheduler is not None or cluster is not None):
        raise ValueError(f"--scheduler/--cluster need the dask executor (--executor dask), "
                         f"got {kind!r}")
    n = workers if workers is not None else jobs
    if kind == "dask":
        return DaskExecutor(scheduler=scheduler, cluster=cluster, workers=n)
    return ProcessExecutor(n) if kind in ("local", "process") else SerialExecutor()


def add_executor_flags(p, *, jobs_help: str = "worker processes (default: number of CPUs)") -> None:
    """Add ``--executor``, ``--jobs``, ``--workers``, ``--scheduler`` and ``--cluster`` to an
    argparse parser (``classdyn validate``, ``classdyn report``, ``classdyn sweep``)."""
    from classdyn.flags import positive_int

    p.add_argument("--executor", choices=["local", "dask", "serial", "process"],
                   default="local",
                   help="where tasks run: local (a process pool, the default; 'process' is the "
                        "same), dask (Dask distributed, needs the 'dist' extra) or serial (one "
                        "after the other in this process)")
    p.add_argument("--jobs", type=positive_int, default=None, help=jobs_help)
    p.add_argument("--workers", type=positive_int, default=None, metavar="N",
                   help="workers: local processes, Dask LocalCluster processes, or Slurm/PBS "
                        "jobs with --cluster (overrides --jobs)")
    p.add_argument("--scheduler", default=None, metavar="URL",
                   help="with --executor dask: address of a running Dask scheduler "
                        "(tcp://host:port); default: a LocalCluster started for the run")
    p.add_argument("--cluster", choices=list(CLUSTERS), default=None,
                   help="with --executor dask: start workers as batch jobs through "
                        "dask-jobqueue (queue, cores, memory, walltime from Dask's "
                        "jobqueue.yaml or DASK_JOBQUEUE__* variables)")


def executor_from_args(args) -> Executor:
    """The executor chosen by the flags of :func:`add_executor_flags` (:func:`make_executor`)."""
    return make_executor(args.executor, args.jobs, scheduler=args.scheduler,
                         cluster=args.cluster, workers=args.workers)
