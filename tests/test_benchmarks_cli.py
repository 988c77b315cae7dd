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
