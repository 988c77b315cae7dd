"""Import cost of the light packages, against a bare interpreter start in the same run.

Target: ``import theory, simulate, validation`` adds little to interpreter start-up (ratio
reported; the packages import NumPy-heavy code only on demand).
"""

import subprocess
import sys


def _run(code: str):
    return lambda: subprocess.run([sys.executable, "-c", code], check=True)


def run(bench) -> None:
    base = bench.time("python -c pass", _run("pass"), warmup=1, repeat=5, number=1)
    pkgs = bench.time("import theory, simulate, validation",
                      _run("import theory, simulate, validation"), warmup=1, repeat=5, number=1)
    cli = bench.time("classdyn --help", _run("from classdyn.cli import build_parser; "
                                             "build_parser().format_help()"),
                     warmup=1, repeat=5, number=1)
    bench.ratio("packages / bare start", pkgs, base, target=3.0, better="lower")
    bench.ratio("CLI parser / bare start", cli, base)
