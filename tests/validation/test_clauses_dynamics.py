"""Every pass clause of the dynamics checks (validation/checks_dynamics.py: loss-curves,
ablations, gaps-vs-weight, speciation) is tested on its own: inputs that violate only that clause
turn only its flag False, and inputs just inside / just outside each numeric threshold land on the
right side of it.

These tests feed measured numbers to the pure verdicts (no training, no spectra). Inputs near a
threshold are placed at a stated fraction of it, always between the right threshold and 10x it, so
that a slack loosened tenfold is caught.
"""

import numpy as np
import pytest

from classdyn.validation import checks_dynamics as ck


def _only_false(flags: dict, bad, passed):
    assert flags == {k: k != bad for k in flags}, flags
    assert passed is False


# ------------------------------------------------------------------------------ loss-curves
# three curves (two class test losses and the train loss) at 12 checkpoints
SA = np.vstack([np.linspace(1.0, 0.4, 12), np.linspace(1.2, 0.5, 12), np.linspace(0.9, 0.1, 12)])


def _gd(dev, ex):
    """GD means that exceed SA by the excess plus ``dev`` (array or scalar)."""
    return SA + ex + dev


def test_gd_right_curves_pass():
    # GD = SA + excess exactly; with an excess far above the tolerance it must be a shift of
    # the reference, not only an allowance
    se, ex = np.full_like(SA, 0.005), np.full_like(SA, 1.0)
    res = ck.compare_gd(SA, _gd(0.0, ex), se, ex)
    assert res["within_tolerance_ok"] and res["passed"], res
    # GD curves without the excess judged against SA + excess: 1.0 off, 2.7x the tolerance
    # 4 x 0.005 + 0.35 x 1 + 0.002 = 0.372
    assert not ck.compare_gd(SA, SA, se, ex)["within_tolerance_ok"]


@pytest.mark.parametrize("row", range(3))
@pytest.mark.parametrize("col", [0, 5, 11])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_gd_single_point_outside_fails(row, col, sign):
    # one checkpoint of one curve 1.5x its tolerance off (below 10x it): every point counts,
    # on both sides
    se, ex = np.full_like(SA, 0.005), np.full_like(SA, 0.01)
    tol = ck.GD_SIGMAS * 0.005 + ck.GD_EXCESS_REL * 0.01 + ck.GD_FLOOR
    dev = np.zeros_like(SA)
    dev[row, col] = sign * 1.5 * tol
    res = ck.compare_gd(SA, _gd(dev, ex), se, ex)
    assert not res["within_tolerance_ok"] and not res["passed"], res


@pytest.mark.parametrize("se, ex", [
    (0.01, 0.0),   # the GD_SIGMAS term (plus the floor): tol 0.042
    (0.0, 0.2),    # the GD_EXCESS_REL term (plus the floor): tol 0.072
    (0.0, 0.0),    # the floor alone: tol 0.002
])
def test_gd_tolerance_threshold(se, ex):
    # 0.99 of the tolerance passes everywhere, 1.2 of it fails (each term of the tolerance
    # dominates in one case, so a tenfold GD_SIGMAS, GD_EXCESS_REL or GD_FLOOR would accept it)
    tol = ck.GD_SIGMAS * se + ck.GD_EXCESS_REL * ex + ck.GD_FLOOR
    se_a, ex_a = np.full_like(SA, se), np.full_like(SA, ex)
    for sign in (1.0, -1.0):
        assert ck.compare_gd(SA, _gd(sign * 0.99 * tol, ex_a), se_a, ex_a)["passed"]
        assert not ck.compare_gd(SA, _gd(sign * 1.2 * tol, ex_a), se_a, ex_a)["passed"]


# ------------------------------------------------------------------------------ ablations
ABL_FLAGS = ("var2_first", "half_norm_first", "half_norm_weaker", "skew_keeps_order")
# time ratios class 1 / class 0 for (tau_gen, tau_mem): class 0 first when > 1
GOOD_RATIOS = {"base": (1.0, 1.0), "var2": (2.0, 2.5), "half_norm": (1.2, 1.3),
               "skew": (1.5, 1.8)}


def _times(ratios):
    """Times with the given late/early ratios: class 0 at (1, 10), class 1 at ratio x that."""
    return {k: ((1.0, r[0]), (10.0, 10.0 * r[1])) for k, r in ratios.items()}


def _with(ratios, name, i, value):
    out = {k: list(v) for k, v in ratios.items()}
    out[name][i] = value
    return {k: tuple(v) for k, v in out.items()}


def _abl(ratios):
    res = ck.judge_ablations(_times(ratios))
    return res, res["criteria"]


def test_ablations_right_times_pass_every_clause():
    res, crit = _abl(GOOD_RATIOS)
    assert all(crit[k] for k in ABL_FLAGS) and res["passed"], res


@pytest.mark.parametrize("i", [0, 1])  # tau_gen, tau_mem
def test_ablations_var2_first_alone_fails(i):
    # var2 ratio 1.01 (below the 2 % margin); the baseline's ratio 0.9 keeps the half-norm
    # case (0.95) above 1.02 x baseline and below var2
    r = _with(_with(_with(GOOD_RATIOS, "var2", i, 1.01), "base", i, 0.9), "half_norm", i, 0.95)
    res, crit = _abl(r)
    _only_false(crit, "var2_first", res["passed"])


@pytest.mark.parametrize("i", [0, 1])
def test_ablations_half_norm_first_alone_fails(i):
    # half-norm ratio 1.01 x the baseline's (below 1.02 x)
    res, crit = _abl(_with(GOOD_RATIOS, "half_norm", i, 1.01))
    _only_false(crit, "half_norm_first", res["passed"])


@pytest.mark.parametrize("i", [0, 1])
def test_ablations_half_norm_weaker_alone_fails(i):
    # halved norm separates the classes more than doubled variance
    res, crit = _abl(_with(GOOD_RATIOS, "half_norm", i, 3.0))
    _only_false(crit, "half_norm_weaker", res["passed"])


@pytest.mark.parametrize("i", [0, 1])
def test_ablations_skew_alone_fails(i):
    # skewed weights reverse the order (ratio 0.99 < 1)
    res, crit = _abl(_with(GOOD_RATIOS, "skew", i, 0.99))
    _only_false(crit, "skew_keeps_order", res["passed"])


@pytest.mark.parametrize("i", [0, 1])
def test_ablations_var2_margin_threshold(i):
    # 1.021 passes, 1.019 fails (a margin loosened tenfold, 1.002, would accept 1.019); the
    # other cases are arranged to pass (baseline 0.9, half norm 0.95)
    base = _with(_with(GOOD_RATIOS, "base", i, 0.9), "half_norm", i, 0.95)
    assert _abl(_with(base, "var2", i, 1.021))[1]["var2_first"]
    assert not _abl(_with(base, "var2", i, 1.019))[1]["var2_first"]


@pytest.mark.parametrize("i", [0, 1])
def test_ablations_half_norm_margin_threshold(i):
    # relative to a baseline ratio 1.1 (not 1): 1.021 x 1.1 passes, 1.019 x 1.1 fails (an
    # absolute 1.02 or a tenfold looser margin would accept it)
    base = _with(GOOD_RATIOS, "base", i, 1.1)
    assert _abl(_with(base, "half_norm", i, 1.021 * 1.1))[1]["half_norm_first"]
    assert not _abl(_with(base, "half_norm", i, 1.019 * 1.1))[1]["half_norm_first"]


@pytest.mark.parametrize("i", [0, 1])
def test_ablations_strict_orderings(i):
    # "more weakly" and "keeps the order" are strict: equal ratios fail
    assert not _abl(_with(GOOD_RATIOS, "half_norm", i, GOOD_RATIOS["var2"][i]))[1][
        "half_norm_weaker"]
    assert not _abl(_with(GOOD_RATIOS, "skew", i, 1.0))[1]["skew_keeps_order"]
    assert _abl(_with(GOOD_RATIOS, "skew", i, 1.001))[1]["skew_keeps_order"]


# ------------------------------------------------------------------------------ gaps-vs-weight
RHOS = np.array([0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9])
TRADE_FLAGS = ("opposite_signs_ok", "slopes_large_ok")


def _trade(s_gen, s_mem):
    res = ck.judge_tradeoff(RHOS, -0.5 + s_gen * RHOS, -1.0 + s_mem * RHOS)
    return res, {k: res[k] for k in TRADE_FLAGS}


def test_tradeoff_right_gaps_pass_every_clause():
    # slopes measured ~0.2-0.3 decades per unit weight (tolerance_reason of the check)
    res, flags = _trade(-0.3, 0.2)
    assert all(flags.values()) and res["passed"], res


@pytest.mark.parametrize("s_gen, s_mem", [(0.3, 0.2), (-0.3, -0.2)])
def test_tradeoff_opposite_signs_alone_fails(s_gen, s_mem):
    res, flags = _trade(s_gen, s_mem)
    _only_false(flags, "opposite_signs_ok", res["passed"])


@pytest.mark.parametrize("s_gen, s_mem", [(-0.3, 0.03), (-0.03, 0.2)])
def test_tradeoff_slope_size_alone_fails(s_gen, s_mem):
    # one slope 0.03 in size: below MIN_GAP_SLOPE = 0.05, above a tenth of it
    res, flags = _trade(s_gen, s_mem)
    _only_false(flags, "slopes_large_ok", res["passed"])


@pytest.mark.parametrize("which", [0, 1])
def test_tradeoff_slope_threshold(which):
    # 1.01 x MIN_GAP_SLOPE passes, 0.99 x fails (a tenfold smaller minimum would accept it)
    def flags(size):
        s = [-0.3, 0.2]
        s[which] = np.sign(s[which]) * size * ck.MIN_GAP_SLOPE
        return _trade(*s)[1]

    assert flags(1.01)["slopes_large_ok"]
    assert not flags(0.99)["slopes_large_ok"]


# ------------------------------------------------------------------------------ speciation
DS = np.array([100, 200, 400, 800])
GAMMAS = {"balanced": [0.0, 0.0], "imbalanced": [0.0, 0.5]}
SPEC_FLAGS = [f"{e}_{k}_ok" for e in GAMMAS for k in ("overlap", "outlier")]


def _ts(gammas, slope_err=(0.0, 0.0)):
    """t_s^c = (½(1 − γ_c) + err_c) log d + offset: slope off the theory by ``err_c``."""
    x = np.log(DS)
    return np.vstack([(0.5 * (1 - g) + e) * x + 0.3 * c - 1.0
                      for c, (g, e) in enumerate(zip(gammas, slope_err))])


def _experiments(bad=None, err=0.0):
    """Right times for both experiments; ``bad = (experiment, kind, class)`` gets a slope error."""
    out = {}
    for e, g in GAMMAS.items():
        x = {"gammas": g}
        for kind in ("overlap", "outlier"):
            errs = [0.0, 0.0]
            if bad is not None and bad[:2] == (e, kind):
                errs[bad[2]] = err
            x[f"t_s_{kind}"] = _ts(g, errs)
        out[e] = x
    return out


def test_speciation_right_times_pass_every_clause():
    res = ck.judge_speciation(DS, _experiments())
    assert all(res[k] for k in SPEC_FLAGS) and res["passed"], res
    assert set(SPEC_FLAGS) <= set(res)


@pytest.mark.parametrize("e", list(GAMMAS))
@pytest.mark.parametrize("kind", ["overlap", "outlier"])
@pytest.mark.parametrize("c", [0, 1])
def test_speciation_one_fit_alone_fails(e, kind, c):
    # one class's slope in one fit 0.2 off ½(1 − γ): 2x SLOPE_TOL, below 10x it
    res = ck.judge_speciation(DS, _experiments((e, kind, c), 0.2))
    _only_false({k: res[k] for k in SPEC_FLAGS}, f"{e}_{kind}_ok", res["passed"])


@pytest.mark.parametrize("c", [0, 1])
def test_slopes_threshold(c):
    # 0.99 x SLOPE_TOL off passes, 1.5 x fails, on both sides (a tenfold tolerance would
    # accept 1.5 x)
    g = GAMMAS["imbalanced"]
    for sign in (1.0, -1.0):
        err = [0.0, 0.0]
        err[c] = sign * 0.99 * ck.SLOPE_TOL
        assert ck.judge_slopes(DS, _ts(g, err), g)["slopes_ok"]
        err[c] = sign * 1.5 * ck.SLOPE_TOL
        res = ck.judge_slopes(DS, _ts(g, err), g)
        assert not res["slopes_ok"] and not res["passed"]


def test_slopes_compare_with_the_class_exponent():
    # right times for gammas (0, 0.5) judged against gammas (0, 0): the minority class's slope
    # is 0.25 off (a wrong exponent)
    assert not ck.judge_slopes(DS, _ts(GAMMAS["imbalanced"]), [0.0, 0.0])["slopes_ok"]
