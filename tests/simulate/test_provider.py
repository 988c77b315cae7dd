"""classdyn.simulate._provider: the linear closed forms, the activations, draw_system's sizes."""

import math

import numpy as np
import pytest
from scipy.special import erf

from classdyn.simulate import features as F
from classdyn.simulate._provider import activation_function, build_features, build_U, draw_system
from classdyn.theory.params import Mixture

MIX = Mixture(variances=(0.5, 2.0), weights=(0.3, 0.7), norms2=(1.0, 0.5), overlaps=[0.3])


def test_linear_closed_forms_equal_the_mehler_builders():
    # sigma = id: U = (1/n) sum u u^T + Delta K, V = sqrt(Delta) W/sqrt(d),
    # U_c = e^{-2t} W (mu mu^T + sigma_c^2 I) W^T/d + Delta K, V_c = sqrt(Delta) W/sqrt(d), against
    # classdyn.simulate.features' Mehler/Stein builders (series with F_0 = u, F_1 = 1; population
    # matrices in Gamma_c^2 = e^{-2t} sigma_c^2 + Delta), which were checked against 2D integrals
    # and Monte Carlo. Unequal classes with centroids, and n, p, d all different. Measured
    # agreement 1.8e-15; tolerance 1e-13.
    t = 0.35
    W, data, fs = draw_system(MIX, 12, 2.0, 1.5, t, activation="linear", seed=6)
    assert W.shape == (24, 12) and data.X.shape == (18, 12)
    ref = F.build_for_dynamics(W, data.X, data.labels, MIX, data.centroids, t,
                               activation="linear")
    for name in ("U", "V", "Uc", "Vc"):
        np.testing.assert_allclose(getattr(fs, name), getattr(ref, name), rtol=0, atol=1e-13)
    np.testing.assert_allclose(build_U(W, data.X, t, "linear"), ref.U, rtol=0, atol=1e-13)
    # the classes really differ (centroids and variances enter U_c)
    assert np.abs(fs.Uc[0] - fs.Uc[1]).max() > 0.1
    gep = build_features(W, data.X, data.labels, MIX, data.centroids, t, "linear", kind="gep")
    np.testing.assert_allclose(gep.U, ref.U, rtol=0, atol=1e-13)


def test_activation_functions():
    h = np.array([-2.0, -0.5, 0.0, 0.3, 4.0])
    assert np.array_equal(activation_function("tanh")(h), np.tanh(h))
    assert np.array_equal(activation_function("linear")(h), h)
    assert activation_function("relu")(h).tolist() == [0.0, 0.0, 0.0, 0.3, 4.0]
    assert np.array_equal(activation_function("erf")(h), erf(h))
    with pytest.raises(ValueError, match="activation"):
        activation_function("sigmoid")


def test_draw_system_sizes_and_bounds():
    W, data, fs = draw_system(MIX, 10, 1.55, 0.75, 0.2, activation="linear", seed=0)
    # p = round(psi_p d) = round(15.5) = 16 (round half to even), n = round(7.5) = 8
    assert W.shape == (16, 10) and data.X.shape == (8, 10) and fs.U.shape == (16, 16)
    assert math.isclose(fs.t, 0.2) and fs.activation == "linear"
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="d must"):
            draw_system(MIX, bad, activation="linear")
    with pytest.raises(ValueError, match="kind"):
        build_U(W, data.X, 0.2, "linear", kind="nope")
