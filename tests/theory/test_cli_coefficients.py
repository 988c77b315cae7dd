"""``classdyn coefficients`` (theory/cli_coefficients.py)."""

import json

import pytest

from classdyn.cli import main


def test_table_json(tmp_path, capsys):
    rc = main(["coefficients", "--activation", "linear", "--t", "0.1", "--variances", "1", "2",
               "--m", "0", "0.5", "--json", "--out", str(tmp_path)])
    assert rc == 0
    data = json.loads(capsys.readouterr().out)
    assert data["activation"] == "linear" and len(data["rows"]) == 4
    # linear: a = 1, v2 = s2 = 0, mu0 = m exactly (closed form)
    for r in data["rows"]:
        assert r["a"] == 1.0 and r["v2"] == 0.0 and r["s2"] == 0.0 and r["mu0"] == r["m"]
    assert (tmp_path / "coefficients.json").exists()


def test_text_table_and_latex(tmp_path, capsys):
    assert main(["coefficients", "--activation", "tanh", "--t", "0.1", "--variances", "1", "2",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "mu0" in out and "s2" in out and len(out.splitlines()) >= 4
    assert main(["coefficients", "--activation", "erf", "--latex", "--out", str(tmp_path)]) == 0
    assert "T\\left(" in capsys.readouterr().out


def test_high_precision_digits(tmp_path, capsys):
    assert main(["coefficients", "--activation", "relu", "--t", "0.1", "--variances", "2",
                 "--dps", "30", "--json", "--out", str(tmp_path)]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    assert len(row["v2"].replace("0.", "", 1)) >= 28  # 30 significant digits printed


@pytest.mark.parametrize("argv", [["--t", "0"], ["--variances", "-1"], ["--dps", "5"],
                                  ["--activation", "sigmoid"]])
def test_bad_arguments_exit_2(argv, tmp_path):
    with pytest.raises(SystemExit) as exc:
        main(["coefficients", *argv, "--out", str(tmp_path)])
    assert exc.value.code == 2
