"""Import hygiene: the light packages import without torch or matplotlib."""

import json
import subprocess
import sys


def _modules_after(code: str) -> set[str]:
    # Run outside the repository, so that only the installed names (classdyn.*) resolve: the
    # repository's folders would otherwise be importable from the working directory.
    import tempfile

    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; "
                          "print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, cwd=tempfile.gettempdir())
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_theory_imports_neither_torch_nor_matplotlib():
    mods = _modules_after("import classdyn.theory")
    assert "torch" not in mods
    assert "matplotlib" not in mods


def test_light_packages_import_without_torch():
    # Block torch: the import must still work on a machine without it.
    code = ("import sys; sys.modules['torch'] = None\n"
            "import classdyn.theory, classdyn.simulate, classdyn.validation, classdyn.ddpm")
    mods = _modules_after(code)
    assert {"classdyn.theory", "classdyn.simulate", "classdyn.validation",
            "classdyn.ddpm"} <= mods


def test_cli_parser_does_not_import_torch():
    mods = _modules_after("from classdyn.cli import build_parser; build_parser()")
    assert "torch" not in mods and "matplotlib" not in mods


def test_every_package_exports_its_public_api_lazily():
    """Each package's ``__init__`` lists its public names in ``__all__``; every one resolves
    (loading its submodule on first use), and importing the package alone loads none of
    torch, numba, sympy or matplotlib (the names are PEP 562 lazy)."""
    import importlib

    pkgs = ("classdyn", "classdyn.theory", "classdyn.simulate", "classdyn.ddpm",
            "classdyn.validation")
    heavy = {"torch", "numba", "sympy", "matplotlib"}
    mods = _modules_after("import " + ", ".join(pkgs))
    assert not heavy & mods, heavy & mods
    for pkg in pkgs:
        m = importlib.import_module(pkg)
        assert m.__all__ and len(set(m.__all__)) == len(m.__all__), pkg
        for name in m.__all__:
            assert getattr(m, name) is not None, (pkg, name)
        assert "no_such_name" not in dir(m)


def test_exported_names_are_not_shadowed_by_submodules():
    """Importing every submodule of a package sets package attributes named like those
    submodules; an exported name must still be the object its defining module holds (a
    function named like its submodule, e.g. ``train`` in ``ddpm/train.py``, would silently turn
    into the module)."""
    import importlib
    import pkgutil

    for pkg in ("classdyn", "classdyn.theory", "classdyn.simulate", "classdyn.ddpm",
                "classdyn.validation"):
        m = importlib.import_module(pkg)
        for info in pkgutil.iter_modules(m.__path__):
            if info.name != "__main__":
                importlib.import_module(f"{pkg}.{info.name}")
        for name in m.__all__:
            obj = getattr(m, name)
            if isinstance(obj, type(m)):
                # allowed only for a module made callable on purpose, which runs its function
                # (classdyn.theory.model, classdyn.validation.sweep)
                assert callable(obj) and callable(getattr(obj, name, None)), \
                    f"{pkg}.{name} is shadowed by a submodule"
