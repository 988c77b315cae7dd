"""Speciation times, THEORY.md §7 (classdyn.theory.speciation): the leading-order formula, the power-law
weights of strong imbalance and the slopes, against hand computations."""

import math

import numpy as np
import pytest

from classdyn.theory.params import Mixture, RandomFeatures
from classdyn.theory.speciation import (leading_times_power_law, power_law_weights, speciation_slopes,
                               speciation_times)


def test_leading_order_formula():
    # t_s^c = ½ log(ρ_c ‖μ_c‖²) = ½ log(ρ_c n2_c d), per class, by hand (exact to rounding);
    # a centred class (n2 = 0) never speciates: −inf.
    mix = Mixture(variances=(1.0, 2.0, 3.0), weights=(0.2, 0.7, 0.1), norms2=(2.0, 0.25, 0.0))
    sp = speciation_times(mix, 1000)
    assert sp.method == "leading" and sp.d == 1000
    assert sp.t_s[0] == pytest.approx(0.5 * math.log(400.0), rel=1e-15)
    assert sp.t_s[1] == pytest.approx(0.5 * math.log(175.0), rel=1e-15)
    assert sp.t_s[2] == -np.inf


def test_power_law_weights():
    # ρ_c = κ_c d^{−γ_c} for γ_c > 0, the rest split equally among the γ = 0 classes.
    rho = power_law_weights([0.0, 0.5, 0.0, 0.25], 10_000, prefactors=[1.0, 2.0, 1.0, 0.5])
    minority = [2.0 * 10_000 ** -0.5, 0.5 * 10_000 ** -0.25]
    rest = 1.0 - sum(minority)
    np.testing.assert_allclose(rho, [rest / 2, minority[0], rest / 2, minority[1]], rtol=1e-15)
    with pytest.raises(ValueError, match="prefactors"):
        power_law_weights([0.0, 0.5], 100, prefactors=[1.0, 0.0])
    with pytest.raises(ValueError, match="d must"):
        power_law_weights([0.0, 0.5], 1)


def test_slopes_are_the_d_derivative_of_the_leading_times():
    # For a minority class ρ = d^{−γ} exactly, so ½ log(ρ n2 d) = ½ log n2 + ½ (1 − γ) log d:
    # the finite difference of leading_times_power_law in log d is speciation_slopes exactly
    # (1e-12: rounding of logs of 1e6). The majority class (ρ → 1) tends to ½.
    gammas = [0.0, 0.3, 0.6]
    d1, d2 = 10 ** 5, 10 ** 6
    t1 = leading_times_power_law(gammas, d1, norms2=[1.0, 2.0, 0.5])
    t2 = leading_times_power_law(gammas, d2, norms2=[1.0, 2.0, 0.5])
    slope = (t2 - t1) / math.log(d2 / d1)
    expect = speciation_slopes(gammas)
    np.testing.assert_allclose(slope[1:], expect[1:], rtol=0, atol=1e-12)
    assert abs(slope[0] - expect[0]) < 1e-2  # ρ_1 = 1 − O(d^{-0.3}): log ρ_1 still moves
    np.testing.assert_allclose(expect, [0.5, 0.35, 0.2], rtol=1e-15)
    assert t1[1] == pytest.approx(0.5 * math.log(2.0 * d1 ** 0.7), rel=1e-14)


def test_outlier_method_is_the_outlier_threshold_solver(monkeypatch):
    # method="outlier" hands (mixture, features, d, **kw) to speciation_time (the §6 threshold
    # solver, checked in test_extensive_outliers.py and test_extensive_exact.py) and returns its
    # result.
    import classdyn.theory.speciation as spc

    calls = []

    def fake(mixture, features, d, **kw):
        calls.append((mixture, d, features, kw))
        return spc.SpeciationTimes(t_s=np.array([2.5, -np.inf]), method="outlier", d=d)

    monkeypatch.setattr(spc, "speciation_time", fake)
    mix = Mixture(variances=(1.0, 2.0), norms2=(1.0, 0.0))
    rf = RandomFeatures(2.0, 1.0)
    sp = speciation_times(mix, 400, rf, method="outlier", order=8)
    assert calls == [(mix, 400, rf, {"order": 8})]
    assert sp.method == "outlier" and sp.d == 400 and sp.t_s.tolist() == [2.5, -np.inf]


def test_one_result_type_for_both_methods():
    """Both methods return classdyn.theory.speciation.SpeciationTimes (the extensive façade
    re-exports the same class); the outlier method's per-class times are its t_s with -inf for
    a class that never separates (a centred class here)."""
    import classdyn.theory.extensive as ex
    import classdyn.theory.speciation as spc

    assert ex.SpeciationTimes is spc.SpeciationTimes and ex.speciation_time is spc.speciation_time
    mix = Mixture(variances=(1.0, 2.0), norms2=(1.0, 0.0))
    sp = spc.speciation_time(mix, RandomFeatures(2.0, 1.0), 300, order=8)
    assert isinstance(sp, spc.SpeciationTimes) and sp.method == "outlier"
    assert sp.t_s[1] == -np.inf and np.isfinite(sp.t_s[0])
    assert sp.classes.tolist() == [0] and sp.times[0] == sp.t_s[0]
    assert set(sp.to_dict()) >= {"t_s", "times", "classes", "leading_order", "t_range"}
