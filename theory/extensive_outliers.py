"""Outliers of ``U`` above the bulk for extensive centroids (docs/theory/extensive.md): roots of
``det 𝓜(λ) = 0`` with the ``(C + C r)``-square capacitance matrix of
:mod:`classdyn.theory.extensive` (:func:`outlier_matrix`, :func:`outliers`); the number of
eigenvalues of ``U`` above ``λ`` is the number of negative eigenvalues of ``𝓜(λ)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classdyn.theory.extensive_nodes import ExtensiveNodes, _check_nodes
from classdyn.theory.params import check_int, check_positive
from classdyn.theory.extensive_edges import UpperEdge, _RealPoint, _node_R, _real_solve, upper_edge


# --------------------------------------------------------------------------- outliers
def _check_d(d):
    return check_int(d, "d", 1)


def _outlier_features(nodes):
    """Per-node vectors ``[μ0_c]_c`` and ``ℓ'_{cj} = a_c g_j`` (c-major), docs/theory/extensive.md."""
    N, C = nodes.a.shape
    r = nodes.rank
    ell = (nodes.a[:, :, None] * nodes.g[:, None, :]).reshape(N, C * r)
    return np.concatenate([nodes.mu0, ell], axis=1)


def outlier_matrix(lam: float, nodes: ExtensiveNodes, d: int, x: np.ndarray) -> np.ndarray:
    """The symmetric ``(C + C r)``-square matrix ``𝓜(λ)`` at real ``λ`` above the bulk.

    docs/theory/extensive.md (re-derived in the module docstring; whitened ``ℓ`` block):

        𝓜 = [[diag((1+δ_c)/ρ_c) + p E[μ0 μ0ᵀ R],  p E[μ0 ℓ'ᵀ R]],
             [p E[ℓ' μ0ᵀ R],                      d diag(1/κ) ⊗ I_r + p E[ℓ' ℓ'ᵀ R]]]

    with ``R = R(m; λ)``, ``κ_c = ρ_c (e2 σ_c²/(1+δ_c) + Δ)``, ``ℓ'_{cj} = a_c(m) g_j``,
    ``p = ψ_p d``; ``x`` the real bulk solution at ``λ``. The number of eigenvalues of ``U``
    above ``λ`` equals the number of negative eigenvalues of ``𝓜(λ)``.
    """
    d = _check_d(d)
    C = nodes.n_classes
    r = nodes.rank
    x = np.asarray(x, complex)
    R = _node_R(nodes, lam, x)
    delta = x[:C].real
    kappa = nodes.rho * (nodes.e2 * nodes.sigma2 / (1 + delta) + nodes.Delta)
    Fm = _outlier_features(nodes)
    p = nodes.psi_p * d
    Mat = p * (Fm * (nodes.weights * R)[:, None]).T @ Fm
    Mat[:C, :C] += np.diag((1 + delta) / nodes.rho)
    if r:
        Mat[C:, C:] += d * np.kron(np.diag(1.0 / kappa), np.eye(r))
    return 0.5 * (Mat + Mat.T)


@dataclass
class Outliers:
    """Outliers of ``U`` above the bulk (docs/theory/extensive.md), largest first.

    ``locations`` (k,), ``classes`` (k,): the class whose block (``μ0_c`` and ``ℓ'_{c·}``)
    carries most of the null vector of ``𝓜`` at that outlier (−1 if none dominates: weight
    below 0.5); ``class_weights`` (k, C); ``edge`` the upper bulk edge; ``n_at_edge`` the number
    of negative eigenvalues of ``𝓜(edge)``; ``min_eig_at_edge`` (C + C r,) the eigenvalues of
    ``𝓜(edge)`` (their zero crossings in ``t`` are the speciation times).
    """

    locations: np.ndarray
    classes: np.ndarray
    class_weights: np.ndarray
    edge: float
    n_at_edge: int
    eig_at_edge: np.ndarray
    d: int
    t: float

    def to_dict(self) -> dict:
        return {"locations": self.locations, "classes": self.classes,
                "class_weights": self.class_weights, "edge": self.edge,
                "n_at_edge": self.n_at_edge, "eig_at_edge": self.eig_at_edge, "d": self.d,
                "t": self.t}


class _RealPath:
    """Real bulk solutions above the edge, cached; new points start from the nearest one."""

    def __init__(self, nodes, edge: UpperEdge):
        self.nodes = nodes
        self.pts = [_RealPoint(edge.lam_solved, np.asarray(edge.x, complex), edge.q, 1.0)]

    def solve(self, lam):
        near = min(self.pts, key=lambda p_: abs(p_.lam - lam))
        new = _real_solve(self.nodes, lam, near.x)
        if new is None:
            # continuation from the nearest point in sub-steps
            cur = near
            n = 2
            while new is None and n <= 4096:
                ok = True
                cur = near
                for k in range(1, n + 1):
                    nxt = _real_solve(self.nodes, near.lam + (lam - near.lam) * k / n, cur.x)
                    if nxt is None:
                        ok = False
                        break
                    cur = nxt
                if ok:
                    new = cur
                n *= 4
            if new is None:
                raise RuntimeError(f"bulk equations: no real solution reached at lambda = {lam}")
        self.pts.append(new)
        return new


def _class_weights(vec, C, r):
    w = np.zeros(C)
    for c in range(C):
        w[c] = vec[c] ** 2 + np.sum(vec[C + c * r: C + (c + 1) * r] ** 2)
    return w / w.sum()


def outliers(nodes: ExtensiveNodes, d: int, *, tol: float = 1e-10,
             edge: UpperEdge | None = None) -> Outliers:
    """Locations of all outliers of ``U`` above the bulk (docs/theory/extensive.md, the matrix ``𝓜(λ)``).

    ``𝓜(λ)`` increases with ``λ``; its ``k``-th smallest eigenvalue ``μ_k(λ)`` crosses zero at
    the ``k``-th largest outlier. The count is the number of negative eigenvalues at the upper
    edge; each root is bracketed between the edge and a ``λ`` where ``𝓜`` is positive definite,
    and found by Brent's method to ``tol (1 + λ)``. Outliers are ``O(d)`` while the classes are
    resolved at fixed ``t`` (``p E[μ0 μ0ᵀ R]`` with ``R ≈ −1/λ``) and ``O(1)`` near speciation.
    """
    from scipy.optimize import brentq

    _check_nodes(nodes)
    d = _check_d(d)
    tol = check_positive(tol, "tol")
    C, r = nodes.n_classes, nodes.rank
    if edge is None:
        edge = upper_edge(nodes, tol=tol)
    lam0 = edge.lam_solved
    Me = outlier_matrix(lam0, nodes, d, edge.x)
    ev_e = np.linalg.eigvalsh(Me)
    n_out = int(np.sum(ev_e < 0))
    path = _RealPath(nodes, edge)

    def mat(lam):
        return outlier_matrix(lam, nodes, d, path.solve(lam).x)

    locs, cls, cw = [], [], []
    if n_out:
        # an upper bracket: 𝓜 positive definite
        Fm = _outlier_features(nodes)
        hi = lam0 + 2.0 * nodes.psi_p * d * float(nodes.weights @ np.sum(Fm ** 2, axis=1)) \
            * float(max(nodes.rho.max(), 1.0)) + 1.0
        for _ in range(60):
            if np.linalg.eigvalsh(mat(hi))[0] > 0:
                break
            hi *= 2.0
        else:
            raise RuntimeError("outliers: no upper bracket where the outlier matrix is positive "
                               "definite")
        for k in range(n_out):
            f = lambda lam, k=k: np.linalg.eigvalsh(mat(lam))[k]
            root = brentq(f, lam0, hi, xtol=tol * (1 + lam0), rtol=1e-15)
            w, V = np.linalg.eigh(mat(root))
            cwk = _class_weights(V[:, k], C, r)
            locs.append(root)
            cw.append(cwk)
            cls.append(int(np.argmax(cwk)) if cwk.max() >= 0.5 else -1)
    return Outliers(locations=np.array(locs), classes=np.array(cls, dtype=int),
                    class_weights=np.array(cw).reshape(-1, C), edge=edge.edge,
                    n_at_edge=n_out, eig_at_edge=ev_e, d=d, t=nodes.t)
