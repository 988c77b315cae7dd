"""All spectral edges at 30 digits (classdyn.theory.edges.find_edges through the model door,
docs/theory/edges.md) for C = 2, 3, 4 distinct classes in a warm process (issue 12).

Targets (issue 12): C = 2 <= 0.2 s, C = 3 <= 1 s, C = 4 <= 10 s (C = 5 <= 60 s is not timed
here: ~73 s measured when it landed, 30-64 s since the degree bound and integer interpolation of
commit 5721c7f, too long for this suite's budget). The on-disk
edge-polynomial cache is off (``CLASSDYN_EDGE_CACHE=0``) and every repeat uses a new diffusion
time, so the in-memory caches never answer: each timing is a full elimination, discriminant and
certified root isolation. Warm: imports, Numba and FLINT loaded by a first C = 2 call.

Measured (best of the repeats, 2 cores shared with other jobs, so load varies by run):
before 5721c7f C = 2 0.12 s, C = 3 1.44 s, C = 4 7.7 s; after it, in the same load window,
0.09 s, 0.83 s, 5.8 s; this benchmark under heavier load 0.11 s, 1.06 s, 11.1 s (speed-up
vs dbc2012 at C = 3: 2.5x). The FLINT discriminants at the evaluation points now dominate.

Speed-up: the previous implementation (SymPy subresultants + Aberth, commit dbc2012) run on the
same C = 3 parameters in a subprocess from a temporary ``git worktree`` (skipped, with a note,
where git or that commit is not available); the ratio old/new of the two wall times.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

OLD_COMMIT = "dbc2012"
ROOT = Path(__file__).resolve().parents[1]
CASES = {2: (1.0, 2.0), 3: (1.0, 1.5, 2.0), 4: (0.5, 1.0, 2.0, 4.0)}
TARGETS = {2: 0.2, 3: 1.0, 4: 10.0}

_OLD_SNIPPET = """
import json, sys, time, numpy as np
from classdyn.theory.spectral_params import SpectralParams
from classdyn.theory.edges import find_edges
warm, p = json.loads(sys.argv[1])
find_edges(SpectralParams(**{k: np.array(v) if isinstance(v, list) else v
                             for k, v in warm.items()}), dps=30)
t0 = time.perf_counter()
find_edges(SpectralParams(**{k: np.array(v) if isinstance(v, list) else v
                             for k, v in p.items()}), dps=30)
print(time.perf_counter() - t0)
"""


def _fields(params) -> dict:
    return {k: (v.tolist() if hasattr(v, "tolist") else float(v)) for k, v in
            (("psi_p", params.psi_p), ("psi_n", params.psi_n), ("rho", params.rho),
             ("alpha2", params.alpha2), ("v2", params.v2), ("bbar2", params.bbar2),
             ("sbar2", params.sbar2))}


def _old_time(warm, params) -> float | None:
    """Wall time of the old finder on ``params`` (after a warm-up on ``warm``), or None."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "old"
        try:
            subprocess.run(["git", "worktree", "add", "--detach", str(tree), OLD_COMMIT],
                           cwd=ROOT, check=True, capture_output=True, timeout=120)
        except (OSError, subprocess.SubprocessError):
            return None
        try:
            for pkg in ("theory", "simulate", "ddpm", "validation"):
                (tree / "classdyn" / pkg).symlink_to(tree / pkg)
            env = dict(os.environ, PYTHONPATH=str(tree))
            out = subprocess.run([sys.executable, "-c", _OLD_SNIPPET,
                                  json.dumps([_fields(warm), _fields(params)])],
                                 cwd=tmp, env=env, check=True, capture_output=True, text=True,
                                 timeout=600)
            return float(out.stdout.split()[-1])
        except (OSError, subprocess.SubprocessError, ValueError):
            return None
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT,
                           capture_output=True, timeout=120)


def run(bench) -> None:
    from classdyn.theory import Mixture, RandomFeatures, model

    old_env = os.environ.get("CLASSDYN_EDGE_CACHE")
    os.environ["CLASSDYN_EDGE_CACHE"] = "0"
    counter = iter(range(1, 1000))

    def edges(C):
        t = 0.1 * (1 + 1e-3 * next(counter))  # new parameters: no cache answers
        return model(Mixture(CASES[C]), RandomFeatures(4.0, 2.0), t=t).edges(dps=30)

    try:
        bench.compile_time("warm-up C = 2", lambda: edges(2))
        times = {}
        for C in (2, 3, 4):
            repeat = 3 if C < 4 else 1
            times[C] = bench.time(f"all edges, 30 digits, C = {C}", lambda C=C: edges(C),
                                  warmup=0, repeat=repeat, number=1)
            bench.target(f"C = {C} under {TARGETS[C]:g} s", times[C], TARGETS[C])
        bench.notes["C = 5"] = "not timed (~73 s when it landed, 30-64 s now; issue target 60 s)"
        warm = model(Mixture(CASES[2]), RandomFeatures(4.0, 2.0), t=0.3).params
        p3 = model(Mixture(CASES[3]), RandomFeatures(4.0, 2.0), t=0.1).params
        old = _old_time(warm, p3)
    finally:
        if old_env is None:
            os.environ.pop("CLASSDYN_EDGE_CACHE", None)
        else:
            os.environ["CLASSDYN_EDGE_CACHE"] = old_env
    if old is None:
        bench.notes["old implementation"] = f"not run (git worktree of {OLD_COMMIT} unavailable)"
        return
    from benchmarks.harness import Timing

    t_old = Timing(f"old SymPy + Aberth ({OLD_COMMIT}), C = 3", old, old, [old], 1)
    bench.timings[t_old.name] = t_old
    bench.ratio("speed-up vs old, C = 3", t_old, times[3], target=1.0)
