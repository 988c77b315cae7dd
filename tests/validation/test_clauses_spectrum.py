"""Every pass clause of density-vs-histogram and windows (validation/checks_spectrum.py) is
tested on its own: inputs that violate only that clause turn only its flag False, and inputs
just inside / just outside each numeric threshold land on the right side of it.

These tests feed measured numbers to the pure verdict functions (no spectra are computed).
Inputs near a threshold are placed at a stated fraction of it, always between the right threshold
and 10x it, so that a slack loosened tenfold is caught.
"""

import pytest

from classdyn.validation import checks_spectrum as ck

DENSITY_FLAGS = ("ks_ok", "edge_level_ok", "edge_trend_ok")
WINDOW_FLAGS = ("W_gen_contracts_ok", "W_mem_expands_ok", "finite_ok")

# Right numbers of the size-small run (docstring of EDGE_TOL: mean edge errors 2.4 % at d = 150,
# 1.3 % at d = 500; KS of the theory comparable with the two-draw distance).
P = 2000
KS_AB = 0.02
GOOD_EDGES = {150: 0.024, 500: 0.013}


def _flags(res, names):
    return {k: res[k] for k in names}


def _only_false(res, names, bad):
    """The clause ``bad`` alone fails; ``passed`` follows."""
    assert _flags(res, names) == {k: k != bad for k in names}, res
    assert res["passed"] is False


# ------------------------------------------------------------------ density-vs-histogram
def test_density_right_numbers_pass_every_clause():
    res = ck.judge_density(0.025, KS_AB, P, GOOD_EDGES)
    assert all(_flags(res, DENSITY_FLAGS).values()) and res["edge_ok"] and res["passed"], res


def test_density_ks_alone_fails():
    # threshold 1.5 * 0.02 + 1/2000 = 0.0305; 0.034 is 11 % above it (below 10x either slack)
    res = ck.judge_density(0.034, KS_AB, P, GOOD_EDGES)
    _only_false(res, DENSITY_FLAGS, "ks_ok")


def test_density_edge_level_alone_fails():
    # 0.12 at the largest d: above EDGE_TOL = 0.1, below 10x it; still smaller than at d = 150
    res = ck.judge_density(0.025, KS_AB, P, {150: 0.2, 500: 0.12})
    _only_false(res, DENSITY_FLAGS, "edge_level_ok")
    assert res["edge_ok"] is False


def test_density_edge_trend_alone_fails():
    # both errors well below EDGE_TOL, but larger at d = 500 than at d = 150
    res = ck.judge_density(0.025, KS_AB, P, {150: 0.013, 500: 0.014})
    _only_false(res, DENSITY_FLAGS, "edge_trend_ok")
    assert res["edge_ok"] is False


def test_density_edge_level_is_judged_at_the_largest_d():
    # 0.2 at d = 500 fails the level whatever the smaller sizes show (here 0.05 < EDGE_TOL:
    # the trend fails as well)
    res = ck.judge_density(0.025, KS_AB, P, {150: 0.05, 500: 0.2})
    assert not res["edge_level_ok"] and not res["edge_trend_ok"] and res["ks_ok"]


def test_density_trend_compares_the_extreme_sizes():
    # three sizes: the trend is judged between the smallest and the largest d (not between
    # neighbours); largest worse than smallest fails even when the middle one is worse still
    res = ck.judge_density(0.025, KS_AB, P, {150: 0.02, 300: 0.05, 1000: 0.021})
    _only_false(res, DENSITY_FLAGS, "edge_trend_ok")
    assert ck.judge_density(0.025, KS_AB, P, {150: 0.02, 300: 0.05, 1000: 0.019})["passed"]


@pytest.mark.parametrize("ks_ab, p", [
    (0.02, 2000),   # both terms: threshold 0.0305
    (0.0, 2000),    # the 1/p term alone: threshold 5e-4
    (0.02, 10**9),  # the KS_FACTOR term alone: threshold 0.03 (+1e-9)
])
def test_density_ks_threshold(ks_ab, p):
    thr = ck.KS_FACTOR * ks_ab + 1.0 / p
    # just inside: 1 % below; just outside: 20 % above (a tenfold KS_FACTOR or 1/p would
    # accept it: 1.2 thr < 10 thr for every term)
    assert ck.judge_density(0.99 * thr, ks_ab, p, GOOD_EDGES)["ks_ok"]
    assert not ck.judge_density(1.2 * thr, ks_ab, p, GOOD_EDGES)["ks_ok"]


def test_density_edge_threshold():
    # just inside / outside EDGE_TOL by 1 % of it (trend satisfied: 0.5 at the smallest d)
    inside = ck.judge_density(0.025, KS_AB, P, {150: 0.5, 500: 0.99 * ck.EDGE_TOL})
    outside = ck.judge_density(0.025, KS_AB, P, {150: 0.5, 500: 1.01 * ck.EDGE_TOL})
    assert inside["edge_level_ok"] and inside["passed"]
    assert not outside["edge_level_ok"] and not outside["passed"]


def test_density_trend_threshold():
    # the trend is a strict decrease: 1 % smaller passes, equal or 1 % larger fails (a trend
    # loosened to "at most 10x the smallest d's error" would accept both)
    e0 = 0.03
    assert ck.judge_density(0.025, KS_AB, P, {150: e0, 500: 0.99 * e0})["edge_trend_ok"]
    assert not ck.judge_density(0.025, KS_AB, P, {150: e0, 500: e0})["edge_trend_ok"]
    assert not ck.judge_density(0.025, KS_AB, P, {150: e0, 500: 1.01 * e0})["edge_trend_ok"]


# ------------------------------------------------------------------------------ windows
RATIOS = [1.0, 4.0, 0.25]
# baseline first; W_gen below and W_mem above the baseline at every other ratio
GOOD_LIMITS = {"w50-50": [(2.0, 50.0), (1.8, 60.0), (1.9, 55.0)],
               "w25-75": [(2.0, 50.0), (1.7, 62.0), (1.85, 58.0)]}
FINITE = {"theory": (1.1, 75.0), "gep": [(1.12, 73.0), (1.10, 74.0)]}


def _limits_with(label, j, which, value):
    lim = {k: [list(v) for v in vals] for k, vals in GOOD_LIMITS.items()}
    lim[label][j][which] = value
    return {k: [tuple(v) for v in vals] for k, vals in lim.items()}


def test_windows_right_numbers_pass_every_clause():
    res = ck.compare_windows(RATIOS, GOOD_LIMITS, FINITE)
    assert all(_flags(res, WINDOW_FLAGS).values()) and res["claims_ok"] and res["passed"], res


@pytest.mark.parametrize("label", list(GOOD_LIMITS))
@pytest.mark.parametrize("j", [1, 2])
def test_windows_gen_contraction_alone_fails(label, j):
    # W_gen 5 % above the baseline at one (weight, ratio): every weight and ratio is judged
    res = ck.compare_windows(RATIOS, _limits_with(label, j, 0, 2.1), FINITE)
    _only_false(res, WINDOW_FLAGS, "W_gen_contracts_ok")


@pytest.mark.parametrize("label", list(GOOD_LIMITS))
@pytest.mark.parametrize("j", [1, 2])
def test_windows_mem_expansion_alone_fails(label, j):
    # W_mem 10 % below the baseline at one (weight, ratio)
    res = ck.compare_windows(RATIOS, _limits_with(label, j, 1, 45.0), FINITE)
    _only_false(res, WINDOW_FLAGS, "W_mem_expands_ok")


def test_windows_claims_are_strict_inequalities():
    # equal to the baseline is neither a contraction nor an expansion
    assert not ck.compare_windows(RATIOS, _limits_with("w50-50", 1, 0, 2.0),
                                  FINITE)["W_gen_contracts_ok"]
    assert not ck.compare_windows(RATIOS, _limits_with("w50-50", 1, 1, 50.0),
                                  FINITE)["W_mem_expands_ok"]


@pytest.mark.parametrize("k", [0, 1])
def test_windows_finite_alone_fails(k):
    # one of the two GEP windows 15 % off the theory (FINITE_TOL = 10 %, below 10x it)
    gep = list(FINITE["theory"])
    gep[k] *= 1.15
    res = ck.compare_windows(RATIOS, GOOD_LIMITS, {"theory": FINITE["theory"], "gep": [gep]})
    _only_false(res, WINDOW_FLAGS, "finite_ok")


@pytest.mark.parametrize("k", [0, 1])
def test_windows_finite_threshold(k):
    th = FINITE["theory"]

    def rel(x):
        gep = list(th)
        gep[k] *= 1 + x
        return ck.compare_windows(RATIOS, GOOD_LIMITS, {"theory": th, "gep": [gep]})

    # just inside / outside FINITE_TOL by 1 % of it, on both sides of the theory
    assert rel(0.99 * ck.FINITE_TOL)["finite_ok"] and rel(-0.99 * ck.FINITE_TOL)["finite_ok"]
    assert not rel(1.01 * ck.FINITE_TOL)["finite_ok"]
    assert not rel(-1.01 * ck.FINITE_TOL)["finite_ok"]
