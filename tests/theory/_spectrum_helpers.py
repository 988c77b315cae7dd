"""Shared helpers of the spectrum/edges/timescales tests: a direct GEP matrix builder.

The GEP matrix of THEORY.md §5 built from the coefficient arrays of a
:class:`theory.spectrum.SpectralParams`:
``U = Σ_c (1/n) G_c G_cᵀ + b̄² K + s̄² I``, ``K = W Wᵀ/d``,
``G_c = α_c W Z_c/√d + v_c Ω_c`` (``α_c W Z_c/√d = a_c e^{−t} W X_c/√d`` for ``X_c = σ_c Z_c``),
with ``n_c = round(ρ_c n)`` columns. Independent of the code under test (plain NumPy).
"""

import math

import numpy as np


def gep_eigenvalues(params, d: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    p = int(round(params.psi_p * d))
    n = int(round(params.psi_n * d))
    counts = np.round(np.asarray(params.rho) * n).astype(int)
    counts[-1] = n - counts[:-1].sum()
    W = rng.standard_normal((p, d))
    U = params.bbar2 * (W @ W.T) / d
    U[np.diag_indices(p)] += params.sbar2
    for c, nc in enumerate(counts):
        G = math.sqrt(params.alpha2[c]) * (W @ rng.standard_normal((d, nc))) / math.sqrt(d)
        G += math.sqrt(params.v2[c]) * rng.standard_normal((p, nc))
        U += G @ G.T / n
    return np.linalg.eigvalsh(U)


def two_sample_ks(a, b, s2: float = 0.0) -> float:
    """Kolmogorov–Smirnov distance between two samples (values within 1e-9 of the delta
    location ``s2`` are set to ``s2``: they are the same eigenvalue up to rounding)."""
    a = np.sort(np.where(np.abs(a - s2) <= 1e-9 * (1 + s2), s2, a))
    b = np.sort(np.where(np.abs(b - s2) <= 1e-9 * (1 + s2), s2, b))
    allv = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, allv, "right") / a.size
                               - np.searchsorted(b, allv, "right") / b.size)))
