"""Tests of classdyn.validation.sweep (issue 14): exact agreement with point-by-point calls,
resume after a kill, failed points recorded, bad grids refused before any work."""

from __future__ import annotations

import math
import sys

import numpy as np
import pytest

xr = pytest.importorskip("xarray")

from classdyn.theory import Mixture, RandomFeatures, model  # noqa: E402
from classdyn.validation.runner import SerialExecutor  # noqa: E402
from classdyn.validation.sweep import (compute_point, parse_grid, run_directory,  # noqa: E402
                                       sweep)

GRID = {"psi_p": [4.0, 8.0], "t": [0.05, 0.1]}


@pytest.fixture(autouse=True)
def _fixed_version(monkeypatch):
    # other engineers edit the tree while the tests run: pin the code version of the cache keys
    mod = sys.modules["classdyn.validation.sweep"]
    monkeypatch.setattr(mod, "_code_version", lambda: "test-version")


class Counting(SerialExecutor):
    def __init__(self, fail_after=None):
        self.calls, self.fail_after = 0, fail_after

    def submit_all(self, fn, tasks):
        for task in tasks:
            if self.fail_after is not None and self.calls >= self.fail_after:
                raise KeyboardInterrupt("killed")
            self.calls += 1
            yield task, fn(task)


def _same(a, b):
    xr.testing.assert_equal(a, b)
    for v in a.data_vars:
        assert a[v].attrs == b[v].attrs
    for k in ("quantity", "grid", "base", "n_points", "n_failed"):
        assert a.attrs[k] == b.attrs[k]


def test_2d_timescales_equal_point_by_point_calls():
    ds = sweep("timescales", GRID, executor=SerialExecutor(), progress=False)
    assert ds["tau_gen"].dims == ("psi_p", "t")
    assert "exp(-lambda tau)" in ds["tau_gen"].attrs["units"]
    assert ds["psi_p"].attrs["units"] and ds["t"].attrs["units"]
    for i, psi_p in enumerate(GRID["psi_p"]):
        for j, t in enumerate(GRID["t"]):
            ts = model(Mixture((1.0, 2.0), weights=(0.5, 0.5)), RandomFeatures(psi_p, 2.0),
                       t=t).timescales()
            for v in ("tau_gen", "tau_mem", "tau_fin", "W_gen", "W_mem"):
                want = getattr(ts, v)
                got = float(ds[v].values[i, j])
                assert (math.isnan(got) and want is None) or got == want, (v, psi_p, t)
            assert ds["status"].values[i, j] == "ok"
    assert ds.attrs["n_failed"] == 0 and "code_version" in ds.attrs["provenance"]


def test_speciation_equals_the_door():
    ds = sweep("speciation", {"weight": [0.2, 0.5], "norm2": [1.0, 3.0]},
               executor=SerialExecutor(), progress=False)
    for i, w in enumerate([0.2, 0.5]):
        for j, n2 in enumerate([1.0, 3.0]):
            sp = model(Mixture((1.0, 2.0), weights=(w, 1 - w), norms2=(n2, n2)),
                       RandomFeatures(4.0, 2.0)).speciation(1000, method="leading")
            assert ds["t_s_1"].values[i, j] == sp.t_s[0]
            assert ds["t_s_2"].values[i, j] == sp.t_s[1]


def test_killed_sweep_rerun_gives_identical_dataset(tmp_path):
    grid = {"weight": [0.2, 0.4, 0.6], "norm2": [1.0, 2.0]}
    fresh = sweep("speciation", grid, executor=SerialExecutor(), progress=False,
                  out=tmp_path / "a")
    killed = Counting(fail_after=2)
    with pytest.raises(KeyboardInterrupt):
        sweep("speciation", grid, executor=killed, progress=False, out=tmp_path / "b")
    run = run_directory("speciation", grid, None, tmp_path / "b")
    assert len(list((run / "points").glob("*.json"))) == 2
    rerun = Counting()
    resumed = sweep("speciation", grid, executor=rerun, progress=False, out=tmp_path / "b")
    assert rerun.calls == 4  # only the missing points
    _same(fresh, resumed)
    again = Counting()
    _same(fresh, sweep("speciation", grid, executor=again, progress=False,
                       out=tmp_path / "b"))
    assert again.calls == 0
    # deleting points recomputes just those; the saved Zarr store equals the Dataset
    for p in sorted((run / "points").glob("*.json"))[:3]:
        p.unlink()
    third = Counting()
    _same(fresh, sweep("speciation", grid, executor=third, progress=False,
                       out=tmp_path / "b"))
    assert third.calls == 3
    saved = xr.open_zarr(run / "sweep.zarr").load()
    xr.testing.assert_equal(saved[list(fresh.data_vars)], fresh)


def test_timescales_resume_with_a_failed_point(tmp_path):
    grid = {"psi_n": [1.0, 2.0]}
    first = sweep("timescales", grid, executor=SerialExecutor(), progress=False, out=tmp_path)
    rerun = Counting()
    second = sweep("timescales", grid, executor=rerun, progress=False, out=tmp_path)
    assert rerun.calls == 0
    _same(first, second)


def test_failed_point_is_nan_with_its_reason():
    ds = sweep("timescales", {"psi_n": [1.0, 2.0]}, executor=SerialExecutor(), progress=False)
    bad = ds.sel(psi_n=1.0)
    assert all(math.isnan(float(bad[v])) for v in ("tau_gen", "tau_mem", "tau_fin"))
    st = str(bad["status"].values)
    assert st.startswith("failed: ValueError") and "psi_n must be > 1" in st
    assert str(ds.sel(psi_n=2.0)["status"].values) == "ok"
    assert ds.attrs["n_failed"] == 1


def test_compute_point_never_raises():
    r = compute_point(("speciation", {"weight": 0.5}))  # missing parameters
    assert r["status"].startswith("failed: KeyError") and math.isnan(r["values"]["t_s_1"])


@pytest.mark.parametrize("specs,msg", [
    (["beta=1,2"], "unknown parameter 'beta'"),
    (["psi_p="], "empty range"),
    (["psi_p=4:2:3"], "empty range"),
    (["psi_p=1:2:0"], "N < 1"),
    (["psi_p=1:2:-3"], "N < 1"),
    (["t=0:1:log5"], "through 0 or negative"),
    (["t=-1:1:log5"], "through 0 or negative"),
    (["psi_p=1:9:5000", "t=0.1:1:5000"], "exceed 1e+07"),
    (["psi_p"], "expected name=values"),
    (["psi_p=1,2", "psi_p=3"], "given twice"),
    (["weight=0.5,1.5"], "rho_1 must lie in (0, 1)"),
    (["psi_p=1:x:3"], "not a number"),
])
def test_bad_grids_refused_naming_the_problem(specs, msg):
    with pytest.raises(ValueError) as e:
        parse_grid(specs)
    assert msg in str(e.value)


def test_big_grid_allowed_with_yes_and_refused_before_work():
    g = parse_grid(["psi_p=1:9:5000", "t=0.1:1:5000"], yes=True)
    assert g["psi_p"].size == 5000

    class Never:
        def submit_all(self, fn, tasks):  # pragma: no cover - must not be reached
            raise AssertionError("work started")

    with pytest.raises(ValueError, match="exceed"):
        sweep("timescales", {"psi_p": np.linspace(1, 9, 5000), "t": np.linspace(0.1, 1, 5000)},
              executor=Never(), progress=False)
    with pytest.raises(ValueError, match="quantity"):
        sweep("spectrum", {"t": [0.1]}, executor=Never())


def test_grid_parsing_spacings():
    g = parse_grid(["psi_p=4:16:log3", "t=0.01,0.1", "ratio=1:3:3"])
    assert np.allclose(g["psi_p"], [4, 8, 16]) and g["t"].tolist() == [0.01, 0.1]
    assert g["ratio"].tolist() == [1.0, 2.0, 3.0] and list(g) == ["psi_p", "t", "ratio"]


def test_run_directory_named_by_the_grid(tmp_path):
    a = run_directory("timescales", {"t": [0.1]}, None, tmp_path)
    assert a == run_directory("timescales", {"t": [0.1]}, {}, tmp_path)
    assert a != run_directory("timescales", {"t": [0.1]}, {"psi_p": 8.0}, tmp_path)
    assert a != run_directory("speciation", {"t": [0.1]}, None, tmp_path)


def test_vector_quantity_resumes_from_its_cache(tmp_path):
    """NaN-padded vectors (bulk edges) survive the per-point JSON cache: a rerun computes nothing
    and gives the identical Dataset."""
    grid = {"activation": ["tanh", "relu"], "ratio": [1.5]}
    first = sweep("edges", grid, base={"t": 0.05}, executor=SerialExecutor(), progress=False,
                  out=tmp_path)
    assert first["edges"].dims == ("activation", "ratio", "edge")
    rerun = Counting()
    second = sweep("edges", grid, base={"t": 0.05}, executor=rerun, progress=False, out=tmp_path)
    assert rerun.calls == 0
    _same(first, second)
    assert int(first["n_bulks"].sum()) >= 2 and np.isfinite(first["edges"].values).sum() >= 4
