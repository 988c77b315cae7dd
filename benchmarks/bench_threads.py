"""BLAS threads of the extensive-spectrum check's eigen-problems on a loaded machine (issue 16).

The check (``classdyn.validation.checks_extensive``) diagonalises GEP matrices of size
p = ψ_p d (p = 600 at ``--size small``) inside a process pool whose workers already occupy
the cores. Before issue 16 each ``eigvalsh`` ran with OpenBLAS's default threads (one per
core), which fight with the other worker; now it runs in ``classdyn._threads.blas_threads(1)``.

Load: two background processes doing BLAS work (600×600 matrix products in a loop, one BLAS
thread each), as the validation pool's workers do. The two settings are *interleaved* (one
call with default threads, one with one thread, repeated) so that both see the same load;
the ratio of medians is recorded. Target: one thread at least 3x faster than default threads.
"""

import multiprocessing as mp
import os
import statistics
import time

import numpy as np

P = 600

#: This benchmark compares thread settings itself: the harness must not pin them.
PIN_THREADS = False


def _busy(stop) -> None:
    os.environ["OPENBLAS_NUM_THREADS"] = "1"
    from threadpoolctl import threadpool_limits

    a = np.random.default_rng(0).standard_normal((P, P))
    with threadpool_limits(limits=1, user_api="blas"):
        while not stop.is_set():
            a = np.tanh(a @ a.T / P)


def _matrix() -> np.ndarray:
    """A GEP matrix of the check's kind, p = 600 (ψ_p = 2, d = 300, extensive centroids)."""
    from classdyn.simulate.data import make_centroids, sample_mixture
    from classdyn.simulate.features import U_gep, gep_coefficients
    from classdyn.theory.params import Mixture, RandomFeatures

    mix = Mixture(variances=(1.0, 2.0), weights=(0.3, 0.7), norms2=(1.0, 1.0), overlaps=(0.5,))
    rf = RandomFeatures(2.0, 1.0)
    d = 300
    rng = np.random.default_rng(1)
    W = rng.standard_normal((P, d))
    mu = make_centroids(mix, d, rng)
    smp = sample_mixture(mix, d, d, seed=rng, centroids=mu)
    # the construction of the check's _gep, without its eigvalsh
    return U_gep(W, smp.X, smp.labels, gep_coefficients(W, mix, rf.activation, 1.0,
                                                       centroids=mu), centroids=mu, seed=rng)


def run(bench) -> None:
    from threadpoolctl import threadpool_info

    from classdyn._threads import blas_threads

    U = _matrix()
    cores = os.cpu_count() or 1
    default = max(i.get("num_threads", 1) for i in threadpool_info()
                  if i.get("user_api") == "blas") if threadpool_info() else 1
    bench.notes["cores"] = cores
    bench.notes["default BLAS threads"] = default
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    workers = [ctx.Process(target=_busy, args=(stop,), daemon=True) for _ in range(2)]
    for w in workers:
        w.start()
    time.sleep(2.0)  # let the load start
    t_default, t_one = [], []
    try:
        for _ in range(7):
            t0 = time.perf_counter()
            np.linalg.eigvalsh(U)
            t_default.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            with blas_threads(1):
                np.linalg.eigvalsh(U)
            t_one.append(time.perf_counter() - t0)
    finally:
        stop.set()
        for w in workers:
            w.join(timeout=10)
    from benchmarks.harness import Timing

    a = Timing(f"eigvalsh p={P}, default threads, loaded", min(t_default),
               statistics.median(t_default), t_default, 1)
    b = Timing(f"eigvalsh p={P}, one thread, loaded", min(t_one), statistics.median(t_one),
               t_one, 1)
    bench.timings[a.name], bench.timings[b.name] = a, b
    bench.ratio("default threads / one thread (best, loaded)", a, b, target=3.0)
    bench.notes["default threads / one thread (median, loaded)"] = a.median / b.median
