"""Kernel of the fold continuation (:mod:`classdyn.theory.spectrum_path`): Newton's method on
``H(q, r) = 0, Φ(q, r) = 0`` for many folds at once.

Private module. Plain Python in the subset Numba compiles (:mod:`classdyn.theory._lazyjit`):
short paths run it as it is, long ones (a sweep) through its compiled twin ``fold_newton.jit``.

Equations (docs/theory/edges.md, "Edges along a path"; docs/theory/spectrum-centred.md eqs. 2–3
with ``z`` eliminated), ``D_c = 1 + k(α_c² r + v_c² q)``:

* ``A = b̄² + Σ_c ρ_c α_c²/D_c``, ``S = s̄² + Σ_c ρ_c v_c²/D_c``;
* ``H = r(1 + ψ_p q A) − q``, ``z = S − (1 − A r)/q``;
* ``Φ = z_q H_r − z_r H_q`` (``dz/dq = 0`` along ``H = 0``: a fold, i.e. an edge candidate);

with ``A_q = S_r = −k Σ ρ α² v²/D²``, ``A_r = −k Σ ρ α⁴/D²``, ``S_q = −k Σ ρ v⁴/D²``,
``A_qq = S_qr = 2k² Σ ρ α² v⁴/D³``, ``A_qr = S_rr = 2k² Σ ρ α⁴ v²/D³``,
``A_rr = 2k² Σ ρ α⁶/D³``, ``S_qq = 2k² Σ ρ v⁶/D³`` and
``Φ_x = z_qx H_r + z_q H_rx − z_rx H_q − z_r H_qx``.
"""

from __future__ import annotations

import math

import numpy as np

from classdyn.theory._lazyjit import lazy_njit


@lazy_njit
def fold_terms(q, r, psi_p, k, rho, a2, v2, bb2, ss2):
    """``(H, H_q, H_r, Φ, Φ_q, Φ_r, z)`` at one complex point ``(q, r)`` (module docstring)."""
    A = bb2 + 0j
    S = ss2 + 0j
    Aq = 0j
    Ar = 0j
    Sq = 0j
    Aqq = 0j
    Aqr = 0j
    Arr = 0j
    Sqq = 0j
    for c in range(len(rho)):
        a = a2[c]
        v = v2[c]
        iD = 1.0 / (1.0 + k * (a * r + v * q))
        t1 = rho[c] * iD
        A += t1 * a
        S += t1 * v
        t2 = k * t1 * iD  # ρ k/D²
        Aq -= t2 * (a * v)
        Ar -= t2 * (a * a)
        Sq -= t2 * (v * v)
        t3 = 2.0 * k * t2 * iD  # 2 ρ k²/D³
        Aqq += t3 * (a * v * v)
        Aqr += t3 * (a * a * v)
        Arr += t3 * (a * a * a)
        Sqq += t3 * (v * v * v)
    Sr = Aq
    Sqr = Aqq
    Srr = Aqr
    H = r * (1.0 + psi_p * q * A) - q
    Hq = psi_p * r * (A + q * Aq) - 1.0
    Hr = 1.0 + psi_p * q * (A + r * Ar)
    Hqq = psi_p * r * (2.0 * Aq + q * Aqq)
    Hqr = psi_p * (A + q * Aq + r * Ar + q * r * Aqr)
    Hrr = psi_p * q * (2.0 * Ar + r * Arr)
    w = 1.0 - A * r
    z = S - w / q
    zq = Sq + w / (q * q) + Aq * r / q
    zr = Sr + (A + Ar * r) / q
    zqq = Sqq - 2.0 * w / (q * q * q) - 2.0 * Aq * r / (q * q) + Aqq * r / q
    zqr = Sqr - (A + Ar * r) / (q * q) + (Aqr * r + Aq) / q
    zrr = Srr + (2.0 * Ar + Arr * r) / q
    phi = zq * Hr - zr * Hq
    phi_q = zqq * Hr + zq * Hqr - zqr * Hq - zr * Hqq
    phi_r = zqr * Hr + zq * Hrr - zrr * Hq - zr * Hqr
    return H, Hq, Hr, phi, phi_q, phi_r, z


@lazy_njit
def fold_newton(q0, r0, psi_p, k, rho, a2, v2, bb2, ss2, maxit, rtol):
    """Newton on ``(H, Φ) = 0`` from each ``(q0[i], r0[i])`` (complex arrays; a real start stays
    real). Steps are capped at half of ``|q|`` and ``|r|`` (plus a floor): no jump across the
    pole ``q = 0``. Returns arrays ``(q, r, z, converged, iterations)``; converged: the
    relative step fell below ``rtol`` with an uncapped step."""
    n = len(q0)
    qs = np.empty(n, np.complex128)
    rs = np.empty(n, np.complex128)
    zs = np.empty(n, np.complex128)
    conv = np.zeros(n, np.bool_)
    its = np.zeros(n, np.int64)
    for i in range(n):
        q = complex(q0[i])
        r = complex(r0[i])
        for it in range(1, maxit + 1):
            its[i] = it
            H, Hq, Hr, P, Pq, Pr, _z = fold_terms(q, r, psi_p, k, rho, a2, v2, bb2, ss2)
            det = Hq * Pr - Hr * Pq
            if det == 0:
                break
            dq = -(H * Pr - Hr * P) / det
            dr = -(Hq * P - H * Pq) / det
            if not (math.isfinite(dq.real) and math.isfinite(dq.imag)
                    and math.isfinite(dr.real) and math.isfinite(dr.imag)):
                break
            cap_q = 0.5 * abs(q) + 1e-300
            cap_r = 0.5 * abs(r) + 1e-12 * (1.0 + abs(q))
            shrink = max(abs(dq) / cap_q, abs(dr) / cap_r, 1.0)
            q = q + dq / shrink
            r = r + dr / shrink
            if shrink == 1.0 and abs(dq) <= rtol * abs(q) and abs(dr) <= rtol * (abs(r) + 1e-300):
                conv[i] = True
                break
        z = fold_terms(q, r, psi_p, k, rho, a2, v2, bb2, ss2)[6]
        qs[i] = q
        rs[i] = r
        zs[i] = z
        if not (math.isfinite(z.real) and math.isfinite(z.imag)):
            conv[i] = False
    return qs, rs, zs, conv, its
