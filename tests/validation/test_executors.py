"""Tests of classdyn.validation.executors (issue 14): the local, serial and Dask executors give the
same results; a Dask worker running another classdyn is refused with a clear message; check
records made on Dask workers are written by the client."""

from __future__ import annotations

import pytest

from classdyn.validation.executors import (DaskExecutor, ProcessExecutor, SerialExecutor,
                                           WorkerVersionError, check_worker_versions,
                                           make_executor, worker_versions)

distributed = pytest.importorskip("distributed")


def _square(x):
    return x * x


@pytest.fixture(scope="module")
def cluster():
    """One LocalCluster of 2 single-threaded worker processes for the module (~3 s to start)."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cl:
        yield cl


def test_make_executor_kinds_and_refusals():
    assert isinstance(make_executor("local", jobs=2), ProcessExecutor)
    assert isinstance(make_executor("process"), ProcessExecutor)
    assert isinstance(make_executor("serial"), SerialExecutor)
    ex = make_executor("dask", jobs=3)
    assert isinstance(ex, DaskExecutor) and ex.workers == 3
    assert make_executor("dask", jobs=3, workers=2).workers == 2
    with pytest.raises(ValueError, match="need the dask executor"):
        make_executor("serial", cluster="slurm")
    with pytest.raises(ValueError, match="not both"):
        DaskExecutor(scheduler="tcp://h:1", cluster="slurm")
    with pytest.raises(ValueError, match="workers must be >= 1"):
        DaskExecutor(workers=0)


def test_missing_dask_names_the_dist_extra(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(ImportError, match=r"classdyn\[dist\]"):
        DaskExecutor()


def test_dask_results_equal_serial(cluster):
    ex = DaskExecutor(scheduler=cluster.scheduler_address)
    got = dict(ex.submit_all(_square, list(range(7))))
    assert got == {i: i * i for i in range(7)}


def test_worker_with_another_version_is_refused(cluster):
    """One worker process really runs another classdyn version: its ``classdyn.__version__`` is
    changed in that process (client.run), as an old install on a remote node would report."""
    from distributed import Client

    with Client(cluster.scheduler_address) as client:
        addr = sorted(client.scheduler_info()["workers"])[0]

        def set_version(v):
            import classdyn

            old = classdyn.__version__
            classdyn.__version__ = v
            return old

        old = client.run(set_version, "0.0.0-other", workers=[addr])[addr]
        try:
            ex = DaskExecutor(scheduler=cluster.scheduler_address)
            with pytest.raises(WorkerVersionError) as err:
                list(ex.submit_all(_square, [1, 2]))
            msg = str(err.value)
            assert addr in msg and "0.0.0-other" in msg and old in msg
        finally:
            client.run(set_version, old, workers=[addr])
    # restored: the same cluster is accepted again
    assert dict(DaskExecutor(scheduler=cluster.scheduler_address)
                .submit_all(_square, [3])) == {3: 9}


def test_check_worker_versions_clauses():
    me = worker_versions()
    check_worker_versions({"a": dict(me), "b": dict(me)}, me)
    with pytest.raises(WorkerVersionError, match="worker b .*code zz"):
        check_worker_versions({"a": dict(me), "b": dict(me, code_version="zz")}, me)
    with pytest.raises(WorkerVersionError, match="cannot report"):
        check_worker_versions({"a": ModuleNotFoundError("No module named 'classdyn'")}, me)
    with pytest.raises(WorkerVersionError, match="no worker"):
        check_worker_versions({}, me)


def test_local_cluster_started_for_the_run_and_closed():
    ex = DaskExecutor(workers=1)
    assert dict(ex.submit_all(_square, [2, 5])) == {2: 4, 5: 25}


def _open(run_parent):
    import xarray as xr

    (run,) = list((run_parent / "sweep").iterdir())
    return xr.open_zarr(run / "sweep.zarr").load()


@pytest.mark.parametrize("method", ["certified", "continuation"])
def test_cli_sweep_through_dask_equals_local(cluster, tmp_path, capsys, method):
    """A 2-D timescales map on the 2-worker LocalCluster equals the local process pool's map
    exactly (every data variable, coordinate and the per-point status), point by point and by
    continuation along the lines (the lines' start states travel to the workers)."""
    import xarray as xr

    from classdyn.cli import main

    pytest.importorskip("xarray")
    args = ["sweep", "timescales", "--grid", "psi_p=4,8", "t=0.05,0.1", "--json",
            "--method", method]
    assert main(args + ["--executor", "dask", "--scheduler", cluster.scheduler_address,
                        "--out", str(tmp_path / "dask")]) == 0
    assert main(args + ["--executor", "local", "--jobs", "2",
                        "--out", str(tmp_path / "local")]) == 0
    capsys.readouterr()
    a, b = _open(tmp_path / "dask"), _open(tmp_path / "local")
    assert list(a.data_vars) == list(b.data_vars) and "tau_gen" in a.data_vars
    # the Dataset attrs hold the command line and the code version of the moment (other
    # engineers edit the tree meanwhile): compared are the data variables with their attrs
    a.attrs, b.attrs = {}, {}
    xr.testing.assert_identical(a, b)
    # not a comparison of two NaN maps: points converged (a failed point, if any, failed alike)
    assert (a["status"].values == "ok").sum() >= 2 and int(a["tau_gen"].notnull().sum()) >= 2


@pytest.mark.slow  # two real checks twice: ~10 s idle, measured 60 s on the loaded 2 cores
def test_cli_validate_through_dask_writes_the_local_records(cluster, tmp_path, capsys):
    """``validate --executor dask`` writes the same records (verdicts, measurements, summaries)
    and figures as the local executor; the files are written by the client."""
    import json

    from classdyn.cli import main

    only = ["--only", "coefficients", "fmnist-stats"]
    main(["validate", *only, "--executor", "dask", "--scheduler", cluster.scheduler_address,
          "--out", str(tmp_path / "dask")])
    main(["validate", *only, "--executor", "local", "--jobs", "2",
          "--out", str(tmp_path / "local")])
    capsys.readouterr()
    recs = {}
    for kind in ("dask", "local"):
        summary = json.loads((tmp_path / kind / "validation.json").read_text())
        recs[kind] = {r["name"]: r for r in summary["checks"]}
    assert set(recs["dask"]) == {"coefficients", "fmnist-stats"}
    for name, loc in recs["local"].items():
        das = recs["dask"][name]
        for k in ("status", "passed", "measured", "summary", "figure"):
            assert das[k] == loc[k], (name, k)
        assert das["cached"] is False
        d_dir = tmp_path / "dask" / "checks" / name / das["cache_key"]
        l_dir = tmp_path / "local" / "checks" / name / loc["cache_key"]
        assert sorted(p.name for p in d_dir.iterdir()) == sorted(p.name for p in l_dir.iterdir())
        if loc["figure"]:
            assert (d_dir / "figure.png").read_bytes() == (l_dir / "figure.png").read_bytes()


@pytest.mark.parametrize("kind", ["slurm", "pbs"])
def test_unconfigured_batch_cluster_says_what_to_set(kind, monkeypatch, tmp_path):
    pytest.importorskip("dask_jobqueue")
    import dask

    # no jobqueue.yaml of the user's: a clean config without cores/memory for this system
    with dask.config.set({f"jobqueue.{kind}.cores": None, f"jobqueue.{kind}.memory": None}):
        with pytest.raises(ValueError) as err:
            list(DaskExecutor(cluster=kind).submit_all(_square, [1]))
    msg = str(err.value)
    assert f"--cluster {kind}" in msg and "jobqueue.yaml" in msg
    assert f"DASK_JOBQUEUE__{kind.upper()}__CORES" in msg
