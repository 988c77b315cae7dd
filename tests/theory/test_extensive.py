"""The extensive-centroid model as a whole (classdyn.theory.extensive, THEORY.md §6): input checks
across the ``extensive_*`` solvers, the CLI-facing summary and the named edges against finite GEP
matrices built by classdyn.simulate.features (never against itself).

The solvers' own tests mirror their modules: test_extensive_nodes.py, test_extensive_bulk.py,
test_extensive_edges.py, test_extensive_outliers.py; the naming rule is in test_bulks.py.
Numbers measured when these tests were written are in the comments (tanh, variances 1 and 2,
weights ½, ‖μ_c‖² = d, ψ_p = 2, ψ_n = 1: tests/theory/_extensive_helpers.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from classdyn.theory import extensive as ex
from classdyn.theory.params import RandomFeatures
from tests.theory._extensive_helpers import RF, gep_case, mixture


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


def test_converged_spectrum_masses_do_not_depend_on_the_rule():
    """extensive_spectrum(converged=True) (what model(...).spectrum() uses, issue 12) at t = 1,
    cosine 0.5, from two different base rules (Gauss–Hermite 16 and composite Legendre 24 per
    axis, which set only the bulk intervals): the masses agree to within their stated errors
    (≤ 2 MASS_TOL each; measured 6.9e-9 and 6.5e-9) and equal the bulk count 1/ψ_p = 0.5 of
    the rank argument (docs/theory/spectrum-centred.md) to 1e-7 (the soft band tail,
    docs/findings.md); the old fixed-rule path (converged=False) gave 0.49967 / 0.49999 and
    0.49988 / 0.49998 for the same two rules. Every density point converged (measured 30/30 at
    n_grid = 30), its errors reported."""
    from classdyn.theory.extensive_converged import MASS_TOL

    a = ex.extensive_spectrum(mixture(0.5), RF, 1.0, order=16, n_grid=20, converged=True)
    b = ex.extensive_spectrum(mixture(0.5), RF, 1.0, order=24, rule="legendre", n_grid=20,
                              converged=True)
    for s in (a, b):
        assert s.masses.shape == (2,) and np.all(s.masses_converged)
        assert np.all(s.mass_errors <= 2 * MASS_TOL)
        np.testing.assert_allclose(s.masses, 0.5, atol=1e-7, rtol=0)
        assert s.density_converged.all() and s.density_error.shape == s.lam.shape
        assert "+-" in s.summary() and "density_error" in s.to_dict()
    assert np.all(np.abs(a.masses - b.masses) <= a.mass_errors + b.mass_errors + 1e-12)


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
