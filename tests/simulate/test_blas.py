"""simulate._blas: thread limits set inside the block and restored after it."""

import pytest

from classdyn.simulate._blas import _libs, blas_threads


def test_threads_set_and_restored():
    libs = _libs()
    if not libs:
        pytest.skip("no bundled OpenBLAS found: blas_threads is a no-op here")
    before = [int(get()) for _, get in libs]
    n = 1 if max(before) > 1 else 2  # a count different from the current one
    with blas_threads(n):
        assert [int(get()) for _, get in libs] == [n] * len(libs)
    assert [int(get()) for _, get in libs] == before
    with blas_threads(1, enabled=False):  # disabled: untouched
        assert [int(get()) for _, get in libs] == before
    with pytest.raises(RuntimeError), blas_threads(n):  # restored even when the block raises
        raise RuntimeError
    assert [int(get()) for _, get in libs] == before
