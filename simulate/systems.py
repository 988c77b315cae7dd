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
    """The feature matrices of one finite-size system at diffusion time ``t``.

    Training ``U`` (p×p), ``V`` (p×d) and the population class matrices ``Uc`` (C×p×p),
    ``Vc`` (C×p×d) (docs/theory/model.md), as built by :func:`build_features`.

    Parameters
    ----------
    U : numpy.ndarray, shape (p, p)
        Training feature covariance ``(1/n) Σ_ν E_ξ[φ(x_t^ν) φ(x_t^ν)ᵀ]``.
    V : numpy.ndarray, shape (p, d)
        Training feature–noise correlation ``(1/n) Σ_ν E_ξ[φ(x_t^ν) ξᵀ]``.
    Uc : numpy.ndarray, shape (C, p, p)
        Population class matrices ``U_c``.
    Vc : numpy.ndarray, shape (C, p, d)
        Population class matrices ``V_c``.
    t : float
        Diffusion time of the OU forward process (dimensionless).
    kind : str
        ``"exact"`` or ``"gep"``.
    activation : str
        The activation σ.
    info : dict or None, optional
        The Mehler truncation of ``U`` (exact kind, non-linear σ only;
        :class:`classdyn.simulate.features.MehlerInfo` as a dict), else ``None``.

    Examples
    --------
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import draw_system
    >>> W, data, fs = draw_system(Mixture(variances=(1.0, 2.0)), d=10, t=0.5, seed=0)
    >>> fs.U.shape, fs.V.shape, fs.Uc.shape, fs.Vc.shape
    ((20, 20), (20, 10), (2, 20, 20), (2, 20, 10))
    >>> d = fs.to_dict()
    >>> d["p"], d["d"], d["n_classes"], d["kind"], d["mehler"]["kmax"]
    (20, 10, 2, 'exact', 29)
    """

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
    r"""Exact (or GEP) ``U, V`` of the training set and population ``U_c, V_c`` (docs/theory/model.md).

    .. math::

        U = \frac1n \sum_\nu \mathbb{E}_\xi[\varphi(x_t^\nu) \varphi(x_t^\nu)^\top], \quad
        V = \frac1n \sum_\nu \mathbb{E}_\xi[\varphi(x_t^\nu) \xi^\top], \quad
        U_c = \mathbb{E}_{x\sim c,\xi}[\varphi \varphi^\top], \quad
        V_c = \mathbb{E}_{x\sim c,\xi}[\varphi \xi^\top],

    ``φ(x) = σ(W x/√d)``, ``x_t = e^{−t} x + √Δ ξ``.

    Linear activation: closed forms (module docstring; docs/theory/gaussian-equivalence.md),
    for either ``kind``. Otherwise ``kind="exact"``: Mehler/Stein
    (:func:`~classdyn.simulate.features.exact_UV`,
    :func:`~classdyn.simulate.features.exact_U_c`, :func:`~classdyn.simulate.features.exact_V_c`;
    the population matrices are exact expectations over the class Gaussian, series summed to the
    truncation bound ``tol`` within ``memory_mb`` MiB of work arrays). ``kind="gep"``:
    :func:`~classdyn.simulate.features.U_gep`, ``V_gep``, ``U_c_gep``, ``V_c_gep`` with scalar
    coefficients when the mixture is centred, per-neuron ones at the projected ``centroids``
    otherwise; ``seed`` draws the GEP's Gaussian ``Ω``. ``centroids=None`` means ``μ_c = 0``.

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    X : array_like, shape (n, d)
        Training samples as rows.
    labels : array_like of int, shape (n,)
        Class of each sample (used by the GEP).
    mixture : classdyn.theory.params.Mixture
        The mixture (class variances, centred or not).
    centroids : array_like of shape (C, d), or None
        Class means; ``None`` means ``μ_c = 0``.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    activation : str, optional
        ``tanh`` (default), ``erf``, ``relu`` or ``linear``.
    kind : str, optional
        ``"exact"`` (default) or ``"gep"``.
    seed : int or numpy.random.Generator, optional
        Draws the GEP's ``Ω`` (default 0; unused by the exact kind).
    tol : float, optional
        Mehler truncation bound (default :data:`~classdyn.simulate.features.MEHLER_TOL`).
    memory_mb : float, optional
        Work-array budget in MiB (default :data:`~classdyn.simulate.features.MEMORY_MB`).

    Returns
    -------
    FeatureSet
        ``U, V, Uc, Vc`` at ``t``; ``info`` holds the Mehler truncation (exact, non-linear).

    Raises
    ------
    ValueError
        For an unknown activation or kind, ``t ≤ 0``, malformed ``W``/``X``, or ``centroids``
        of the wrong shape.

    Examples
    --------
    The linear model is its own Gaussian equivalent, so both kinds agree:

    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import build_features, draw_system
    >>> mix = Mixture(variances=(1.0, 2.0))
    >>> W, data, _ = draw_system(mix, d=10, t=0.5, activation="linear", seed=0)
    >>> ex = build_features(W, data.X, data.labels, mix, data.centroids, 0.5, activation="linear")
    >>> ge = build_features(W, data.X, data.labels, mix, data.centroids, 0.5, activation="linear",
    ...                     kind="gep")
    >>> ex.Uc.shape, np.allclose(ex.U, ge.U), np.allclose(ex.Uc, ge.Uc), ex.info is None
    ((2, 20, 20), True, True, True)
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
    r"""The training feature covariance ``U = (1/n) Σ_ν E_ξ[φ(x_t^ν) φ(x_t^ν)ᵀ]`` alone.

    .. math::

        U = \frac1n \sum_\nu \mathbb{E}_\xi\big[\varphi(x_t^\nu)\, \varphi(x_t^\nu)^\top\big],
        \qquad \varphi(x) = \sigma(W x/\sqrt d)

    (docs/theory/model.md). Linear activation: ``U = (1/n) Σ_ν u^ν u^νᵀ + Δ K`` (module
    docstring). Otherwise ``kind="exact"``: :func:`~classdyn.simulate.features.exact_U`;
    ``kind="gep"``: :func:`~classdyn.simulate.features.U_gep`, which needs ``data`` (a
    :class:`classdyn.simulate.data.GMMSample`: labels, centroids) and ``mixture``, its ``Ω``
    drawn from ``seed``. ``centred=True`` marks the null matrix of the speciation sweep (samples
    with their centroids removed): scalar coefficients, ``m_c = 0``.

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    X : array_like, shape (n, d)
        Training samples as rows.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    activation : str, optional
        ``tanh`` (default), ``erf``, ``relu`` or ``linear``.
    kind : str, optional
        ``"exact"`` (default) or ``"gep"``.
    data : GMMSample, optional
        Labels and centroids of ``X``; required by ``kind="gep"``.
    mixture : classdyn.theory.params.Mixture, optional
        Required by ``kind="gep"``.
    centred : bool, optional
        ``True`` for the centred null matrix (GEP with ``m_c = 0``); default False.
    seed : int or numpy.random.Generator, optional
        Draws the GEP's ``Ω`` (default 0).
    tol : float, optional
        Mehler truncation bound (default :data:`~classdyn.simulate.features.MEHLER_TOL`).
    memory_mb : float, optional
        Work-array budget in MiB (default :data:`~classdyn.simulate.features.MEMORY_MB`).

    Returns
    -------
    numpy.ndarray, shape (p, p)
        ``U``.

    Raises
    ------
    ValueError
        For an unknown activation or kind, ``t ≤ 0``, malformed ``W``/``X``, or
        ``kind="gep"`` without ``data`` and ``mixture``.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import build_U, draw_system
    >>> mix = Mixture(variances=(1.0, 2.0))
    >>> W, data, fs = draw_system(mix, d=10, t=0.5, seed=0)
    >>> np.allclose(build_U(W, data.X, 0.5), fs.U)  # the same exact U as build_features
    True
    >>> build_U(W, data.X, 0.5, kind="gep", data=data, mixture=mix).shape
    (20, 20)
    >>> build_U(W, data.X, 0.5, kind="gep")
    Traceback (most recent call last):
        ...
    ValueError: kind='gep' needs data (GMMSample with labels, centroids) and mixture
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

    ``p = round(psi_p d)``, ``n = round(psi_n d)`` (at least 1 each); data first
    (:func:`~classdyn.simulate.data.sample_mixture`), then ``W`` with i.i.d. N(0, 1) entries,
    from one generator seeded with ``seed`` (which then draws the GEP's ``Ω``); the features
    come from :func:`build_features` (docs/theory/model.md).

    Parameters
    ----------
    mixture : classdyn.theory.params.Mixture
        The Gaussian mixture of the training data.
    d : int
        Input dimension (≥ 1, and ≥ the number of classes).
    psi_p : float, optional
        ``p/d``, features per dimension (default 2.0).
    psi_n : float, optional
        ``n/d``, samples per dimension (default 1.0).
    t : float, optional
        Diffusion time of the OU forward process (dimensionless, > 0; default 0.1).
    activation : str, optional
        ``tanh`` (default), ``erf``, ``relu`` or ``linear``.
    kind : str, optional
        ``"exact"`` (default) or ``"gep"``.
    seed : int or numpy.random.Generator, optional
        Seed of the one generator (default 0).

    Returns
    -------
    W : numpy.ndarray, shape (p, d)
        First-layer weights.
    data : GMMSample
        The training sample.
    features : FeatureSet
        ``U, V, Uc, Vc`` of the system.

    Raises
    ------
    ValueError
        If ``d`` is not an integer ≥ 1, and as :func:`build_features` and
        :func:`~classdyn.simulate.data.sample_mixture`.

    Examples
    --------
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import draw_system
    >>> W, data, fs = draw_system(Mixture(variances=(1.0, 2.0)), d=10, psi_p=2.0, psi_n=1.0,
    ...                           t=0.5, seed=0)
    >>> W.shape, data.X.shape, data.counts, fs.U.shape, fs.kind
    ((20, 10), (10, 10), array([5, 5]), (20, 20), 'exact')
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
