"""``classdyn sweep`` (issue 14): the table, --json, --plot, and bad grids refused (exit 2)."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("xarray")

from classdyn.cli import main  # noqa: E402


def test_sweep_speciation_table_json_and_plot(tmp_path, capsys):
    args = ["sweep", "speciation", "--grid", "weight=0.2,0.5", "norm2=1:2:2",
            "--executor", "serial", "--out", str(tmp_path)]
    assert main(args + ["--plot"]) == 0
    text = capsys.readouterr().out
    assert "t_s_1" in text and "4 points, 0 failed" in text
    runs = list((tmp_path / "sweep").iterdir())
    assert len(runs) == 1
    assert (runs[0] / "sweep.zarr").exists() and (runs[0] / "sweep.png").stat().st_size > 0
    assert main(args + ["--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_points"] == 4 and data["status"] == ["ok"] * 4
    assert data["variables"]["t_s_1"]["units"].startswith("diffusion time")
    assert data["run_dir"] == str(runs[0])


def test_sweep_timescales_records_a_failed_point(tmp_path, capsys):
    assert main(["sweep", "timescales", "--grid", "psi_n=1,2", "--executor", "serial",
                 "--out", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["n_failed"] == 1 and data["status"][1] == "ok"
    assert "psi_n must be > 1" in data["status"][0]
    assert data["variables"]["tau_gen"]["values"][0] is None


@pytest.mark.parametrize("spec,msg", [("beta=1", "unknown parameter"),
                                      ("t=0:1:log3", "through 0"),
                                      ("psi_p=3:2:4", "empty range")])
def test_bad_grid_exit_2_naming_the_problem(tmp_path, capsys, spec, msg):
    assert main(["sweep", "timescales", "--grid", spec, "--out", str(tmp_path)]) == 2
    assert msg in capsys.readouterr().err
    assert not (tmp_path / "sweep").exists()


def test_huge_grid_needs_yes(tmp_path, capsys):
    assert main(["sweep", "timescales", "--grid", "psi_p=1:9:5000", "t=0.1:1:5000",
                 "--out", str(tmp_path)]) == 2
    assert "--yes" in capsys.readouterr().err
