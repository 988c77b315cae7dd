"""``classdyn simulate``: outputs, resume after an injected interruption, memory budget."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from classdyn.cli import main


def _cli(args, env_extra=None):
    env = dict(os.environ, CLASSDYN_NO_PROGRESS="1", OPENBLAS_NUM_THREADS="1")
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "classdyn", *args], capture_output=True,
                          text=True, env=env, timeout=300)


def test_losses_json_and_files(tmp_path, capsys):
    code = main(["simulate", "losses", "--d", "30", "--activation", "linear", "--norms2", "1",
                 "1", "--out", str(tmp_path), "--num-tau", "50", "--json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    run_dir = data["run"]["dir"]
    assert os.path.exists(os.path.join(run_dir, "result.json"))
    with np.load(os.path.join(run_dir, "result.npz")) as z:
        assert z["test"].shape == (2, 50)
        # at tau_min = 0.01 the loss has just started to fall from E_c(0) = 1: it drops by
        # 2 tau tr(V^T V_c)/d = O(tau) (~0.007 here); allow 0.02
        assert np.all((z["test"][:, 0] < 1.0) & (z["test"][:, 0] > 0.98))
    assert len(data["times"]["tau_gen"]) == 2


def test_speciation_resumes_after_interruption(tmp_path):
    # A sweep of 2 sizes x 2 draws = 4 units; an injected stop after 2 computed units (as a kill
    # would) leaves them on disk; the rerun computes only the other 2 and the final result
    # equals that of an uninterrupted run.
    args = ["simulate", "speciation", "--activation", "linear", "--ds", "40", "60",
            "--repeats", "2", "--num-t", "6", "--out", str(tmp_path / "a"), "--json"]
    r1 = _cli(args, {"CLASSDYN_STOP_AFTER_UNITS": "2"})
    assert r1.returncode == 130, r1.stderr
    assert "resumes" in r1.stderr
    r2 = _cli(args)
    assert r2.returncode == 0, r2.stderr
    d2 = json.loads(r2.stdout)
    assert len(d2["run"]["units_resumed"]) == 2 and len(d2["run"]["units_computed"]) == 2
    args_b = [a if a != str(tmp_path / "a") else str(tmp_path / "b") for a in args]
    r3 = _cli(args_b)
    d3 = json.loads(r3.stdout)
    assert np.allclose(d2["t_s_overlap"], d3["t_s_overlap"], rtol=0, atol=0)
    # a third run redoes nothing
    d4 = json.loads(_cli(args).stdout)
    assert d4["run"]["units_computed"] == []


def test_train_resumes_per_seed(tmp_path):
    args = ["simulate", "train", "--activation", "linear", "--d", "20", "--seeds", "3",
            "--tau-max", "5", "--checkpoints", "8", "--out", str(tmp_path), "--json"]
    r1 = _cli(args, {"CLASSDYN_STOP_AFTER_UNITS": "2"})  # features + seed 0
    assert r1.returncode == 130
    r2 = _cli(args)
    assert r2.returncode == 0, r2.stderr
    d = json.loads(r2.stdout)
    assert d["run"]["units_resumed"] == ["features", "seed_0"]
    assert d["run"]["units_computed"] == ["seed_1", "seed_2"]


def test_memory_budget_refused_before_starting(tmp_path, capsys):
    code = main(["simulate", "losses", "--d", "5000", "--memory-gb", "0.5", "--out",
                 str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "--memory-gb 0.5 is too small" in err and "GiB" in err
    assert not (tmp_path / "simulate").exists()  # nothing started


@pytest.mark.parametrize("args,match", [
    (["losses", "--tau-min", "10", "--tau-max", "1"], "--tau-max"),
    (["losses", "--weights", "0.2", "0.2"], "weights"),
    (["train", "--step-frac", "1.5"], "--step-frac"),
    (["speciation", "--gammas", "0.5", "0.5"], "gammas"),
    (["speciation", "--t-min", "3", "--t-max", "1"], "--t-max"),
])
def test_bad_inputs_exit_2(tmp_path, capsys, args, match):
    code = main(["simulate", *args, "--activation", "linear", "--out", str(tmp_path)])
    assert code == 2
    assert match in capsys.readouterr().err


def test_speciation_survives_a_real_kill(tmp_path):
    # SIGKILL (no chance to clean up) once at least one unit is on disk; every finished unit
    # is a complete npz (atomic writes) and the rerun reuses all of them.
    import glob
    import signal
    import time

    args = [sys.executable, "-m", "classdyn", "simulate", "speciation", "--activation",
            "linear", "--ds", "60", "80", "--repeats", "4", "--num-t", "8", "--out",
            str(tmp_path), "--json"]
    env = dict(os.environ, CLASSDYN_NO_PROGRESS="1", OPENBLAS_NUM_THREADS="1")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    deadline = time.time() + 120
    parts = []
    while time.time() < deadline and proc.poll() is None:
        parts = glob.glob(str(tmp_path / "simulate" / "speciation" / "*" / "parts" / "*.npz"))
        if parts:
            break
        time.sleep(0.05)
    if proc.poll() is not None:
        pytest.skip("the run finished before it could be killed (machine too fast)")
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = sorted(glob.glob(str(tmp_path / "simulate" / "speciation" / "*" / "parts" /
                                "*.npz")))
    assert done and len(done) < 8
    for path in done:
        with np.load(path) as z:  # complete, readable files only
            assert "t_s_overlap" in z.files
    # (a kill during a write may leave a hidden .tmp file; the loader never reads those)
    r = _cli(args[3:])
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert len(d["run"]["units_resumed"]) == len(done)
    assert len(d["run"]["units_resumed"]) + len(d["run"]["units_computed"]) == 8


def test_memorisation_not_reached_is_said_not_printed_as_inf(tmp_path, capsys):
    """At t = 50 the test loss never comes back to the threshold on the tau grid: the report
    says "not reached by --tau-max" with the reason instead of "tau_mem = inf"."""
    code = main(["simulate", "losses", "--d", "20", "--activation", "linear", "--t", "50",
                 "--tau-max", "100", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0 and "not reached by --tau-max 100" in out and "tau_mem = inf  min" not in out
