"""Validation checks density-vs-histogram and windows: their core comparisons pass on right
inputs and fail on deliberately wrong ones."""

import numpy as np
import pytest

from classdyn.theory.params import Mixture, RandomFeatures
from classdyn.theory.spectrum import SpectralParams, spectrum
from classdyn.validation.checks_spectrum import compare_density, compare_windows, gep_eigenvalues


@pytest.fixture(scope="module")
def setup():
    sp = SpectralParams.from_model(Mixture(variances=(1.0, 2.0), weights=(0.25, 0.75)),
                                   RandomFeatures(4.0, 2.0), 0.01)
    eigs = {100: gep_eigenvalues(sp, 100, 1), 250: gep_eigenvalues(sp, 250, 1)}
    eig_b = gep_eigenvalues(sp, 250, 2)
    return sp, eigs, eig_b


def test_density_check_passes_on_the_right_spectrum(setup):
    sp, eigs, eig_b = setup
    res = compare_density(spectrum(sp), eigs, eig_b)
    assert res["passed"], res
    assert res["ks_ok"] and res["edge_level_ok"] and res["edge_trend_ok"], res


@pytest.mark.parametrize("wrong", ["alpha2", "swapped_weights"])
def test_density_check_fails_on_a_wrong_spectrum(setup, wrong):
    sp, eigs, eig_b = setup
    if wrong == "alpha2":  # a wrong coefficient: α² 20 % too large
        bad = SpectralParams(psi_p=sp.psi_p, psi_n=sp.psi_n, rho=sp.rho,
                             alpha2=1.2 * sp.alpha2, v2=sp.v2, bbar2=sp.bbar2,
                             sbar2=sp.sbar2)
    else:  # classes swapped: weights 0.75 / 0.25 for variances 1 / 2
        bad = SpectralParams.from_model(Mixture(variances=(1.0, 2.0), weights=(0.75, 0.25)),
                                        RandomFeatures(4.0, 2.0), 0.01)
    res = compare_density(spectrum(bad), eigs, eig_b)
    assert not res["passed"], res


def test_windows_check_core():
    ratios = [1.0, 4.0, 0.25]
    good = {"w": [(2.0, 50.0), (1.8, 60.0), (1.9, 55.0)]}
    finite = {"theory": (1.1, 75.0), "gep": [(1.12, 73.0)]}
    res = compare_windows(ratios, good, finite)
    assert res["passed"] and res["W_gen_contracts_ok"] and res["W_mem_expands_ok"]
    assert res["finite_ok"]
    # W_gen grows at ratio 4: the paper's claim fails
    bad = {"w": [(2.0, 50.0), (2.1, 60.0), (1.9, 55.0)]}
    assert not compare_windows(ratios, bad, finite)["passed"]
    # W_mem shrinks at ratio 0.25
    bad = {"w": [(2.0, 50.0), (1.8, 60.0), (1.9, 45.0)]}
    assert not compare_windows(ratios, bad, finite)["passed"]
    # finite-size windows 20 % off the theory
    assert not compare_windows(ratios, good, {"theory": (1.1, 75.0),
                                              "gep": [(1.32, 75.0)]})["passed"]
    with pytest.raises(ValueError, match="baseline"):
        compare_windows([2.0, 1.0], good, finite)
