"""Timescales and windows from the edges (THEORY.md §5): theory.timescales."""

import numpy as np
import pytest

from theory.params import Mixture, RandomFeatures
from theory.spectrum import SpectralParams
from theory.timescales import assign_roles, timescales, timescales_model, window_limits
from tests.theory._spectrum_helpers import gep_eigenvalues


def _params(variances, weights, psi_p, psi_n, t):
    return SpectralParams.from_model(Mixture(variances=variances, weights=weights),
                                     RandomFeatures(psi_p, psi_n), t)


def test_three_bulks_and_counts_on_gep_matrix():
    # ψ_p = 4, ψ_n = 2, t = 0.01: THEORY.md §5 bulk counting (d, n − d, d eigenvalues from the
    # right, delta p − n − d). Verified on a GEP matrix (d = 200): the number of eigenvalues
    # in each theoretical bulk, widened by 5 % of the neighbouring gap, equals the count
    # exactly (GEP eigenvalues stick to the bulks up to O(d^{-2/3}) at the edges).
    p = _params((1.0, 2.0), (0.25, 0.75), 4.0, 2.0, 0.01)
    ts = timescales(p)
    assert ts.roles == ["fin", "mem", "gen"]
    assert ts.gen_mem_separated and ts.mem_fin_separated
    d = 200
    ev = gep_eigenvalues(p, d, seed=5)
    b = ts.bulks
    cuts = [p.sbar2 * (1 + 1e-9)] + [(b[i].upper + b[i + 1].lower) / 2 for i in range(2)] \
        + [np.inf]
    counts = [int(np.sum((ev > cuts[i]) & (ev <= cuts[i + 1]))) for i in range(3)]
    n = int(p.psi_n * d)
    assert counts == [d, n - d, d]
    assert int(np.sum(ev <= cuts[0])) == int(p.psi_p * d) - n - d
    # edges, times, windows (training time: mode λ relaxes as exp(−λ τ))
    assert ts.lam_gen == b[2].lower and ts.lam_mem == b[1].upper and ts.lam_fin == b[0].lower
    assert ts.tau_gen == pytest.approx(1 / ts.lam_gen, rel=1e-15)
    assert ts.W_gen == pytest.approx(ts.tau_mem / ts.tau_gen, rel=1e-15)
    assert ts.W_mem == pytest.approx(ts.tau_fin / ts.tau_mem, rel=1e-15)
    assert ts.tau_gen < ts.tau_mem < ts.tau_fin


def test_merged_bulks_are_reported():
    # Variances 1 and 4, t = 0.01, ψ_p = 4, ψ_n = 2: the memorisation bulk merges with the
    # population bulk (THEORY.md §5): λ_gen, λ_mem do not exist; λ_fin does.
    ts = timescales(_params((1.0, 4.0), None, 4.0, 2.0, 0.01))
    assert not ts.gen_mem_separated and ts.mem_fin_separated
    assert ts.lam_gen is None and ts.lam_mem is None and ts.W_gen is None
    assert ts.lam_fin is not None and ts.roles == ["fin", "mem+gen"]
    # larger t: the final bulk merges with the memorisation bulk instead
    ts = timescales(_params((1.0, 2.0), None, 4.0, 2.0, 0.1))
    assert ts.gen_mem_separated and not ts.mem_fin_separated
    assert ts.roles == ["fin+mem", "gen"] and ts.W_mem is not None


def test_roles_by_weight():
    from theory.spectrum import Bulk

    bulks = [Bulk(0, 1, 0.25), Bulk(2, 3, 0.1), Bulk(4, 5, 0.15), Bulk(6, 7, 0.25)]
    roles, i_gen, i_mem, i_fin, gs, ms = assign_roles(bulks, 4.0, 2.0)
    assert roles == ["fin", "mem", "mem", "gen"] and (i_gen, i_mem) == (3, 2) and gs and ms


def test_window_grows_with_psi_n():
    # THEORY.md §5 / paper (123): W_gen grows with ψ_n.
    w = [timescales_model(Mixture(variances=(1.0, 2.0)), RandomFeatures(psi_p, psi_n),
                          0.01).W_gen for psi_p, psi_n in [(4.0, 2.0), (6.0, 4.0)]]
    assert w[1] > w[0]


@pytest.mark.slow
def test_window_limits_converge():
    # The windows at ψ_p = 16, 32, 64 approach their limit like ψ_p^{-1/2}: successive
    # differences shrink (by ~1/√2), and the extrapolation's error bar is below 5 % of it.
    lim = window_limits(Mixture(variances=(1.0, 2.0)), 2.0, 0.01, psi_p0=16)
    for seq in (lim.W_gen_seq, lim.W_mem_seq):
        assert abs(seq[2] - seq[1]) < 0.85 * abs(seq[1] - seq[0])
    assert lim.W_gen_err < 0.05 * lim.W_gen and lim.W_mem_err < 0.05 * lim.W_mem
    # the limit lies beyond the last term, in the direction of the trend
    assert (lim.W_gen - lim.W_gen_seq[2]) * (lim.W_gen_seq[2] - lim.W_gen_seq[1]) > 0


def test_bad_inputs():
    with pytest.raises(ValueError, match="psi_n"):
        timescales(_params((1.0, 2.0), None, 4.0, 0.5, 0.01))
    with pytest.raises(ValueError, match="psi_p"):
        timescales(_params((1.0, 2.0), None, 2.5, 2.0, 0.01))
    with pytest.raises(ValueError, match="psi_p0"):
        window_limits(Mixture(variances=(1.0, 2.0)), 2.0, 0.01, psi_p0=2.0)


def test_bulk_counting_below_psi_n_one():
    # THEORY.md §5 leaves ψ_n < 1 open ("d − n, n, n from left to right: derive and check").
    # The theory's bulk weights at ψ_p = 4, ψ_n = 0.25 are n, d − n, n (left to right), and a
    # GEP matrix (d = 200) has exactly these counts between the theoretical gaps.
    from theory.spectrum import spectrum

    p = _params((1.0, 2.0), None, 4.0, 0.25, 0.01)
    s = spectrum(p)
    d = 200
    n = int(p.psi_n * d)
    assert [round(b.weight * p.psi_p * d) for b in s.bulks] == [n, d - n, n]
    ev = gep_eigenvalues(p, d, seed=4)
    b = s.bulks
    cuts = [p.sbar2 * (1 + 1e-9)] + [(b[i].upper + b[i + 1].lower) / 2 for i in range(2)] \
        + [np.inf]
    assert [int(np.sum((ev > cuts[i]) & (ev <= cuts[i + 1]))) for i in range(3)] == [n, d - n, n]
