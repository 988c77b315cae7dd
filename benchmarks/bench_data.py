"""``classdyn fit`` on a Fashion-MNIST-sized dataset (issue 15).

What ``classdyn fit`` runs: :func:`classdyn.theory.class_stats.data_statistics` with its default
options (``normalise="dataset"``, 200 bootstrap replicates over 50 random groups, eigenvalue
spread from 1000 rows per class, ``precision="auto"``) on a synthetic in-memory float32 array
of 60,000 × 784 (ten classes: random prototypes plus Gaussian noise, uniform labels).

Baselines timed in the same run, reading the array once in the same 8192-row chunks:

* ``numpy pass (astype float64, sum)``: each chunk converted to float64 and summed over rows,
  the least a float64 statistic of every row must do;
* ``numpy pass (sum, dtype float64)``: ``X[i:j].sum(axis=0, dtype=float64)``, NumPy's fastest
  read of the array (no copy).

Targets (issue 15; reported, never asserted): ``fit`` in <= 5 s and within 2x of one NumPy pass
(the ratio to the first baseline; the ratio to the second is reported too). The parts (no
eigenvalue spread; neither spread nor bootstrap) are timed to show where the time goes.
"""

from __future__ import annotations

import numpy as np

N, D, C, CHUNK = 60_000, 784, 10, 8192


def _data():
    rng = np.random.default_rng(0)
    y = rng.integers(0, C, N)
    proto = rng.uniform(0.0, 1.0, (C, D)).astype(np.float32)
    X = proto[y]
    X += rng.standard_normal((N, D), dtype=np.float32) * np.float32(0.3)
    return X, y


def run(bench) -> None:
    from classdyn.theory.class_stats import data_statistics

    X, y = _data()

    def pass_astype():
        s = np.zeros(D)
        for i in range(0, N, CHUNK):
            s += X[i:i + CHUNK].astype(np.float64).sum(axis=0)
        return s

    def pass_sum():
        s = np.zeros(D)
        for i in range(0, N, CHUNK):
            s += X[i:i + CHUNK].sum(axis=0, dtype=np.float64)
        return s

    bench.compile_time("fit (data_statistics defaults)", lambda: data_statistics(X, y))
    base = bench.time("numpy pass (astype float64, sum)", pass_astype, repeat=5)
    fast = bench.time("numpy pass (sum, dtype float64)", pass_sum, repeat=5)
    fit = bench.time("fit (data_statistics defaults)", lambda: data_statistics(X, y),
                     warmup=0, repeat=3, number=1)
    bench.time("fit without eigenvalue spread", lambda: data_statistics(X, y, spectrum="none"),
               warmup=0, repeat=3, number=1)
    bench.time("fit without spread and bootstrap",
               lambda: data_statistics(X, y, spectrum="none", bootstrap=0),
               warmup=0, repeat=3, number=1)
    bench.ratio("fit / numpy pass (astype)", fit, base, target=2.0, better="lower")
    bench.ratio("fit / numpy pass (sum)", fit, fast)
    bench.target("fit 60000 x 784 float32", fit, 5.0)
    bench.notes["data"] = (f"synthetic in-memory float32 array {N} x {D}, {C} classes, "
                           f"chunks of {CHUNK} rows")
