"""The extensive-spectrum check passes on right inputs and fails on wrong ones."""

from __future__ import annotations

import numpy as np
import pytest

from classdyn.theory import extensive as ex
from classdyn.theory.params import Mixture, RandomFeatures
from classdyn.validation import checks_extensive as ck

RF = RandomFeatures(psi_p=2.0, psi_n=1.0)
T = 1.0
D = 250


def _mix(variances=(1.0, 2.0), weights=(0.3, 0.7), cos=0.5):
    return Mixture(variances=variances, weights=weights, norms2=(1.0, 1.0), overlaps=[cos])


@pytest.fixture(scope="module")
def draws():
    mix = _mix()
    ev_a, m_a, W, mu = ck._gep(mix, RF, T, D, seed=0, data_seed=100)
    ev_b, _, _, _ = ck._gep(mix, RF, T, D, seed=0, W=W, mu=mu, data_seed=101)
    tops = [ev_a[-2:]] + [ck._gep(mix, RF, T, D, seed=s)[0][-2:] for s in range(1, 6)]
    return ev_a, ev_b, m_a, np.array(tops)


def _theory(mix, m_a):
    own = ex.neuron_nodes(mix, RF, T, m_a)
    dens = ex.adaptive_density(own, 0.5 * own.s2bar.min(), 1.02 * ex.upper_edge(own).edge,
                               rtol=3e-5)
    pred = ex.outliers(ex.gaussian_nodes(mix, RF, T, order=20), D)
    return dens, pred


def test_right_inputs_pass(draws):
    ev_a, ev_b, m_a, tops = draws
    dens, pred = _theory(_mix(), m_a)
    res = ck.compare_spectrum(ev_a, ev_b, dens.lam, dens.cdf(), pred.locations, tops,
                              density_failed_points=dens.n_failed)
    assert res["passed"], res
    for flag in ("bulk_ok", "outlier_count_ok", "outlier_bias_ok", "density_ok"):
        assert res[flag], (flag, res)


def test_swapped_variances_fail_the_bulk(draws):
    """Theory computed for variances (2, 1) instead of (1, 2): the bulk KS distance exceeds the
    criterion (the class-2 noise goes to the 0.7-weight class)."""
    ev_a, ev_b, m_a, tops = draws
    dens, _ = _theory(_mix(variances=(2.0, 1.0)), m_a)
    res = ck.compare_spectrum(ev_a, ev_b, dens.lam, dens.cdf(), [1e9], tops[:, :1])
    assert not res["bulk_ok"], res


def test_wrong_overlap_fails_the_outliers(draws):
    """Outliers predicted for orthogonal centroids (cosine 0 instead of 0.5) are rejected: the
    shared direction of the two centroids pushes the top outlier up."""
    ev_a, ev_b, m_a, tops = draws
    dens, _ = _theory(_mix(), m_a)
    wrong = ex.outliers(ex.gaussian_nodes(_mix(cos=0.0), RF, T, order=20), D)
    res = ck.compare_spectrum(ev_a, ev_b, dens.lam, dens.cdf(), wrong.locations, tops)
    assert not res["outliers_ok"], res


def test_check_is_registered():
    from classdyn.validation.registry import discover

    reg = discover()
    assert "extensive-spectrum" in reg
    assert set(reg["extensive-spectrum"].sizes) == {"small", "paper"}
