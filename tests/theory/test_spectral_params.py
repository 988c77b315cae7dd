"""Parameters of the centred spectral equations (THEORY.md §5): classdyn.theory.spectral_params,
first link of the chain spectral_params → curve → stieltjes → edges → spectrum. Input checks, the
weight-sum tolerance, and the delta peak's weight against the null space of GEP matrices.
"""

import numpy as np
import pytest

from classdyn.theory.params import Mixture, RandomFeatures
from classdyn.theory.spectral_params import SpectralParams, delta_weight
from tests.theory._spectrum_helpers import gep_eigenvalues


def test_bad_parameters_raise():
    good = dict(psi_p=2.0, psi_n=1.0, rho=[0.5, 0.5], alpha2=[0.3, 0.4], v2=[0.1, 0.1],
                bbar2=0.01, sbar2=0.002)
    SpectralParams(**good)
    for key, bad, word in [("psi_p", 0.0, "psi_p"), ("psi_n", -1, "psi_n"),
                           ("rho", [0.5, 0.6], "rho"), ("alpha2", [0.3, -0.1], "alpha2"),
                           ("v2", [0.1], "v2"), ("sbar2", float("nan"), "sbar2"),
                           ("bbar2", -1e-3, "bbar2")]:
        with pytest.raises(ValueError, match=word):
            SpectralParams(**{**good, key: bad})
    with pytest.raises(ValueError, match="cannot all vanish"):
        SpectralParams(**{**good, "alpha2": [0, 0], "v2": [0, 0]})
    with pytest.raises(ValueError, match="norms2"):
        SpectralParams.from_model(Mixture(variances=(1, 2), norms2=(1, 1)),
                                  RandomFeatures(2, 1), 0.1)
    with pytest.raises(ValueError, match="t"):
        SpectralParams.from_model(Mixture(variances=(1, 2)), RandomFeatures(2, 1), -1.0)


@pytest.mark.parametrize("alpha2,v2,bbar2,psi_p,psi_n", [
    ([0.3, 0.5], [0.1, 0.2], 0.05, 4.0, 1.5),    # v, W directions: rank n + d
    ([0.3, 0.5], [0.1, 0.2], 0.05, 2.0, 1.5),    # n + d > p: no delta (weight clipped at 0)
    ([0.0, 0.0], [0.1, 0.2], 0.0, 4.0, 1.5),     # noise only: rank n
    ([0.3, 0.5], [0.0, 0.0], 0.05, 4.0, 1.5),    # everything along W, b̄² > 0: rank d
    ([0.3, 0.5], [0.0, 0.0], 0.0, 4.0, 0.5),     # along W, b̄² = 0: rank min(n, d) = n
    ([0.3, 0.5], [0.0, 0.0], 0.0, 4.0, 2.0),     # along W, b̄² = 0: rank min(n, d) = d
])
def test_delta_weight_is_the_null_space_of_a_gep_matrix(alpha2, v2, bbar2, psi_p, psi_n):
    # Exact rank argument on a finite GEP matrix (independent builder, d = 60): the number of
    # eigenvalues equal to s̄² (up to rounding: 1e-9 of the largest eigenvalue; the others are
    # ≥ 1e-3 away) is p × delta_weight, exactly, in each branch of the rank counting.
    p_ = SpectralParams(psi_p=psi_p, psi_n=psi_n, rho=[0.4, 0.6], alpha2=alpha2, v2=v2,
                        bbar2=bbar2, sbar2=0.003)
    d = 60
    ev = gep_eigenvalues(p_, d, seed=2)
    at_s2 = np.abs(ev - p_.sbar2) <= 1e-9 * ev.max()
    assert np.all(np.abs(ev[~at_s2] - p_.sbar2) > 1e-6)  # a clean separation: counts are exact
    assert int(at_s2.sum()) == round(delta_weight(p_) * ev.size)


def test_weights_must_sum_to_one_within_1e_9():
    # Same rule as theory.params.WEIGHT_SUM_TOL: 5e-10 off passes, 2e-9 off does not.
    kw = dict(psi_p=2.0, psi_n=1.0, alpha2=[0.3, 0.4], v2=[0.1, 0.1])
    SpectralParams(rho=[0.5, 0.5 + 5e-10], **kw)
    with pytest.raises(ValueError, match="rho must sum to 1"):
        SpectralParams(rho=[0.5, 0.5 + 2e-9], **kw)
