"""Outliers of classdyn.theory.extensive_outliers and the speciation times built on them (THEORY.md
§6, §7) against finite matrices: GEP and exact (Mehler) ``U`` from classdyn.simulate.features,
and top eigenvalues of large GEP matrices.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from classdyn.theory import extensive as ex
from classdyn.theory.params import Mixture, RandomFeatures
from tests.theory._extensive_helpers import RF, gep_case, mixture


# ------------------------------------------------------------------------------ locations
@pytest.mark.slow
@pytest.mark.parametrize("t", [1.0, 2.0])
def test_outlier_locations_unbiased_against_gep_and_exact(t):
    """Predicted outliers (E_m over the Gaussian law) vs the top two eigenvalues of GEP matrices
    (6 seeds) and exact Mehler matrices (2 of the same seeds: same W and data), d = 300.

    Criterion "no bias beyond the seed-to-seed scatter": |mean over seeds − prediction| ≤
    max(std of the GEP seeds, 0.5 % of the prediction) (the floor: GEP and exact differ by
    ~0.3 %, THEORY.md §6), for the mean of the two outliers and, when the predicted outliers are
    separated by more than 3 scatters, for each. (Near-degenerate outliers, t = 2 here: 4.53 /
    4.50 at d = 500, are not compared one by one: the larger of two fluctuating eigenvalues is
    biased up and the smaller down, by ~0.5 std, an order-statistics effect, not a theory bias.)
    Measured at d = 500, t = 1: prediction 24.10 / 22.59, GEP seeds 24.27 / 23.65,
    23.34 / 21.91, 24.78 / 22.10; t = 2: prediction 4.526 / 4.504, GEP mean of the pair 4.502.
    """
    mix = mixture()
    d = 300
    pred = ex.outliers(ex.gaussian_nodes(mix, RF, t, order=30), d)
    assert pred.n_at_edge == 2
    loc = np.sort(pred.locations)[::-1]
    tops = {}
    for exact, seeds in ((False, range(6)), (True, range(2))):
        tops[exact] = np.array([np.linalg.eigvalsh(gep_case(mix, t, d, seed=s, exact=exact)[0])
                                [-2:][::-1] for s in seeds])
    std = tops[False].std(axis=0, ddof=1)
    std_pair = tops[False].mean(axis=1).std(ddof=1)
    for exact in (False, True):
        pair_bias = tops[exact].mean() - loc.mean()
        assert abs(pair_bias) <= max(std_pair, 5e-3 * loc.mean()), (exact, loc, tops[exact])
        if loc[0] - loc[1] > 3 * std.max():
            bias = tops[exact].mean(axis=0) - loc
            assert np.all(np.abs(bias) <= np.maximum(std, 5e-3 * loc)), (exact, loc, tops)


def test_outliers_with_own_neurons_track_each_matrix():
    """E_m over one matrix's own neurons predicts that matrix's outliers within 2 % (d = 400,
    t = 1.5). Measured: predicted 10.014 / 5.761, GEP 9.931 / 5.688 (0.8 %, 1.3 %); the rest is
    the O(p^{-1/2}) fluctuation of the class means ḡ_c, which the deterministic equivalent
    averages out. Swapping the weights (0.7/0.3) predicts 11.75 / 4.97 (15-17 % off), equal
    weights 8.79 / 7.45, so 2 % discriminates.
    """
    mix = mixture(weights=(0.3, 0.7))
    t, d = 1.5, 400
    U, m, _, _ = gep_case(mix, t, d, seed=7)
    ev = np.linalg.eigvalsh(U)[-2:][::-1]
    pred = ex.outliers(ex.neuron_nodes(mix, RF, t, m), d)
    loc = np.sort(pred.locations)[::-1]
    np.testing.assert_allclose(loc, ev, rtol=0.02)
    # the larger outlier belongs to the heavier class (ρ = 0.7, class 1)
    assert pred.classes[np.argmax(pred.locations)] == 1


def test_outlier_count_drops_to_zero_at_large_t():
    """Far beyond speciation (t = 6, d = 500: θ ~ ρ d e^{-2t} ≈ 1.5e-3) no outlier remains,
    as in GEP matrices, whose top eigenvalue there lies within 2 % of the bulk edge."""
    mix = mixture()
    t, d = 6.0, 500
    nodes = ex.gaussian_nodes(mix, RF, t, order=10)
    out = ex.outliers(nodes, d)
    assert out.n_at_edge == 0 and out.locations.size == 0
    U, _, _, _ = gep_case(mix, t, d, seed=0)
    assert np.linalg.eigvalsh(U)[-1] < 1.02 * out.edge


# ------------------------------------------------------------------------------ speciation
def _fast_gep_tops(mix: Mixture, d: int, ts, seed: int, k: int = 3) -> np.ndarray:
    """Top-``k`` eigenvalues of the GEP ``U`` (THEORY.md §4) at several ``t`` for one draw of
    (W, data, GEP noise), by Lanczos on ``U v = G Gᵀ v/n + Σ_c ρ̂_c b_c ∘ K (b_c ∘ v) + s̄² v``.

    Same construction as ``classdyn.simulate.features.U_gep`` (which the other tests use), written
    matrix-free here so that d = 1000–2000 stays cheap; ``W (x − μ)`` and the GEP noise ω are
    drawn once and reused for every t.
    """
    from scipy.sparse.linalg import LinearOperator, eigsh

    from classdyn.simulate.data import make_centroids, sample_mixture
    from classdyn.theory.coefficients import class_coefficients

    rng = np.random.default_rng(seed)
    p, n = int(RF.psi_p * d), int(RF.psi_n * d)
    W = rng.standard_normal((p, d))
    mu = make_centroids(mix, d, rng)
    smp = sample_mixture(mix, d, n, seed=rng, centroids=mu)
    lab = smp.labels
    P = W @ (smp.X - mu[lab]).T / math.sqrt(d)
    Wmu = W @ mu.T / math.sqrt(d)
    omega = rng.standard_normal((p, n))
    rho = smp.counts / n
    out = []
    for t in ts:
        co = class_coefficients(mix, "tanh", t, m=math.exp(-t) * Wmu.T)
        mu0, a, b = np.asarray(co.mu0), np.asarray(co.a), np.asarray(co.b)
        v, s2 = np.sqrt(np.maximum(np.asarray(co.v2), 0)), np.asarray(co.s2)
        G = mu0[lab].T + a[lab].T * (math.exp(-t) * P) + v[lab].T * omega
        s2bar = rho @ s2

        def mv(x, G=G, b=b, s2bar=s2bar):
            x = np.ravel(x)
            y = G @ (G.T @ x) / n + s2bar * x
            for c in range(mix.n_classes):
                y += rho[c] * b[c] * (W @ (W.T @ (b[c] * x))) / d
            return y

        op = LinearOperator((p, p), matvec=mv, dtype=float)
        out.append(np.sort(eigsh(op, k=k, which="LA", tol=1e-10,
                                 v0=np.ones(p))[0])[::-1])
    return np.array(out)


def _emergence(mix, d, t_grid, edges, seeds, k):
    """Finite-size speciation: the t where the k-th largest eigenvalue crosses the bulk edge
    (linear interpolation on ``t_grid``), averaged over seeds."""
    est = []
    for seed in seeds:
        tops = _fast_gep_tops(mix, d, t_grid, seed)
        gap = tops[:, k] - edges
        idx = np.flatnonzero((gap[:-1] > 0) & (gap[1:] <= 0))
        assert idx.size, (d, seed, k, gap)
        i = idx[-1]
        est.append(t_grid[i] + (t_grid[i + 1] - t_grid[i]) * gap[i] / (gap[i] - gap[i + 1]))
    return float(np.mean(est))


def _weights(d, gamma):
    rho2 = 0.5 * (d / 250.0) ** (-gamma)
    return (1.0 - rho2, rho2)


def test_speciation_time_bad_inputs():
    with pytest.raises(ValueError, match="norms2"):
        ex.speciation_time(Mixture(variances=(1.0, 2.0)), RF, 500)
    with pytest.raises(ValueError, match="d must"):
        ex.speciation_time(mixture(), RF, 0)
    with pytest.raises(TypeError, match="nodes"):
        ex.outliers("nodes", 500)


def test_centred_class_never_speciates():
    """A class with norms2 = 0 has no outlier (t_s = −inf, the leading-order convention), the
    extensive one does, at a time between ½ log(ρ d) − 1 and ½ log(ρ d) + 1 (THEORY.md §7: the
    order-one constant)."""
    mix = Mixture(variances=(1.0, 2.0), norms2=(1.0, 0.0))
    ts = ex.speciation_time(mix, RF, 500, order=12).t_s
    lead = 0.5 * math.log(0.5 * 500)
    assert ts[1] == -np.inf
    assert lead - 1 < ts[0] < lead + 1, ts


def test_speciation_slope_tends_to_half_one_minus_gamma():
    """Result 1 (THEORY.md §7): t_s^c = ½ (1 − γ) log d + O(1) for ρ_c ∝ d^{-γ}. The predicted
    times at d = 1e4 and 1e6 (where the O(1) term has settled) give slopes within 0.03 of
    ½ (1 − γ) for the minority class (γ = 0.5) and ½ for the majority class (ρ → 1).
    Tolerance 0.03: the O(1) term still drifts with ρ_1 = 1 − ρ_2 → 1 (~0.01 per decade here).
    """
    mix = lambda d, g: Mixture(variances=(1.0, 2.0), weights=_weights(d, g), norms2=(1.0, 1.0))
    for gamma in (0.0, 0.5):
        ts = {d: ex.speciation_time(mix(d, gamma), RF, d, order=12).t_s
              for d in (10_000, 1_000_000)}
        slope = (ts[1_000_000] - ts[10_000]) / math.log(100.0)
        assert abs(slope[1] - 0.5 * (1 - gamma)) < 0.03, (gamma, slope)
        assert abs(slope[0] - 0.5) < 0.03, (gamma, slope)


@pytest.mark.slow
@pytest.mark.parametrize("gamma", [0.0, 0.5])
def test_speciation_against_finite_size_emergence(gamma):
    """Predicted t_s vs the finite-size emergence of outliers (the t where the k-th eigenvalue of
    a GEP matrix crosses the bulk edge), d = 250 and 1000, 2 seeds each, ρ_2 = ½ (d/250)^{-γ}
    (by hand, d = 250–2000, see the report of issue 8: minority-class error 0.14, 0.05, 0.06,
    0.01 for γ = 0.5 at d = 250, 500, 1000, 2000).

    Criteria: (i) the finite-size estimate approaches the prediction as d grows
    (|error| at d = 1000 below |error| at d = 250 plus 0.05, and below 0.25 in t);
    (ii) the finite-size slope in log d between 250 and 1000 is within 0.15 of the predicted
    slope (fluctuations of the BBP crossing are O(d^{-1/3}) in λ, i.e. ~0.1 in t here).
    """
    ds = (250, 1000)
    errs, fs, th = [], [], []
    for d in ds:
        mix = Mixture(variances=(1.0, 2.0), weights=_weights(d, gamma), norms2=(1.0, 1.0))
        sp = ex.speciation_time(mix, RF, d, order=16)
        t_pred = np.sort(sp.times)[::-1]  # first to emerge (largest t) first
        assert t_pred.size == 2
        k = 1  # the later of the two outliers: for gamma > 0 the minority class
        t_grid = np.linspace(t_pred[k] - 0.6, t_pred[k] + 0.4, 6)
        edges = np.array([ex.upper_edge(ex.gaussian_nodes(mix, RF, t, order=16)).edge
                          for t in t_grid])
        est = _emergence(mix, d, t_grid, edges, seeds=(0, 1), k=k)
        fs.append(est)
        th.append(t_pred[k])
        errs.append(abs(est - t_pred[k]))
    assert errs[-1] <= errs[0] + 0.05 and errs[-1] < 0.25, (errs, fs, th)
    slope_fs = (fs[-1] - fs[0]) / math.log(ds[-1] / ds[0])
    slope_th = (th[-1] - th[0]) / math.log(ds[-1] / ds[0])
    assert abs(slope_fs - slope_th) < 0.15, (slope_fs, slope_th, fs, th)


# ------------------------------------------------------------------------------ outlier matrix
def _centred_gep_parts(params, d: int, seed: int):
    """A finite centred GEP ``U`` (THEORY.md §5: ``Σ_c G_c G_cᵀ/n + b̄² K + s̄² I``,
    ``G_c = α_c W Z_c/√d + v_c Ω_c``), ``K = W Wᵀ/d``, the class means ``ḡ_c`` of the feature
    columns (p, C) and the class counts. Plain NumPy, independent of classdyn.theory.extensive."""
    rng = np.random.default_rng(seed)
    p, n = int(round(params.psi_p * d)), int(round(params.psi_n * d))
    counts = np.round(np.asarray(params.rho) * n).astype(int)
    counts[-1] = n - counts[:-1].sum()
    W = rng.standard_normal((p, d))
    K = W @ W.T / d
    U = params.bbar2 * K + params.sbar2 * np.eye(p)
    means = []
    for c, nc in enumerate(counts):
        G = math.sqrt(params.alpha2[c]) * (W @ rng.standard_normal((d, nc))) / math.sqrt(d)
        G += math.sqrt(params.v2[c]) * rng.standard_normal((p, nc))
        U += G @ G.T / n
        means.append(G.mean(axis=1))
    return U, K, np.array(means).T, counts


def test_outlier_matrix_top_left_block_is_the_finite_size_capacitance():
    """The top-left block ``diag((1 + δ_c)/ρ_c) + p E[μ0 μ0ᵀ R]`` of 𝓜(λ) against its finite-size
    meaning (THEORY.md §6; classdyn.theory.extensive module docstring, step 3).

    In a finite matrix the class-mean spike is ``U = B + Σ_c ρ̂_c ḡ_c ḡ_cᵀ`` (``ḡ_c`` the mean of
    class ``c``'s feature columns, ``B`` the rest), and ``λ`` off the spectrum of ``B`` is an
    eigenvalue of ``U`` iff the Woodbury capacitance ``diag(1/ρ̂_c) + Ḡᵀ (B − λ)⁻¹ Ḡ`` is singular.
    Given ``W``, ``ḡ_c ~ N(0, Σ_c/n_c)`` (``Σ_c = α_c² K + v_c² I``) independently of ``B``, so the
    expected diagonal is ``(1 + (1/n) tr Σ_c (B − λ)⁻¹)/ρ̂_c``: the ``δ_c`` that turns
    ``diag(1/ρ_c)`` into ``diag((1 + δ_c)/ρ_c)``. For centred classes and tanh (``μ0 ≡ 0``, rank
    0) 𝓜(λ) is that block alone, so ``ρ_c 𝓜_cc − 1`` must match the finite-size normalised trace.

    At ``λ = 1.2 λ_+`` (t = 0.3, ψ_p = 2, ψ_n = 1, weights 0.3/0.7) ``δ = (−0.143, −0.220)``; the
    finite-size traces at d = 200 differ from it by ≤ 1.8 % (3 seeds, measured; ≤ 0.3 % at
    d = 400: O(1/d)). Tolerance 6 % (3× that); a block without ``δ_c`` is off by 100 %.
    """
    from classdyn.theory.spectrum import SpectralParams

    mix = Mixture(variances=(1.0, 2.0), weights=(0.3, 0.7))
    t, d = 0.3, 200
    nodes = ex.gaussian_nodes(mix, RF, t, order=2)
    assert nodes.rank == 0 and np.all(np.abs(nodes.mu0) < 1e-15)  # one node at m = 0
    lam = 1.2 * ex.upper_edge(nodes).edge
    sol = ex.solve_bulk([lam + 1e-9j], nodes)
    assert sol.converged[0]
    x = np.concatenate([sol.delta[0], sol.T[0][np.triu_indices(2)]])
    M = ex.outlier_matrix(lam, nodes, d, x)
    rho = np.asarray(mix.weights)
    delta_th = rho * np.diag(M) - 1.0
    assert np.all(delta_th < -0.1)  # the factor is far from 1 here: the check has teeth
    assert abs(M[0, 1]) < 1e-12     # independent class means: no coupling

    params = SpectralParams.from_model(mix, RF, t)
    U, K, Y, counts = _centred_gep_parts(params, d, seed=1)
    n = counts.sum()
    assert np.allclose(counts / n, rho, rtol=0, atol=1e-15)
    B = U - (Y * (counts / n)) @ Y.T
    ev, V = np.linalg.eigh(B)
    assert ev[-1] < lam  # λ lies above the spectrum of B: the capacitance is regular there
    r = 1.0 / (ev - lam)
    tr_R, tr_KR = r.sum(), np.einsum("ij,ij,j->", V, K @ V, r)
    delta_fin = (params.alpha2 * tr_KR + params.v2 * tr_R) / n
    np.testing.assert_allclose(delta_th, delta_fin, rtol=0.06)


# ------------------------------------------------------------------------------ closed form
def _linear_outlier(sig2: float, spike: float, d: int, psi_p: float, psi_n: float,
                    t: float) -> float:
    """Outlier of ``U`` for σ(x) = x in closed form (derived here, not from classdyn.theory.extensive).

    For the linear activation the GEP is exact: ``U = W S Wᵀ/d`` with
    ``S = e^{−2t} (1/n) Σ_ν x_ν x_νᵀ + Δ I`` (d×d). The data's uncentred second moment is a
    spiked sample covariance (population spike ``ℓ = σ² + ρ_c ‖μ_c‖²`` over the bulk σ², ratio
    ``γ = d/n = 1/ψ_n``), whose outlier is ``λ_x = ℓ (1 + γ σ²/(ℓ − σ²))`` (Baik & Silverstein
    2006; the ``γσ²`` term is the noise of the class mean). The non-zero eigenvalues of
    ``W S Wᵀ/d`` are ``ψ_p`` times those of a sample covariance with population ``S`` and ``p``
    samples; its outlier (Bai & Yao 2008) is ``ψ(ℓ_S) = ℓ_S + (1/ψ_p) ℓ_S ∫ t dH(t)/(ℓ_S − t)``
    with ``ℓ_S = e^{−2t} λ_x + Δ`` and ``H`` the law of ``e^{−2t} MP_γ(σ²) + Δ``, so
    ``∫ t dH/(ℓ − t) = −1 − ℓ m_H(ℓ)``, ``m_H`` from the Marchenko–Pastur Stieltjes transform.
    """
    e2 = math.exp(-2 * t)
    D = 1 - e2
    g = 1 / psi_n
    lam_x = spike * (1 + g * sig2 / (spike - sig2))
    lS = e2 * lam_x + D
    z = (lS - D) / e2
    m_mp = (sig2 * (1 - g) - z + math.sqrt((z - sig2 * (1 + g)) ** 2 - 4 * g * sig2 ** 2)) / (
        2 * g * sig2 * z)
    m_H = m_mp / e2
    return psi_p * (lS + lS * (-1 - lS * m_H) / psi_p)


@pytest.mark.parametrize("weights,norms2,d,psi_p,psi_n,t", [
    ((1.0,), (1.0,), 500, 2.0, 1.0, 1.0),             # O(d) outlier
    ((1.0,), (1.0,), 500, 2.0, 1.0, 3.0),             # near the edge (edge 5.83, outlier 6.29)
    ((0.3, 0.7), (1.0, 0.5), 500, 2.0, 1.0, 1.0),     # two orthogonal classes
    ((0.5, 0.5), (0.1, 0.04), 800, 2.0, 1.5, 0.4),    # weak centroids, n > d
    ((1.0,), (0.02,), 1000, 3.0, 0.5, 0.5),           # n < d
])
def test_outliers_of_the_linear_model_in_closed_form(weights, norms2, d, psi_p, psi_n, t):
    """Every outlier of the §6 outlier equation against the closed form above (linear
    activation, equal class variances σ² = 1, orthogonal centroids: one spike
    ``ℓ_c = 1 + ρ_c n2_c d`` per class). This exercises the whole outlier matrix — the
    ``(1 + δ_c)/ρ_c`` block (the class-mean noise, ``γσ²`` above), the centroid block
    ``d diag(1/κ)`` with ``κ_c = ρ_c (e2 σ_c²/(1+δ_c) + Δ)``, the coupling, the whitening —
    and the bulk solution it needs. Measured agreement 4e-16 – 2e-11 relative; tolerance 1e-9,
    ten times the root finder's 1e-10 (1 + λ). Each outlier is assigned to its own class.
    """
    C = len(weights)
    mix = Mixture(variances=(1.0,) * C, weights=weights, norms2=norms2)
    rf = RandomFeatures(psi_p, psi_n, "linear")
    out = ex.outliers(ex.gaussian_nodes(mix, rf, t, order=10), d)
    spikes = [1.0 + weights[c] * norms2[c] * d for c in range(C)]
    ref = np.array([_linear_outlier(1.0, s, d, psi_p, psi_n, t) for s in spikes])
    assert out.locations.size == C
    order = np.argsort(-out.locations)
    np.testing.assert_allclose(out.locations[order], np.sort(ref)[::-1], rtol=1e-9)
    assert list(out.classes[order]) == list(np.argsort(-ref))
