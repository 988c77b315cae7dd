"""Feature matrices for the dynamics experiments: one entry point, several activations.

The exact finite-size matrices of THEORY.md §2-§4 (``U``, ``V``, the population class matrices
``U_c``, ``V_c``) and their Gaussian-equivalent (GEP) counterparts are built by the shared module
:mod:`classdyn.simulate.features` (issue 3: Mehler series for ``U``, Stein's lemma for ``V``). This module
only routes to it, and implements the one case where everything is closed form and needs no
series: the **linear** activation ``σ(h) = h``, for which (THEORY.md §4 with ``σ = id``)

- ``U = (1/n) Σ_ν u^ν u^νᵀ + Δ K``, ``u^ν = e^{−t} W x^ν/√d``, ``K = W Wᵀ/d``;
- ``V = √Δ W/√d``;
- ``U_c = e^{−2t} W (μ_c μ_cᵀ + σ_c² I) Wᵀ/d + Δ K``, ``V_c = √Δ W/√d``.

The linear model is its own Gaussian equivalent (``a = 1``, ``b = √Δ``, ``v = s = 0``), so its
GEP matrices equal the exact ones. Conventions: ``W`` is p×d, samples ``X`` are n×d rows.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from classdyn.theory.params import Mixture, check_time, delta_t


@dataclass
class FeatureSet:
    """``U`` (p×p), ``V`` (p×d), population ``Uc`` (C×p×p), ``Vc`` (C×p×d) at diffusion time t."""

    U: np.ndarray
    V: np.ndarray
    Uc: np.ndarray
    Vc: np.ndarray
    t: float
    kind: str  # "exact" or "gep"
    activation: str

    def to_dict(self) -> dict:
        return {"t": self.t, "kind": self.kind, "activation": self.activation,
                "p": int(self.U.shape[0]), "d": int(self.V.shape[1]),
                "n_classes": int(self.Uc.shape[0])}


def _check_wx(W: np.ndarray, X: np.ndarray) -> tuple[int, int, int]:
    W = np.asarray(W)
    X = np.asarray(X)
    if W.ndim != 2:
        raise ValueError(f"W must be a p×d matrix, got shape {W.shape}")
    if X.ndim != 2 or X.shape[1] != W.shape[1]:
        raise ValueError(f"X must be n×d with d = {W.shape[1]} (rows are samples), got shape "
                         f"{X.shape}")
    return W.shape[0], W.shape[1], X.shape[0]


def _linear_exact(W, X, t):
    p, d, n = _check_wx(W, X)
    e = math.exp(-t)
    D = delta_t(t)
    Wd = W / math.sqrt(d)
    K = Wd @ Wd.T
    u = e * (X @ Wd.T)  # n×p
    U = u.T @ u / n + D * K
    V = math.sqrt(D) * Wd
    return U, V, K


def _linear_population(W, mixture: Mixture, centroids, t, K):
    p, d = W.shape
    e2 = math.exp(-2 * t)
    D = delta_t(t)
    Wd = W / math.sqrt(d)
    Uc, Vc = [], []
    for c in range(mixture.n_classes):
        m = Wd @ centroids[c]
        Uc.append(e2 * (np.outer(m, m) + mixture.variances[c] * K) + D * K)
        Vc.append(math.sqrt(D) * Wd)
    return np.stack(Uc), np.stack(Vc)


def build_features(W: np.ndarray, X: np.ndarray, labels: np.ndarray, mixture: Mixture,
                   centroids: np.ndarray, t: float, activation: str = "tanh",
                   kind: str = "exact", seed=0, n_pop: int | None = None) -> FeatureSet:
    """Exact (or GEP) ``U, V`` of the training set and population ``U_c, V_c`` (THEORY.md §2-§4).

    ``U = (1/n) Σ_ν E_ξ[φ(x_t^ν) φ(x_t^ν)ᵀ]``, ``V = (1/n) Σ_ν E_ξ[φ(x_t^ν) ξᵀ]``,
    ``U_c = E_{x~c,ξ}[φ φᵀ]``, ``V_c = E_{x~c,ξ}[φ ξᵀ]``, ``φ(x) = σ(W x/√d)``.

    Linear activation: closed forms (module docstring). Other activations: the shared builders
    of :mod:`classdyn.simulate.features` (exact Mehler/Stein, or GEP); population matrices there use
    ``n_pop`` fresh class samples (default ``4 n``) drawn with ``seed``.
    """
    t = check_time(t)
    if kind not in ("exact", "gep"):
        raise ValueError(f"kind must be 'exact' or 'gep', got {kind!r}")
    _check_wx(W, X)
    centroids = np.asarray(centroids, float)
    if centroids.shape != (mixture.n_classes, W.shape[1]):
        raise ValueError(f"centroids must have shape ({mixture.n_classes}, {W.shape[1]}), got "
                         f"{centroids.shape}")
    if activation == "linear":
        U, V, K = _linear_exact(W, X, t)
        Uc, Vc = _linear_population(W, mixture, centroids, t, K)
        return FeatureSet(U=U, V=V, Uc=Uc, Vc=Vc, t=t, kind=kind, activation=activation)
    return _shared_features(W, X, labels, mixture, centroids, t, activation, kind, seed, n_pop)


def _shared_features(W, X, labels, mixture, centroids, t, activation, kind, seed, n_pop):
    from classdyn.simulate import features as F

    return F.build_for_dynamics(W, X, labels, mixture, centroids, t, activation=activation,
                                kind=kind, seed=seed, n_pop=n_pop)


def activation_function(name: str):
    """``σ`` itself (for explicit training): tanh, erf, relu or linear."""
    if name == "tanh":
        return np.tanh
    if name == "linear":
        return lambda h: h
    if name == "relu":
        return lambda h: np.maximum(h, 0.0)
    if name == "erf":
        from scipy.special import erf

        return erf
    raise ValueError(f"activation must be one of tanh, erf, relu, linear, got {name!r}")


def build_U(W: np.ndarray, X: np.ndarray, t: float, activation: str = "tanh",
            kind: str = "exact", data=None, mixture: Mixture | None = None,
            centred: bool = False) -> np.ndarray:
    """The training feature covariance ``U = (1/n) Σ_ν E_ξ[φ(x_t^ν) φ(x_t^ν)ᵀ]`` alone.

    Linear activation: ``U = (1/n) Σ_ν u^ν u^νᵀ + Δ K`` (module docstring). Others: the shared
    builders of :mod:`classdyn.simulate.features`. ``centred`` marks the null matrix of the speciation
    sweep (samples with their centroids removed; the GEP then uses ``norms2 = 0``).
    """
    t = check_time(t)
    if kind not in ("exact", "gep"):
        raise ValueError(f"kind must be 'exact' or 'gep', got {kind!r}")
    _check_wx(W, X)
    if activation == "linear":
        return _linear_exact(W, X, t)[0]
    from classdyn.simulate import features as F

    return F.build_U_for_dynamics(W, X, t, activation=activation, kind=kind, data=data,
                                  mixture=mixture, centred=centred)


def draw_system(mixture: Mixture, d: int, psi_p: float = 2.0, psi_n: float = 1.0,
                t: float = 0.1, activation: str = "tanh", kind: str = "exact", seed=0):
    """One finite-size system: ``W`` (p×d), the training sample and its feature matrices.

    ``p = round(psi_p d)``, ``n = round(psi_n d)``; data first, then ``W``, from one generator
    seeded with ``seed``. Returns ``(W, GMMSample, FeatureSet)``.
    """
    from classdyn.simulate.data import as_generator, sample_mixture

    if isinstance(d, bool) or int(d) != d or d < 1:
        raise ValueError(f"d must be an integer >= 1, got {d!r}")
    p, n = max(1, int(round(psi_p * d))), max(1, int(round(psi_n * d)))
    rng = as_generator(seed)
    data = sample_mixture(mixture, int(d), n, seed=rng)
    W = rng.standard_normal((p, int(d)))
    fs = build_features(W, data.X, data.labels, mixture, data.centroids, t,
                        activation=activation, kind=kind, seed=rng)
    return W, data, fs
