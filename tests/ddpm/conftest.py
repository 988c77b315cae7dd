"""Shared fixtures of the ddpm tests: the real data (skipped when missing), one torch thread.

One thread: on a shared 2-core machine, two OpenMP threads per process that compete with other
processes spin and run ~10x slower than one.
"""

from __future__ import annotations

import pytest

from classdyn.ddpm.data import DataError, load_fashion_mnist


@pytest.fixture(scope="session")
def fmnist():
    try:
        return load_fashion_mnist()
    except DataError as exc:
        pytest.skip(f"Fashion-MNIST not available: {exc}")


@pytest.fixture(autouse=True)
def _one_torch_thread():
    import sys

    torch = sys.modules.get("torch")
    if torch is not None:
        torch.set_num_threads(1)
    yield
