"""Gaussian-mixture training data (docs/theory/model.md).

``x ~ Σ_c ρ_c N(μ_c, σ_c² I_d)`` with centroids of squared norm ``‖μ_c‖² = norms2_c · d`` and
cosine similarities ``overlaps``; ``n`` samples with per-class counts fixed by the weights
(largest-remainder rounding, so ``Σ n_c = n`` and ``|n_c − ρ_c n| < 1``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classdyn.theory.params import Mixture


def as_generator(seed) -> np.random.Generator:
    """A ``numpy.random.Generator`` from a seed (int ≥ 0) or an existing Generator.

    Parameters
    ----------
    seed : int or numpy.random.Generator
        An integer seed ≥ 0 (``numpy.random.default_rng(seed)``), or a Generator, which is
        returned as is (so callers can share one stream).

    Returns
    -------
    numpy.random.Generator
        The generator.

    Raises
    ------
    ValueError
        If ``seed`` is ``None``, a bool, a float, negative or not an integer.

    Examples
    --------
    >>> from classdyn.simulate import as_generator
    >>> rng = as_generator(3)
    >>> type(rng).__name__, as_generator(rng) is rng
    ('Generator', True)
    >>> as_generator(-1)
    Traceback (most recent call last):
        ...
    ValueError: seed must be an integer >= 0 or a numpy Generator, got -1
    """
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (bool, float)) or int(seed) != seed or int(seed) < 0:
        raise ValueError(f"seed must be an integer >= 0 or a numpy Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def class_counts(weights, n: int) -> np.ndarray:
    """Per-class counts ``n_c`` with ``Σ n_c = n``, by largest remainder of ``ρ_c n``.

    Each class gets ``floor(ρ_c n)``; the samples left over go one each to the classes with the
    largest remainders (ties: lower class first), so ``|n_c − ρ_c n| < 1``.

    Parameters
    ----------
    weights : array_like of float, shape (C,)
        Class weights ``ρ_c`` (summing to 1).
    n : int
        Total number of samples, ≥ 1.

    Returns
    -------
    numpy.ndarray of int, shape (C,)
        The counts ``n_c``, summing to ``n``.

    Raises
    ------
    ValueError
        If ``n`` is not an integer ≥ 1, or if a class would get no sample (the message gives
        the smallest ``n`` that works).

    Examples
    --------
    >>> from classdyn.simulate import class_counts
    >>> counts = class_counts([0.5, 0.3, 0.2], 7)  # ρ n = 3.5, 2.1, 1.4
    >>> counts, int(counts.sum())
    (array([4, 2, 1]), 7)
    >>> class_counts([0.9, 0.1], 5)
    Traceback (most recent call last):
        ...
    ValueError: n = 5 is too small for weights [0.9, 0.1]: class(es) [1] would get no sample; need n >= 10
    """
    if int(n) != n or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    w = np.asarray(weights, dtype=float)
    raw = w * n
    counts = np.floor(raw).astype(int)
    short = int(n - counts.sum())
    if short:
        order = np.argsort(-(raw - counts), kind="stable")
        counts[order[:short]] += 1
    if np.any(counts == 0):
        raise ValueError(f"n = {n} is too small for weights {w.tolist()}: class(es) "
                         f"{np.flatnonzero(counts == 0).tolist()} would get no sample; "
                         f"need n >= {int(np.ceil(1 / w.min()))}")
    return counts


def make_centroids(mixture: Mixture, d: int, seed=0) -> np.ndarray:
    """Centroids ``μ ∈ R^{C×d}`` with ``μ_c·μ_c'/d = Gram_cc' = √(n2_c n2_c') cos_cc'``.

    ``μ = √d · L Qᵀ`` with ``Q`` a random d×C orthonormal frame and ``L Lᵀ = Gram`` (from the
    eigendecomposition, so positive semi-definite Gram matrices work). The Gram matrix is
    reproduced exactly (to rounding), for every ``d`` and seed (docs/theory/model.md).

    Parameters
    ----------
    mixture : classdyn.theory.params.Mixture
        The mixture; its ``gram`` (from ``norms2`` and ``overlaps``) fixes the centroids.
    d : int
        Input dimension, ≥ the number of classes C.
    seed : int or numpy.random.Generator, optional
        Seed of the random frame ``Q`` (default 0), see :func:`as_generator`.

    Returns
    -------
    numpy.ndarray, shape (C, d)
        The centroids ``μ_c`` as rows.

    Raises
    ------
    ValueError
        If ``d`` is not an integer ≥ C, or ``seed`` is invalid.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import make_centroids
    >>> mix = Mixture(variances=(1.0, 1.0), norms2=(1.0, 2.0), overlaps=((1, 0.5), (0.5, 1)))
    >>> mu = make_centroids(mix, d=10, seed=0)
    >>> mu.shape
    (2, 10)
    >>> np.round(mu @ mu.T / 10, 6)  # Gram: n2 = (1, 2), cos = 0.5, off-diagonal 0.5·√2
    array([[1.      , 0.707107],
           [0.707107, 2.      ]])
    """
    C = mixture.n_classes
    if int(d) != d or d < C:
        raise ValueError(f"d must be an integer >= number of classes ({C}), got {d!r}")
    rng = as_generator(seed)
    q, _ = np.linalg.qr(rng.standard_normal((d, C)))
    evals, evecs = np.linalg.eigh(mixture.gram)
    L = evecs * np.sqrt(np.clip(evals, 0.0, None))
    return np.sqrt(d) * L @ q.T


@dataclass
class GMMSample:
    """A Gaussian-mixture training sample, as drawn by :func:`sample_mixture`.

    Parameters
    ----------
    X : numpy.ndarray, shape (n, d)
        The samples as rows, grouped by class (class 0 first).
    labels : numpy.ndarray of int, shape (n,)
        Class of each row.
    centroids : numpy.ndarray, shape (C, d)
        The class means ``μ_c``.
    counts : numpy.ndarray of int, shape (C,)
        Samples per class ``n_c``.

    Attributes
    ----------
    empirical_weights : numpy.ndarray, shape (C,)
        ``ρ̂_c = n_c / n``.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import GMMSample
    >>> s = GMMSample(X=np.zeros((3, 2)), labels=np.array([0, 0, 1]),
    ...               centroids=np.zeros((2, 2)), counts=np.array([2, 1]))
    >>> np.round(s.empirical_weights, 6), s.class_rows(1).shape
    (array([0.666667, 0.333333]), (1, 2))
    """

    X: np.ndarray
    labels: np.ndarray
    centroids: np.ndarray
    counts: np.ndarray

    @property
    def empirical_weights(self) -> np.ndarray:
        """``ρ̂_c = n_c / n``."""
        return self.counts / self.counts.sum()

    def class_rows(self, c: int) -> np.ndarray:
        return self.X[self.labels == c]


def sample_mixture(mixture: Mixture, d: int, n: int, seed=0,
                   centroids: np.ndarray | None = None) -> GMMSample:
    r"""Draw ``n`` samples in dimension ``d`` (docs/theory/model.md): ``x = μ_c + σ_c z``, ``z ~ N(0, I_d)``.

    .. math::

        x \sim \sum_c \rho_c\, \mathcal{N}(\mu_c, \sigma_c^2 I_d),

    with per-class counts fixed by :func:`class_counts` (not random) and rows grouped by class.
    The centroids are drawn from the same generator first (:func:`make_centroids`), or taken
    from ``centroids``.

    Parameters
    ----------
    mixture : classdyn.theory.params.Mixture
        Variances ``σ_c²``, weights ``ρ_c``, centroid norms and overlaps.
    d : int
        Input dimension.
    n : int
        Number of samples, ≥ 1 and large enough for every class to get one.
    seed : int or numpy.random.Generator, optional
        Seed (default 0), see :func:`as_generator`.
    centroids : numpy.ndarray of shape (C, d), optional
        Given centroids; default ``None`` draws them.

    Returns
    -------
    GMMSample
        ``X`` (n×d), ``labels`` (n,), ``centroids`` (C×d), ``counts`` (C,).

    Raises
    ------
    ValueError
        If ``centroids`` has the wrong shape, ``n`` is too small for the weights, ``d`` is
        smaller than C, or ``seed`` is invalid.

    Examples
    --------
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import sample_mixture
    >>> mix = Mixture(variances=(1.0, 4.0), weights=(0.6, 0.4))
    >>> s = sample_mixture(mix, d=8, n=5, seed=0)
    >>> s.X.shape, s.labels, s.counts
    ((5, 8), array([0, 0, 0, 1, 1]), array([3, 2]))
    """
    rng = as_generator(seed)
    counts = class_counts(mixture.weights, n)
    mu = make_centroids(mixture, d, rng) if centroids is None else np.asarray(centroids, float)
    if mu.shape != (mixture.n_classes, d):
        raise ValueError(f"centroids must have shape ({mixture.n_classes}, {d}), got {mu.shape}")
    labels = np.repeat(np.arange(mixture.n_classes), counts)
    sig = np.sqrt(np.asarray(mixture.variances))[labels]
    X = mu[labels] + sig[:, None] * rng.standard_normal((n, d))
    return GMMSample(X=X, labels=labels, centroids=mu, counts=counts)
