"""The package's shape: one import namespace (``classdyn.*``) in the sources and in a built
wheel, and no source file importing the old top-level names."""

import ast
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = {"classdyn": "classdyn", "theory": "classdyn.theory", "simulate": "classdyn.simulate",
           "ddpm": "classdyn.ddpm", "validation": "classdyn.validation"}
OLD = {"theory", "simulate", "ddpm", "validation"}


def _sources():
    for folder in [*FOLDERS, "tests", "benchmarks", "scripts"]:
        yield from sorted((ROOT / folder).rglob("*.py"))


def _imports(path: Path):
    """Every imported module name in a file, function-level imports included."""
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                yield a.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno


def test_no_source_imports_an_old_top_level_name():
    bad = [f"{p.relative_to(ROOT)}:{line}: {name}" for p in _sources()
           for name, line in _imports(p) if name.split(".")[0] in OLD]
    assert not bad, "old top-level import names (use classdyn.*):\n" + "\n".join(bad)


def test_no_module_imports_another_packages_private_names():
    """``classdyn.<pkg>._private`` may be imported only from inside ``<pkg>`` (and its tests)."""
    bad = []
    for folder, pkg in FOLDERS.items():
        for p in sorted((ROOT / folder).rglob("*.py")):
            for name, line in _imports(p):
                parts = name.split(".")
                if len(parts) >= 3 and parts[0] == "classdyn" and parts[2].startswith("_") \
                        and f"classdyn.{parts[1]}" != pkg:
                    bad.append(f"{p.relative_to(ROOT)}:{line}: {name}")
    assert not bad, "imports of another package's private modules:\n" + "\n".join(bad)


@pytest.mark.slow
def test_wheel_installs_only_classdyn(tmp_path):
    """A built wheel holds the import package ``classdyn`` (with theory, simulate, ddpm and
    validation inside it) and its metadata, and no other top-level name."""
    pytest.importorskip("setuptools")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True, capture_output=True,
                   timeout=600)
    wheels = list(tmp_path.glob("classdyn-*.whl"))
    assert len(wheels) == 1
    with zipfile.ZipFile(wheels[0]) as z:
        names = z.namelist()
    top = {n.split("/")[0] for n in names}
    assert {t for t in top if not t.endswith(".dist-info")} == {"classdyn"}
    for sub in ("theory", "simulate", "ddpm", "validation"):
        assert f"classdyn/{sub}/__init__.py" in names
    assert any(n.startswith("classdyn/validation/reference_results/ddpm_cpu/gaps.json")
               for n in names)
    entry = [n for n in names if n.endswith("entry_points.txt")]
    assert entry and "classdyn = classdyn.cli:main" in \
        zipfile.ZipFile(wheels[0]).read(entry[0]).decode()
