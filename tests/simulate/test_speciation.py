"""Finite-size speciation (classdyn.simulate.speciation) against THEORY.md §7 (classdyn.theory.speciation)."""

import math

import numpy as np
import pytest

from classdyn.simulate.speciation import fit_slopes, last_crossing, speciation_sweep
from classdyn.theory.params import Mixture
from classdyn.theory.speciation import (power_law_weights, speciation_slopes,
                               speciation_times)

TS = np.linspace(0.5, 5.0, 19)


def _sweeps(gamma, ds, repeats=3, activation="linear"):
    out = []
    for d in ds:
        w = power_law_weights([0.0, gamma], d) if gamma > 0 else (0.5, 0.5)
        mix = Mixture(variances=(1.0, 1.0), weights=tuple(w), norms2=(1.0, 1.0))
        sw = [speciation_sweep(mix, d, 2.0, 1.0, TS, activation, seed=100 * d + r)
              for r in range(repeats)]
        out.append(sw)
    return out


@pytest.mark.parametrize("gamma", [0.0, 0.5])
def test_speciation_slopes_against_log_d(gamma):
    # Paper's Fig. 1 / Result 1: t_s^c against log d has slope (1 - gamma_c)/2 (gamma_1 = 0 for
    # the majority class). Linear activation (closed-form exact U; the spike/bulk structure is
    # that of THEORY.md §7 with a = 1), d = 100, 200, 400, 3 draws each, both detectors.
    # Tolerance 0.1 on the slope: one draw's t_s scatters by ~0.1 (measured across draws), so
    # with 3 draws over a lever arm ln 4 the slope's standard error is ~0.05; the finite-size
    # drift of the order-one offset (edge below its asymptote, BBP crossing ~ d^{-1/3}) adds a
    # bias of the same order (measured slopes 0.44-0.49 for 0.5 and 0.18-0.22 for 0.25).
    ds = [100, 200, 400]
    sweeps = _sweeps(gamma, ds)
    expect = speciation_slopes([0.0, gamma])
    for key in ("t_s_overlap", "t_s_outlier"):
        ts = np.array([[np.mean([getattr(s, key)[c] for s in sw]) for sw in sweeps]
                       for c in range(2)])
        assert all(s.found_overlap.all() and s.found_outlier.all() for sw in sweeps for s in sw)
        fit = fit_slopes(ds, ts)
        assert np.all(np.abs(fit.slope - expect) < 0.1), (key, fit.slope, expect)
    # minority classes speciate later in backward time (smaller t) at every d
    if gamma > 0:
        ts = np.array([[np.mean([s.t_s_overlap[c] for s in sw]) for sw in sweeps]
                       for c in range(2)])
        assert np.all(ts[1] < ts[0] - 0.5)


def test_leading_order_matches_simulation_to_order_one():
    # t_s = 1/2 log(rho |mu|^2) + O(1) (THEORY.md §7): at d = 200 the measured overlap time is
    # within 0.5 of the leading order (an O(1) offset; measured 0.0-0.1 with psi_p = 2, psi_n = 1).
    mix = Mixture(variances=(1.0, 1.0), norms2=(1.0, 1.0))
    sw = speciation_sweep(mix, 200, 2.0, 1.0, TS, "linear", seed=4)
    lead = speciation_times(mix, 200).t_s
    assert np.allclose(lead, 0.5 * math.log(0.5 * 200))
    assert np.all(np.abs(sw.t_s_overlap - lead) < 0.5)
    # overlap near 1 deep in the speciated phase, near the random level C/p at large t
    assert np.all(sw.overlap[:, 0] > 0.9) and np.all(sw.overlap[:, -1] < 0.1)


def test_tanh_sweep_runs_and_finds_both_classes():
    # The nonlinear case through the shared GEP builders (per-neuron coefficients and the
    # class-mean spike, THEORY.md §4, §6), small size: both classes speciate inside the sweep,
    # within 1 of the leading order (an O(1) offset; measured 0.1-0.2 at d = 100-200).
    mix = Mixture(variances=(1.0, 1.0), norms2=(1.0, 1.0))
    sw = speciation_sweep(mix, 80, 2.0, 1.0, np.linspace(0.5, 4.0, 8), "tanh", seed=1,
                          kind="gep")
    assert sw.found_overlap.all()
    assert np.all(np.abs(sw.t_s_overlap - speciation_times(mix, 80).t_s) < 1.0)


def test_last_crossing():
    t = np.array([1.0, 2.0, 3.0, 4.0])
    assert last_crossing(t, np.array([1.0, 0.8, 0.4, 0.1]), 0.5) == (pytest.approx(2.75), True)
    assert last_crossing(t, np.zeros(4), 0.5) == (1.0, False)
    assert last_crossing(t, np.ones(4), 0.5) == (4.0, False)


def test_theory_bad_inputs():
    mix = Mixture(variances=(1.0, 1.0), norms2=(1.0, 1.0))
    with pytest.raises(ValueError, match="needs features"):
        speciation_times(mix, 500, method="outlier")
    with pytest.raises(ValueError, match="method"):
        speciation_times(mix, 500, method="nope")
    with pytest.raises(ValueError, match="d must"):
        speciation_times(mix, 1)
    with pytest.raises(ValueError, match="gammas"):
        power_law_weights([0.5, 0.5], 100)
    with pytest.raises(ValueError, match="gammas"):
        speciation_slopes([1.2])
    with pytest.raises(ValueError, match="sum to >= 1"):
        power_law_weights([0.0, 0.1], 2, prefactors=[1.0, 2.0])
    rho = power_law_weights([0.0, 0.5], 400)
    assert rho[1] == pytest.approx(0.05) and rho.sum() == pytest.approx(1.0)
    with pytest.raises(ValueError, match="extensive"):
        speciation_sweep(Mixture(variances=(1.0, 1.0)), 50, 2.0, 1.0, TS, "linear")
    with pytest.raises(ValueError, match="ts"):
        speciation_sweep(mix, 50, 2.0, 1.0, [1.0], "linear")


def test_cli_speciation(tmp_path, capsys):
    import json

    from classdyn.cli import main

    assert main(["speciation", "--gammas", "0", "0.5", "--ds", "100", "400", "--method",
                 "leading", "--out", str(tmp_path), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # rho_1 = 400^-0.5 = 0.05 at d = 400: t_s = 1/2 log(0.05 * 400) = 1/2 log 20
    assert data["rows"][1]["t_s"][1] == pytest.approx(0.5 * math.log(20.0), rel=1e-12)
    assert data["slopes_vs_log_d"] == [0.5, 0.25]
    assert (tmp_path / "speciation.json").exists()
    assert main(["speciation", "--gammas", "0.5", "0.5", "--out", str(tmp_path)]) == 2


# ------------------------------------------------------------------ fit_slopes (least squares)
DS_FAR = np.array([1000.0, 2000.0, 4000.0, 8000.0, 16000.0])  # log d = 6.9..9.7, far from 0:
# sum x^2 = 349 against sum (x - xbar)^2 = 4.8, so a standard error without centring is 8.5x off


def test_fit_slopes_equals_scipy_linregress():
    # Independent route: scipy.stats.linregress (slope, intercept, stderr) row by row on noisy
    # synthetic lines. Measured agreement: 4e-16 (slope), 3e-15 (offset) absolute, 6e-14
    # relative (stderr); tolerances 1e-12, 1e-12, 1e-11 are >= 150x those.
    from scipy.stats import linregress

    rng = np.random.default_rng(0)
    x = np.log(DS_FAR)
    Y = np.array([0.3, -0.2, 0.0])[:, None] * x + np.array([1.0, 5.0, -2.0])[:, None] \
        + 0.05 * rng.standard_normal((3, DS_FAR.size))
    fit = fit_slopes(DS_FAR, Y)
    for c in range(3):
        ref = linregress(x, Y[c])
        assert abs(fit.slope[c] - ref.slope) < 1e-12
        assert abs(fit.offset[c] - ref.intercept) < 1e-12
        assert fit.slope_se[c] == pytest.approx(ref.stderr, rel=1e-11)
    # closed form of a noise-free line: exact slope/offset, zero residual standard error
    exact = fit_slopes(DS_FAR, 0.25 * x[None, :] - 3.0)
    assert exact.slope[0] == pytest.approx(0.25, abs=1e-13)
    assert exact.offset[0] == pytest.approx(-3.0, abs=1e-12)
    assert exact.slope_se[0] < 1e-12


def test_fit_slopes_standard_error_has_nominal_coverage():
    # Monte Carlo: 4000 synthetic data sets t_s = 0.3 log d + 1 + N(0, 0.05^2) on the five sizes.
    # (slope - 0.3)/se follows Student's t with 3 degrees of freedom, so the 95 % interval
    # covers the true slope in 95 % of the sets (measured 0.954). Tolerance 0.02 = 6 binomial
    # standard errors (sqrt(0.95 * 0.05/4000) = 0.0034). An uncentred se covers ~25 %.
    from scipy.stats import t as student_t

    rng = np.random.default_rng(1)
    x = np.log(DS_FAR)
    Y = 0.3 * x + 1.0 + 0.05 * rng.standard_normal((4000, DS_FAR.size))
    fit = fit_slopes(DS_FAR, Y)
    q = student_t.ppf(0.975, DS_FAR.size - 2)
    coverage = np.mean(np.abs(fit.slope - 0.3) < q * fit.slope_se)
    assert abs(coverage - 0.95) < 0.02, coverage
    # and the standard error matches the actual scatter of the fitted slopes:
    # sd(slope) = 0.05/sqrt(sum (x - xbar)^2) = 0.0228, and E[se] = c * sd with
    # c = sqrt(2/3) G(2)/G(3/2) = 0.921 (mean of a chi with 3 dof, scaled). Measured -1.6 % and
    # +0.3 %; 4000 draws give relative standard errors 1.1 % and 0.7 %: 5 % is >= 4.5 of them.
    sd_true = 0.05 / math.sqrt(np.sum((x - x.mean()) ** 2))
    assert np.std(fit.slope) == pytest.approx(sd_true, rel=0.05)
    c3 = math.sqrt(2 / 3) * math.gamma(2.0) / math.gamma(1.5)
    assert np.mean(fit.slope_se) == pytest.approx(c3 * sd_true, rel=0.05)


def test_fit_slopes_two_sizes_and_bad_inputs():
    # two sizes: the line through both points, no residual degrees of freedom -> se is nan
    fit = fit_slopes([100, 400], [[1.0, 1.0 + 2 * math.log(4.0)]])
    assert fit.slope[0] == pytest.approx(2.0, abs=1e-13)
    assert fit.offset[0] == pytest.approx(1.0 - 2 * math.log(100.0), abs=1e-12)
    assert np.isnan(fit.slope_se).all()
    with pytest.raises(ValueError, match=">= 2 sizes"):
        fit_slopes([100], [[1.0]])
    with pytest.raises(ValueError, match="shape"):
        fit_slopes([100, 200, 400], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="finite"):
        fit_slopes([100, 200, 400], [[1.0, np.inf, 2.0]])


def _crossing(t, y, level):
    """Largest t with y >= level, linear between the bracketing points (test's own version)."""
    idx = [i for i in range(len(t)) if y[i] >= level]
    if not idx or idx[-1] == len(t) - 1:
        return None
    i = idx[-1]
    return t[i] + (y[i] - level) / (y[i] - y[i + 1]) * (t[i + 1] - t[i])


@pytest.mark.parametrize("activation, kind", [("linear", "exact"), ("tanh", "gep")])
def test_sweep_equals_an_independent_recomputation(activation, kind):
    # Redraw the same system (the documented order: W, then the sample, from one generator) and
    # recompute every output by another route: U by classdyn.simulate.features (Mehler series for the
    # linear activation, the GEP builder with per-neuron coefficients for tanh), the null U0 from
    # the centroid-free samples (scalar GEP coefficients), eigenpairs by numpy, overlaps with
    # the class directions W mu_c/|W mu_c|. Three unequal classes and psi_n != 1 so that n, d, p
    # all differ. Measured agreement 5e-15 (values, excesses, overlaps, crossing times);
    # tolerance 1e-11 (LAPACK drivers differ in rounding; crossings amplify it by 1/slope).
    from classdyn.simulate import features as F
    from classdyn.simulate.data import sample_mixture
    from classdyn.theory.coefficients import class_coefficients

    mix = Mixture(variances=(1.0, 0.5, 2.0), weights=(0.5, 0.3, 0.2), norms2=(1.0, 3.0, 0.5),
                  overlaps=[0.2, 0.0, -0.1])
    d, psi_p, psi_n, seed, extra = 30, 2.0, 1.5, 5, 2
    ts = np.array([4.0, 0.2, 0.6, 1.2, 2.0, 3.0])  # unsorted on purpose
    sw = speciation_sweep(mix, d, psi_p, psi_n, ts, activation, seed=seed, kind=kind,
                          extra=extra, margin=0.1, level=0.4)
    rng = np.random.default_rng(seed)
    p, n, C = 60, 45, 3
    W = rng.standard_normal((p, d))
    data = sample_mixture(mix, d, n, seed=rng)
    X0 = data.X - data.centroids[data.labels]
    Y = W @ data.centroids.T
    Y /= np.linalg.norm(Y, axis=0)
    t_sorted = np.sort(ts)
    assert np.array_equal(sw.t, t_sorted) and sw.d == d
    for j, t in enumerate(t_sorted):
        if kind == "exact":
            U = F.exact_U(W, data.X, activation, t)
            U0 = F.exact_U(W, X0, activation, t)
        else:
            co = F.gep_coefficients(W, mix, activation, t, centroids=data.centroids)
            U = F.U_gep(W, data.X, data.labels, co, centroids=data.centroids, seed=0)
            U0 = F.U_gep(W, X0, data.labels, class_coefficients(mix, activation, t), seed=0)
        w, v = np.linalg.eigh(U)
        w, v = w[::-1][:C + extra], v[:, ::-1][:, :C + extra]
        edge = np.linalg.eigvalsh(U0)[-1]
        assert sw.edge[j] == pytest.approx(edge, rel=1e-11)
        assert np.allclose(sw.top[j], w, rtol=1e-11, atol=0)
        P = v.T @ Y
        for c in range(C):
            lam_c = w[int(np.argmax(np.abs(P[:, c])))]
            assert sw.lam_class[c, j] == pytest.approx(lam_c, rel=1e-11)
            assert sw.excess[c, j] == pytest.approx(lam_c / edge - 1, abs=1e-11)
            assert sw.overlap[c, j] == pytest.approx(np.sum(P[:C, c] ** 2), abs=1e-11)
    for c in range(C):
        for key, curve, level in (("outlier", sw.excess[c], 0.1), ("overlap", sw.overlap[c], 0.4)):
            ref = _crossing(t_sorted, curve, level)
            found = getattr(sw, f"found_{key}")[c]
            assert found == (ref is not None)
            if ref is not None:
                assert getattr(sw, f"t_s_{key}")[c] == pytest.approx(ref, abs=1e-11)
    # the case is not trivial: the spike is resolved at small t and gone at large t for some
    # class, so crossings are found
    assert sw.found_overlap.any() and sw.found_outlier.any()


def test_top_eigenpairs_both_branches():
    # _top_eigh: Lanczos (p > 500, k < p/10) and dense LAPACK, on U = H diag(lam) H with H a
    # Householder reflection: eigenvalues lam exactly, eigenvectors the columns of H, known
    # without an eigensolver. Descending order. Measured agreement 9e-15 (values) and 4e-16
    # (|cos| of the vectors - 1); tolerances 1e-11 (the Lanczos tol, 1e-12 relative, times the
    # largest eigenvalue 5, with room) and 1e-12.
    from classdyn.simulate.speciation import _top_eigh

    rng = np.random.default_rng(0)
    for p in (40, 600):
        lam = rng.permutation(np.concatenate([np.linspace(0.0, 1.0, p - 4), [1.5, 2, 3, 5]]))
        v = rng.standard_normal(p)
        v /= np.linalg.norm(v)
        H = np.eye(p) - 2 * np.outer(v, v)
        U = (H * lam) @ H
        w, vec = _top_eigh(U, 4)
        assert np.allclose(w, [5.0, 3.0, 2.0, 1.5], rtol=0, atol=1e-11)
        idx = [int(np.flatnonzero(lam == x)[0]) for x in (5.0, 3.0, 2.0, 1.5)]
        cos = np.abs(np.sum(vec * H[:, idx], axis=0))
        assert np.allclose(cos, 1.0, rtol=0, atol=1e-12)


def test_sweep_argument_bounds():
    mix = Mixture(variances=(1.0, 1.0), norms2=(1.0, 1.0))
    ts = [1.0, 2.0]
    for kw, word in [({"level": 0.0}, "level"), ({"level": 1.0}, "level"),
                     ({"margin": 0.0}, "margin"), ({"margin": -0.1}, "margin")]:
        with pytest.raises(ValueError, match=word):
            speciation_sweep(mix, 10, 2.0, 1.0, ts, "linear", **kw)
    ok = speciation_sweep(mix, 10, 2.0, 1.0, ts, "linear", level=1e-9, margin=1e-9)
    assert ok.overlap.shape == (2, 2)
    for d in (1, 2.5, True):  # d >= number of classes (2), an integer
        with pytest.raises(ValueError, match="d must"):
            speciation_sweep(mix, d, 2.0, 1.0, ts, "linear")
    with pytest.raises(ValueError, match="ts"):
        speciation_sweep(mix, 10, 2.0, 1.0, [0.0, 1.0], "linear")
    with pytest.raises(TypeError, match="Mixture"):
        speciation_sweep({"variances": (1.0, 1.0)}, 10, 2.0, 1.0, ts, "linear")


def test_sweep_with_few_features_is_refused_or_capped():
    """p smaller than C + extra: the number of followed eigenpairs is capped at p (it used to
    fail with a broadcasting error); p < C + 1 is refused naming d and psi_p."""
    mix = Mixture(variances=[1, 1], norms2=[1, 1], overlaps=[0.0])
    sw = speciation_sweep(mix, 2, 2.0, 2.0, [0.5, 1.0], extra=3, seed=0)
    assert sw.top.shape == (2, 4)  # p = 4 < C + extra = 5
    with pytest.raises(ValueError, match="psi_p"):
        speciation_sweep(mix, 2, 1.0, 2.0, [0.5, 1.0], seed=0)
