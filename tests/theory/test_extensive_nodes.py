"""Nodes of ``E_m`` for extensive centroids (classdyn.theory.extensive_nodes, THEORY.md §6): the
Gaussian rules reproduce the law of the projected centroids, the whitening handles singular Gram
matrices, neuron nodes whiten the neurons' own centroids, and the two quadrature rules agree.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from classdyn.theory import extensive as ex
from classdyn.theory.params import Mixture
from tests.theory._extensive_helpers import RF, mixture


def test_quadrature_rules_agree_away_from_the_axis():
    """Two independent quadrature rules for E_m over the Gaussian law (tensor Gauss–Hermite and
    composite Gauss–Legendre panels) give the same q(z) where R(m) is smooth (Im z = 0.3): a
    check of the quadrature, not of the theory. Both rules converge exponentially for
    integrands analytic in a strip; measured ≤ 6.1e-13 at these orders; tolerance 1e-11 (was
    1e-8).
    """
    mix = mixture(0.5)
    z = np.array([0.2 + 0.3j, 1.0 + 0.3j, 2.5 + 0.3j])
    qh = ex.solve_bulk(z, ex.gaussian_nodes(mix, RF, 0.3, order=40, rule="hermite")).q
    ql = ex.solve_bulk(z, ex.gaussian_nodes(mix, RF, 0.3, order=96, rule="legendre")).q
    np.testing.assert_allclose(ql, qh, rtol=1e-11)


@pytest.mark.parametrize("rule,order,mix,tol", [
    ("hermite", 6, Mixture(variances=(1.0, 2.0, 0.5), norms2=(1.0, 4.0, 0.25),
                           overlaps=[0.3, -0.2, 0.5]), (1e-14, 1e-13)),
    ("legendre", 96, Mixture(variances=(1.0, 2.0), norms2=(1.0, 4.0), overlaps=[0.5]),
     (3e-12, 3e-11)),
])
def test_gaussian_nodes_reproduce_the_law_of_the_projected_centroids(rule, order, mix, tol):
    """``m ~ N(0, e^{−2t} Gram)`` (THEORY.md §6): the nodes' weights sum to 1, ``E m = 0``,
    ``E m mᵀ = e^{−2t} Gram``, and the whitened ``g`` has ``E g gᵀ = I`` and ``E g⁴ = 3``, for
    centroids of unequal norms and non-trivial cosines (Gram of full rank). Gauss–Hermite with
    6 nodes per axis is exact for polynomials of degree ≤ 11: measured ≤ 9e-16 (second
    moments), 1.3e-15 (fourth); tolerances 1e-14, 1e-13. The composite Legendre rule (12 panels
    of 8 points on [−8.5, 8.5], times the Gaussian density) is exact only to its panel error:
    measured 1.9e-13 and 2.4e-12; tolerances 3e-12, 3e-11 (a rule with the wrong Gaussian, or
    unnormalised weights, is off by O(1))."""
    t = 0.7
    C = mix.n_classes
    nodes = ex.gaussian_nodes(mix, RF, t, order=order, rule=rule)
    w, m, g = nodes.weights, nodes.m, nodes.g
    assert nodes.rank == C and abs(w.sum() - 1) < 1e-14
    assert np.all(np.abs(w @ m) < tol[0])
    np.testing.assert_allclose((m * w[:, None]).T @ m, math.exp(-2 * t) * mix.gram, rtol=0,
                               atol=tol[0])
    np.testing.assert_allclose((g * w[:, None]).T @ g, np.eye(C), rtol=0, atol=tol[0])
    np.testing.assert_allclose(w @ g ** 4, 3.0, rtol=0, atol=tol[1])


def test_whitening_of_singular_gram_matrices():
    """``L Lᵀ = Gram`` with ``L`` of the Gram's rank: three coplanar centroids (rank 2; the
    smallest eigenvalue is rounding, ~1e-16), a centred class (rank 1 of 2), collinear
    centroids (rank 1). Exact up to rounding: 1e-14."""
    cos = [math.cos(x) for x in (0.7, 1.9, 1.2)]  # angles 0, 0.7, 1.9 in one plane
    for mix, rank in [(Mixture(variances=(1, 2, 3), norms2=(1.0, 2.0, 0.5), overlaps=cos), 2),
                      (Mixture(variances=(1, 2), norms2=(1.0, 0.0)), 1),
                      (Mixture(variances=(1, 2), norms2=(1.0, 4.0), overlaps=[1.0]), 1)]:
        L = ex.whitening(mix)
        assert L.shape == (mix.n_classes, rank)
        np.testing.assert_allclose(L @ L.T, mix.gram, rtol=0, atol=1e-14)


def test_neuron_nodes_whiten_the_neurons_own_centroids():
    """For real neurons, ``m_i = e^{−t} W_i μ/√d`` lies in the span of the centroids, so the
    whitened coordinates ``g_i = e^{t} L⁺ m_i`` map back to it exactly: ``e^{−t} g Lᵀ = m``
    (1e-12), and over many neurons ``g`` is standard normal (sample covariance within
    5/√p of I)."""
    from classdyn.simulate.data import make_centroids

    mix = Mixture(variances=(1.0, 2.0), norms2=(1.0, 0.5), overlaps=[0.5])
    d, p, t = 300, 3000, 0.4
    rng = np.random.default_rng(3)
    mu = make_centroids(mix, d, rng)
    W = rng.standard_normal((p, d))
    m = math.exp(-t) * W @ mu.T / math.sqrt(d)
    nodes = ex.neuron_nodes(mix, RF, t, m)
    np.testing.assert_allclose(math.exp(-t) * nodes.g @ nodes.L.T, m, rtol=0, atol=1e-12)
    assert np.all(np.abs(np.cov(nodes.g.T) - np.eye(2)) < 5 / math.sqrt(p))
