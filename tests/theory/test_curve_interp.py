"""The fast route to the edge polynomial of classdyn.theory.curve (issue 12): the Sylvester-
assignment degree bound, exact integer interpolation and the gcd square-free part give exactly
the integers of the previous route (crude bound, Fraction interpolation, Yun factorisation).
"""

import math
import random
from fractions import Fraction

import flint
import pytest
import sympy as sp

from classdyn.theory import curve
from classdyn.theory.params import Mixture, RandomFeatures
from classdyn.theory.spectral_params import SpectralParams


def _params(variances, psi_p=2.0, psi_n=1.0, t=0.01):
    return SpectralParams.from_model(Mixture(variances=variances), RandomFeatures(psi_p, psi_n), t)


def _previous_route(key, n_classes):
    """The route of the commit before this one, written out independently here: degree bound
    (2 deg_q P − 2) max deg_z, values by direct sums, Fraction Newton interpolation, square-free
    part as the product of FLINT's squarefree factors, primitive with a positive lead."""
    c = curve._int_coeffs_qz(curve._eliminated_cached(key, n_classes)[0])
    nq, nz = len(c) - 1, max(len(row) for row in c) - 1
    xs, ys, zi = [], [], 0
    while len(xs) < (2 * nq - 2) * nz + 1:
        a = [sum(ck * zi ** k for k, ck in enumerate(row)) for row in c]
        if a[-1] != 0:
            xs.append(zi)
            ys.append(int(flint.fmpz_poly(a).discriminant()))
        zi = -zi if zi > 0 else 1 - zi
    coeffs = curve._interpolate_exact(xs, ys)
    while coeffs and coeffs[-1] == 0:
        coeffs.pop()
    den = math.lcm(*(x.denominator for x in coeffs))
    prod = flint.fmpz_poly([1])
    for f, _m in flint.fmpz_poly([int(x * den) for x in coeffs]).factor_squarefree()[1]:
        prod *= f
    sc = [int(x) for x in prod.coeffs()]
    g = math.gcd(*sc)
    sign = -1 if sc[-1] < 0 else 1
    return coeffs, [sign * x // g for x in sc]


CASES = [((1.0,), 2.0, 1.0, 0.3), ((1.0, 2.0), 2.0, 1.0, 0.01), ((0.7, 3.0), 3.0, 1.5, 0.2),
         ((1.0, 1.5, 2.0), 4.0, 2.0, 0.1)]


@pytest.mark.parametrize("variances,psi_p,psi_n,t", CASES)
def test_same_integers_as_previous_route(monkeypatch, variances, psi_p, psi_n, t):
    # exact equality of every integer (no tolerance): the polynomial must not change.
    monkeypatch.setenv("CLASSDYN_EDGE_CACHE", "0")
    p = _params(variances, psi_p, psi_n, t)
    new = curve._edge_coefficients.__wrapped__(p.key(), p.n_classes)
    old = _previous_route(p.key(), p.n_classes)
    assert new[0] == old[0] and all(x.denominator == 1 for x in new[0])
    assert new[1] == old[1]


def test_degree_bound_against_sympy_discriminant():
    # independent route: SymPy's symbolic discriminant of small random integer polynomials in
    # (q, z); the bound must hold, and be attained for generic dense coefficients.
    rng = random.Random(3)
    q, z = sp.symbols("q z")
    for n, degs in [(3, [1, 2, 0, 1]), (4, [0, 1, 1, 2, 2]), (5, [2, 0, 1, 3, 1, 2])]:
        c = [[rng.randint(-9, 9) or 1 for _ in range(d + 1)] for d in degs]
        P = sum(ck * q ** j * z ** k for j, row in enumerate(c) for k, ck in enumerate(row))
        true = sp.Poly(sp.discriminant(P, q), z).degree()
        bound = curve._disc_degree_bound(c)
        assert bound >= true
        crude = (2 * n - 2) * max(degs)
        assert bound <= crude
    ref = _params((1.0, 2.0))  # THEORY.md §5 case: Disc_q P has degree exactly 38
    c = curve._int_coeffs_qz(curve.eliminated_polynomial(ref))
    assert curve._disc_degree_bound(c) == 38


def test_interpolate_int_matches_fraction_route():
    rng = random.Random(5)
    f = [rng.randint(-10 ** 30, 10 ** 30) for _ in range(25)]
    xs = [0, 1, -1, 2, -2, 3, -3, 4, -4, 5, -5, 6, -6, 7, -7, 8, -8, 9, -9, 10, -10, 11, -11,
          12, -12]
    ys = [sum(a * x ** k for k, a in enumerate(f)) for x in xs]
    assert curve._interpolate_int(xs, ys) == f
    assert curve._interpolate_exact(xs, ys) == [Fraction(a) for a in f]
    # data of x/2 (not in Z[x]): an inexact division is detected, not rounded
    assert curve._interpolate_int([0, 1, 2], [0, 1, 2 + 1]) is None


def test_squarefree_part():
    x = flint.fmpz_poly([0, 1])
    f = 6 * (x - 1) ** 3 * (x + 2) * (3 * x - 1) ** 2
    s = curve._squarefree_part(f)
    expected = (x - 1) * (x + 2) * (3 * x - 1)
    assert s.degree() == 3 and s * expected.coeffs()[-1] == expected * s.coeffs()[-1]
