"""Edge polynomials and high-precision spectral edges, centred classes (THEORY.md §5).

The spectral equations of :mod:`classdyn.theory.spectrum` (unknowns ``q, r``; ``k = ψ_p/ψ_n``;
``D_c = 1 + δ_c = 1 + k (α_c² r + v_c² q)``; ``Π = Π_c D_c``) become two polynomials once the
denominators are cleared (THEORY.md §5, "A useful elimination"):

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
mpmath at ``dps`` digits; most real roots are not edges (negative ones, double points inside
gaps), so each root is *classified*: a true edge has zero density on one side and positive
density on the other (compiled solver of :mod:`classdyn.theory.spectrum`, probed at ``λ₀ ± ε``).

Everything is exact rational arithmetic on the float64 inputs (each float is a binary fraction,
converted exactly), so the digits reported are those of the given parameters. The discriminant
is computed by evaluation at integer ``z`` and exact interpolation (much faster than a symbolic
subresultant chain with ``z`` symbolic). Results are cached per parameter set
(:func:`functools.lru_cache`).

Public API: :func:`curve_polynomials` (symbolic ``F``, ``Z`` with symbolic parameters, to print),
:func:`eliminated_polynomial` (``P(q, z)``), :func:`edge_polynomial` (``E(z)``),
:func:`find_edges` (classified edges), :func:`numeric_curve` (float coefficients, used by the
``polynomial`` density method).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from functools import lru_cache
from typing import Any

import numpy as np

__all__ = ["curve_polynomials", "eliminated_polynomial", "edge_polynomial", "find_edges",
           "EdgeResult", "numeric_curve", "MAX_CLASSES"]

#: Largest number of classes handled symbolically (C = 3 takes a few seconds; beyond, the
#: elimination grows quickly).
MAX_CLASSES = 3


def _check_params(params):
    """Validate and return the params with identical classes merged (exact; see
    :meth:`classdyn.theory.spectrum.SpectralParams.merged`)."""
    from classdyn.theory.spectrum import SpectralParams

    if not isinstance(params, SpectralParams):
        raise TypeError(f"params must be a classdyn.theory.spectrum.SpectralParams, got {type(params)}")
    params = params.merged()
    if params.n_classes > MAX_CLASSES:
        raise ValueError(f"edge polynomials are implemented for 1..{MAX_CLASSES} distinct "
                         f"classes, got C = {params.n_classes}")
    return params


# ------------------------------------------------------------------ symbolic curve
@lru_cache(maxsize=None)
def curve_polynomials(n_classes: int):
    """Symbolic ``F(q, r)`` and ``Z(q, r, z)`` (module docstring) with symbolic parameters.

    Returns ``(F, Z, symbols)``, ``symbols`` a dict with keys ``q, r, z, psi_p, psi_n, bbar2,
    sbar2, rho, alpha2, v2`` (the last three tuples of length ``n_classes``). Print them to see
    the equations: ``F`` is THEORY.md §5's ``F(q, r) = 0`` cleared of denominators, ``Z`` its
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


@lru_cache(maxsize=64)
def _eliminated_cached(key, n_classes):
    import sympy as sp
    from classdyn.theory.spectrum import SpectralParams

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
    res = sp.resultant(Fi, Zi, r)
    P = sp.Poly(res, q, z, domain="QQ")
    if P.is_zero:
        raise ValueError("the resultant vanished: degenerate parameters (e.g. alpha2 = v2 = 0)")
    # strip factors free of z: gcd (in q) of the coefficients of z^j
    Pz = sp.Poly(P.as_expr(), z)
    g = None
    for coeff in Pz.all_coeffs():
        cq = sp.Poly(coeff, q, domain="QQ")
        if cq.is_zero:
            continue
        g = cq if g is None else sp.gcd(g, cq)
    if g is not None and g.degree() > 0:
        P = sp.Poly(sp.quo(P, sp.Poly(g.as_expr(), q, z, domain="QQ")), q, z, domain="QQ")
    # integer coefficients, primitive
    _, Pint = P.clear_denoms(convert=True)
    Pint = Pint.primitive()[1]
    if Pint.LC() < 0:
        Pint = -Pint
    stripped = None if g is None else g.monic()
    return Pint, stripped, Fp, Zp


def eliminated_polynomial(params):
    """``P(q, z)`` (THEORY.md §5): ``Res_r(F, Z)`` with the ``z``-free factors removed.

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
    """Discriminant of the integer polynomial ``Σ a[j] x^j`` (``a[-1] ≠ 0``), exactly."""
    from sympy.polys.domains import ZZ
    from sympy.polys.euclidtools import dup_discriminant

    f = [ZZ(int(x)) for x in reversed(a)]
    return int(dup_discriminant(f, ZZ))


def _interpolate_exact(xs, ys):
    """Monomial coefficients (low to high, Fractions) of the polynomial through ``(xs, ys)``."""
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


@lru_cache(maxsize=64)
def _edge_poly_cached(key, n_classes):
    import sympy as sp

    Pint = _eliminated_cached(key, n_classes)[0]
    c = _int_coeffs_qz(Pint)
    nq = len(c) - 1
    nz = max(len(row) for row in c) - 1
    N = (2 * nq - 2) * nz + 1  # degree bound of Disc_q in z, plus one
    xs, ys = [], []
    zi = 0
    while len(xs) < N:
        a = [sum(ck * zi ** k for k, ck in enumerate(row)) for row in c]
        if a[-1] != 0:
            xs.append(zi)
            ys.append(_discriminant_int(a))
        zi = -zi if zi > 0 else 1 - zi  # 0, 1, -1, 2, -2, ...
    coeffs = _interpolate_exact(xs, ys)
    while coeffs and coeffs[-1] == 0:
        coeffs.pop()
    z = sp.Symbol("z")
    disc = sp.Poly(list(reversed([sp.Rational(x.numerator, x.denominator) for x in coeffs])),
                   z, domain="QQ")
    sqf = sp.Poly(sp.sqf_part(disc), z, domain="QQ")
    _, sqf = sqf.clear_denoms(convert=True)
    return disc, sqf.primitive()[1]


def edge_polynomial(params, squarefree: bool = True):
    """The edge polynomial ``E(z)``: ``Disc_q P(q, z)`` (THEORY.md §5), a :class:`sympy.Poly`.

    ``squarefree=True`` (default) returns its square-free part (integer coefficients), whose
    real roots contain every edge of the density.
    """
    params = _check_params(params)
    disc, sqf = _edge_poly_cached(params.key(), params.n_classes)
    return sqf if squarefree else disc


# ------------------------------------------------------------------ roots and classification
@dataclass
class EdgeResult:
    """Real roots of the edge polynomial at ``dps`` digits, classified (THEORY.md §5).

    ``candidates``: every real root ``≥ s̄²`` (mpmath ``mpf``) sorted; ``is_edge``: whether it is a
    true edge; ``kind``: ``"lower"`` (density zero below, positive above), ``"upper"``, or
    ``"none"``; ``edges`` the true edges in increasing order, alternating lower/upper;
    ``singular_lower_edge``: the leftmost edge is ``s̄²`` with an inverse-square-root density
    (``ψ_p = 1 + ψ_n``). ``negative_roots`` counts discarded real roots below ``s̄²`` (outside
    the spectrum since ``U ⪰ s̄² I``).
    """

    candidates: list
    is_edge: list
    kind: list
    dps: int
    singular_lower_edge: bool = False
    negative_roots: int = 0
    degree: int = 0
    probe: list = field(default_factory=list)

    @property
    def edges(self) -> list:
        return [c for c, e in zip(self.candidates, self.is_edge) if e]

    def edge_strings(self, digits: int | None = None) -> list[str]:
        import mpmath

        n = self.dps if digits is None else digits
        return [mpmath.nstr(e, n) for e in self.edges]

    def to_dict(self) -> dict[str, Any]:
        import mpmath

        return {"edges": self.edge_strings(), "edges_float": [float(e) for e in self.edges],
                "candidates": [mpmath.nstr(c, self.dps) for c in self.candidates],
                "is_edge": list(self.is_edge), "kind": list(self.kind), "dps": self.dps,
                "singular_lower_edge": self.singular_lower_edge,
                "negative_roots": self.negative_roots, "degree": self.degree,
                "probe": self.probe}


def _aberth(coeffs, dps, guesses, maxit=200, digits=None):
    """All complex roots of ``Σ coeffs[i] z^(n−i)`` (integers, highest degree first) by the
    Aberth–Ehrlich simultaneous iteration in mpmath at ``dps`` digits, started from ``guesses``.

    Stops when every correction is below ``10^(−digits)`` relative (``digits`` defaults to
    ``dps − 8``). Returns ``(roots, converged)``.
    """
    import mpmath

    n = len(coeffs) - 1
    with mpmath.workdps(dps):
        c = [mpmath.mpf(x) for x in coeffs]
        dc = [c[i] * (n - i) for i in range(n)]
        zs = [mpmath.mpc(g) for g in guesses]
        tol = mpmath.mpf(10) ** (-(dps - 8 if digits is None else digits))
        done = [False] * n
        for _ in range(maxit):
            moved = False
            for k in range(n):
                if done[k]:
                    continue
                zk = zs[k]
                p = mpmath.polyval(c, zk)
                dp = mpmath.polyval(dc, zk)
                if p == 0:
                    done[k] = True
                    continue
                ratio = p / dp if dp != 0 else mpmath.mpc(1e-3)
                s = sum(1 / (zk - zs[j]) for j in range(n) if j != k)
                w = ratio / (1 - ratio * s)
                zs[k] = zk - w
                if abs(w) <= tol * max(abs(zs[k]), mpmath.mpf(10) ** (-dps // 2)):
                    done[k] = True
                else:
                    moved = True
            if not moved:
                break
        return zs, all(done)


def _real_roots(poly, dps):
    """Real roots of an integer ``sympy.Poly`` in one variable, to ``dps`` digits.

    Starting points from NumPy's companion-matrix roots of the float-scaled coefficients (fast,
    a few digits at best: the polynomial is ill-conditioned), then the Aberth–Ehrlich iteration
    on the exact integer coefficients in mpmath (all roots at once, so close roots cannot
    collapse onto one): to 10 digits at 30 working digits, doubling the working precision while
    it fails (clusters of roots), then to ``dps + 5`` digits at ``max(dps + 20, that)``. Falls
    back to ``mpmath.polyroots`` if Aberth does not converge. A root is real when ``|Im| ≤ 10^(−dps)·max(1, |Re|)``.
    """
    import mpmath

    coeffs = [int(c) for c in poly.all_coeffs()]
    deg = len(coeffs) - 1
    if deg < 1:
        return []
    mx = max(abs(x) for x in coeffs)
    with mpmath.workdps(30):
        fc = np.array([float(mpmath.mpf(x) / mx) for x in coeffs])
    guesses = np.roots(fc)
    if guesses.size != deg or not np.all(np.isfinite(guesses)):
        guesses = np.exp(2j * np.pi * (np.arange(deg) + 0.25) / deg)
    # perturb off the real axis so that conjugate pairs can separate
    guesses = guesses + 1e-6j * np.maximum(np.abs(guesses), 1e-12) * (
        1 + 0.1 * np.arange(deg) / deg)
    work = dps + 20
    # cheap stage to 10 correct digits, escalating the working precision while it fails
    # (tight clusters of roots of an ill-conditioned E need many working digits), then the
    # iteration at full precision from there
    prec = 30
    roots, ok = _aberth(coeffs, prec, guesses, maxit=60, digits=10)
    while not ok and prec < 8 * work:
        prec *= 2
        roots, ok = _aberth(coeffs, prec, roots, maxit=100, digits=10)
    roots, ok = _aberth(coeffs, max(work, prec), roots, maxit=100, digits=dps + 5)
    if not ok:
        with mpmath.workdps(work):
            roots = mpmath.polyroots(coeffs, maxsteps=2000, extraprec=4 * dps + 4 * deg)
    out = []
    with mpmath.workdps(work):
        for z in roots:
            z = mpmath.mpc(z)
            if abs(z.imag) <= mpmath.mpf(10) ** (-dps) * max(1, abs(z.real)):
                out.append(+z.real)
    return sorted(out)


@lru_cache(maxsize=64)
def _find_edges_cached(key, n_classes, dps):
    import mpmath
    from classdyn.theory.spectrum import SpectralParams, stieltjes

    params = SpectralParams(psi_p=key[0], psi_n=key[1], rho=key[2], alpha2=key[3], v2=key[4],
                            bbar2=key[5], sbar2=key[6])
    E = _edge_poly_cached(key, n_classes)[1]
    roots = _real_roots(E, dps)
    s2 = mpmath.mpf(params.sbar2)
    tol = mpmath.mpf(10) ** (-(dps - 5))
    cands = [x for x in roots if x >= s2 - tol * max(1, abs(s2))]
    negative = len(roots) - len(cands)
    # s̄² itself is a candidate (the inverse-square-root edge when ψ_p = 1 + ψ_n)
    if params.sbar2 > 0 and not any(abs(x - s2) <= tol * max(abs(s2), 1) for x in cands):
        cands.append(s2)
    cands.sort()
    scale = params.scale
    fl = np.array([float(x) for x in cands])
    probe_pts = []
    eps_list = []
    for i, x in enumerate(fl):
        gaps = [abs(x - y) for j, y in enumerate(fl) if j != i and abs(x - y) > 0]
        near = min(gaps) if gaps else scale
        eps = min(0.25 * near, 1e-5 * max(abs(x), 1e-3 * scale))
        eps = max(eps, 1e-13 * max(abs(x), 1e-3 * scale))  # stay above float64 resolution
        eps_list.append(eps)
        probe_pts.extend([x - eps, x + eps])
    is_edge, kind, probe = [], [], []
    if probe_pts:
        pts = np.array(probe_pts)
        res = stieltjes(params, np.maximum(pts, 0.0), strict=False)
        rho = np.where(pts < 0, 0.0, np.maximum(res.q.imag, 0.0) / math.pi)
        for i, x in enumerate(fl):
            lo, hi = rho[2 * i], rho[2 * i + 1]
            ok = bool(res.converged[2 * i] and res.converged[2 * i + 1])
            # zero: below 1e-9 of the positive side (a square-root edge probed at distance eps
            # has density ~ sqrt(eps), a gap point has Im q = 0 to rounding, ~1e-16 |q|).
            big = max(lo, hi)
            thr = 1e-7 * big
            positive = big > 1e-12 / scale
            if positive and lo <= thr < hi:
                k = "lower"
            elif positive and hi <= thr < lo:
                k = "upper"
            else:
                k = "none"
            is_edge.append(k != "none" and ok)
            kind.append(k if ok else "unresolved")
            probe.append({"root": float(x), "eps": eps_list[i], "density_below": float(lo),
                          "density_above": float(hi), "converged": ok})
    singular = bool(cands and params.sbar2 > 0 and is_edge and is_edge[0]
                    and abs(cands[0] - s2) <= tol * max(abs(s2), 1))
    return EdgeResult(candidates=cands, is_edge=is_edge, kind=kind, dps=dps,
                      singular_lower_edge=singular, negative_roots=negative,
                      degree=int(E.degree()), probe=probe)


def find_edges(params, dps: int = 30) -> EdgeResult:
    """Edges of the spectral density at ``dps`` digits (THEORY.md §5, "Edges").

    Real roots ``λ₀ ≥ s̄²`` of the edge polynomial ``E(z)`` (:func:`edge_polynomial`), computed
    with ``mpmath.polyroots`` at ``dps + 20`` digits and polished by Newton, plus ``s̄²``; each
    is classified by the density at ``λ₀ ± ε`` (``ε`` a quarter of the distance to the nearest
    other root, at most ``1e-5 λ₀``): an edge has zero density on exactly one side.

    ``dps`` must be an integer in [15, 1000] (default 30).
    """
    params = _check_params(params)
    if not isinstance(dps, (int, np.integer)) or not 15 <= int(dps) <= 1000:
        raise ValueError(f"dps must be an integer in [15, 1000], got {dps!r}")
    return _find_edges_cached(params.key(), params.n_classes, int(dps))


# ------------------------------------------------------------------ numeric curve
@dataclass
class NumericCurve:
    """Float coefficients of ``P(q, z)`` and ``F(q, r)`` for the polynomial density method."""

    P: np.ndarray  # P[j, k]: coefficient of q^j z^k (scaled)
    F: np.ndarray  # F[j, i]: coefficient of q^j r^i
    params: Any

    def z_of(self, q, r):
        """``z = s̄² + Σ ρ_c v_c²/D_c − (r − (1 − ψ_p) q)/(ψ_p q²)`` (THEORY.md §5)."""
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
