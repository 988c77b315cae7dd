"""Bulk of the extensive-centroid spectrum (classdyn.theory.extensive, THEORY.md §6) against finite GEP
matrices built by classdyn.simulate.features (never against itself).

Numbers measured when these tests were written are in the comments (tanh, variances 1 and 2,
weights ½, ‖μ_c‖² = d, ψ_p = 2, ψ_n = 1).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from classdyn.theory import extensive as ex
from classdyn.theory.params import Mixture, RandomFeatures

RF = RandomFeatures(psi_p=2.0, psi_n=1.0)


def mixture(cos: float = 0.0, norms2=(1.0, 1.0), weights=None) -> Mixture:
    return Mixture(variances=(1.0, 2.0), weights=weights, norms2=norms2, overlaps=[cos])


def gep_case(mix: Mixture, t: float, d: int, seed: int, *, W=None, mu=None, data_seed=None,
             psi_p: float = 2.0, psi_n: float = 1.0, exact: bool = False):
    """A finite GEP (or exact, Mehler) ``U`` with its neurons' projected centroids.

    Returns ``(U, m, W, mu)``; ``W``/``mu`` can be passed back to redraw only the data.
    """
    from classdyn.simulate.data import make_centroids, sample_mixture
    from classdyn.simulate.features import U_gep, exact_U, gep_coefficients

    rng = np.random.default_rng(seed)
    p, n = int(round(psi_p * d)), int(round(psi_n * d))
    if W is None:
        W = rng.standard_normal((p, d))
    if mu is None:
        mu = make_centroids(mix, d, rng)
    drng = rng if data_seed is None else np.random.default_rng(data_seed)
    smp = sample_mixture(mix, d, n, seed=drng, centroids=mu)
    if exact:
        U = exact_U(W, smp.X, "tanh", t)
    else:
        co = gep_coefficients(W, mix, "tanh", t, centroids=mu)
        U = U_gep(W, smp.X, smp.labels, co, centroids=mu, seed=drng)
    m = math.exp(-t) * W @ mu.T / math.sqrt(d)
    return U, m, W, mu


def ks_theory(dens: ex.ExtensiveDensity, eigs: np.ndarray) -> float:
    """Kolmogorov–Smirnov distance between the theory CDF and the empirical one."""
    F = np.interp(eigs, dens.lam, dens.cdf())
    n = eigs.size
    emp = np.arange(1, n + 1) / n
    return float(np.max(np.maximum(np.abs(F - emp), np.abs(F - emp + 1.0 / n))))


def ks_two(a: np.ndarray, b: np.ndarray) -> float:
    from scipy.stats import ks_2samp

    return float(ks_2samp(a, b, method="asymp").statistic)


# ------------------------------------------------------------------------------ inputs
def test_bad_inputs_raise_value_error():
    mix = mixture()
    with pytest.raises(ValueError, match="order"):
        ex.gaussian_nodes(mix, RF, 0.5, order=1)
    with pytest.raises(ValueError, match="rule"):
        ex.gaussian_nodes(mix, RF, 0.5, rule="simpson")
    with pytest.raises(ValueError, match="t"):
        ex.gaussian_nodes(mix, RF, -1.0)
    with pytest.raises(ValueError, match=r"m must have shape"):
        ex.neuron_nodes(mix, RF, 0.5, np.zeros((10, 3)))
    nodes = ex.gaussian_nodes(mix, RF, 0.5, order=6)
    with pytest.raises(ValueError, match="Im z > 0"):
        ex.solve_bulk([1.0 + 0j], nodes)
    with pytest.raises(ValueError, match="eta"):
        ex.extensive_density([1.0], nodes, eta=0.0)
    with pytest.raises(ValueError, match="d must"):
        ex.outliers(nodes, 0)
    with pytest.raises(TypeError):
        ex.gaussian_nodes({"variances": (1, 2)}, RF, 0.5)


# ------------------------------------------------------------------------------ centred limit
@pytest.mark.parametrize("t", [0.1, 1.0])
def test_centred_limit_matches_centred_solver(t):
    """norms2 → 0 reproduces THEORY.md §5 (classdyn.theory.spectrum, written independently).

    Both solve their equations to ~1e-12 (Newton tolerances); with norms2 = 1e-14 the
    coefficients differ from their m = 0 values by O(norms2 e^{-2t}) ~ 1e-14. Measured
    ≤ 2.3e-13 relative; tolerance 3e-12 (was 1e-10).
    """
    spectrum = pytest.importorskip("classdyn.theory.spectrum")
    from classdyn.theory.coefficients import class_coefficients

    z = np.array([0.05 + 0.02j, 0.3 + 0.01j, 1.0 + 0.5j, 2.5 + 0.001j, 4.0 + 1e-4j])
    for norms2 in [(0.0, 0.0), (1e-14, 1e-14)]:
        mix = Mixture(variances=(1.0, 2.0), weights=(0.3, 0.7), norms2=norms2)
        co = class_coefficients(Mixture(variances=(1.0, 2.0), weights=(0.3, 0.7)), "tanh", t)
        rho = np.array(mix.weights)
        e2 = math.exp(-2 * t)
        params = spectrum.SpectralParams(
            psi_p=RF.psi_p, psi_n=RF.psi_n, rho=rho,
            alpha2=np.asarray(co.a) ** 2 * e2 * np.asarray(mix.variances), v2=np.asarray(co.v2),
            bbar2=float(rho @ np.asarray(co.b) ** 2), sbar2=float(rho @ np.asarray(co.s2)))
        q_ref = spectrum.stieltjes(params, z).q
        nodes = ex.gaussian_nodes(mix, RF, t, order=4)
        sol = ex.solve_bulk(z, nodes)
        assert sol.converged.all()
        np.testing.assert_allclose(sol.q, q_ref, rtol=3e-12, atol=0)


# ------------------------------------------------------------------------------ q vs matrix
def test_stieltjes_matches_finite_matrix_trace():
    """q(z) with E_m over the matrix's own neurons vs (1/p) tr (U_gep − z)⁻¹, d = 500.

    Measured relative differences (seeds 3, 4): 0.9e-3 – 4.3e-3 at d = 500, about twice that at
    d = 250 (the finite-size corrections shrink like 1/d at this distance from the real axis);
    two draws with the same W and new data differ by 0.6e-3 – 4.2e-3 at d = 500. Tolerance 8e-3
    relative: twice the largest draw-to-draw difference.
    """
    mix = mixture()
    t = 0.5
    U, m, _, _ = gep_case(mix, t, 500, seed=3)
    nodes = ex.neuron_nodes(mix, RF, t, m)
    z = np.array([0.5 + 0.5j, 1.5 + 0.2j, 0.05 + 0.02j])
    sol = ex.solve_bulk(z, nodes)
    assert sol.converged.all()
    ev = np.linalg.eigvalsh(U)
    q_mat = np.array([np.mean(1.0 / (ev - zz)) for zz in z])
    rel = np.abs(sol.q - q_mat) / np.abs(q_mat)
    assert np.all(rel < 8e-3), rel


# ------------------------------------------------------------------------------ density (KS)
KS_CASES = [(0.0, 0.1), (0.0, 0.5), (0.5, 0.1), (0.5, 0.5)]


@pytest.mark.slow
@pytest.mark.parametrize("cos,t", KS_CASES)
def test_density_ks_against_gep(cos, t):
    """Bulk density vs eigenvalues of GEP matrices (d = 500; issue 8 asks d = 1000: run by hand,
    numbers in the report). Criterion: KS(theory, GEP draw A) ≤ 1.5 × KS(draw A, draw B).

    * E_m over draw A's own neurons vs a draw B with the same W and centroids (new data and
      GEP noise): both differences are then finite-n fluctuations at fixed W.
    * E_m over the Gaussian law (40×40 Gauss–Hermite) vs a draw C with a new W: the finite-p
      sampling of m (KS ~ p^{-1/2}) enters both.
    Measured at d = 500 (adaptive grid): own 0.0029–0.0036 vs 0.0040–0.0050; Gaussian
    0.0044–0.0125 vs 0.0040–0.0120. By hand at d = 1000 (issue 8's size; seeds as here):
    own / same-W draws: (cos 0, t 0.1) 0.0019 / 0.0025, (0, 0.5) 0.0020 / 0.0025,
    (0.5, 0.1) 0.0021 / 0.0025, (0.5, 0.5) 0.0022 / 0.0020; Gaussian / new-W draws: 0.0030 /
    0.0035, 0.0054 / 0.0095, 0.0051 / 0.0035, 0.0042 / 0.0070 (all within 1.5x).
    """
    mix = mixture(cos)
    d = 500
    UA, m, W, mu = gep_case(mix, t, d, seed=1, data_seed=11)
    UB, _, _, _ = gep_case(mix, t, d, seed=1, W=W, mu=mu, data_seed=12)
    UC, _, _, _ = gep_case(mix, t, d, seed=2, data_seed=13)
    evA, evB, evC = (np.linalg.eigvalsh(U) for U in (UA, UB, UC))

    own = ex.neuron_nodes(mix, RF, t, m)
    dens_own = ex.adaptive_density(own, 0.5 * own.s2bar.min(),
                                   1.02 * ex.upper_edge(own).edge)
    assert dens_own.n_failed == 0
    assert abs(dens_own.mass - 1) < 2e-3  # trapezoid on the adaptive grid; p^-1 = 1e-3
    ks_own, ks_ab = ks_theory(dens_own, evA), ks_two(evA, evB)
    assert ks_own <= 1.5 * ks_ab, (ks_own, ks_ab)

    gn = ex.gaussian_nodes(mix, RF, t, order=40)
    dens_g = ex.adaptive_density(gn, 0.5 * gn.s2bar.min(), 1.02 * ex.upper_edge(gn).edge)
    assert dens_g.n_failed == 0
    ks_g, ks_ac = ks_theory(dens_g, evA), ks_two(evA, evC)
    assert ks_g <= 1.5 * ks_ac, (ks_g, ks_ac)


def test_density_detects_missing_per_neuron_dependence():
    """The per-neuron dependence matters: replacing the coefficients by their averages over m
    (the §5 centred equations with averaged coefficients) is far off (THEORY.md §6: KS 0.10),
    while the §6 equations match. Guards the test above against being too lenient.
    """
    mix = mixture()
    t, d = 0.5, 300
    U, m, _, _ = gep_case(mix, t, d, seed=5)
    ev = np.linalg.eigvalsh(U)
    own = ex.neuron_nodes(mix, RF, t, m)
    hi = 1.02 * ex.upper_edge(own).edge
    good = ks_theory(ex.adaptive_density(own, 0.5 * own.s2bar.min(), hi, rtol=3e-5), ev)
    avg = ex.neuron_nodes(mix, RF, t, m)
    for k in ("a", "v2", "mu0"):
        arr = getattr(avg, k)
        setattr(avg, k, np.repeat(np.sqrt(np.mean(arr ** 2, axis=0))[None] if k == "a"
                                  else np.mean(arr, axis=0)[None], arr.shape[0], axis=0))
    avg.s2bar = np.full_like(avg.s2bar, avg.s2bar.mean())
    bad = ks_theory(ex.adaptive_density(avg, 0.5 * avg.s2bar.min(), hi, rtol=3e-5), ev)
    # 0.02: five times the two-draw KS at this size (~0.004-0.006)
    print("KS per-neuron", good, "averaged", bad)
    assert good < 0.02 < bad, (good, bad)


def test_upper_edge_against_largest_bulk_eigenvalue():
    """Upper bulk edge vs the largest non-outlier eigenvalue of GEP matrices (t = 2, d = 500).

    At finite size the top bulk eigenvalue sits a little below the edge (THEORY.md §7: 2.12–2.14
    against 2.1655 for d = 250–1000). Tolerance: within [-1 %, +4 %] of the edge over 3 seeds —
    the square-root edge has O(p^{-2/3}) finite-size shifts (~1 % here) and the thin top of the
    density makes the gap to the last eigenvalue larger.
    """
    mix = mixture()
    t, d = 2.0, 500
    edge = ex.upper_edge(ex.gaussian_nodes(mix, RF, t, order=30)).edge
    for seed in range(3):
        U, m, _, _ = gep_case(mix, t, d, seed=seed)
        ev = np.linalg.eigvalsh(U)
        top_bulk = ev[-3]  # two outliers above (two classes)
        rel = (edge - top_bulk) / edge
        assert -0.01 <= rel <= 0.04, (seed, edge, top_bulk)


def test_edges_and_gap_against_gep():
    """All bulk edges (t = 0.5, d = 300, E_m over the matrix's own neurons) vs the GEP spectrum.

    Measured: theory bulks [0.03245, 0.06552] and [0.08542, 2.6206] (masses 0.50003, 0.49998),
    GEP gap 0.06490 … 0.08517 with exactly half of the eigenvalues below it, lowest eigenvalue
    0.03253 (at d = 500: [0.03267, 0.06762], [0.08535, …]; GEP 0.06621 … 0.08920).
    Criteria: the bulk masses give the GEP eigenvalue count below the gap to 2/p; the lowest
    eigenvalue is within 1 % of the lowest edge; GEP eigenvalues stay inside the theory support
    up to 1 %, and reach into it no less than 6 % from the gap edges (square-root edges with a
    small amplitude: the last eigenvalue sits O((p c)^{-2/3}) inside, a few % here).
    """
    mix = mixture()
    t, d = 0.5, 300
    U, m, _, _ = gep_case(mix, t, d, seed=4)
    ev = np.linalg.eigvalsh(U)
    e = ex.extensive_edges(ex.neuron_nodes(mix, RF, t, m))
    assert e.intervals.shape == (2, 2), e.intervals
    assert all(meth == ["fold", "fold"] for meth in e.methods)
    (a1, b1), (a2, b2) = e.intervals
    below = ev[ev < 0.5 * (b1 + a2)]
    assert abs(below.size / ev.size - e.masses[0]) <= 2 / ev.size
    assert abs(ev[0] - a1) <= 0.01 * a1
    top1, bot2 = below.max(), ev[ev > 0.5 * (b1 + a2)].min()
    assert (1 - 0.06) * b1 <= top1 <= (1 + 0.01) * b1, (top1, b1)
    assert (1 - 0.01) * a2 <= bot2 <= (1 + 0.06) * a2, (bot2, a2)


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


def test_extensive_spectrum_summary_and_times():
    """The CLI-facing summary: bulks ordered, masses summing to 1 (trapezoid on the refined
    grid: measured 1.07e-5 off; tolerance 2e-4, was 2e-3), outliers above the top edge. At
    ψ_n = 1 the generalisation/memorisation bulk counting does not apply (the one naming rule of
    both kinds, classdyn.theory.bulks), so no times are named and the summary says why."""
    s = ex.extensive_spectrum(mixture(), RF, 0.5, d=300, order=20, n_grid=50)
    assert s.intervals.shape == (2, 2) and np.all(np.diff(s.intervals.ravel()) > 0)
    assert abs(s.masses.sum() - 1) < 2e-4
    assert s.times == {} and "not defined here" in s.summary()
    assert s.outliers.size == 2 and np.all(s.outliers > s.intervals[-1, 1])
    assert "bulk" in s.summary() and s.to_dict()["d"] == 300
    with pytest.raises(ValueError, match="psi_n must be > 1"):
        ex.extensive_timescales(ex.extensive_edges(ex.gaussian_nodes(mixture(), RF, 0.5,
                                                                     order=8)), 2.0, 1.0)


def _edges(intervals, masses):
    return ex.ExtensiveEdges(intervals=np.asarray(intervals, float).reshape(-1, 2),
                             masses=np.asarray(masses, float),
                             methods=[["fold", "fold"]] * len(masses),
                             grid_spacing=np.zeros((len(masses), 2)), density=None)


def test_extensive_bulks_are_named_by_mass_like_centred_ones():
    """One naming rule for both kinds (classdyn.theory.bulks.assign_roles): at ψ_p = 4, ψ_n = 2
    the top 1/4 of the mass is the generalisation bulk, the next 1/4 memorisation, the next
    1/4 final, the rest the s̄²(m) band. Masses matched to EXTENSIVE_MASS_MATCH_TOL = 1e-3
    (measured errors 2e-6..2e-5), so a 0.2499 bulk counts and a 0.24 one does not."""
    ts = ex.extensive_timescales(_edges([[0.01, 0.02], [0.03, 0.1], [0.2, 0.3], [0.5, 2.0]],
                                        [0.2501, 0.25, 0.25, 0.2499]), 4.0, 2.0)
    assert ts.roles == ["band", "fin", "mem", "gen"]
    assert (ts.lam_gen, ts.lam_mem, ts.lam_fin) == (0.5, 0.3, 0.03)
    assert ts.tau_gen == 2.0 and ts.W_gen == pytest.approx(0.5 / 0.3, rel=1e-15)
    # final bulk merged with the band: lambda_fin is that bulk's lower edge
    ts = ex.extensive_timescales(_edges([[0.01, 0.1], [0.2, 0.3], [0.5, 2.0]],
                                        [0.5, 0.25, 0.25]), 4.0, 2.0)
    assert ts.roles == ["band+fin", "mem", "gen"] and ts.lam_fin == 0.01
    # a top bulk of mass 0.24: no generalisation/memorisation gap to name
    ts = ex.extensive_timescales(_edges([[0.01, 0.1], [0.2, 0.3], [0.5, 2.0]],
                                        [0.51, 0.25, 0.24]), 4.0, 2.0)
    assert ts.lam_gen is None and ts.lam_mem is None and ts.lam_fin == 0.01


def test_named_extensive_edges_against_gep():
    """The named edges of a three-bulk case (variances 1, 2, ‖μ‖² = d, cosine 0.5, ψ_p = 4,
    ψ_n = 2, t = 0.1) against GEP matrices (d = 200, E_m over the matrix's own neurons).

    The rule says the generalisation bulk (above the gap between λ_mem and λ_gen) holds the top
    d eigenvalues of U (mass 1/ψ_p): the GEP count above the gap's midpoint must be d, up to the
    two class outliers and 2 eigenvalues straddling the edges (tolerance 4 of p = 800). The
    eigenvalues next to the gap must lie within 6 % of λ_gen and λ_mem (square-root edges: the
    last eigenvalue sits O(p^{-2/3}) inside, a few %, as in test_edges_and_gap_against_gep).
    """
    mix = mixture(0.5)
    t, d = 0.1, 200
    U, m, _, _ = gep_case(mix, t, d, seed=1, psi_p=4.0, psi_n=2.0)
    ev = np.linalg.eigvalsh(U)
    rf = RandomFeatures(4.0, 2.0)
    ts = ex.extensive_timescales(ex.extensive_edges(ex.neuron_nodes(mix, rf, t, m)), 4.0, 2.0)
    assert ts.gen_mem_separated and ts.lam_mem < ts.lam_gen
    mid = 0.5 * (ts.lam_gen + ts.lam_mem)
    above = ev[ev > mid]
    assert abs(above.size - d) <= 4, (above.size, d)
    assert (1 - 0.01) * ts.lam_gen <= above.min() <= (1 + 0.06) * ts.lam_gen
    below = ev[ev < mid].max()
    assert (1 - 0.06) * ts.lam_mem <= below <= (1 + 0.01) * ts.lam_mem


# ------------------------------------------------------------------------------ exact identities
def _bulk_contour_moments(nodes, kmax: int, N: int = 48):
    """``m_k`` of the bulk density from ``q = E_m R`` on the upper half of the circle
    ``|z| = 2·scale`` (trapezoidal rule in the angle; ``q(z̄) = conj q(z)``)."""
    R = 2.0 * nodes.scale()
    th = 2 * np.pi * (np.arange(N // 2) + 0.5) / N
    z = R * np.exp(1j * th)
    sol = ex.solve_bulk(z, nodes)
    assert sol.converged.all()
    return np.array([-(2.0 / N) * np.real(np.sum(z ** (k + 1) * sol.q)) for k in range(kmax + 1)])


@pytest.mark.parametrize("cos,t", [(0.0, 0.5), (0.5, 1.0)])
def test_bulk_moments_exact(cos, t):
    """First two moments of the §6 bulk density, expanded from the equations at large ``z``
    (derived by hand: ``δ_c, T = O(1/z)``, ``M → diag(κ⁰)``, ``κ⁰_c = ρ_c(e2 σ_c² + Δ)``):

        m1 = E_m D,   D(m) = s̄²(m) + Σ_c ρ_c v_c²(m) + Σ_c κ⁰_c a_c(m)² = Σ_c ρ_c Var σ(h_c(m))
        m2 = E_m D² + (ψ_p/ψ_n) Σ_c ρ_c (E v_c² + e2 σ_c² E a_c²)² + ψ_p Σ_cc' κ⁰_c κ⁰_c' (E a_c a_c')²

    (the centred case gives THEORY.md §5's moments, test_spectrum.py). ``Var σ(h_c(m))`` is
    integrated here by scipy (not by classdyn.theory.coefficients), so m1 also checks that the GEP
    pieces add up to the feature variance per neuron. E_m over a 6×6 Gauss–Hermite rule (the
    identities hold for any set of nodes). Measured agreement: m1 to 1.3e-14, m2 to 1.8e-13
    relative (m2 carries R² = (2·scale)² times the solver's rounding); tolerance 2e-13 and
    3e-12 (15× those).
    """
    from scipy.integrate import quad

    mix = mixture(cos)
    nodes = ex.gaussian_nodes(mix, RF, t, order=6)
    e2, D = math.exp(-2 * t), -math.expm1(-2 * t)
    w, rho, s2 = nodes.weights, nodes.rho, np.asarray(mix.variances)

    def var_tanh(m, G2):
        f = lambda z, k: math.tanh(m + math.sqrt(G2) * z) ** k * math.exp(-z * z / 2) / \
            math.sqrt(2 * math.pi)
        opts = dict(epsabs=1e-14, epsrel=1e-13, limit=200)
        return quad(lambda z: f(z, 2), -12, 12, **opts)[0] - quad(lambda z: f(z, 1), -12, 12,
                                                                  **opts)[0] ** 2

    Dm = np.array([sum(rho[c] * var_tanh(mk[c], e2 * s2[c] + D) for c in range(2))
                   for mk in nodes.m])
    kap0 = rho * (e2 * s2 + D)
    Ea2, Ev2 = w @ nodes.a ** 2, w @ nodes.v2
    Eaa = (nodes.a * w[:, None]).T @ nodes.a
    m1 = w @ Dm
    m2 = w @ Dm ** 2 + (RF.psi_p / RF.psi_n) * np.sum(rho * (Ev2 + e2 * s2 * Ea2) ** 2) \
        + RF.psi_p * np.sum(np.outer(kap0, kap0) * Eaa ** 2)
    mom = _bulk_contour_moments(nodes, 2)
    assert mom[0] == pytest.approx(1.0, abs=1e-14)  # measured 3e-16
    assert mom[1] == pytest.approx(m1, rel=2e-13)
    assert mom[2] == pytest.approx(m2, rel=3e-12)


def test_kernel_jacobian_matches_finite_differences():
    """Analytic Jacobian of the compiled §6 residual against central differences of the
    residual itself (analytic in the unknowns: complex steps of 1e-6 relative, truncation
    ~1e-12, rounding ~1e-10): measured ≤ 7e-9 per entry, ≤ 3e-10 of the largest entry;
    tolerance 1e-7 of each entry plus 1e-7 of the largest. Newton with a wrong Jacobian still converges
    (slowly, or to a looser point), so nothing else would notice."""
    from classdyn.theory import _extensive_kernels as K

    nodes = ex.gaussian_nodes(mixture(0.5), RF, 0.5, order=5)
    pj, pl = K.pair_index(2)
    args = nodes.kernel_args()
    for z in (0.4 + 0.05j, 1.5 + 0.3j):
        sol = ex.solve_bulk([z], nodes)
        x0 = np.concatenate([sol.delta[0], sol.T[0][np.triu_indices(2)]])
        for x in (x0, 0.8 * x0 + 0.05j):
            F, J, q, ok = K.residual_jacobian(z, x, *args, pj, pl, True)
            assert ok
            num = np.empty_like(J)
            for u in range(x.size):
                h = 1e-6 * max(abs(x[u]), 1e-3)
                e = np.zeros_like(x)
                e[u] = h
                Fp = K.residual_jacobian(z, x + e, *args, pj, pl, False)[0]
                Fm = K.residual_jacobian(z, x - e, *args, pj, pl, False)[0]
                num[:, u] = (Fp - Fm) / (2 * h)
            np.testing.assert_allclose(J, num, rtol=1e-7, atol=1e-7 * np.abs(num).max())


def test_warm_and_cold_density_agree():
    """extensive_density(warm=True) (Newton from the previous grid point) and warm=False (each
    point by its own η-continuation) solve the same equations: same density (measured 3.3e-13
    of its maximum; tolerance 1e-11, 30× that)."""
    nodes = ex.gaussian_nodes(mixture(0.5), RF, 0.5, order=8)
    lam = np.linspace(0.01, 1.05 * ex.upper_edge(nodes).edge, 120)
    a = ex.extensive_density(lam, nodes, warm=True)
    b = ex.extensive_density(lam, nodes, warm=False)
    assert a.n_failed == 0 and b.n_failed == 0
    np.testing.assert_allclose(a.density, b.density, rtol=0, atol=1e-11 * b.density.max())


def test_centred_limit_edges_match_the_edge_polynomial():
    """Centred classes (one node at m = 0): every edge of extensive_edges (fold of the real
    branch of the §6 equations) against classdyn.theory.edges (real roots of the discriminant of the §5
    polynomial, 30 digits) — two independent routes to the same edges. ψ_p = 3, ψ_n = 2.5
    (no delta), t = 0.05: two bulks. Measured ≤ 1.1e-10 relative (the fold's tol is 1e-10);
    tolerance 1e-9. Bulk masses (trapezoid on the refined grid) against the integrated §5
    weights: measured 4.9e-4 (the trapezoid on the grid near the lower edge, whose density is
    steep); tolerance 2e-3 (4×)."""
    from classdyn.theory.edges import find_edges
    from classdyn.theory.spectrum import SpectralParams, spectrum

    mix = Mixture(variances=(1.0, 4.0), weights=(0.5, 0.5))
    rf = RandomFeatures(3.0, 2.5)
    e = ex.extensive_edges(ex.gaussian_nodes(mix, rf, 0.05, order=2))
    params = SpectralParams.from_model(mix, rf, 0.05)
    ref = np.array([float(x) for x in find_edges(params).edges])
    assert ref.size == 4 and e.intervals.shape == (2, 2)
    assert all(m == ["fold", "fold"] for m in e.methods)
    np.testing.assert_allclose(e.intervals.ravel(), ref, rtol=1e-9)
    np.testing.assert_allclose(e.masses, [b.weight for b in spectrum(params).bulks], atol=2e-3)


@pytest.mark.xfail(strict=True, reason="extensive_edges thresholds the density at 1e-6 of its "
                   "maximum, which a delta peak at s̄² (ψ_p > 1 + ψ_n: p − n − d null "
                   "directions; width η) dominates: bulks below 1e-6 of the peak vanish and the "
                   "last run's upper edge is replaced by the top edge, so gaps are merged "
                   "(theory/extensive.py; reported, not fixed here). Remove the mark once fixed.")
def test_centred_limit_edges_with_a_delta_peak():
    """As above with ψ_p = 4, ψ_n = 2 (delta of weight 1/4 at s̄²), t = 0.1: classdyn.theory.edges gives
    bulks [0.01685, 0.1374] and [0.2325, 6.194]; extensive_edges today returns
    [0.016630, 0.016639] (the delta) and [0.01685, 6.194] (gap lost, masses 0.25 and 0.23)."""
    from classdyn.theory.edges import find_edges
    from classdyn.theory.spectrum import SpectralParams

    mix = Mixture(variances=(1.0, 2.0), weights=(0.25, 0.75))
    rf = RandomFeatures(4.0, 2.0)
    e = ex.extensive_edges(ex.gaussian_nodes(mix, rf, 0.1, order=2))
    ref = np.array([float(x) for x in find_edges(SpectralParams.from_model(mix, rf, 0.1)).edges])
    assert e.intervals.size == ref.size
    np.testing.assert_allclose(e.intervals.ravel(), ref, rtol=1e-9)
