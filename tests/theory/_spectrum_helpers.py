"""Shared helpers of the spectrum/edges/timescales tests.

``gep_eigenvalues`` (re-exported from :mod:`classdyn.validation.checks_spectrum`, which uses the same
builder) draws the GEP matrix of THEORY.md §5 from the coefficient arrays of a
:class:`classdyn.theory.spectrum.SpectralParams` in plain NumPy, independently of the solver under test:
``U = Σ_c (1/n) G_c G_cᵀ + b̄² K + s̄² I``, ``G_c = α_c W Z_c/√d + v_c Ω_c``.
"""

import numpy as np

from classdyn.validation.checks_spectrum import gep_eigenvalues  # noqa: F401 (re-exported)


def two_sample_ks(a, b, s2: float = 0.0) -> float:
    """Kolmogorov–Smirnov distance between two samples (values within 1e-9 of the delta
    location ``s2`` are set to ``s2``: they are the same eigenvalue up to rounding)."""
    a = np.sort(np.where(np.abs(a - s2) <= 1e-9 * (1 + s2), s2, a))
    b = np.sort(np.where(np.abs(b - s2) <= 1e-9 * (1 + s2), s2, b))
    allv = np.concatenate([a, b])
    return float(np.max(np.abs(np.searchsorted(a, allv, "right") / a.size
                               - np.searchsorted(b, allv, "right") / b.size)))
