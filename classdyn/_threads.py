"""Thread limits for worker processes (kept free of NumPy imports on purpose).

BLAS and OpenMP read their thread counts when they are first loaded, so a worker must set these
variables before it imports NumPy; :func:`limit_threads` is used as a process-pool initializer,
and this module imports nothing heavy so that unpickling the initializer does not load NumPy.
"""

import os

THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMBA_NUM_THREADS")


def limit_threads(n: int) -> None:
    """Set each thread-count variable to ``n`` unless the user already set it."""
    for k in THREAD_VARS:
        os.environ.setdefault(k, str(max(1, int(n))))
