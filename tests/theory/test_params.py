"""Parameter objects validate themselves (THEORY.md §1)."""

import math

import numpy as np
import pytest

from classdyn.theory.params import Mixture, RandomFeatures, check_time, delta_t


def test_defaults_equal_weights_centred_orthogonal():
    m = Mixture(variances=[1, 2, 3])
    assert m.weights == pytest.approx((1 / 3,) * 3, abs=1e-15)
    assert m.centred and m.n_classes == 3
    assert np.array_equal(np.asarray(m.overlaps), np.eye(3))


def test_overlaps_from_upper_triangle_and_gram():
    m = Mixture(variances=[1, 2], norms2=[1.0, 4.0], overlaps=[0.5])
    # Gram_12 = sqrt(1*4)*0.5 = 1
    assert m.gram == pytest.approx(np.array([[1.0, 1.0], [1.0, 4.0]]), abs=1e-15)


@pytest.mark.parametrize("kw, word", [
    (dict(variances=[1, -1]), "variances"),
    (dict(variances=[1, 2], weights=[0.5, 0.6]), "sum to 1"),
    (dict(variances=[1, 2], weights=[1.5, -0.5]), "weights"),
    (dict(variances=[1, 2], weights=[1.0]), "one entry per class"),
    (dict(variances=[1, 2], norms2=[-1, 0]), "norms2"),
    (dict(variances=[1, 2, 3], overlaps=[0.9, 0.9, -0.9]), "semi-definite"),
    (dict(variances=[1, 2], overlaps=[[1, 0.2], [0.3, 1]]), "symmetric"),
    (dict(variances=[1, 2], overlaps=[1.5]), "[-1, 1]"),
    (dict(variances=[1, float("nan")]), "finite"),
])
def test_bad_mixture_names_parameter(kw, word):
    with pytest.raises(ValueError, match=None) as exc:
        Mixture(**kw)
    assert word in str(exc.value)


@pytest.mark.parametrize("kw, word", [
    (dict(psi_p=0, psi_n=1), "psi_p"), (dict(psi_p=1, psi_n=-2), "psi_n"),
    (dict(psi_p=1, psi_n=1, activation="sigmoid"), "activation"),
])
def test_bad_random_features(kw, word):
    with pytest.raises(ValueError) as exc:
        RandomFeatures(**kw)
    assert word in str(exc.value)


def test_time():
    with pytest.raises(ValueError, match="diffusion time"):
        check_time(0)
    # Δ_t = 1 - e^{-2t}; at t = 1e-12 the naive form loses ~4 digits, expm1 keeps them all.
    assert delta_t(1e-12) == pytest.approx(2e-12, rel=1e-11)


# ------------------------------------------------------------------ bounds of the validators
def test_zero_variance_and_zero_weight_are_rejected():
    # σ_c² > 0 and ρ_c > 0 are strict (a class with no variance or no weight is not a class).
    with pytest.raises(ValueError, match="variances"):
        Mixture(variances=[1.0, 0.0])
    with pytest.raises(ValueError, match="weights"):
        Mixture(variances=[1.0, 2.0], weights=[1.0, 0.0])
    Mixture(variances=[1.0, 2.0], norms2=[0.0, 0.0])  # norms2 = 0 is allowed (centred)


def test_weight_sum_tolerance_is_tight():
    # WEIGHT_SUM_TOL = 1e-9: hand-typed weights normalised to 12 digits pass, a sum off by
    # 2e-9 does not (THEORY.md §1: Σ ρ_c = 1).
    Mixture(variances=[1, 2, 3], weights=[0.333333333333, 0.333333333333, 0.333333333334])
    Mixture(variances=[1, 2], weights=[0.5, 0.5 + 5e-10])
    with pytest.raises(ValueError, match="sum to 1"):
        Mixture(variances=[1, 2], weights=[0.5, 0.5 + 2e-9])


def test_overlap_matrix_checks():
    # unit diagonal (cosine of a centroid with itself)
    with pytest.raises(ValueError, match="unit diagonal"):
        Mixture(variances=[1, 2], overlaps=[[1.0, 0.2], [0.2, 0.9]])
    # PSD with a rounding allowance (GRAM_EIG_TOL = 1e-10): [[1, c, c], [c, 1, c], [c, c, 1]]
    # has eigenvalues 1 + 2c, 1 − c (twice); c = −1/2 − ε gives 1 + 2c = −2ε.
    Mixture(variances=[1, 2, 3], overlaps=[-0.5 - 1e-12] * 3)
    with pytest.raises(ValueError, match="semi-definite"):
        Mixture(variances=[1, 2, 3], overlaps=[-0.5 - 1e-8] * 3)
    # three coplanar centroids (angles 0, 0.7, 1.9) typed with 12 digits: a singular Gram
    # matrix whose smallest eigenvalue rounds to −6e-14, which must be accepted
    cos = [round(math.cos(x), 12) for x in (0.7, 1.9, 1.2)]
    Mixture(variances=[1, 2, 3], norms2=[1, 1, 1], overlaps=cos)
    # collinear centroids (cos = 1) are allowed: singular Gram (classdyn.theory.extensive whitens it)
    assert Mixture(variances=[1, 2], norms2=[1, 1], overlaps=[1.0]).gram == \
        pytest.approx(np.ones((2, 2)), abs=1e-15)


def test_overlaps_from_upper_triangle_row_by_row():
    # C(C−1)/2 entries fill the strict upper triangle row by row: (0,1), (0,2), (1,2)
    from classdyn.theory.params import overlaps_from_upper

    mat = overlaps_from_upper([0.1, 0.2, 0.3], 3)
    assert mat.tolist() == [[1.0, 0.1, 0.2], [0.1, 1.0, 0.3], [0.2, 0.3, 1.0]]
    m = Mixture(variances=[1, 2, 3], norms2=[1.0, 4.0, 9.0], overlaps=[0.1, 0.2, 0.3])
    # Gram_cc' = √(n2_c n2_c') cos_cc'
    assert m.gram == pytest.approx(np.array([[1.0, 0.2, 0.6], [0.2, 4.0, 1.8],
                                             [0.6, 1.8, 9.0]]), abs=1e-15)


def test_centred_means_every_centroid_subextensive():
    assert Mixture(variances=[1, 2], norms2=[0.0, 0.0]).centred
    assert not Mixture(variances=[1, 2], norms2=[1.0, 0.0]).centred
    assert not Mixture(variances=[1, 2], norms2=[0.0, 1e-12]).centred


def test_non_finite_numbers_are_rejected():
    for bad in (float("inf"), float("nan"), "abc", None):
        with pytest.raises(ValueError, match="diffusion time"):
            check_time(bad)
    with pytest.raises(ValueError, match="psi_p"):
        RandomFeatures(psi_p=float("inf"), psi_n=1.0)
    with pytest.raises(ValueError, match="norms2"):
        Mixture(variances=[1, 2], norms2=[1.0, float("inf")])
    assert check_time(2) == 2.0 and isinstance(check_time(2), float)
    # Δ_t = 1 − e^{−2t} at a large t (no cancellation issue there): exact to rounding
    assert delta_t(0.7) == pytest.approx(1 - math.exp(-1.4), rel=1e-15)


# ------------------------------------------------------------------ activation registry
def test_check_activation_names_parameter_value_and_allowed_set():
    from classdyn.theory.params import ACTIVATIONS, check_activation

    for name in ACTIVATIONS:
        assert check_activation(name) == name
    with pytest.raises(ValueError, match=r"activation must be one of .*tanh.*got 'sigmoid'"):
        check_activation("sigmoid")
    with pytest.raises(ValueError, match=r"act must be one of"):
        check_activation(None, "act")


def test_numpy_activations_match_the_compiled_kernels():
    # The NumPy σ, σ' of the registry and the Numba act/dact are two codings of one definition:
    # same float64 operations up to libm vs NumPy rounding, so agreement to 4 ulp-ish (1e-15).
    from classdyn.theory import quadrature as q
    from classdyn.theory.params import (ACTIVATIONS, activation_code,
                                        activation_derivative_function, activation_function)

    xs = np.array([-3.0, -0.7, 0.0, 0.4, 2.5])
    for name in ACTIVATIONS:
        code = activation_code(name)
        f, df = activation_function(name), activation_derivative_function(name)
        np.testing.assert_allclose(f(xs), [q.act(code, v) for v in xs], rtol=1e-15, atol=1e-15)
        np.testing.assert_allclose(df(xs), [q.dact(code, v) for v in xs], rtol=1e-15, atol=1e-15)


def test_public_quadrature_names_for_simulate():
    from classdyn.theory import quadrature as q

    x, w = q.gauss_legendre(48)
    np.testing.assert_array_equal(x, q._GLX)  # same rule, public name
    np.testing.assert_array_equal(w, q._GLW)
    # Owen's T(h, a) for h = 0 is arctan(a)/(2π) exactly; the 48-point rule is exact to rounding
    assert abs(q.owens_t_segment(0.0, 0.0, 1.0, x, w) - math.atan(1.0) / (2 * math.pi)) < 1e-15


def test_check_positive_int():
    from classdyn.theory.params import check_positive_int

    assert check_positive_int(3, "n") == 3
    for bad in (0, -1, 2.5, True, "3"):
        with pytest.raises(ValueError, match="n must be an integer > 0"):
            check_positive_int(bad, "n")
