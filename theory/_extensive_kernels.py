"""Compiled kernels of the extensive-centroid bulk equations (docs/theory/extensive.md).

Everything here works on plain arrays (Numba ``@njit(cache=True)``); the public API, input checks
and result objects live in :mod:`classdyn.theory.extensive`.

Unknowns (complex): ``x = (δ_1..δ_C, T_jl for j ≤ l)``, ``nu = C + C(C+1)/2`` entries.
Node arrays: weights ``w`` (N,), coefficients ``A = a_c(m)`` (N, C), ``V2 = v_c²(m)`` (N, C),
``S2 = s̄²(m) = Σ_c ρ_c s_c²(m_c)`` (N,). Class constants: ``rho`` (C,), ``e2s2 = e^{−2t} σ_c²``
(C,), ``Delta = Δ_t``, ``psi_p``, ``psi_n``.

Equations (docs/theory/extensive.md, re-derived in :mod:`classdyn.theory.extensive`):

    κ_c = ρ_c (e2 σ_c²/(1+δ_c) + Δ),   M = (diag(κ)⁻¹ + T)⁻¹
    R(m) = 1 / [−z + s̄²(m) + Σ_c ρ_c v_c²(m)/(1+δ_c) + a(m)ᵀ M a(m)]
    T    = ψ_p E_m[a aᵀ R]
    δ_c  = (1/ψ_n) [e2 σ_c² (T (I + diag(κ) T)⁻¹)_cc + ψ_p E_m[v_c² R]]
"""

from __future__ import annotations

import numpy as np
from numba import njit

# Status codes of the Newton solver.
OK = 0
NO_CONVERGENCE = 1
SINGULAR = 2
BRANCH = 3  # converged, but Im q, Im δ or Im T_cc < 0 for Im z > 0 (unphysical branch)


@njit(cache=True)
def pair_index(C):
    """Upper-triangle index pairs (j ≤ l) of the symmetric unknown T."""
    npair = C * (C + 1) // 2
    pj = np.empty(npair, np.int64)
    pl = np.empty(npair, np.int64)
    u = 0
    for j in range(C):
        for l in range(j, C):
            pj[u] = j
            pl[u] = l
            u += 1
    return pj, pl


@njit(cache=True)
def unpack(x, C, pj, pl):
    delta = x[:C].copy()
    T = np.empty((C, C), x.dtype)
    for u in range(pj.size):
        T[pj[u], pl[u]] = x[C + u]
        T[pl[u], pj[u]] = x[C + u]
    return delta, T


@njit(cache=True)
def residual_jacobian(z, x, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj, pl, jac):
    """Residual ``F(x) = x − Φ(x)`` of the fixed-point map above, its Jacobian and ``q = E R``.

    Returns ``(F, J, q, ok)``; ``ok`` is False when ``diag(κ)⁻¹ + T`` or ``I + κT`` is singular
    or some ``1 + δ_c`` vanishes.
    """
    C = rho.size
    npair = pj.size
    nu = C + npair
    N = w.size
    delta, T = unpack(x, C, pj, pl)
    F = np.zeros(nu, x.dtype)
    J = np.eye(nu, dtype=x.dtype)
    kappa = np.empty(C, x.dtype)
    dkappa = np.empty(C, x.dtype)
    vfac = np.empty(C, x.dtype)
    dvfac = np.empty(C, x.dtype)
    for c in range(C):
        opd = 1.0 + delta[c]
        if abs(opd) < 1e-300:
            return F, J, z * 0.0, False
        kappa[c] = rho[c] * (e2s2[c] / opd + Delta)
        dkappa[c] = -rho[c] * e2s2[c] / (opd * opd)
        vfac[c] = rho[c] / opd
        dvfac[c] = -rho[c] / (opd * opd)
        if abs(kappa[c]) < 1e-300:
            return F, J, z * 0.0, False
    Minv = T.copy()
    for c in range(C):
        Minv[c, c] += 1.0 / kappa[c]
    # singularity guard
    if abs(np.linalg.det(Minv)) < 1e-280:
        return F, J, z * 0.0, False
    M = np.linalg.inv(Minv)
    q = z * 0.0
    ET = np.zeros((C, C), x.dtype)
    EV = np.zeros(C, x.dtype)
    dET = np.zeros((C, C, nu), x.dtype)
    dEV = np.zeros((C, nu), x.dtype)
    Ma = np.empty(C, x.dtype)
    g = np.empty(nu, x.dtype)
    dk2 = np.empty(C, x.dtype)
    for c in range(C):
        dk2[c] = dkappa[c] / (kappa[c] * kappa[c])
    for k in range(N):
        den = -z + S2[k]
        for c in range(C):
            s = z * 0.0
            for e in range(C):
                s += M[c, e] * A[k, e]
            Ma[c] = s
        for c in range(C):
            den += vfac[c] * V2[k, c] + A[k, c] * Ma[c]
        R = 1.0 / den
        wR = w[k] * R
        q += wR
        for j in range(C):
            for l in range(j, C):
                ET[j, l] += A[k, j] * A[k, l] * wR
        for c in range(C):
            EV[c] += V2[k, c] * wR
        if jac:
            for c in range(C):
                g[c] = dvfac[c] * V2[k, c] + Ma[c] * Ma[c] * dk2[c]
            for u in range(npair):
                j = pj[u]
                l = pl[u]
                if j == l:
                    g[C + u] = -Ma[j] * Ma[l]
                else:
                    g[C + u] = -2.0 * Ma[j] * Ma[l]
            mR2 = -wR * R
            for u in range(nu):
                dR = mR2 * g[u]
                for j in range(C):
                    for l in range(j, C):
                        dET[j, l, u] += A[k, j] * A[k, l] * dR
                for c in range(C):
                    dEV[c, u] += V2[k, c] * dR
    for j in range(C):
        for l in range(j):
            ET[j, l] = ET[l, j]
            for u in range(nu):
                dET[j, l, u] = dET[l, j, u]
    # N = T (I + κ T)^{-1}, P = (I + κ T)^{-1}
    IkT = np.eye(C, dtype=x.dtype)
    for j in range(C):
        for l in range(C):
            IkT[j, l] += kappa[j] * T[j, l]
    if abs(np.linalg.det(IkT)) < 1e-280:
        return F, J, q, False
    P = np.linalg.inv(IkT)
    Nm = T @ P
    for c in range(C):
        F[c] = x[c] - (e2s2[c] * Nm[c, c] + psi_p * EV[c]) / psi_n
    for u in range(npair):
        F[C + u] = x[C + u] - psi_p * ET[pj[u], pl[u]]
    if jac:
        for u in range(nu):
            for c in range(C):
                if u < C:
                    dN = -Nm[c, u] * dkappa[u] * Nm[u, c]
                else:
                    j = pj[u - C]
                    l = pl[u - C]
                    if j == l:
                        dN = P[j, c] * P[j, c]
                    else:
                        dN = 2.0 * P[j, c] * P[l, c]
                J[c, u] -= (e2s2[c] * dN + psi_p * dEV[c, u]) / psi_n
            for v in range(npair):
                J[C + v, u] -= psi_p * dET[pj[v], pl[v], u]
    return F, J, q, True


from numba import types
from numba.extending import overload


def is_complex(z):  # pragma: no cover - replaced by the overload inside compiled code
    return isinstance(z, complex)


@overload(is_complex)
def _is_complex_ol(z):
    if isinstance(z, types.Complex):
        return lambda z: True
    return lambda z: False


@njit(cache=True)
def _norm(x):
    s = 0.0
    for i in range(x.size):
        s += x[i].real ** 2 + x[i].imag ** 2
    return np.sqrt(s)


@njit(cache=True)
def _branch_status(z, x, q, tol, C):
    """``OK``, or ``BRANCH`` when a converged point with ``Im z > 0`` has ``Im q`` or some
    ``Im δ_c`` below ``−10 tol (1 + ‖x‖)`` (the physical branch has both ``≥ 0``: each is a trace
    of a positive matrix times ``Im R``). Applied to every converged return of :func:`newton`
    (before issue 12 the return after the last iteration skipped it, and a point on
    ``Im q < 0`` passed as converged with zero density inside a bulk)."""
    if is_complex(z) and z.imag > 0:
        scale = tol * (1.0 + _norm(x)) * 10.0
        if q.imag < -scale:
            return BRANCH
        for c in range(C):
            if x[c].imag < -scale:
                return BRANCH
    return OK


@njit(cache=True)
def newton(z, x0, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj, pl, tol, maxit,
           maxhalf=9):
    """Damped Newton on ``F(x) = 0``. Returns ``(x, q, residual, iterations, status)``.

    Works in complex arithmetic (complex ``z``, ``x``) or, on the real axis outside the bulk,
    in real arithmetic (float ``z``, ``x``: ~4x cheaper).

    Convergence: ``‖F‖ ≤ tol (1 + ‖x‖)``. The step is halved while it does not reduce ``‖F‖``
    (at most ``maxhalf − 1`` halvings per iteration). For ``Im z > 0`` the physical branch
    has ``Im q > 0`` and ``Im δ_c ≥ 0`` (each a trace of a positive matrix times ``Im R``); a
    converged point violating either (beyond ``tol``-sized rounding) gets status ``BRANCH``.
    """
    C = rho.size
    x = x0.copy()
    F, J, q, ok = residual_jacobian(z, x, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj, pl,
                                    True)
    if not ok:
        return x, q, np.inf, 0, SINGULAR
    res = _norm(F)
    for it in range(maxit):
        if res <= tol * (1.0 + _norm(x)):
            return x, q, res, it, _branch_status(z, x, q, tol, C)
        if abs(np.linalg.det(J)) == 0.0:
            return x, q, res, it, SINGULAR
        dx = np.linalg.solve(J, -F)
        step = 1.0
        accepted = False
        for _ in range(maxhalf):
            xn = x + step * dx
            Fn, Jn, qn, okn = residual_jacobian(z, xn, rho, e2s2, Delta, psi_p, psi_n, w, A, V2,
                                                S2, pj, pl, True)
            if okn:
                rn = _norm(Fn)
                if rn < res or step < 0.01:
                    x = xn
                    F = Fn
                    J = Jn
                    q = qn
                    res = rn
                    accepted = True
                    break
            step *= 0.5
        if not accepted:
            return x, q, res, it + 1, NO_CONVERGENCE
    if res <= tol * (1.0 + _norm(x)):
        return x, q, res, maxit, _branch_status(z, x, q, tol, C)
    return x, q, res, maxit, NO_CONVERGENCE


@njit(cache=True)
def fixed_point_start(z, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj, pl, iters):
    """A starting point far from the spectrum: damped fixed-point iterations from x = 0."""
    C = rho.size
    nu = C + pj.size
    x = np.zeros(nu, np.complex128)
    for _ in range(iters):
        F, J, q, ok = residual_jacobian(z, x, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj,
                                        pl, False)
        if not ok:
            break
        x = x - 0.5 * F
    return x


@njit(cache=True)
def solve_eta_path(lam, eta_target, eta0, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj, pl,
                   tol, maxit):
    """Solve at ``z = lam + i eta_target`` by continuation in ``η`` from ``eta0`` downwards.

    Each step divides ``η`` by up to 10; a step that fails (no convergence, singular, or the
    unphysical branch ``Im q < 0``) is retried with a smaller ratio, down to 1.02.
    Returns ``(x, q, residual, total_iterations, status)``.
    """
    z = complex(lam, eta0)
    x = fixed_point_start(z, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj, pl, 30)
    x, q, res, it, st = newton(z, x, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj, pl, tol,
                               maxit)
    total = it
    if st != OK:
        return x, q, res, total, st
    eta = eta0
    fac = 0.1
    while eta > eta_target:
        eta_new = max(eta * fac, eta_target)
        z = complex(lam, eta_new)
        xn, qn, rn, it, st = newton(z, x, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj, pl,
                                    tol, maxit)
        total += it
        if st == OK:
            x = xn
            q = qn
            res = rn
            eta = eta_new
            fac = max(fac * fac, 0.1)
        else:
            fac = np.sqrt(fac)
            if fac > 0.98:
                return xn, qn, rn, total, st
    return x, q, res, total, OK


@njit(cache=True)
def density_grid(lams, eta, eta0s, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj, pl, tol,
                 maxit):
    """``q(λ + iη)`` on a grid, each point by its own η-continuation (no cross-talk between
    points, so a wrong branch at one λ cannot propagate). Returns ``(X, q, res, iters, status)``.
    """
    n = lams.size
    C = rho.size
    nu = C + pj.size
    X = np.zeros((n, nu), np.complex128)
    Q = np.zeros(n, np.complex128)
    RES = np.zeros(n)
    ITS = np.zeros(n, np.int64)
    ST = np.zeros(n, np.int64)
    for i in range(n):
        x, q, r, it, st = solve_eta_path(lams[i], eta, eta0s[i], rho, e2s2, Delta, psi_p, psi_n,
                                         w, A, V2, S2, pj, pl, tol, maxit)
        X[i] = x
        Q[i] = q
        RES[i] = r
        ITS[i] = it
        ST[i] = st
    return X, Q, RES, ITS, ST


@njit(cache=True)
def node_resolvent(z, x, rho, e2s2, Delta, A, V2, S2, pj, pl):
    """Per-node ``R(m_k; z)`` at the solution ``x`` (docs/theory/extensive.md)."""
    C = rho.size
    delta, T = unpack(x, C, pj, pl)
    Minv = T.copy()
    vfac = np.empty(C, np.complex128)
    for c in range(C):
        opd = 1.0 + delta[c]
        kap = rho[c] * (e2s2[c] / opd + Delta)
        Minv[c, c] += 1.0 / kap
        vfac[c] = rho[c] / opd
    M = np.linalg.inv(Minv)
    N = S2.size
    R = np.empty(N, np.complex128)
    for k in range(N):
        den = -z + S2[k]
        for c in range(C):
            s = 0j
            for e in range(C):
                s += M[c, e] * A[k, e]
            den += vfac[c] * V2[k, c] + A[k, c] * s
        R[k] = 1.0 / den
    return R


@njit(cache=True)
def _physical(q, x, C, scale):
    if q.imag < -scale:
        return False
    for c in range(C):
        if x[c].imag < -scale:
            return False
    return True


@njit(cache=True)
def density_grid_warm(lams, eta, eta0s, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj, pl,
                      tol, maxit):
    """Like :func:`density_grid`, but each point starts Newton from the previous grid points'
    solutions at the same ``η`` (secant predictor; much cheaper on fine grids). A point whose
    warm start fails,
    lands on ``Im q < 0`` / ``Im δ_c < 0``, or jumps (relative change of ``q`` above 0.5 while
    the step in λ is small) is redone by the full η-continuation of :func:`solve_eta_path`.
    """
    n = lams.size
    C = rho.size
    nu = C + pj.size
    X = np.zeros((n, nu), np.complex128)
    Q = np.zeros(n, np.complex128)
    RES = np.zeros(n)
    ITS = np.zeros(n, np.int64)
    ST = np.zeros(n, np.int64)
    have = 0
    xprev = np.zeros(nu, np.complex128)
    xprev2 = np.zeros(nu, np.complex128)
    qprev = 0j
    for i in range(n):
        done = False
        if have > 0:
            z = complex(lams[i], eta)
            x0 = xprev
            if have > 1 and lams[i - 1] != lams[i - 2]:
                # secant predictor from the two previous grid points
                x0 = xprev + (xprev - xprev2) * ((lams[i] - lams[i - 1]) /
                                                  (lams[i - 1] - lams[i - 2]))
            x, q, r, it, st = newton(z, x0, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj,
                                     pl, tol, 12)
            if st != OK and have > 1:
                x, q, r, it, st = newton(z, xprev, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2,
                                         pj, pl, tol, 12)
            if st == OK and abs(q - qprev) <= 0.5 * abs(qprev) + 1e-300:
                X[i] = x
                Q[i] = q
                RES[i] = r
                ITS[i] = it
                ST[i] = OK
                done = True
        if not done:
            x, q, r, it, st = solve_eta_path(lams[i], eta, eta0s[i], rho, e2s2, Delta, psi_p,
                                             psi_n, w, A, V2, S2, pj, pl, tol, maxit)
            X[i] = x
            Q[i] = q
            RES[i] = r
            ITS[i] = it
            ST[i] = st
        if ST[i] == OK:
            if have > 0 and done:
                have = 2
                xprev2 = xprev
            else:
                have = 1
            xprev = X[i].copy()
            qprev = Q[i]
        else:
            have = 0
    return X, Q, RES, ITS, ST


@njit(cache=True)
def verify_points(lams, eta, X, Q, ST, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj, pl,
                  tol):
    """Re-check every point flagged converged (``ST == OK``) against its equations: the
    residual ``‖F(x)‖`` of the system at ``z = λ + iη`` recomputed from the returned ``x`` must be
    ``≤ 10 tol (1 + ‖x‖)``, ``q`` must equal ``E_m R`` at that ``x`` to the same relative
    tolerance, and ``Im q``, ``Im δ_c`` must be ``≥ −10 tol (1 + ‖x‖)`` (physical branch).
    Returns a boolean mask, True where a point passes (points not flagged OK are False)."""
    n = lams.size
    C = rho.size
    good = np.zeros(n, np.bool_)
    for i in range(n):
        if ST[i] != OK:
            continue
        z = complex(lams[i], eta)
        x = X[i]
        F, J, q, ok = residual_jacobian(z, x, rho, e2s2, Delta, psi_p, psi_n, w, A, V2, S2, pj,
                                        pl, False)
        if not ok:
            continue
        scale = 10.0 * tol * (1.0 + _norm(x))
        if _norm(F) > scale or abs(q - Q[i]) > scale * (1.0 + abs(q)):
            continue
        if q.imag < -scale:
            continue
        bad = False
        for c in range(C):
            if x[c].imag < -scale:
                bad = True
        good[i] = not bad
    return good
