"""``classdyn sweep`` (issue 14): the table, --json, --plot, and bad grids refused (exit 2)."""

from __future__ import annotations

import json

import numpy as np
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


def test_grid_file_categorical_axis_and_vector_quantity(tmp_path, capsys):
    import xarray as xr

    from classdyn.validation.sweep_points import DEFAULT_BASE, compute_point

    g = tmp_path / "g.toml"
    g.write_text('[grid]\nactivation = "tanh,relu"\nratio = [1.5, 4.0]\n[base]\nt = 0.05\n')
    assert main(["sweep", "edges", "--grid-file", str(g), "--executor", "serial",
                 "--out", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ds = xr.open_zarr(data["run_dir"] + "/sweep.zarr").load()
    assert ds["edges"].dims == ("activation", "ratio", "edge")
    assert ds["activation"].values.tolist() == ["tanh", "relu"]
    for i, act in enumerate(["tanh", "relu"]):
        for j, r in enumerate([1.5, 4.0]):
            want = compute_point(("edges", dict(DEFAULT_BASE, activation=act, ratio=r,
                                                t=0.05)))
            got = ds["edges"].values[i, j]
            k = len(want["values"]["edges"])
            assert got[:k].tolist() == want["values"]["edges"] and np.isnan(got[k:]).all()
            assert str(ds["status"].values[i, j]) == want["status"]


@pytest.mark.parametrize("text,msg", [('[grid]\nbeta = "1,2"\n', "unknown key(s) in [grid]: beta"),
                                      ('[grid]\nt = "0.1"\n[base]\nzeta = 1\n', "[base]: zeta")])
def test_grid_file_unknown_key_exit_2(tmp_path, capsys, text, msg):
    g = tmp_path / "g.toml"
    g.write_text(text)
    assert main(["sweep", "timescales", "--grid-file", str(g), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "sweep").exists()


def test_no_grid_is_refused(tmp_path, capsys):
    assert main(["sweep", "timescales", "--out", str(tmp_path)]) == 2
    assert "--grid-file" in capsys.readouterr().err


@pytest.mark.parametrize("flags,msg", [(["--weights", "0.2", "0.2"], "must sum to 1"),
                                       (["--variances", "2", "4"], "variances (1, ratio)")])
def test_fixed_mixture_flags_are_refused_not_rescaled(tmp_path, capsys, flags, msg):
    # Issue 18: --weights 0.2 0.2 was rescaled to (0.5, 0.5) and --variances 2 4 became
    # (1, 2), a different model, silently; both are refused before any work, in one line.
    assert main(["sweep", "timescales", "--grid", "t=0.1,0.2", *flags,
                 "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert msg in err and len(err.strip().splitlines()) == 1 and not (tmp_path / "sweep").exists()


def test_fixed_variances_one_r_set_the_ratio(tmp_path, capsys):
    xr = pytest.importorskip("xarray")
    from classdyn.validation.sweep_points import DEFAULT_BASE, compute_point

    assert main(["sweep", "timescales", "--grid", "t=0.1", "--variances", "1", "3",
                 "--weights", "0.3", "0.7", "--executor", "serial", "--out", str(tmp_path),
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ds = xr.open_zarr(data["run_dir"] + "/sweep.zarr").load()
    want = compute_point(("timescales", dict(DEFAULT_BASE, ratio=3.0, weight=0.3, t=0.1)))
    assert float(ds["tau_mem"].values[0]) == want["values"]["tau_mem"]
