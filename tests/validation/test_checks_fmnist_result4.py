"""Result 4's verdict is honest: it waits without DDPM data, a correlation over too few pairs or
a NaN one never passes, and a new gaps table changes the report without ``--force``."""

import json
import math

import numpy as np
import pytest

import classdyn.validation.checks_fmnist as cf
from classdyn.validation.registry import discover
from classdyn.validation.report import write_report
from classdyn.validation.runner import SerialExecutor, environment, run_checks

PARTNERS = [0, 1, 2, 3, 4, 5, 6, 8, 9]


def _rows(gaps, partners=PARTNERS, key="log_gap"):
    return [{"reference": "Sneaker", "partner": f"c{c}", "partner_label": c,
             "proportion_reference": 0.5, key: g} for c, g in zip(partners, gaps)]


RF = {(c, 0.5): 0.1 * (k + 1) for k, c in enumerate(PARTNERS)}


def test_few_pairs_wait_instead_of_passing():
    # Two (and four) perfectly concordant pairs: a rank correlation over so few points cannot
    # be significant at 5 %, so the comparison waits; it must not pass.
    for n in (2, 4):
        res = cf.judge_ddpm(RF, _rows([0.1 * (k + 1) for k in range(n)], PARTNERS[:n]))
        assert res["status"] == "waiting" and res["passed"] is None, res
        assert res["n_pairs"] == n


def test_nan_correlation_fails():
    # Constant DDPM gaps: Spearman is undefined (NaN); signs agree, but the trend clause fails.
    res = cf.judge_ddpm(RF, _rows([0.5] * 9))
    assert math.isnan(res["spearman_rf_ddpm"])
    assert res["sign_ok"] and not res["trend_ok"] and res["status"] == "fail"


def test_concordant_gaps_pass_with_p_value():
    res = cf.judge_ddpm(RF, _rows([0.05 * (k + 1) for k in range(9)]))
    assert res["status"] == "pass" and res["sign_ok"] and res["trend_ok"]
    # Perfect ranking of 9 pairs: exact one-sided p = 1/9! ≈ 2.8e-6 (asymptotic t
    # approximation in scipy gives ~0; either is far below 0.05).
    assert res["spearman_rf_ddpm"] == pytest.approx(1.0) and res["spearman_p_one_sided"] < 1e-3


def test_each_clause_alone():
    # Right ranking but every DDPM gap negative: only the sign clause fails.
    res = cf.judge_ddpm(RF, _rows([-1 + 0.01 * k for k in range(9)]))
    assert not res["sign_ok"] and res["trend_ok"] and res["status"] == "fail"
    # Right signs, reversed ranking: only the trend clause fails.
    res = cf.judge_ddpm(RF, _rows([0.9 - 0.1 * k for k in range(9)]))
    assert res["sign_ok"] and not res["trend_ok"] and res["status"] == "fail"


def test_undefined_gaps_are_counted_not_used():
    rows = _rows([0.05 * (k + 1) for k in range(9)])
    for r in rows[:5]:
        r["log_gap"] = None
    res = cf.judge_ddpm(RF, rows)
    assert res["n_pairs"] == 4 and len(res["undefined_gap"]) == 5 and res["status"] == "waiting"


@pytest.fixture
def fast_check(monkeypatch, tmp_path):
    """The real fmnist-rf-gaps check with the RF simulation replaced by a cheap stand-in (gap =
    log of the variance ratio, which has the claimed sign and trend) and the committed reference
    tables hidden, so only DDPM tables under the results folder count."""
    pytest.importorskip("scipy")
    try:
        from classdyn.ddpm.data import load_fashion_mnist

        load_fashion_mnist()
    except Exception:  # noqa: BLE001
        pytest.skip("needs the Fashion-MNIST files")

    def fake_gap(variances, weights, norms2, cosine, **kw):
        return {"gap": float(np.log(variances[1] / variances[0])), "gap_se": 0.01,
                "tau_mem": [], "tau_gen": []}

    monkeypatch.setattr(cf, "rf_memorisation_gap", fake_gap)
    # The code version is pinned so that the cache behaviour tested is that of the input files.
    monkeypatch.setattr("classdyn.validation.runner.code_version", lambda: "pinned")
    monkeypatch.setattr(cf, "REFERENCE_DIR", tmp_path / "no_reference")
    return discover()["fmnist-rf-gaps"]


def test_waiting_without_tables_then_new_table_changes_report(fast_check, tmp_path):
    out = tmp_path / "results"
    recs = run_checks([fast_check], "small", out, executor=SerialExecutor())
    assert recs[0]["status"] == "waiting" and recs[0]["passed"] is None
    assert recs[0]["results"]["4"] == "RF side reproduced; DDPM side waiting for runs"
    _, js = write_report(recs, out, size="small", environment=environment(), code_version="x")
    assert json.loads(js.read_text())["results"]["4"]["verdict"].startswith("RF side reproduced")

    # A DDPM gaps table appears: the next run (no --force) recomputes and uses it.
    rf_gaps = {r["partner_label"]: r["rf_gap"] for r in recs[0]["measured"]["pairs"]}
    table = {"scale": "test-scale", "rows": _rows([rf_gaps[c] for c in PARTNERS])}
    (out / "ddpm").mkdir()
    (out / "ddpm" / "gaps.json").write_text(json.dumps(table))
    recs2 = run_checks([fast_check], "small", out, executor=SerialExecutor())
    assert recs2[0]["cached"] is False and recs2[0]["status"] == "pass"
    assert recs2[0]["results"]["4"] is True
    src = recs2[0]["measured"]["ddpm"][0]
    assert src["scale"] == "test-scale" and src["n_pairs"] == 9
    # Unchanged inputs: cached.
    assert run_checks([fast_check], "small", out, executor=SerialExecutor())[0]["cached"]


def test_committed_reference_table_is_labelled_and_read():
    tables = [p for p in cf.ddpm_tables(cf.REFERENCE_DIR / "nowhere")]
    if not tables:
        pytest.skip("no committed reference table")
    for info, rows in cf.load_ddpm_sources(tables):
        assert "scale" in info and info["scale"] != "user run"
        assert info.get("command") and info.get("code_version") and info.get("seeds")
        assert len(rows) == 9
