r"""The spectral equations as SymPy objects: print them, typeset them, substitute numbers
(docs/theory/spectrum-centred.md, paper eqs. (114)).

For centred classes the model solves, with ``k = ψ_p/ψ_n``,

.. math::

    \delta_c = k\,(\alpha_c^2 r + v_c^2 q), \qquad
    \mathcal A = \bar b^2 + \sum_c \frac{\rho_c \alpha_c^2}{1+\delta_c}, \qquad
    \mathcal B = -z + \bar s^2 + \sum_c \frac{\rho_c v_c^2}{1+\delta_c},

    \mathcal A r + \mathcal B q = 1, \qquad
    \psi_p \mathcal A \mathcal B q^2 + (1-\psi_p)\mathcal A q + \mathcal B q - 1 = 0 ,

for the Stieltjes transform ``q(z)`` and the second resolvent ``r(z)``. :func:`centred_equations`
returns them as :class:`sympy.Eq` over named symbols, ``A``, ``B`` and ``δ_c`` kept as symbols so
the system stays compact; :meth:`Equations.residuals` substitutes a model's numbers and a
solution ``(q, r)`` at ``z`` and evaluates every equation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

__all__ = ["Equations", "centred_equations"]


@dataclass
class Equations:
    """A system of equations: ``(label, sympy.Eq)`` pairs and the symbols they use.

    Parameters
    ----------
    equations : list of (str, sympy.Eq)
        Each equation with its label: the docs equation name and the paper's number where the
        paper numbers it.
    symbols : dict
        Name → SymPy symbol (tuples for per-class symbols): ``q, r, z, psi_p, psi_n, bbar2,
        sbar2, A, B, rho, alpha2, v2, delta``.
    unknowns : tuple of str
        The names solved for.

    Examples
    --------
    >>> from classdyn.theory.equations import centred_equations
    >>> eqs = centred_equations(1)
    >>> [label for label, _ in eqs.equations]  # doctest: +NORMALIZE_WHITESPACE
    ['(spec-delta) c=1', '(spec-det-equiv) A', '(spec-det-equiv) B',
     '(spec-eq-trace), paper (114)', '(spec-eq-mp), paper (114)']
    """

    equations: list
    symbols: dict
    unknowns: tuple = field(default=("q", "r"))

    def latex(self) -> str:
        r"""The system typeset for LaTeX (``aligned``; one equation per line).

        Returns
        -------
        str

        Examples
        --------
        >>> from classdyn.theory.equations import centred_equations
        >>> print(centred_equations(1).latex().splitlines()[0])
        \begin{aligned}
        """
        import sympy as sp

        s = self.symbols
        names = {s["bbar2"]: r"\bar b^{2}", s["sbar2"]: r"\bar s^{2}", s["A"]: r"\mathcal{A}",
                 s["B"]: r"\mathcal{B}", s["psi_p"]: r"\psi_p", s["psi_n"]: r"\psi_n"}
        for c, (rh, a2, v2, dl) in enumerate(zip(s["rho"], s["alpha2"], s["v2"], s["delta"]), 1):
            names.update({rh: rf"\rho_{{{c}}}", a2: rf"\alpha_{{{c}}}^{{2}}",
                          v2: rf"v_{{{c}}}^{{2}}", dl: rf"\delta_{{{c}}}"})
        lines = [sp.latex(e.lhs, symbol_names=names) + " &= "
                 + sp.latex(e.rhs, symbol_names=names) for _, e in self.equations]
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def residuals(self, values: dict, z, q, r) -> list:
        """Evaluate every equation (left minus right side) at numbers: the parameters in
        ``values`` (symbol name → number; per-class names → sequences), ``z`` and a solution
        ``(q, r)``; ``δ_c``, ``A``, ``B`` take the values their defining equations give.

        Parameters
        ----------
        values : dict
            ``psi_p, psi_n, bbar2, sbar2`` numbers and ``rho, alpha2, v2`` sequences.
        z, q, r : complex
            The point and the solution.

        Returns
        -------
        list of complex
            One residual per equation, in the order of :attr:`equations`.

        Examples
        --------
        >>> from classdyn.theory.equations import centred_equations
        >>> vals = dict(psi_p=2.0, psi_n=1.0, bbar2=0.0, sbar2=0.0, rho=[1.0], alpha2=[0.0],
        ...             v2=[1.0])
        >>> res = centred_equations(1).residuals(vals, 1.0 + 1.0j, 0.2 + 0.3j, 0.0)
        >>> len(res)
        5
        """
        import sympy as sp

        s = self.symbols
        sub = {s["z"]: sp.sympify(complex(z)), s["q"]: sp.sympify(complex(q)),
               s["r"]: sp.sympify(complex(r))}
        for name in ("psi_p", "psi_n", "bbar2", "sbar2"):
            sub[s[name]] = sp.Float(float(values[name]), 30)
        for name in ("rho", "alpha2", "v2"):
            for sym, v in zip(s[name], values[name]):
                sub[sym] = sp.Float(float(v), 30)
        out = []
        for _label, eq in self.equations:
            rhs = complex(sp.N(eq.rhs.xreplace(sub), 30))
            if eq.lhs.is_Symbol and eq.lhs not in sub:  # a definition: it fixes the symbol
                sub[eq.lhs] = sp.sympify(rhs)
                out.append(0j)
                continue
            out.append(complex(sp.N(eq.lhs.xreplace(sub), 30)) - rhs)
        return out


@lru_cache(maxsize=None)
def centred_equations(n_classes: int) -> Equations:
    """The centred spectral system for ``n_classes`` classes, symbolic
    (docs/theory/spectrum-centred.md, equations (spec-delta), (spec-det-equiv),
    (spec-eq-trace), (spec-eq-mp); paper eqs. (114)).

    Parameters
    ----------
    n_classes : int
        Number of classes ``C`` (≥ 1).

    Returns
    -------
    Equations
        ``δ_c`` (C definitions), ``A``, ``B`` (definitions), and the two closing equations in
        ``(q, r)``.

    Raises
    ------
    ValueError
        ``n_classes`` not an integer ≥ 1.

    Examples
    --------
    >>> from classdyn.theory.equations import centred_equations
    >>> eqs = centred_equations(2)
    >>> print(eqs.equations[-2][1])
    Eq(A*r + B*q, 1)
    """
    import sympy as sp

    if not isinstance(n_classes, int) or isinstance(n_classes, bool) or n_classes < 1:
        raise ValueError(f"n_classes must be an integer >= 1, got {n_classes!r}")
    C = n_classes
    q, r, z = sp.symbols("q r z")
    pp, pn, bb, ss = sp.symbols("psi_p psi_n bbar2 sbar2", positive=True)
    A, B = sp.symbols("A B")
    rho = sp.symbols(f"rho_1:{C + 1}", positive=True)
    a2 = sp.symbols(f"alpha2_1:{C + 1}", nonnegative=True)
    v2 = sp.symbols(f"v2_1:{C + 1}", nonnegative=True)
    dl = sp.symbols(f"delta_1:{C + 1}")
    eqs = [(f"(spec-delta) c={c + 1}", sp.Eq(dl[c], pp / pn * (a2[c] * r + v2[c] * q)))
           for c in range(C)]
    eqs.append(("(spec-det-equiv) A",
                sp.Eq(A, bb + sum(rho[c] * a2[c] / (1 + dl[c]) for c in range(C)))))
    eqs.append(("(spec-det-equiv) B",
                sp.Eq(B, -z + ss + sum(rho[c] * v2[c] / (1 + dl[c]) for c in range(C)))))
    eqs.append(("(spec-eq-trace), paper (114)", sp.Eq(A * r + B * q, 1)))
    eqs.append(("(spec-eq-mp), paper (114)",
                sp.Eq(pp * A * B * q ** 2 + (1 - pp) * A * q + B * q - 1, 0)))
    syms = {"q": q, "r": r, "z": z, "psi_p": pp, "psi_n": pn, "bbar2": bb, "sbar2": ss,
            "A": A, "B": B, "rho": rho, "alpha2": a2, "v2": v2, "delta": dl}
    return Equations(equations=eqs, symbols=syms)
