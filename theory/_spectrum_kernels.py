"""Kernels of the centred-class spectral equations (docs/theory/spectrum-centred.md).

Private module: the public API lives in :mod:`classdyn.theory.stieltjes`. The functions are plain
Python in the subset Numba compiles (:mod:`classdyn.theory._lazyjit`): :func:`kernels` returns them as they
are for small work (no Numba import) and compiled for large work. They take the class parameters
as sequences (``len``, indexing) so that one compilation serves any number of classes ``C``.

Equations (docs/theory/spectrum-centred.md, paper App. F.3 eq. (114)), with ``k = ψ_p/ψ_n``:

* ``δ_c = k (α_c² r + v_c² q)``
* ``A = b̄² + Σ_c ρ_c α_c²/(1+δ_c)``,  ``B = −z + s̄² + Σ_c ρ_c v_c²/(1+δ_c)``
* ``G1 = A r + B q − 1 = 0``                       (eq. 2)
* ``G2 = r − ψ_p B q² − (1 − ψ_p) q = 0``          (eq. 3 − q·eq. 2, divided by A)
"""

from __future__ import annotations

import math
import types

import numpy as np

from classdyn.theory._lazyjit import lazy_njit

#: status codes of :func:`solve_grid`
OK = 0
NOT_CONVERGED = 1
LEFT_BRANCH = 2  # continuation could not keep Im q >= 0, Im r >= 0

#: Smallest ratio between two successive ``Im z`` of the continuation (:func:`descend`): the
#: ratio starts at 1/4 and halves after each step that Newton settled in at most 4 iterations.
FACTOR_MIN = 0.02
#: Newton iterations one continuation step may take; a step that needs more is retried closer
#: (a ratio nearer 1), which costs less than iterating on from a poor predictor.
STEP_MAXIT = 12


@lazy_njit
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
    for c in range(len(rho)):
        iD = 1.0 / (1.0 + k * (a2[c] * r + v2[c] * q))
        ra = rho[c] * a2[c] * iD  # ρ_c α_c²/D_c
        rv = rho[c] * v2[c] * iD  # ρ_c v_c²/D_c
        A += ra
        B += rv
        kiD = k * iD  # ∂(1/D_c)/∂q = −k v_c²/D_c², ∂(1/D_c)/∂r = −k α_c²/D_c²
        Aq -= ra * kiD * v2[c]
        Ar -= ra * kiD * a2[c]
        Bq -= rv * kiD * v2[c]
        Br -= rv * kiD * a2[c]
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


@lazy_njit
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


@lazy_njit
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
    return descend(x, eta_target, eta, -1.0 / z, -1.0 / z, psi_p, k, rho, a2, v2, bb2, ss2,
                   eta_min, tol, maxit)


@lazy_njit
def descend(x, eta_target, eta, q, r, psi_p, k, rho, a2, v2, bb2, ss2, eta_min, tol, maxit):
    """The continuation of :func:`solve_point` from ``z = x + i eta`` with the starting guess
    ``(q, r)`` down to ``x + i eta_target``. Returns ``(q, r, status, residual, iterations,
    eta_reached)``."""
    z = x + 1j * eta
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
                qn = qn.conjugate()
                rn = rn.conjugate()
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
                                        min(maxit, STEP_MAXIT))
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
            if it <= 4 and factor > FACTOR_MIN:
                factor *= 0.5
        else:
            factor = math.sqrt(factor)
            if factor > 0.999:
                return q, r, LEFT_BRANCH, res, total, eta
    return q, r, OK, res, total, eta


@lazy_njit
def _outputs(n):
    """The output arrays ``(q, r, status, residual, iterations, eta)`` of a grid solver."""
    return (np.empty(n, dtype=np.complex128), np.empty(n, dtype=np.complex128),
            np.empty(n, dtype=np.int64), np.empty(n), np.empty(n, dtype=np.int64), np.empty(n))


@lazy_njit
def solve_grid(x, eta_target, psi_p, k, rho, a2, v2, bb2, ss2, scale, eta_min, tol, maxit):
    """:func:`solve_point` over arrays ``x`` and ``eta_target`` (same shape, 1-D)."""
    n = len(x)
    q, r, status, res, its, eta = _outputs(n)
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


#: Newton iterations a warm-started point may take before the warm start is not trusted.
WARM_MAXIT = 10
#: How many times a warm step may be halved before an edge is assumed between two points.
WARM_HALVINGS = 4


@lazy_njit
def _warm_step(xp, qp, rp, xn, q0, r0, psi_p, k, rho, a2, v2, bb2, ss2, tol):
    """Newton on the real axis at ``xn`` from ``(q0, r0)``, judged against the accepted
    neighbour ``(xp, qp)`` inside a bulk. Returns ``(trusted, q, r, residual, iterations)``.

    Trusted: Newton settled within :data:`WARM_MAXIT` iterations, both points lie in a bulk
    (``Im q > 0``: the physical root is the one of its conjugate pair in the upper half-plane)
    and the new ``q`` is within 20 % of the neighbour's. Gap points are never warm-started: a
    real root in a gap can pass arbitrarily close to a spurious real root of the same
    equations (at the "none" roots of the edge polynomial, two real roots meet), and
    closeness cannot tell them apart there.
    """
    qn, rn, ok, rs, it = _newton(q0, r0, xn + 0j, psi_p, k, rho, a2, v2, bb2, ss2, False, tol,
                                 WARM_MAXIT)
    if not ok:
        return False, qn, rn, rs, it
    if qn.imag < 0.0:  # the conjugate root; the physical one has Im q >= 0
        qn = qn.conjugate()
        rn = rn.conjugate()
    trusted = (abs(qn - qp) <= 0.2 * abs(qp) and qp.imag > 1e-12 * abs(qp)
               and qn.imag > 1e-12 * abs(qn))
    return trusted, qn, rn, rs, it


@lazy_njit
def _follow(xp, qp, rp, xi, psi_p, k, rho, a2, v2, bb2, ss2, tol):
    """Path-follow on the real axis from the accepted ``(xp, qp, rp)`` to ``xi`` with warm
    steps, halving a step that is not trusted (at most :data:`WARM_HALVINGS` times) and
    doubling it again after a trusted one. Returns ``(done, q, r, residual, iterations)``;
    ``done`` is False where an edge lies on the way or the path could not be followed."""
    cur = xp
    cq = qp
    cr = rp
    rs = 0.0
    h = xi - xp
    hmin = abs(h) / 2.0 ** WARM_HALVINGS
    total = 0
    while cur != xi:
        xn = cur + h
        if (h > 0.0 and xn > xi) or (h < 0.0 and xn < xi):
            xn = xi
        ok, qn, rn, e, it = _warm_step(cur, cq, cr, xn, cq, cr, psi_p, k, rho, a2, v2, bb2,
                                       ss2, tol)
        total += it
        if ok:
            cur = xn
            cq = qn
            cr = rn
            rs = e
            h *= 2.0
        elif abs(h) * 0.5 < hmin:
            return False, cq, cr, rs, total
        else:
            h *= 0.5
    return True, cq, cr, rs, total


@lazy_njit
def solve_real_path(x, psi_p, k, rho, a2, v2, bb2, ss2, scale, eta_min, tol, maxit):
    """``q(λ + i0⁺)`` along a real grid ``x`` sorted in decreasing order, each point warm-started
    from its neighbour (docs/theory/spectrum-centred.md, "Solving the equations").

    Inside a bulk each point after the first is solved by Newton on the real axis from its
    neighbour's solution, linearly extrapolated in ``λ`` from the last two points, and kept
    only when :func:`_warm_step` trusts it (same bulk kind, within 20 %); a step it does not
    trust is followed in halved substeps (:func:`_follow`). Every other point — the first one,
    gap points, the first point past an edge, and any point the warm start could not reach —
    is solved on its own by the full continuation of :func:`solve_point`, exactly as
    :func:`solve_grid` does. Returns the arrays of :func:`solve_grid` plus the number of
    points that needed the full continuation.
    """
    n = len(x)
    q, r, status, res, its, eta = _outputs(n)
    full = 0
    qp = 0j
    rp = 0j
    xp = 0.0
    qpp = 0j
    rpp = 0j
    xpp = 0.0
    have = 0  # accepted points behind this one (0, 1, or 2 = enough to extrapolate)
    for i in range(n):
        xi = x[i]
        st = NOT_CONVERGED
        h = 0.0
        t = 0
        if have > 0 and qp.imag > 1e-12 * abs(qp):
            q0 = qp
            r0 = rp
            if have > 1 and xp != xpp:
                w = (xi - xp) / (xp - xpp)
                q0 = qp + w * (qp - qpp)
                r0 = rp + w * (rp - rpp)
            ok, a, b, e, t = _warm_step(xp, qp, rp, xi, q0, r0, psi_p, k, rho, a2, v2, bb2,
                                        ss2, tol)
            if ok:
                st = OK
            else:
                done, a, b, e, t2 = _follow(xp, qp, rp, xi, psi_p, k, rho, a2, v2, bb2, ss2,
                                            tol)
                t += t2
                if done:
                    st = OK
        if st != OK:
            full += 1
            a, b, st, e, t4, h = solve_point(xi, 0.0, psi_p, k, rho, a2, v2, bb2, ss2, scale,
                                             eta_min, tol, maxit)
            t += t4
            have = 0
        q[i] = a
        r[i] = b
        status[i] = st
        res[i] = e
        its[i] = t
        eta[i] = h
        if st != OK:
            have = 0
            continue
        qpp = qp
        rpp = rp
        xpp = xp
        qp = a
        rp = b
        xp = xi
        have = min(have + 1, 2)
    return q, r, status, res, its, eta, full


@lazy_njit
def newton_from(x, q0, r0, psi_p, k, rho, a2, v2, bb2, ss2, tol, maxit):
    """Newton on the real axis at each ``x[i]`` from the given ``(q0[i], r0[i])``, no checks:
    the cost floor of any real-grid solver (the benchmark of the warm start measures against
    it, started from each point's neighbour's converged solution). Returns ``(q, r,
    iterations)``."""
    n = len(x)
    q = np.empty(n, dtype=np.complex128)
    r = np.empty(n, dtype=np.complex128)
    its = np.empty(n, dtype=np.int64)
    for i in range(n):
        a, b, ok, e, t = _newton(q0[i], r0[i], x[i] + 0j, psi_p, k, rho, a2, v2, bb2, ss2,
                                 False, tol, maxit)
        q[i] = a
        r[i] = b
        its[i] = t
    return q, r, its


#: Below this many (points × classes) the plain-Python kernels are used: they take about 0.05 ms
#: per warm-started point and class, where importing Numba and loading the cached machine code
#: costs a fresh process 1-2 s.
PLAIN_PYTHON_WORK = 20000


def kernels(work: int):
    """The kernel set for ``work`` = points × classes: plain Python below
    :data:`PLAIN_PYTHON_WORK`, the Numba twins above (:mod:`classdyn.theory._lazyjit`).

    Examples
    --------
    >>> from classdyn.theory import _spectrum_kernels as K
    >>> K.kernels(10).solve_point is K.solve_point
    True
    """
    if work <= PLAIN_PYTHON_WORK:
        return _PLAIN
    global _COMPILED
    if _COMPILED is None:
        _COMPILED = types.SimpleNamespace(**{n: getattr(_PLAIN, n).jit for n in _PUBLIC})
    return _COMPILED


_PUBLIC = ("residual_jacobian", "descend", "solve_point", "solve_grid", "solve_real_path",
           "newton_from")
_PLAIN = types.SimpleNamespace(**{n: globals()[n] for n in _PUBLIC})
_COMPILED = None
