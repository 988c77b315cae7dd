"""A tiny benchmark harness: time after warm-up, ratios against a baseline from the same run.

Usage in a module ``benchmarks/bench_<topic>.py``::

    def run(bench: Bench) -> None:
        bench.compile_time("solver", lambda: solver(x))       # first call, separately
        t = bench.time("solver", lambda: solver(x))          # best-of-N after warm-up
        b = bench.time("baseline", lambda: baseline(x))
        bench.ratio("speed-up", b, t, target=1000, better="higher")

Each :meth:`Bench.time` returns a :class:`Timing` (best, median, all repeats, in seconds).
:meth:`Bench.ratio` records ``numerator/denominator`` and whether it meets ``target``.
:meth:`Bench.target` records an absolute time against a target (reported, never asserted).
"""

from __future__ import annotations

import gc
import platform
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

from classdyn.io import atomic_write_json

RESULTS_DIR = Path(__file__).resolve().parent / "results"


@dataclass
class Timing:
    name: str
    best: float
    median: float
    repeats: list[float]
    number: int  # calls per repeat


@dataclass
class Bench:
    """Collects timings and ratios for one benchmark module."""

    name: str
    timings: dict[str, Timing] = field(default_factory=dict)
    ratios: dict[str, dict[str, Any]] = field(default_factory=dict)
    targets: dict[str, dict[str, Any]] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def compile_time(self, name: str, fn: Callable[[], Any]) -> float:
        """Time the first call of ``fn`` (JIT compilation, caches), recorded as ``<name>:first``."""
        t0 = time.perf_counter()
        fn()
        dt = time.perf_counter() - t0
        self.notes[f"{name}:first_call_s"] = dt
        return dt

    def time(self, name: str, fn: Callable[[], Any], *, warmup: int = 1, repeat: int = 5,
             number: int | None = None, min_time: float = 0.05) -> Timing:
        """Best and median seconds per call of ``fn`` after ``warmup`` calls.

        ``number`` calls per repeat are chosen so a repeat lasts at least ``min_time`` seconds
        unless given.
        """
        for _ in range(warmup):
            fn()
        if number is None:
            number = 1
            while True:
                t0 = time.perf_counter()
                for _ in range(number):
                    fn()
                if time.perf_counter() - t0 >= min_time or number >= 1 << 20:
                    break
                number *= 2
        reps = []
        gc_was = gc.isenabled()
        gc.disable()
        try:
            for _ in range(repeat):
                t0 = time.perf_counter()
                for _ in range(number):
                    fn()
                reps.append((time.perf_counter() - t0) / number)
        finally:
            if gc_was:
                gc.enable()
        t = Timing(name, min(reps), statistics.median(reps), reps, number)
        self.timings[name] = t
        return t

    def ratio(self, name: str, numerator: Timing, denominator: Timing, *,
              target: float | None = None, better: str = "higher") -> float:
        """Record ``numerator.best / denominator.best`` (e.g. baseline/new = speed-up)."""
        r = numerator.best / denominator.best
        ok = None if target is None else (r >= target if better == "higher" else r <= target)
        self.ratios[name] = {"value": r, "numerator": numerator.name,
                             "denominator": denominator.name, "target": target,
                             "better": better, "meets_target": ok}
        return r

    def target(self, name: str, timing: Timing, seconds: float) -> bool:
        """Record an absolute target (informative: absolute times depend on the machine)."""
        ok = timing.best <= seconds
        self.targets[name] = {"timing": timing.name, "best_s": timing.best,
                              "target_s": seconds, "meets_target": ok}
        return ok

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "machine": platform.platform(),
                "processor": platform.processor(),
                "timings": {k: asdict(v) for k, v in self.timings.items()},
                "ratios": self.ratios, "targets": self.targets, "notes": self.notes}

    def save(self, folder: Path = RESULTS_DIR) -> Path:
        return atomic_write_json(Path(folder) / f"{self.name}.json", self.to_dict())

    def summary(self) -> str:
        lines = [f"[{self.name}]"]
        for t in self.timings.values():
            lines.append(f"  {t.name:36s} best {t.best * 1e3:10.3f} ms  median "
                         f"{t.median * 1e3:10.3f} ms")
        for k, v in self.notes.items():
            if k.endswith("_s"):
                lines.append(f"  {k:36s} {v:10.3f} s")
        for k, r in self.ratios.items():
            tgt = "" if r["target"] is None else (
                f"  (target {'>=' if r['better'] == 'higher' else '<='} {r['target']:g}: "
                f"{'met' if r['meets_target'] else 'NOT met'})")
            lines.append(f"  ratio {k:30s} {r['value']:10.3f}{tgt}")
        for k, r in self.targets.items():
            lines.append(f"  target {k:29s} {r['best_s']:.4g} s vs {r['target_s']:g} s: "
                         f"{'met' if r['meets_target'] else 'NOT met'}")
        return "\n".join(lines)
