"""``classdyn validate`` (validation/cli_validation.py): bad flags and unknown checks are clear
errors, and ``--json`` prints one object on stdout."""

import json
import subprocess
import sys

import pytest

from classdyn.cli import main


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


def test_the_terminal_table_wraps_instead_of_cutting_numbers():
    """The summary column was cut at 90 characters, mid-number; now it wraps at word
    boundaries, every number survives whole, and a cached record says so."""
    from classdyn.validation.cli_validation import _table

    summary = "; ".join(f"edge error {0.0123456 * k:.7f} at d = {100 * k}" for k in range(1, 9))
    text = _table([{"name": "x", "status": "pass", "seconds": 1.0, "summary": summary,
                    "cached": True}])
    flat = " ".join(line.strip() for line in text.splitlines()[1:])
    for k in range(1, 9):
        assert f"{0.0123456 * k:.7f}" in flat and f"d = {100 * k}" in flat
    assert "(cached)" in flat and all(len(line) <= 44 + 90 for line in text.splitlines())
