"""Finite-size systems for the dynamics: one :class:`FeatureSet`, one set of builders.

:func:`draw_system` draws a Gaussian-mixture training set and the first-layer weights ``W``,
:func:`build_features` returns the training ``U, V`` and the population class matrices
``U_c, V_c`` (docs/theory/model.md), :func:`build_U` the training ``U`` alone. Each routes to the
exact (Mehler/Stein) or Gaussian-equivalent (GEP) builders of :mod:`classdyn.simulate.features`,
except for the one case where everything is closed form and needs no series: the **linear**
activation ``σ(h) = h``, for which (docs/theory/gaussian-equivalence.md with ``σ = id``)

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

from classdyn.simulate.features import (MEHLER_TOL, MEMORY_MB, U_c_gep, U_gep, V_c_gep, V_gep,
                                        _check_WX, exact_U, exact_U_c, exact_UV, exact_V_c,
                                        gep_coefficients)
from classdyn.theory.params import Mixture, check_activation, check_choice, check_time, delta_t

KINDS = ("exact", "gep")


@dataclass
class FeatureSet:
    """``U`` (p×p), ``V`` (p×d), population ``Uc`` (C×p×p), ``Vc`` (C×p×d) at diffusion time t;
    ``kind`` "exact" or "gep"; ``info`` the Mehler truncation of ``U`` (exact, non-linear σ
    only; :class:`classdyn.simulate.features.MehlerInfo` as a dict)."""

    U: np.ndarray
    V: np.ndarray
    Uc: np.ndarray
    Vc: np.ndarray
    t: float
    kind: str
    activation: str
    info: dict | None = None

    def to_dict(self) -> dict:
        return {"t": self.t, "kind": self.kind, "activation": self.activation,
                "p": int(self.U.shape[0]), "d": int(self.V.shape[1]),
                "n_classes": int(self.Uc.shape[0]), "mehler": self.info}


def _check_kind(kind):
    return check_choice(kind, "kind", KINDS)


def _linear_exact(W, X, t):
    p, d = W.shape
    n = X.shape[0]
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
        m = Wd @ centroids[c] if centroids is not None else np.zeros(p)
        Uc.append(e2 * (np.outer(m, m) + mixture.variances[c] * K) + D * K)
        Vc.append(math.sqrt(D) * Wd)
    return np.stack(Uc), np.stack(Vc)


def build_features(W: np.ndarray, X: np.ndarray, labels: np.ndarray, mixture: Mixture,
                   centroids: np.ndarray | None, t: float, activation: str = "tanh",
                   kind: str = "exact", seed=0, *, tol: float = MEHLER_TOL,
                   memory_mb: float = MEMORY_MB) -> FeatureSet:
    """Exact (or GEP) ``U, V`` of the training set and population ``U_c, V_c`` (docs/theory/model.md).

    ``U = (1/n) Σ_ν E_ξ[φ(x_t^ν) φ(x_t^ν)ᵀ]``, ``V = (1/n) Σ_ν E_ξ[φ(x_t^ν) ξᵀ]``,
    ``U_c = E_{x~c,ξ}[φ φᵀ]``, ``V_c = E_{x~c,ξ}[φ ξᵀ]``, ``φ(x) = σ(W x/√d)``.

    Linear activation: closed forms (module docstring), for either ``kind``. Otherwise
    ``kind="exact"``: Mehler/Stein (:func:`~classdyn.simulate.features.exact_UV`,
    :func:`~classdyn.simulate.features.exact_U_c`, :func:`~classdyn.simulate.features.exact_V_c`;
    the population matrices are exact expectations over the class Gaussian, series summed to the
    truncation bound ``tol`` within ``memory_mb`` MiB of work arrays). ``kind="gep"``:
    :func:`~classdyn.simulate.features.U_gep`, ``V_gep``, ``U_c_gep``, ``V_c_gep`` with scalar
    coefficients when the mixture is centred, per-neuron ones at the projected ``centroids``
    otherwise; ``seed`` draws the GEP's Gaussian ``Ω``. ``centroids=None`` means ``μ_c = 0``.
    """
    check_activation(activation)
    t = check_time(t)
    _check_kind(kind)
    W, X = _check_WX(W, X)
    C = mixture.n_classes
    mu = None if centroids is None else np.asarray(centroids, dtype=float)
    if mu is not None and mu.shape != (C, W.shape[1]):
        raise ValueError(f"centroids must have shape ({C}, {W.shape[1]}), got {mu.shape}")
    var = mixture.variances
    if activation == "linear":
        U, V, K = _linear_exact(W, X, t)
        Uc, Vc = _linear_population(W, mixture, mu, t, K)
        return FeatureSet(U, V, Uc, Vc, t, kind, activation)
    if kind == "exact":
        U, V, info = exact_UV(W, X, activation, t, tol=tol, memory_mb=memory_mb)
        Uc = np.stack([exact_U_c(W, None if mu is None else mu[c], var[c], activation, t,
                                 tol=tol, memory_mb=memory_mb) for c in range(C)])
        Vc = np.stack([exact_V_c(W, None if mu is None else mu[c], var[c], activation, t)
                       for c in range(C)])
        return FeatureSet(U, V, Uc, Vc, t, kind, activation, info.to_dict())
    extensive = mu is not None and not mixture.centred
    co = gep_coefficients(W, mixture, activation, t, centroids=mu if extensive else None)
    U = U_gep(W, X, labels, co, centroids=mu if extensive else None, seed=seed)
    V = V_gep(W, labels, co)
    Uc = np.stack([U_c_gep(W, co, c, var[c]) for c in range(C)])
    Vc = np.stack([V_c_gep(W, co, c) for c in range(C)])
    return FeatureSet(U, V, Uc, Vc, t, kind, activation)


def build_U(W: np.ndarray, X: np.ndarray, t: float, activation: str = "tanh",
            kind: str = "exact", data=None, mixture: Mixture | None = None,
            centred: bool = False, seed=0, *, tol: float = MEHLER_TOL,
            memory_mb: float = MEMORY_MB) -> np.ndarray:
    """The training feature covariance ``U = (1/n) Σ_ν E_ξ[φ(x_t^ν) φ(x_t^ν)ᵀ]`` alone.

    Linear activation: ``U = (1/n) Σ_ν u^ν u^νᵀ + Δ K`` (module docstring). Otherwise
    ``kind="exact"``: :func:`~classdyn.simulate.features.exact_U`; ``kind="gep"``:
    :func:`~classdyn.simulate.features.U_gep`, which needs ``data`` (a
    :class:`classdyn.simulate.data.GMMSample`: labels, centroids) and ``mixture``, its ``Ω``
    drawn from ``seed``. ``centred=True`` marks the null matrix of the speciation sweep (samples
    with their centroids removed): scalar coefficients, ``m_c = 0``.
    """
    t = check_time(t)
    _check_kind(kind)
    W, X = _check_WX(W, X)
    if activation == "linear":
        return _linear_exact(W, X, t)[0]
    if kind == "exact":
        return exact_U(W, X, activation, t, tol=tol, memory_mb=memory_mb)
    check_activation(activation)
    if data is None or mixture is None:
        raise ValueError("kind='gep' needs data (GMMSample with labels, centroids) and mixture")
    extensive = not centred and not mixture.centred
    mu = np.asarray(data.centroids, dtype=float) if extensive else None
    co = gep_coefficients(W, mixture, activation, t, centroids=mu)
    return U_gep(W, X, data.labels, co, centroids=mu, seed=seed)


def draw_system(mixture: Mixture, d: int, psi_p: float = 2.0, psi_n: float = 1.0,
                t: float = 0.1, activation: str = "tanh", kind: str = "exact", seed=0):
    """One finite-size system: ``W`` (p×d), the training sample and its feature matrices.

    ``p = round(psi_p d)``, ``n = round(psi_n d)``; data first, then ``W``, from one generator
    seeded with ``seed`` (which then draws the GEP's ``Ω``). Returns
    ``(W, GMMSample, FeatureSet)``.
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
