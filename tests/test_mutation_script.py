"""The machinery of scripts/mutation_test.py: snippet matching, selection, the built-in table's
shape, and one end-to-end run on a tiny throw-away repository (killed, survived, stale and
equivalent mutants; the canary that proves the copy is the code under test)."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "mutation_test.py"


@pytest.fixture(scope="module")
def mt():
    spec = importlib.util.spec_from_file_location("mutation_test", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    sys.modules["mutation_test"] = mod  # dataclasses resolve their module by name
    spec.loader.exec_module(mod)
    yield mod
    sys.modules.pop("mutation_test", None)


def test_snippet_must_occur_exactly_once(mt):
    assert mt.mutate_source("a = 1\nb = 2\n", "b = 2", "b = 3") == ("a = 1\nb = 3\n", "")
    assert mt.mutate_source("a = 1\n", "b = 2", "b = 3") == (None, "snippet not found")
    new, why = mt.mutate_source("x += r\nx += r\n", "x += r", "x = r")
    assert new is None and "2 times" in why


def test_only_matches_ids_and_files(mt):
    ms = [mt.Mutant("io-a", "classdyn/io.py", "x", "y", ""),
          mt.Mutant("spec-b", "theory/spectrum.py", "x", "y", "")]
    assert [m.id for m in mt.select(ms, ["spec"])] == ["spec-b"]
    assert [m.id for m in mt.select(ms, ["classdyn/*"])] == ["io-a"]
    assert [m.id for m in mt.select(ms, ["*-b", "io-a"])] == ["io-a", "spec-b"]
    assert mt.select(ms, None) == ms


def test_builtin_table_shape(mt):
    ids = [m.id for m in mt.MUTANTS]
    assert len(ids) == len(set(ids))
    for m in mt.MUTANTS:
        assert m.old != m.new, m.id
        assert (ROOT / m.file).is_file(), m.id
        assert m.tests is not None or m.file in mt.TESTS, m.id
        # every mutant of the package runs at least one existing test file
        assert mt.resolve_tests(ROOT, mt.mutant_test_patterns(m)), m.id
    pkgs = {m.package for m in mt.MUTANTS}
    assert {"theory", "simulate", "validation", "classdyn"} <= pkgs
    assert all(m.equivalent for m in mt.MUTANTS if m.equivalent is not None)


def test_junit_times_are_summed_per_file(mt, tmp_path):
    xml = tmp_path / "j.xml"
    xml.write_text('<testsuites><testsuite>'
                   '<testcase classname="tests.theory.test_a" name="x" time="1.5"/>'
                   '<testcase classname="tests.theory.test_a.TestK" name="y" time="2"/>'
                   '<testcase classname="tests.test_b" name="z" time="0.25"/>'
                   '</testsuite></testsuites>')
    out = mt.junit_file_times(xml, ["tests/theory/test_a.py", "tests/test_b.py"])
    assert out == {"tests/theory/test_a.py": 3.5, "tests/test_b.py": 0.25}


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                    *args], check=True, capture_output=True)


def _toy_repo(tmp_path, test_body):
    repo = tmp_path / "toy"
    (repo / "toypkg").mkdir(parents=True)
    (repo / "tests").mkdir()
    (repo / "toypkg" / "__init__.py").write_text("")
    (repo / "toypkg" / "core.py").write_text(
        "def double(x):\n    return 2 * x\n\n\ndef clip(x):\n    return max(x, 0)\n")
    (repo / "tests" / "test_core.py").write_text(test_body)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "toy")
    table = {"tests": {"toypkg/core.py": ["tests/test_core*.py"]},
             "mutants": [
                 {"id": "double-factor", "file": "toypkg/core.py", "old": "return 2 * x",
                  "new": "return 3 * x", "description": "tested"},
                 {"id": "clip-min", "file": "toypkg/core.py", "old": "return max(x, 0)",
                  "new": "return min(x, 0)", "description": "untested"},
                 {"id": "gone", "file": "toypkg/core.py", "old": "return 4 * x",
                  "new": "return 5 * x", "description": "code changed"},
                 {"id": "same", "file": "toypkg/core.py", "old": "def clip(x):",
                  "new": "def clip(x):  # same", "description": "a comment",
                  "equivalent": "a comment changes nothing"}]}
    (tmp_path / "table.json").write_text(json.dumps(table))
    return repo


def _run(repo, tmp_path, *extra):
    env = dict(os.environ, PYTEST_DISABLE_PLUGIN_AUTOLOAD="1")
    return subprocess.run([sys.executable, str(SCRIPT), "--repo", str(repo), "--table",
                           str(tmp_path / "table.json"), *extra], capture_output=True,
                          text=True, env=env, timeout=120)


def test_end_to_end_on_a_toy_repository(tmp_path):
    repo = _toy_repo(tmp_path, "from toypkg.core import double\n\n\n"
                               "def test_double():\n    assert double(3) == 6\n")
    before = (repo / "toypkg" / "core.py").read_text()
    out = tmp_path / "report.json"
    r = _run(repo, tmp_path, "--out", str(out))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "canary: killed" in r.stdout and "baseline: passed" in r.stdout
    rep = json.loads(out.read_text())
    status = {m["id"]: m["status"] for m in rep["mutants"]}
    assert status == {"double-factor": "killed", "clip-min": "survived", "gone": "stale",
                      "same": "equivalent"}
    killed = next(m for m in rep["mutants"] if m["id"] == "double-factor")
    assert killed["failing_test"] == "tests/test_core.py::test_double"
    assert rep["summary"]["overall"]["kill_rate"] == 0.5
    assert [s["id"] for s in rep["summary"]["survivors"]] == ["clip-min"]
    assert "snippet not found" in rep["summary"]["stale"][0]["detail"]
    assert "kill rate" in r.stdout and "clip-min" in r.stdout
    # the checkout itself is never touched
    assert (repo / "toypkg" / "core.py").read_text() == before


def test_canary_stops_a_run_whose_tests_import_other_code(tmp_path):
    # the test imports toypkg from the original checkout, not from the copy under test
    repo = _toy_repo(tmp_path, "import sys\n"
                               f"sys.path.insert(0, {str(tmp_path / 'toy')!r})\n"
                               "from toypkg.core import double\n\n\n"
                               "def test_double():\n    assert double(3) == 6\n")
    r = _run(repo, tmp_path, "--only", "double-factor")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "canary" in r.stdout and "do not run the copy" in r.stdout


def test_kernel_mutants_get_a_cache_without_stale_dependents(mt, tmp_path):
    # Numba's cache does not track calls across files: simulate/features.py's cached kernels
    # call classdyn.theory._quadrature.owens_t_segment, so a mutant of _quadrature must drop both.
    pk = ["classdyn", "simulate", "theory", "validation"]
    assert mt.cache_stems_to_drop(ROOT, "theory/_quadrature.py", pk) == {"_quadrature",
                                                                         "features"}
    assert mt.cache_stems_to_drop(ROOT, "theory/_spectrum_kernels.py", pk) == {
        "_spectrum_kernels"}
    assert mt.cache_stems_to_drop(ROOT, "theory/spectrum.py", pk) is None
    shared = tmp_path / "shared"
    for name in ("theory_x/_quadrature.act-55.py311.nbi", "simulate_y/features.k-1.py311.nbc",
                 "theory_x/_spectrum_kernels.s-2.py311.nbi"):
        (shared / name).parent.mkdir(parents=True, exist_ok=True)
        (shared / name).write_text("x")
    priv = mt.private_cache(shared, tmp_path / "priv", {"_quadrature", "features"})
    left = sorted(str(p.relative_to(priv)) for p in priv.rglob("*") if p.is_file())
    assert left == ["theory_x/_spectrum_kernels.s-2.py311.nbi"]
    assert len([p for p in shared.rglob("*") if p.is_file()]) == 3  # shared cache untouched
