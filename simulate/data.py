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
    """A ``numpy.random.Generator`` from a seed (int ≥ 0) or an existing Generator."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is None or isinstance(seed, (bool, float)) or int(seed) != seed or int(seed) < 0:
        raise ValueError(f"seed must be an integer >= 0 or a numpy Generator, got {seed!r}")
    return np.random.default_rng(int(seed))


def class_counts(weights, n: int) -> np.ndarray:
    """Per-class counts ``n_c`` with ``Σ n_c = n``, by largest remainder of ``ρ_c n``.

    Raises ``ValueError`` if a class would get no sample.
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
    eigendecomposition, so positive semi-definite Gram matrices work).
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
    """Samples ``X`` (n×d, rows, grouped by class), ``labels`` (n,), ``centroids`` (C×d),
    ``counts`` (C,)."""

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
    """Draw ``n`` samples in dimension ``d`` (docs/theory/model.md): ``x = μ_c + σ_c z``, ``z ~ N(0, I_d)``.

    The centroids are drawn from the same generator first (or taken from ``centroids``).
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
