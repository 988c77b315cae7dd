"""Tests of theory.coefficients (THEORY.md §4): closed forms, quadrature, identities, errors."""

import math

import numpy as np
import pytest

from theory.coefficients import class_coefficients, coefficients
from theory.params import Mixture, delta_t

M = np.array([0.0, 0.3, -0.7, 1.5, -3.0])


@pytest.mark.parametrize("t", [0.01, 0.3, 2.0])
@pytest.mark.parametrize("s2", [0.25, 1.0, 4.0])
def test_linear_is_exact(t, s2):
    # σ(x) = x: μ0 = m, a = 1, b = √Δ, v² = s² = 0 exactly. Both paths: the closed form is exact;
    # the quadrature integrates polynomials with aliasing error e^{-38} ≈ 3e-17 per unit of
    # |σ| ≲ 10 over the Gaussian's support, so 1e-13 absolute.
    for method in ("closed", "quadrature"):
        c = coefficients("linear", M, s2, t, method=method)
        np.testing.assert_allclose(c.mu0, M, rtol=0, atol=1e-13)
        np.testing.assert_allclose(c.a, 1.0, rtol=0, atol=1e-13)
        np.testing.assert_allclose(c.b, math.sqrt(delta_t(t)), rtol=0, atol=1e-13)
        np.testing.assert_allclose(c.v2, 0.0, rtol=0, atol=1e-13)
        np.testing.assert_allclose(c.s2, 0.0, rtol=0, atol=1e-13)


@pytest.mark.parametrize("act", ["erf", "relu"])
@pytest.mark.parametrize("t", [1e-3, 0.05, 0.5, 3.0])
@pytest.mark.parametrize("s2", [0.01, 0.5, 2.0, 16.0])
def test_closed_forms_agree_with_quadrature(act, t, s2):
    # Issue 3: closed forms vs quadrature ≤ 1e-12. Both are float64 computations of O(1)
    # quantities (ReLU values scale like (1 + |m| + Γ)², hence the relative factor).
    cc = coefficients(act, M, s2, t, method="closed")
    cq = coefficients(act, M, s2, t, method="quadrature")
    for k in ("mu0", "a", "b", "v2", "s2"):
        x, y = getattr(cc, k), getattr(cq, k)
        scale = 1.0 + (np.abs(M) + math.sqrt(s2 + 1)) ** 2 if act == "relu" else 1.0
        assert np.all(np.abs(x - y) <= 1e-12 * scale), (k, x, y)


@pytest.mark.parametrize("act", ["tanh", "erf", "relu", "linear"])
def test_identities(act):
    # b = √Δ a by definition; v², s² ≥ 0 (Cauchy–Schwarz on the Hermite expansions, THEORY §4);
    # the four pieces sum to Var σ(h) = E σ² − μ0², checked against an independent adaptive
    # integral (scipy.integrate.quad, split at the ReLU kink, absolute error ~1e-13): 1e-11.
    from scipy.integrate import quad
    from scipy.special import erf

    sig = {"tanh": math.tanh, "erf": erf, "relu": lambda x: max(x, 0.0),
           "linear": lambda x: x}[act]
    for t in (0.01, 0.5):
        for s2 in (0.5, 4.0):
            c = coefficients(act, M, s2, t)
            np.testing.assert_allclose(c.b, math.sqrt(delta_t(t)) * c.a, rtol=1e-15, atol=0)
            assert np.all(c.v2 >= 0) and np.all(c.s2 >= 0)
            G = math.sqrt(math.exp(-2 * t) * s2 + delta_t(t))
            for i, m in enumerate(M):
                def mom(k):
                    g = lambda z: sig(m + G * z) ** k * math.exp(-z * z / 2) / math.sqrt(2 * math.pi)
                    kink = -m / G
                    return (quad(g, -np.inf, kink, epsabs=1e-14, epsrel=1e-13)[0]
                            + quad(g, kink, np.inf, epsabs=1e-14, epsrel=1e-13)[0])
                var = mom(2) - mom(1) ** 2
                assert abs(c.var_sigma[i] - var) <= 1e-11 * (1 + var), (m, c.var_sigma[i], var)


def test_class_coefficients_shapes():
    mix = Mixture(variances=(1.0, 2.0))
    c = class_coefficients(mix, "tanh", 0.1)
    assert c.a.shape == (2,)
    np.testing.assert_allclose(c.mu0, 0.0, atol=1e-14)  # odd σ, m = 0
    mC = np.random.default_rng(0).standard_normal((2, 7))
    c2 = class_coefficients(mix, "tanh", 0.1, m=mC)
    assert c2.a.shape == (2, 7)
    ref = coefficients("tanh", mC[1], 2.0, 0.1)
    np.testing.assert_allclose(c2.v2[1], ref.v2, rtol=0, atol=1e-15)
    d = c2.to_dict()
    assert set(d) >= {"mu0", "a", "b", "v2", "s2", "t", "activation"}


@pytest.mark.parametrize("kwargs, word", [
    (dict(activation="sigmoid"), "activation"),
    (dict(t=0.0), "t"),
    (dict(t=-1.0), "t"),
    (dict(sigma2=0.0), "sigma2"),
    (dict(sigma2=-1.0), "sigma2"),
    (dict(m=np.nan), "m"),
    (dict(method="magic"), "method"),
    (dict(activation="tanh", method="closed"), "closed form"),
    (dict(m=np.zeros(3), sigma2=np.ones(2)), "broadcast"),
])
def test_bad_inputs_raise(kwargs, word):
    args = dict(activation="erf", m=0.0, sigma2=1.0, t=0.1)
    args.update(kwargs)
    method = args.pop("method", "auto")
    with pytest.raises(ValueError, match=word):
        coefficients(args["activation"], args["m"], args["sigma2"], args["t"], method=method)


def test_class_coefficients_bad_m_shape():
    with pytest.raises(ValueError, match="shape"):
        class_coefficients(Mixture(variances=(1.0, 2.0)), "tanh", 0.1, m=np.zeros((3, 4)))


def test_table_path_matches_direct():
    # Many m values go through the piecewise-Chebyshev table (TABLE_TOL = 2e-14 relative to
    # 1 + |value|, checked per panel); compare with direct evaluation on a subset: 1e-13.
    from theory.coefficients import _evaluate

    m = np.random.default_rng(1).standard_normal(20000) * 1.3
    c = coefficients("tanh", m, 2.0, 0.2)
    sub = m[:500]
    d = _evaluate("tanh", sub, np.full(sub.size, 2.0), 0.2, False, table=False)
    for j, k in enumerate(("mu0", "a", "v2", "s2")):
        np.testing.assert_allclose(getattr(c, k)[:500], d[:, j], rtol=0, atol=1e-13)
