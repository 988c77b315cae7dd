"""Exact properties of theory.extensive (THEORY.md §6): the nodes of E_m, the whitening of the
Gram matrix, and the invariance of the outliers when a class is split into identical ones."""

from __future__ import annotations

import math

import numpy as np
import pytest

from classdyn.theory import extensive as ex
from classdyn.theory.params import Mixture, RandomFeatures
from tests.theory.test_outliers import _linear_outlier

RF = RandomFeatures(psi_p=2.0, psi_n=1.0)


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


@pytest.mark.parametrize("weights", [(1 / 3, 1 / 3, 1 / 3), (0.2, 0.3, 0.5), (0.4, 0.6)])
def test_identical_classes_pool_into_one_outlier(weights):
    """Splitting one class into identical ones (same variance, same centroid: cosines 1) must
    not change U's law: one outlier, at the single class's closed-form location (linear
    activation, test_outliers._linear_outlier; measured 5e-14 relative; tolerance 1e-9, ten
    times the root finder's 1e-10 (1 + λ)), the other directions of 𝓜 staying positive. The null vector is shared: class weights
    ``ρ_c²/Σρ²`` (by symmetry of the blocks, whose class factors all scale like ``ρ_c``), so
    with equal weights no class dominates and the outlier is labelled −1 (measured 4e-14)."""
    C = len(weights)
    n2, d, t = 0.5, 500, 1.0
    mix = Mixture(variances=(1.0,) * C, weights=weights, norms2=(n2,) * C,
                  overlaps=[1.0] * (C * (C - 1) // 2))
    rf = RandomFeatures(2.0, 1.0, "linear")
    out = ex.outliers(ex.gaussian_nodes(mix, rf, t, order=10), d)
    ref = _linear_outlier(1.0, 1.0 + n2 * d, d, 2.0, 1.0, t)
    assert out.locations.size == 1
    assert out.locations[0] == pytest.approx(ref, rel=1e-9)
    r2 = np.asarray(weights) ** 2
    np.testing.assert_allclose(out.class_weights[0], r2 / r2.sum(), atol=1e-9)
    expect = -1 if r2.max() / r2.sum() < 0.5 else int(np.argmax(r2))
    assert out.classes[0] == expect


def _bai_yao_psi(lS: float, sig2: float, psi_p: float, psi_n: float, t: float) -> float:
    """``ψ_p ψ(ℓ_S)`` of test_outliers._linear_outlier as a function of the S-level spike
    ``ℓ_S``: ``ψ(ℓ) = ℓ + (1/ψ_p) ℓ ∫ t dH(t)/(ℓ − t)``, ``H`` = law of ``e^{−2t} MP_γ(σ²) + Δ``."""
    e2 = math.exp(-2 * t)
    D, g = 1 - e2, 1 / psi_n
    z = (lS - D) / e2
    m_mp = (sig2 * (1 - g) - z + math.sqrt((z - sig2 * (1 + g)) ** 2 - 4 * g * sig2 ** 2)) / (
        2 * g * sig2 * z)
    return psi_p * (lS + lS * (-1 - lS * m_mp / e2) / psi_p)


@pytest.mark.parametrize("sig2,n2,weights,d,psi_p,psi_n", [
    (1.0, 1.0, (1.0,), 500, 2.0, 1.0),
    (1.0, 1.0, (0.3, 0.7), 500, 2.0, 1.0),
    (2.0, 0.5, (1.0,), 2000, 3.0, 0.5),
])
def test_speciation_time_of_the_linear_model_in_closed_form(sig2, n2, weights, d, psi_p, psi_n):
    """The order-one speciation threshold (THEORY.md §7 from §6's outlier equation) against a
    closed form: for σ(x) = x the outlier of ``U = W S Wᵀ/d`` exists while the Bai–Yao map is
    increasing at the S-level spike, ``ψ'(ℓ_S) > 0`` (Bai & Yao 2008), and the S-level spike
    ``ℓ_S(t) = e^{−2t} λ_x + Δ`` (test_outliers._linear_outlier) exists for all these ``t``
    (``ρ_c n2 d ≫ σ²(1 + √γ)``). So ``t_s^c`` solves ``ψ'(ℓ_S(t)) = 0`` (brentq on a central
    difference of ψ, step 1e-6 ℓ: error ~1e-12). Measured |Δt| ≤ 2.9e-6, a bias from
    evaluating 𝓜 at the edge found to 1e-11 (the bulk solution has a square-root fold there:
    √1e-11 ~ 3e-6); tolerance 2e-5 in t (against t_s ≈ 2.7–3.7 and Result 1's O(1) constant).
    """
    from scipy.optimize import brentq

    C = len(weights)
    mix = Mixture(variances=(sig2,) * C, weights=weights, norms2=(n2,) * C)
    sp = ex.speciation_time(mix, RandomFeatures(psi_p, psi_n, "linear"), d, order=6, tol=1e-10)

    def dpsi(t, spike):
        e2 = math.exp(-2 * t)
        lam_x = spike * (1 + sig2 / psi_n / (spike - sig2))
        lS = e2 * lam_x + 1 - e2
        h = 1e-6 * lS
        return (_bai_yao_psi(lS + h, sig2, psi_p, psi_n, t)
                - _bai_yao_psi(lS - h, sig2, psi_p, psi_n, t)) / (2 * h)

    ref = [brentq(dpsi, 0.5, 10.0, args=(sig2 + weights[c] * n2 * d,), xtol=1e-13)
           for c in range(C)]
    np.testing.assert_allclose(sp.t_s, ref, rtol=0, atol=2e-5)
