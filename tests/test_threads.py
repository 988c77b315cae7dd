"""classdyn._threads: BLAS threads limited inside a block (threadpoolctl) and restored after it,
also when the block raises; worker-pool limits through the environment."""

import pytest

from classdyn._threads import WORKER_THREADS, blas_threads, limit_threads


def _blas_counts():
    import numpy  # noqa: F401 - load NumPy's BLAS
    import scipy.linalg  # noqa: F401 - and SciPy's
    from threadpoolctl import threadpool_info

    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


def test_threads_set_and_restored():
    before = _blas_counts()
    if not before:
        pytest.skip("no BLAS library visible to threadpoolctl")
    n = 1 if max(before) > 1 else 2  # a count different from the current one
    with blas_threads(n):
        assert _blas_counts() == [n] * len(before)
    assert _blas_counts() == before
    with blas_threads(1, enabled=False):  # disabled: untouched
        assert _blas_counts() == before
    with pytest.raises(RuntimeError), blas_threads(n):  # restored even when the block raises
        raise RuntimeError
    assert _blas_counts() == before


def test_limit_threads_sets_unset_variables_only(monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    limit_threads()
    import os

    assert os.environ["OPENBLAS_NUM_THREADS"] == str(WORKER_THREADS) == "1"
    assert os.environ["OMP_NUM_THREADS"] == "3"  # the user's choice wins
