"""Edge polynomials and high-precision edges (THEORY.md §5): classdyn.theory.edges."""

import mpmath
import numpy as np
import pytest

from classdyn.theory.edges import curve_polynomials, edge_polynomial, find_edges
from classdyn.theory.params import Mixture, RandomFeatures
from classdyn.theory.spectrum import SpectralParams, density


def _model(variances, weights, psi_p, psi_n, t):
    return SpectralParams.from_model(Mixture(variances=variances, weights=weights),
                                     RandomFeatures(psi_p, psi_n), t)


REF = _model((1.0, 2.0), (0.5, 0.5), 2.0, 1.0, 0.01)
TWO = _model((1.0, 2.0), (0.25, 0.75), 4.0, 2.0, 0.01)


def test_marchenko_pastur_edges_exact():
    # Pure noise: edges (1 ± √γ)², γ = ψ_p/ψ_n, known in closed form. find_edges polishes the
    # roots to dps + 5 digits (at dps + 20 working digits): at dps = 40, measured agreement
    # 2.5e-51; tolerance 1e-43 (the 45 digits promised, with two to spare).
    p = SpectralParams.marchenko_pastur(2.0, 1.0)
    e = find_edges(p, dps=40)
    with mpmath.workdps(50):
        g = mpmath.mpf(2)
        exact = [(1 - mpmath.sqrt(g)) ** 2, (1 + mpmath.sqrt(g)) ** 2]
        assert len(e.edges) == 2
        for a, b in zip(e.edges, exact):
            assert abs(a - b) < mpmath.mpf(10) ** -43


def test_edges_30_and_50_digits_agree_to_25():
    # The 30-digit edges are polished to dps + 5 = 35 digits: measured relative agreement with
    # the 50-digit ones 2e-49; tolerance 1e-33 (35 digits, two to spare; was 1e-25).
    e30 = find_edges(TWO, dps=30)
    e50 = find_edges(TWO, dps=50)
    assert len(e30.edges) == len(e50.edges) == 6
    with mpmath.workdps(60):
        for a, b in zip(e30.edges, e50.edges):
            assert abs(a - b) <= mpmath.mpf(10) ** -33 * abs(b)


@pytest.mark.parametrize("params", [REF, TWO, _model((1.0, 4.0), None, 4.0, 2.0, 0.01),
                                    _model((1.0, 2.0), (0.25, 0.75), 4.0, 2.0, 0.1)],
                         ids=["ref", "two", "merged", "t0.1"])
def test_edge_roots_include_every_edge_the_density_shows(params):
    # Independent of the edge polynomial: scan the compiled density on a fine grid, find
    # where it switches between zero and positive, and require a true edge in each such
    # bracket (grid spacing: the bracket itself is the tolerance).
    e = find_edges(params)
    edges = np.array([float(x) for x in e.edges])
    lo = params.sbar2 * (1 - 1e-9)
    # a grid fine near the bottom (log-spaced) and linear above
    lam = np.unique(np.concatenate([params.sbar2 + np.geomspace(1e-9, 0.2, 4000),
                                    np.linspace(lo, params.scale, 4000)]))
    rho = density(params, lam).density
    pos = rho > 1e-9 * rho.max()
    switches = np.flatnonzero(pos[1:] != pos[:-1])
    assert switches.size >= 2
    for i in switches:
        a, b = lam[i], lam[i + 1]
        assert np.any((edges >= a - 1e-12) & (edges <= b + 1e-12)), (a, b, edges)
    # and conversely every classified edge is a switch of the scanned density
    assert len(edges) == switches.size + (1 if e.singular_lower_edge and not pos[0] else 0) \
        or len(edges) == switches.size


def test_reference_edges_match_theory_md():
    e = find_edges(REF)
    assert e.singular_lower_edge
    got = [float(x) for x in e.edges]
    # THEORY.md quotes 6 digits: 0.0127543, 0.0207892, 4.76796 (plus s̄² itself)
    for x, ref in zip(got[1:], [0.0127543, 0.0207892, 4.76796]):
        assert x == pytest.approx(ref, rel=5e-6)
    assert "none" in e.kind  # non-edge roots exist (e.g. the double point inside the gap)


def test_one_class():
    one = _model((1.0,), None, 4.0, 2.0, 0.01)
    e1 = find_edges(one)
    assert len(e1.edges) % 2 == 0 and len(e1.edges) >= 2


@pytest.mark.slow
def test_three_classes():
    # C = 3 stays tractable (~20-30 s for the elimination on 2 shared cores).
    three = _model((1.0, 2.0, 3.0), None, 5.0, 2.0, 0.05)
    e3 = find_edges(three)
    assert len(e3.edges) % 2 == 0 and len(e3.edges) >= 2
    # the top edge is where the density stops (checked against the compiled density)
    top = float(e3.edges[-1])
    rho = density(three, [top * (1 - 1e-4), top * (1 + 1e-4)]).density
    # gap side: Im q vanishes to rounding (~1e-24 here); bulk side ~ sqrt(1e-4)
    assert rho[0] > 1e-6 and rho[1] < 1e-12


def test_bad_inputs():
    with pytest.raises(ValueError, match="dps"):
        find_edges(REF, dps=10)
    six = SpectralParams(psi_p=2, psi_n=1, rho=[1 / 6] * 6,
                         alpha2=[0.1, 0.2, 0.3, 0.4, 0.5, 0.6], v2=[0.1] * 6)
    with pytest.raises(ValueError, match=r"1\.\.5 distinct classes"):
        edge_polynomial(six)
    # find_edges says so and falls back to the numeric edges (test_edges_numeric.py)
    assert find_edges(six).method == "numeric"
    with pytest.raises(TypeError):
        find_edges({"psi_p": 2})
    with pytest.raises(ValueError, match="n_classes"):
        curve_polynomials(0)


def test_lowest_edge_is_regular_away_from_psi_p_equal_one_plus_psi_n():
    # With a delta at s̄² (ψ_p = 4 > 1 + ψ_n = 3) the density starts at a square-root edge
    # above s̄², not at s̄² itself: singular_lower_edge is False and every edge is > s̄²; the
    # candidates below s̄² are discarded (counted in negative_roots), those kept are ≥ s̄².
    e = find_edges(TWO)
    assert not e.singular_lower_edge
    assert float(e.edges[0]) > TWO.sbar2 * (1 + 1e-6)
    assert all(float(c) >= TWO.sbar2 * (1 - 1e-12) for c in e.candidates)
    assert e.negative_roots >= 1 and e.degree == edge_polynomial(TWO).degree()
    assert e.kind.count("lower") == e.kind.count("upper") == len(e.edges) // 2


def test_real_roots_are_certified_real_and_exact():
    """FLINT/Arb isolates the roots: (z² − 2)(z² + 1)(3z − 1) has exactly the real roots −√2,
    1/3, √2 (to 50 digits: the requested dps; mpmath's 60-digit values as reference) and the
    pair ±i is complex by proof, not by an |Im| threshold."""
    import mpmath
    import sympy

    from classdyn.theory.edges import _real_roots

    z = sympy.Symbol("z")
    poly = sympy.Poly(sympy.expand((z ** 2 - 2) * (z ** 2 + 1) * (3 * z - 1)), z)
    roots = _real_roots(poly, 50)
    assert len(roots) == 3
    with mpmath.workdps(60):
        ref = [-mpmath.sqrt(2), mpmath.mpf(1) / 3, mpmath.sqrt(2)]
        for r, x in zip(roots, ref):
            assert abs(r - x) < mpmath.mpf(10) ** -50


def test_clustered_roots_at_large_t_are_resolved_at_every_precision():
    """At t = 5 the classes differ only through e^{-2t} ~ 5e-5: the edge polynomial has roots
    clustered within 1e-10 of s̄², where the former Aberth/polyroots path did not converge
    (NoConvergence traceback). Certified isolation finds the same number of real roots at 30,
    50 and 100 digits, agreeing to 25 digits."""
    import mpmath

    from classdyn.theory.edges import find_edges

    p = _model((1.0, 2.0), None, 4.0, 2.0, 5.0)
    res = {dps: find_edges(p, dps=dps) for dps in (30, 50, 100)}
    counts = {dps: len(r.candidates) for dps, r in res.items()}
    assert len(set(counts.values())) == 1, counts
    for dps in (50, 100):
        for a, b in zip(res[30].candidates, res[dps].candidates):
            assert abs(a - b) <= mpmath.mpf(10) ** -25 * max(1, abs(a))


@pytest.mark.slow
def test_four_classes_edges_bulk_masses_and_gep():
    """C = 4 (variances 1, 1.5, 2, 2.5; ψ_p = 4, ψ_n = 2, t = 0.01), newly in reach on FLINT
    (about 16 s on 2 loaded cores). Independent checks of the edges: (i) the density integrated
    between consecutive edges by the Stieltjes solver gives bulks whose masses, with the delta
    peak, add to 1 (spectrum() refuses anything off by more than 1e-4), and the top bulk holds
    1/ψ_p; (ii) the top edge against the largest eigenvalue of GEP matrices (d = 300, 2 seeds):
    within 3 % (square-root edge, finite-size shift O(p^{-2/3}) ~ 1 %, as in the C = 2 test)."""
    from classdyn.theory.spectrum import spectrum
    from tests.theory._spectrum_helpers import gep_eigenvalues

    mix = Mixture(variances=(1.0, 1.5, 2.0, 2.5))
    p = SpectralParams.from_model(mix, RandomFeatures(4.0, 2.0), 0.01)
    spec = spectrum(p)
    assert abs(spec.total_mass - 1.0) < 1e-4
    assert abs(spec.bulks[-1].weight - 0.25) < 1e-6
    top = spec.bulks[-1].upper
    for seed in (0, 1):
        ev = gep_eigenvalues(p, 300, seed)
        assert abs(ev.max() - top) <= 0.03 * top, (seed, ev.max(), top)
