"""The SymPy layer of THEORY.md §4 (classdyn.theory.activations): closed forms and Gaussian integrals
checked numerically against classical results and against the float64 coefficients.

test_coefficients.py checks the erf/ReLU closed forms at one point each (40 digits) and the
linear derivation; here: the m = 0 kernels (arcsine and arc-cosine), Owen's T itself, the
endpoints of J(c), and the tanh expressions (unevaluated integrals), which are otherwise only
printed.
"""

import math

import mpmath
import numpy as np
import pytest
import sympy as sp

from classdyn.theory import activations as A
from classdyn.theory.coefficients import coefficients


def _F(x) -> sp.Float:
    """An mpmath number as a 40-digit SymPy Float (so that differences are not rounded to the
    53-bit context in which mpmath numbers are combined outside ``workdps``)."""
    return sp.Float(mpmath.nstr(x, 40), 40)


def _numeric(expr, H: float = 0.1, L: float = 12.0) -> float:
    """Value of a SymPy expression whose only unevaluated parts are Gaussian integrals over the
    real line (possibly nested): each ``Integral(f, (v, -oo, oo))`` becomes the trapezoidal
    rule ``H Σ_j f(jH)``, ``|jH| ≤ L``, vectorised over one NumPy axis per nesting level. For
    integrands analytic in a strip around the real axis (tanh: poles at distance π/(2Γ)) and
    times a Gaussian, its error is ~exp(−2π·π/(2Γ)/H) ≤ 1e-21 at Γ ≤ 2, H = 0.1, plus the
    truncation e^{−L²/2} ≈ 5e-32."""
    grid = np.arange(-L, L + H / 2, H)

    def build(e, bound):
        ints = e.atoms(sp.Integral)
        tops = [I for I in ints if not any(J != I and J.has(I) for J in ints)]
        dummies, funcs = [], []
        for I in tops:
            (v, lo, hi), = I.limits
            assert lo == -sp.oo and hi == sp.oo, I.limits
            inner = build(I.function, bound + [v])

            def val(*arrs, inner=inner):
                arrs = [np.asarray(a)[..., None] for a in arrs]
                return H * np.sum(inner(*arrs, grid), axis=-1)

            d = sp.Dummy()
            dummies.append(d)
            funcs.append(val)
            e = e.xreplace({I: d})
        lam = sp.lambdify(bound + dummies, e, "numpy")
        return lambda *arrs: lam(*arrs, *[f(*arrs) for f in funcs])

    return float(build(expr, [])())


@pytest.mark.parametrize("mm,s2,t", [(0.3, 1.5, 0.2), (-1.0, 0.5, 1.0), (0.7, 4.0, 0.1),
                                     (2.0, 0.05, 0.5)])
def test_tanh_expressions_evaluate_to_the_float64_coefficients(mm, s2, t):
    # The printed tanh coefficients (nested Gaussian integrals, e.g. J(c) = E_z[E_y tanh(m +
    # √c z + √(Γ² − c) y)]²) evaluated by an independent trapezoidal rule (above) against the
    # compiled quadrature of classdyn.theory.coefficients, including THEORY.md §4's hard case (Γ ≈ 2,
    # where 200-node Gauss–Hermite misses by 2e-9) and a narrow data part (s = 0.14, the
    # Gaussian-limited step of classdyn.theory.quadrature). Measured ≤ 6.2e-15 absolute; tolerance 1e-13.
    co = A.symbolic_coefficients("tanh")
    c = coefficients("tanh", mm, s2, t)
    pt = {A.m: mm, A.sigma2: s2, A.t: t}
    for k in ("mu0", "a", "b", "v2", "s2"):
        assert abs(_numeric(co[k].subs(pt)) - float(getattr(c, k))) <= 1e-13, k


@pytest.mark.parametrize("s2,t", [(1.5, 0.2), (0.3, 2.0)])
def test_erf_and_relu_kernels_at_m_zero_are_the_classical_ones(s2, t):
    # At m = 0 the closed forms must reduce to the classical kernels (THEORY.md §4 notes;
    # Williams 1997 for erf, Cho & Saul 2009 for ReLU), written here from those papers:
    #   erf:  J(c) = (2/π) arcsin(2c/A),  A = 1 + 2Γ²;
    #   ReLU: J(c) = Γ² (√(1 − ρ²) + (π − arccos ρ) ρ)/(2π),  ρ = c/Γ².
    # Owen's T at h = 0 goes through its exact branch T(0, a) = atan(a)/(2π). Evaluated at 30
    # digits: agreement to 1e-25.
    pt = {A.m: 0, A.sigma2: sp.Float(s2, 40), A.t: sp.Float(t, 40)}
    G2 = A.GAMMA2.subs(pt)
    for frac in (0.0, 0.3, 0.77, 1.0):
        cc = frac * G2
        erf = A.J_expr("erf", A.c).subs(pt).subs(A.c, cc)
        relu = A.J_expr("relu", A.c).subs(pt).subs(A.c, cc)
        rho = cc / G2
        ref_erf = 2 / sp.pi * sp.asin(2 * cc / (1 + 2 * G2))
        ref_relu = G2 * (sp.sqrt(1 - rho ** 2) + (sp.pi - sp.acos(rho)) * rho) / (2 * sp.pi)
        assert abs(sp.N(erf - ref_erf, 30)) < 1e-25, (frac, erf)
        assert abs(sp.N(relu - ref_relu, 30)) < 1e-25, (frac, relu)


@pytest.mark.parametrize("act", ["erf", "relu"])
def test_J_endpoints(act):
    # J(c) = E σ(h1) σ(h2) with Cov(h1, h2) = c: at c = 0 the copies are independent,
    # J(0) = μ0²; at c = Γ² they coincide, J(Γ²) = E σ(h)² (against mpmath quadrature at 35
    # digits). Tolerance 1e-15: Owen's T evaluates through SymPy's evalf to ~17 digits only
    # (measured errors ~2e-18; see test_owens_t_evalf_keeps_the_requested_precision).
    pt = {A.m: sp.Float("-0.4", 40), A.sigma2: sp.Float("0.8", 40), A.t: sp.Float("0.3", 40)}
    co = A.symbolic_coefficients(act)
    J0 = A.J_expr(act, A.c).subs(A.c, 0).subs(pt)
    assert abs(sp.N(J0 - co["mu0"].subs(pt) ** 2, 30)) < 1e-15
    G2 = A.GAMMA2.subs(pt)
    JG = A.J_expr(act, A.c).subs(A.c, G2).subs(pt)
    m0 = float(pt[A.m])
    G = math.sqrt(float(G2))
    with mpmath.workdps(35):
        f = mpmath.erf if act == "erf" else (lambda u: max(u, 0))
        ref = mpmath.quad(lambda z: f(m0 + G * z) ** 2 * mpmath.npdf(z),
                          [-mpmath.inf, -m0 / G, mpmath.inf])
    assert abs(sp.N(JG - _F(ref), 30)) < 1e-15


def test_owens_t():
    # T(h, a) = (1/2π) ∫_0^a exp(−h²(1+x²)/2)/(1+x²) dx. Checked: T(h, 0) = 0, T(0, a) =
    # atan(a)/(2π) (exact branches); T(h, 1) = Φ(h)(1 − Φ(h))/2 (Owen 1956); evalf vs its own
    # integral (rewrite) and vs mpmath; both partial derivatives (fdiff) vs numerical
    # differentiation (mpmath.diff at 32 digits), these two at one point. Tolerance 1e-15 on
    # values (SymPy's evalf of T and of its Integral form give ~17 digits, measured errors
    # ≤ 2e-18, see the next test), 1e-25 on the derivatives (closed expressions; measured
    # ≤ 5e-41 at 40 digits).
    h, a = sp.symbols("h a", real=True)
    assert A.OwensT(h, 0) == 0
    assert A.OwensT(h, a).rewrite(sp.Integral).has(sp.Integral)
    assert sp.simplify(A.OwensT(0, a) - sp.atan(a) / (2 * sp.pi)) == 0
    for hv in ("-1.3", "0.4", "2.5"):
        H = sp.Float(hv, 40)
        Phi = (1 + sp.erf(H / sp.sqrt(2))) / 2
        assert abs(sp.N(A.OwensT(H, 1) - Phi * (1 - Phi) / 2, 30)) < 1e-15
        for av in ("0.3", "0.9"):
            Av = sp.Float(av, 40)
            with mpmath.workdps(40):
                ref = mpmath.quad(lambda x: mpmath.exp(-mpmath.mpf(hv) ** 2 * (1 + x * x) / 2)
                                  / (1 + x * x), [0, mpmath.mpf(av)]) / (2 * mpmath.pi)
            assert abs(sp.N(A.OwensT(H, Av), 30) - _F(ref)) < 1e-15
            if (hv, av) != ("-1.3", "0.3"):
                continue  # the integral form and the derivatives (slow evalf): one point
            integral = sp.N(A.OwensT(h, a).rewrite(sp.Integral).subs({h: H, a: Av}), 30)
            assert abs(integral - _F(ref)) < 1e-15
            with mpmath.workdps(32):
                dh = mpmath.diff(lambda u: A.owens_t_mp(u, mpmath.mpf(av)), mpmath.mpf(hv))
                da = mpmath.diff(lambda u: A.owens_t_mp(mpmath.mpf(hv), u), mpmath.mpf(av))
            T = A.OwensT(h, a)
            assert abs(sp.N(sp.diff(T, h).subs({h: H, a: Av}) - _F(dh), 30)) < 1e-25
            assert abs(sp.N(sp.diff(T, a).subs({h: H, a: Av}) - _F(da), 30)) < 1e-25


def test_owens_t_evalf_keeps_the_requested_precision():
    # At 30 digits, evalf must agree with mpmath's quadrature to 1e-25 (before the fix of
    # OwensT._eval_evalf, which rounded to 53 bits, the error was 1.8e-18).
    H = sp.Float("-1.3", 40)
    with mpmath.workdps(40):
        ref = A.owens_t_mp(mpmath.mpf("-1.3"), 1)
    assert abs(sp.N(A.OwensT(H, 1) - _F(ref), 30)) < 1e-25


@pytest.mark.parametrize("act", ["erf", "relu", "linear"])
def test_numpy_lambdify_of_the_symbolic_coefficients_matches_the_compiled_ones(act):
    """The SymPy closed forms through NumPy/SciPy (Owen's T = scipy.special.owens_t), an
    independent path from the Numba kernels of classdyn.theory.quadrature: agree to 1e-13
    relative to 1 + |value| on a grid m in [-3, 3], sigma2 in {0.1, 1, 4}, t in {0.01, 0.3, 2}
    (measured <= 2.6e-15: both are float64 evaluations of the same formulas)."""
    import numpy as np

    from classdyn.theory.activations import lambdify_numpy, symbolic_coefficients
    from classdyn.theory.coefficients import coefficients

    ex = symbolic_coefficients(act)
    M, S, T = (g.ravel() for g in np.meshgrid(np.linspace(-3, 3, 7), [0.1, 1.0, 4.0],
                                               [0.01, 0.3, 2.0], indexing="ij"))
    for k in ("mu0", "a", "b", "v2", "s2"):
        f = lambdify_numpy(ex[k])
        for mi, si, ti in zip(M, S, T):
            ref = float(getattr(coefficients(act, mi, si, ti), k))
            val = float(np.broadcast_to(f(mi, si, ti), ()))
            assert abs(val - ref) <= 1e-13 * (1 + abs(ref)), (k, mi, si, ti, val, ref)


@pytest.mark.parametrize("act", ["erf", "relu", "linear"])
def test_kernel_expressions_equal_the_symbolic_coefficients(act):
    # kernel_expressions (what codegen prints) = symbolic_coefficients after (sigma2, t) ->
    # (s2, D), Phi unevaluated, and for erf the identity erf(m/sqrt(A))^2 = 1 - 8 T(k, 1) with
    # Owen's-T segments. Both evaluated by mpmath at 30 digits; they must agree to 1e-25 x S
    # (S = 1, ReLU (|m| + Gamma)^2): the rewritings are exact, the evaluation error ~1e-29.
    import mpmath

    from classdyn.theory.activations import (Dk, NormalCDF, OwensTDiff, kernel_expressions,
                                             lambdify_mp, owens_t_mp, s2k)

    mods = [{"NormalCDF": mpmath.ncdf, "OwensT": owens_t_mp,
             "OwensTDiff": lambda h, a1, a2: owens_t_mp(h, a2) - owens_t_mp(h, a1)}, "mpmath"]
    kern = {k: sp.lambdify((A.m, s2k, Dk), v, modules=mods)
            for k, v in kernel_expressions(act).items()}
    sym = {k: lambdify_mp(v) for k, v in A.symbolic_coefficients(act).items()}
    assert NormalCDF(A.x).rewrite(sp.erf) == (1 + sp.erf(A.x / sp.sqrt(2))) / 2
    assert OwensTDiff(A.x, 0, 1).rewrite(A.OwensT) == A.OwensT(A.x, 1)
    with mpmath.workdps(30):
        for mm, s2v, tt in ((0.7, 1.3, 0.2), (-2.5, 0.05, 2.0), (4.0, 9.0, 0.01)):
            e2 = mpmath.exp(-2 * mpmath.mpf(tt))
            G = math.sqrt(float(e2 * s2v + 1 - e2))
            scale = 1 if act != "relu" else (abs(mm) + G) ** 2
            for k in ("mu0", "a", "v2", "s2"):
                want = sym[k](mpmath.mpf(mm), mpmath.mpf(s2v), mpmath.mpf(tt))
                got = kern[k](mpmath.mpf(mm), e2 * s2v, 1 - e2)
                assert abs(got - want) <= 1e-25 * scale, (act, k, mm, s2v, tt)


def test_kernel_expressions_refuse_tanh():
    from classdyn.theory.activations import kernel_expressions

    with pytest.raises(ValueError, match="no closed form"):
        kernel_expressions("tanh")
