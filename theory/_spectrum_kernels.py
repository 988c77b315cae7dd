"""Compiled (Numba) kernels of the centred-class spectral equations (docs/theory/spectrum-centred.md).

Private module: the public API lives in :mod:`classdyn.theory.spectrum`. Everything here works on plain
float/complex arrays so that the kernels compile once for any number of classes ``C``.

Equations (docs/theory/spectrum-centred.md, paper App. F.3 eq. (114)), with ``k = ψ_p/ψ_n``:

* ``δ_c = k (α_c² r + v_c² q)``
* ``A = b̄² + Σ_c ρ_c α_c²/(1+δ_c)``,  ``B = −z + s̄² + Σ_c ρ_c v_c²/(1+δ_c)``
* ``G1 = A r + B q − 1 = 0``                       (eq. 2)
* ``G2 = r − ψ_p B q² − (1 − ψ_p) q = 0``          (eq. 3 − q·eq. 2, divided by A)
"""

from __future__ import annotations

import numpy as np
from numba import njit

#: status codes of :func:`solve_grid`
OK = 0
NOT_CONVERGED = 1
LEFT_BRANCH = 2  # continuation could not keep Im q >= 0, Im r >= 0


@njit(cache=True)
def residual_jacobian(q, r, z, psi_p, k, rho, a2, v2, bb2, ss2):
    """Residuals ``(G1, G2)`` of docs/theory/spectrum-centred.md and their Jacobian in ``(q, r)``.

    ``G1 = A r + B q − 1``, ``G2 = r − ψ_p B q² − (1 − ψ_p) q``; returns
    ``(G1, G2, ∂G1/∂q, ∂G1/∂r, ∂G2/∂q, ∂G2/∂r, res)`` with ``res`` the sum of ``|G_i|``
    relative to the sum of the moduli of their terms.
    """
    A = bb2 + 0j
    B = -z + ss2
    Aq = 0j
    Ar = 0j
    Bq = 0j
    Br = 0j
    for c in range(rho.shape[0]):
        iD = 1.0 / (1.0 + k * (a2[c] * r + v2[c] * q))
        iD2 = iD * iD
        A += rho[c] * a2[c] * iD
        B += rho[c] * v2[c] * iD
        Aq -= rho[c] * a2[c] * k * v2[c] * iD2
        Ar -= rho[c] * a2[c] * k * a2[c] * iD2
        Bq -= rho[c] * v2[c] * k * v2[c] * iD2
        Br -= rho[c] * v2[c] * k * a2[c] * iD2
    g1 = A * r + B * q - 1.0
    g2 = r - psi_p * B * q * q - (1.0 - psi_p) * q
    # residuals relative to the size of their terms (cancellations near s̄² where |q| is huge)
    n1 = abs(A * r) + abs(B * q) + 1.0
    n2 = abs(r) + psi_p * abs(B * q * q) + abs(1.0 - psi_p) * abs(q) + 1e-300
    j11 = Aq * r + Bq * q + B
    j12 = Ar * r + A + Br * q
    j21 = -psi_p * Bq * q * q - 2.0 * psi_p * B * q - (1.0 - psi_p)
    j22 = 1.0 - psi_p * Br * q * q
    return g1, g2, j11, j12, j21, j22, abs(g1) / n1 + abs(g2) / n2


@njit(cache=True)
def _newton(q, r, z, psi_p, k, rho, a2, v2, bb2, ss2, keep_upper, tol, maxit):
    """Damped Newton on ``(G1, G2) = 0`` at fixed ``z``.

    ``keep_upper``: reject steps that leave ``Im q ≥ 0, Im r ≥ 0`` (the physical half-plane for
    ``Im z > 0``) by halving them. Returns ``(q, r, converged, residual, iterations)``.
    """
    res = 0.0
    for it in range(maxit):
        g1, g2, j11, j12, j21, j22, res = residual_jacobian(q, r, z, psi_p, k, rho, a2, v2,
                                                            bb2, ss2)
        if res <= 1e-15:
            return q, r, True, res, it
        det = j11 * j22 - j12 * j21
        if det == 0:
            return q, r, False, res, it
        dq = (j22 * g1 - j12 * g2) / det
        dr = (-j21 * g1 + j11 * g2) / det
        step = 1.0
        qn = q - dq
        rn = r - dr
        if keep_upper:
            for _ in range(30):
                if qn.imag >= 0.0 and rn.imag >= 0.0:
                    break
                step *= 0.5
                qn = q - step * dq
                rn = r - step * dr
        small = abs(dq) <= tol * abs(q) and abs(dr) <= tol * (abs(r) + abs(q))
        q = qn
        r = rn
        if small and step == 1.0:
            g1, g2, j11, j12, j21, j22, res = residual_jacobian(q, r, z, psi_p, k, rho, a2,
                                                                v2, bb2, ss2)
            return q, r, res < 1e-10, res, it + 1
    return q, r, False, res, maxit


@njit(cache=True)
def solve_point(x, eta_target, psi_p, k, rho, a2, v2, bb2, ss2, scale, eta_min, tol, maxit):
    """Stieltjes transform at ``z = x + i eta_target`` by continuation in ``Im z``.

    Starts at ``η₀ = 10 (scale + |x|)`` from ``q = r = −1/z`` (the large-``|z|`` branch,
    ``q ~ −1/z``), lowers ``η`` geometrically (factor 1/4, refined when a step fails), keeping
    ``Im q, Im r ≥ 0``; for ``eta_target = 0`` it goes down to ``eta_min`` then polishes at
    ``η = 0`` exactly (real ``z``), which converges to the physical root (complex in a bulk,
    real in a gap). Returns ``(q, r, status, residual, iterations, eta_reached)``.
    """
    eta = 10.0 * (scale + abs(x))
    if eta < eta_target:
        eta = eta_target
    z = x + 1j * eta
    q = -1.0 / z
    r = -1.0 / z
    total = 0
    q, r, ok, res, it = _newton(q, r, z, psi_p, k, rho, a2, v2, bb2, ss2, True, tol, maxit)
    total += it
    if not ok:
        return q, r, NOT_CONVERGED, res, total, eta
    factor = 0.25
    have_prev = False
    qp = q
    rp = r
    etap = eta
    while eta > eta_target:
        new_eta = eta * factor
        final = False
        if new_eta <= max(eta_target, eta_min):
            new_eta = eta_target
            final = True
        if final and eta_target == 0.0:
            # last step: polish on the real axis, allowing the root to become real.
            qn, rn, ok2, res2, it = _newton(q, r, x + 0j, psi_p, k, rho, a2, v2, bb2, ss2,
                                            False, tol, maxit)
            total += it
            if ok2 and qn.imag < 0.0:
                # the conjugate root is also a solution at real z; the physical one has Im ≥ 0
                qn = np.conj(qn)
                rn = np.conj(rn)
            if ok2 and abs(qn - q) <= 0.2 * abs(q):
                return qn, rn, OK, res2, total, 0.0
            # near an edge the real-axis polish may wander: keep the eta_min solution,
            # whose error is O(eta_min) in q away from edges.
            return q, r, OK if ok else NOT_CONVERGED, res, total, eta
        z = x + 1j * new_eta
        # predictor: linear extrapolation in eta from the last two accepted points
        q0 = q
        r0 = r
        if have_prev:
            w = (new_eta - eta) / (eta - etap)
            q0 = q + w * (q - qp)
            r0 = r + w * (r - rp)
            if q0.imag < 0.0 or r0.imag < 0.0:
                q0 = q
                r0 = r
        qn, rn, ok2, res2, it = _newton(q0, r0, z, psi_p, k, rho, a2, v2, bb2, ss2, True, tol,
                                        maxit)
        total += it
        if ok2 and qn.imag >= 0.0 and rn.imag >= 0.0:
            qp = q
            rp = r
            etap = eta
            have_prev = True
            q = qn
            r = rn
            res = res2
            eta = new_eta
            if it <= 4 and factor > 0.02:
                factor *= 0.5
        else:
            factor = np.sqrt(factor)
            if factor > 0.999:
                return q, r, LEFT_BRANCH, res, total, eta
    return q, r, OK, res, total, eta


@njit(cache=True)
def solve_grid(x, eta_target, psi_p, k, rho, a2, v2, bb2, ss2, scale, eta_min, tol, maxit):
    """:func:`solve_point` over arrays ``x`` and ``eta_target`` (same shape, 1-D)."""
    n = x.shape[0]
    q = np.empty(n, dtype=np.complex128)
    r = np.empty(n, dtype=np.complex128)
    status = np.empty(n, dtype=np.int64)
    res = np.empty(n)
    its = np.empty(n, dtype=np.int64)
    eta = np.empty(n)
    for i in range(n):
        a, b, s, e, t, h = solve_point(x[i], eta_target[i], psi_p, k, rho, a2, v2, bb2, ss2,
                                       scale, eta_min, tol, maxit)
        q[i] = a
        r[i] = b
        status[i] = s
        res[i] = e
        its[i] = t
        eta[i] = h
    return q, r, status, res, its, eta
