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
