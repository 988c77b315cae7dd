"""The algebraic curve of the centred spectral equations (THEORY.md §5): classdyn.theory.curve
(``F(q, r)``, ``Z(q, r, z)``, the eliminated polynomial ``P(q, z)`` and the edge polynomial).
"""

from classdyn.theory.curve import curve_polynomials, edge_polynomial, eliminated_polynomial
from classdyn.theory.params import Mixture, RandomFeatures
from classdyn.theory.spectral_params import SpectralParams


def _model(variances, weights, psi_p, psi_n, t):
    return SpectralParams.from_model(Mixture(variances=variances, weights=weights),
                                     RandomFeatures(psi_p, psi_n), t)


REF = _model((1.0, 2.0), (0.5, 0.5), 2.0, 1.0, 0.01)  # THEORY.md §5 reference case


def test_polynomial_degrees_and_printing():
    # THEORY.md §5: for C = 2, after stripping the z-free factors, P has degree 9 in q and 3
    # in z, and Disc_q P has degree 38 in z.
    P = eliminated_polynomial(REF)
    assert (P.degree(0), P.degree(1)) == (9, 3)
    assert edge_polynomial(REF, squarefree=False).degree() == 38
    F, Z, syms = curve_polynomials(2)
    assert "psi_p" in str(F) and "z" in str(Z) and "z" not in str(F)
    assert str(P).startswith("Poly(")
