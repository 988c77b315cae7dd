"""The spectral equations as SymPy objects (theory/equations.py, the door's ``equations()``):
the compiled solver's solution satisfies them, a perturbed one does not, they typeset
compactly, and the CLI prints them with --latex."""

import numpy as np
import pytest

from classdyn.cli import main
from classdyn.theory import Mixture, RandomFeatures, model
from classdyn.theory.equations import centred_equations

ZS = np.array([0.05 + 0.01j, 0.5 + 0.2j, 2.0 + 0.0j])  # inside, near and above the bulks


@pytest.mark.parametrize("C", [1, 2, 3])
def test_the_solvers_solution_satisfies_the_symbolic_system(C):
    """For C = 1..3 (variances 1, 1.5, 2; ψ_p = 4, ψ_n = 2, t = 0.1), substituting the numbers
    and the compiled solver's q(z), r(z) at three z leaves residuals ≤ 1e-10 (measured
    ≤ 8e-15: the solver's Newton tolerance; the symbolic system is evaluated at 30 digits).
    A solution with q off by 0.1 % leaves a residual ≥ 1e-4, so the check can fail."""
    m = model(Mixture(tuple(1.0 + 0.5 * c for c in range(C))), RandomFeatures(4.0, 2.0), t=0.1)
    eqs = m.equations()
    st = m.stieltjes(ZS)
    vals = m.params.to_dict()
    for z, q, r in zip(ZS, np.ravel(st.q), np.ravel(st.r)):
        assert max(abs(x) for x in eqs.residuals(vals, z, q, r)) <= 1e-10
    q1, r1 = np.ravel(st.q)[1], np.ravel(st.r)[1]
    assert max(abs(x) for x in eqs.residuals(vals, ZS[1], q1 * 1.001, r1)) >= 1e-4
    assert len(eqs.equations) == C + 4


def test_latex_of_two_classes_fits_on_a_page():
    """Compact: A, B and δ_c stay symbols. Bound: 1000 characters for C = 2 (measured ~620),
    a page holds ~3000."""
    tex = centred_equations(2).latex()
    assert tex.startswith("\\begin{aligned}") and len(tex) <= 1000
    assert "\\mathcal{A}" in tex and "\\alpha_{2}^{2}" in tex


def test_door_gives_the_edge_polynomial_and_the_cli_prints_the_equations(tmp_path, capsys):
    m = model(Mixture((1.0, 2.0)), RandomFeatures(4.0, 2.0), t=0.01)
    P, E = m.edge_polynomial()
    assert E.degree() == 29 and P.degree(0) == 9  # the C = 2 degrees of docs/theory/edges.md
    assert main(["times", "--variances", "1", "2", "--t", "0.01", "--latex",
                 "--out", str(tmp_path)]) == 0
    assert "\\begin{aligned}" in capsys.readouterr().out
    with pytest.raises(ValueError, match="n_classes"):
        centred_equations(0)
