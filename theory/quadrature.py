"""Gaussian integrals behind :mod:`classdyn.theory.coefficients`: lazy kernels (plain Python for
small inputs, compiled by Numba on demand through :mod:`classdyn.theory._lazyjit`), float64.

Quadrature rule
---------------
Every Gaussian integral ``E_z g(z)``, ``z ~ N(0, 1)``, is done with the *truncated trapezoidal
rule* on the real line, ``E g ≈ Σ_j h φ(z_j) g(z_j)``, ``z_j = j h``, ``|z_j| ≤ L``. For an
integrand analytic in the strip ``|Im z| < Y`` its error is ``O(exp(-2π Y / h))`` (Trefethen &
Weideman, SIAM Rev. 56, 2014, "The exponentially convergent trapezoidal rule"); together with the
growth of the Gaussian off the real axis, ``|φ(x + iY)| = φ(x) e^{Y²/2}``, the step is chosen so
that ``max_Y [Y²/(2 s²) + growth(Y) − 2πY/h] ≤ −LOG_EPS``, i.e. the aliasing error is below
``e^{−38} ≈ 3e−17`` times the integrand's size. ``L = 8.5`` truncates a Gaussian mass of 1e−17.

Why not Gauss–Hermite: for ``tanh`` the integrand ``tanh(m + Γ z)`` has poles at
``Im z = ±π/(2Γ)``; Gauss–Hermite with ``N`` nodes converges like ``exp(−π/(2Γ)·√(4N))`` (200
nodes: ~2e−9 at ``Γ = 2``, needing ~320 nodes for 1e−12, where NumPy's ``hermegauss`` overflows),
while the trapezoidal rule needs ``≈ 17/h ≈ 70 Γ`` nodes for 1e−15 because it puts all of them
where the Gaussian mass is.

Two-dimensional integrals (the smoothed activation ``f(u) = E_v σ(u + v)``, ``v ~ N(0, Δ)``, and
its variance over ``u ~ N(m, s²)``) are nested: the inner integrals over ``v`` are tabulated on a
global lattice ``u_k = u_0 + k δ`` shared by every ``m`` (the trapezoidal rule does not need its
nodes centred on ``m``), then each ``m`` costs one short weighted sum over the ~``17 s/δ`` lattice
points within ``8.5 s`` of it. This is what makes 10^6 values of ``m`` cheap.

Kinks (ReLU at 0) are handled in the inner integral by splitting at the kink and using
Gauss–Legendre on each smooth piece (polynomial times Gaussian), so the lattice functions are
smooth (entire) and the outer trapezoidal rule stays exponentially accurate.
"""

from __future__ import annotations

import functools
import math

import numpy as np
from classdyn.theory._lazyjit import lazy_njit

from classdyn.theory.params import ACTIVATION_CODES

#: activation codes understood by the kernels (the registry in :mod:`classdyn.theory.params`)
CODES = ACTIVATION_CODES

#: truncation of Gaussian integrals at |z| <= L (mass outside: 2 Φ(-8.5) ≈ 1.9e-17)
L_TRUNC = 8.5
#: target of the aliasing error, exp(-LOG_EPS) ≈ 3e-17 (relative to the integrand's size)
LOG_EPS = 38.0
#: Gauss–Legendre nodes per smooth piece of a kinked integrand (ReLU)
N_GL = 96

_SQRT2PI = math.sqrt(2.0 * math.pi)
_INV_SQRT2PI = 1.0 / _SQRT2PI
_TWO_OVER_SQRTPI = 2.0 / math.sqrt(math.pi)


# ------------------------------------------------------------------ activation and derivative
@lazy_njit
def act(code, x):
    """σ(x): 0 tanh, 1 erf, 2 relu, 3 linear."""
    if code == 0:
        return math.tanh(x)
    elif code == 1:
        return math.erf(x)
    elif code == 2:
        return x if x > 0.0 else 0.0
    return x


@lazy_njit
def dact(code, x):
    """σ'(x) (ReLU: Heaviside step, ½ at 0)."""
    if code == 0:
        th = math.tanh(x)
        return 1.0 - th * th
    elif code == 1:
        return _TWO_OVER_SQRTPI * math.exp(-x * x)
    elif code == 2:
        if x > 0.0:
            return 1.0
        elif x < 0.0:
            return 0.0
        return 0.5
    return 1.0


# ------------------------------------------------------------------ step selection
def trapezoid_step(code: int, s: float, sqrt_delta: float, log_eps: float = LOG_EPS) -> float:
    """Trapezoidal step δ (in the variable ``u``) for ``E_u g(u)``, ``u ~ N(m, s²)``.

    The integrands are ``g(u) = Σ_j w_j σ(u + √Δ y_j)^{1,2}`` (lattice functions): their
    analyticity/growth off the real axis sets δ:

    * Gaussian weight alone (and polynomial ``g``: linear): ``e^{−2π² s²/δ²} ≤ e^{−LOG_EPS}``,
      ``δ = π√2 s / √LOG_EPS ≈ 0.72 s``.
    * tanh: poles at ``Im u = ±π/2``; with ``Y0 = 0.95 π/2`` (the residue there is ~13, inside
      the budget), ``δ = 2π Y0 / (LOG_EPS + Y0²/(2 s²))`` unless the Gaussian bound is smaller.
    * erf: entire, ``|erf(iY)|² ≲ e^{2Y²}``; exponent ``Y²(1/(2s²) + 2) − 2πY/δ`` is minimal at
      ``Y = 2π/(δ(1/s² + 4))``: ``δ = π√2 / √(LOG_EPS (1/s² + 4))``.
    * relu: lattice functions contain ``Φ(u/√Δ)``, growth ``e^{Y²/Δ}`` once squared:
      ``δ = π√2 / √(LOG_EPS (1/s² + 2/Δ))``.
    """
    gauss = math.pi * math.sqrt(2.0) * s / math.sqrt(log_eps)
    if code == 0:
        y0 = 0.95 * math.pi / 2
        ystar = 2 * math.pi * s * s / gauss
        if ystar <= y0:
            return gauss
        return min(gauss, 2 * math.pi * y0 / (log_eps + y0 * y0 / (2 * s * s)))
    if code == 1:
        return math.pi * math.sqrt(2.0) / math.sqrt(log_eps * (1.0 / (s * s) + 4.0))
    if code == 2:
        d2 = max(sqrt_delta * sqrt_delta, 1e-300)
        return math.pi * math.sqrt(2.0) / math.sqrt(log_eps * (1.0 / (s * s) + 2.0 / d2))
    return gauss


def inner_rule(code: int, sqrt_delta: float) -> tuple[np.ndarray, np.ndarray]:
    """Trapezoidal nodes/weights for ``E_y g(√Δ y)``, ``y ~ N(0,1)`` (smooth activations).

    Same step rule as :func:`trapezoid_step` with ``s = √Δ`` expressed in units of ``y``.
    """
    if sqrt_delta <= 0:
        return np.zeros(1), np.ones(1)
    h = trapezoid_step(code if code != 2 else 3, sqrt_delta, sqrt_delta) / sqrt_delta
    h = min(h, math.pi * math.sqrt(2.0) / math.sqrt(LOG_EPS))
    J = int(math.floor(L_TRUNC / h))
    y = h * np.arange(-J, J + 1, dtype=float)
    w = h * np.exp(-0.5 * y * y) / _SQRT2PI
    return y, w


@functools.lru_cache(maxsize=8)
def gauss_legendre(n: int = N_GL) -> tuple[np.ndarray, np.ndarray]:
    """Gauss–Legendre nodes and weights on [-1, 1] (cached)."""
    x, w = np.polynomial.legendre.leggauss(n)
    x.setflags(write=False)
    w.setflags(write=False)
    return x, w


# ------------------------------------------------------------------ lattice (inner integrals)
@lazy_njit
def _inner_at(code, u, sqd, yn, yw, gx, gw, out):
    """Inner integrals at one ``u`` (``v = √Δ y``, ``y ~ N(0,1)``):

    out[0] = f(u)   = E_y σ(u + √Δ y)                    (smoothed activation)
    out[1] = P(u)   = E_y σ'(u + √Δ y)   = f'(u)
    out[2] = ℓ(u)   = E_y y σ(u + √Δ y)  (= √Δ f'(u), Stein)
    out[3] = R(u)   = E_y (σ(u+√Δy) − f(u) − ℓ(u) y)²     (≥ 0: Hermite orders ≥ 2 of the noise)
    """
    f = 0.0
    P = 0.0
    ell = 0.0
    if code == 2 and sqd > 0.0:
        # ReLU: split at the kink y* = -u/√Δ, Gauss–Legendre on [-L, y*] and [y*, L]
        ystar = -u / sqd
        lo = max(-8.5, min(8.5, ystar))
        # piece above the kink: σ = u + √Δ y, σ' = 1
        a0 = lo
        b0 = 8.5
        R = 0.0
        if b0 > a0:
            half = 0.5 * (b0 - a0)
            mid = 0.5 * (b0 + a0)
            for j in range(gx.shape[0]):
                y = mid + half * gx[j]
                w = half * gw[j] * math.exp(-0.5 * y * y) * 0.3989422804014327
                val = u + sqd * y
                f += w * val
                P += w
                ell += w * y * val
            for j in range(gx.shape[0]):
                y = mid + half * gx[j]
                w = half * gw[j] * math.exp(-0.5 * y * y) * 0.3989422804014327
                r = (u + sqd * y) - f - ell * y
                R += w * r * r
        # piece below the kink: σ = 0
        if lo > -8.5:
            half = 0.5 * (lo + 8.5)
            mid = 0.5 * (lo - 8.5)
            for j in range(gx.shape[0]):
                y = mid + half * gx[j]
                w = half * gw[j] * math.exp(-0.5 * y * y) * 0.3989422804014327
                r = -f - ell * y
                R += w * r * r
        out[0] = f
        out[1] = P
        out[2] = ell
        out[3] = R
        return
    for j in range(yn.shape[0]):
        x = u + sqd * yn[j]
        sv = act(code, x)
        f += yw[j] * sv
        P += yw[j] * dact(code, x)
        ell += yw[j] * yn[j] * sv
    R = 0.0
    for j in range(yn.shape[0]):
        r = act(code, u + sqd * yn[j]) - f - ell * yn[j]
        R += yw[j] * r * r
    out[0] = f
    out[1] = P
    out[2] = ell
    out[3] = R


@lazy_njit
def lattice_values(code, u0, delta, nk, sqd, yn, yw, gx, gw):
    """Inner integrals (see :func:`_inner_at`) on the lattice ``u_k = u0 + k δ``, k < nk."""
    out = np.empty((nk, 4))
    tmp = np.empty(4)
    for k in range(nk):
        _inner_at(code, u0 + k * delta, sqd, yn, yw, gx, gw, tmp)
        out[k, 0] = tmp[0]
        out[k, 1] = tmp[1]
        out[k, 2] = tmp[2]
        out[k, 3] = tmp[3]
    return out


# ------------------------------------------------------------------ outer integrals per m
@lazy_njit
def outer_coefficients(m, s, sqd, u0, delta, lat, out):
    """docs/theory/gaussian-equivalence.md coefficients for each ``m[i]`` from lattice values ``lat`` (k, 4).

    With ``u ~ N(m, s²)``, ``s² = e^{−2t} σ²``, trapezoidal weights ``ω_k = δ φ((u_k−m)/s)/s``:

    * ``μ0 = E_u f(u)``                       (= E σ(m + Γ z))
    * ``a  = E_u f'(u)``                      (= E σ'(m + Γ z))
    * ``v² = E_u (f(u) − μ0 − a (u − m))²``   (= Var_u f − a² s², Stein: Cov(f, u) = a s²)
    * ``s² = E_u R(u) + E_u (ℓ(u) − √Δ a)²``  (= E_u Var_v σ − Δ a², the noise part beyond
      the linear term: Var σ(h) − a² s² − v² − b²)

    ``out`` has shape (len(m), 4): μ0, a, v², s².
    """
    L = 8.5
    nlat = lat.shape[0]
    eps = delta / s
    c = math.exp(-eps * eps)
    kmax_len = int(2.0 * L / eps) + 4
    wbuf = np.empty(kmax_len)
    for i in range(m.shape[0]):
        mi = m[i]
        klo = int(math.ceil((mi - L * s - u0) / delta))
        khi = int(math.floor((mi + L * s - u0) / delta))
        if klo < 0:
            klo = 0
        if khi > nlat - 1:
            khi = nlat - 1
        nw = khi - klo + 1
        # Gaussian weights by the recurrence E_{j+1} = E_j q_j, q_{j+1} = q_j e^{-ε²}
        x0 = (u0 + klo * delta - mi) / s
        E = math.exp(-0.5 * x0 * x0)
        q = math.exp(-eps * x0 - 0.5 * eps * eps)
        scale = eps * 0.3989422804014327
        mu0 = 0.0
        a = 0.0
        for j in range(nw):
            if j % 8 == 0 and j > 0:  # re-anchor the recurrence (drift ≤ 8 roundings)
                xj = x0 + j * eps
                E = math.exp(-0.5 * xj * xj)
                q = math.exp(-eps * xj - 0.5 * eps * eps)
            w = scale * E
            wbuf[j] = w
            mu0 += w * lat[klo + j, 0]
            a += w * lat[klo + j, 1]
            E *= q
            q *= c
        v2 = 0.0
        s2 = 0.0
        bb = sqd * a
        for j in range(nw):
            w = wbuf[j]
            du = u0 + (klo + j) * delta - mi
            r = lat[klo + j, 0] - mu0 - a * du
            v2 += w * r * r
            r2 = lat[klo + j, 2] - bb
            s2 += w * (lat[klo + j, 3] + r2 * r2)
        out[i, 0] = mu0
        out[i, 1] = a
        out[i, 2] = v2
        out[i, 3] = s2


# ------------------------------------------------------------------ Owen's T and closed forms
#: 48-point Gauss–Legendre rule of the Owen's-T segments (public: ``gauss_legendre(48)``, same values)
_GLX, _GLW = np.polynomial.legendre.leggauss(48)


@lazy_njit
def owens_t_segment_kernel(h, a1, a2, glx, glw):
    """``(1/2π) ∫_{a1}^{a2} exp(−h²(1+x²)/2)/(1+x²) dx`` (Owen's T difference, 0 ≤ a1 ≤ a2 ≤ 1).

    ``T(h, a) = owens_t_segment(h, 0, a)``. Gauss–Legendre on sub-intervals no longer than
    ``1/(|h|+1)``, so the Gaussian factor is resolved for any ``h`` (48 nodes per piece);
    0.0 when ``h²/2 > 746`` (the value underflows float64).
    """
    if a2 <= a1:
        return 0.0
    hh = h * h
    if 0.5 * hh > 746.0:
        # the integrand is below exp(-h²/2) < 1e-324 on the whole segment: exactly 0.0 in
        # float64 (and the piece count ~|h| would not terminate for |h| ~ 1e17)
        return 0.0
    npieces = int(math.ceil((a2 - a1) * (abs(h) + 1.0)))
    if npieces < 1:
        npieces = 1
    width = (a2 - a1) / npieces
    tot = 0.0
    for p in range(npieces):
        lo = a1 + p * width
        half = 0.5 * width
        mid = lo + half
        acc = 0.0
        for j in range(glx.shape[0]):
            x = mid + half * glx[j]
            ox = 1.0 + x * x
            acc += glw[j] * math.exp(-0.5 * hh * ox) / ox
        tot += half * acc
    return tot / (2.0 * math.pi)


@lazy_njit
def owens_t_diff(h, a1, a2):
    """``T(h, a2) − T(h, a1)`` with the 48-point rule (:data:`_GLX`): helper of the generated
    closed-form kernels (``classdyn.theory._generated_coeffs``), ``0 ≤ a1 ≤ a2 ≤ 1``."""
    return owens_t_segment_kernel(h, a1, a2, _GLX, _GLW)


@lazy_njit
def normal_cdf(x):
    """``Φ(x) = erfc(−x/√2)/2`` (accurate in the lower tail, unlike ``(1 + erf(x/√2))/2``)."""
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def __getattr__(name):
    # ``owens_t_segment`` is handed out compiled to importers (simulate.features calls it from
    # its own Numba kernels), so that importing this module does not import Numba.
    if name == "owens_t_segment":
        return owens_t_segment_kernel.jit
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# ------------------------------------------------------------------ piecewise Chebyshev tables
@lazy_njit
def cheb_eval(m, lo, width, coefs, out):
    """Evaluate a piecewise Chebyshev table at each ``m[i]`` (Clenshaw), all 4 columns.

    Panel ``j = floor((m − lo)/width)`` covers ``[lo + j w, lo + (j+1) w]``; ``coefs`` has shape
    (npanel, 4, deg+1) in the basis ``T_n(2(m − centre)/w)``.
    """
    npan = coefs.shape[0]
    nc = coefs.shape[2]
    for i in range(m.shape[0]):
        j = int(math.floor((m[i] - lo) / width))
        if j < 0:
            j = 0
        if j > npan - 1:
            j = npan - 1
        x = 2.0 * (m[i] - (lo + (j + 0.5) * width)) / width
        x2 = 2.0 * x
        # four independent Clenshaw chains, interleaved for instruction-level parallelism
        p1 = 0.0
        p2 = 0.0
        q1 = 0.0
        q2 = 0.0
        r1 = 0.0
        r2 = 0.0
        t1 = 0.0
        t2 = 0.0
        for n in range(nc - 1, 0, -1):
            p0 = coefs[j, 0, n] + x2 * p1 - p2
            q0 = coefs[j, 1, n] + x2 * q1 - q2
            r0 = coefs[j, 2, n] + x2 * r1 - r2
            t0 = coefs[j, 3, n] + x2 * t1 - t2
            p2 = p1
            p1 = p0
            q2 = q1
            q1 = q0
            r2 = r1
            r1 = r0
            t2 = t1
            t1 = t0
        out[i, 0] = coefs[j, 0, 0] + x * p1 - p2
        out[i, 1] = coefs[j, 1, 0] + x * q1 - q2
        out[i, 2] = coefs[j, 2, 0] + x * r1 - r2
        out[i, 3] = coefs[j, 3, 0] + x * t1 - t2
