"""Thread control: BLAS threads for a block of code, and thread limits for worker processes.

Small eigen-problems (p ≲ 1000) gain nothing from threads and, on a loaded machine, a
multi-threaded OpenBLAS can be 10-40x slower than one thread (measured: ``eigh`` of an 800×800
matrix 13 s with default threads under load, 0.9 s with one; at p = 600 an ``eigvalsh`` took
110 ms min / 4.2 s median against 19 / 59 ms on one thread). :func:`blas_threads` limits every
BLAS library loaded in the process (NumPy's and SciPy's OpenBLAS, MKL, ...) through
``threadpoolctl`` for the duration of a ``with`` block and restores them afterwards.

Worker processes of a pool get one BLAS/OpenMP thread each (:data:`WORKER_THREADS`): their
initializer :func:`limit_threads` sets the environment variables that those libraries read when
they are first loaded, so this module imports nothing heavy at import time.
"""

import os
from contextlib import contextmanager

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_NUM_THREADS")

#: BLAS/OpenMP threads of each worker of a process pool (validation checks, sweeps): the pool
#: already uses the cores; threads inside workers would only fight over them.
WORKER_THREADS = 1


def limit_threads(n: int = WORKER_THREADS) -> None:
    """Set each thread-count variable to ``n`` unless the user already set it (a pool
    initializer: it must run before NumPy is imported in the worker)."""
    for k in THREAD_VARS:
        os.environ.setdefault(k, str(max(1, int(n))))


@contextmanager
def blas_threads(n: int = 1, enabled: bool = True):
    """Run the block with ``n`` BLAS threads in every loaded BLAS library (``threadpoolctl``),
    restoring the previous counts afterwards, also when the block raises; a no-op when
    ``enabled`` is False."""
    if not enabled:
        yield
        return
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=max(1, int(n)), user_api="blas"):
        yield
