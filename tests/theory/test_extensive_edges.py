"""Bulk edges for extensive centroids (classdyn.theory.extensive_edges, THEORY.md §6): the upper
edge and every bulk with its mass against GEP matrices built by classdyn.simulate.features, and
in the centred limit against the edge polynomial of classdyn.theory.edges (§5).
"""

from __future__ import annotations

import numpy as np
import pytest

from classdyn.theory import extensive as ex
from classdyn.theory.params import Mixture, RandomFeatures
from tests.theory._extensive_helpers import RF, gep_case, mixture


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


def test_one_bad_point_does_not_split_a_bulk():
    """Issue 12: two runs of support stay separate only if the bulk equations have a real
    solution in the gap between them. Centred classes (ψ_p = 3, ψ_n = 2.5, t = 0.05: bulks
    from classdyn.theory.edges, an independent route): runs split at a grid point inside the
    upper bulk are merged back; runs on both sides of the true gap stay separate."""
    from classdyn.theory.edges import find_edges
    from classdyn.theory.extensive_edges import _merge_unconfirmed_gaps
    from classdyn.theory.spectrum import SpectralParams

    mix = Mixture(variances=(1.0, 4.0), weights=(0.5, 0.5))
    rf = RandomFeatures(3.0, 2.5)
    nodes = ex.gaussian_nodes(mix, rf, 0.05, order=2)
    a1, b1, a2, b2 = [float(x) for x in find_edges(SpectralParams.from_model(mix, rf, 0.05)).edges]
    lam = np.concatenate([np.linspace(a1, b1, 7)[1:-1], [0.5 * (b1 + a2)],
                          np.linspace(a2, b2, 13)[1:-1]])
    # runs: bulk 1 = 0..4, gap point 5, bulk 2 = 6..16 split at the bad point 11
    assert _merge_unconfirmed_gaps(nodes, lam, [(0, 4), (6, 10), (12, 16)]) == [(0, 4), (6, 16)]
    # a gap seen by more than two grid points is kept without asking (bulk 2 split at 9..11)
    assert _merge_unconfirmed_gaps(nodes, lam, [(0, 4), (6, 8), (12, 16)]) == [(0, 4), (6, 8),
                                                                               (12, 16)]


@pytest.mark.slow
def test_issue_case_with_80_legendre_nodes_has_two_bulks():
    """The issue's case (t = 0.5, orthogonal, 80 composite Legendre nodes per axis), where one
    grid point on the unphysical branch (λ = 0.0391418, q = 189.7 − 0.51i) split the lower bulk
    into [0.030937, 0.039142] and [0.039142, 0.074416]: two bulks now, masses ½ each (measured
    0.50005, 0.50001; tolerance 5e-4, the trapezoid error of the masses in the other tests), no
    point of the grid left unconverged. ~25–60 s."""
    e = ex.extensive_edges(ex.gaussian_nodes(mixture(0.0), RF, 0.5, order=80, rule="legendre"))
    assert e.intervals.shape == (2, 2), e.intervals
    np.testing.assert_allclose(e.masses, [0.5, 0.5], atol=5e-4)
    assert e.density.n_failed == 0
