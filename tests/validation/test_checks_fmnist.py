"""The Result-4 check (validation/checks_fmnist.py) fails when its claim is broken."""

import numpy as np
import pytest

from classdyn.validation.checks_fmnist import judge_ddpm, judge_rf, rf_memorisation_gap

# Variance ratios and RF gaps of the nine Sneaker pairs measured by the check at size small
# (d = 80, two seeds, ten-class geometry); only their ordering matters to the judge.
RATIOS = [1.635, 1.021, 1.904, 1.416, 1.690, 1.588, 1.937, 2.475, 1.651]
GAPS = [0.765, 0.083, 0.880, 0.620, 0.781, 0.665, 0.979, 1.008, 0.635]


def test_judge_rf_accepts_the_measured_trend():
    v = judge_rf(RATIOS, GAPS)
    assert v["passed"] and v["spearman_gap_vs_ratio"] > 0.9


def test_judge_rf_fails_on_swapped_classes():
    # Swapping Sneaker and partner flips every gap: the higher-variance class is then
    # "memorised last", which the check must reject.
    v = judge_rf(RATIOS, [-g for g in GAPS])
    assert not v["passed"] and not v["sign_ok"] and not v["trend_ok"]


def test_judge_rf_fails_on_shuffled_gaps():
    gaps = np.array(GAPS)
    # the same gaps, assigned in the opposite order of the variance ratios
    order = np.argsort(RATIOS)
    shuffled = np.empty_like(gaps)
    shuffled[order] = np.sort(gaps)[::-1]
    v = judge_rf(RATIOS, shuffled)
    assert not v["trend_ok"]


def test_judge_ddpm_signs():
    partners = [0, 1, 2, 3, 4, 5]
    rf = {(c, 0.5): g for c, g in zip(partners, [0.6, 0.03, 0.7, 0.4, 0.5, 0.2])}
    rows = [{"reference": "Sneaker", "partner": str(c), "partner_label": c,
             "proportion_reference": 0.5, "gap": gap}
            for c, gap in zip(partners, [500, 100, 900, 300, 400, 200])]
    assert judge_ddpm(rf, rows)["passed"]
    for r in rows:
        r["gap"] = -r["gap"]
    bad = judge_ddpm(rf, rows)
    assert not bad["passed"] and bad["sign_agreement"] == 0.0 and not bad["sign_ok"]
    # Four pairs cannot give a significant rank correlation: waiting, never passed.
    assert judge_ddpm(rf, rows[:4])["status"] == "waiting"
    assert judge_ddpm(rf, [])["n_pairs"] == 0


def test_rf_gap_changes_sign_when_classes_swap():
    """Simulation: the higher-variance class is memorised first (Result 2), so swapping the
    variances flips the sign of the RF gap; the gap is large against its seed-to-seed error."""
    kw = dict(weights=(0.5, 0.5), norms2=(0.4, 0.4), cosine=-1.0, d=30, psi_p=4.0, psi_n=2.0,
              t=0.05, seeds=[0, 1])
    hi_partner = rf_memorisation_gap((0.5, 1.0), **kw)
    hi_sneaker = rf_memorisation_gap((1.0, 0.5), **kw)
    assert hi_partner["gap"] > 0 > hi_sneaker["gap"]
    # Gap measured ~0.3 decades; 5 seed-to-seed standard errors is far below that.
    for r in (hi_partner, hi_sneaker):
        assert abs(r["gap"]) > 5 * r["gap_se"]


def test_unreached_memorisation_is_an_error():
    with pytest.raises(ValueError, match="tau_max"):
        rf_memorisation_gap((0.5, 1.0), weights=(0.5, 0.5), norms2=(0.4, 0.4), cosine=-1.0,
                            d=30, psi_p=4.0, psi_n=2.0, t=0.05, seeds=[0], tau_max=1.0)
