"""Finite-size speciation (simulate.speciation) against THEORY.md §7 (theory.speciation)."""

import math

import numpy as np
import pytest

from simulate.speciation import fit_slopes, last_crossing, speciation_sweep
from theory.params import Mixture
from theory.speciation import (power_law_weights, speciation_slopes,
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
