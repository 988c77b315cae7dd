"""Run benchmarks: ``python -m benchmarks [NAME ...]`` (NAME = the part after ``bench_``)."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

import benchmarks
from benchmarks.harness import Bench


#: BLAS threads every benchmark runs with (both the baseline and the contender).
BENCH_THREADS = 1


def main(argv=None) -> int:
    mods = sorted(i.name[len("bench_"):] for i in pkgutil.iter_modules(benchmarks.__path__)
                  if i.name.startswith("bench_"))
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    ap.add_argument("names", nargs="*", help=f"benchmarks to run (default: all of {mods} "
                    "except those that take minutes, e.g. 'report', which run only when named)")
    args = ap.parse_args(argv)
    if not args.names:  # long benchmarks (minutes) run only when named
        mods = [m for m in mods
                if not getattr(importlib.import_module(f"benchmarks.bench_{m}"), "ON_REQUEST",
                               False)]
    unknown = sorted(set(args.names) - set(mods))
    if unknown:
        ap.error(f"unknown benchmark(s) {unknown}; choose from {mods}")
    failed = 0
    for name in args.names or mods:
        bench = Bench(name)
        try:
            mod = importlib.import_module(f"benchmarks.bench_{name}")
            # Both contenders of every ratio run with the same, pinned BLAS threads (one per
            # process: on a shared 2-core machine more threads only add noise), unless the
            # benchmark is about threads itself (PIN_THREADS = False).
            if getattr(mod, "PIN_THREADS", True):
                from threadpoolctl import threadpool_limits

                bench.notes["BLAS threads"] = BENCH_THREADS
                with threadpool_limits(limits=BENCH_THREADS, user_api="blas"):
                    mod.run(bench)
            else:
                mod.run(bench)
        except ModuleNotFoundError as exc:  # an optional extra (torch for ddpm) is missing
            if exc.name not in ("torch",):
                raise
            print(f"{name}: skipped, needs the optional package {exc.name!r} "
                  f"(pip install 'classdyn[ddpm]')")
            continue
        path = bench.save()
        print(bench.summary())
        print(f"  -> {path}")
        failed += sum(1 for r in bench.ratios.values() if r["meets_target"] is False)
    print(f"{failed} ratio target(s) not met", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
