"""Accuracy of the float64 coefficients over the whole VERIFIED_RANGE (corners and tails).

THEORY.md §4: plain Gauss–Hermite with 200 nodes reaches only ~2e-9 at σ² = 4 for tanh (poles
of tanh near the real axis: test_quadrature.py); the truncated trapezoidal rule of
classdyn.theory.quadrature must reach 1e-12 everywhere in the range. Reference: the mpmath path at
20 digits (nested trapezoidal rule with aliasing/truncation error < 1e-25, far finer steps than the
float64 rule).
"""

import math

import pytest

from classdyn.theory.coefficients import VERIFIED_RANGE, coefficients, coefficients_mp

S2_LO, S2_HI = VERIFIED_RANGE["sigma2"]
T_LO, T_HI = VERIFIED_RANGE["t"]
MMAX = VERIFIED_RANGE["abs_m"]

CORNERS = [(0.0, S2_HI, T_LO), (3.0, S2_HI, 0.05), (0.5, S2_LO, T_LO), (-MMAX, 1.0, 0.1),
           (1.0, 4.0, T_HI), (0.2, S2_LO, T_HI), (-1.0, S2_HI, 2.0), (4.0, 1.0, 0.1),
           (-6.0, 0.5, 1.0)]


@pytest.mark.slow
@pytest.mark.parametrize("act", ["tanh", "erf", "relu"])
def test_range_against_mpmath(act):
    # Absolute error ≤ 1e-12 × S with S the activation's scale (1 for bounded σ, (|m| + Γ)² for
    # ReLU, whose values grow like that); where a value is ≥ 1e-3 S, also ≤ 1e-12 relative
    # for μ0, a, b and ≤ 1e-10 relative for v², s² (differences of O(S) quantities in the
    # closed forms; measured ≤ 5e-13 for them at such values).
    for m, s2, t in CORNERS:
        ref = coefficients_mp(act, m, s2, t, dps=20)
        c = coefficients(act, m, s2, t)
        G = math.sqrt(math.exp(-2 * t) * s2 - math.expm1(-2 * t))
        S = 1.0 if act != "relu" else (abs(m) + G) ** 2
        for k in ("mu0", "a", "b", "v2", "s2"):
            r, x = float(ref[k]), float(getattr(c, k))
            assert abs(x - r) <= 1e-12 * S, (k, m, s2, t, x, r)
            if abs(r) >= 1e-3 * S:
                rel = 1e-12 if k in ("mu0", "a", "b") else 1e-10
                assert abs(x - r) <= rel * abs(r), (k, m, s2, t, x, r)
