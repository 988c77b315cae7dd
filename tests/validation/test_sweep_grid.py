"""Tests of classdyn.validation.sweep_grid (issue 14): typed axes (integer, categorical), TOML
grid files, and refusals naming the problem before any work."""

from __future__ import annotations

import numpy as np
import pytest

from classdyn.validation.sweep_grid import (check_grid, grid_from_file_entries, parse_grid,
                                            read_grid_file)


def test_integer_and_categorical_axes():
    g = parse_grid(["d=100:1000:log3", "seed=0,1,2", "activation=tanh,erf,relu,linear"])
    assert g["d"].dtype == np.int64 and g["d"].tolist() == [100, 316, 1000]
    assert g["seed"].dtype == np.int64 and g["seed"].tolist() == [0, 1, 2]
    assert g["activation"].tolist() == ["tanh", "erf", "relu", "linear"]
    assert check_grid({"d": [64.0, 128]})["d"].tolist() == [64, 128]


@pytest.mark.parametrize("specs,msg", [
    (["d=10.5,20"], "must be integers"),
    (["d=10:11:5"], "repeated values"),           # rounding 10, 10.25, ... gives repeats
    (["seed=-1,0"], "must be >= 0"),
    (["activation=tanh:relu:2"], "categorical"),
    (["activation=softplus"], "allowed: tanh, erf, relu, linear"),
    (["tau=0:1:3"], "must be > 0"),
])
def test_bad_typed_axes_refused(specs, msg):
    with pytest.raises(ValueError, match=msg):
        parse_grid(specs)


def test_toml_file_equals_the_command_line(tmp_path):
    p = tmp_path / "grid.toml"
    p.write_text('[grid]\npsi_p = "1.5:16:log20"\nweight = [0.2, 0.5]\nactivation = "tanh,relu"\n'
                 '[base]\nt = 0.05\nd = 200\n')
    entries, base = read_grid_file(p)
    assert base == {"t": 0.05, "d": 200}
    grid = grid_from_file_entries(entries)
    want = parse_grid(["psi_p=1.5:16:log20", "weight=0.2,0.5", "activation=tanh,relu"])
    assert list(grid) == list(want)
    for k in want:
        assert grid[k].tolist() == want[k].tolist()


@pytest.mark.parametrize("text,msg", [
    ('[grid]\npsi_q = "1,2"\n', "unknown key(s) in [grid]: psi_q"),
    ('[grid]\nt = "0.1"\n[base]\nbeta = 1\n', "unknown key(s) in [base]: beta"),
    ('[grid]\nt = "0.1"\n[sweep]\nx = 1\n', "unknown table(s)/key(s) sweep"),
    ('[base]\nt = 0.1\n', "needs a non-empty [grid]"),
    ('[grid\nt = 1', "not valid TOML"),
])
def test_bad_toml_files_refused_naming_the_key(tmp_path, text, msg):
    p = tmp_path / "g.toml"
    p.write_text(text)
    with pytest.raises(ValueError) as e:
        read_grid_file(p)
    assert msg in str(e.value)


def test_file_grid_values_checked():
    with pytest.raises(ValueError, match="rho_1 must lie in"):
        grid_from_file_entries({"weight": [0.5, 1.5]})
    with pytest.raises(ValueError, match="spec string or a list"):
        grid_from_file_entries({"t": 0.1})
