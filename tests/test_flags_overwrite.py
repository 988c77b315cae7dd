"""Theory commands never silently overwrite another run (issue 18): a result file made with
different parameters is kept and the command refuses (exit 2, one line: the path, that it holds
another run, --force or another --out) unless --force; the same parameters are rewritten."""

import json

import pytest

from classdyn.cli import main
from classdyn.flags import check_overwrite, run_params


def _run(argv, capsys):
    code = main(argv)
    cap = capsys.readouterr()
    return code, [ln for ln in cap.err.splitlines() if ln.strip()]


def test_coefficients_refuse_another_run_and_force_replaces_it(tmp_path, capsys):
    out = ["--out", str(tmp_path)]
    f = tmp_path / "coefficients.json"
    assert _run(["coefficients", "--m", "0", "--t", "0.1", *out], capsys)[0] == 0
    first = f.read_text()
    assert json.loads(first)["run_params"]["t"] == [0.1]
    # the same parameters (only a display flag differs): rewritten
    assert _run(["coefficients", "--m", "0", "--t", "0.1", "--json", *out], capsys)[0] == 0
    code, err = _run(["coefficients", "--m", "0", "--t", "0.2", *out], capsys)
    assert code == 2 and len(err) == 1
    assert str(f) in err[0] and "holds another run" in err[0] and "--force" in err[0]
    assert json.loads(f.read_text())["run_params"]["t"] == [0.1]  # kept
    assert _run(["coefficients", "--m", "0", "--t", "0.2", "--force", *out], capsys)[0] == 0
    assert json.loads(f.read_text())["run_params"]["t"] == [0.2]


@pytest.mark.parametrize("argv, name", [
    (["speciation", "--method", "leading", "--ds", "100"], "speciation.json"),
    (["times", "--t", "0.1"], "times.json"),
])
def test_other_theory_commands_refuse_before_any_work(argv, name, tmp_path, capsys):
    """A file without recorded parameters (an older version's, or anyone's) is another run too;
    the refusal comes before the handler computes anything (the planted file is untouched)."""
    f = tmp_path / name
    f.write_text('{"rows": []}')
    code, err = _run([*argv, "--out", str(tmp_path)], capsys)
    assert code == 2 and len(err) == 1 and "parameters it does not record" in err[0]
    assert f.read_text() == '{"rows": []}'


def test_run_params_leave_out_display_flags_only():
    from classdyn.cli import build_parser

    a = build_parser().parse_args(["spectrum", "--t", "0.2", "--plot", "--latex", "--json"])
    p = run_params(a)
    assert p["t"] == 0.2 and p["variances"] == [1.0, 2.0]
    assert not {"plot", "latex", "json", "out", "handler", "prog", "force"} & set(p)


def test_check_overwrite_unreadable_file_is_another_run(tmp_path):
    f = tmp_path / "x.json"
    f.write_text("not json")
    with pytest.raises(ValueError, match="holds another run"):
        check_overwrite(f, {"t": 0.1})
    check_overwrite(f, {"t": 0.1}, force=True)
    check_overwrite(tmp_path / "missing.json", {"t": 0.1})
