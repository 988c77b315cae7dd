"""Semi-analytic loss curves (classdyn.simulate.dynamics; THEORY.md §2-§3)."""

import math

import numpy as np
import pytest

from classdyn.simulate.dynamics import (eigenbasis, losses_at, relax_factors, score_error_mc,
                               semi_analytic_curves, tau_grid, weights_at)
from classdyn.simulate.systems import draw_system
from classdyn.simulate.times import class_times
from classdyn.theory.params import Mixture, delta_t

T = 0.1
TAU = tau_grid(1e-2, 1e5, 120)


@pytest.fixture(scope="module")
def centred():
    mix = Mixture(variances=(1.0, 2.0))
    W, data, fs = draw_system(mix, 60, 2.0, 1.0, T, seed=0)
    return mix, W, data, fs


@pytest.fixture(scope="module")
def curves(centred):
    mix, W, data, fs = centred
    return semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, TAU, T, mix.variances)


def test_losses_start_at_one(centred):
    # A(0) = 0, so every loss is exactly 1 at tau = 0 (g_k(0) = 0): rounding only.
    mix, W, data, fs = centred
    lc = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, [0.0, 1e-12], T, mix.variances)
    assert np.allclose(lc.test[:, 0], 1.0, atol=1e-14, rtol=0)
    assert lc.train[0] == pytest.approx(1.0, abs=1e-14)
    # at tau = 1e-12 the change is O(tau): below 1e-10
    assert np.allclose(lc.test[:, 1], 1.0, atol=1e-10, rtol=0)


def test_train_loss_decreases_monotonically(curves):
    # gradient flow on a convex quadratic: E_train is non-increasing; 1e-13 allows rounding
    # of the O(1) values summed over p modes.
    assert np.all(np.diff(curves.train) <= 1e-13)
    assert curves.train[-1] < curves.train[0] - 0.1


def test_vectorised_curves_equal_the_trace_formula(centred):
    # Two computations of E_c(tau): the eigen-sum of THEORY.md §3 on a grid, and
    # A(tau) = -sqrt(p/Delta) V^T U^{-1}(I - e^{-U tau}) (paper's (6)) inserted into
    # E(A) = 1 + (Delta/(pd)) tr(A U_c A^T) + ... (paper's (14)). Only rounding differs: measured
    # 4.4e-15, tolerance 1e-12 (was 1e-10).
    mix, W, data, fs = centred
    for tau in (0.05, 3.0, 400.0):
        lc = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, [tau], T, mix.variances)
        A = weights_at(tau, fs.U, fs.V, T)
        tr, te = losses_at(A, fs.U, fs.V, fs.Uc, fs.Vc, T)
        assert lc.train[0] == pytest.approx(tr, abs=1e-12)
        assert np.allclose(lc.test[:, 0], te, atol=1e-12)


def test_relax_factors_stable_at_extremes():
    lam = np.array([0.0, 1e-20, 1e-6, 1.0, 1e6])
    tau = np.array([0.0, 1e-9, 1.0, 1e12])
    g = relax_factors(lam, tau)
    assert np.all(np.isfinite(g))
    # lambda = 0: g = tau exactly; lambda = 1e-20: g = tau (1 - lambda tau/2 + ...), relative
    # deviation up to 5e-9 at tau = 1e12 (measured 5.0e-9): rtol 1e-8. lambda tau >> 1:
    # g = 1/lambda (relative 1e-15)
    assert np.array_equal(g[:, 0], tau) and np.allclose(g[:, 1], tau, rtol=1e-8, atol=0)
    assert g[-1, 4] == pytest.approx(1e-6, rel=1e-15)
    assert g[2, 3] == pytest.approx(-math.expm1(-1.0), rel=1e-15)
    # discrete GD with step -> 0 tends to the flow: error O(lambda step) = 1e-6 relative
    gd = relax_factors(lam[:4], tau[:3], step=1e-7)
    assert np.allclose(gd, g[:3, :4], rtol=2e-6, atol=0)


def test_dip_and_rise_where_the_spectrum_edges_say(centred):
    # THEORY.md §5 (psi_n > 1): the top d eigenvalues of U form the population bulk whose lower
    # edge lambda_gen sets tau_gen ~ 1/lambda_gen; the next n - d form the memorisation bulk
    # whose upper edge lambda_mem sets tau_mem ~ 1/lambda_mem. Order of magnitude: a factor 10
    # either way (the class times are read off one class's curve, the edges off the spectrum).
    mix = Mixture(variances=(1.0, 2.0))
    d = 50
    W, data, fs = draw_system(mix, d, 4.0, 2.0, T, seed=3)
    lc = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, TAU, T, mix.variances)
    times = class_times(TAU, lc.test)
    lam = np.sort(lc.eigvals)[::-1]
    lam_gen, lam_mem = lam[d - 1], lam[d]
    assert lam_gen > 1.5 * lam_mem  # a visible gap between the two bulks
    for c in range(2):
        assert 0.1 / lam_gen < times.tau_gen[c] < 10 / lam_gen
        assert times.mem_reached[c]
        assert 0.1 / lam_mem < times.tau_mem[c] < 10 / lam_mem
        # dip and rise: the minimum is below 1, and the loss ends above 1
        assert times.min_loss[c] < 0.99 and lc.test[c, -1] > 1.0


@pytest.mark.parametrize("norms2", [0.0, 1.0], ids=["centred", "extensive"])
def test_gep_curves_agree_with_exact(norms2):
    # GEP (Gaussian equivalence, THEORY.md §4) against the exact Mehler/Stein matrices on the
    # same W and data, d = 100, tanh. Tolerance: up to tau_mem the curves agree to 0.01
    # absolute (measured 0.006; GEP and exact spectra differ by ~0.04-0.4 % in moments and near
    # the bottom edge s^2 by O(d^-1/2), THEORY.md §4), beyond tau_mem, where the slowest modes
    # near the bottom edge dominate, to 4 % relative (measured 1.4 %); class times within 5 %
    # (measured < 1.5 %).
    mix = Mixture(variances=(1.0, 2.0), norms2=(norms2, norms2))
    _, _, fe = draw_system(mix, 100, 2.0, 1.0, T, seed=0)
    _, _, fg = draw_system(mix, 100, 2.0, 1.0, T, kind="gep", seed=0)
    le = semi_analytic_curves(fe.U, fe.V, fe.Uc, fe.Vc, TAU, T)
    lg = semi_analytic_curves(fg.U, fg.V, fg.Uc, fg.Vc, TAU, T)
    te, tg = class_times(TAU, le.test), class_times(TAU, lg.test)
    for c in range(2):
        early = TAU <= te.tau_mem[c]
        assert np.max(np.abs(le.test[c, early] - lg.test[c, early])) < 0.01
        assert np.max(np.abs(le.test[c] / lg.test[c] - 1)) < 0.04
    assert np.allclose(te.tau_gen, tg.tau_gen, rtol=0.05)
    assert np.allclose(te.tau_mem, tg.tau_mem, rtol=0.05)


def test_score_error_is_affine_image_of_class_loss():
    # THEORY.md §3 / paper App. H: for well-separated classes E_score^c = (E_c - 1)/Delta +
    # 1/Gamma_c^2, so the class times coincide. Checked against a Monte Carlo estimate with the
    # exact mixture score (posterior weights included), extensive centroids |mu|^2 = 4d.
    # Tolerance: 5 Monte Carlo standard errors (estimated from the per-sample spread).
    mix = Mixture(variances=(0.5, 1.0), norms2=(4.0, 4.0))
    t = 0.2
    W, data, fs = draw_system(mix, 40, 2.0, 1.0, t, seed=1)
    for tau in (1.0, 30.0):
        lc = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, [tau], t, mix.variances)
        A = weights_at(tau, fs.U, fs.V, t)
        mc = np.array([score_error_mc(A, W, mix, data.centroids, t, "tanh", 4000, seed=s)
                       for s in range(4)])
        se = mc.std(axis=0, ddof=1) / 2.0
        assert np.all(np.abs(mc.mean(0) - lc.score[:, 0]) < 5 * se + 1e-3), (mc, lc.score)
    # the affine map preserves the argmin and the crossing ordering
    lc = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, TAU, t, mix.variances)
    D = delta_t(t)
    gam2 = math.exp(-2 * t) * np.asarray(mix.variances) + D
    assert np.allclose(lc.score, (lc.test - 1) / D + 1 / gam2[:, None], atol=1e-12)
    assert np.array_equal(np.argmin(lc.score, 1), np.argmin(lc.test, 1))


def test_bad_inputs_raise(centred):
    mix, W, data, fs = centred
    with pytest.raises(ValueError, match="tau"):
        semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, [-1.0], T)
    with pytest.raises(ValueError, match="Vc"):
        semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc[:, :, :-1], TAU, T)
    with pytest.raises(ValueError, match="square"):
        eigenbasis(fs.U[:, :-1], fs.V)
    with pytest.raises(ValueError, match="V must"):
        eigenbasis(fs.U, fs.V[:-1])
    with pytest.raises(ValueError, match="Uc"):
        semi_analytic_curves(fs.U, fs.V, fs.Uc[:, :3], fs.Vc, TAU, T)
    with pytest.raises(ValueError, match="positive semi-definite"):
        eigenbasis(-fs.U, fs.V)
    with pytest.raises(ValueError, match="symmetric"):
        bad = fs.U.copy()
        bad[0, 1] += 1.0
        eigenbasis(bad, fs.V)
    with pytest.raises(ValueError, match="finite"):
        bad = fs.U.copy()
        bad[0, 0] = np.nan
        eigenbasis(bad, fs.V)
    with pytest.raises(ValueError, match="t"):
        semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, TAU, 0.0)
    with pytest.raises(ValueError, match="step"):
        relax_factors(np.array([10.0]), np.array([1.0]), step=0.2)
    with pytest.raises(ValueError, match="tau_max"):
        tau_grid(1.0, 0.5)


def test_dip_and_rise_at_the_theoretical_edge_times():
    # The same claim against the spectrum issue's edges (classdyn.theory.timescales, THEORY.md §5:
    # tau_gen = 1/lambda_gen, tau_mem = 1/lambda_mem from the deterministic equivalent, d -> inf).
    # Order of magnitude: within a factor 10 of each class's time; and the classes' times
    # bracket the theory's ordering tau_gen < tau_mem.
    from classdyn.theory.params import RandomFeatures
    from classdyn.theory.timescales import timescales_model

    mix = Mixture(variances=(1.0, 2.0))
    ts = timescales_model(mix, RandomFeatures(4.0, 2.0, "tanh"), T)
    assert ts.tau_gen is not None and ts.tau_mem is not None
    _, _, fs = draw_system(mix, 50, 4.0, 2.0, T, seed=3)
    lc = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, TAU, T)
    times = class_times(TAU, lc.test)
    for c in range(2):
        assert 0.1 * ts.tau_gen < times.tau_gen[c] < 10 * ts.tau_gen
        assert 0.1 * ts.tau_mem < times.tau_mem[c] < 10 * ts.tau_mem


# ------------------------------------------------------------------ relaxation factors, exactly
def test_gd_stability_bound_is_one_over_lambda_max(centred):
    # THEORY.md §3 / relax_factors: discrete GD needs lambda_max * step < 1. The bound is computed
    # here independently (numpy.linalg.eigvalsh of the same U; scipy's eigh inside the code
    # agrees to ~1e-15 relative), and probed 1e-6 relative either side of it.
    mix, W, data, fs = centred
    lam_max = float(np.linalg.eigvalsh(fs.U)[-1])
    lam = eigenbasis(fs.U, fs.V).lam
    tau = np.array([0.0, 1.0, 10.0])
    for step in ((1 + 1e-6) / lam_max, 1.5 / lam_max, 1.99 / lam_max):
        with pytest.raises(ValueError, match="step"):
            relax_factors(lam, tau, step=step)
        with pytest.raises(ValueError, match="step"):
            semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, tau, T, step=step)
    ok = (1 - 1e-6) / lam_max
    g = relax_factors(lam, tau, step=ok)
    assert np.all(np.isfinite(g)) and np.all(g >= 0)
    lc = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, tau, T, step=ok)
    assert np.all(np.isfinite(lc.test))


def test_gd_relax_factors_equal_the_explicit_recursion():
    # Discrete GD on one mode: g_{K+1} = (1 - lam step) g_K + step, g_0 = 0 (the mean GD step
    # A <- A - step (A U + c V^T) in the eigenbasis), iterated step by step at 30 digits. Covers
    # lam = 0 and lam step = 1e-18 (the code's lam step < 1e-12 branch, g = tau: relative error
    # K lam step/2 = 1e-15 at K = 2000) up to lam step = 0.999999. Measured worst relative
    # difference 1.1e-15 (that branch; 2.2e-16 elsewhere); tolerance 1e-14.
    import mpmath

    mpmath.mp.dps = 30
    step = 0.01
    lam = np.array([0.0, 1e-16, 1e-3, 1.0, 50.0, 99.0, 99.9999])
    Ks = [0, 1, 2, 7, 100, 2000]
    g = relax_factors(lam, np.array(Ks) * step, step=step)
    ref = np.zeros((len(Ks), lam.size))
    s = mpmath.mpf(step)
    for j, lj in enumerate(lam):
        cur, L = mpmath.mpf(0), mpmath.mpf(float(lj))
        for k in range(Ks[-1] + 1):
            if k in Ks:
                ref[Ks.index(k), j] = float(cur)
            cur = (1 - L * s) * cur + s
    assert np.all(g[0] == 0.0)
    assert np.allclose(g[1:], ref[1:], rtol=1e-14, atol=0)


def test_flow_relax_factors_against_high_precision():
    # Gradient flow g(tau) = (1 - exp(-lam tau))/lam, against mpmath at 40 digits on both sides
    # of the small-argument switch (x = lam tau = 1e-8) and deep into saturation. Measured
    # worst relative error 2.2e-16 (one ulp); tolerance 4e-16 (two ulps). A wrong sign in the
    # series branch errs by x = 1e-9 relative, a switch moved to 1e-6 by x^2/6 ~ 2e-15 at 1e-7.
    import mpmath

    mpmath.mp.dps = 40
    tau = np.array([1.0])
    for x in (1e-12, 1e-9, 3e-9, 1e-8, 2e-8, 1e-7, 1e-5, 1e-3, 0.1, 1.0, 7.0, 40.0, 1e3):
        lam = np.array([x])
        ref = float(-mpmath.expm1(-mpmath.mpf(x)) / mpmath.mpf(x))
        got = relax_factors(lam, tau)[0, 0]
        assert got == pytest.approx(ref, rel=4e-16, abs=0), (x, got, ref)
    # scaling: g(lam, tau) = tau g(lam tau, 1) exactly in exact arithmetic
    got = relax_factors(np.array([2.0]), np.array([0.25, 3.0]))[:, 0]
    assert np.allclose(got, [-math.expm1(-0.5) / 2.0, -math.expm1(-6.0) / 2.0], rtol=4e-16,
                       atol=0)


def test_tau_grid_and_tau_checks_at_their_bounds():
    # log-spaced: tau_grid(1e-2, 1e4, 7) = 10^-2 ... 10^4 (rounding only, 1e-14 relative)
    assert np.allclose(tau_grid(1e-2, 1e4, 7), 10.0 ** np.arange(-2, 5), rtol=1e-14, atol=0)
    assert tau_grid(1.0, 2.0, 2).tolist() == [1.0, 2.0]
    for args, word in [((1.0, 1.0), "tau_max"), ((0.0, 1.0), "tau_min"),
                       ((1.0, math.inf), "tau_max"), ((1.0, 2.0, 1), "num")]:
        with pytest.raises(ValueError, match=word):
            tau_grid(*args)
    # tau = 0 is allowed (g = 0), negative or nan times are not
    assert np.all(relax_factors(np.array([0.0, 1.0]), np.array([0.0])) == 0.0)
    for bad in ([-1e-300], [np.nan], []):
        with pytest.raises(ValueError, match="tau"):
            relax_factors(np.array([1.0]), np.array(bad))
    with pytest.raises(ValueError, match="step"):
        relax_factors(np.array([1.0]), np.array([1.0]), step=0.0)


def test_eigenbasis_guards_at_their_tolerances():
    # U = Q diag(lam) Q^T built here: eigenvalues, rotation V~ = Q^T V (so Q V~ = V) exact to
    # rounding (1e-13). Symmetry is tested at 1e-8 relative: 1e-6 refused, 1e-11 accepted;
    # PSD at NEG_EIG_RTOL = 1e-9 relative: -1e-7 refused, -1e-12 accepted and set to 0.
    rng = np.random.default_rng(4)
    p, d = 12, 5
    Q, _ = np.linalg.qr(rng.standard_normal((p, p)))
    lam = np.linspace(0.0, 2.0, p)
    V = rng.standard_normal((p, d))
    U = (Q * lam) @ Q.T
    eb = eigenbasis(U, V)
    assert np.allclose(eb.lam, lam, rtol=0, atol=1e-13)
    assert np.allclose(eb.Q @ eb.Vt, V, rtol=0, atol=1e-13)
    assert np.allclose((eb.Q * eb.lam) @ eb.Q.T, U, rtol=0, atol=1e-13)
    E = np.zeros((p, p))
    E[0, 1] = 1.0
    with pytest.raises(ValueError, match="symmetric"):
        eigenbasis(U + 2e-6 * E, V)
    eigenbasis(U + 2e-11 * E, V)
    for neg, ok in ((-1e-7, False), (-1e-12, True)):
        lam2 = lam.copy()
        lam2[0] = neg * lam.max()
        U2 = (Q * lam2) @ Q.T
        if ok:
            assert eigenbasis(U2, V).lam.min() == 0.0
        else:
            with pytest.raises(ValueError, match="positive semi-definite"):
                eigenbasis(U2, V)


def test_curves_against_matrix_exponential_and_explicit_loss():
    # Independent route, no eigendecomposition: A(tau) = -sqrt(p/Delta) V^T M(tau) with
    # M(tau) = int_0^tau e^{-U s} ds read off the top-right block of expm([[-U, I], [0, 0]] tau)
    # (gradient flow dA/dtau = -(A U + sqrt(p/Delta) V^T), A(0) = 0), and the losses from their
    # definition with the residual of the linear model written out (THEORY.md §2-§3):
    #   train: (1/(n d)) sum_nu E_xi |sqrt(Delta) A W x_t/sqrt(p d) + xi|^2,
    #   class c: the same with x ~ N(mu_c, sigma_c^2 I) instead of the training points,
    # with x_t = e^{-t} x + sqrt(Delta) xi, so r = B x + M xi,
    # B = sqrt(Delta) e^{-t} A W/sqrt(p d), M = Delta A W/sqrt(p d) + I and
    # E|r|^2 = |B x|^2 (+ sigma^2 |B|_F^2 for a class) + |M|_F^2.
    # Measured agreement 1.1e-15; tolerance 1e-12 (expm of a 2p x 2p matrix at tau up to 25;
    # the score error divides by Delta = 0.5: 1e-11).
    from scipy.linalg import expm

    mix = Mixture(variances=(0.5, 2.0), weights=(0.3, 0.7), norms2=(1.0, 0.5), overlaps=[0.3])
    t = 0.35
    W, data, fs = draw_system(mix, 12, 2.0, 1.5, t, activation="linear", seed=6)
    p, d = W.shape
    n = data.X.shape[0]
    D, e = delta_t(t), math.exp(-t)
    taus = [0.0, 0.3, 2.0, 25.0]
    lc = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, taus, t, mix.variances)
    aug = np.zeros((2 * p, 2 * p))
    aug[:p, :p] = -fs.U
    aug[:p, p:] = np.eye(p)
    for k, tau in enumerate(taus):
        M = expm(aug * tau)[:p, p:]
        A = -math.sqrt(p / D) * fs.V.T @ M
        B = math.sqrt(D) * e * A @ W / math.sqrt(p * d)
        Mx = D * A @ W / math.sqrt(p * d) + np.eye(d)
        noise = np.sum(Mx**2)
        train = (np.sum((data.X @ B.T) ** 2) / n + noise) / d
        assert lc.train[k] == pytest.approx(train, abs=1e-12)
        tr2, te2 = losses_at(A, fs.U, fs.V, fs.Uc, fs.Vc, t)
        assert tr2 == pytest.approx(train, abs=1e-12)
        for c in range(2):
            mu = data.centroids[c]
            test = (np.sum((B @ mu) ** 2) + mix.variances[c] * np.sum(B**2) + noise) / d
            assert lc.test[c, k] == pytest.approx(test, abs=1e-12)
            assert te2[c] == pytest.approx(test, abs=1e-12)
            # score error: THEORY.md §3 affine map with Gamma_c^2 = e^{-2t} sigma_c^2 + Delta
            gam2 = e * e * mix.variances[c] + D
            assert lc.score[c, k] == pytest.approx((test - 1) / D + 1 / gam2, abs=1e-11)
    # the curves move: the test is not comparing constants
    assert lc.train[-1] < 0.9 and np.ptp(lc.test) > 0.05


def test_variances_must_match_classes(centred):
    mix, W, data, fs = centred
    for bad in ([1.0], [1.0, 0.0], [1.0, -2.0]):
        with pytest.raises(ValueError, match="variances"):
            semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, TAU[:3], T, bad)


def test_score_error_mc_uses_the_posterior_of_the_mixture():
    # A = 0 (s_A = 0): E_score^c = (1/d) E_{x~c} |grad log P_t(x)|^2. Two concentric classes
    # whose radii differ (variances 0.25 and 4, d = 200) are told apart by |x|^2/d with
    # certainty up to e^{-O(d)}, so grad log P_t(x) = -x/Gamma_c^2 on class c and the error is
    # E|x|^2/(d Gamma_c^4) = 1/Gamma_c^2 (closed form). Monte Carlo over 1000 points: relative
    # standard error sqrt(2/(d n_mc)) = 0.3 %; tolerance 2 %. (The Gaussian normalisations
    # matter here: without them the posterior picks the wider class and the error is off by 20x.)
    mix = Mixture(variances=(0.25, 4.0), weights=(0.7, 0.3))
    t, d, p = 0.5, 200, 3
    mu = np.zeros((2, d))
    W = np.random.default_rng(0).standard_normal((p, d))
    got = score_error_mc(np.zeros((d, p)), W, mix, mu, t, "tanh", n_mc=1000, seed=1)
    gam2 = math.exp(-2 * t) * np.array([0.25, 4.0]) + delta_t(t)
    assert np.allclose(got, 1 / gam2, rtol=0.02), (got, 1 / gam2)
