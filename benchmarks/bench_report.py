"""Cold start of the whole report (issue 16): ``classdyn report --size small`` with an empty
cache against the same command with the cache filled, in one run.

Cold: a fresh ``CLASSDYN_CACHE_DIR`` (no compiled Numba kernels, no edge polynomials) and a
fresh output folder, so every check is computed and every kernel it needs is compiled. Warm:
the same cache folder, now filled, with ``--force`` so that every check is computed again.
Target: cold within 2x of warm (before issue 16 it was about 8x: 288 s against ~35 s of
checks). Takes several minutes: runs only when named (``python -m benchmarks report``).
"""

import os
import subprocess
import sys
import tempfile
import time

ON_REQUEST = True


def run(bench) -> None:
    from benchmarks.harness import Timing

    tmp = tempfile.mkdtemp(prefix="classdyn-bench-report-")
    env = dict(os.environ, CLASSDYN_CACHE_DIR=os.path.join(tmp, "cache"),
               CLASSDYN_NO_PROGRESS="1")
    out = os.path.join(tmp, "out")
    cmd = [sys.executable, "-m", "classdyn", "report", "--size", "small", "--out", out]
    times = {}
    for label, extra in (("cold (empty cache)", []), ("warm (filled cache, --force)", ["--force"])):
        t0 = time.perf_counter()
        # exit code 1 is a failed check (Result 4 at CPU scale), not a failed run
        rc = subprocess.run(cmd + extra, env=env, stdout=subprocess.DEVNULL).returncode
        dt = time.perf_counter() - t0
        if rc not in (0, 1):
            raise RuntimeError(f"classdyn report exited {rc}")
        times[label] = Timing(f"report --size small, {label}", dt, dt, [dt], 1)
        bench.timings[times[label].name] = times[label]
    cold, warm = times["cold (empty cache)"], times["warm (filled cache, --force)"]
    bench.ratio("cold / warm report", cold, warm, target=2.0, better="lower")
