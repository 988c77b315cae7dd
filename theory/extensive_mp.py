"""Extensive-centroid edges to ``dps`` digits for a given node set (issue 12; docs/theory/extensive.md,
*Edges*).

For a fixed node set (weights and per-node coefficients taken as exact binary numbers) an edge
is a fold of the real branch of the bulk system: a critical point of the real-axis equations,

    F(x; λ) = 0,   det ∂F/∂x (x; λ) = 0,

with ``x = (δ_1..δ_C, T_jl for j ≤ l)`` real and ``F = x − Φ(x)`` the fixed-point residual

    κ_c = ρ_c (e2 σ_c²/(1+δ_c) + Δ),   M = (diag(κ)⁻¹ + T)⁻¹,
    R_k = 1 / [−λ + s̄²_k + Σ_c ρ_c v²_kc/(1+δ_c) + a_kᵀ M a_k],
    Φ_T = ψ_p Σ_k w_k a_k a_kᵀ R_k,
    Φ_δc = (1/ψ_n) [e2 σ_c² (T (I + diag(κ) T)⁻¹)_cc + ψ_p Σ_k w_k v²_kc R_k].

:func:`mp_edge` solves this ``(nu + 1)``-square system for ``(x, λ)`` by Newton's method in
mpmath, from the float64 fold of :mod:`classdyn.theory.extensive_edges`. Everything runs at
``P = 2 dps + 20`` digits. ``∂F/∂x`` is a central difference with step ``10^{−P/3}`` (error
``~10^{−2P/3}``, below ``10^{−dps−13}``), so the residual ``det ∂F/∂x`` is exact to more than
``dps`` digits; the Jacobian of the augmented system is a central difference of that with step
``10^{−P/5}`` (error ``~10^{−7P/15}``: it only sets Newton's rate, not the root). Newton stops
when the step is below ``10^{−(dps+5)}`` relative. This is the precision of the equations for that node
set, not of the ``E_m`` average (for that see :mod:`classdyn.theory.extensive_converged`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classdyn.theory.extensive_nodes import ExtensiveNodes, _check_nodes
from classdyn.theory.params import check_int


def _F(mp, x, lam, P):
    """The residual ``F(x; λ)`` (module docstring) with the node data ``P`` in mpmath."""
    C, pairs = P["C"], P["pairs"]
    delta = x[:C]
    T = mp.matrix(C, C)
    for u, (j, l) in enumerate(pairs):
        T[j, l] = T[l, j] = x[C + u]
    kap = [P["rho"][c] * (P["e2s2"][c] / (1 + delta[c]) + P["Delta"]) for c in range(C)]
    Minv = T.copy()
    for c in range(C):
        Minv[c, c] += 1 / kap[c]
    M = Minv ** -1
    vf = [P["rho"][c] / (1 + delta[c]) for c in range(C)]
    ET = [[mp.zero] * C for _ in range(C)]
    EV = [mp.zero] * C
    for k in range(len(P["w"])):
        a = P["A"][k]
        den = -lam + P["S2"][k]
        for c in range(C):
            den += vf[c] * P["V2"][k][c]
            den += a[c] * mp.fsum(M[c, e] * a[e] for e in range(C))
        wR = P["w"][k] / den
        for j, l in pairs:
            ET[j][l] += a[j] * a[l] * wR
        for c in range(C):
            EV[c] += P["V2"][k][c] * wR
    IkT = mp.eye(C)
    for j in range(C):
        for l in range(C):
            IkT[j, l] += kap[j] * T[j, l]
    Nm = T * IkT ** -1
    out = [delta[c] - (P["e2s2"][c] * Nm[c, c] + P["psi_p"] * EV[c]) / P["psi_n"]
           for c in range(C)]
    out += [x[C + u] - P["psi_p"] * ET[j][l] for u, (j, l) in enumerate(pairs)]
    return out


def _G(mp, y, P, h):
    """The augmented system ``[F(x; λ), det ∂F/∂x]`` at ``y = (x, λ)``."""
    nu = len(y) - 1
    x, lam = list(y[:nu]), y[nu]
    J = mp.matrix(nu, nu)
    for u in range(nu):
        xp, xm = list(x), list(x)
        xp[u] += h
        xm[u] -= h
        fp, fm = _F(mp, xp, lam, P), _F(mp, xm, lam, P)
        for i in range(nu):
            J[i, u] = (fp[i] - fm[i]) / (2 * h)
    return _F(mp, x, lam, P) + [mp.det(J)]


@dataclass
class MpEdge:
    """An edge to ``dps`` digits for a given node set: ``edge`` (``mpmath.mpf``), ``x`` the real
    solution there (list of ``mpf``), ``residual`` the max-norm of the augmented system at the
    result, ``iterations``, ``dps``."""

    edge: object
    x: list
    residual: object
    iterations: int
    dps: int

    def to_dict(self) -> dict:
        return {"edge": str(self.edge), "x": [str(v) for v in self.x],
                "residual": str(self.residual), "iterations": self.iterations, "dps": self.dps}


def mp_edge(nodes: ExtensiveNodes, lam0: float, x0, *, dps: int = 30,
            maxit: int = 40) -> MpEdge:
    """Refine a fold edge of the bulk system (module docstring) to ``dps`` digits.

    Parameters
    ----------
    nodes : ExtensiveNodes
        The node set (kept small: every Newton step costs ``~2 (nu+1)(2 nu+1)`` mpmath
        evaluations of a sum over the nodes, ``nu = C + C(C+1)/2``).
    lam0 : float
        Float64 estimate of the edge (e.g. :func:`classdyn.theory.extensive.upper_edge`).
    x0 : array_like
        The real solution near it (``UpperEdge.x``).
    dps : int, optional
        Decimal digits (16 to 200, default 30).
    maxit : int, optional
        Newton iterations (default 40).

    Returns
    -------
    MpEdge

    Raises
    ------
    ValueError
        Bad ``dps``/``maxit``/``x0``; ``RuntimeError`` if Newton does not converge.

    Examples
    --------
    >>> from classdyn.theory import Mixture, RandomFeatures
    >>> from classdyn.theory import extensive as ex
    >>> from classdyn.theory.extensive_mp import mp_edge
    >>> mix = Mixture((1.0, 2.0), norms2=(1.0, 0.0))
    >>> nodes = ex.gaussian_nodes(mix, RandomFeatures(2.0, 1.0), 0.5, order=4)
    >>> ue = ex.upper_edge(nodes)
    >>> e = mp_edge(nodes, ue.edge, ue.x, dps=30)
    >>> abs(float(e.edge) - ue.edge) < 1e-9 * ue.edge
    True
    """
    import mpmath

    _check_nodes(nodes)
    dps = check_int(dps, "dps", 16, 200)
    maxit = check_int(maxit, "maxit", 1)
    C = nodes.n_classes
    nu = C + C * (C + 1) // 2
    x0 = np.real(np.asarray(x0, dtype=complex)).ravel()
    if x0.size != nu or not np.all(np.isfinite(x0)) or not np.isfinite(lam0):
        raise ValueError(f"x0 must be {nu} finite numbers and lam0 finite")
    with mpmath.workdps(2 * dps + 20):
        mp = mpmath.mp
        f = mp.mpf
        P = {"C": C, "pairs": [(j, l) for j in range(C) for l in range(j, C)],
             "rho": [f(v) for v in nodes.rho], "e2s2": [f(v) for v in nodes.e2 * nodes.sigma2],
             "Delta": f(nodes.Delta), "psi_p": f(nodes.psi_p), "psi_n": f(nodes.psi_n),
             "w": [f(v) for v in nodes.weights], "S2": [f(v) for v in nodes.s2bar],
             "A": [[f(v) for v in row] for row in nodes.a],
             "V2": [[f(v) for v in row] for row in nodes.v2]}
        prec = 2 * dps + 20
        h = mp.mpf(10) ** (-(prec // 3))      # inner differences (∂F/∂x): error ~10^(-2 prec/3)
        h_out = mp.mpf(10) ** (-(prec // 5))  # outer (Jacobian of G): ~10^(-7 prec/15)
        y = [f(v) for v in x0] + [f(lam0)]
        stop = mp.mpf(10) ** (-(dps + 5))
        for it in range(1, maxit + 1):
            g = _G(mp, y, P, h)
            Jg = mp.matrix(nu + 1, nu + 1)
            for u in range(nu + 1):
                yp, ym = list(y), list(y)
                yp[u] += h_out
                ym[u] -= h_out
                gp, gm = _G(mp, yp, P, h), _G(mp, ym, P, h)
                for i in range(nu + 1):
                    Jg[i, u] = (gp[i] - gm[i]) / (2 * h_out)
            step = mp.lu_solve(Jg, mp.matrix([-v for v in g]))
            y = [y[i] + step[i] for i in range(nu + 1)]
            scale = max(abs(v) for v in y)
            if max(abs(step[i]) for i in range(nu + 1)) <= stop * (1 + scale):
                res = max(abs(v) for v in _G(mp, y, P, h))
                with mpmath.workdps(dps):
                    return MpEdge(edge=+y[nu], x=[+v for v in y[:nu]], residual=+res,
                                  iterations=it, dps=dps)
    raise RuntimeError(f"mp_edge: Newton did not converge in {maxit} iterations at dps = {dps}")
