"""Tests of classdyn.theory.coefficients (THEORY.md §4): closed forms, quadrature, identities, errors."""

import math

import numpy as np
import pytest

from classdyn.theory.coefficients import class_coefficients, coefficients, coefficients_mp
from classdyn.theory.params import Mixture, delta_t

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
    # quantities (ReLU values scale like (1 + |m| + Γ)², hence the relative factor). Measured
    # ≤ 2.3e-15 over this grid: tolerance 5e-14 (was the 1e-12).
    cc = coefficients(act, M, s2, t, method="closed")
    cq = coefficients(act, M, s2, t, method="quadrature")
    for k in ("mu0", "a", "b", "v2", "s2"):
        x, y = getattr(cc, k), getattr(cq, k)
        scale = 1.0 + (np.abs(M) + math.sqrt(s2 + 1)) ** 2 if act == "relu" else 1.0
        assert np.all(np.abs(x - y) <= 5e-14 * scale), (k, x, y)


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
    from classdyn.theory.coefficients import _evaluate

    m = np.random.default_rng(1).standard_normal(20000) * 1.3
    c = coefficients("tanh", m, 2.0, 0.2)
    sub = m[:500]
    d = _evaluate("tanh", sub, np.full(sub.size, 2.0), 0.2, False, table=False)
    for j, k in enumerate(("mu0", "a", "v2", "s2")):
        np.testing.assert_allclose(getattr(c, k)[:500], d[:, j], rtol=0, atol=1e-13)


# ---------------------------------------------------------------- high precision (mpmath)
MP_POINTS = [(0.7, 4.0, 0.1)]  # the hard case (Γ ≈ 2); more points at 20 digits in test_coeff_range


def _rel_err(x, ref, scale):
    return abs(float(x) - float(ref)) / max(abs(float(ref)), scale)


@pytest.mark.slow
@pytest.mark.parametrize("act", ["tanh", "erf", "relu", "linear"])
def test_float64_against_mpmath_50_digits(act):
    # Issue 3: float64 (closed forms for erf/ReLU/linear, quadrature for tanh) vs the mpmath
    # path at 50 digits (nested trapezoidal rule with error < 1e-55, independent of the closed
    # forms): ≤ 1e-12 relative. v², s², μ0 are differences/odd integrals that can be ≪ 1 (μ0 = 0
    # at m = 0 for odd σ), so their error is measured relative to max(|ref|, Var σ(h)) — the
    # natural scale they are pieces of.
    for mm, s2, t in MP_POINTS:
        ref = coefficients_mp(act, mm, s2, t, dps=50)
        c = coefficients(act, mm, s2, t)
        var = float(c.var_sigma)
        for k in ("mu0", "a", "b", "v2", "s2"):
            assert _rel_err(getattr(c, k), ref[k], var) <= 1e-12, (k, mm, s2, t)


@pytest.mark.parametrize("act", ["erf", "relu"])
def test_symbolic_closed_forms_at_high_precision(act):
    # The SymPy closed forms evaluated at 40 digits against the independent mpmath quadrature
    # at 40 digits: agreement to 1e-35 shows the derivation (not just float64 round-off) is right.
    mm, s2, t = (0.7, 4.0, 0.1) if act == "relu" else (-0.4, 0.5, 0.3)
    q = coefficients_mp(act, mm, s2, t, dps=40)
    cf = coefficients_mp(act, mm, s2, t, dps=40, method="closed")
    for k in q:
        assert abs(q[k] - cf[k]) <= 1e-35, (k, q[k], cf[k])


def test_coefficients_mp_bad_inputs():
    with pytest.raises(ValueError, match="dps"):
        coefficients_mp("tanh", 0.0, 1.0, 0.1, dps=5)
    with pytest.raises(ValueError, match="closed"):
        coefficients_mp("tanh", 0.0, 1.0, 0.1, method="closed")
    with pytest.raises(ValueError, match="sigma2"):
        coefficients_mp("erf", 0.0, -1.0, 0.1)


# ---------------------------------------------------------------- Monte Carlo
@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_monte_carlo_10_6_draws(act):
    # Issue 3: 10^6 Gaussian draws; each MC estimate within 5 standard errors. Estimators:
    # μ0, a from h = m + Γz; v² + a²s² = Var_u f(u) from pairs h1, h2 sharing u (E σ(h1)σ(h2) −
    # (E σ)²); Var σ(h) for the sum of the four pieces.
    rng = np.random.default_rng(2024)
    mm, s2, t = 0.4, 2.0, 0.2
    N = 10 ** 6
    e2 = math.exp(-2 * t)
    D = delta_t(t)
    sig = np.tanh if act == "tanh" else (lambda v: np.maximum(v, 0.0))
    dsig = (lambda v: 1 - np.tanh(v) ** 2) if act == "tanh" else (lambda v: (v > 0) * 1.0)
    u = mm + math.sqrt(e2 * s2) * rng.standard_normal(N)
    h1 = u + math.sqrt(D) * rng.standard_normal(N)
    h2 = u + math.sqrt(D) * rng.standard_normal(N)
    c = coefficients(act, mm, s2, t)
    checks = []
    s1 = sig(h1)
    checks.append((s1, float(c.mu0)))
    checks.append((dsig(h1), float(c.a)))
    # Var_u f = E σ(h1)σ(h2) − μ0², the estimator uses the exact μ0 (its own error is covered)
    checks.append((s1 * sig(h2) - float(c.mu0) ** 2, float(c.v2 + c.a ** 2 * e2 * s2)))
    checks.append(((s1 - float(c.mu0)) ** 2, float(c.var_sigma)))
    for samples, exact in checks:
        se = samples.std() / math.sqrt(N)
        assert abs(samples.mean() - exact) <= 5 * se, (samples.mean(), exact, se)


# ---------------------------------------------------------------- SymPy layer
def test_symbolic_linear_derivation_and_latex():
    import sympy as sp

    from classdyn.theory import activations as A

    co = A.symbolic_coefficients("linear")
    assert sp.simplify(co["mu0"] - A.m) == 0
    assert co["a"] == 1 and co["v2"] == 0 and co["s2"] == 0
    assert sp.simplify(co["b"] - sp.sqrt(1 - sp.exp(-2 * A.t))) == 0
    for name in ("tanh", "erf", "relu"):
        tex = A.latex_coefficients(name)
        assert set(tex) == {"mu0", "a", "b", "v2", "s2"} and all(tex.values())
    assert "T\\left(" in A.latex_coefficients("erf")["v2"]  # Owen's T printed
    assert "\\int" in A.latex_coefficients("tanh")["v2"]     # Gaussian integral for tanh


def test_price_theorem_for_erf_closed_form():
    # Price's theorem: ∂J/∂c = E σ'(h1) σ'(h2), which for erf is the Gaussian integral
    # (4/π) [(A + 2c)(A − 2c)]^{-1/2} exp(−2m²/(A + 2c)), A = 1 + 2Γ². Differentiate the
    # SymPy J(c) (through Owen's T) and compare numerically at a point (1e-12: float evalf).
    import sympy as sp

    from classdyn.theory import activations as A

    J = A.J_expr("erf")
    dJ = sp.diff(J, A.c)
    Aexpr = 1 + 2 * A.GAMMA2
    ref = 4 / sp.pi / sp.sqrt((Aexpr + 2 * A.c) * (Aexpr - 2 * A.c)) * sp.exp(
        -2 * A.m ** 2 / (Aexpr + 2 * A.c))
    pt = {A.m: 0.3, A.sigma2: 1.5, A.t: 0.2, A.c: 0.4}
    assert abs(float(dJ.evalf(20, subs=pt)) - float(ref.evalf(20, subs=pt))) < 1e-12


def test_class_coefficients_one_centroid_per_class():
    # m of shape (C,): class c evaluated at its own m_c with its own σ_c² (one neuron's view);
    # must equal coefficients() called class by class, exactly (same code path per value).
    mix = Mixture(variances=(0.5, 3.0))
    m = np.array([0.4, -1.1])
    c = class_coefficients(mix, "tanh", 0.3, m=m)
    for k in range(2):
        ref = coefficients("tanh", m[k], mix.variances[k], 0.3)
        for name in ("mu0", "a", "b", "v2", "s2"):
            assert getattr(c, name)[k] == float(getattr(ref, name)), (k, name)


def test_saturated_tanh_is_its_limit_to_float64():
    """Far out (|m| − L_TRUNC (s + √Δ) ≥ 20) tanh is replaced by its limits μ0 = sign m,
    a = b = v² = s² = 0: within 1e-17 by the bound in TANH_SATURATION. Checked against the
    mpmath path (20 digits) at m = ±30 to the verified range's 1e-12 absolute accuracy, and at
    |m| = 1e17, 1e300, where the float64 lattice used to overrun its buffer (malloc abort) or
    return mu0 = 0.105."""
    import math as _m

    from classdyn.theory.coefficients import coefficients, coefficients_mp

    for m in (30.0, -30.0):
        ref = coefficients_mp("tanh", m, 1.0, 0.1, dps=20)
        c = coefficients("tanh", m, 1.0, 0.1)
        for k in ("mu0", "a", "b", "v2", "s2"):
            assert abs(float(getattr(c, k)) - float(ref[k])) <= 1e-12, (m, k)
    c = coefficients("tanh", np.array([1e17, -1e300, 5e16]), 1.0, 0.01)
    assert c.mu0.tolist() == [1.0, -1.0, 1.0]
    for k in ("a", "b", "v2", "s2"):
        assert np.all(getattr(c, k) == 0.0), k
    assert _m.isfinite(float(c.mu0[0]))


@pytest.mark.parametrize("act", ["erf", "relu"])
def test_closed_forms_at_huge_m_finish_with_their_limits(act):
    """Owen's T with |h| ~ 1e17 used to loop over ~1e17 pieces (a hang); its value underflows
    float64 there (exp(−h²/2) < 1e-324), so it is returned as 0 at once. erf: μ0 = 1, a = 0;
    ReLU: the identity's μ0 = m, a = 1."""
    from classdyn.theory.coefficients import coefficients

    c = coefficients(act, np.array([1e17]), 1.0, 0.01)
    if act == "erf":
        assert c.mu0[0] == 1.0 and c.a[0] == 0.0 and c.v2[0] == 0.0 and c.s2[0] == 0.0
    else:
        assert c.mu0[0] == 1e17 and c.a[0] == 1.0


@pytest.mark.parametrize("s2", [1e12, 1e300])
def test_a_variance_too_large_for_the_quadrature_is_refused_at_once(s2):
    """σ² = 1e12 took 57 s and 2.6 GB, 1e15 ended in MemoryError, 1e300 in an integer-overflow
    traceback: the lattice size is computed first and checked against LATTICE_MAX, before any
    allocation."""
    from classdyn.theory.coefficients import coefficients

    with pytest.raises(ValueError, match=r"sigma2 = 1e\+\d+ .* needs a quadrature lattice"):
        coefficients("tanh", 0.0, s2, 0.1)


def test_prefer_compiled_runs_small_coefficient_work_compiled_with_the_same_numbers():
    # a sweep line asks for a few coefficients per point, thousands of times: inside
    # prefer_compiled() the quadrature takes its Numba twin even below JIT_MIN_SIZE. Same
    # function body, so the numbers agree to rounding: measured identical here; 1e-13 allows
    # for a different summation order of the compiled loop.
    from classdyn.theory import quadrature as q
    from classdyn.theory._lazyjit import compiled_preferred, prefer_compiled
    from classdyn.theory.coefficients import coefficients

    def values(c):
        return np.array([float(getattr(c, k)) for k in ("mu0", "a", "b", "v2", "s2")])

    plain = values(coefficients("tanh", 0.3, 2.0, 0.1))
    with prefer_compiled():
        assert compiled_preferred()
        fast = values(coefficients("tanh", 0.3, 2.0, 0.1))
    assert not compiled_preferred()
    assert q.lattice_values.compiled  # the twin was built and used
    assert np.allclose(fast, plain, rtol=1e-13, atol=0.0), np.abs(fast / plain - 1)
