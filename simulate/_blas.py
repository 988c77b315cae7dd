"""Limit the BLAS/LAPACK threads of NumPy's and SciPy's OpenBLAS for small problems.

Small symmetric eigenproblems (p ≲ 1000) gain nothing from threads and, on a loaded machine,
multi-threaded OpenBLAS can be 10-40x slower than one thread (measured here: ``eigh`` of an
800×800 matrix 13 s with default threads under load, 0.9 s with one). :func:`blas_threads` sets
the thread count of both bundled OpenBLAS libraries for the duration of a ``with`` block
(through their exported ``*_set_num_threads`` symbols) and restores it afterwards; it does
nothing where those libraries are not found (another BLAS, or threads fixed by environment).
"""

from __future__ import annotations

import ctypes
import glob
import os
from contextlib import contextmanager

_LIBS: list | None = None


def _libs():
    global _LIBS
    if _LIBS is not None:
        return _LIBS
    _LIBS = []
    try:
        import numpy
        import scipy

        for pkg, sets, gets in ((numpy, ("scipy_openblas_set_num_threads64_",),
                                 ("scipy_openblas_get_num_threads64_",)),
                                (scipy, ("scipy_openblas_set_num_threads",),
                                 ("scipy_openblas_get_num_threads",))):
            root = os.path.dirname(os.path.dirname(pkg.__file__))
            for path in glob.glob(os.path.join(root, f"{pkg.__name__}.libs",
                                               "libscipy_openblas*.so*")):
                lib = ctypes.CDLL(path)
                for s, g in zip(sets, gets):
                    if hasattr(lib, s) and hasattr(lib, g):
                        _LIBS.append((getattr(lib, s), getattr(lib, g)))
    except Exception:  # noqa: BLE001 - best effort; never fail because of thread control
        _LIBS = []
    return _LIBS


@contextmanager
def blas_threads(n: int = 1, enabled: bool = True):
    """Run the block with ``n`` OpenBLAS threads (no-op when ``enabled`` is False)."""
    libs = _libs() if enabled else []
    old = []
    for setter, getter in libs:
        try:
            old.append((setter, int(getter())))
            setter(int(n))
        except Exception:  # noqa: BLE001
            pass
    try:
        yield
    finally:
        for setter, k in old:
            setter(k)
