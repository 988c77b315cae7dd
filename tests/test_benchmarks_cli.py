"""``python -m benchmarks`` runs without torch: the DDPM benchmark is skipped with a note (the
benchmark itself is not run here; only the import path of the runner is exercised)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_ddpm_benchmark_is_skipped_without_torch():
    code = ("import sys; sys.modules['torch'] = None\n"
            "from benchmarks.__main__ import main\n"
            "sys.exit(main(['ddpm']))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert "ddpm: skipped, needs the optional package 'torch'" in r.stdout


class FakeBench:
    """Stands for benchmarks.harness.Bench: records nothing, saves nowhere."""

    def __init__(self, name):
        self.name, self.ratios, self.notes = name, {}, {}

    def save(self):
        return "-"

    def summary(self):
        return self.name


def test_minute_long_benchmarks_run_only_when_named(monkeypatch):
    # `python -m benchmarks` with no names runs every bench_* module except those marked
    # ON_REQUEST (the cold/warm report takes minutes); named, they run.
    import importlib

    import benchmarks.__main__ as M

    ran = []

    real = importlib.import_module

    def fake_import(name, *a, **k):
        mod = real(name, *a, **k)
        if name.startswith("benchmarks.bench_"):
            return type("M", (), {"run": staticmethod(lambda b: ran.append(b.name)),
                                  "ON_REQUEST": getattr(mod, "ON_REQUEST", False),
                                  "PIN_THREADS": getattr(mod, "PIN_THREADS", True)})
        return mod

    monkeypatch.setattr(M, "Bench", FakeBench)
    monkeypatch.setattr(M.importlib, "import_module", fake_import)
    M.main([])
    assert "report" not in ran and {"spectrum", "threads", "import"} <= set(ran)
    ran.clear()
    M.main(["report"])
    assert ran == ["report"]


def test_benchmarks_run_with_pinned_blas_threads(monkeypatch):
    # Every benchmark but the thread benchmark runs inside one BLAS-thread limit, so that a
    # ratio's two contenders see the same threads; bench_threads sets its own.
    import benchmarks.__main__ as M
    from threadpoolctl import threadpool_info

    seen = {}

    def blas_threads_now():
        return {i["num_threads"] for i in threadpool_info() if i.get("user_api") == "blas"}

    import benchmarks.bench_threads as BT
    import benchmarks.bench_coefficients as BC

    monkeypatch.setattr(BC, "run", lambda b: seen.setdefault("coefficients", blas_threads_now()))
    monkeypatch.setattr(BT, "run", lambda b: seen.setdefault("threads", blas_threads_now()))
    monkeypatch.setattr(M, "Bench", FakeBench)
    M.main(["coefficients", "threads"])
    assert seen["coefficients"] == {M.BENCH_THREADS}
    import os

    if (os.cpu_count() or 1) > 1 and not os.environ.get("OPENBLAS_NUM_THREADS"):
        assert seen["threads"] != {M.BENCH_THREADS}
