"""Parameters of the centred spectral equations (docs/theory/spectrum-centred.md): the first link of the chain
``spectral_params`` → ``curve`` → ``stieltjes`` → ``edges`` → ``spectrum`` (bulks).

Spectral density of the Gaussian-equivalent feature covariance ``U``, centred classes.

docs/theory/spectrum-centred.md (paper App. F.3, eqs. (63), (114)). For centred classes the GEP matrix is

.. math::

    U = \\sum_c \\frac{1}{n} G_c G_c^T + \\bar b^2 K + \\bar s^2 I_p,\\qquad
    K = W W^T/d,\\quad G_c = a_c e^{-t} W X_c/\\sqrt d + v_c \\Omega_c,

and its Stieltjes transform ``q(z) = (1/p) tr (U − z)⁻¹`` solves, with ``r = (1/p) tr K(U − z)⁻¹``
and ``α_c² = a_c² e^{−2t} σ_c²``,

* ``δ_c = (ψ_p/ψ_n)(α_c² r + v_c² q)``,
* ``A = b̄² + Σ_c ρ_c α_c²/(1+δ_c)``,  ``B = −z + s̄² + Σ_c ρ_c v_c²/(1+δ_c)``,
* ``A r + B q = 1``  and  ``r = ψ_p B q² + (1 − ψ_p) q``

(two complex unknowns for any number of classes). The density is ``ρ(λ) = Im q(λ + i0⁺)/π``;
the physical branch has ``Im q > 0`` for ``Im z > 0`` and ``q ~ −1/z`` as ``|z| → ∞``. Besides the
bulks there is a delta peak at ``s̄²`` of weight ``max(0, 1 − (ψ_n + ψ_K)/ψ_p)`` with
``ψ_K = min(1, ψ_p)`` when ``b̄² > 0`` or some ``α_c² > 0`` (rank counting: ``Σ G_c G_cᵀ/n``
has rank ``n``, ``b̄² K`` adds the ``d`` directions of ``W``), ``ψ_K = 0`` otherwise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["SpectralParams", "NonConvergenceError", "delta_weight"]


class NonConvergenceError(RuntimeError):
    """A solver did not converge at some points; ``points`` holds their ``z`` values."""

    def __init__(self, message: str, points=None):
        super().__init__(message)
        self.points = np.asarray(points if points is not None else [])


def _vec(name, value, n=None, allow_zero=True):
    arr = np.atleast_1d(np.asarray(value, dtype=float))
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of numbers, got {value!r}")
    if n is not None and arr.size != n:
        raise ValueError(f"{name} must have one entry per class ({n}), got {arr.size}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}")
    if np.any(arr < 0) or (not allow_zero and np.any(arr <= 0)):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {arr.tolist()}")
    return arr


def _scalar(name, value, positive=False):
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x) or x < 0 or (positive and x == 0):
        raise ValueError(f"{name} must be finite and {'> 0' if positive else '>= 0'}, "
                         f"got {value!r}")
    return x


@dataclass(frozen=True)
class SpectralParams:
    """Plain numbers that fix the spectrum of the centred-class GEP matrix
    (docs/theory/spectrum-centred.md).

    Usually made by :meth:`from_model` from a mixture, a random-features model and ``t``; at
    least one of ``alpha2``, ``v2`` must be non-zero somewhere (otherwise ``U`` has no random
    part).

    Parameters
    ----------
    psi_p, psi_n : float
        ``p/d > 0`` and ``n/d > 0``.
    rho : array_like, shape (C,)
        Class weights ``ρ_c > 0`` summing to 1.
    alpha2 : array_like, shape (C,)
        ``α_c² = a_c² e^{−2t} σ_c² ≥ 0``, the data-direction strength of class ``c``.
    v2 : array_like, shape (C,)
        ``v_c² ≥ 0``, the GEP noise of class ``c``.
    bbar2 : float, optional
        ``b̄² = Σ_c ρ_c b_c² ≥ 0``, the weight of ``K = W Wᵀ/d`` (default 0).
    sbar2 : float, optional
        ``s̄² = Σ_c ρ_c s_c² ≥ 0``, the identity shift and location of the delta peak
        (default 0).

    Raises
    ------
    ValueError
        A parameter out of its range, named.

    Examples
    --------
    >>> from classdyn.theory import SpectralParams
    >>> p = SpectralParams.marchenko_pastur(2.0, 1.0)  # pure-noise features
    >>> p.n_classes, p.v2.tolist(), p.sbar2
    (1, [1.0], 0.0)
    """

    psi_p: float
    psi_n: float
    rho: np.ndarray
    alpha2: np.ndarray
    v2: np.ndarray
    bbar2: float = 0.0
    sbar2: float = 0.0

    def __post_init__(self):
        psi_p = _scalar("psi_p", self.psi_p, positive=True)
        psi_n = _scalar("psi_n", self.psi_n, positive=True)
        rho = _vec("rho", self.rho, allow_zero=False)
        C = rho.size
        if abs(rho.sum() - 1.0) > 1e-9:
            raise ValueError(f"rho must sum to 1 (within 1e-9), got {rho.tolist()} "
                             f"(sum {rho.sum():.12g})")
        a2 = _vec("alpha2", self.alpha2, C)
        v2 = _vec("v2", self.v2, C)
        if not np.any(a2 > 0) and not np.any(v2 > 0):
            raise ValueError(f"alpha2 and v2 cannot all vanish (no random part in U), got "
                             f"alpha2={a2.tolist()}, v2={v2.tolist()}")
        for name, val in (("psi_p", psi_p), ("psi_n", psi_n)):
            object.__setattr__(self, name, val)
        object.__setattr__(self, "rho", rho)
        object.__setattr__(self, "alpha2", a2)
        object.__setattr__(self, "v2", v2)
        object.__setattr__(self, "bbar2", _scalar("bbar2", self.bbar2))
        object.__setattr__(self, "sbar2", _scalar("sbar2", self.sbar2))
        for arr in (rho, a2, v2):
            arr.setflags(write=False)

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_model(cls, mixture, rf, t: float, m=None) -> "SpectralParams":
        """Parameters of the GEP matrix for a centred ``mixture`` (docs/theory/gaussian-equivalence.md).

        ``α_c² = a_c² e^{−2t} σ_c²``, ``v_c²``, ``b̄² = Σ ρ_c b_c²``, ``s̄² = Σ ρ_c s_c²`` from
        :func:`classdyn.theory.coefficients.class_coefficients` (Gaussian-equivalence coefficients of
        ``rf.activation`` at diffusion time ``t``). ``rf`` is a
        :class:`classdyn.theory.params.RandomFeatures`; the population weights ``ρ_c`` of the mixture
        stand for ``ρ̂_c`` (their limit).
        """
        from classdyn.theory.params import Mixture, RandomFeatures, check_time

        if not isinstance(mixture, Mixture):
            raise TypeError(f"mixture must be a classdyn.theory.params.Mixture, got {type(mixture)}")
        if not isinstance(rf, RandomFeatures):
            raise TypeError(f"rf must be a classdyn.theory.params.RandomFeatures, got {type(rf)}")
        t = check_time(t)
        if not mixture.centred:
            raise ValueError(f"the centred-class spectrum needs norms2 = 0 for every class, got "
                             f"norms2={list(mixture.norms2)}; extensive centroids are "
                             f"docs/theory/extensive.md (classdyn.theory.model chooses for you)")
        from classdyn.theory.coefficients import class_coefficients

        co = class_coefficients(mixture, rf.activation, t, m=m)
        rho = np.asarray(mixture.weights)
        var = np.asarray(mixture.variances)
        a = np.asarray(co.a, dtype=float).reshape(-1)
        b = np.asarray(co.b, dtype=float).reshape(-1)
        v2 = np.asarray(co.v2, dtype=float).reshape(-1)
        s2 = np.asarray(co.s2, dtype=float).reshape(-1)
        alpha2 = a * a * math.exp(-2.0 * t) * var
        # tiny negative rounding of variance-like coefficients (e.g. linear activation: v² = 0)
        v2 = np.where(np.abs(v2) < 1e-14, 0.0, v2)
        s2v = float(rho @ s2)
        s2v = 0.0 if abs(s2v) < 1e-14 else s2v
        return cls(psi_p=rf.psi_p, psi_n=rf.psi_n, rho=rho, alpha2=alpha2, v2=v2,
                   bbar2=float(rho @ (b * b)), sbar2=s2v)

    @classmethod
    def marchenko_pastur(cls, psi_p: float, psi_n: float) -> "SpectralParams":
        """Pure-noise features (``α = b̄ = s̄ = 0``, ``v = 1``): ``U = Ω Ωᵀ/n``, MP of ratio
        ``ψ_p/ψ_n``."""
        return cls(psi_p=psi_p, psi_n=psi_n, rho=[1.0], alpha2=[0.0], v2=[1.0])

    # ------------------------------------------------------------------ properties
    @property
    def n_classes(self) -> int:
        return int(self.rho.size)

    @property
    def k(self) -> float:
        """``ψ_p/ψ_n`` (the factor in ``δ_c``)."""
        return self.psi_p / self.psi_n

    @property
    def scale(self) -> float:
        """An upper bound on the spectrum's extent (used for starting points and grids).

        ``s̄² + b̄² (1+√ψ_p)² + Σ_c ρ_c [α_c² (1+√ψ_p)² (1+1/√ψ_n)² + v_c² (1+√(ψ_p/ψ_n))²]``
        — the sum of the largest eigenvalues of the terms of ``U`` (Marchenko–Pastur edges of
        ``K``, of ``Z Zᵀ/n`` (d×d) and of ``Ω Ωᵀ/n`` (p×p)).
        """
        sp = (1 + math.sqrt(self.psi_p)) ** 2
        sd = (1 + 1 / math.sqrt(self.psi_n)) ** 2
        sn = (1 + math.sqrt(self.k)) ** 2
        return float(self.sbar2 + self.bbar2 * sp
                     + np.sum(self.rho * (self.alpha2 * sp * sd + self.v2 * sn)))

    def merged(self) -> "SpectralParams":
        """The same spectrum with classes of identical ``(α_c², v_c²)`` merged (weights added).

        The equations of docs/theory/spectrum-centred.md depend on the classes only through ``Σ_c ρ_c f(α_c², v_c²)``
        so merging is exact; it removes the common factors that identical classes put into the
        eliminated polynomials of :mod:`classdyn.theory.edges`.
        """
        keys, weights = [], []
        for r, a, v in zip(self.rho, self.alpha2, self.v2):
            if (a, v) in keys:
                weights[keys.index((a, v))] += r
            else:
                keys.append((a, v))
                weights.append(r)
        if len(keys) == self.n_classes:
            return self
        return SpectralParams(psi_p=self.psi_p, psi_n=self.psi_n, rho=weights,
                              alpha2=[k[0] for k in keys], v2=[k[1] for k in keys],
                              bbar2=self.bbar2, sbar2=self.sbar2)

    def to_dict(self) -> dict[str, Any]:
        return {"psi_p": self.psi_p, "psi_n": self.psi_n, "rho": self.rho.tolist(),
                "alpha2": self.alpha2.tolist(), "v2": self.v2.tolist(), "bbar2": self.bbar2,
                "sbar2": self.sbar2}

    def key(self) -> tuple:
        """Hashable key (exact floats), used by caches."""
        return (self.psi_p, self.psi_n, tuple(self.rho), tuple(self.alpha2), tuple(self.v2),
                self.bbar2, self.sbar2)


def delta_weight(params: SpectralParams) -> float:
    """Weight of the delta peak of the density at ``s̄²`` (docs/theory/spectrum-centred.md, paper App. F.3.1).

    Rank counting: ``Σ_c G_c G_cᵀ/n`` has rank ``min(n, p)``; ``b̄² K`` (or the ``α`` part of
    ``G``) spans the ``min(d, p)`` directions of ``W``; the other directions carry eigenvalue
    ``s̄²`` exactly. So the weight is ``max(0, 1 − (ψ_n + ψ_K)/ψ_p)`` with ``ψ_K = 1`` when the
    ``W`` directions are present and not already counted, i.e. when ``v > 0`` and (``b̄² > 0``
    or ``α > 0``); when ``v ≡ 0`` every ``G_c`` lives in the ``W`` directions and the rank is
    ``min(n + (b̄²>0)·d, d)``.
    """
    p = params.psi_p
    has_w = params.bbar2 > 0 or np.any(params.alpha2 > 0)
    has_v = np.any(params.v2 > 0)
    if has_v:
        rank = params.psi_n + (1.0 if has_w else 0.0)
    else:  # all randomness along W: rank <= d
        rank = 1.0 if params.bbar2 > 0 else min(params.psi_n, 1.0)
    return max(0.0, 1.0 - rank / p)
