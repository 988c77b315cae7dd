"""The SymPy-free fast route of classdyn.theory.curve (issue 12, speed of the edges): the curve
polynomials built directly in FLINT rationals, the elimination from them, the reversed-gcd
square-free part and the forward-difference interpolation give exactly (no tolerance: integer
and rational equality) what the previous routes give: the symbolic ``curve_polynomials``
substituted and eliminated as before (written out here), ``f / gcd(f, f')`` and Fraction
Newton interpolation.
"""

import random
from fractions import Fraction

import flint
import numpy as np
import pytest
import sympy as sp

from classdyn.theory import curve
from classdyn.theory.params import Mixture, RandomFeatures
from classdyn.theory.spectral_params import SpectralParams

CASES = [((1.0,), None, 2.0, 1.0, 0.3), ((1.0, 2.0), None, 2.0, 1.0, 0.01),
         ((0.7, 3.0), (0.3, 0.7), 3.0, 1.5, 0.2), ((1.0, 1.5, 2.0), None, 4.0, 2.0, 0.1),
         ((1.0, 1.5, 2.0), (0.2, 0.3, 0.5), 1.5, 3.0, 1.0)]


def _params(variances, weights, psi_p, psi_n, t):
    return SpectralParams.from_model(Mixture(variances=variances, weights=weights),
                                     RandomFeatures(psi_p, psi_n), t).merged()


def _sympy_route(params):
    """The previous elimination: symbolic F, Z substituted with the exact rationals, cleared of
    denominators by SymPy, resultant and z-free factors on FLINT, primitive, positive LC."""
    F, Z, s = curve.curve_polynomials(params.n_classes)
    q, r, z = s["q"], s["r"], s["z"]
    sub = curve._subs_dict(params)
    Fp = sp.Poly(F.xreplace(sub), r, q, z, domain="QQ")
    Zp = sp.Poly(Z.xreplace(sub), r, q, z, domain="QQ")
    Pd, _ = curve._flint_eliminate(Fp.clear_denoms(convert=True)[1],
                                   Zp.clear_denoms(convert=True)[1])
    P = sp.Poly.from_dict(Pd, q, z, domain="ZZ").primitive()[1]
    return (-P if P.LC() < 0 else P), Fp, Zp


def _as_fractions(mpoly):
    return {m: Fraction(int(v.p), int(v.q)) for m, v in mpoly.to_dict().items()}


@pytest.mark.parametrize("variances,weights,psi_p,psi_n,t", CASES)
def test_direct_curve_and_elimination_equal_sympy_route(variances, weights, psi_p, psi_n, t):
    p = _params(variances, weights, psi_p, psi_n, t)
    P_old, Fp, Zp = _sympy_route(p)
    F, Z = curve._curve_mpolys(p)
    # F and Z: every rational coefficient equal (exact)
    assert _as_fractions(F) == {m: Fraction(int(v.p), int(v.q)) for m, v in Fp.terms()}
    assert _as_fractions(Z) == {m: Fraction(int(v.p), int(v.q)) for m, v in Zp.terms()}
    # P(q, z): every integer equal (exact)
    P_new = curve._eliminated_cached.__wrapped__(p.key(), p.n_classes)[0]
    assert P_new.as_dict() == P_old.as_dict() and P_new.gens == P_old.gens
    # the float curve of the polynomial density method: the same float64 coefficients
    Fq = sp.Poly(Fp.as_expr(), sp.Symbol("q"), sp.Symbol("r"), domain="QQ")
    F_old = np.zeros((Fq.degree(0) + 1, Fq.degree(1) + 1))
    for (j, i), v in Fq.terms():
        F_old[j, i] = float(v)
    assert np.array_equal(curve.numeric_curve(p).F, F_old)


def _plain_sqf(f):
    return f // f.gcd(f.derivative())


def _same_up_to_constant(a, b):
    return a.degree() == b.degree() and a * b.coeffs()[-1] == b * a.coeffs()[-1]


def test_reversed_gcd_squarefree_part_equals_plain_gcd():
    # random integer polynomials with repeated factors, a root at 0 of multiplicity 0..3 and
    # large coefficients; plus the discriminant of the C = 2 curve: the same polynomial up to
    # a constant factor as f / gcd(f, f') (exact)
    rng = random.Random(12)
    x = flint.fmpz_poly([0, 1])
    for trial in range(30):
        f = flint.fmpz_poly([rng.randint(1, 10 ** 40)])
        for _ in range(rng.randint(1, 4)):
            g = flint.fmpz_poly([rng.randint(-10 ** 30, 10 ** 30) for _ in range(rng.randint(2, 6))])
            if g.degree() >= 1:
                f *= g ** rng.randint(1, 3)
        f *= x ** (trial % 4)
        s = curve._squarefree_part(f)
        assert _same_up_to_constant(s, _plain_sqf(f)), trial
    p = _params((1.0, 2.0), None, 2.0, 1.0, 0.01)
    disc = curve._edge_coefficients.__wrapped__(p.key(), p.n_classes)[0]
    f = flint.fmpz_poly([int(v) for v in disc])
    assert _same_up_to_constant(curve._squarefree_part(f), _plain_sqf(f))
    assert curve._squarefree_part(x ** 3) == x and curve._squarefree_part(f.__class__([5])) == 5


def test_equally_spaced_interpolation_equals_fraction_route():
    # the forward-difference branch (consecutive points) and the divided-difference branch
    # (scattered points) against the Fraction Newton route and the polynomial itself (exact)
    rng = random.Random(3)
    for trial in range(20):
        n = rng.randint(1, 25)
        f = [rng.randint(-10 ** 60, 10 ** 60) for _ in range(n)]
        if trial % 2:
            x0 = rng.randint(-5, 5)
            xs = list(range(x0, x0 + n))
        else:
            xs = rng.sample(range(-50, 50), n)
        ys = [sum(c * xv ** k for k, c in enumerate(f)) for xv in xs]
        assert curve._interpolate_int(xs, ys) == f
        assert curve._interpolate_exact(xs, ys) == [Fraction(a) for a in f]
    # not in Z[x] (x(x+1)/2 through 0, 1, 3 at x = 0, 1, 2): detected on both branches
    assert curve._interpolate_int([0, 1, 2], [0, 1, 3]) is None
    assert curve._interpolate_int([0, 2, 3], [0, 3, 6]) is None


def _flint_disc_values(c, xs):
    rows = [flint.fmpz_poly(row) for row in c]
    return [int(flint.fmpz_poly([r(x) for r in rows]).discriminant()) for x in xs]


@pytest.mark.parametrize("variances,weights,psi_p,psi_n,t", CASES[1:])
def test_multimodular_disc_values_equal_flint_integer_discriminants(variances, weights, psi_p,
                                                                     psi_n, t):
    # Disc_q P(q, x) = 2^e W(x): the word-prime/CRT values times 2^e equal FLINT's exact integer
    # discriminants at 12 points (exact), and 2^e is a large part of them (the power of two
    # of _two_adic_scaling divides every value; e > 0 for these binary-fraction inputs)
    p = _params(variances, weights, psi_p, psi_n, t)
    c = curve._int_coeffs_qz(curve._eliminated_cached(p.key(), p.n_classes)[0])
    s, m, e = curve._two_adic_scaling(c)
    assert e > 0
    xs = [x for x in range(-3, 9) if sum(v * x ** k for k, v in enumerate(c[-1])) != 0]
    W = curve._disc_values_multimodular(c, xs, e)
    V = _flint_disc_values(c, xs)
    assert [w << e for w in W] == V
    # e is the best power over the scalings q -> 2^s q (brute force over s near the optimum)
    n = len(c) - 1
    v = [min((x & -x).bit_length() - 1 for x in row if x) for row in c if any(row)]
    js = [j for j, row in enumerate(c) if any(row)]
    best = max(min(vj + s2 * j for vj, j in zip(v, js)) * (2 * n - 2) - s2 * n * (n - 1)
               for s2 in range(s - 40, s + 41))
    assert e == best


def test_multimodular_disc_fallback_and_bound():
    # a leading coefficient divisible by one of the primes: that value comes from the exact
    # integer route, still equal; and the Hadamard bits bound holds (|Disc| < 2^b) for random
    # integer polynomials of degree 1..12
    p0 = curve._word_primes(1)[0]
    c = [[3, 1], [-7, 2], [5, 0], [p0, 0]]  # P = p0 q^3 + 5 q^2 + (2z - 7) q + (z + 3)
    xs = [0, 1, 2, 3]
    assert [w for w in curve._disc_values_multimodular(c, xs, 0)] == _flint_disc_values(c, xs)
    rng = random.Random(5)
    for _ in range(40):
        n = rng.randint(1, 12)
        a = [rng.randint(-10 ** 30, 10 ** 30) for _ in range(n)] + [rng.randint(1, 10 ** 30)]
        d = int(flint.fmpz_poly(a).discriminant())
        assert abs(d) < 2 ** curve._disc_bits_bound(a, n)


def test_word_primes_distinct_descending_from_threads():
    # the shared prime list grown from 4 threads at once: distinct, descending primes in
    # (2^61, 2^62), each thread seeing the same prefix (a duplicate prime would break the CRT)
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as ex:
        lists = list(ex.map(curve._word_primes, [300, 600, 450, 600]))
    full = lists[1]
    assert len(set(full)) == 600 and full == sorted(full, reverse=True)
    assert all(lst == full[:len(lst)] for lst in lists)
    assert all(2 ** 61 < p < 2 ** 62 and flint.fmpz(p).is_prime() for p in full)
