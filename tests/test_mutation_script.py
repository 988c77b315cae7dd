"""The machinery of scripts/mutation_test.py: snippet matching, selection, the test map, Numba
cache handling, and end-to-end runs on a tiny throw-away repository (killed, survived, stale and
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


def test_snippet_is_looked_for_in_every_file_of_the_pattern(mt):
    texts = {"pkg/a.py": "x = 1\n", "pkg/b.py": "y = 2\nz = 1\n", "other/c.py": "y = 2\n"}
    read = texts.get
    files = sorted(texts)
    m = mt.Mutant("m", "pkg/*.py", "y = 2", "y = 3", "")
    assert mt.find_target(m, files, read) == ("pkg/b.py", "y = 3\nz = 1\n", "")
    # the same snippet in two files of the pattern is ambiguous, not a guess
    m2 = mt.Mutant("m2", "pkg/*.py|other/*.py", "y = 2", "y = 3", "")
    f, new, why = mt.find_target(m2, files, read)
    assert f is None and new is None and "2 times" in why and "other/c.py" in why
    assert mt.find_target(mt.Mutant("m3", "pkg/*.py", "w = 0", "w = 1", ""), files,
                          read)[2] == "snippet not found"
    assert "no file matches" in mt.find_target(mt.Mutant("m4", "nope/*.py", "a", "b", ""),
                                               files, read)[2]


def test_only_matches_ids_and_file_patterns(mt):
    ms = [mt.Mutant("io-a", "classdyn/*.py", "x", "y", ""),
          mt.Mutant("spec-b", "theory/*.py", "x", "y", "")]
    assert [m.id for m in mt.select(ms, ["spec"])] == ["spec-b"]
    assert [m.id for m in mt.select(ms, ["classdyn/*"])] == ["io-a"]
    assert [m.id for m in mt.select(ms, ["*-b", "io-a"])] == ["io-a", "spec-b"]
    assert mt.select(ms, None) == ms


def test_builtin_table_and_test_map(mt):
    ids = [m.id for m in mt.MUTANTS]
    assert len(ids) == len(set(ids))
    packages = mt.table_packages(mt.MUTANTS)
    assert {"theory", "simulate", "validation", "classdyn"} <= set(packages)
    tree = mt.SourceTree(ROOT, packages)
    for m in mt.MUTANTS:
        assert m.old != m.new, m.id
        assert mt.matching_files(m, tree.files), m.id
        assert m.equivalent is None or m.equivalent.strip(), m.id
    # every source file a mutant can land in has existing tests mapped to it
    for f in tree.files:
        if f.startswith(("theory/", "simulate/", "validation/")) or f in (
                "classdyn/io.py", "classdyn/flags.py"):
            assert mt.resolve_tests(ROOT, mt.tests_for(f, mt.TESTS)), f
    assert mt.tests_for("theory/params.py", mt.TESTS)[0] == "tests/theory/test_params*.py"


def test_junit_times_are_summed_per_file(mt, tmp_path):
    xml = tmp_path / "j.xml"
    xml.write_text('<testsuites><testsuite>'
                   '<testcase classname="tests.theory.test_a" name="x" time="1.5"/>'
                   '<testcase classname="tests.theory.test_a.TestK" name="y" time="2"/>'
                   '<testcase classname="tests.test_b" name="z" time="0.25"/>'
                   '</testsuite></testsuites>')
    out = mt.junit_file_times(xml, ["tests/theory/test_a.py", "tests/test_b.py"])
    assert out == {"tests/theory/test_a.py": 3.5, "tests/test_b.py": 0.25}


def test_kernel_mutants_get_a_cache_without_stale_dependents(mt, tmp_path):
    # Numba's cache does not track calls across files: a kernel file calling another file's
    # kernel must lose its cached code when that file is mutated.
    src = tmp_path / "src" / "pkg"
    src.mkdir(parents=True)
    (src / "quad.py").write_text("from numba import njit\n\n\n@njit(cache=True)\ndef f(x):\n"
                                 "    return x\n")
    (src / "feat.py").write_text("from numba import njit\n\nfrom ns.pkg.quad import f\n\n\n"
                                 "@njit(cache=True)\ndef g(x):\n    return f(x)\n")
    (src / "rel.py").write_text("from numba import njit\n\nfrom .quad import f\n\n\n"
                                "@njit(cache=True)\ndef h(x):\n    return f(x)\n")
    (src / "plain.py").write_text("from ns.pkg.quad import f\n")
    root = tmp_path / "src"
    assert mt.cache_stems_to_drop(root, "pkg/quad.py", ["pkg"]) == {"quad", "feat", "rel"}
    assert mt.cache_stems_to_drop(root, "pkg/feat.py", ["pkg"]) == {"feat"}
    assert mt.cache_stems_to_drop(root, "pkg/plain.py", ["pkg"]) is None
    shared = tmp_path / "shared"
    for name in ("pkg_x/quad.f-4.py311.nbi", "pkg_x/feat.g-6.py311.nbc",
                 "pkg_x/other.k-2.py311.nbi"):
        (shared / name).parent.mkdir(parents=True, exist_ok=True)
        (shared / name).write_text("x")
    priv = mt.private_cache(shared, tmp_path / "priv", {"quad", "feat"})
    left = sorted(str(p.relative_to(priv)) for p in priv.rglob("*") if p.is_file())
    assert left == ["pkg_x/other.k-2.py311.nbi"]
    assert len([p for p in shared.rglob("*") if p.is_file()]) == 3  # shared cache untouched


def _git(repo, *args):
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t",
                    *args], check=True, capture_output=True)


def _toy_repo(tmp_path, test_body):
    """``corepkg/`` imported as ``toyns.corepkg`` (setup.cfg package_dir, like classdyn.theory)."""
    repo = tmp_path / "toy"
    for d in ("toyns", "corepkg", "tests"):
        (repo / d).mkdir(parents=True)
    (repo / "toyns" / "__init__.py").write_text("")
    (repo / "corepkg" / "__init__.py").write_text("")
    (repo / "corepkg" / "core.py").write_text(
        "def double(x):\n    return 2 * x\n\n\ndef clip(x):\n    return max(x, 0)\n")
    (repo / "setup.cfg").write_text("[options]\npackage_dir =\n    toyns.corepkg = corepkg\n")
    (repo / "tests" / "test_core.py").write_text(test_body)
    _git(repo, "init", "-q")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "toy")
    table = {"tests": {"corepkg/*.py": ["tests/test_core*.py"]},
             "mutants": [
                 {"id": "double-factor", "file": "corepkg/*.py", "old": "return 2 * x",
                  "new": "return 3 * x", "description": "tested"},
                 {"id": "clip-min", "file": "corepkg/*.py", "old": "return max(x, 0)",
                  "new": "return min(x, 0)", "description": "untested"},
                 {"id": "gone", "file": "corepkg/*.py", "old": "return 4 * x",
                  "new": "return 5 * x", "description": "code changed"},
                 {"id": "same", "file": "corepkg/*.py", "old": "def clip(x):",
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
    repo = _toy_repo(tmp_path, "from toyns.corepkg.core import double\n\n\n"
                               "def test_double():\n    assert double(3) == 6\n")
    before = (repo / "corepkg" / "core.py").read_text()
    out = tmp_path / "report.json"
    r = _run(repo, tmp_path, "--out", str(out), "--rev", "HEAD")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "import check: toyns.corepkg imported from the copy" in r.stdout
    assert "canary: killed" in r.stdout and "baseline: passed" in r.stdout
    rep = json.loads(out.read_text())
    status = {m["id"]: m["status"] for m in rep["mutants"]}
    assert status == {"double-factor": "killed", "clip-min": "survived", "gone": "stale",
                      "same": "equivalent"}
    killed = next(m for m in rep["mutants"] if m["id"] == "double-factor")
    assert killed["failing_test"] == "tests/test_core.py::test_double"
    assert killed["file"] == "corepkg/core.py" and killed["package"] == "corepkg"
    assert rep["summary"]["overall"]["kill_rate"] == 0.5
    assert [s["id"] for s in rep["summary"]["survivors"]] == ["clip-min"]
    assert "snippet not found" in rep["summary"]["stale"][0]["detail"]
    assert "kill rate" in r.stdout and "clip-min" in r.stdout
    # the checkout itself is never touched
    assert (repo / "corepkg" / "core.py").read_text() == before


def test_canary_stops_a_run_whose_tests_import_other_code(tmp_path):
    # the test imports the checkout's code, not the copy under test
    repo = _toy_repo(tmp_path, "import sys\n"
                               f"sys.path.insert(0, {str(tmp_path / 'toy')!r})\n"
                               "from corepkg.core import double\n\n\n"
                               "def test_double():\n    assert double(3) == 6\n")
    r = _run(repo, tmp_path, "--only", "double-factor")
    assert r.returncode == 3, r.stdout + r.stderr
    assert "canary" in r.stdout and "do not run the copy" in r.stdout
