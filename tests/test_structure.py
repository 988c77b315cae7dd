"""The package's shape: one import namespace (``classdyn.*``) in the sources and in a built
wheel, and no source file importing the old top-level names."""

import ast
import importlib
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


def _module_graph():
    """``{module: {modules it imports}}`` over the package sources, function-level and relative
    imports included; ``from pkg import name`` counts as importing ``pkg.name`` when that is a
    module."""
    mods = {}
    for folder, pkg in FOLDERS.items():
        for p in sorted((ROOT / folder).rglob("*.py")):
            parts = [x for x in p.relative_to(ROOT / folder).with_suffix("").parts
                     if x != "__init__"]
            mods[".".join([pkg, *parts])] = p
    graph = {}
    for name, p in mods.items():
        base = name if p.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps = set()
        for node in ast.walk(ast.parse(p.read_text(), filename=str(p))):
            if isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    b = base.split(".")
                    b = b[:len(b) - (node.level - 1)] if node.level > 1 else b
                    m = ".".join(b + ([node.module] if node.module else []))
                else:
                    m = node.module
                deps.add(m)
                deps.update(f"{m}.{a.name}" for a in node.names)
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph, mods


def test_no_import_cycle_between_modules():
    graph, _ = _module_graph()
    # Strongly connected components (Tarjan, iterative enough for this size).
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v, counter=[0]):  # noqa: B006 - a shared counter
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    assert not cycles, f"import cycles: {cycles}"
    # The walker sees real edges (a broken walker would pass vacuously).
    assert "classdyn.theory.stieltjes" in graph["classdyn.theory.edges"]


def _code_lines(path: Path) -> int:
    """Lines of a module that are neither blank nor part of a docstring (the numpydoc API
    docs with their examples, issue 13, would otherwise count as code)."""
    text = path.read_text()
    doc_lines = set()
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(
                    getattr(body[0], "value", None), ast.Constant) and isinstance(
                    body[0].value.value, str):
                doc_lines.update(range(body[0].lineno, body[0].end_lineno + 1))
    return sum(1 for i, line in enumerate(text.splitlines(), 1)
               if line.strip() and i not in doc_lines)


def test_no_module_over_600_lines():
    """At most ~600 lines of code per module (docstrings and blank lines not counted)."""
    _, mods = _module_graph()
    long = {n: _code_lines(p) for n, p in mods.items()}
    assert max(long.values()) <= 600, sorted(long.items(), key=lambda kv: -kv[1])[:3]


def test_every_dotted_reference_names_an_existing_module():
    """Docs, README and docstrings refer to ``classdyn.<package>.<module>`` only for modules
    that exist (or names the package exports): nothing points at a removed module such as
    ``theory/extensive_speciation.py`` or ``simulate/_provider.py``."""
    import re

    import classdyn

    root = Path(__file__).resolve().parents[1]
    pkgs = ("theory", "simulate", "ddpm", "validation")
    files = [root / "README.md", *sorted((root / "docs").rglob("*.md"))]
    files += [f for p in (*pkgs, "classdyn") for f in sorted((root / p).rglob("*.py"))]
    pat = re.compile(r"classdyn\.(theory|simulate|ddpm|validation)\.(\w+)")
    bad = []
    for f in files:
        if "_build" in f.parts:
            continue
        for pkg, mod in set(pat.findall(f.read_text())):
            exported = importlib.import_module(f"classdyn.{pkg}").__all__
            if not (root / pkg / f"{mod}.py").exists() and mod not in exported:
                bad.append(f"{f.relative_to(root)}: classdyn.{pkg}.{mod}")
    assert not bad, bad
    assert classdyn.__all__


def test_tests_mirror_the_source_tree():
    """Issue 11: every public module ``<pkg>/<mod>.py`` (not ``_private``, ``__init__`` or
    ``__main__``) has a test file ``tests/<pkg>/test_<mod>.py`` or ``test_<mod>_<what>.py``;
    for the top-level ``classdyn/<mod>.py`` it is ``tests/test_<mod>*.py`` likewise. CLI
    modules ``cli_<name>.py`` are thereby tested in ``test_cli_<name>*.py``."""
    missing = []
    for folder in FOLDERS:
        tests = ROOT / "tests" if folder == "classdyn" else ROOT / "tests" / folder
        names = {p.stem for p in tests.glob("test_*.py")}
        for mod in sorted((ROOT / folder).glob("*.py")):
            if mod.stem.startswith("_"):
                continue
            want = f"test_{mod.stem}"
            if not any(n == want or n.startswith(want + "_") for n in names):
                rel = tests.relative_to(ROOT)
                missing.append(f"{folder}/{mod.name}: no {rel}/{want}.py or {rel}/{want}_*.py")
    assert not missing, "modules without their test file:\n" + "\n".join(missing)


def test_no_reference_to_the_missing_theory_file():
    """The theory file the first round cited, "THEORY.md", is not in the repository: code,
    messages, README and report point to the docs pages instead (docs/theory/*.md)."""
    root = Path(__file__).resolve().parents[1]
    files = [root / "README.md"]
    for p in ("theory", "simulate", "ddpm", "validation", "classdyn", "benchmarks", "scripts"):
        files += [f for f in sorted((root / p).rglob("*")) if f.suffix in (".py", ".md", ".html")
                  and "__pycache__" not in f.parts]
    hits = [str(f.relative_to(root)) for f in files if "THEORY.md" in f.read_text()]
    assert not hits, hits
