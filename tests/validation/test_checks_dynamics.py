"""The dynamics checks fail when fed wrong inputs (swapped classes, a wrong exponent...)."""

import numpy as np
import pytest

from classdyn.simulate.dynamics import eigenbasis, semi_analytic_curves
from classdyn.simulate.systems import draw_system
from classdyn.simulate.train import gd_noise_excess, train_gd
from classdyn.theory.params import Mixture
from classdyn.validation.checks_dynamics import (compare_gd, judge_ablations, judge_slopes,
                                        judge_tradeoff)
from classdyn.validation.registry import discover

T = 0.1


@pytest.fixture(scope="module")
def gd_run():
    mix = Mixture(variances=(1.0, 2.0))
    W, data, fs = draw_system(mix, 30, 2.0, 1.0, T, seed=2)
    eb = eigenbasis(fs.U, fs.V)
    step = 0.5 / eb.lam.max()
    res = train_gd(W, data.X, fs.U, fs.V, fs.Uc, fs.Vc, T, step, 2 / eb.lam.min(),
                   seeds=range(4), num_checkpoints=15, lam_max=eb.lam.max())
    sa = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, res.tau, T, step=step, basis=eb)
    ex = np.stack([gd_noise_excess(eb.lam, np.sum(eb.Q * (fs.Uc[c] @ eb.Q), axis=0),
                                   res.steps, step, data.X.shape[0], sa.train)
                   for c in range(2)])
    return fs, eb, res, sa, ex, step


def test_checks_registered():
    reg = discover()
    for name in ("loss-curves", "ablations", "gaps-vs-weight", "speciation"):
        assert name in reg and "small" in reg[name].sizes and "paper" in reg[name].sizes


def test_loss_curves_pass_and_fail_with_swapped_classes(gd_run):
    fs, eb, res, sa, ex, step = gd_run
    right = compare_gd(sa.test, res.test, res.test_se, ex)
    assert right["passed"] and right["within_tolerance_ok"], right
    # swapped classes: semi-analytic class 1 compared with GD class 0
    assert not compare_gd(sa.test[::-1], res.test, res.test_se, ex)["passed"]


def test_loss_curves_fail_with_a_wrong_coefficient(gd_run):
    # a wrong time unit: learning rate off by a factor 2 (as if tau = Delta tau_GF/(p d))
    fs, eb, res, sa, ex, step = gd_run
    wrong = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, 2 * res.tau, T, basis=eb)
    assert not compare_gd(wrong.test, res.test, res.test_se, ex)["passed"]
    # a wrong V (noise direction coefficient b scaled by 0.9)
    bad = semi_analytic_curves(fs.U, 0.9 * fs.V, fs.Uc, 0.9 * fs.Vc, res.tau, T, step=step,
                               basis=None)
    assert not compare_gd(bad.test, res.test, res.test_se, ex)["passed"]


def _abl(var2, half, skew, base=((2.0, 2.0), (8.0, 8.0))):
    return {"base": base, "var2": var2, "half_norm": half, "skew": skew}


def test_ablations_judge():
    good = _abl(((1.0, 2.0), (3.0, 8.0)), ((1.9, 2.0), (7.5, 8.0)), ((1.0, 1.9), (3.2, 7.5)))
    res = judge_ablations(good)
    assert res["passed"] and all(res["criteria"].values()), res
    # swapped classes in the doubled-variance case: class 0 now later -> fail
    swapped = dict(good, var2=((2.0, 1.0), (8.0, 3.0)))
    assert not judge_ablations(swapped)["passed"]
    # half norm stronger than doubled variance -> fail ("more weakly")
    strong = dict(good, half_norm=((0.5, 2.0), (1.0, 8.0)))
    assert not judge_ablations(strong)["passed"]


def test_tradeoff_judge():
    rhos = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    gen = -0.55 - 0.3 * rhos
    mem = -1.1 + 0.2 * rhos
    res = judge_tradeoff(rhos, gen, mem)
    assert res["passed"] and res["opposite_signs_ok"] and res["slopes_large_ok"], res
    assert not judge_tradeoff(rhos, gen, mem[::-1])["passed"]  # both gaps move the same way
    assert not judge_tradeoff(rhos, gen, np.full_like(rhos, -1.0))["passed"]  # no trend


def test_slopes_judge():
    ds = np.array([100, 200, 400, 800])
    ts = np.vstack([0.5 * np.log(ds) + 0.1, 0.25 * np.log(ds) - 0.4])
    res = judge_slopes(ds, ts, [0.0, 0.5])
    assert res["passed"] and res["slopes_ok"], res
    # a wrong exponent (claims gamma = 0 for the minority class) -> fail
    assert not judge_slopes(ds, ts, [0.0, 0.0])["passed"]
    # swapped classes -> fail
    assert not judge_slopes(ds, ts[::-1], [0.0, 0.5])["passed"]
