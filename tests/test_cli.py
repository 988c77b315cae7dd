"""The ``classdyn`` console script (classdyn/cli.py): help, version, errors, the shared flag
validators (``classdyn validate`` itself: tests/validation/test_cli_validation.py)."""

import subprocess
import sys

import pytest

from classdyn import __version__
from classdyn.cli import build_parser, main


def _subcommand_paths(parser, prefix=()):
    """Every (sub)command path of the parser, e.g. ('simulate', 'train')."""
    import argparse

    paths = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.append(prefix + (name,))
                paths.extend(_subcommand_paths(sub, prefix + (name,)))
    return paths


PATHS = _subcommand_paths(build_parser())


def test_there_are_subcommands():
    assert ("validate",) in PATHS and ("report",) in PATHS


@pytest.mark.parametrize("path", PATHS, ids=lambda p: " ".join(p))
def test_help_of_each_subcommand(path, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*path, "--help"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("usage: classdyn " + " ".join(path))
    # every option documents itself
    assert "--help" in out


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out.strip() == f"classdyn {__version__}"


def test_unknown_subcommand_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["no-such-command"])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


@pytest.mark.parametrize("argv, flag, rng", [
    (["simulate", "losses", "--norms2", "-0.5", "0"], "--norms2", ">= 0"),
    (["simulate", "losses", "--seed", "-1"], "--seed", ">= 0"),
    (["simulate", "losses", "--d", "0"], "--d", ">= 1"),
    (["simulate", "losses", "--overlaps", "1.5"], "--overlaps", "[-1, 1]"),
    (["simulate", "losses", "--t", "nan"], "--t", "finite"),
    (["simulate", "losses", "--variances", "1", "inf"], "--variances", "finite"),
])
def test_shared_flag_validators_reach_the_console(argv, flag, rng, capsys):
    # the shared validators (classdyn.flags) as a user meets them: exit 2, the flag, the range
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert flag in err and rng in err, err


def test_a_missing_optional_dependency_names_its_extra(tmp_path):
    """``classdyn ddpm train`` on a machine without torch: one line naming the extra to
    install, exit 2, no traceback (torch blocked in a fresh process)."""
    code = ("import sys; sys.modules['torch'] = None\n"
            "from classdyn.cli import main\n"
            f"sys.exit(main(['ddpm', 'train', '--out', {str(tmp_path)!r}]))\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 2, r.stderr[-2000:]
    assert "Traceback" not in r.stderr
    assert "pip install 'classdyn[ddpm]'" in r.stderr.strip().splitlines()[-1]


def test_help_shows_each_default_once():
    """argparse's default formatter appended "(default: None)" to options whose help already
    states the default ("default: equal weights (default: None)"); every option's help now
    names its default at most once (``default_rng`` is a function name, not a default)."""
    import argparse
    import re

    def leaves(p, prefix=()):
        out = []
        for a in p._actions:
            if isinstance(a, argparse._SubParsersAction):
                for name, sp in a.choices.items():
                    out.append((prefix + (name,), sp))
                    out += leaves(sp, prefix + (name,))
        return out

    for path, sp in leaves(build_parser()):
        for block in re.split(r"\n  (?=-)", sp.format_help()):
            n = len(re.findall(r"default(?!_rng)", block, re.I))
            assert n <= 1, (path, " ".join(block.split()))
