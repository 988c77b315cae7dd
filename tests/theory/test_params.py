"""Parameter objects validate themselves (THEORY.md §1)."""

import numpy as np
import pytest

from theory.params import Mixture, RandomFeatures, check_time, delta_t


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
