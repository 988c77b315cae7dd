"""The algebraic curve of the centred spectral equations (docs/theory/edges.md): ``F(q, r)``, ``Z(q, r, z)``,
the eliminated polynomial ``P(q, z)`` and the edge polynomial ``E(z)``; float curve for the
``polynomial`` density method. Second link of the chain ``spectral_params`` → ``curve`` →
``stieltjes`` → ``edges`` → ``spectrum``.

The spectral equations of :mod:`classdyn.theory.spectrum` (unknowns ``q, r``; ``k = ψ_p/ψ_n``;
``D_c = 1 + δ_c = 1 + k (α_c² r + v_c² q)``; ``Π = Π_c D_c``) become two polynomials once the
denominators are cleared (docs/theory/edges.md, "A useful elimination"):

* the ``z``-free curve
  ``F(q, r) = ψ_p q [ b̄² r Π + r Σ_c ρ_c α_c² Π/D_c − Π ] + (r − (1 − ψ_p) q) Π = 0``
  (``A r + (r − (1−ψ_p) q)/(ψ_p q) − 1 = 0`` times ``ψ_p q Π``);
* the explicit map
  ``Z(q, r, z) = ψ_p q² Π (z − s̄²) − ψ_p q² Σ_c ρ_c v_c² Π/D_c + (r − (1 − ψ_p) q) Π = 0``
  (``z = s̄² + Σ ρ_c v_c²/D_c − (r − (1−ψ_p) q)/(ψ_p q²)`` times ``ψ_p q² Π``).

Eliminating ``r`` with the resultant ``Res_r(F, Z)`` and dividing out the factors free of ``z``
(powers of ``q``: spurious branches) gives ``P(q, z)`` (for ``C = 2``: degree 9 in ``q`` and 3 in
``z``). Edges are real ``z`` at which two roots ``q`` of ``P(·, z)`` merge: roots of the
*edge polynomial* ``E(z)``, the square-free part of the discriminant ``Disc_q P(q, z)`` (degree
38 for ``C = 2`` before, 29 after removing repeated factors). Its real roots are isolated in
:mod:`classdyn.theory.edges`. Every step is exact: the float64 inputs are converted to their
exact binary fractions, so the digits reported are those of the given parameters.

Route (SymPy only wraps the results; ``curve_polynomials`` stays for inspection): ``F``, ``Z`` are
built directly as FLINT rational polynomials (:func:`_curve_mpolys`), the resultant in ``r`` on
FLINT (:func:`_flint_eliminate`); the discriminant from its values at the integer points
``z = 0, 1, 2, …`` (one more than the Sylvester-assignment degree bound,
:func:`_disc_degree_bound`), each computed modulo word-size primes and recovered by the Chinese
remainder theorem under a proven bound, after dividing out a proven power of two
(:func:`_two_adic_scaling`, :func:`_disc_values_multimodular`), and exact integer
interpolation by forward differences
(:func:`_interpolate_int`); the square-free part by a gcd of the reversed polynomials
(:func:`_squarefree_part`). Edge polynomials are cached in memory and on disk by their exact
inputs (:func:`_cache_file`), so a new process does not eliminate again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import threading
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from classdyn.theory.spectral_params import SpectralParams

__all__ = ["curve_polynomials", "eliminated_polynomial", "edge_polynomial", "numeric_curve",
           "NumericCurve", "MAX_CLASSES"]

#: Largest number of distinct classes handled by the exact elimination. All edges at 30 digits,
#: measured on 2 cores shared with other jobs (load average ~5, benchmarks/bench_edges.py):
#: C = 4 3.7-7.4 s (edge polynomial of degree 104), C = 5 37-44 s (degree 167); the cost
#: grows roughly tenfold per class.
MAX_CLASSES = 5

log = logging.getLogger(__name__)


def _check_params(params):
    """Validate and return the params with identical classes merged (exact; see
    :meth:`classdyn.theory.spectrum.SpectralParams.merged`)."""
    if not isinstance(params, SpectralParams):
        raise TypeError(f"params must be a classdyn.theory.spectrum.SpectralParams, got {type(params)}")
    params = params.merged()
    if params.n_classes > MAX_CLASSES:
        raise ValueError(f"edge polynomials are implemented for 1..{MAX_CLASSES} distinct "
                         f"classes (C = 5 takes tens of seconds, each further class ~10x more), "
                         f"got C = {params.n_classes}; merge classes of equal parameters, or use "
                         f"the numeric density (classdyn.theory.model(...).density)")
    return params


# ------------------------------------------------------------------ symbolic curve
@lru_cache(maxsize=None)
def curve_polynomials(n_classes: int):
    """Symbolic ``F(q, r)`` and ``Z(q, r, z)`` (module docstring) with symbolic parameters.

    Returns ``(F, Z, symbols)``, ``symbols`` a dict with keys ``q, r, z, psi_p, psi_n, bbar2,
    sbar2, rho, alpha2, v2`` (the last three tuples of length ``n_classes``). Print them to see
    the equations: ``F`` is docs/theory/edges.md's ``F(q, r) = 0`` cleared of denominators, ``Z`` its
    explicit ``z``.
    """
    import sympy as sp

    if not isinstance(n_classes, int) or n_classes < 1:
        raise ValueError(f"n_classes must be an integer >= 1, got {n_classes!r}")
    C = n_classes
    q, r, z = sp.symbols("q r z")
    pp, pn, bb, ss = sp.symbols("psi_p psi_n bbar2 sbar2", positive=True)
    rho = sp.symbols(f"rho1:{C + 1}", positive=True)
    a2 = sp.symbols(f"alpha2_1:{C + 1}", nonnegative=True)
    v2 = sp.symbols(f"v2_1:{C + 1}", nonnegative=True)
    D = [1 + pp / pn * (a2[c] * r + v2[c] * q) for c in range(C)]

    def others(c):
        return sp.Mul(*[D[j] for j in range(C) if j != c])

    Pi = sp.Mul(*D)
    F = pp * q * (bb * r * Pi + r * sum(rho[c] * a2[c] * others(c) for c in range(C)) - Pi) \
        + (r - (1 - pp) * q) * Pi
    Z = pp * q ** 2 * Pi * (z - ss) - pp * q ** 2 * sum(rho[c] * v2[c] * others(c)
                                                        for c in range(C)) \
        + (r - (1 - pp) * q) * Pi
    syms = {"q": q, "r": r, "z": z, "psi_p": pp, "psi_n": pn, "bbar2": bb, "sbar2": ss,
            "rho": rho, "alpha2": a2, "v2": v2}
    return sp.expand(F), sp.expand(Z), syms


def _subs_dict(params):
    """``{symbol: exact rational}`` for :func:`curve_polynomials` (each float64 input as its
    exact binary fraction): the symbolic route, kept for inspection and as the reference of
    the direct construction :func:`_curve_mpolys` in the tests."""
    import sympy as sp

    _, _, s = curve_polynomials(params.n_classes)
    R = lambda x: sp.Rational(float(x))  # exact binary fraction of the float64  # noqa: E731
    sub = {s["psi_p"]: R(params.psi_p), s["psi_n"]: R(params.psi_n),
           s["bbar2"]: R(params.bbar2), s["sbar2"]: R(params.sbar2)}
    for c in range(params.n_classes):
        sub[s["rho"][c]] = R(params.rho[c])
        sub[s["alpha2"][c]] = R(params.alpha2[c])
        sub[s["v2"][c]] = R(params.v2[c])
    return sub


def _curve_mpolys(params):
    """``F(q, r)`` and ``Z(q, r, z)`` of the module docstring with the parameters' exact values
    (each float64 as its binary fraction), as ``flint.fmpq_mpoly`` in ``(r, q, z)``:

    ``D_c = 1 + (ψ_p/ψ_n)(α_c² r + v_c² q)``, ``Π = Π_c D_c``, ``Π_c = Π/D_c``,
    ``F = ψ_p q [ b̄² r Π + r Σ_c ρ_c α_c² Π_c − Π ] + (r − (1 − ψ_p) q) Π``,
    ``Z = ψ_p q² Π (z − s̄²) − ψ_p q² Σ_c ρ_c v_c² Π_c + (r − (1 − ψ_p) q) Π``.

    The same polynomials as :func:`curve_polynomials` substituted (:func:`_subs_dict`),
    built directly in FLINT's exact rational arithmetic: expanding the symbolic product of
    ``C`` factors in SymPy cost 2 s (C = 4) to 16 s (C = 5) per process, this milliseconds.
    """
    import flint

    ctx = flint.fmpq_mpoly_ctx.get(("r", "q", "z"), ordering="lex")
    r, q, z = ctx.gens()

    def X(x):  # exact binary fraction of the float64
        n, d = float(x).as_integer_ratio()
        return flint.fmpq(n, d)

    pp, pn, bb, ss = X(params.psi_p), X(params.psi_n), X(params.bbar2), X(params.sbar2)
    k = pp / pn
    D = [1 + k * (X(a) * r + X(v) * q) for a, v in zip(params.alpha2, params.v2)]
    C = len(D)
    others = []
    for c in range(C):
        prod = ctx.from_dict({(0, 0, 0): 1})
        for j in range(C):
            if j != c:
                prod = prod * D[j]
        others.append(prod)
    Pi = others[0] * D[0]
    sum_a = sum((X(params.rho[c]) * X(params.alpha2[c]) * others[c] for c in range(C)),
                ctx.from_dict({}))
    sum_v = sum((X(params.rho[c]) * X(params.v2[c]) * others[c] for c in range(C)),
                ctx.from_dict({}))
    tail = (r - (1 - pp) * q) * Pi
    F = pp * q * (bb * r * Pi + r * sum_a - Pi) + tail
    Z = pp * q ** 2 * Pi * (z - ss) - pp * q ** 2 * sum_v + tail
    return F, Z


def _integer_mpoly(P):
    """A ``flint.fmpq_mpoly`` times the lcm of its coefficients' denominators, as an
    ``fmpz_mpoly`` in the same variables (the same polynomial up to a positive constant)."""
    import flint

    terms = P.to_dict()
    den = 1
    for v in terms.values():
        d = int(v.q)
        den = den * d // math.gcd(den, d)
    ctx = flint.fmpz_mpoly_ctx.get(("r", "q", "z"), ordering="lex")
    return ctx.from_dict({m: int(v.p) * (den // int(v.q)) for m, v in terms.items()})


def _flint_eliminate(Fi, Zi):
    """``Res_r(F, Z)`` of two integer polynomials in ``(r, q, z)`` (``sympy.Poly`` or
    ``flint.fmpz_mpoly``) on FLINT, with its factors free of ``z`` divided out: the gcd
    ``g(q)`` of its coefficients of ``z^k`` (powers of ``q``: spurious branches). Returns
    ``({(j, k): c}`` of ``P(q, z)``, ``{(j,): c}`` of ``g`` or ``None``)."""
    import flint

    ctx = flint.fmpz_mpoly_ctx.get(("r", "q", "z"), ordering="lex")

    def conv(P):
        if isinstance(P, flint.fmpz_mpoly):
            return P
        return ctx.from_dict({m: int(c) for m, c in P.terms()})

    res = conv(Fi).resultant(conv(Zi), "r")
    terms = res.to_dict()
    if not terms:
        return {}, None
    by_z = {}
    for (_, j, k), c in terms.items():
        by_z.setdefault(k, {})[(0, j, 0)] = c
    g = None
    for part in by_z.values():
        poly = ctx.from_dict(part)
        g = poly if g is None else g.gcd(poly)
    if g is not None and g.total_degree() > 0:
        res = res / g  # exact: g divides every coefficient (FLINT raises otherwise)
        gd = {(j,): int(c) for (_, j, _), c in g.to_dict().items()}
    else:
        gd = None
    return {(j, k): int(c) for (_, j, k), c in res.to_dict().items()}, gd


def _params_of_key(key):
    return SpectralParams(psi_p=key[0], psi_n=key[1], rho=key[2], alpha2=key[3], v2=key[4],
                          bbar2=key[5], sbar2=key[6])


def _eliminated_int(key):
    """``c[j][k]``, the integer coefficient of ``q^j z^k`` of ``P(q, z)`` (primitive, positive
    leading coefficient), and the ``z``-free factor ``g(q)`` (``{(j,): c}`` or ``None``), from
    :func:`_curve_mpolys` and :func:`_flint_eliminate`, without SymPy."""
    F, Z = _curve_mpolys(_params_of_key(key))
    # integer coefficients: the resultant over ZZ is several times faster than over QQ
    Pd, gd = _flint_eliminate(_integer_mpoly(F), _integer_mpoly(Z))
    if not Pd:
        raise ValueError("the resultant vanished: degenerate parameters (e.g. alpha2 = v2 = 0)")
    nq = max(j for j, _ in Pd)
    nz = max(k for _, k in Pd)
    c = [[0] * (nz + 1) for _ in range(nq + 1)]
    for (j, k), v in Pd.items():
        c[j][k] = v
    g = 0
    for v in Pd.values():
        g = math.gcd(g, v)
    lead = next(v for v in reversed(c[nq]) if v)  # sympy's LC: highest q, then highest z
    if lead < 0:
        g = -g
    return [[v // g for v in row] for row in c], gd, F, Z


@lru_cache(maxsize=64)
def _eliminated_cached(key, n_classes):
    """``(P, stripped, F, Z)``: ``P(q, z)`` as an integer :class:`sympy.Poly` (primitive, positive
    leading coefficient), the monic ``z``-free factor divided out (``sympy.Poly`` in ``q`` or
    ``None``), and ``F``, ``Z`` as ``flint.fmpq_mpoly`` in ``(r, q, z)``."""
    import sympy as sp

    c, gd, F, Z = _eliminated_int(key)
    q, z = sp.symbols("q z")
    P = sp.Poly.from_dict({(j, k): v for j, row in enumerate(c) for k, v in enumerate(row) if v},
                          q, z, domain="ZZ")
    g = None if gd is None else sp.Poly.from_dict(gd, q, domain="ZZ")
    stripped = None if g is None else g.to_field().monic()
    return P, stripped, F, Z


def eliminated_polynomial(params):
    """``P(q, z)`` (docs/theory/edges.md): ``Res_r(F, Z)`` with the ``z``-free factors removed.

    A :class:`sympy.Poly` in ``(q, z)`` with integer coefficients (exact for the float64 inputs).
    Its roots ``q`` at a given ``z`` contain the Stieltjes transform ``q(z)``.
    """
    params = _check_params(params)
    return _eliminated_cached(params.key(), params.n_classes)[0]


def _int_coeffs_qz(P):
    """``c[j][k]``: integer coefficient of ``q^j z^k`` of ``P``."""
    nq, nz = P.degree(0), P.degree(1)
    c = [[0] * (nz + 1) for _ in range(nq + 1)]
    for (j, k), v in P.terms():
        c[j][k] = int(v)
    return c


def _two_adic_scaling(c) -> tuple[int, int, int]:
    """``(s, m, e)``: a power of two that provably divides ``Disc_q P`` for every ``z``.

    With ``v_j`` the least 2-adic valuation of the coefficients of ``a_j(z)`` (``P = Σ_j a_j
    q^j``, ``c[j][k]`` the coefficient of ``q^j z^k``) and ``m = min_j (v_j + s j)``,
    ``P̃(q, z) = 2^{−m} P(2^s q, z)`` has integer coefficients, and the scaling rule
    ``Disc(λ f(μ x)) = λ^{2n−2} μ^{n(n−1)} Disc f`` gives
    ``Disc_q P = 2^e Disc_q P̃`` with ``e = m (2n − 2) − s n(n − 1)``, ``Disc_q P̃ ∈ Z[z]``.
    ``s`` maximises ``e`` (a concave function of ``s``: binary search); ``e ≥ 0`` (``s = 0``
    gives ``m ≥ 0``). The float inputs are binary fractions, so these powers of two are
    large: ``e`` is 40 % of the bits of ``Disc_q P`` for C = 4 (21 000 of 55 000).
    """
    n = len(c) - 1
    v = [(j, min((x & -x).bit_length() - 1 for x in row if x)) for j, row in enumerate(c)
         if any(row)]

    def e_of(s):
        m = min(vj + s * j for j, vj in v)
        return m * (2 * n - 2) - s * n * (n - 1), m

    lim = max(abs(x).bit_length() for row in c for x in row) + 2
    lo, hi = -lim, lim  # e(s + 1) - e(s) is non-increasing: find its last positive step
    while lo < hi:
        mid = (lo + hi) // 2
        if e_of(mid + 1)[0] > e_of(mid)[0]:
            lo = mid + 1
        else:
            hi = mid
    e, m = e_of(lo)
    if e < 0:  # cannot happen (e(0) >= 0 and e is maximal); keep the plain route
        return 0, 0, 0
    return lo, m, e


_PRIMES: list = []  # the largest primes below 2^62, descending, grown on demand
_PRIMES_LOCK = threading.Lock()  # edges may be computed from several threads (sweeps)


def _word_primes(k: int) -> list:
    """The ``k`` largest primes below ``2^62`` (FLINT's primality test, deterministic for
    64-bit integers), descending, distinct; each is ``> 2^61``."""
    import flint

    with _PRIMES_LOCK:
        x = _PRIMES[-1] - 2 if _PRIMES else (1 << 62) - 1
        while len(_PRIMES) < k:
            if flint.fmpz(x).is_prime():
                _PRIMES.append(x)
            x -= 2
        return _PRIMES[:k]


def _disc_bits_bound(a, n: int) -> int:
    """An upper bound ``b`` with ``|Disc a| < 2^b`` for the integer polynomial
    ``a = Σ_{j≤n} a_j q^j`` (``a_n ≠ 0``): Hadamard's inequality on the Sylvester matrix of
    ``a`` and ``a'`` (``n − 1`` rows of norm ``‖a‖₂``, ``n`` of norm ``‖a'‖₂``) gives
    ``|Res(a, a')| ≤ ‖a‖₂^{n−1} ‖a'‖₂^n`` and ``|Disc a| = |Res(a, a')| / |a_n|``; in bits,
    ``log₂ ‖a‖₂ < bitlen(Σ a_j²) / 2`` and ``log₂ |a_n| ≥ bitlen(a_n) − 1``."""
    s1 = sum(x * x for x in a)
    s2 = sum((j * x) ** 2 for j, x in enumerate(a))
    return -(-((n - 1) * s1.bit_length() + n * s2.bit_length()) // 2) \
        - (abs(a[n]).bit_length() - 1) + 1


def _disc_values_multimodular(c, xs, e):
    """``[Disc_q P(q, x) / 2^e for x in xs]`` exactly (``2^e`` from :func:`_two_adic_scaling`,
    ``a_n(x) ≠ 0`` at every ``x``), by word-size primes and the Chinese remainder theorem.

    For each ``x`` and prime ``p`` (``> 2^61``, odd) FLINT computes ``Disc(P(·, x) mod p)``,
    which is ``Disc_q P(q, x) mod p`` when ``p ∤ a_n(x)`` (the degree is kept; otherwise
    that value is taken from FLINT's exact integer discriminant instead). The value
    ``W = Disc/2^e`` is an integer with ``|W| < 2^{b − e}`` (``b``:
    :func:`_disc_bits_bound`, a proven bound, never a stopping heuristic), so the primes
    used have a product ``M > 2^{b − e + 1}`` and ``W`` is the symmetric residue of
    ``Σ_i r_i y_i M/p_i mod M`` (``r_i = Disc · 2^{−e} mod p_i``, ``y_i = (M/p_i)^{−1}
    mod p_i``). FLINT's own integer discriminant bounds the full ``Disc`` (the factor
    ``2^e`` included) and so needs about ``b / (b − e)`` times more primes (1.6x for C = 4).
    """
    import flint

    rows = [flint.fmpz_poly(row) for row in c]
    n = len(c) - 1
    polys = []
    need = 0
    for x in xs:
        a = [int(row(x)) for row in rows]
        polys.append(flint.fmpz_poly(a))
        need = max(need, _disc_bits_bound(a, n) - e + 2)
    primes = _word_primes(-(-need // 61))
    M = 1
    for p in primes:
        M *= p
    weights = []
    for p in primes:
        Mi = M // p
        weights.append(Mi * (pow(Mi % p, -1, p) * pow(2, -e, p) % p))
    half = M >> 1
    out = []
    for x, f in zip(xs, polys):
        acc = 0
        for p, w in zip(primes, weights):
            fp = flint.nmod_poly(f, p)
            if fp.degree() != n:  # p divides a_n(x): the exact route for this value
                acc = None
                break
            acc += int(fp.discriminant()) * w
        if acc is None:
            W, r = divmod(int(f.discriminant()), 1 << e)
            if r:
                raise ArithmeticError("2^e does not divide the discriminant (a bug)")
        else:
            W = acc % M
            if W > half:
                W -= M
        out.append(W)
    return out


def _interpolate_exact(xs, ys):
    """Monomial coefficients (low to high, Fractions) of the polynomial of degree ``< len(xs)``
    through ``(xs, ys)``: Newton divided differences in rationals,
    ``f[x_i..x_{i+j}] = (f[x_{i+1}..x_{i+j}] − f[x_i..x_{i+j−1}]) / (x_{i+j} − x_i)``, then
    ``f = Σ_i f[x_0..x_i] Π_{l<i} (x − x_l)`` expanded. The general (slow) route, kept as the
    fallback of :func:`_interpolate_int` and as its reference in the tests."""
    n = len(xs)
    coef = [Fraction(y) for y in ys]
    for j in range(1, n):
        for i in range(n - 1, j - 1, -1):
            coef[i] = (coef[i] - coef[i - 1]) / (xs[i] - xs[i - j])
    # Newton form -> monomial
    poly = [Fraction(0)] * n
    for i in range(n - 1, -1, -1):
        # poly = poly * (x - xs[i]) + coef[i]
        new = [Fraction(0)] * n
        for k in range(n - 1):
            new[k + 1] += poly[k]
            new[k] -= poly[k] * xs[i]
        new[0] += coef[i]
        poly = new
    return poly


def _disc_degree_bound(c) -> int:
    """Upper bound on ``deg_z Disc_q P(q, z)`` for ``P = Σ_j a_j(z) q^j`` (``c[j][k]``: coefficient
    of ``q^j z^k``, ``n = deg_q P``), or ``-1`` when the resultant below vanishes identically.

    ``Disc_q P = (−1)^{n(n−1)/2} Res_q(P, ∂_q P) / a_n`` and ``Res_q`` is the determinant of the
    ``(2n−1)×(2n−1)`` Sylvester matrix ``S`` (``n−1`` shifted rows of ``a_n … a_0``, ``n`` shifted
    rows of ``n a_n … 1 a_1``). ``det S = Σ_σ sgn σ Π_i S_{i,σ(i)}``, so
    ``deg det S ≤ max_σ Σ_i deg S_{i,σ(i)}`` over permutations avoiding zero entries: a maximum-
    weight assignment (:func:`scipy.optimize.linear_sum_assignment`). The bound is
    ``that maximum − deg a_n``; it is exact for the curves measured (38 for C = 2 and 83 for C = 3
    against the ``(2n − 2) max_j deg a_j`` = 48 and 104 used before).
    """
    import numpy as np
    from scipy.optimize import linear_sum_assignment

    n = len(c) - 1
    deg = [max([k for k, v in enumerate(row) if v] or [-1]) for row in c]
    if n < 1 or deg[n] < 0:
        return -1
    m = 2 * n - 1
    absent = -(10 ** 6)  # a zero entry: any permutation through it contributes nothing
    W = np.full((m, m), absent, dtype=np.int64)
    for i in range(n - 1):  # rows of P: a_n at column i, ..., a_0 at column i + n
        for j in range(n + 1):
            if deg[j] >= 0:
                W[i, i + n - j] = deg[j]
    for i in range(n):  # rows of dP/dq: j a_j at column i + n - j (j = n .. 1)
        for j in range(1, n + 1):
            if deg[j] >= 0:
                W[n - 1 + i, i + n - j] = deg[j]
    rows, cols = linear_sum_assignment(W, maximize=True)
    total = int(W[rows, cols].sum())
    if total < 0:
        return -1
    return total - deg[n]


def _interpolate_int(xs, ys):
    """Integer monomial coefficients (low to high) of the polynomial ``f`` of degree
    ``< len(xs)`` through the integer points ``(xs, ys)``, or ``None`` if ``f ∉ Z[x]``.

    Newton's divided differences ``f[x_i..x_{i+j}] = (f[x_{i+1}..x_{i+j}] − f[x_i..x_{i+j−1}])
    / (x_{i+j} − x_i)``, then ``f = Σ_i f[x_0..x_i] Π_{l<i} (x − x_l)`` expanded by Horner,
    ``f ← f·(x − x_i) + f[x_0..x_i]`` from ``i = n − 1`` down, in FLINT ``fmpz_poly``
    arithmetic (the expansion in Python integers took 0.5 s for C = 4, 5 s for C = 5). For
    equally spaced points ``x_i = x_0 + i`` the divided differences are the forward
    differences over factorials, ``f[x_0..x_j] = Δ^j y_0 / j!`` (``Δ y_i = y_{i+1} − y_i``):
    subtractions only, and ``N`` exact divisions instead of ``N²/2``.
    When ``f`` has integer coefficients every divided difference is an integer
    (``f[x_0..x_j] = Σ_k f_k h_{k−j}(x_0, …, x_j)``, ``h`` the complete homogeneous symmetric
    polynomials), so the divisions are exact in Python integers (checked: a remainder returns
    ``None``) and no rational arithmetic is needed. Gives the same polynomial as
    :func:`_interpolate_exact` (unique interpolant), about ten times faster.
    """
    import flint

    n = len(xs)
    coef = [int(y) for y in ys]
    if list(xs) == list(range(xs[0], xs[0] + n)):
        # equally spaced (x_i = x_0 + i): f[x_0..x_j] = Δ^j y_0 / j!, the forward differences
        # by subtraction alone and one exact division per coefficient
        for j in range(1, n):
            for i in range(n - 1, j - 1, -1):
                coef[i] -= coef[i - 1]
        fact = 1
        for j in range(2, n):
            fact *= j
            q, r = divmod(coef[j], fact)
            if r:
                return None
            coef[j] = q
    else:
        for j in range(1, n):
            for i in range(n - 1, j - 1, -1):
                q, r = divmod(coef[i] - coef[i - 1], xs[i] - xs[i - j])
                if r:
                    return None
                coef[i] = q
    poly = flint.fmpz_poly([])
    for i in range(n - 1, -1, -1):  # poly = poly * (x - xs[i]) + coef[i]
        poly = poly * flint.fmpz_poly([-xs[i], 1]) + coef[i]
    out = [int(v) for v in poly.coeffs()]
    return out + [0] * (n - len(out))


def _squarefree_part(f):
    """Square-free part of a nonzero ``flint.fmpz_poly`` ``f``, up to a constant factor:
    ``f / gcd(f, f')`` (each irreducible factor once: a factor of multiplicity ``m`` in ``f``
    has multiplicity ``m − 1`` in ``f'``). Same polynomial, up to content and sign, as the
    product of the factors of ``f.factor_squarefree()``.

    The gcd is taken of the *reversed* polynomials: write ``f = z^m h`` with ``h(0) ≠ 0``,
    ``d = deg h``; ``h̃(z) = z^d h(1/z)`` and ``h̃'_r(z) = z^{d−1} h'(1/z)`` (the reversed
    derivative, not the derivative of ``h̃``) have the roots ``1/ζ`` of ``h`` and ``h'``
    with the same multiplicities, so ``gcd(h̃, h̃'_r)`` is the reversal of ``g = gcd(h, h')``
    (``g(0) ≠ 0``: no degree is lost), and the square-free part is
    ``z^{min(m, 1)} · h / g``. Reversed, the leading coefficients are ``h(0)`` and ``h'(0)``,
    whose gcd is far smaller than that of ``lc h`` and ``lc h' = d·lc h``, the factor the
    multimodular gcd must carry through its reconstruction: measured 2x faster for the
    discriminants of C = 4, 5 (e.g. 0.44 s instead of 0.96 s), the same polynomial.
    """
    import flint

    if f.degree() < 1:
        return f
    c = [int(v) for v in f.coeffs()]
    m = next(i for i, v in enumerate(c) if v)  # f = z^m h, h(0) = c[m] != 0
    hc = c[m:]
    h = flint.fmpz_poly(hc)
    out = h
    if h.degree() >= 1:
        dh = [k * v for k, v in enumerate(hc)][1:]
        g_rev = flint.fmpz_poly(hc[::-1]).gcd(flint.fmpz_poly(dh[::-1]))
        gc = [int(v) for v in g_rev.coeffs()]
        g = flint.fmpz_poly(gc[::-1])
        if g.degree() != g_rev.degree():  # cannot happen (g_rev(0) = lc g != 0); guard
            g = h.gcd(h.derivative())
        out = h // g  # exact: g divides h
    if m:
        out = out * flint.fmpz_poly([0, 1])
    return out


def _cache_file(key, n_classes) -> Path | None:
    """Where the edge polynomial of ``key`` is kept on disk, or ``None`` when caching is off.

    The folder is ``$CLASSDYN_CACHE_DIR/edge-polynomials`` (else ``$XDG_CACHE_HOME/classdyn/...``,
    else ``~/.cache/classdyn/...``); ``CLASSDYN_EDGE_CACHE=0`` turns the disk cache off. The
    file name hashes the exact inputs (every float by its hex form), the source of this module
    and the FLINT version, so a code change never serves a stale polynomial.
    """
    if os.environ.get("CLASSDYN_EDGE_CACHE", "1") == "0":
        return None
    root = os.environ.get("CLASSDYN_CACHE_DIR")
    if root:
        base = Path(root)
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "classdyn"
    return base / "edge-polynomials" / f"C{n_classes}-{_cache_digest(key)}.json"


def _exact_key(key) -> list:
    """``key`` with every float written exactly (``float.hex``), for hashing and checking."""
    return [[float(x).hex() for x in v] if isinstance(v, tuple) else float(v).hex() for v in key]


#: Digest of this module's source as imported (read once, at import: a process that keeps
#: running while the file is edited must not label its polynomials with the new source).
_SOURCE_SHA = hashlib.sha256(Path(__file__).read_bytes())


@lru_cache(maxsize=1)
def _source_digest() -> str:
    import flint

    h = _SOURCE_SHA.copy()
    h.update(str(flint.__version__).encode())
    return h.hexdigest()[:16]


def _cache_digest(key) -> str:
    text = json.dumps({"key": _exact_key(key), "code": _source_digest()}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _read_cached(path: Path | None, key):
    """The cached ``(disc, sqf)`` coefficient lists, or ``None`` if absent, unreadable or not
    for ``key`` (the file is data: integers and fractions as hexadecimal strings, which carry
    no length limit, checked)."""
    if path is None or not path.is_file():
        return None
    try:
        rec = json.loads(path.read_text())
        if rec.get("key") != _exact_key(key) or rec.get("code") != _source_digest():
            return None
        disc = [Fraction(int(n, 16), int(d, 16)) for n, d in rec["disc"]]
        sqf = [int(c, 16) for c in rec["sqf"]]
    except (OSError, ValueError, KeyError, TypeError, ZeroDivisionError):
        return None
    if not sqf or sqf[-1] <= 0 or not disc or not _divides(sqf, disc):
        return None
    return disc, sqf


def _divides(sqf, disc) -> bool:
    """Whether the square-free part divides the discriminant exactly (FLINT), as it must: a
    cheap consistency check of a cached pair."""
    import flint

    den = 1
    for x in disc:
        den = den * x.denominator // math.gcd(den, x.denominator)
    num = flint.fmpz_poly([int(x * den) for x in disc])
    if num == 0 or len(sqf) < 2:
        return False
    return num % flint.fmpz_poly(sqf) == 0


def _write_cached(path: Path | None, key, disc, sqf) -> None:
    if path is None:
        return
    from classdyn.io import atomic_write_json

    rec = {"key": _exact_key(key), "code": _source_digest(),
           "disc": [[hex(x.numerator), hex(x.denominator)] for x in disc],
           "sqf": [hex(c) for c in sqf]}
    try:
        atomic_write_json(path, rec)
    except OSError as exc:  # a read-only or full cache folder only costs the next run time
        log.debug("edge-polynomial cache not written to %s: %s", path, exc)


@lru_cache(maxsize=64)
def _edge_coefficients(key, n_classes):
    """``(disc, sqf)``: the coefficients, lowest degree first, of ``Disc_q P(q, z)`` (Fractions)
    and of its primitive square-free part with a positive leading coefficient (ints)
    (docs/theory/edges.md). Kept in memory and on disk (:func:`_cache_file`): the elimination
    costs 0.1 s (C = 2) to tens of seconds (C = 5), reading the file a millisecond."""
    path = _cache_file(key, n_classes)
    hit = _read_cached(path, key)
    if hit is not None:
        return hit
    Pint = _eliminated_cached(key, n_classes)[0]
    c = _int_coeffs_qz(Pint)
    nq = len(c) - 1
    nz = max(len(row) for row in c) - 1
    N = (2 * nq - 2) * nz + 1  # crude degree bound of Disc_q in z, plus one
    bound = _disc_degree_bound(c)
    if bound >= 0:
        N = min(N, bound + 1)  # the Sylvester-assignment bound (tight: fewer evaluations)
    import flint

    rows = [flint.fmpz_poly(row) for row in c]
    xs = []
    zi = 0
    while len(xs) < N:
        if rows[-1](zi) != 0:  # a_n(z_i) != 0: Disc_q keeps its degree
            xs.append(zi)
        zi += 1  # 0, 1, 2, ...: equally spaced (forward differences in _interpolate_int)
    # Disc_q P = 2^e Disc_q P~ (exact power of two); the values Disc_q P~(z_i) by word primes
    _, _, e = _two_adic_scaling(c)
    ys = _disc_values_multimodular(c, xs, e)
    ints = _interpolate_int(xs, ys)  # Disc_q P~ ∈ Z[z]: exact integer route
    if ints is None:  # cannot happen (P~ has integer coefficients); the general route
        fr = _interpolate_exact(xs, ys)
        den = 1
        for x in fr:
            den = den * x.denominator // math.gcd(den, x.denominator)
        ints = [int(x * den) for x in fr]
        coeffs = [x * (1 << e) for x in fr]
    else:
        coeffs = [Fraction(x << e) for x in ints]
    while coeffs and coeffs[-1] == 0:
        coeffs.pop()
    # square-free part on FLINT of Disc_q P~ (the same up to the constant 2^e), made
    # primitive with a positive lead
    zint = flint.fmpz_poly(ints)
    sqf = _squarefree_part(zint)
    sc = [int(x) for x in sqf.coeffs()]
    g = 0
    for x in sc:
        g = math.gcd(g, x)
    sign = -1 if sc[-1] < 0 else 1
    sqf_list = [sign * x // g for x in sc]
    _write_cached(path, key, coeffs, sqf_list)
    return coeffs, sqf_list


@lru_cache(maxsize=64)
def _edge_poly_cached(key, n_classes):
    """``(Disc_q P, its square-free part)`` as :class:`sympy.Poly` in ``z``."""
    import sympy as sp

    disc_c, sqf_c = _edge_coefficients(key, n_classes)
    z = sp.Symbol("z")
    disc = sp.Poly([sp.Rational(x.numerator, x.denominator) for x in reversed(disc_c)], z,
                   domain="QQ")
    return disc, sp.Poly(list(reversed(sqf_c)), z, domain="ZZ")


def edge_polynomial(params, squarefree: bool = True):
    """The edge polynomial ``E(z)``: ``Disc_q P(q, z)`` (docs/theory/edges.md), a :class:`sympy.Poly`.

    ``squarefree=True`` (default) returns its square-free part (integer coefficients), whose
    real roots contain every edge of the density.
    """
    params = _check_params(params)
    disc, sqf = _edge_poly_cached(params.key(), params.n_classes)
    return sqf if squarefree else disc


# ------------------------------------------------------------------ numeric curve
@dataclass
class NumericCurve:
    """Float coefficients of ``P(q, z)`` and ``F(q, r)`` for the polynomial density method."""

    P: np.ndarray  # P[j, k]: coefficient of q^j z^k (scaled)
    F: np.ndarray  # F[j, i]: coefficient of q^j r^i
    params: Any

    def z_of(self, q, r):
        """``z = s̄² + Σ ρ_c v_c²/D_c − (r − (1 − ψ_p) q)/(ψ_p q²)`` (docs/theory/edges.md)."""
        p = self.params
        D = 1.0 + p.k * (p.alpha2 * r + p.v2 * q)
        return p.sbar2 + np.sum(p.rho * p.v2 / D) - (r - (1 - p.psi_p) * q) / (p.psi_p * q * q)

    def solutions(self, x: float):
        """All ``(q, r, residual)`` on the curve with ``z(q, r) = x`` (``q ≠ 0``)."""
        zc = x ** np.arange(self.P.shape[1])
        cq = self.P @ zc
        qs = np.roots(cq[::-1])
        out = []
        for qv in qs:
            if qv == 0:
                continue
            cr = (qv ** np.arange(self.F.shape[0])) @ self.F
            nz = np.flatnonzero(np.abs(cr) > 0)
            if nz.size == 0:
                continue
            rs = np.roots(cr[: nz[-1] + 1][::-1])
            if rs.size == 0:
                continue
            zs = np.array([self.z_of(qv, rv) for rv in rs])
            i = int(np.argmin(np.abs(zs - x)))
            res = abs(zs[i] - x) / max(abs(x), 1e-300)
            out.append((complex(qv), complex(rs[i]), float(res)))
        return out


def numeric_curve(params) -> NumericCurve:
    """:class:`NumericCurve` of ``params`` (float64 coefficients of ``P`` and ``F``)."""
    params = _check_params(params)
    Pint, _, Fr, _ = _eliminated_cached(params.key(), params.n_classes)
    c = _int_coeffs_qz(Pint)
    m = max(abs(v) for row in c for v in row)
    P = np.array([[float(Fraction(v, m)) for v in row] for row in c])
    terms = Fr.to_dict()  # monomials (r, q, z) of F (free of z), exact rationals
    F = np.zeros((max(j for _, j, _ in terms) + 1, max(i for i, _, _ in terms) + 1))
    for (i, j, _), v in terms.items():
        F[j, i] = float(Fraction(int(v.p), int(v.q)))
    return NumericCurve(P=P, F=F, params=params)
