"""Exact properties of theory.extensive (THEORY.md §6): the invariance of the outliers when a class
is split into identical ones, and the speciation time of the linear model in closed form. (The
exact properties of the nodes of E_m and of the whitening of the Gram matrix are in
test_extensive_nodes.py.)"""

from __future__ import annotations

import math

import numpy as np
import pytest

from classdyn.theory import extensive as ex
from classdyn.theory.params import Mixture, RandomFeatures
from tests.theory.test_extensive_outliers import _linear_outlier

RF = RandomFeatures(psi_p=2.0, psi_n=1.0)


@pytest.mark.parametrize("weights", [(1 / 3, 1 / 3, 1 / 3), (0.2, 0.3, 0.5), (0.4, 0.6)])
def test_identical_classes_pool_into_one_outlier(weights):
    """Splitting one class into identical ones (same variance, same centroid: cosines 1) must
    not change U's law: one outlier, at the single class's closed-form location (linear
    activation, test_extensive_outliers._linear_outlier; measured 5e-14 relative; tolerance 1e-9, ten
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
    """``ψ_p ψ(ℓ_S)`` of test_extensive_outliers._linear_outlier as a function of the S-level spike
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
    ``ℓ_S(t) = e^{−2t} λ_x + Δ`` (test_extensive_outliers._linear_outlier) exists for all these ``t``
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
