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


# ---------------------------------------------------------------- extensive centroids
EXT_ZS = (0.3 + 0.1j, 1.0 + 0.05j, 2.5 + 0.5j)


@pytest.mark.parametrize("C", [1, 2, 3])
def test_extensive_solution_satisfies_the_symbolic_system(C):
    """ExtensiveModel.equations() (docs/theory/extensive.md, (ext-kappa)...(ext-q)) with E_m
    done by the solver's own nodes and the solver's (q, delta, T) at three z: residuals
    <= 1e-10 (measured <= 1.6e-12 for C = 1..3: the Newton tolerance 1e-12). delta_1 off by a
    relative 1e-6 leaves a residual >= 1e-8 (measured 1.5e-7 to 4.8e-7), so the check can fail;
    so does q off by 1e-6."""
    mix = Mixture(tuple(1.0 + 0.5 * c for c in range(C)),
                  norms2=tuple(1.0 - 0.25 * c for c in range(C)))
    m = model(mix, RandomFeatures(2.0, 1.0), t=0.5, order=(10 if C < 3 else 6))
    eqs = m.equations()
    labels = [lab.split()[0] for lab, _ in eqs.equations]
    assert labels.count("(ext-T)") == C * (C + 1) // 2 and labels.count("(ext-delta)") == C
    for z in EXT_ZS:
        s = m.stieltjes(z)
        assert s.converged[0]
        res = eqs.residuals(m.nodes, z, s.q[0], s.delta[0], s.T[0])
        assert max(abs(r) for r in res) <= 1e-10, (z, res)
        d2 = s.delta[0].copy()
        d2[0] *= 1 + 1e-6
        assert max(abs(r) for r in eqs.residuals(m.nodes, z, s.q[0], d2, s.T[0])) >= 1e-8
        bad_q = eqs.residuals(m.nodes, z, s.q[0] * (1 + 1e-6), s.delta[0], s.T[0])
        assert abs(bad_q[-1]) >= 0.5e-6 * abs(s.q[0])  # the (ext-q) residual is q * 1e-6


def test_extensive_latex_is_compact_and_keeps_the_average_unevaluated():
    """C = 2: E_m stays an unevaluated expectation, kappa_c, M, T as symbols; length bound
    3000 characters (a page; measured 1656)."""
    from classdyn.theory.equations import extensive_equations

    tex = extensive_equations(2).latex()
    assert tex.startswith("\\begin{aligned}") and len(tex) <= 3000
    for piece in ("\\mathbb{E}_{m}", "\\kappa_{2}", "T_{12}", "R{\\left(m,z \\right)}"):
        assert piece in tex
    with pytest.raises(ValueError, match="n_classes"):
        extensive_equations(0)


def test_cli_latex_prints_the_extensive_system(tmp_path, capsys):
    assert main(["edges", "--variances", "1", "--norms2", "1", "--t", "0.5", "--latex",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "docs/theory/extensive.md" in out and "\\mathbb{E}_{m}" in out
