"""Nodes of ``E_m`` for extensive centroids (docs/theory/extensive.md): the Gaussian law ``m ~ N(0, e2 Gram)`` of the
projected centroids (:func:`gaussian_nodes`: tensor Gauss–Hermite or composite Gauss–Legendre in the
whitened coordinates) or a finite set of neurons (:func:`neuron_nodes`), with the per-node
coefficients ``μ0, a, v², s̄²``; and the input checks shared by the ``extensive_*`` modules.
The derivation of the equations is in :mod:`classdyn.theory.extensive`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from classdyn.theory.params import (Mixture, RandomFeatures, check_choice, check_instance, check_int,
                                    check_time)


STATUS_NAMES = {0: "ok", 1: "no-convergence", 2: "singular", 3: "unphysical-branch"}

RULES = ("hermite", "legendre")


# --------------------------------------------------------------------------- input checks
def _check_nodes(nodes):
    if not isinstance(nodes, ExtensiveNodes):
        raise TypeError(f"nodes must be an ExtensiveNodes (from gaussian_nodes or neuron_nodes), "
                        f"got {type(nodes).__name__}")
    return nodes


# --------------------------------------------------------------------------- nodes
def whitening(mixture: Mixture) -> np.ndarray:
    """``L`` (C×r) with ``L Lᵀ = Gram`` and ``r = rank(Gram)`` (eigen-decomposition).

    Projected centroids are ``m = e^{−t} L g`` with ``g ~ N(0, I_r)`` (docs/theory/extensive.md).
    """
    gram = mixture.gram
    evals, evecs = np.linalg.eigh(gram)
    top = max(float(evals.max()), 0.0)
    keep = evals > 1e-12 * max(top, 1e-300)
    if top == 0.0:
        keep[:] = False
    return evecs[:, keep] * np.sqrt(evals[keep])


@dataclass
class ExtensiveNodes:
    """Nodes of the average ``E_m`` with the per-neuron coefficients of docs/theory/gaussian-equivalence.md at each.

    ``weights`` (N,) sum to 1; ``m`` (N, C) projected centroids; ``g`` (N, r) their whitened
    coordinates (``m = e^{−t} g Lᵀ``); ``a``, ``v2``, ``mu0`` (N, C) the class coefficients
    ``a_c(m_c)``, ``v_c²(m_c)``, ``μ0_c(m_c)``; ``s2bar`` (N,) ``Σ_c ρ_c s_c²(m_c)``.
    """

    weights: np.ndarray
    m: np.ndarray
    g: np.ndarray
    a: np.ndarray
    v2: np.ndarray
    mu0: np.ndarray
    s2bar: np.ndarray
    rho: np.ndarray
    sigma2: np.ndarray
    t: float
    psi_p: float
    psi_n: float
    L: np.ndarray
    rule: str = "hermite"

    @property
    def e2(self) -> float:
        return math.exp(-2.0 * self.t)

    @property
    def Delta(self) -> float:
        return -math.expm1(-2.0 * self.t)

    @property
    def n_classes(self) -> int:
        return self.rho.size

    @property
    def rank(self) -> int:
        return self.g.shape[1]

    def kernel_args(self):
        """The tuple of arrays the compiled kernels take after ``z``/``x``."""
        return (self.rho, self.rho * 0 + self.e2 * self.sigma2, self.Delta, self.psi_p,
                self.psi_n, self.weights, self.a, self.v2, self.s2bar)

    def scale(self) -> float:
        """A rough upper bound of the bulk's extent (sets the start of continuations)."""
        w = self.weights
        lin = float(np.sum(w[:, None] * self.a ** 2, axis=0) @ (self.rho * (self.e2 * self.sigma2
                                                                            + self.Delta)))
        return float(w @ self.s2bar + w @ (self.v2 @ self.rho)
                     + lin * (1 + math.sqrt(self.psi_p)) ** 2 * (1 + 1 / self.psi_n) * 2 + 1e-3)

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("weights", "m", "g", "a", "v2", "mu0", "s2bar",
                                               "rho", "sigma2", "t", "psi_p", "psi_n", "L",
                                               "rule")}


def _class_coefficients(activation, m, sigma2, t):
    """Per-class coefficients at per-class projected centroids ``m`` (N, C) (docs/theory/gaussian-equivalence.md),
    from :func:`classdyn.theory.coefficients.coefficients`."""
    from classdyn.theory.coefficients import coefficients

    N, C = m.shape
    out = {k: np.empty((N, C)) for k in ("mu0", "a", "v2", "s2")}
    for c in range(C):
        co = coefficients(activation, m[:, c], float(sigma2[c]), t)
        for k in out:
            out[k][:, c] = np.broadcast_to(np.asarray(getattr(co, k), dtype=float), (N,))
    for k, v in out.items():
        if not np.all(np.isfinite(v)):
            raise ValueError(f"coefficient {k} is not finite at some projected centroid "
                             f"(t = {t}); check the activation and the time")
    return out


def _build(mixture, features, t, weights, g, rule, m=None):
    L = whitening(mixture)
    if m is None:
        m = math.exp(-t) * g @ L.T if L.shape[1] else np.zeros((weights.size, mixture.n_classes))
    co = _class_coefficients(features.activation, m, np.asarray(mixture.variances), t)
    rho = np.asarray(mixture.weights, float)
    return ExtensiveNodes(weights=np.ascontiguousarray(weights, float), m=m,
                          g=np.ascontiguousarray(g, float), a=np.ascontiguousarray(co["a"]),
                          v2=np.ascontiguousarray(co["v2"]), mu0=np.ascontiguousarray(co["mu0"]),
                          s2bar=np.ascontiguousarray(co["s2"] @ rho), rho=rho,
                          sigma2=np.asarray(mixture.variances, float), t=float(t),
                          psi_p=features.psi_p, psi_n=features.psi_n, L=L, rule=rule)


def _rule_1d(order: int, rule: str):
    """1-D nodes/weights for ``E f(g)``, ``g ~ N(0, 1)``."""
    if rule == "hermite":
        x, w = np.polynomial.hermite_e.hermegauss(order)
        return x, w / w.sum()
    # composite Gauss-Legendre on [-G, G], 8 points per panel, weighted by the Gaussian density
    G = 8.5
    panels = max(1, order // 8)
    xg, wg = np.polynomial.legendre.leggauss(8)
    edges = np.linspace(-G, G, panels + 1)
    h = np.diff(edges) / 2
    mid = (edges[1:] + edges[:-1]) / 2
    x = (mid[:, None] + h[:, None] * xg[None]).ravel()
    w = (h[:, None] * wg[None]).ravel() * np.exp(-x ** 2 / 2) / math.sqrt(2 * math.pi)
    return x, w / w.sum()


def gaussian_nodes(mixture: Mixture, features: RandomFeatures, t: float, order: int = 40,
                   rule: str = "hermite") -> ExtensiveNodes:
    """Nodes for ``E_m`` over the Gaussian law ``m ~ N(0, e^{−2t} Gram)`` (docs/theory/extensive.md).

    Tensor rule in the ``r = rank(Gram)`` whitened coordinates ``g ~ N(0, I_r)``:
    ``rule="hermite"`` (``order`` Gauss–Hermite nodes per axis) or ``rule="legendre"``
    (composite 8-point Gauss–Legendre panels on ``[−8.5, 8.5]``, ``order`` points per axis rounded
    down to a multiple of 8, times the Gaussian density: equally spaced panels resolve the sharp
    peaks of ``R(m)`` near its real poles at small ``t`` better than Hermite nodes, which thin
    out in the tails). Centred mixtures (``norms2 = 0``) give one node at ``m = 0``.
    """
    check_instance(mixture, Mixture, "mixture")
    check_instance(features, RandomFeatures, "features")
    t = check_time(t)
    check_choice(rule, "rule", RULES)
    order = check_int(order, "order", 2, 400)
    L = whitening(mixture)
    r = L.shape[1]
    if r == 0:
        return _build(mixture, features, t, np.ones(1), np.zeros((1, 0)), rule)
    if order ** r > 2_000_000:
        raise ValueError(f"order = {order} in {r} dimensions gives {order ** r} nodes; "
                         f"allowed: order**rank <= 2e6")
    x, w = _rule_1d(order, rule)
    grids = np.meshgrid(*([x] * r), indexing="ij")
    wgrids = np.meshgrid(*([w] * r), indexing="ij")
    g = np.stack([gr.ravel() for gr in grids], axis=1)
    wt = np.prod(np.stack([wg.ravel() for wg in wgrids], axis=1), axis=1)
    keep = wt > 1e-300
    return _build(mixture, features, t, wt[keep] / wt[keep].sum(), g[keep], rule)


def neuron_nodes(mixture: Mixture, features: RandomFeatures, t: float,
                 m: np.ndarray) -> ExtensiveNodes:
    """Nodes for ``E_m`` over a finite set of neurons (equal weights), to compare with one matrix.

    ``m`` (p, C): the neurons' projected centroids ``m_{c,i} = e^{−t} w_i·μ_c/√d``. Their
    whitened coordinates (for the outlier ``ℓ`` block) are ``g_i = e^{t} L⁺ m_i``.
    """
    check_instance(mixture, Mixture, "mixture")
    check_instance(features, RandomFeatures, "features")
    t = check_time(t)
    m = np.asarray(m, dtype=float)
    C = mixture.n_classes
    if m.ndim != 2 or m.shape[1] != C or m.shape[0] < 1:
        raise ValueError(f"m must have shape (p, {C}), got {m.shape}")
    if not np.all(np.isfinite(m)):
        raise ValueError("m must be finite")
    L = whitening(mixture)
    g = (math.exp(t) * m @ np.linalg.pinv(L).T) if L.shape[1] else np.zeros((m.shape[0], 0))
    # coefficients at the given m (not at the re-projection e^{-t} g Lᵀ, which differs from m
    # by rounding only when m lies in the span of the centroids, as it does for real neurons)
    return _build(mixture, features, t, np.full(m.shape[0], 1.0 / m.shape[0]), g, "neurons",
                  m=m)
