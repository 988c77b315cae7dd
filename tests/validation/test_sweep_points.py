"""Tests of classdyn.validation.sweep_points (issue 14): every quantity of a point equals the
public function it is asked of, called directly; a failure is NaN with its reason."""

from __future__ import annotations

import math

import numpy as np
from classdyn.theory import Mixture, RandomFeatures, model
from classdyn.validation.sweep_points import DEFAULT_BASE, compute_point


def test_edges_and_masses_equal_the_door_spectrum():
    point = dict(DEFAULT_BASE, ratio=4.0, activation="tanh")
    sp = model(Mixture((1.0, 4.0)), RandomFeatures(4.0, 2.0, "tanh"), t=0.1).spectrum()
    e = compute_point(("edges", point))
    m = compute_point(("masses", point))
    assert e["status"] == m["status"] == "ok"
    bulks = sorted(sp.bulks, key=lambda b: b.lower)
    assert e["values"]["edges"] == [x for b in bulks for x in (b.lower, b.upper)]
    assert m["values"]["masses"] == [b.weight for b in bulks]
    assert e["values"]["n_bulks"] == m["values"]["n_bulks"] == len(bulks) >= 2
    # independent: the masses and the delta peak hold all the eigenvalues; the edges increase
    # (tolerance 1e-10: the door's total_mass is 1 to ~5e-15 here, measured)
    assert abs(sum(m["values"]["masses"]) + sp.delta_weight - 1.0) < 1e-10
    assert np.all(np.diff(e["values"]["edges"]) > 0)


def test_outliers_equal_the_door():
    point = dict(DEFAULT_BASE, norm2=1.0, d=500)
    out = model(Mixture((1.0, 2.0), norms2=(1.0, 1.0)), RandomFeatures(4.0, 2.0),
                t=0.1).outliers(500)
    r = compute_point(("outliers", point))
    assert r["status"] == "ok"
    for c in (0, 1):
        want = out.locations[out.classes == c].max()
        assert r["values"][f"outlier_{c + 1}"] == want
        assert want > out.edge          # an outlier lies above the bulk
    assert r["values"]["bulk_edge"] == out.edge


def test_outliers_of_centred_classes_fail_with_the_reason():
    r = compute_point(("outliers", dict(DEFAULT_BASE, norm2=0.0)))
    assert r["status"].startswith("failed: NotApplicableError") and "norms2" in r["status"]
    assert all(math.isnan(v) for v in r["values"].values())


def test_losses_equal_the_simulation_and_start_at_one():
    from classdyn.simulate import draw_system, losses_at, weights_at

    point = dict(DEFAULT_BASE, d=24, seed=3, tau=5.0)
    mix = Mixture((1.0, 2.0), weights=(0.5, 0.5))
    _, _, fs = draw_system(mix, 24, psi_p=4.0, psi_n=2.0, t=0.1, activation="tanh", seed=3)
    train, test = losses_at(weights_at(5.0, fs.U, fs.V, 0.1), fs.U, fs.V, fs.Uc, fs.Vc, 0.1)
    r = compute_point(("losses", point))
    assert r["status"] == "ok"
    assert r["values"] == {"train_loss": train, "test_loss_1": test[0], "test_loss_2": test[1]}
    # independent: E(A = 0) = 1 (docs/theory/model.md); at tau = 1e-9, A = O(1e-9), so each
    # loss is 1 within 1e-6 (measured deviation ~1e-9)
    r0 = compute_point(("losses", dict(point, tau=1e-9)))
    assert all(abs(v - 1.0) < 1e-6 for v in r0["values"].values())
    # another seed is another system
    assert compute_point(("losses", dict(point, seed=4)))["values"]["train_loss"] != train


def test_unknown_quantity_is_a_failed_point():
    r = compute_point(("spectrum", dict(DEFAULT_BASE)))
    assert r == {"values": {}, "status": "failed: ValueError: quantity must be one of "
                 "['class_order', 'edges', 'losses', 'masses', 'outliers', 'speciation', "
                 "'timescales'], "
                 "got 'spectrum'"}


def test_class_order_is_the_simulated_class_times():
    from classdyn.simulate import (class_times, draw_system, semi_analytic_curves, tau_grid)

    point = dict(DEFAULT_BASE, d=30, ratio=0.25, weight=0.2, psi_p=8.0, psi_n=4.0, t=0.01)
    r = compute_point(("class_order", point))
    assert r["status"] == "ok"
    mix = Mixture((1.0, 0.25), weights=(0.2, 0.8))
    _, _, fs = draw_system(mix, 30, psi_p=8.0, psi_n=4.0, t=0.01, seed=0)
    tau = tau_grid(1e-3, 1e5, 160)
    ct = class_times(tau, semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, tau, 0.01).test)
    assert r["values"]["gap_mem"] == float(np.log10(ct.tau_mem[1] / ct.tau_mem[0]))
    # consistency: the class memorised first is the one with the smaller tau_mem
    assert r["values"]["first_mem"] == (1 if r["values"]["gap_mem"] > 0 else 2)
    assert r["values"]["first_gen"] == (1 if r["values"]["gap_gen"] > 0 else 2)
