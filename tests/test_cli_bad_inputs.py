"""Every subcommand against bad and extreme inputs (issue 18, "done when"): NaN, ±inf, negative,
zero, empty lists, mismatched lengths, absurd sizes, wrong types, unusable ``--out``.

Each case must end in one of two ways:

* exit 2 with exactly one non-empty stderr line that names the flag (or one of the flags) at
  fault, or
* exit 0 with ``--json`` output whose numbers are all finite (an infinite value is accepted only
  as a stated limit: a dict on its path has a ``reason`` / ``never`` / ``reached`` entry);

never a ``Traceback``, never a hang (each case has a hard time limit: a timeout is a failure).
Some cases ask for a quantity that does not exist; those may also exit 1 with one line.

Speed: the cases run in ONE driver process (this module run as ``python -m
tests.test_cli_bad_inputs CASES.json BASE``) that imports the package once and forks a child per
case, which calls :func:`classdyn.cli.main` with stdout/stderr sent to files; the parent kills a
child that runs past :data:`CASE_TIMEOUT_S`. A child is a real process, so an exception that
escapes ``main`` is printed as a traceback and a hang is a real hang. A handful of cases also run
as plain ``python -m classdyn`` subprocesses, to show that nothing escapes at the process level.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: a case that runs longer than this is a hang (the slowest legitimate case, a small theory
#: command, takes ~5 s on a loaded 2-core machine)
CASE_TIMEOUT_S = 60

FMNIST = Path(os.environ.get("FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist"))

NUM_BAD = ["nan", "inf", "-inf", "abc"]  # never a valid number
POS_BAD = [*NUM_BAD, "-1", "0"]          # never a valid positive number
INT_BAD = ["abc", "1.5", "1e9", "-1", "0"]  # never a valid positive integer (1e9 is a float)

#: a refusal of an extreme but well-formed value may come from the model, which names the
#: parameter in its own words (e.g. "the class variance is too large")
PARAM_WORDS = {"--variances": ["variance", "sigma2"], "--t": ["diffusion time"],
               "--psi-p": ["psi_p"], "--psi-n": ["psi_n"], "--norms2": ["norms2", "centroid"],
               "--m": ["|m|"], "--d": ["memory", "GiB"], "--ds": ["memory", "GiB"],
               "--num-tau": ["num_tau"], "--points": ["memory", "GiB"]}


def _cases() -> list[tuple[str, list[str], str, list[str]]]:
    """(id, argv without --out/--json, kind, flags that a refusal may name).

    kind: ``refuse`` (exit 2 required), ``either`` (exit 2 or a finite exit 0), ``undefined``
    (exit 2, or 1 with one line, or a finite exit 0)."""
    cases = []

    def add(cid, argv, kind, flags):
        cases.append((cid, list(argv), kind, list(flags)))

    def bad(base, flag, values, kind="refuse", extra=(), also=()):
        for v in values:
            vals = v.split() if isinstance(v, str) else list(v)
            words = " ".join(w for w in base[:2] if not w.startswith("-"))
            add(f"{words} {flag} {v or '<empty>'}", [*base, flag, *vals, *extra], kind,
                [flag, *also, *PARAM_WORDS.get(flag, ())] if kind != "refuse"
                else [flag, *also])

    theory = {
        "coefficients": ["coefficients", "--m", "0"],
        "spectrum": ["spectrum"],
        "edges": ["edges"],
        "times": ["times"],
        "speciation": ["speciation", "--ds", "100"],
    }
    for name, base in theory.items():
        bad(base, "--t", [*POS_BAD, ""])
        extreme = name in ("spectrum", "coefficients")  # the others share their path
        bad(base, "--t", ["50", "1e300", "1e-300"] if extreme else ["1e300", "1e-300"],
            "either")
        bad(base, "--variances", [*POS_BAD, "", "1 nan"])
        bad(base, "--variances", ["1e300 1", "1e-300 1", "1e-5 1"] if extreme
            else ["1e300 1"], "either")
        bad(base, "--weights", ["0.5", "0.5 0.5 0.5", "-0.5 1.5", "0 1", "nan 0.5", ""],
            extra=["--variances", "1", "2"])
        bad(base, "--activation", ["foo", ""])
        if name != "speciation":
            bad(base, "--dps", ["abc", "14", "1001", "0", "-5"])
        if name == "coefficients":
            bad(base, "--m", [*NUM_BAD, ""])
            bad(base, "--m", ["1e300", "-1e17"], "either")
            continue
        bad(base, "--norms2", ["nan 0", "-1 0", "inf 0", "abc 0", ""])
        bad(base, "--norms2", ["1", "1 1 1"], extra=["--variances", "1", "2"])
        if name == "edges":
            bad(base, "--norms2", ["1e300 1e300"], "either")
        bad(base, "--overlaps", ["2", "nan", "0.5 0.5", ""], extra=["--norms2", "1", "1"])
        bad(base, "--psi-p", POS_BAD)
        bad(base, "--psi-n", POS_BAD)
        bad(base, "--psi-p", ["1e300"] if name == "spectrum" else [], "either")
        if name in ("spectrum", "times"):
            add(f"{name} psi_p = 1 + psi_n", [*base, "--psi-p", "3", "--psi-n", "2"],
                "either", ["--psi-p", "--psi-n"])
    bad(theory["spectrum"], "--points", INT_BAD)
    bad(theory["spectrum"], "--points", ["1000000000"], "either")
    bad(theory["spectrum"], "--lam-max", POS_BAD)
    bad(theory["spectrum"], "--lam-max", ["1e300"], "either")
    bad(theory["spectrum"], "--d", INT_BAD)
    bad(theory["spectrum"], "--d", ["1000000000"], "either", extra=["--norms2", "1", "1"])
    bad(theory["times"], "--limit-psi-p0", POS_BAD, extra=["--limit"])
    bad(["speciation"], "--ds", ["1", "0", "-5", "abc", "1e9", ""])
    bad(["speciation"], "--ds", ["1000000000"], "either")
    bad(theory["speciation"], "--gammas", ["nan", "-1", "abc", ""])
    bad(theory["speciation"], "--method", ["foo"])
    add("speciation zero centroid norm", ["speciation", "--ds", "100", "--norms2", "0", "1"],
        "undefined", ["--norms2"])
    add("speciation all centroids zero", ["speciation", "--ds", "100", "--norms2", "0", "0"],
        "undefined", ["--norms2"])

    # simulate: small, fast bases
    sl = ["simulate", "losses", "--d", "20", "--kind", "gep", "--num-tau", "20"]
    bad(sl, "--d", INT_BAD)
    bad(sl, "--d", ["1000000000"], "either")
    bad(sl, "--t", POS_BAD)
    bad(sl, "--tau-min", POS_BAD)
    bad(sl, "--tau-max", [*POS_BAD, "0.001"])  # 0.001 < --tau-min 0.01
    bad(sl, "--tau-max", ["1e12"], "either")
    bad(sl, "--num-tau", [*INT_BAD, "2"])
    bad(sl, "--num-tau", ["1000000000"], "either")
    bad(sl, "--threshold", NUM_BAD)
    bad(sl, "--worse-than-min", NUM_BAD)
    bad(sl, "--memory-gb", POS_BAD)
    bad(sl, "--memory-gb", ["1e300"], "either")
    bad(sl, "--variances", ["nan 1", "-1 1", "0 1", ""])
    bad(sl, "--weights", ["0.5", "0.2 0.2"], extra=["--variances", "1", "2"])
    bad(sl, "--norms2", ["1"], extra=["--variances", "1", "2"])
    bad(sl, "--kind", ["foo"])
    bad(sl, "--seed", ["-1", "abc", "1.5"])
    bad(sl, "--psi-p", POS_BAD)
    add("simulate losses t=50", [*sl, "--t", "50"], "undefined", ["--t"])
    add("simulate losses six classes",
        [*sl, "--variances", "0.5", "1", "1.5", "2", "2.5", "3"], "undefined", ["--variances"])
    st = ["simulate", "train", "--d", "20", "--tau-max", "10", "--seeds", "1"]
    bad(st, "--tau-max", POS_BAD)
    bad(st, "--tau-max", ["1e12"], "either")
    bad(st, "--step-frac", [*POS_BAD, "1e300"])
    bad(st, "--seeds", INT_BAD)
    bad(st, "--checkpoints", INT_BAD)
    bad(st, "--d", ["1000000000"], "either")
    bad(st, "--t", NUM_BAD)
    ss = ["simulate", "speciation", "--ds", "20", "--num-t", "3", "--repeats", "1",
          "--kind", "gep"]
    bad(ss, "--ds", [*INT_BAD, "1", ""])
    bad(ss, "--ds", ["1000000000"], "either")
    bad(ss, "--t-min", POS_BAD)
    bad(ss, "--t-max", [*POS_BAD, "0.1"])  # 0.1 < --t-min 0.5
    bad(ss, "--num-t", [*INT_BAD, "1"])
    bad(ss, "--repeats", INT_BAD)
    bad(ss, "--level", [*NUM_BAD, "-1", "2"])
    bad(ss, "--margin", [*NUM_BAD, "-1"])
    bad(ss, "--gammas", ["nan", "-1", "abc", ""])
    add("simulate speciation psi_p = 1 + psi_n", [*ss, "--psi-p", "3", "--psi-n", "2"],
        "either", ["--psi-p", "--psi-n"])
    add("simulate speciation zero centroid norm", [*ss, "--norms2", "0", "1"], "undefined",
        ["--norms2"])

    # ddpm: everything refused before training (or a missing input named)
    dt = ["ddpm", "train", "--data", str(FMNIST)]
    bad(dt, "--data", ["/nonexistent/fmnist"])
    bad(dt, "--widths", [*INT_BAD, "", "100000 100000"])
    bad(dt, "--n", [*INT_BAD, "1"])
    bad(dt, "--proportion", [*NUM_BAD, "0", "1", "1.5"])
    bad(dt, "--dropout", [*NUM_BAD, "1", "-0.1"])
    bad(dt, "--T", INT_BAD)
    bad(dt, "--lr", POS_BAD)
    bad(dt, "--steps", INT_BAD)
    bad(dt, "--batch-size", INT_BAD)
    bad(dt, "--image-size", INT_BAD)
    bad(dt, "--enc-blocks", INT_BAD)
    bad(dt, "--attn-levels", ["abc", "-1", "99"])
    bad(dt, "--checkpoints", INT_BAD)
    bad(dt, "--first-checkpoint", INT_BAD)
    bad(dt, "--save-every", POS_BAD)
    bad(dt, "--max-seconds", POS_BAD)
    bad(dt, "--size", ["foo"])
    bad(dt, "--classes", ["Foo Bar", "Bag Bag", "Bag"])
    bad(dt, "--device", ["foo", "cuda:abc"])
    bad(dt, "--seed", ["-1", "abc"])
    bad(["ddpm", "stats"], "--data", ["/nonexistent/fmnist"])
    bad(["ddpm", "stats"], "--split", ["foo"])
    bad(["ddpm", "sample"], "--samples", INT_BAD)
    bad(["ddpm", "sample"], "--batch", INT_BAD)
    bad(["ddpm", "sample"], "--device", ["foo"])
    add("ddpm sample empty run folder", ["ddpm", "sample"], "refuse", ["--out"])
    bad(["ddpm", "classify"], "--width", INT_BAD)
    bad(["ddpm", "classify"], "--epochs", INT_BAD)
    bad(["ddpm", "classify"], "--images", ["-1", "abc", "1.5"])
    # no training run in --out either: naming that first is as right
    bad(["ddpm", "classify"], "--data", ["/nonexistent/fmnist"], also=["--out"])
    add("ddpm classify empty run folder", ["ddpm", "classify", "--data", str(FMNIST)],
        "refuse", ["--out"])
    bad(["ddpm", "memorization"], "--ratio", [*POS_BAD, "1.5"])
    bad(["ddpm", "memorization"], "--bootstrap", INT_BAD)
    bad(["ddpm", "memorization"], "--assign", ["foo"])
    add("ddpm memorization empty run folder", ["ddpm", "memorization"], "refuse", ["--out"])
    bad(["ddpm", "gaps"], "--runs", ["/nonexistent/run"])
    bad(["ddpm", "gaps"], "--threshold", [*NUM_BAD, "0", "1"])
    bad(["ddpm", "gaps"], "--statistic", ["foo"])
    add("ddpm gaps no runs", ["ddpm", "gaps"], "refuse", ["--runs", "--out"])
    dr = ["ddpm", "run", "--data", str(FMNIST)]
    bad(dr, "--partners", ["Foo", "", "Sneaker"])
    bad(dr, "--reference", ["Foo"])
    bad(dr, "--proportions", [*NUM_BAD, "0", "1", ""])
    bad(dr, "--samples", INT_BAD)
    bad(dr, "--threshold", ["nan", "0", "2"])
    bad(dr, "--clf-width", INT_BAD)
    bad(dr, "--clf-epochs", INT_BAD)
    bad(dr, "--clf-images", ["-1", "abc"])
    bad(dr, "--max-seconds", ["nan", "-1", "inf"])
    bad(dr, "--widths", ["100000 100000"])

    # sweep
    for q in ("timescales", "speciation"):
        sw = ["sweep", q, "--executor", "serial"]
        bad(sw, "--grid", ["", "psi_p", "psi_p=", "psi_p=abc", "psi_p=nan", "psi_p=-1,2",
                           "foo=1,2", "psi_p=4:16:log0", "psi_p=4:16:log1e9",
                           "psi_p=1:1e300:lin100000 t=0.1:1:lin100000"])
        base = [*sw, "--grid", "psi_p=4,8"]
        bad(base, "--variances", ["1", "nan 1", "-1 1", "1 2 3"])
        bad(base, "--weights", ["0.5", "nan 0.5"])
        bad(base, "--norms2", ["nan", "-1"])
        bad(base, "--psi-n", POS_BAD)
        bad(base, "--t", POS_BAD)
        bad(base, "--d", INT_BAD)
        bad(base, "--jobs", ["0", "-1", "abc"])
        bad(base, "--activation", ["foo"])

    # fit / predict on a small dataset written by the driver (BASE/data.npz)
    fit = ["fit", "--data", "{BASE}/data.npz"]
    bad(["fit"], "--data", ["/nonexistent.npz", "{BASE}/garbage.npz", "{BASE}/text.txt",
                            "{BASE}/nan.npz", "{BASE}/onesample.npz"])
    bad(fit, "--bootstrap", [*INT_BAD, "1000000000"])
    bad(fit, "--classes", ["7 8", ""])
    bad(fit, "--labels", ["/nonexistent.npy", "{BASE}/labels_short.npy"])
    bad(fit, "--normalise", ["foo"])
    bad(fit, "--seed", ["-1"])
    pr = ["predict", "--data", "{BASE}/data.npz", "--bootstrap", "20"]
    bad(["predict"], "--mixture", ["/nonexistent.json", "{BASE}/text.txt",
                                    "{BASE}/badmixture.json"])
    bad(pr, "--t", POS_BAD)
    bad(pr, "--d", INT_BAD)
    bad(pr, "--psi-p", POS_BAD)
    bad(pr, "--bootstrap", INT_BAD)
    add("predict without data or mixture", ["predict"], "refuse", ["--data", "--mixture"])

    # validate / report (only refusals: a real run takes minutes)
    for cmd in ("validate", "report"):
        bad([cmd], "--only", ["no-such-check", ""])
        bad([cmd], "--jobs", ["0", "-1", "abc", "1e9"])
        bad([cmd], "--size", ["foo", ""])
        bad([cmd], "--executor", ["foo"])

    # unusable --out on every leaf (the --out is then the flag at fault)
    leaves = [["coefficients"], ["spectrum"], ["edges"], ["times"], ["speciation"],
              ["simulate", "losses"], ["simulate", "train"], ["simulate", "speciation"],
              ["ddpm", "stats"], ["ddpm", "train"], ["ddpm", "sample"], ["ddpm", "classify"],
              ["ddpm", "memorization"], ["ddpm", "gaps"], ["ddpm", "run"],
              ["sweep", "timescales", "--grid", "psi_p=4"], ["fit", "--data", "x.npz"],
              ["predict"], ["validate"], ["report"]]
    for leaf in leaves:
        for out in ("{BASE}/a_file", "/dev/null", "/proc/classdyn", "", "{BASE}/a_file/sub"):
            add(f"{' '.join(leaf[:2])} --out {out or '<empty>'}", [*leaf, "--out", out],
                "refuse", ["--out"])
    return cases


CASES = _cases()


# ---------------------------------------------------------------- the driver (own process)
def _prepare_base(base: Path) -> None:
    """Input files for fit/predict/--out cases under ``base``."""
    import numpy as np

    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(0, 1, (60, 8)), rng.normal(0.5, 2, (60, 8))])
    y = np.repeat([0, 1], 60)
    np.savez(base / "data.npz", X=x, y=y)
    xn = x.copy()
    xn[3, 2] = np.nan
    np.savez(base / "nan.npz", X=xn, y=y)
    np.savez(base / "onesample.npz", X=x[:1], y=y[:1])
    np.save(base / "labels_short.npy", y[:10])
    (base / "garbage.npz").write_bytes(b"PK\x03\x04 not a zip at all")
    (base / "text.txt").write_text("hello\n")
    (base / "badmixture.json").write_text(json.dumps({"variances": ["nan", -1]}))
    (base / "a_file").write_text("keep me")


def _run_case(argv: list[str], cwd: Path, timeout: float) -> dict:
    """Fork a child that runs ``main(argv)`` in ``cwd``; kill it after ``timeout`` s."""
    out_f, err_f = cwd / ".stdout", cwd / ".stderr"
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:  # child
        code = 99
        try:
            os.chdir(cwd)
            fo = os.open(out_f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            fe = os.open(err_f, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fo, 1)
            os.dup2(fe, 2)
            sys.stdout = open(1, "w", closefd=False)
            sys.stderr = open(2, "w", closefd=False)
            from classdyn.cli import main

            try:
                code = main(argv)
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # what would escape the console script: its traceback
            import traceback

            traceback.print_exc()
            code = 98
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            finally:
                os._exit(code if isinstance(code, int) else 97)
    rc = None
    while time.monotonic() - t0 < timeout:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            rc = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.01)
    if rc is None:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    stdout = out_f.read_text(errors="replace") if out_f.exists() else ""
    try:  # the --json result is the last stdout line; big (a density grid): judged here
        data = json.loads(stdout.strip().splitlines()[-1])
        non_finite = [[v, n, explained] for v, n, explained in _non_finite(data)]
    except (ValueError, IndexError):
        data = non_finite = None
    return {"rc": rc, "seconds": round(time.monotonic() - t0, 2), "json_ok": data is not None,
            "non_finite": non_finite, "stdout": stdout[-2000:],
            "stderr": err_f.read_text(errors="replace")[-4000:] if err_f.exists() else ""}


def _drive(cases_file: str, base: str) -> None:
    """Run every case of ``cases_file`` (JSON list of [id, argv]); one JSON line per case."""
    import numpy  # noqa: F401  (imported once, before the forks)
    import classdyn.cli
    import classdyn.theory.spectrum  # noqa: F401
    import classdyn.simulate.train  # noqa: F401
    try:
        import torch  # noqa: F401
    except ImportError:
        pass
    # main() builds its parser on every call (~0.1 s of the ~0.12 s a refused case takes):
    # build it once here; each forked child parses with its own copy-on-write copy
    parser = classdyn.cli.build_parser()
    classdyn.cli.build_parser = lambda: parser
    base_p = Path(base)
    _prepare_base(base_p)
    for i, (cid, argv) in enumerate(json.loads(Path(cases_file).read_text())):
        cwd = base_p / f"case{i:04d}"
        cwd.mkdir()
        argv = [a.replace("{BASE}", base) for a in argv]
        if "--out" not in argv:
            argv += ["--out", str(cwd / "out")]
        rec = _run_case([*argv, "--json"], cwd, CASE_TIMEOUT_S)
        rec["id"] = cid
        print(json.dumps(rec), flush=True)


# ---------------------------------------------------------------- the checks
def _non_finite(obj, ancestors=()):
    """Paths of non-finite numbers in a JSON value (``"nan"``/``"inf"`` strings included, as
    classdyn.io writes them), each with whether a dict on its path states a limit/reason."""
    found = []
    here = [*ancestors, obj] if isinstance(obj, dict) else list(ancestors)
    if isinstance(obj, dict):
        for k, v in obj.items():
            found += _non_finite(v, here)
    elif isinstance(obj, list):
        for v in obj:
            found += _non_finite(v, here)
    else:
        bad = (isinstance(obj, float) and obj != obj or obj in (float("inf"), float("-inf"))
               or obj in ("nan", "inf", "-inf", "NaN", "Infinity", "-Infinity"))
        if bad:
            is_nan = obj != obj if isinstance(obj, float) else obj.lower() == "nan"
            explained = any(re.search(r"reason|never|reached", str(k))
                            for d in here for k in d)
            found.append((obj, is_nan, explained))
    return found


def _problem(case, rec) -> str | None:
    """Why ``rec`` (one driver record) breaks the contract, or None."""
    cid, argv, kind, flags = case
    if rec is None:
        return "no record (the driver died before this case)"
    err, rc = rec["stderr"], rec["rc"]
    lines = [ln for ln in err.splitlines() if ln.strip()]
    if rc is None:
        return f"hang: killed after {CASE_TIMEOUT_S} s"
    if "Traceback" in err:
        return f"traceback (rc {rc}): {err[-1500:]}"
    if rc == 2:
        if len(lines) != 1:
            return f"exit 2 with {len(lines)} stderr lines: {lines[-5:]}"
        if not any(f in lines[0] for f in flags):
            return f"exit 2 without naming any of {flags}: {lines[0]}"
        return None
    if kind == "refuse":
        return f"exit {rc}, expected a refusal (exit 2): {lines[-3:]}"
    if rc == 1 and kind == "undefined":
        return None if len(lines) == 1 else f"exit 1 with {len(lines)} stderr lines: {lines}"
    if rc != 0:
        return f"exit {rc}: {lines[-3:]}"
    if not rec["json_ok"]:
        return f"exit 0 without a JSON result: {rec['stdout'][-300:]!r}"
    bad = [(v, n) for v, n, explained in rec["non_finite"] if n or not explained]
    if bad:
        return f"exit 0 with non-finite numbers and no stated reason: {bad[:5]}"
    return None


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    base = tmp_path_factory.mktemp("bad_inputs")
    cases_file = base / "cases.json"
    cases_file.write_text(json.dumps([[c[0], c[1]] for c in CASES]))
    env = {**os.environ, "CLASSDYN_NO_PROGRESS": "1", "MPLBACKEND": "Agg",
           "OMP_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}
    r = subprocess.run([sys.executable, "-m", "tests.test_cli_bad_inputs", str(cases_file),
                        str(base)], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=CASE_TIMEOUT_S * len(CASES))
    out = {}
    for line in r.stdout.splitlines():
        rec = json.loads(line)
        out[rec["id"]] = rec
    return out


def test_the_table_covers_every_subcommand_and_enough_cases():
    from tests.test_flags_output import LEAVES

    covered = {tuple(c[1][:2]) if c[1][0] in ("simulate", "ddpm") else (c[1][0],)
               for c in CASES}
    assert set(LEAVES) <= covered, set(LEAVES) - covered
    # sweep's quantity is a positional choice, not a sub-parser: both are in the table
    assert {tuple(c[1][:2]) for c in CASES if c[1][0] == "sweep"} >= {
        ("sweep", "timescales"), ("sweep", "speciation")}
    assert len(CASES) >= 150
    assert len({c[0] for c in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input(case, records):
    problem = _problem(case, records.get(case[0]))
    assert problem is None, problem


# ---------------------------------------------------------------- true subprocesses
@pytest.mark.parametrize("argv, flag", [
    (["spectrum", "--t", "nan"], "--t"),
    (["simulate", "losses", "--d", "abc"], "--d"),
    (["times", "--variances", "1", "2", "--weights", "0.5"], "--weights"),
    (["ddpm", "train", "--widths", "0"], "--widths"),
    (["sweep", "timescales", "--grid", "psi_p=abc"], "--grid"),
])
def test_a_console_process_refuses_in_one_line(argv, flag, tmp_path):
    """The real console entry (``python -m classdyn``): exit 2, one stderr line naming the
    flag, no traceback, nothing written."""
    r = subprocess.run([sys.executable, "-m", "classdyn", *argv, "--out", str(tmp_path / "o")],
                       capture_output=True, text=True, timeout=CASE_TIMEOUT_S, cwd=tmp_path)
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert r.returncode == 2, r.stderr
    assert len(lines) == 1 and flag in lines[0], lines
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


if __name__ == "__main__":
    os.environ.setdefault("CLASSDYN_NO_PROGRESS", "1")
    os.environ.setdefault("MPLBACKEND", "Agg")
    _drive(sys.argv[1], sys.argv[2])
    sys.exit(0)
