"""Class times (classdyn.simulate.times; THEORY.md §3, paper's (15)) and Results 2-3 at small size."""

import math

import numpy as np
import pytest

from classdyn.simulate.dynamics import semi_analytic_curves, tau_grid
from classdyn.simulate.systems import draw_system
from classdyn.simulate.times import class_times, first_class, gaps
from classdyn.theory.params import Mixture

TAU = tau_grid(1e-2, 1e5, 160)


def _synthetic(tau, t0, t1, depth, height):
    """A dip at ~t0 and a rise to 1 + height at ~t1 >> t0: independent closed form."""
    x0, x1 = tau / t0, tau / t1
    return 1 - depth * x0 / (1 + x0) + (depth + height) * x1**2 / (1 + x1**2)


def test_times_of_a_synthetic_curve():
    # Expected values from the closed form by a dense grid + bisection (not from the code):
    tau = tau_grid(1e-3, 1e6, 400)
    E = _synthetic(tau, 1.0, 100.0, 0.3, 0.5)
    fine = np.geomspace(1e-3, 1e6, 2_000_001)
    Ef = _synthetic(fine, 1.0, 100.0, 0.3, 0.5)
    i = int(np.argmin(Ef))
    tg_true = fine[i]
    lo, hi = fine[i], 1e6
    for _ in range(200):
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if _synthetic(mid, 1.0, 100.0, 0.3, 0.5) < 1 else (lo, mid)
    tm_true = lo
    ct = class_times(tau, E[None, :])
    # grid spacing is 5.3 % in tau; the parabolic vertex in log tau and the linear crossing
    # are accurate to well under one spacing: measured 0.013 % and 0.018 % (the reference's
    # own grid is 0.001 %); tolerance 0.1 % (was 1 %).
    assert ct.tau_gen[0] == pytest.approx(tg_true, rel=1e-3)
    assert ct.tau_mem[0] == pytest.approx(tm_true, rel=1e-3)
    assert ct.mem_reached[0] and ct.gen_interior[0]
    # threshold and "1 % worse" variants move tau_mem the right way
    assert class_times(tau, E[None], threshold=1.2).tau_mem[0] > ct.tau_mem[0]
    assert class_times(tau, E[None], worse_than_min=0.01).tau_mem[0] < ct.tau_mem[0]


def test_never_memorised_is_reported_not_nan():
    tau = tau_grid(1e-2, 1e2, 50)
    E = 1 - 0.2 * tau / (1 + tau)  # decreasing: no rise
    ct = class_times(tau, np.vstack([E, E]))
    assert not ct.mem_reached.any() and np.all(np.isinf(ct.tau_mem))
    assert not ct.gen_interior.any()


def test_gaps_and_first_class():
    tau = tau_grid(1e-3, 1e6, 300)
    # class 1 is class 0 slowed down 10x (tau -> tau/10): both gaps are exactly -1 in log10
    E = np.vstack([_synthetic(tau, 1.0, 100.0, 0.3, 0.5), _synthetic(tau / 10, 1.0, 100.0, 0.3,
                                                                        0.5)])
    ct = class_times(tau, E)
    g = gaps(ct)
    # measured deviations 1.9e-4 and 3e-5 in log10 (0.1 % timing tolerance of the previous test
    # = 4.3e-4); allow 1e-3 (was 0.01)
    assert g["gen"]["0-1"] == pytest.approx(-1.0, abs=1e-3)
    assert g["mem"]["0-1"] == pytest.approx(-1.0, abs=1e-3)
    assert first_class(ct, "gen") == 0 and first_class(ct, "mem") == 0


def test_bad_inputs():
    with pytest.raises(ValueError, match="tau"):
        class_times([1.0, 0.5, 2.0], np.ones((1, 3)))
    with pytest.raises(ValueError, match="curves"):
        class_times(TAU, np.ones((2, 5)))
    with pytest.raises(ValueError, match="finite"):
        class_times(TAU[:3], np.array([[1.0, np.nan, 1.0]]))
    with pytest.raises(ValueError, match="worse_than_min"):
        class_times(TAU[:3], np.ones((1, 3)), worse_than_min=-0.1)
    with pytest.raises(ValueError, match="which"):
        first_class(class_times(TAU[:3], np.array([[1.0, 0.9, 1.1]])), "foo")


# ------------------------------------------------------------------ Result 2 (paper's Fig. 3)
def _times(mix, d=60, psi_p=2.0, psi_n=1.0, t=0.1, seed=0):
    _, _, fs = draw_system(mix, d, psi_p, psi_n, t, seed=seed)
    lc = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, TAU, t)
    return class_times(TAU, lc.test)


@pytest.mark.parametrize("norms2", [0.0, 1.0], ids=["centred", "extensive"])
def test_result2_higher_variance_first(norms2):
    # Doubling class 0's variance makes it reach tau_gen and tau_mem first, by a clear margin
    # (a factor > 1.5 in tau; measured ~1.8 at d = 60): the baseline classes differ only by
    # the sample, so a margin of 1.5 is far beyond sampling noise (baseline ratio within 3 %).
    base = _times(Mixture(variances=(1.0, 1.0), norms2=(norms2, norms2)))
    assert np.allclose(base.tau_gen[0], base.tau_gen[1], rtol=0.05)
    ct = _times(Mixture(variances=(2.0, 1.0), norms2=(norms2, norms2)))
    assert ct.tau_gen[1] / ct.tau_gen[0] > 1.5
    assert ct.tau_mem[1] / ct.tau_mem[0] > 1.5


def test_result2_smaller_norm_first_more_weakly_and_weights_modulate():
    # Halving class 0's centroid norm (extensive classes) makes it reach both times first,
    # more weakly than doubling its variance: ratios > 1.02 (sampling noise of the baseline
    # ratio is < 2 %, measured 1.8 %) but below the variance ratios.
    base = _times(Mixture(variances=(1.0, 1.0), norms2=(1.0, 1.0)))
    half = _times(Mixture(variances=(1.0, 1.0), norms2=(0.5, 1.0)))
    var2 = _times(Mixture(variances=(2.0, 1.0), norms2=(1.0, 1.0)))
    r_half = half.tau_gen[1] / half.tau_gen[0], half.tau_mem[1] / half.tau_mem[0]
    r_base = base.tau_gen[1] / base.tau_gen[0], base.tau_mem[1] / base.tau_mem[0]
    r_var = var2.tau_gen[1] / var2.tau_gen[0], var2.tau_mem[1] / var2.tau_mem[0]
    for k in range(2):
        assert r_half[k] > r_base[k] * 1.02
        assert r_half[k] < r_var[k]
    # skewed weights modulate the variance effect without reversing it: the high-variance class
    # stays first, and its times shift (later when it is the majority)
    lo = _times(Mixture(variances=(2.0, 1.0), weights=(0.3, 0.7), norms2=(1.0, 1.0)))
    hi = _times(Mixture(variances=(2.0, 1.0), weights=(0.7, 0.3), norms2=(1.0, 1.0)))
    assert first_class(lo, "gen") == first_class(hi, "gen") == 0
    assert first_class(lo, "mem") == first_class(hi, "mem") == 0
    assert hi.tau_gen[0] > lo.tau_gen[0] * 1.05 and hi.tau_mem[0] > lo.tau_mem[0] * 1.05


# ------------------------------------------------------------------ Result 3 (paper's Fig. 4)
def test_result3_tradeoff_in_the_weight_of_the_high_variance_class():
    # Sweep rho of the high-variance class (variance 4 vs 1, centred, psi_p = 8, psi_n = 4,
    # t = 0.01, d = 30): the generalisation gap log10(tau_gen^hi/tau_gen^lo) widens and the
    # memorisation gap narrows as rho grows: closing one gap widens the other. Trends are
    # least-squares slopes against rho; measured -0.33 and +0.19 per unit rho; required: the
    # signs, with |slope| > 0.05 (the scatter of the gaps about the fit is < 0.02).
    rhos = np.array([0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9])
    g_gen, g_mem = [], []
    for r in rhos:
        ct = _times(Mixture(variances=(4.0, 1.0), weights=(r, 1 - r)), d=30, psi_p=8.0,
                    psi_n=4.0, t=0.01)
        g = gaps(ct)
        g_gen.append(g["gen"]["0-1"])
        g_mem.append(g["mem"]["0-1"])
    s_gen = np.polyfit(rhos, g_gen, 1)[0]
    s_mem = np.polyfit(rhos, g_mem, 1)[0]
    assert s_gen < -0.05 and s_mem > 0.05, (g_gen, g_mem)


def test_exact_cases_parabola_vertex_and_log_linear_crossing():
    # A curve that is exactly a parabola in log tau around its minimum and exactly linear in
    # log tau where it rises through the threshold: the parabolic vertex and the linear
    # interpolation in log tau are then exact, on a non-uniform grid. Rounding only: 1e-12.
    rng = np.random.default_rng(2)
    lt = np.sort(rng.uniform(np.log(1e-2), np.log(1e4), 60))
    tau = np.exp(lt)
    lg, lm = math.log(0.7), math.log(10.0)  # vertex at tau = 0.7; kink at tau = 10
    E = np.where(lt < lm, 0.6 + 0.05 * (lt - lg) ** 2,
                 0.6 + 0.05 * (lm - lg) ** 2 + 0.2 * (lt - lm))
    E_kink = 0.6 + 0.05 * (lm - lg) ** 2
    ct = class_times(tau, E[None, :])
    assert ct.tau_gen[0] == pytest.approx(0.7, rel=1e-12)
    assert ct.min_loss[0] == E.min() and ct.gen_interior[0]
    # threshold 1 is crossed on the linear branch (E_kink = 0.954 < 1) at
    # log tau = lm + (1 - E_kink)/0.2
    assert E_kink < 1.0
    assert ct.tau_mem[0] == pytest.approx(math.exp(lm + (1 - E_kink) / 0.2), rel=1e-12)
    assert ct.threshold[0] == 1.0 and ct.mem_reached[0]
    # "r worse than the minimum": threshold (1 + r) min E on the grid, crossed on the parabola
    # branch just after the minimum is left (a parabola, so take the bracketing points' chord)
    ct2 = class_times(tau, E[None, :], threshold=5.0, worse_than_min=0.02)
    thr = 1.02 * E.min()
    assert ct2.threshold[0] == pytest.approx(thr, rel=1e-15)
    i = int(np.argmin(E))
    j = i + 1 + int(np.flatnonzero(E[i + 1:] >= thr)[0])
    x = lt[j - 1] + (thr - E[j - 1]) / (E[j] - E[j - 1]) * (lt[j] - lt[j - 1])
    assert ct2.tau_mem[0] == pytest.approx(math.exp(x), rel=1e-12)
    # a crossing of the threshold *before* the minimum does not count (E starts above it)
    E3 = E.copy()
    E3[0] = 2.0
    assert class_times(tau, E3[None, :]).tau_mem[0] == pytest.approx(ct.tau_mem[0], rel=1e-15)


def test_minimum_at_either_end_of_the_grid():
    tau = tau_grid(1e-2, 1e2, 30)
    rising = 1 + 0.1 * np.log(tau / tau[0])  # minimum at the first point
    ct = class_times(tau, rising[None, :])
    assert not ct.gen_interior[0] and ct.tau_gen[0] == tau[0] and ct.min_loss[0] == 1.0
    # rises through 1.2 at log(tau/tau0) = 2, exactly on the log-linear curve
    ct = class_times(tau, rising[None, :], threshold=1.2)
    assert ct.tau_mem[0] == pytest.approx(tau[0] * math.exp(2.0), rel=1e-12)
    falling = rising[::-1]
    ct = class_times(tau, falling[None, :])
    assert not ct.gen_interior[0] and ct.tau_gen[0] == tau[-1]
    assert not ct.mem_reached[0] and ct.tau_mem[0] == math.inf


def test_gaps_and_first_class_by_time():
    # class 0 generalises first (tau_gen = 1 vs 10) but memorises last: E = 0.5 + k (log tau -
    # log tau_gen)^2 reaches 1 at log tau_gen + sqrt(0.5/k): e^10 = 2.2e4 (k = 0.005) against
    # 10 e^sqrt(10) = 237 (k = 0.05). first_class must look at the time asked for; the gaps
    # are log10 ratios (grid spacing 4.7 % in tau: 0.02 in log10 is ample).
    tau = tau_grid(1e-3, 1e6, 300)
    lt = np.log(tau)
    E = np.vstack([0.5 + 0.005 * lt**2, 0.5 + 0.05 * (lt - math.log(10.0)) ** 2])
    ct = class_times(tau, E)
    assert first_class(ct, "gen") == 0 and first_class(ct, "mem") == 1
    g = gaps(ct)
    assert g["gen"]["0-1"] == pytest.approx(-1.0, abs=0.02)
    assert g["mem"]["0-1"] == pytest.approx((10 - math.sqrt(10)) / math.log(10) - 1, abs=0.02)


def test_bad_inputs_at_their_bounds():
    tau = np.array([0.1, 1.0, 10.0])
    assert class_times(tau, np.array([[1.0, 0.5, 1.5]])).mem_reached[0]  # 3 points suffice
    with pytest.raises(ValueError, match=">= 3 points"):
        class_times(tau[:2], np.ones((1, 2)))
    with pytest.raises(ValueError, match="worse_than_min"):
        class_times(tau, np.ones((1, 3)), worse_than_min=0.0)
    with pytest.raises(ValueError, match="threshold"):
        class_times(tau, np.ones((1, 3)), threshold=math.inf)
    with pytest.raises(ValueError, match="tau"):
        class_times([0.0, 1.0, 2.0], np.ones((1, 3)))
