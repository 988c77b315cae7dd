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
38 for ``C = 2`` before, 29 after removing repeated factors). Its roots are computed with

converted exactly), so the digits reported are those of the given parameters. The discriminant
is computed by FLINT discriminants at integer ``z`` (one point more than the Sylvester-
assignment degree bound, :func:`_disc_degree_bound`) and exact integer Newton interpolation
(:func:`_interpolate_int`; much faster than a symbolic subresultant chain with ``z`` symbolic). Edge polynomials are cached in memory and on disk by
their exact inputs (:func:`_cache_file`), so a new process does not eliminate again.

"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from classdyn.theory.spectral_params import SpectralParams

__all__ = ["curve_polynomials", "eliminated_polynomial", "edge_polynomial", "numeric_curve",
           "NumericCurve", "MAX_CLASSES"]

#: Largest number of distinct classes handled by the exact elimination. Measured on 2 loaded
#: cores (FLINT path): C = 4 about 16 s (edge polynomial of degree 104), C = 5 about 73 s
#: (degree 167); the cost grows roughly fivefold per class.
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
                         f"classes (C = 5 takes about a minute, each further class ~5x more), "
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


def _flint_eliminate(Fi, Zi):
    """``Res_r(F, Z)`` of two integer ``sympy.Poly`` in ``(r, q, z)`` on FLINT, with its factors
    free of ``z`` divided out: the gcd ``g(q)`` of its coefficients of ``z^k`` (powers of ``q``:
    spurious branches). Returns ``({(j, k): c}`` of ``P(q, z)``, ``{(j,): c}`` of ``g`` or
    ``None``)."""
    import flint

    ctx = flint.fmpz_mpoly_ctx.get(("r", "q", "z"), "lex")

    def conv(P):
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


@lru_cache(maxsize=64)
def _eliminated_cached(key, n_classes):
    import sympy as sp
    params = SpectralParams(psi_p=key[0], psi_n=key[1], rho=key[2], alpha2=key[3], v2=key[4],
                            bbar2=key[5], sbar2=key[6])
    F, Z, s = curve_polynomials(n_classes)
    q, r, z = s["q"], s["r"], s["z"]
    sub = _subs_dict(params)
    Fp = sp.Poly(F.xreplace(sub), r, q, z, domain="QQ")
    Zp = sp.Poly(Z.xreplace(sub), r, q, z, domain="QQ")
    # integer coefficients: the resultant over ZZ is several times faster than over QQ
    Fi = Fp.clear_denoms(convert=True)[1]
    Zi = Zp.clear_denoms(convert=True)[1]
    # resultant in r and the z-free factors on FLINT (exact integer multivariate arithmetic;
    # SymPy's subresultant chain took most of the 17-21 s of C = 3)
    Pd, gd = _flint_eliminate(Fi, Zi)
    if not Pd:
        raise ValueError("the resultant vanished: degenerate parameters (e.g. alpha2 = v2 = 0)")
    P = sp.Poly.from_dict({(j, k): c for (j, k), c in Pd.items()}, q, z, domain="ZZ")
    Pint = P.primitive()[1]
    if Pint.LC() < 0:
        Pint = -Pint
    g = None if gd is None else sp.Poly.from_dict(gd, q, domain="ZZ")
    stripped = None if g is None else g.to_field().monic()
    return Pint, stripped, Fp, Zp


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


def _discriminant_int(a):
    """Discriminant of the integer polynomial ``Σ a[j] x^j`` (``a[-1] ≠ 0``), exactly (FLINT)."""
    import flint

    return int(flint.fmpz_poly([int(x) for x in a]).discriminant())


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
    / (x_{i+j} − x_i)``, then ``f = Σ_i f[x_0..x_i] Π_{l<i} (x − x_l)`` expanded by Horner.
    When ``f`` has integer coefficients every divided difference is an integer
    (``f[x_0..x_j] = Σ_k f_k h_{k−j}(x_0, …, x_j)``, ``h`` the complete homogeneous symmetric
    polynomials), so the divisions are exact in Python integers (checked: a remainder returns
    ``None``) and no rational arithmetic is needed. Gives the same polynomial as
    :func:`_interpolate_exact` (unique interpolant), about ten times faster.
    """
    n = len(xs)
    coef = [int(y) for y in ys]
    for j in range(1, n):
        for i in range(n - 1, j - 1, -1):
            q, r = divmod(coef[i] - coef[i - 1], xs[i] - xs[i - j])
            if r:
                return None
            coef[i] = q
    poly = [0] * n
    for i in range(n - 1, -1, -1):  # poly = poly * (x - xs[i]) + coef[i]
        x = xs[i]
        new = [0] * n
        for k in range(n - 1):
            pk = poly[k]
            if pk:
                new[k + 1] += pk
                new[k] -= pk * x
        new[0] += coef[i]
        poly = new
    return poly


def _squarefree_part(f):
    """Square-free part of a nonzero ``flint.fmpz_poly`` ``f``, up to a constant factor:
    ``f / gcd(f, f')`` (each irreducible factor once: a factor of multiplicity ``m`` in ``f``
    has multiplicity ``m − 1`` in ``f'``). Same polynomial, up to content and sign, as the
    product of the factors of ``f.factor_squarefree()``, about 1.6 times faster (FLINT's
    multimodular gcd instead of Yun's full decomposition)."""
    if f.degree() < 1:
        return f
    g = f.gcd(f.derivative())
    return f // g  # exact: g divides f


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
    costs 0.5 s (C = 2) to a minute (C = 5), reading the file a millisecond."""
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
    xs, ys = [], []
    zi = 0
    while len(xs) < N:
        a = [int(row(zi)) for row in rows]  # a_j(z_i), exactly
        if a[-1] != 0:
            xs.append(zi)
            ys.append(_discriminant_int(a))
        zi = -zi if zi > 0 else 1 - zi  # 0, 1, -1, 2, -2, ...
    ints = _interpolate_int(xs, ys)  # Disc_q P ∈ Z[z]: exact integer route
    coeffs = ([Fraction(x) for x in ints] if ints is not None
              else _interpolate_exact(xs, ys))
    while coeffs and coeffs[-1] == 0:
        coeffs.pop()
    # square-free part on FLINT (D / gcd(D, D')) of the integer-scaled discriminant, made
    # primitive with a positive lead
    den = 1
    for x in coeffs:
        den = den * x.denominator // math.gcd(den, x.denominator)
    zint = flint.fmpz_poly([int(x * den) for x in coeffs])
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
    import sympy as sp

    params = _check_params(params)
    Pint, _, Fp, _ = _eliminated_cached(params.key(), params.n_classes)
    c = _int_coeffs_qz(Pint)
    m = max(abs(v) for row in c for v in row)
    P = np.array([[float(Fraction(v, m)) for v in row] for row in c])
    _, _, s = curve_polynomials(params.n_classes)
    Fq = sp.Poly(Fp.as_expr(), s["q"], s["r"], domain="QQ")
    F = np.zeros((Fq.degree(0) + 1, Fq.degree(1) + 1))
    for (j, i), v in Fq.terms():
        F[j, i] = float(v)
    return NumericCurve(P=P, F=F, params=params)
