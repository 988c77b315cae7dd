"""Shared helpers of the extensive-centroid tests (classdyn.theory.extensive*, THEORY.md §6).

``mixture``/``RF``: the reference case (tanh, variances 1 and 2, weights ½, ‖μ_c‖² = d,
ψ_p = 2, ψ_n = 1); ``gep_case`` draws a finite GEP (or exact, Mehler) matrix ``U`` with
classdyn.simulate.features, independently of the solvers under test; ``ks_theory``/``ks_two``
are the Kolmogorov–Smirnov distances the density tests compare.
"""

from __future__ import annotations

import math

import numpy as np

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
