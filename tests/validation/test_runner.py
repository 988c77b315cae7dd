"""The check runner: verdicts, errors, caching, parallel execution, the report."""

import json

from classdyn.validation.registry import Check, Outcome
from classdyn.validation.report import write_report
from classdyn.validation.runner import ProcessExecutor, SerialExecutor, environment, run_checks

CALLS = []


def passing(params, ctx):
    import matplotlib.pyplot as plt

    CALLS.append("passing")
    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, params["x"]])
    return Outcome(passed=params["x"] < 2, measured={"x": params["x"]}, tolerance="x < 2",
                   tolerance_reason="test", figure=fig, summary="ok", results={"2": True})


def failing(params, ctx):
    return Outcome(passed=False, measured={"err": 1.0}, summary="broken", results={"2": False})


def raising(params, ctx):
    raise RuntimeError("boom")


def _check(func, name, x=1.0, requires=()):
    return Check(name=name, claim=f"claim {name}", reference="test", func=func,
                 sizes={"small": {"x": x}}, requires=requires)


def test_verdicts_errors_and_requirements(tmp_path):
    checks = [_check(passing, "a"), _check(failing, "b"), _check(raising, "c"),
              _check(passing, "d", requires=("no_such_module_xyz",))]
    recs = run_checks(checks, "small", tmp_path, executor=SerialExecutor())
    status = {r["name"]: r["status"] for r in recs}
    assert status == {"a": "pass", "b": "fail", "c": "error", "d": "skipped"}
    assert "boom" in recs[2]["measured"]["traceback"]
    assert (tmp_path / "validation.json").exists()


def test_cache_reuses_finished_checks_and_reruns_on_new_params(tmp_path):
    CALLS.clear()
    run_checks([_check(passing, "a")], "small", tmp_path, executor=SerialExecutor())
    recs = run_checks([_check(passing, "a")], "small", tmp_path, executor=SerialExecutor())
    assert CALLS == ["passing"] and recs[0]["cached"] is True
    recs = run_checks([_check(passing, "a", x=3.0)], "small", tmp_path,
                      executor=SerialExecutor())
    assert CALLS == ["passing", "passing"] and recs[0]["status"] == "fail"


def test_process_pool_runs_checks_in_parallel(tmp_path):
    checks = [_check(passing, "a"), _check(failing, "b")]
    recs = run_checks(checks, "small", tmp_path, executor=ProcessExecutor(2))
    assert [r["status"] for r in recs] == ["pass", "fail"]


def test_report_embeds_figures_and_summarises_results(tmp_path):
    recs = run_checks([_check(passing, "a"), _check(failing, "b")], "small", tmp_path,
                      executor=SerialExecutor())
    html_path, json_path = write_report(recs, tmp_path, size="small",
                                        environment=environment(), code_version="x")
    text = html_path.read_text()
    assert "data:image/png;base64," in text
    assert text.index("Summary") < text.index("id='a'")
    summary = json.loads(json_path.read_text())
    assert summary["results"]["2"]["verdict"] == "not reproduced"
    assert summary["counts"] == {"pass": 1, "fail": 1}


def report_threads(params, ctx):
    import os

    return Outcome(passed=True, measured={"threads": os.environ.get("OPENBLAS_NUM_THREADS")})


def test_pool_workers_limit_blas_threads(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    checks = [_check(report_threads, "a"), _check(report_threads, "b")]
    recs = run_checks(checks, "small", tmp_path, executor=ProcessExecutor(2))
    # one BLAS thread per worker (classdyn._threads.WORKER_THREADS): the pool uses the cores
    assert [r["measured"]["threads"] for r in recs] == ["1", "1"]


def reads_file(params, ctx):
    from pathlib import Path

    text = (Path(ctx.results_dir) / "input.txt").read_text()
    CALLS.append(text)
    return Outcome(passed=True, measured={"text": text})


def test_input_files_enter_the_cache_key(tmp_path):
    from pathlib import Path

    CALLS.clear()
    chk = Check(name="r", claim="c", reference="t", func=reads_file, sizes={"small": {}},
                inputs=lambda params, results_dir: [Path(results_dir) / "input.txt"])
    (tmp_path / "input.txt").write_text("one")
    assert run_checks([chk], "small", tmp_path, executor=SerialExecutor())[0]["measured"] \
        == {"text": "one"}
    (tmp_path / "input.txt").write_text("two")
    rec = run_checks([chk], "small", tmp_path, executor=SerialExecutor())[0]
    assert rec["cached"] is False and rec["measured"] == {"text": "two"}
    assert CALLS == ["one", "two"]


def test_planted_record_is_not_trusted_and_not_embedded(tmp_path):
    CALLS.clear()
    chk = _check(failing, "b")
    rec = run_checks([chk], "small", tmp_path, executor=SerialExecutor())[0]
    from pathlib import Path

    path = Path(rec["record_dir"]) / "record.json"
    planted = json.loads(path.read_text())
    planted.update(status="pass", passed=True, cache_key="forged",
                   figure="../../../../etc/hostname")
    path.write_text(json.dumps(planted))
    again = run_checks([chk], "small", tmp_path, executor=SerialExecutor())[0]
    assert again["cached"] is False and again["status"] == "fail"
    # A record naming a file outside its own folder embeds nothing.
    again["figure"] = "../../../../etc/hostname"
    html_path, _ = write_report([again], tmp_path, size="small", environment=environment(),
                                code_version="x")
    assert "data:image/png" not in html_path.read_text()


def test_validate_only_keeps_the_other_checks_in_validation_json(tmp_path):
    """``classdyn validate --only b`` after a full run: validation.json still holds ``a``
    (marked from_earlier_run) and the updated ``b``; a run at another size starts the file
    afresh (one file describes one size)."""
    import json

    run_checks([_check(passing, "a"), _check(failing, "b")], "small", tmp_path,
               executor=SerialExecutor())
    # new parameters for b: recomputed (the cache key does not see the function)
    run_checks([_check(passing, "b", x=0.5)], "small", tmp_path, executor=SerialExecutor())
    recs = {r["name"]: r for r in json.loads((tmp_path / "validation.json").read_text())["checks"]}
    assert set(recs) == {"a", "b"}
    assert recs["a"].get("from_earlier_run") is True and recs["a"]["status"] == "pass"
    assert recs["b"]["status"] == "pass" and "from_earlier_run" not in recs["b"]
    run_checks([_check(passing, "b")], "paper", tmp_path, executor=SerialExecutor())
    names = [r["name"] for r in json.loads((tmp_path / "validation.json").read_text())["checks"]]
    assert names == ["b"]
