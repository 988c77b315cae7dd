"""``classdyn coefficients``: a terminal table a person can read (issue 18): at most 10
significant digits, an odd activation's roundoff zero shown as 0 (the JSON keeps the raw
float), every number whole."""

import json
import re

import pytest

from classdyn.cli import main
from classdyn.theory.cli_coefficients import ZERO_REL, _shown


def _table(capsys, argv):
    assert main(argv) == 0
    return capsys.readouterr().out.splitlines()


@pytest.mark.parametrize("activation", ["tanh", "erf"])
def test_odd_activation_mu0_at_m0_is_shown_as_0(activation, tmp_path, capsys):
    lines = _table(capsys, ["coefficients", "--activation", activation, "--m", "0", "0.5",
                            "--t", "0.1", "--out", str(tmp_path)])
    rows = [ln.split() for ln in lines[2:4]]
    assert rows[0][2] == "0" and rows[0][3] == "0"  # m = 0: mu0 = 0 by symmetry
    assert float(rows[1][3]) > 0.1  # m = 0.5: a true mu0 is shown as a number
    raw = json.loads((tmp_path / "coefficients.json").read_text())["rows"][0]["mu0"]
    assert abs(raw) < 1e-15  # the JSON keeps the float64 roundoff itself


def test_every_number_is_whole_with_at_most_10_digits(tmp_path, capsys):
    lines = _table(capsys, ["coefficients", "--activation", "relu", "--m", "0", "1.5",
                            "--variances", "1", "3", "--t", "0.01", "2", "--out",
                            str(tmp_path)])
    for ln in lines[2:-1]:
        for tok in ln.split():
            x = float(tok)  # a cut number would not parse
            digits = re.sub(r"e[-+]\d+$", "", tok).replace("-", "").replace(".", "").lstrip("0")
            assert len(digits) <= 10, tok
            assert x == x


def test_the_zero_threshold_is_relative_to_the_row():
    assert _shown([-4.6e-17, 0.6, 0.26]) == ["0", "0.6", "0.26"]
    assert _shown([1e-10, 0.6]) == ["1e-10", "0.6"]  # 1.7e-10 of the scale: a real value
    assert _shown([0.0, 0.0]) == ["0", "0"]
    assert ZERO_REL * 0.6 > 100 * 4.6e-17
