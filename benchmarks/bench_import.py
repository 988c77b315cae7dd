"""Import cost of the light packages, against a bare interpreter start in the same run.

Target: ``import classdyn.theory, classdyn.simulate, classdyn.validation`` adds little to
interpreter start-up (ratio reported; the packages import NumPy-heavy code only on demand).

Cold start (issue 16): a fresh process with a filled cache (the first call of each command,
not timed, fills it) against ``python -c "import numpy, scipy"`` timed in the same run:
``classdyn spectrum`` (C = 2) and ``classdyn coefficients`` within 3x; ``classdyn edges``
(C = 2, 30 digits) within 1.5 s absolute.
"""

import subprocess
import sys


def _run(code: str):
    return lambda: subprocess.run([sys.executable, "-c", code], check=True)


def run(bench) -> None:
    base = bench.time("python -c pass", _run("pass"), warmup=1, repeat=5, number=1)
    pkgs = bench.time("import classdyn.theory, classdyn.simulate, classdyn.validation",
                      _run("import classdyn.theory, classdyn.simulate, classdyn.validation"),
                      warmup=1, repeat=5, number=1)
    cli = bench.time("classdyn --help", _run("from classdyn.cli import build_parser; "
                                             "build_parser().format_help()"),
                     warmup=1, repeat=5, number=1)
    bench.ratio("packages / bare start", pkgs, base, target=3.0, better="lower")
    bench.ratio("CLI parser / bare start", cli, base)
    _cold_start(bench)


def _cold_start(bench) -> None:
    import os
    import tempfile

    out = tempfile.mkdtemp(prefix="classdyn-bench-")
    base = bench.time("python -c 'import numpy, scipy'", _run("import numpy, scipy"), warmup=1,
                      repeat=5, number=1)
    env = dict(os.environ, CLASSDYN_NO_PROGRESS="1")

    def cmd(*argv):
        full = [sys.executable, "-m", "classdyn", *argv, "--out", out, "--force"]
        return lambda: subprocess.run(full, check=True, env=env, stdout=subprocess.DEVNULL)

    for name, argv in (("spectrum", ("spectrum", "--t", "0.1")),
                       ("coefficients", ("coefficients", "--t", "0.1")),
                       ("edges", ("edges", "--t", "0.1"))):
        t = bench.time(f"classdyn {name} (fresh process, filled cache)", cmd(*argv), warmup=1,
                       repeat=5, number=1)
        if name == "edges":
            bench.target("classdyn edges C=2 30 digits, fresh process", t, 1.5)
        else:
            bench.ratio(f"classdyn {name} / import numpy, scipy", t, base, target=3.0,
                        better="lower")
