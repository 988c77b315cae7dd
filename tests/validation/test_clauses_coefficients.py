"""Every pass clause of coefficients and gep-vs-exact (validation/checks_coefficients.py) is tested
on its own: inputs that violate only that clause turn only its flag False, and inputs just inside
/ just outside each numeric threshold land on the right side of it.

These tests feed measured numbers to the pure verdicts (:func:`compare_coefficients`,
:func:`judge_spectra`): no Monte Carlo and no spectra. Inputs near a threshold are placed at a
stated fraction of it, always between the right threshold and 10x it, so that a slack loosened
tenfold is caught.
"""

import math

import numpy as np
import pytest

from classdyn.validation import checks_coefficients as ck

COEF_FLAGS = ("closed_ok", "mc_ok", "b_identity_ok", "v2_nonneg_ok", "s2_nonneg_ok")
SPEC_FLAGS = ("moments_ok", "w1_ok")
KEYS = [("tanh", 0.0, 1.0, 0.1), ("relu", 0.8, 2.0, 0.3)]
SE = 1e-3
QUANTITIES = ("mu0", "a", "var_f", "var_sigma")


def _computed(over=None):
    """Two points of O(1) coefficients with ``b = √Δ a`` exactly; ``over = {(i, name): value}``
    replaces entries at point ``i``."""
    out = {}
    for i, key in enumerate(KEYS):
        delta, a = 0.2 + 0.1 * i, 0.6 - 0.1 * i
        c = {"mu0": 0.1, "a": a, "b": math.sqrt(delta) * a, "v2": 0.1, "s2": 0.05,
             "Delta": delta, "e2s2": 0.8}
        out[key] = c
    for (i, name), value in (over or {}).items():
        out[KEYS[i]][name] = value
    return out


def _mc(computed, z=None):
    """Monte Carlo (mean, SE) exactly at the predictions, shifted by ``z[(i, name)]`` SE."""
    z = z or {}
    out = {}
    for i, key in enumerate(KEYS):
        c = computed[key]
        var_f = c["v2"] + c["a"] ** 2 * c["e2s2"]
        pred = {"mu0": c["mu0"], "a": c["a"], "var_f": var_f,
                "var_sigma": var_f + c["b"] ** 2 + c["s2"]}
        out[key] = {n: (pred[n] + z.get((i, n), 0.0) * SE, SE) for n in QUANTITIES}
    return out


def _only_false(res, names, bad):
    assert {k: res[k] for k in names} == {k: k != bad for k in names}, res
    assert res["passed"] is False


# ------------------------------------------------------------------------------ coefficients
def test_coefficients_right_numbers_pass_every_clause():
    c = _computed()
    # MC estimates 2 SE off at one quantity of each point: within MC_SIGMAS = 5
    res = ck.compare_coefficients(c, 1e-15, _mc(c, {(0, "a"): 2.0, (1, "var_f"): -2.0}))
    assert all(res[k] for k in COEF_FLAGS) and res["identities_ok"] and res["passed"], res


def test_coefficients_closed_form_alone_fails():
    # 5e-12: 5x CLOSED_TOL, below 10x it
    c = _computed()
    _only_false(ck.compare_coefficients(c, 5e-12, _mc(c)), COEF_FLAGS, "closed_ok")


def test_coefficients_closed_form_threshold():
    c = _computed()
    assert ck.compare_coefficients(c, 0.99 * ck.CLOSED_TOL, _mc(c))["closed_ok"]
    assert not ck.compare_coefficients(c, 1.5 * ck.CLOSED_TOL, _mc(c))["closed_ok"]


@pytest.mark.parametrize("i", [0, 1])
@pytest.mark.parametrize("name", QUANTITIES)
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_coefficients_mc_alone_fails(i, name, sign):
    # one estimate 8 SE off (above MC_SIGMAS = 5, below 10x it): every quantity at every point
    # is judged, on both sides
    c = _computed()
    res = ck.compare_coefficients(c, 1e-15, _mc(c, {(i, name): sign * 8.0}))
    _only_false(res, COEF_FLAGS, "mc_ok")


def test_coefficients_mc_threshold():
    c = _computed()
    # 0.99 and 1.2 of MC_SIGMAS (a tenfold allowance would accept 1.2)
    inside = ck.compare_coefficients(c, 1e-15, _mc(c, {(1, "a"): 0.99 * ck.MC_SIGMAS}))
    outside = ck.compare_coefficients(c, 1e-15, _mc(c, {(1, "a"): 1.2 * ck.MC_SIGMAS}))
    assert inside["mc_ok"] and inside["passed"]
    assert not outside["mc_ok"] and not outside["passed"]


def test_coefficients_mc_zero_standard_error():
    # a deterministic estimate (SE 0, e.g. a = 1 for the linear activation) must be exact
    c = _computed()
    mc = _mc(c)
    mean, _ = mc[KEYS[0]]["a"]
    mc[KEYS[0]]["a"] = (mean, 0.0)
    assert ck.compare_coefficients(c, 1e-15, mc)["mc_ok"]
    mc[KEYS[0]]["a"] = (mean + 1e-9, 0.0)
    _only_false(ck.compare_coefficients(c, 1e-15, mc), COEF_FLAGS, "mc_ok")


@pytest.mark.parametrize("i", [0, 1])
def test_coefficients_b_identity_alone_fails(i):
    # b off √Δ a by 5e-14: 5x IDENTITY_TOL, below 10x it; the MC estimates follow the wrong b
    # (its effect on var_sigma is 5e-11 SE anyway)
    c0 = _computed()[KEYS[i]]
    c = _computed({(i, "b"): c0["b"] + 5 * ck.IDENTITY_TOL})
    _only_false(ck.compare_coefficients(c, 1e-15, _mc(c)), COEF_FLAGS, "b_identity_ok")


def test_coefficients_b_identity_threshold():
    c0 = _computed()[KEYS[1]]
    # The identity b = √Δ·a holds to round-off, so the check allows 1e-14 (a literal here, not
    # the module's constant, so that loosening the constant is caught).
    for frac, ok in ((0.9, True), (-0.9, True), (1.5, False), (-1.5, False)):
        c = _computed({(1, "b"): c0["b"] + frac * 1e-14})
        assert ck.compare_coefficients(c, 1e-15, _mc(c))["b_identity_ok"] is ok, frac


@pytest.mark.parametrize("name, flag", [("v2", "v2_nonneg_ok"), ("s2", "s2_nonneg_ok")])
@pytest.mark.parametrize("i", [0, 1])
def test_coefficients_negative_variance_alone_fails(name, flag, i):
    # a negative variance at one point; the MC estimates agree with it, so only the sign
    # clause can catch it
    c = _computed({(i, name): -0.01})
    _only_false(ck.compare_coefficients(c, 1e-15, _mc(c)), COEF_FLAGS, flag)


@pytest.mark.parametrize("name, flag", [("v2", "v2_nonneg_ok"), ("s2", "s2_nonneg_ok")])
def test_coefficients_variance_sign_threshold(name, flag):
    # zero is allowed (e.g. s2 = 0 for a linear activation), anything below is not
    c = _computed({(0, name): 0.0})
    assert ck.compare_coefficients(c, 1e-15, _mc(c))[flag]
    c = _computed({(0, name): -1e-12})
    assert not ck.compare_coefficients(c, 1e-15, _mc(c))[flag]


# ------------------------------------------------------------------------------ gep-vs-exact
M_A = np.array([1.0, 2.0, 5.0, 14.0])
D = 500  # finite-d allowance MOMENT_SLOPE * k * sqrt(500/d) = 0.005 k


def _allow(m_a, m_b, d):
    """The moment allowance as documented: SPREAD_FACTOR·|m_a/m_b − 1| + MOMENT_SLOPE·k·√(500/d)."""
    k = np.arange(1, 5)
    return ck.SPREAD_FACTOR * np.abs(m_a / m_b - 1) + ck.MOMENT_SLOPE * k * math.sqrt(500 / d)


def test_spectra_right_numbers_pass_every_clause():
    # exact 0.2 % off draw A, draws 0.1 % apart; W1 1.25x the draw-to-draw distance
    res = ck.judge_spectra(M_A * 1.002, M_A, M_A * 1.001, 0.010, 0.008, D)
    assert all(res[k] for k in SPEC_FLAGS) and res["passed"], res


def _one_draw_violated(draw, k):
    """Moments with ``rel`` of the exact spectrum inside the allowance for one draw and outside
    for the other, at moment ``k`` only (draws 0.1 % apart)."""
    s = 1e-3
    m_a = M_A.copy()
    m_b = M_A * (1 + s) if draw == "b" else M_A * (1 - s)
    allow = _allow(m_a, m_b, D)
    ref = m_a if draw == "b" else m_b  # the draw that stays inside
    m_ex = ref * (1 + 0.002 * (-1) ** np.arange(4))  # well inside for every moment
    m_ex[k] = ref[k] * (1 - (allow[k] - s / 2))  # s/2 inside for ref, ~s/2 outside for the other
    rel_a, rel_b = np.abs(m_ex / m_a - 1), np.abs(m_ex / m_b - 1)
    bad = rel_b if draw == "b" else rel_a
    good = rel_a if draw == "b" else rel_b
    assert np.all(good <= allow) and bad[k] > allow[k]  # preconditions, independent arithmetic
    assert np.all(np.delete(bad, k) <= np.delete(allow, k))
    return m_ex, m_a, m_b


@pytest.mark.parametrize("draw", ["a", "b"])
@pytest.mark.parametrize("k", range(4))
def test_spectra_moments_alone_fail(draw, k):
    # one moment of one GEP draw outside its allowance: every moment and both draws are judged
    m_ex, m_a, m_b = _one_draw_violated(draw, k)
    _only_false(ck.judge_spectra(m_ex, m_a, m_b, 0.010, 0.008, D), SPEC_FLAGS, "moments_ok")


@pytest.mark.parametrize("k", range(4))
@pytest.mark.parametrize("d", [500, 2000])
def test_spectra_moment_slope_threshold(k, d):
    # identical draws (no spread): only MOMENT_SLOPE·k·√(500/d) allows a difference; 0.99 of it
    # passes at every k at once, 1.5 of it fails at moment k (a tenfold slope, a slope without
    # the factor k or without √(500/d) would all accept it somewhere)
    allow = ck.MOMENT_SLOPE * np.arange(1, 5) * math.sqrt(500 / d)
    assert ck.judge_spectra(M_A * (1 + 0.99 * allow), M_A, M_A, 0.01, 0.008, d)["moments_ok"]
    assert ck.judge_spectra(M_A * (1 - 0.99 * allow), M_A, M_A, 0.01, 0.008, d)["moments_ok"]
    x = 0.99 * allow
    x[k] = 1.5 * allow[k]
    assert not ck.judge_spectra(M_A * (1 + x), M_A, M_A, 0.01, 0.008, d)["moments_ok"]


def test_spectra_spread_factor_threshold():
    # d so large that the finite-d term is negligible (5e-6 k): only SPREAD_FACTOR × spread
    # allows a difference; draws 1 % apart allow ~3 %; 0.99 of it passes, 1.2 of it fails
    # (a tenfold SPREAD_FACTOR would accept 1.2)
    d = 5 * 10**8
    m_b = M_A * 1.01
    allow = _allow(M_A, m_b, d)
    assert ck.judge_spectra(M_A * (1 + 0.99 * allow), M_A, m_b, 0.01, 0.008, d)["moments_ok"]
    assert not ck.judge_spectra(M_A * (1 + 1.2 * allow), M_A, m_b, 0.01, 0.008, d)["moments_ok"]


def test_spectra_w1_alone_fails():
    # W1 of the exact spectrum 3x the draw-to-draw distance (W1_FACTOR = 2, below 10x it)
    res = ck.judge_spectra(M_A * 1.002, M_A, M_A * 1.001, 0.024, 0.008, D)
    _only_false(res, SPEC_FLAGS, "w1_ok")


def test_spectra_w1_threshold():
    thr = ck.W1_FACTOR * 0.008
    assert ck.judge_spectra(M_A, M_A, M_A, 0.99 * thr, 0.008, D)["w1_ok"]
    assert not ck.judge_spectra(M_A, M_A, M_A, 1.2 * thr, 0.008, D)["w1_ok"]
