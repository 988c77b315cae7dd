"""Compiled Gaussian integrals behind the coefficients (THEORY.md §4): classdyn.theory.quadrature.

The truncated trapezoidal rule must do what plain Gauss–Hermite cannot for tanh at large
variance (poles of tanh near the real axis). Its accuracy over the whole VERIFIED_RANGE, through
the coefficients, is in test_coeff_range.py.
"""

import math

import numpy as np

from classdyn.theory.coefficients import coefficients, coefficients_mp


def test_gauss_hermite_200_is_not_enough_but_our_rule_is():
    # The motivating case of THEORY.md §4: tanh at σ² = 4 (Γ ≈ 2). Gauss–Hermite with 200 nodes
    # for E tanh'(Γz) misses by > 1e-10; the package's float64 value is within 1e-13 of the
    # 20-digit reference.
    s2, t = 4.0, 0.1
    G = math.sqrt(math.exp(-2 * t) * s2 - math.expm1(-2 * t))
    z, w = np.polynomial.hermite_e.hermegauss(200)
    gh = float(np.sum(w * (1 - np.tanh(G * z) ** 2)) / np.sum(w))
    ref = float(coefficients_mp("tanh", 0.0, s2, t, dps=20)["a"])
    assert abs(gh - ref) > 1e-10
    assert abs(float(coefficients("tanh", 0.0, s2, t).a) - ref) < 1e-13
