"""Gaussian-mixture sampler (THEORY.md §1)."""

import math

import numpy as np
import pytest

from classdyn.simulate.data import as_generator, class_counts, make_centroids, sample_mixture
from classdyn.theory.params import Mixture


def test_counts_exact_and_sum():
    c = class_counts([0.25, 0.75], 10)
    assert c.tolist() == [3, 7] or c.tolist() == [2, 8]
    assert c.sum() == 10 and np.all(np.abs(c - np.array([2.5, 7.5])) < 1)
    with pytest.raises(ValueError, match="too small"):
        class_counts([0.01, 0.99], 10)


def test_centroid_geometry_is_exact():
    m = Mixture(variances=[1, 2, 3], norms2=[1.0, 0.5, 2.0], overlaps=[0.5, 0.0, -0.3])
    mu = make_centroids(m, 200, seed=1)
    # exact up to rounding: the construction is deterministic algebra
    assert mu @ mu.T / 200 == pytest.approx(m.gram, abs=1e-12)


def test_sample_moments_and_seed():
    m = Mixture(variances=[1.0, 4.0], weights=[0.25, 0.75])
    s = sample_mixture(m, d=400, n=800, seed=3)
    assert s.X.shape == (800, 400) and s.counts.tolist() == [200, 600]
    # per-class variance estimated from 200*400 (resp 600*400) draws: relative standard error
    # sqrt(2/N) < 0.5 %; allow 5 standard errors.
    for c, var in enumerate([1.0, 4.0]):
        est = s.class_rows(c).var()
        assert abs(est / var - 1) < 5 * np.sqrt(2 / s.class_rows(c).size)
    s2 = sample_mixture(m, d=400, n=800, seed=3)
    assert np.array_equal(s.X, s2.X)


def test_largest_remainder_counts_exact():
    # rho n = 1.6, 1.7, 6.7: floors 1, 1, 6 leave 2 samples for the two largest remainders
    # (0.7, 0.7: classes 1 and 2) -> 1, 2, 7 (hand-computed)
    assert class_counts([0.16, 0.17, 0.67], 10).tolist() == [1, 2, 7]
    # rho n = 2.4, 2.4, 5.2: one sample short, the first of the tied largest remainders gets it
    assert class_counts([0.24, 0.24, 0.52], 10).tolist() == [3, 2, 5]
    # rho n = 1.5, 1.5, 3: rounding to nearest would give 2 + 2 + 3 = 7 samples, not 6
    assert class_counts([0.25, 0.25, 0.5], 6).tolist() == [2, 1, 3]
    assert class_counts([0.5, 0.5], 1000).tolist() == [500, 500]
    # boundary: one sample per class is enough, zero is refused; n must be an integer >= 1
    assert class_counts([0.5, 0.5], 2).tolist() == [1, 1]
    with pytest.raises(ValueError, match="too small"):
        class_counts([0.9, 0.1], 1)
    for bad in (0, -3, 2.5):
        with pytest.raises(ValueError, match="n must"):
            class_counts([1.0], bad)


def test_seeds():
    g = np.random.default_rng(1)
    assert as_generator(g) is g
    assert as_generator(0).random() == np.random.default_rng(0).random()
    # refused by the function itself (numpy would also refuse -1, with another message)
    for bad in (-1, 1.5, True, None, "3"):
        with pytest.raises(ValueError, match="seed must be an integer >= 0"):
            as_generator(bad)


def test_sample_means_labels_and_given_centroids():
    # class means of the samples are the centroids: per coordinate the mean of n_c points has
    # standard deviation sigma_c/sqrt(n_c); tolerance 5 of them (max over d = 50 coordinates,
    # a false alarm has probability ~3e-5)
    m = Mixture(variances=[0.5, 4.0], weights=[0.3, 0.7], norms2=[2.0, 1.0], overlaps=[-0.4])
    s = sample_mixture(m, d=50, n=2000, seed=5)
    assert s.counts.tolist() == [600, 1400] and s.labels.tolist() == [0] * 600 + [1] * 1400
    assert np.allclose(s.empirical_weights, [0.3, 0.7], rtol=0, atol=1e-15)
    for c, var in enumerate([0.5, 4.0]):
        rows = s.class_rows(c)
        dev = np.abs(rows.mean(0) - s.centroids[c]) / math.sqrt(var / len(rows))
        assert dev.max() < 5.0, dev.max()
        # the variance about the centroid (not about the grand mean): 5 standard errors
        v = np.mean((rows - s.centroids[c]) ** 2)
        assert abs(v / var - 1) < 5 * math.sqrt(2 / rows.size)
    mu = np.arange(100.0).reshape(2, 50)
    s2 = sample_mixture(m, d=50, n=10, seed=0, centroids=mu)
    assert np.array_equal(s2.centroids, mu)
    with pytest.raises(ValueError, match="centroids"):
        sample_mixture(m, d=50, n=10, centroids=mu[:, :10])
    with pytest.raises(ValueError, match="d must"):
        make_centroids(Mixture(variances=[1, 1, 1], norms2=[1, 1, 1]), 2)
