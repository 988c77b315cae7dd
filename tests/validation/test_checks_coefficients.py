"""The coefficients and gep-vs-exact checks pass on right inputs and fail on wrong ones."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from classdyn.theory.coefficients import coefficients
from classdyn.theory.params import delta_t
from classdyn.validation import checks_coefficients as ck

POINTS = [("tanh", 0.0, 1.0, 0.1), ("tanh", 0.8, 2.0, 0.3), ("relu", -0.5, 1.0, 0.1)]


def _computed(scale_a=1.0, v2_shift=0.0):
    out = {}
    for act, m, s2, t in POINTS:
        c = coefficients(act, m, s2, t)
        out[(act, m, s2, t)] = {"mu0": float(c.mu0), "a": scale_a * float(c.a),
                                "b": scale_a * float(c.b), "v2": float(c.v2) + v2_shift,
                                "s2": float(c.s2), "Delta": delta_t(t),
                                "e2s2": math.exp(-2 * t) * s2}
    return out


@pytest.fixture(scope="module")
def mc():
    rng = np.random.default_rng(3)
    return {key: ck._mc_estimates(key[0], key[1], key[2], key[3], 400_000, rng)
            for key in [tuple(p) for p in POINTS]}


def test_coefficients_right_inputs_pass(mc):
    res = ck.compare_coefficients(_computed(), 1e-15, mc)
    assert res["passed"], res
    for flag in ("closed_ok", "mc_ok", "b_identity_ok", "v2_nonneg_ok", "s2_nonneg_ok"):
        assert res[flag], (flag, res)


def test_coefficients_wrong_a_fails(mc):
    # a off by 2 %: ~20 SE at 4e5 draws
    res = ck.compare_coefficients(_computed(scale_a=1.02), 1e-15, mc)
    assert not res["passed"] and res["worst_mc_z"] > ck.MC_SIGMAS


def test_coefficients_wrong_v2_fails(mc):
    res = ck.compare_coefficients(_computed(v2_shift=0.01), 1e-15, mc)
    assert not res["passed"]


def test_coefficients_closed_form_mismatch_fails(mc):
    assert not ck.compare_coefficients(_computed(), 1e-9, mc)["passed"]


PARAMS = {**ck._GEP_SMALL, "d": 200}


@pytest.fixture(scope="module")
def spectra():
    return ck.gep_and_exact_spectra(PARAMS)


def test_gep_vs_exact_right_coefficients_pass(spectra):
    ex, ga, gb, _, info = spectra
    assert info.bound <= 1e-12
    res = ck.compare_spectra(ex, ga, gb, PARAMS["d"])
    assert res["passed"] and res["moments_ok"] and res["w1_ok"], res


@pytest.mark.parametrize("wrong", [
    lambda co: dataclasses.replace(co, a=co.a * 1.03, b=co.b * 1.03),   # 3 % in a
    lambda co: dataclasses.replace(co, v2=co.v2 * 0.0),                 # nonlinear part dropped
    lambda co: dataclasses.replace(co, a=co.a[::-1], b=co.b[::-1],      # classes swapped
                                   v2=co.v2[::-1], s2=co.s2[::-1]),
])
def test_gep_vs_exact_wrong_coefficients_fail(spectra, wrong):
    ex = spectra[0]
    ga, gb, _ = ck.gep_spectra(PARAMS, coeff_override=wrong)
    assert not ck.compare_spectra(ex, ga, gb, PARAMS["d"])["passed"]
