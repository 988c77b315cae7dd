"""classdyn.simulate.systems: the linear closed forms, the routing to the exact and GEP builders,
draw_system's sizes."""

import math

import numpy as np
import pytest

from classdyn.simulate import features as F
from classdyn.simulate.data import sample_mixture
from classdyn.simulate.systems import build_features, build_U, draw_system
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
    U, V, _ = F.exact_UV(W, data.X, "linear", t)
    ref = {"U": U, "V": V,
           "Uc": np.stack([F.exact_U_c(W, data.centroids[c], MIX.variances[c], "linear", t)
                           for c in range(2)]),
           "Vc": np.stack([F.exact_V_c(W, data.centroids[c], MIX.variances[c], "linear", t)
                           for c in range(2)])}
    for name in ("U", "V", "Uc", "Vc"):
        np.testing.assert_allclose(getattr(fs, name), ref[name], rtol=0, atol=1e-13)
    np.testing.assert_allclose(build_U(W, data.X, t, "linear"), ref["U"], rtol=0, atol=1e-13)
    # the classes really differ (centroids and variances enter U_c)
    assert np.abs(fs.Uc[0] - fs.Uc[1]).max() > 0.1
    gep = build_features(W, data.X, data.labels, MIX, data.centroids, t, "linear", kind="gep")
    np.testing.assert_allclose(gep.U, ref["U"], rtol=0, atol=1e-13)


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


def test_build_features_shapes_and_linear_mehler_equals_gep():
    # Shapes of the feature set; with σ linear the exact (Mehler/Stein) and GEP builders of
    # classdyn.simulate.features coincide (GEP exact for linear σ; per-neuron coefficients at the
    # projected centroids), to round-off 1e-12; the tanh GEP feature set and build_U agree (same
    # seed, same Ω).
    rng = np.random.default_rng(9)
    d, p, n, t = 30, 50, 24, 0.2
    mix = Mixture(variances=(1.0, 2.0), norms2=(1.0, 1.0))
    s = sample_mixture(mix, d, n, seed=3)
    W = rng.standard_normal((p, d))
    ex = build_features(W, s.X, s.labels, mix, s.centroids, t, activation="linear")
    assert ex.U.shape == (p, p) and ex.V.shape == (p, d)
    assert ex.Uc.shape == (2, p, p) and ex.Vc.shape == (2, p, d)
    U, V, info = F.exact_UV(W, s.X, "linear", t)
    assert info.to_dict()["bound"] <= 1e-12
    co = F.gep_coefficients(W, mix, "linear", t, centroids=s.centroids)
    pairs = [(U, F.U_gep(W, s.X, s.labels, co, centroids=s.centroids)),
             (V, F.V_gep(W, s.labels, co))]
    for c in range(2):
        pairs.append((F.exact_U_c(W, s.centroids[c], mix.variances[c], "linear", t),
                      F.U_c_gep(W, co, c, mix.variances[c])))
        pairs.append((F.exact_V_c(W, s.centroids[c], mix.variances[c], "linear", t),
                      F.V_c_gep(W, co, c)))
    for exact, gep in pairs:
        np.testing.assert_allclose(gep, exact, rtol=0, atol=1e-12)
    th = build_features(W, s.X, s.labels, mix, s.centroids, t, activation="tanh", kind="gep")
    assert np.all(np.isfinite(th.U)) and np.allclose(th.U, th.U.T) and th.info is None
    U2 = build_U(W, s.X, t, activation="tanh", kind="gep", data=s, mixture=mix)
    np.testing.assert_allclose(U2, th.U, rtol=0, atol=1e-14)  # same seed, same Ω
    with pytest.raises(ValueError, match="kind"):
        build_features(W, s.X, s.labels, mix, None, t, kind="nope")
    with pytest.raises(ValueError, match="activation"):
        build_features(W, s.X, s.labels, mix, None, t, activation="sigmoid")
