"""Gaussian-mixture sampler (THEORY.md §1)."""

import numpy as np
import pytest

from simulate.data import class_counts, make_centroids, sample_mixture
from theory.params import Mixture


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
