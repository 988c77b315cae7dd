"""Activations as SymPy objects and the GEP coefficients as SymPy expressions (docs/theory/gaussian-equivalence.md).

For each activation ``σ`` (:data:`classdyn.theory.params.ACTIVATIONS`) :func:`symbolic_coefficients`
returns ``μ0, a, b, v², s²`` as SymPy expressions of the symbols ``m``, ``sigma2``, ``t``
(:data:`m`, :data:`sigma2`, :data:`t`) that can be printed with ``sympy.latex`` and evaluated to
any precision (``expr.evalf(n, subs=...)`` or :func:`lambdify_mp`).

Notation: ``e2 = e^{−2t}``, ``Δ = 1 − e2``, ``s² = e2 σ²`` (data variance of the
pre-activation), ``Γ² = s² + Δ``; ``h1, h2 ~ N(m, Γ²)`` with covariance ``c``;
``J(c) = E σ(h1) σ(h2)``. Then ``μ0 = E σ(h)``, ``a = E σ'(h)``, ``b = √Δ a``,
``v² = J(s²) − μ0² − a² s²`` (``E_u f(u)² = J(s²)``: two noisy copies sharing ``u``),
``s² = J(Γ²) − J(s²) − Δ a²`` (``J(Γ²) = E σ(h)²``).

Closed forms (derived here; checked in tests/theory/test_coefficients.py against quadrature and
mpmath, and symbolically via Price's theorem ``∂J/∂c = E σ'(h1) σ'(h2)``):

* **linear** ``σ = x``: ``J(c) = m² + c`` ⇒ ``μ0 = m``, ``a = 1``, ``v² = s² = 0`` (SymPy
  integrates the Gaussian integrals itself, :func:`derive_linear`).
* **erf** ``σ = erf(x)``: ``erf(h) = 2Φ(√2 h) − 1``, so with ``ζ ~ N(0,1)`` independent,
  ``E Φ(√2 h) = P(ζ − √2 h ≤ 0) = Φ(k)``, ``A = 1 + 2Γ²``, ``k = √2 m/√A``; for the pair,
  ``(ζ_i − √2 h_i)`` are bivariate normal with correlation ``r(c) = 2c/A``, hence
  ``J(c) = 4 Φ₂(k, k; r) − 4Φ(k) + 1`` and with Owen's identity
  ``Φ₂(k, k; r) = Φ(k) − 2 T(k, √((1−r)/(1+r)))``:
  ``μ0 = erf(m/√A)``, ``a = 2/√(πA) · e^{−m²/A}``, ``J(c) = 1 − 8 T(k, √((A − 2c)/(A + 2c)))``.
  At ``m = 0``: ``J(c) = (2/π) arcsin(2c/A)`` (the classical erf kernel).
* **ReLU** ``σ = max(x, 0)``: ``α = m/Γ``, ``ρ = c/Γ²``, ``β = √((1−ρ)/(1+ρ))``,
  ``L = Φ₂(α, α; ρ) = Φ(α) − 2T(α, β)``; truncated bivariate-normal moments (Rosenbaum 1961)
  give ``J = m² L + 2mΓ(1+ρ) φ(α) Φ(αβ) + Γ²[ρL − 2ρα φ(α)Φ(αβ) + √(1−ρ²)/√(2π)
  φ(α√(2/(1+ρ)))]``; ``μ0 = mΦ(α) + Γφ(α)``, ``a = Φ(α)``, ``E σ² = (m² + Γ²)Φ(α) + mΓφ(α)``.
  At ``m = 0``: ``J = Γ²(√(1−ρ²) + (π − arccos ρ) ρ)/(2π)`` (the arc-cosine kernel).
* **tanh**: no closed form; Gaussian integrals (unevaluated ``sympy.Integral``), evaluated by
  :mod:`classdyn.theory.quadrature` (float64) or :func:`classdyn.theory.coefficients.coefficients_mp`.

``T(h, a) = (1/2π) ∫_0^a e^{−h²(1+x²)/2}/(1+x²) dx`` is Owen's T function (:class:`OwensT`).
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp

from classdyn.theory.params import ACTIVATIONS, check_activation

#: symbols of the coefficient expressions
m = sp.Symbol("m", real=True)
sigma2 = sp.Symbol("sigma2", positive=True)
t = sp.Symbol("t", positive=True)
x = sp.Symbol("x", real=True)
z = sp.Symbol("z", real=True)
y = sp.Symbol("y", real=True)
c = sp.Symbol("c", nonnegative=True)

E2 = sp.exp(-2 * t)
DELTA = 1 - E2
S2 = E2 * sigma2
GAMMA2 = S2 + DELTA


def std_normal_pdf(v):
    return sp.exp(-v ** 2 / 2) / sp.sqrt(2 * sp.pi)


def std_normal_cdf(v):
    return (1 + sp.erf(v / sp.sqrt(2))) / 2


class OwensT(sp.Function):
    """Owen's T function ``T(h, a) = (1/2π) ∫_0^a exp(−h²(1+x²)/2)/(1+x²) dx``.

    ``T(0, a) = atan(a)/(2π)``, ``T(h, 0) = 0``. Evaluates numerically through mpmath
    (``evalf``), rewrites as its integral (``.rewrite(sp.Integral)``), prints as ``T(h, a)``.
    """

    nargs = 2

    @classmethod
    def eval(cls, h, a):
        if a.is_zero:
            return sp.S.Zero
        if h.is_zero:
            return sp.atan(a) / (2 * sp.pi)
        return None

    def _eval_rewrite_as_Integral(self, h, a, **kwargs):
        xx = sp.Dummy("x")
        return sp.Integral(sp.exp(-h ** 2 * (1 + xx ** 2) / 2) / (1 + xx ** 2), (xx, 0, a)) / (
            2 * sp.pi)

    def _eval_evalf(self, prec):
        import mpmath

        h, a = (arg._to_mpmath(prec) for arg in (self.args[0].evalf(prec),
                                                  self.args[1].evalf(prec)))
        with mpmath.workprec(prec):
            # Converted inside the working precision: mpf() outside it would round to the
            # global precision (53 bits by default).
            val = mpmath.mpf(owens_t_mp(h, a))._mpf_
        return sp.Float._new(val, prec)

    def fdiff(self, argindex=2):
        h, a = self.args
        if argindex == 2:
            return sp.exp(-h ** 2 * (1 + a ** 2) / 2) / (2 * sp.pi * (1 + a ** 2))
        xx = sp.Dummy("x")
        return sp.Integral(-h * sp.exp(-h ** 2 * (1 + xx ** 2) / 2), (xx, 0, a)) / (2 * sp.pi)

    def _latex(self, printer):
        return r"T\left(%s, %s\right)" % (printer._print(self.args[0]),
                                         printer._print(self.args[1]))


def owens_t_mp(h, a):
    """Owen's T at the current mpmath precision (tanh-sinh quadrature on ``[0, a]``)."""
    import mpmath

    h = mpmath.mpf(h)
    a = mpmath.mpf(a)
    if a == 0:
        return mpmath.mpf(0)
    return mpmath.quad(lambda v: mpmath.exp(-h * h * (1 + v * v) / 2) / (1 + v * v),
                       [0, a]) / (2 * mpmath.pi)


# ---------------------------------------------------------------- activations
#: SymPy σ(x), keyed by the activation registry (:data:`classdyn.theory.params.ACTIVATIONS`).
_SYMPY_SIGMA = {"tanh": sp.tanh(x), "erf": sp.erf(x), "relu": sp.Max(x, 0), "linear": x}
assert tuple(_SYMPY_SIGMA) == ACTIVATIONS


def activation_expr(name: str) -> sp.Expr:
    """``σ(x)`` as a SymPy expression of :data:`x`."""
    return _SYMPY_SIGMA[check_activation(name)]


def activation_derivative(name: str, k: int = 1) -> sp.Expr:
    """``σ^{(k)}(x)`` (ReLU: Heaviside step for k = 1, DiracDelta derivatives beyond)."""
    if name == "relu":
        if k == 0:
            return sp.Max(x, 0)
        return sp.diff(sp.Heaviside(x), x, k - 1)
    return sp.diff(activation_expr(name), x, k)


def gaussian_expectation(expr_of_x, mean, var):
    """``E g(mean + √var z)`` as an unevaluated ``sympy.Integral`` over ``z``."""
    return sp.Integral(expr_of_x.subs(x, mean + sp.sqrt(var) * z) * std_normal_pdf(z),
                       (z, -sp.oo, sp.oo))


# ---------------------------------------------------------------- J(c) and closed forms
def _J_erf(cc):
    A = 1 + 2 * GAMMA2
    k = sp.sqrt(2) * m / sp.sqrt(A)
    return 1 - 8 * OwensT(k, sp.sqrt((A - 2 * cc) / (A + 2 * cc)))


def _J_relu(cc, gamma2=GAMMA2, cdf=std_normal_cdf):
    G = sp.sqrt(gamma2)
    al = m / G
    rho = cc / gamma2
    beta = sp.sqrt((1 - rho) / (1 + rho))
    L = cdf(al) - 2 * OwensT(al, beta)
    pa = std_normal_pdf(al)
    Pab = cdf(al * beta)
    EZ = (1 + rho) * pa * Pab
    EZZ = rho * L - 2 * rho * al * pa * Pab + sp.sqrt(1 - rho ** 2) * std_normal_pdf(
        al * sp.sqrt(2 / (1 + rho))) / sp.sqrt(2 * sp.pi)
    return m ** 2 * L + 2 * m * G * EZ + gamma2 * EZZ


def J_expr(name: str, cc=c) -> sp.Expr:
    """``J(c) = E σ(h1) σ(h2)``, ``h ~ N(m, Γ²)``, covariance ``c`` (closed form or integral)."""
    if name == "linear":
        return m ** 2 + cc
    if name == "erf":
        return _J_erf(cc)
    if name == "relu":
        return _J_relu(cc)
    if name == "tanh":
        # h1 = m + √c z + √(Γ²−c) y1, h2 = m + √c z + √(Γ²−c) y2: E_z [E_y σ]²
        inner = sp.Integral(activation_expr(name).subs(
            x, m + sp.sqrt(cc) * z + sp.sqrt(GAMMA2 - cc) * y) * std_normal_pdf(y),
            (y, -sp.oo, sp.oo))
        return sp.Integral(inner ** 2 * std_normal_pdf(z), (z, -sp.oo, sp.oo))
    check_activation(name)  # raises: a name of the registry without a J(c) here
    raise AssertionError(f"J_expr has no case for registered activation {name!r}")


def derive_linear() -> dict[str, sp.Expr]:
    """Derive the linear coefficients by letting SymPy do the Gaussian integrals."""
    h = m + sp.sqrt(GAMMA2) * z
    pdf = std_normal_pdf(z)
    mu0 = sp.simplify(sp.integrate(h * pdf, (z, -sp.oo, sp.oo)))
    Es2 = sp.simplify(sp.integrate(h ** 2 * pdf, (z, -sp.oo, sp.oo)))
    a = sp.Integer(1)
    # E_u f(u)² with f(u) = u, u ~ N(m, s²)
    u = m + sp.sqrt(S2) * z
    Ef2 = sp.simplify(sp.integrate(u ** 2 * pdf, (z, -sp.oo, sp.oo)))
    v2 = sp.simplify(Ef2 - mu0 ** 2 - a ** 2 * S2)
    s2 = sp.simplify(Es2 - Ef2 - DELTA * a ** 2)
    return {"mu0": mu0, "a": a, "b": sp.sqrt(DELTA) * a, "v2": v2, "s2": s2}


@lru_cache(maxsize=None)
def symbolic_coefficients(name: str) -> dict[str, sp.Expr]:
    """``{"mu0", "a", "b", "v2", "s2"}`` as SymPy expressions of (m, sigma2, t) (docs/theory/gaussian-equivalence.md).

    Closed forms for linear, erf, ReLU (module docstring); unevaluated Gaussian integrals for
    tanh. Print with ``sympy.latex(expr)``.
    """
    check_activation(name)
    if name == "linear":
        return derive_linear()
    if name == "erf":
        A = 1 + 2 * GAMMA2
        mu0 = sp.erf(m / sp.sqrt(A))
        a = 2 / sp.sqrt(sp.pi * A) * sp.exp(-m ** 2 / A)
    elif name == "relu":
        G = sp.sqrt(GAMMA2)
        mu0 = m * std_normal_cdf(m / G) + G * std_normal_pdf(m / G)
        a = std_normal_cdf(m / G)
    else:  # tanh
        mu0 = gaussian_expectation(activation_expr(name), m, GAMMA2)
        a = gaussian_expectation(activation_derivative(name), m, GAMMA2)
    J_s = J_expr(name, S2)
    J_G = J_expr(name, GAMMA2) if name != "tanh" else gaussian_expectation(
        activation_expr(name) ** 2, m, GAMMA2)
    if name == "relu":
        G = sp.sqrt(GAMMA2)
        J_G = (m ** 2 + GAMMA2) * std_normal_cdf(m / G) + m * G * std_normal_pdf(m / G)
    v2 = J_s - mu0 ** 2 - a ** 2 * S2
    s2 = J_G - J_s - DELTA * a ** 2
    return {"mu0": mu0, "a": a, "b": sp.sqrt(DELTA) * a, "v2": v2, "s2": s2}


def latex_coefficients(name: str) -> dict[str, str]:
    """LaTeX of each coefficient (``sympy.latex``), plus the definitions used."""
    names = {sigma2: r"\sigma^{2}"}
    return {k: sp.latex(v, symbol_names=names) for k, v in symbolic_coefficients(name).items()}


def lambdify_mp(expr: sp.Expr):
    """A function ``(m, sigma2, t) -> mpmath.mpf`` evaluating a closed-form ``expr`` with mpmath
    at the current ``mpmath.mp.dps`` (Owen's T by tanh-sinh quadrature)."""
    return sp.lambdify((m, sigma2, t), expr, modules=[{"OwensT": owens_t_mp}, "mpmath"])


def lambdify_numpy(expr: sp.Expr):
    """A vectorised float64 function ``(m, sigma2, t) -> ndarray`` of a closed-form ``expr``
    (erf, ReLU, linear coefficients), through NumPy and SciPy: Owen's T is
    :func:`scipy.special.owens_t`, erf :func:`scipy.special.erf`.

    Parameters
    ----------
    expr : sympy.Expr
        An expression of the symbols ``m``, ``sigma2``, ``t`` of this module (e.g. a value of
        :func:`symbolic_coefficients`).

    Returns
    -------
    callable
        ``f(m, sigma2, t)`` broadcasting over NumPy arrays.

    Examples
    --------
    >>> from classdyn.theory.activations import lambdify_numpy, symbolic_coefficients
    >>> f = lambdify_numpy(symbolic_coefficients("erf")["mu0"])
    >>> round(float(f(0.5, 1.0, 0.1)), 12)  # erf(m / sqrt(1 + 2 Gamma^2)), Gamma^2 = 1 here
    0.31690860169
    """
    from scipy import special

    return sp.lambdify((m, sigma2, t), expr,
                       modules=[{"OwensT": special.owens_t, "erf": special.erf}, "numpy"])


# ---------------------------------------------------------------- kernel (code-generation) form
#: symbols of the generated float64 kernels: ``s2 = e^{−2t} σ²`` and ``D = Δ_t = 1 − e^{−2t}``
s2k = sp.Symbol("s2", nonnegative=True)
Dk = sp.Symbol("D", nonnegative=True)


class NormalCDF(sp.Function):
    """Standard normal CDF ``Φ(x) = (1 + erf(x/√2))/2`` kept unevaluated, so that generated code
    calls an accurate ``Φ`` (``erfc`` form) instead of the cancelling ``(1 + erf)/2`` in the tail;
    ``.rewrite(sp.erf)`` gives the erf form of :func:`std_normal_cdf`."""

    nargs = 1

    def _eval_rewrite_as_erf(self, v, **kwargs):
        return std_normal_cdf(v)

    def _eval_evalf(self, prec):
        return std_normal_cdf(self.args[0])._eval_evalf(prec)

    def fdiff(self, argindex=1):
        return std_normal_pdf(self.args[0])

    def _latex(self, printer):
        return r"\Phi\left(%s\right)" % printer._print(self.args[0])


class OwensTDiff(sp.Function):
    """``T(h, a2) − T(h, a1)`` (Owen's T over ``[a1, a2]``) as one unevaluated function, so that
    generated code integrates the segment directly instead of subtracting two close values."""

    nargs = 3

    def _eval_rewrite_as_OwensT(self, h, a1, a2, **kwargs):
        return OwensT(h, a2) - OwensT(h, a1)

    def _eval_evalf(self, prec):
        h, a1, a2 = self.args
        return (OwensT(h, a2) - OwensT(h, a1))._eval_evalf(prec)


def kernel_expressions(name: str) -> dict[str, sp.Expr]:
    """``{"mu0", "a", "v2", "s2"}`` of docs/theory/gaussian-equivalence.md as SymPy expressions of
    the kernel variables ``m``, ``s2 = e^{−2t}σ²``, ``D = Δ_t`` (:data:`s2k`, :data:`Dk`), in the
    numerically stable form that :mod:`classdyn.theory.codegen` turns into float64 code
    (linear, ReLU, erf).

    They are :func:`symbolic_coefficients` with ``S² → s2``, ``Δ → D`` and two exact rewritings:

    * ``Φ`` stays the unevaluated :class:`NormalCDF` (= ``(1 + erf(x/√2))/2``);
    * erf: ``μ0² = erf(m/√A)² = J(0) = 1 − 8 T(k, 1)`` (independent copies, ``α(0) = 1``), so
      ``v² = J(s2) − J(0) − a² s2 = 8 [T(k, 1) − T(k, α(s2))] − a² s2`` and
      ``s² = J(Γ²) − J(s2) − D a² = 8 [T(k, α(s2)) − T(k, α(Γ²))] − D a²``, each bracket one
      :class:`OwensTDiff` (``A = 1 + 2Γ²``, ``k = √2 m/√A``, ``α(c) = √((A − 2c)/(A + 2c))``).

    Parameters
    ----------
    name : str
        ``"linear"``, ``"relu"`` or ``"erf"`` (tanh has no closed form).

    Returns
    -------
    dict
        The four expressions, keys ``mu0, a, v2, s2``.

    Examples
    --------
    >>> from classdyn.theory.activations import kernel_expressions
    >>> kernel_expressions("erf")["a"]
    2*exp(-m**2/(2*D + 2*s2 + 1))/(sqrt(pi)*sqrt(2*D + 2*s2 + 1))
    """
    check_activation(name)
    G2 = s2k + Dk
    if name == "linear":
        lin = symbolic_coefficients("linear")  # derive_linear(), cached
        return {k: _kernel_vars(lin[k]) for k in ("mu0", "a", "v2", "s2")}
    if name == "erf":
        A = 1 + 2 * G2
        k = sp.sqrt(2) * m / sp.sqrt(A)

        def alpha(cc):
            return sp.sqrt((A - 2 * cc) / (A + 2 * cc))

        mu0 = sp.erf(m / sp.sqrt(A))
        a = 2 / sp.sqrt(sp.pi * A) * sp.exp(-m ** 2 / A)
        return {"mu0": mu0, "a": a,
                "v2": 8 * OwensTDiff(k, alpha(s2k), 1) - a ** 2 * s2k,
                "s2": 8 * OwensTDiff(k, alpha(G2), alpha(s2k)) - Dk * a ** 2}
    if name == "relu":
        G = sp.sqrt(G2)
        mu0 = m * NormalCDF(m / G) + G * std_normal_pdf(m / G)
        a = NormalCDF(m / G)
        J_s = _J_relu(s2k, G2, NormalCDF)
        J_G = (m ** 2 + G2) * NormalCDF(m / G) + m * G * std_normal_pdf(m / G)
        return {"mu0": mu0, "a": a, "v2": J_s - mu0 ** 2 - a ** 2 * s2k,
                "s2": J_G - J_s - Dk * a ** 2}
    raise ValueError(f"activation {name!r} has no closed form (kernel expressions exist for "
                     f"linear, relu, erf)")


def _kernel_vars(expr):
    """``(m, σ², t) → (m, s2, D)``: ``σ² = s2/(1 − D)``, ``t = −log(1 − D)/2``."""
    return expr.subs(sigma2, s2k / (1 - Dk)).subs(t, -sp.log(1 - Dk) / 2)
