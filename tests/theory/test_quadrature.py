"""Compiled Gaussian integrals behind the coefficients (THEORY.md §4): classdyn.theory.quadrature.

The truncated trapezoidal rule must do what plain Gauss–Hermite cannot for tanh at large
variance (poles of tanh near the real axis). Its accuracy over the whole VERIFIED_RANGE, through
the coefficients, is in test_coeff_range.py.
"""

import math

import numpy as np
import pytest

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


def test_small_inputs_run_the_same_kernels_uncompiled_to_1e15():
    # issue 16: a few values are evaluated by the plain-Python bodies of the lazy kernels (no
    # Numba import), many by their compiled twins. Same bodies: the two agree to 1e-15 absolute
    # (values are O(1) for tanh/erf; measured max difference 0 to a few 1e-17).
    from classdyn.theory import quadrature as q
    from classdyn.theory.coefficients import JIT_MIN_SIZE

    ms = np.linspace(-3.0, 3.0, 7)
    for act in ("tanh", "erf", "relu"):
        for s2, t in ((1.0, 0.1), (4.0, 1.0), (0.05, 0.01)):
            small = coefficients(act, ms, s2, t, method="quadrature")
            big_m = np.concatenate([ms, np.linspace(-3.0, 3.0, JIT_MIN_SIZE)])
            big = coefficients(act, big_m, s2, t, method="quadrature")
            for k in ("mu0", "a", "v2", "s2"):
                np.testing.assert_allclose(getattr(small, k), getattr(big, k)[:ms.size],
                                           rtol=0, atol=1e-15, err_msg=f"{act} {k}")
    assert q.lattice_values.compiled  # the big batch did run compiled


def test_a_few_coefficients_do_not_import_numba_or_sympy():
    # issue 16 cold start: `classdyn coefficients --t 0.1` (tanh, 2 classes) imports neither.
    import subprocess
    import sys

    code = ("import sys; from classdyn.theory.coefficients import coefficients; "
            "[coefficients(a, [0.0, 0.5], [1.0, 2.0], 0.1) for a in "
            "('tanh', 'erf', 'relu', 'linear')]; "
            "print(sorted(k for k in ('numba', 'sympy') if k in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True).stdout
    assert out.strip() == "[]"


def test_owens_t_segment_is_handed_out_compiled():
    # simulate.features calls it from its own Numba kernels
    from classdyn.theory import quadrature as q

    assert q.owens_t_segment is q.owens_t_segment_kernel.jit
    with pytest.raises(AttributeError, match="no_such_name"):
        q.no_such_name  # noqa: B018
