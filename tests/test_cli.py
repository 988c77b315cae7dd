"""The ``classdyn`` console script: help, version, errors, JSON output."""

import json
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


def test_bad_argument_names_flag_and_exit_2(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["validate", "--jobs", "0"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "--jobs" in err and ">= 1" in err


def test_unknown_check_is_a_clear_error(capsys, tmp_path):
    code = main(["validate", "--only", "no-such-check", "--out", str(tmp_path)])
    assert code == 2
    assert "unknown check" in capsys.readouterr().err


def test_console_script_json_is_one_object_on_stdout(tmp_path):
    out = subprocess.run([sys.executable, "-m", "classdyn", "validate", "--list", "--json",
                          "--out", str(tmp_path)], capture_output=True, text=True, check=True)
    data = json.loads(out.stdout)
    assert isinstance(data, dict) and "checks" in data


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
