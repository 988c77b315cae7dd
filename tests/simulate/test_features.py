"""Tests of classdyn.simulate.features: exact (Mehler/Stein) and GEP feature matrices (THEORY.md §2-§4)."""

import dataclasses
import functools
import math

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.special import erf
from scipy.stats import norm

from classdyn.simulate import features as F
from classdyn.simulate.data import sample_mixture
from classdyn.theory.coefficients import class_coefficients
from classdyn.theory.params import Mixture, delta_t

ACT = {"tanh": np.tanh, "erf": erf, "relu": lambda x: np.maximum(x, 0.0), "linear": lambda x: x}


def _small(seed=3, d=40, p=6, n=3, scale=1.3):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((p, d)), scale * rng.standard_normal((n, d))


def _pair_reference(f, act, ui, uj, Kii, Kjj, Kij, D):
    """E σ(h_i) σ(h_j) for one sample: independent 2D integral (not the Mehler series)."""
    C = D * np.array([[Kii, Kij], [Kij, Kjj]])
    L = np.linalg.cholesky(C)
    if act == "relu":  # inner integral in closed form, outer adaptive quad split at the kink
        def g(z1):
            a, b = uj + L[1, 0] * z1, L[1, 1]
            return max(ui + L[0, 0] * z1, 0) * (a * norm.cdf(a / b) + b * norm.pdf(a / b)) \
                * norm.pdf(z1)
        return quad(g, -ui / L[0, 0], np.inf, epsabs=1e-15, epsrel=1e-13, limit=200)[0]
    z, w = np.polynomial.hermite_e.hermegauss(150)  # entire / strip-analytic, γ ≲ 0.7
    w = w / w.sum()
    h1 = ui + L[0, 0] * z[:, None]
    h2 = uj + L[1, 0] * z[:, None] + L[1, 1] * z[None, :]
    return float((w[:, None] * w[None, :] * f(h1) * f(h2)).sum())


@pytest.mark.parametrize("act", ["tanh", "erf", "relu"])
@pytest.mark.parametrize("t", [0.02, 0.3])
def test_exact_U_matches_direct_2d_integrals(act, t):
    # Off-diagonal entries vs an independent 2D Gaussian integral per sample (Gauss–Hermite 150²
    # nodes, error ≲ 1e-14 at noise std ≤ 0.7 for tanh/erf; adaptive quad for ReLU, 1e-13).
    # The Mehler truncation bound is ≤ 1e-12 (MehlerInfo), so 1e-11 is the tolerance.
    W, X = _small()
    D = delta_t(t)
    d = W.shape[1]
    U, V, info = F.exact_UV(W, X, act, t)
    assert info.bound <= 1e-12
    K = W @ W.T / d
    u = math.exp(-t) * W @ X.T / math.sqrt(d)
    for i, j in [(0, 1), (2, 5), (4, 3)]:
        ref = np.mean([_pair_reference(ACT[act], act, u[i, v], u[j, v], K[i, i], K[j, j],
                                       K[i, j], D) for v in range(X.shape[0])])
        assert abs(U[i, j] - ref) <= 1e-11, (i, j, U[i, j], ref)


def test_exact_U_V_against_monte_carlo_over_noise():
    # The one Monte Carlo cross-check (issue 3): M = 40000 noise draws per sample; every entry
    # of U and V must lie within 5 standard errors of the MC mean (5 SE over ~500 entries:
    # a false alarm has probability ~3e-4).
    rng = np.random.default_rng(7)
    d, p, n, t = 30, 12, 4, 0.2
    W = rng.standard_normal((p, d))
    X = rng.standard_normal((n, d)) * 1.2
    D = delta_t(t)
    U, V, _ = F.exact_UV(W, X, "tanh", t)
    M = 40000
    xi = rng.standard_normal((M, n, d))
    H = (math.exp(-t) * X[None] + math.sqrt(D) * xi) @ W.T / math.sqrt(d)  # M, n, p
    Phi = np.tanh(H)
    prodU = np.einsum("mnp,mnq->mpq", Phi, Phi) / n
    prodV = np.einsum("mnp,mnd->mpd", Phi, xi) / n
    for exact, samples in ((U, prodU), (V, prodV)):
        mean = samples.mean(axis=0)
        se = samples.std(axis=0) / math.sqrt(M)
        z = np.abs(exact - mean) / se
        assert z.max() < 5.0, z.max()


def test_linear_gep_is_exact_and_closed_form():
    # σ = id: U = (1/n) Σ u uᵀ + Δ K, V = √Δ W/√d exactly; GEP with the linear coefficients
    # (a = 1, b = √Δ, v = s = 0) must equal the exact builder to round-off (1e-12).
    rng = np.random.default_rng(0)
    d, p, n, t = 50, 80, 40, 0.3
    mix = Mixture(variances=(1.0, 3.0))
    s = sample_mixture(mix, d, n, seed=1)
    W = rng.standard_normal((p, d))
    D = delta_t(t)
    U, V, info = F.exact_UV(W, s.X, "linear", t)
    u = math.exp(-t) * W @ s.X.T / math.sqrt(d)
    K = W @ W.T / d
    np.testing.assert_allclose(U, u @ u.T / n + D * K, rtol=0, atol=1e-12)
    np.testing.assert_allclose(V, math.sqrt(D) * W / math.sqrt(d), rtol=0, atol=1e-14)
    co = F.gep_coefficients(W, mix, "linear", t)
    np.testing.assert_allclose(F.U_gep(W, s.X, s.labels, co, seed=0), U, rtol=0, atol=1e-12)
    np.testing.assert_allclose(F.V_gep(W, s.labels, co), V, rtol=0, atol=1e-14)
    for c in range(2):
        np.testing.assert_allclose(F.U_c_gep(W, co, c, mix.variances[c]),
                                   F.exact_U_c(W, None, mix.variances[c], "linear", t),
                                   rtol=0, atol=1e-12)


def test_linear_gep_exact_with_extensive_centroids():
    # Extensive centroids, σ = id: μ0 = m, a = 1 per neuron, so G = m_c + (u − m_c) = u and the
    # GEP is again exact (1e-12); U_c = e^{-2t} W(μμᵀ + σ² I)Wᵀ/d + Δ K.
    rng = np.random.default_rng(2)
    d, p, n, t = 40, 60, 30, 0.5
    mix = Mixture(variances=(1.0, 2.0), norms2=(1.0, 0.5), overlaps=[0.3])
    s = sample_mixture(mix, d, n, seed=4)
    W = rng.standard_normal((p, d))
    co = F.gep_coefficients(W, mix, "linear", t, centroids=s.centroids)
    assert co.a.shape == (2, p)
    U = F.exact_U(W, s.X, "linear", t)
    np.testing.assert_allclose(F.U_gep(W, s.X, s.labels, co, centroids=s.centroids), U,
                               rtol=0, atol=1e-12)
    K = W @ W.T / d
    for c in range(2):
        mu = s.centroids[c]
        ref = math.exp(-2 * t) * (np.outer(W @ mu, W @ mu) / d + mix.variances[c] * K) \
            + delta_t(t) * K
        np.testing.assert_allclose(F.exact_U_c(W, mu, mix.variances[c], "linear", t), ref,
                                   rtol=0, atol=1e-12)
        np.testing.assert_allclose(F.U_c_gep(W, co, c, mix.variances[c]), ref, rtol=0,
                                   atol=1e-12)


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_population_U_c_V_c_against_fresh_samples(act):
    # U_c (exact population expectation by the Mehler series in Γ²K) vs the exact U of n_f fresh
    # class samples (noise integrated exactly, class points sampled): per-entry agreement
    # within 5 standard errors of the sample mean over the fresh points.
    rng = np.random.default_rng(11)
    d, p, t, var = 30, 8, 0.3, 1.7
    W = rng.standard_normal((p, d))
    mu = rng.standard_normal(d) * 0.8
    Uc = F.exact_U_c(W, mu, var, act, t)
    Vc = F.exact_V_c(W, mu, var, act, t)
    nf = 3000
    X = mu + math.sqrt(var) * rng.standard_normal((nf, d))
    per = np.stack([F.exact_U(W, X[k:k + 1], act, t) for k in range(0, 300)])
    per_V = np.stack([F.exact_V(W, X[k:k + 1], act, t) for k in range(0, 1500)])
    for exact, samples in ((Uc, per), (Vc, per_V)):
        z = np.abs(exact - samples.mean(0)) / (samples.std(0) / math.sqrt(len(samples)) + 1e-300)
        assert z.max() < 5.0, z.max()


def test_truncation_and_memory_chunking():
    # A smaller memory budget changes only the blocking (same sums): 1e-13. A looser tol keeps
    # fewer orders and its stated bound must cover the actual change.
    rng = np.random.default_rng(5)
    W = rng.standard_normal((50, 40))
    X = rng.standard_normal((20, 40))
    U1, i1 = F.exact_U(W, X, "tanh", 0.4, return_info=True)
    U2, i2 = F.exact_U(W, X, "tanh", 0.4, memory_mb=0.02, return_info=True)
    assert i2.block < 50 and i2.k_chunk < i1.k_chunk
    np.testing.assert_allclose(U1, U2, rtol=0, atol=1e-13)
    U3, i3 = F.exact_U(W, X, "tanh", 0.4, tol=1e-5, return_info=True)
    assert i3.kmax < i1.kmax
    assert np.abs(U3 - U1).max() <= i3.bound + i1.bound


@pytest.mark.slow
def test_gep_spectrum_matches_exact_d500():
    """Issue 3: GEP U vs exact U at d = 500, p = 1000, n = 500, two centred classes (tanh).

    Yardstick: the spread between GEP draws (different Ω), measured here. Tolerances:
    * moments m_k = tr U^k/p, k = 1..4: |m_k^exact/m_k^gep − 1| ≤ 3·spread_k + 0.005·k.
      The 0.005·k allows the systematic finite-d difference: the top eigenvalues of exact and
      GEP differ by ~0.5 % at d = 500 (THEORY.md §4/§6: 0.2–1.1 %) and m_k, dominated by the
      top of the spectrum, moves by ~k times that. A wrong coefficient is far outside: a 2 %
      error in a moves m_1 by 3 %, m_4 by 16 %; v² = 0 moves m_1 by −5.5 %.
    * eigenvalue distributions: Wasserstein-1 (mean |sorted differences|, relative to m_1) ≤
      2 × the GEP-to-GEP value (measured 0.006 vs 0.005). KS is not used: at ψ_p = 1 + ψ_n the
      density is singular at s̄², where the exact U spreads eigenvalues (THEORY.md §4), and KS
      there reads 0.09 against 0.003 between GEP draws though the moments agree.
    """
    rng = np.random.default_rng(12345)
    d, p, n, t = 500, 1000, 500, 0.1
    mix = Mixture(variances=(1.0, 2.0))
    s = sample_mixture(mix, d, n, seed=0)
    W = rng.standard_normal((p, d))
    U = F.exact_U(W, s.X, "tanh", t)
    co = class_coefficients(mix, "tanh", t)
    ex = np.linalg.eigvalsh(U)
    g = [np.linalg.eigvalsh(F.U_gep(W, s.X, s.labels, co, seed=k)) for k in (1, 2)]

    def mom(e):
        return np.array([np.mean(e ** k) for k in range(1, 5)])

    def w1(a, b):
        return np.mean(np.abs(np.sort(a) - np.sort(b))) / np.mean(a)

    spread = np.abs(mom(g[0]) / mom(g[1]) - 1)
    for gk in g:
        rel = np.abs(mom(ex) / mom(gk) - 1)
        assert np.all(rel <= 3 * spread + 0.005 * np.arange(1, 5)), (rel, spread)
        assert w1(ex, gk) <= 2 * w1(g[0], g[1]), (w1(ex, gk), w1(g[0], g[1]))
    # and a wrong coefficient fails the same criterion
    bad = dataclasses.replace(co, a=co.a * 1.02)
    gb = np.linalg.eigvalsh(F.U_gep(W, s.X, s.labels, bad, seed=1))
    assert np.any(np.abs(mom(ex) / mom(gb) - 1) > 3 * spread + 0.005 * np.arange(1, 5))


@pytest.mark.parametrize("call, word", [
    (lambda W, X: F.exact_U(W, X, "sigmoid", 0.1), "activation"),
    (lambda W, X: F.exact_U(W, X, "tanh", 0.0), "t"),
    (lambda W, X: F.exact_U(W, X[:, :5], "tanh", 0.1), "X must be"),
    (lambda W, X: F.exact_U(W[0], X, "tanh", 0.1), "W must be"),
    (lambda W, X: F.exact_U(W, X, "tanh", 0.1, tol=0), "tol"),
    (lambda W, X: F.exact_U(W, X, "tanh", 0.1, memory_mb=-1), "memory_mb"),
    (lambda W, X: F.exact_U_c(W, None, 0.0, "tanh", 0.1), "variance"),
    (lambda W, X: F.exact_U_c(W, np.ones(3), 1.0, "tanh", 0.1), "centroid"),
    (lambda W, X: F.U_gep(W, X, np.zeros(2, int),
                          class_coefficients(Mixture((1.0,)), "tanh", 0.1)), "labels"),
    (lambda W, X: F.U_gep(W, X, np.full(X.shape[0], 3),
                          class_coefficients(Mixture((1.0, 2.0)), "tanh", 0.1)), "labels"),
    (lambda W, X: F.U_gep(W, X, np.full(X.shape[0], 2),  # label C = 2 is one past the last
                          class_coefficients(Mixture((1.0, 2.0)), "tanh", 0.1)), "labels"),
    (lambda W, X: F.U_c_gep(W, class_coefficients(Mixture((1.0, 2.0)), "tanh", 0.1), 2, 1.0),
     "class index"),
    (lambda W, X: F.V_c_gep(W, class_coefficients(Mixture((1.0, 2.0)), "tanh", 0.1), -1),
     "class index"),
    (lambda W, X: F.exact_U(np.where(W > 2, np.inf, W), X, "tanh", 0.1), "W must be finite"),
    (lambda W, X: F.exact_U(W, X * np.nan, "tanh", 0.1), "X must be finite"),
    (lambda W, X: F.gep_coefficients(W, Mixture((1.0, 2.0), norms2=(1.0, 1.0)), "tanh", 0.1,
                                     centroids=np.ones((2, 3))), "centroids"),
])
def test_bad_inputs_raise(call, word):
    W, X = _small()
    with pytest.raises(ValueError, match=word):
        call(W, X)


def test_parallel_rows_rejected():
    W = np.ones((3, 4))
    with pytest.raises(ValueError, match="parallel"):
        F.exact_U(W, np.ones((2, 4)), "tanh", 0.1)


@functools.lru_cache(maxsize=1)
def _legendre_nodes():
    return np.polynomial.legendre.leggauss(300)


def _gauss_expectations(act, u, g, kmax):
    """E_z[sigma(u + g z) He_k(z)] for k <= kmax and E_z sigma(u + g z)^2, by Gauss-Legendre
    quadrature (300 nodes) of the Gaussian density on z in [-12, 12] ([-u/g, 12] for ReLU, whose
    kink would spoil the rule). Independent of the code's trapezoidal rule in u; He_k by
    numpy.polynomial.hermite_e."""
    a = max(-u / g, -12.0) if act == "relu" else -12.0
    if a >= 12.0:
        return np.zeros(kmax + 1), 0.0
    x, w = _legendre_nodes()
    z = 0.5 * (12.0 - a) * x + 0.5 * (12.0 + a)
    w = 0.5 * (12.0 - a) * w * norm.pdf(z)
    s = ACT[act](u + g * z)
    he = np.polynomial.hermite_e.hermevander(z, kmax)  # (nodes, kmax + 1)
    return (w * s) @ he, float(np.sum(w * s * s))


@pytest.mark.parametrize("act", ["tanh", "erf", "relu", "linear"])
def test_smoothed_derivatives_against_gaussian_integration_by_parts(act):
    # F_k(u) = E_z sigma^(k)(u + gamma z), k = 0..6, and E_z sigma^2, by an independent route:
    # only sigma itself is integrated (against Hermite polynomials, adaptive quadrature), no
    # derivative formula. Rows carry different gamma (0.15 to 1.8, the range of sqrt(Delta K_ii)
    # and Gamma_c sqrt(K_ii) in use). The reference's rounding (~1e-14) is divided by gamma^k,
    # so errors are compared after multiplying by min(1, gamma^k): measured worst 3e-14 over all
    # k, u, gamma and activations (E sigma^2: 1e-14 relative). Tolerances 2e-12 and 1e-12
    # (>= 65x).
    u = np.array([-2.5, -0.4, 0.0, 0.9, 3.0])
    gam = np.array([0.15, 0.5, 1.0, 1.8])
    U = np.tile(u, (gam.size, 1))
    F_all, E2 = F.smoothed_derivatives(act, U, gam, 0, 7, want_e2=True)
    F_mid, _ = F.smoothed_derivatives(act, U, gam, 2, 5)  # a window of orders, not from 0
    assert np.allclose(F_mid, F_all[2:5], rtol=0, atol=1e-14)  # measured 1.4e-15
    for i, g in enumerate(gam):
        for j, uj in enumerate(u):
            mom, ref2 = _gauss_expectations(act, uj, g, 6)
            ref = mom / g ** np.arange(7)  # F_k = g^{-k} E[sigma(u + g z) He_k(z)]
            err = np.abs(F_all[:, i, j] - ref)
            assert np.all(err <= 2e-12 * np.maximum(1.0, g ** -np.arange(7.0))), (act, g, uj, err)
            assert abs(E2[i, j] - ref2) <= 1e-12 * max(1.0, ref2), (act, g, uj, E2[i, j], ref2)


def test_mehler_info_ratio_and_exact_V_agree_with_direct_computations():
    # MehlerInfo.ratio is max_{i != j} |K_ij|/sqrt(K_ii K_jj) (numpy here, 1e-15), also when the
    # rows are split into blocks; exact_V (Stein's lemma alone) equals the V of exact_UV
    W, X = _small(p=9)
    K = W @ W.T / W.shape[1]
    R = np.abs(K) / np.sqrt(np.outer(np.diag(K), np.diag(K)))
    np.fill_diagonal(R, 0.0)
    for act in ("tanh", "erf", "relu", "linear"):
        for mem in (512, 0.001):
            U, V, info = F.exact_UV(W, X, act, 0.2, memory_mb=mem)
            assert info.ratio == pytest.approx(R.max(), rel=1e-14)
            assert info.bound <= info.tol and info.kmax >= 1
        np.testing.assert_allclose(F.exact_V(W, X, act, 0.2), V, rtol=0, atol=1e-15)


@pytest.mark.parametrize("act", ["tanh", "erf", "relu"])
def test_gep_class_matrices_are_the_first_order_mehler_series(act):
    # THEORY.md §4: U_c^gep is the population Mehler series truncated after k = 1 with the exact
    # diagonal. With the rows of W rescaled to |w_i|^2 = d (K_ii = 1, as the GEP coefficients
    # assume) the two coincide exactly: off the diagonal mu0_i mu0_j + Gamma^2 K_ij a_i a_j
    # (G_0 = mu0, G_1 = a), on it mu0^2 + Gamma^2 a^2 + v^2 + s^2 = E sigma^2 (the coefficient
    # identity); and V_c^gep = diag(b) W/sqrt(d) = sqrt(Delta) diag(E sigma') W/sqrt(d), the exact
    # V_c.
    # Independent routes: coefficients from classdyn.theory.coefficients (closed forms / quadrature, to
    # 1e-12), the series from classdyn.simulate.features (exact_U_c stopped after order 1 by a huge tol).
    # Both extensive (per-neuron coefficients at m_c,i) and centred (scalar) classes. Measured
    # agreement 1.1e-15; tolerance 1e-11 (the coefficients' stated accuracy, 1e-12, x 10).
    rng = np.random.default_rng(8)
    d, p, t = 25, 14, 0.3
    W = rng.standard_normal((p, d))
    W *= math.sqrt(d) / np.linalg.norm(W, axis=1, keepdims=True)
    mix = Mixture(variances=(0.6, 1.8), norms2=(1.0, 0.4), overlaps=[0.5])
    mu = sample_mixture(mix, d, 4, seed=2).centroids
    for centroids in (mu, None):
        co = F.gep_coefficients(W, mix, act, t, centroids=centroids)
        for c in range(2):
            mc = None if centroids is None else mu[c]
            ref = F.exact_U_c(W, mc, mix.variances[c], act, t, tol=1e300)
            np.testing.assert_allclose(F.U_c_gep(W, co, c, mix.variances[c]), ref, rtol=0,
                                       atol=1e-11)
            np.testing.assert_allclose(F.V_c_gep(W, co, c),
                                       F.exact_V_c(W, mc, mix.variances[c], act, t), rtol=0,
                                       atol=1e-11)
            # the first-order truncation matters: the full series differs (not a vacuous check)
            full = F.exact_U_c(W, mc, mix.variances[c], act, t)
            assert np.abs(full - ref).max() > 1e-5


def test_gep_training_matrix_is_its_mean_over_omega_plus_fluctuations():
    # U_gep = (1/n) G G^T + sum_c rho_c (b_c b_c^T) o K + diag(sum_c rho_c s_c^2), column nu of G
    # mu0_c + a_c o (u^nu - m_c) + v_c o omega^nu. Its mean over the Gaussian omega, written out
    # here: (1/n) G0 G0^T + diag(sum_c rho_c v_c^2) + (b b^T-term) o K + diag(rho s^2), with G0
    # the omega-free columns; 600 draws of omega, every entry within 5 Monte Carlo standard
    # errors (max over 55 entries: false alarm ~3e-5). Unequal class counts (rho 1/3, 2/3).
    rng = np.random.default_rng(9)
    d, p, n, t = 15, 10, 9, 0.4
    mix = Mixture(variances=(0.7, 1.5), weights=(1 / 3, 2 / 3), norms2=(1.0, 2.0))
    s = sample_mixture(mix, d, n, seed=3)
    W = rng.standard_normal((p, d))
    co = F.gep_coefficients(W, mix, "tanh", t, centroids=s.centroids)
    rho = np.array([3, 6]) / 9
    assert s.counts.tolist() == [3, 6]
    m = math.exp(-t) * s.centroids @ W.T / math.sqrt(d)  # (C, p)
    u = math.exp(-t) * s.X @ W.T / math.sqrt(d)  # (n, p)
    G0 = co.mu0[s.labels] + co.a[s.labels] * (u - m[s.labels])  # (n, p)
    K = W @ W.T / d
    mean = G0.T @ G0 / n + np.diag(rho @ co.v2) + (co.b.T * rho) @ co.b * K \
        + np.diag(rho @ co.s2)
    draws = np.stack([F.U_gep(W, s.X, s.labels, co, centroids=s.centroids, seed=k)
                      for k in range(600)])
    se = draws.std(0, ddof=1) / math.sqrt(len(draws))
    iu = np.triu_indices(p)
    z = np.abs(draws.mean(0) - mean)[iu] / se[iu]
    assert z.max() < 5.0, z.max()
    # v^2 > 0 makes the draws differ (the omega term is present and random)
    assert co.v2.min() > 0 and se[iu].min() > 0


@pytest.mark.parametrize("act", ["tanh", "relu"])
def test_mehler_truncation_bound_recomputed(act):
    # The stated bound r^{kmax+1} max_i tau_i, tau_i = (1/n) sum_nu (E sigma^2 - sum_{k<=kmax}
    # zeta_k^2) + 4e-16 E sigma^2 (rounding allowance), zeta_k^2 = gamma^{2k} F_k^2/k!
    # = E[sigma He_k]^2/k!, recomputed from the test's own Gaussian quadrature (module docstring
    # of classdyn.simulate.features). Loose tol so that kmax is small (4 for tanh, 5 for ReLU) and the
    # bound large (8e-6, 5e-6): measured relative agreement 2e-12; tolerance 1e-9. (A bound one
    # power of r = 0.36 looser would still be valid but 2.8x off.)
    W, X = _small(p=9)
    t = 0.3
    U, info = F.exact_U(W, X, act, t, tol=1e-5, return_info=True)
    d = W.shape[1]
    D = delta_t(t)
    u = math.exp(-t) * W @ X.T / math.sqrt(d)
    gam = np.sqrt(D * np.sum(W * W, axis=1) / d)
    K = info.kmax
    tails = []
    for i in range(W.shape[0]):
        per = []
        for v in range(X.shape[0]):
            mom, e2 = _gauss_expectations(act, u[i, v], gam[i], K)
            zeta2 = mom**2 / np.array([math.factorial(k) for k in range(K + 1)])
            per.append((e2 - zeta2.sum(), e2))
        per = np.array(per)
        tails.append(max(per[:, 0].mean(), 0.0) + 4e-16 * per[:, 1].mean())
    ref = info.ratio ** (K + 1) * max(tails)
    assert 1e-8 < ref <= 1e-5
    assert info.bound == pytest.approx(ref, rel=1e-9)
