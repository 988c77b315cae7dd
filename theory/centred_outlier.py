r"""Outlier of ``U`` from the mean term of a non-odd activation with centred classes (issue 12;
docs/theory/extensive.md, *Outliers*; docs/theory/spectrum-centred.md).

Derivation
----------
Centred classes (``norms2 = 0``): every neuron sees the same coefficients ``μ0_c, a_c, v_c,
s_c`` (docs/theory/gaussian-equivalence.md). The GEP column of a sample of class ``c`` is
``g = μ0_c 1_p + f``, ``f = a_c e^{−t} W x̃/√d + v_c ω`` centred, so

    U = B + Σ_c ρ_c y_c y_cᵀ,   y_c = μ0_c 1_p + f̄_c,

``B`` the centred part (sample covariances, ``Δ`` term, ``s̄² I``) and ``f̄_c`` the class
average of ``f``. For an odd activation (tanh, erf, linear) ``μ0_c = 0`` and this is the
docs/theory/spectrum-centred.md bulk; ReLU has ``μ0_c = E[relu] > 0`` and a rank-one mean
direction ``1_p`` with ``‖μ0_c 1_p‖² = p μ0_c²``, which the centred theory drops. The law of
``B`` is invariant under rotations of feature space (``W → OW``, ``ω → Oω``), so for
``G(λ) = (B − λ)⁻¹`` above the bulk ``1ᵀ G 1/p → q(λ)``, the Stieltjes transform of the bulk;
``f̄_cᵀ G f̄_c → δ_c/ρ_c`` and the cross terms vanish (docs/theory/extensive.md, step 3). An
eigenvalue ``λ`` of ``U`` above the bulk solves ``det 𝓜(λ) = 0`` with the ``C``-square
capacitance matrix

    𝓜(λ) = diag((1 + δ_c(λ))/ρ_c) + p q(λ) μ0 μ0ᵀ

(the top-left block of the extensive outlier matrix, with one node at ``m = 0``). It is rank-one
in ``μ0``, so by the matrix determinant lemma the outlier ``λ_out`` is the root above the bulk of

    1 + p q(λ) Σ_c ρ_c μ0_c² / (1 + δ_c(λ)) = 0,

``q(λ)``, ``δ_c(λ)`` the real solution of the bulk system at ``λ`` (docs/theory/extensive.md
with one node). Far above the bulk ``q ≈ −1/λ`` and ``δ_c → 0``, so
``λ_out = p Σ_c ρ_c μ0_c² + O(1)``: of order ``p``, with the second moment ``Σ ρ_c μ0_c²`` of the
class means (not ``(Σ ρ_c μ0_c)²``; the two differ when the classes' variances differ).
"""

from __future__ import annotations

import numpy as np

from classdyn.theory.params import (Mixture, RandomFeatures, check_instance, check_positive_int,
                                    check_time)


#: ``max |μ0_c|`` below which the mean term counts as absent (odd activations give ~1e-16: the
#: coefficients are accurate to ~1e-12, docs/theory/gaussian-equivalence.md; 1e-10 is 100×).
MU0_ZERO = 1e-10


def _node(mixture, rf, t, m):
    from classdyn.theory.extensive_nodes import neuron_nodes

    check_instance(mixture, Mixture, "mixture")
    check_instance(rf, RandomFeatures, "rf")
    t = check_time(t)
    if not mixture.centred:
        raise ValueError("the centred mean outlier needs centred classes (all norms2 = 0); for "
                         "extensive centroids use classdyn.theory.extensive.outliers")
    C = mixture.n_classes
    mm = np.zeros(C) if m is None else np.asarray(m, dtype=float)
    if mm.shape not in ((), (C,)) or not np.all(np.isfinite(mm)):
        raise ValueError(f"m must be a finite scalar or have shape ({C},), got {np.shape(m)}")
    return neuron_nodes(mixture, rf, t, np.broadcast_to(mm, (C,))[None, :].copy())


def mean_coefficients(mixture: Mixture, rf: RandomFeatures, t: float, *, m=None) -> np.ndarray:
    """``μ0_c`` (C,), the mean of the feature of class ``c`` (docs/theory/gaussian-equivalence.md)
    at projected mean ``m_c`` (default 0): zero for odd activations (to the coefficients'
    accuracy, ~1e-12: :data:`MU0_ZERO`), ``> 0`` for ReLU.

    Parameters
    ----------
    mixture : Mixture
        Centred classes (all ``norms2 = 0``).
    rf : RandomFeatures
        The activation.
    t : float
        Diffusion time (> 0).
    m : array_like of shape (C,), optional
        Projected means per class (default 0).

    Returns
    -------
    numpy.ndarray
        ``μ0_c`` per class.

    Examples
    --------
    >>> from classdyn.theory import Mixture, RandomFeatures
    >>> from classdyn.theory.centred_outlier import mean_coefficients
    >>> mix = Mixture((1.0, 2.0))
    >>> bool(abs(mean_coefficients(mix, RandomFeatures(2.0, 1.0, "tanh"), 0.5)).max() < 1e-12)
    True
    >>> [round(x, 6) for x in mean_coefficients(mix, RandomFeatures(2.0, 1.0, "relu"), 0.5)]
    [0.398942, 0.466588]
    """
    return np.array(_node(mixture, rf, t, m).mu0[0], dtype=float)


def centred_mean_outlier(mixture: Mixture, rf: RandomFeatures, t: float, d: int, *, m=None,
                         tol: float = 1e-10):
    """Outlier of ``U`` from the mean term ``Σ_c ρ_c μ0_c² 1 1ᵀ`` of a non-odd activation with
    centred classes: the root above the bulk of ``1 + p q(λ) Σ_c ρ_c μ0_c²/(1 + δ_c(λ)) = 0``
    (module docstring; ``p = ψ_p d``).

    Parameters
    ----------
    mixture : Mixture
        Centred classes (all ``norms2 = 0``).
    rf : RandomFeatures
        ``ψ_p``, ``ψ_n`` and the activation; an odd one (``μ0_c = 0``) has no outlier.
    t : float
        Diffusion time (> 0).
    d : int
        Input dimension (> 0); ``p = round(ψ_p d)`` features.
    m : array_like of shape (C,), optional
        Projected means per class, as for :class:`~classdyn.theory.model.CentredModel`
        (default 0).
    tol : float, optional
        Relative tolerance of the root (default 1e-10).

    Returns
    -------
    classdyn.theory.extensive_outliers.Outliers
        ``locations`` (one, or none when ``μ0 = 0``), ``edge`` the upper bulk edge.

    Raises
    ------
    ValueError
        Extensive centroids (``norms2 > 0``: use :func:`classdyn.theory.extensive.outliers`),
        invalid ``t``, ``d`` or ``m``.

    Examples
    --------
    >>> from classdyn.theory import Mixture, RandomFeatures
    >>> from classdyn.theory.centred_outlier import centred_mean_outlier
    >>> o = centred_mean_outlier(Mixture((1.0, 2.0)), RandomFeatures(2.0, 1.0, "relu"), 0.5, 500)
    >>> round(float(o.locations[0]), 3), round(o.edge, 4)
    (189.172, 2.4961)
    """
    from classdyn.theory.extensive_outliers import outliers

    d = check_positive_int(d, "d", "input dimension")
    return outliers(_node(mixture, rf, t, m), d, tol=tol)
