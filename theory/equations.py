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

__all__ = ["Equations", "ExtensiveEquations", "centred_equations", "extensive_equations"]


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


# ---------------------------------------------------------------- extensive centroids
@lru_cache(maxsize=None)
def _expectation_class():
    import sympy as sp

    class E_m(sp.Function):
        """``E_m[f(m)]``: the average over the Gaussian law of the projected centroids ``m``,
        kept unevaluated (numbers come from a node set, :meth:`ExtensiveEquations.residuals`)."""

        nargs = 1

        def _latex(self, printer):
            return r"\mathbb{E}_{m}\left[%s\right]" % printer._print(self.args[0])

    return E_m


@dataclass
class ExtensiveEquations(Equations):
    """The extensive-centroid bulk system (docs/theory/extensive.md) as ``(label, sympy.Eq)``
    pairs; ``E_m`` is an unevaluated average (symbol ``E_m``), ``R(m, z)``, ``a_c(m)``,
    ``v_c²(m)``, ``s̄²(m)`` undefined functions of the projected centroids ``m``.

    Parameters
    ----------
    equations : list of (str, sympy.Eq)
        Labelled equations, in the order they are evaluated.
    symbols : dict
        Name → SymPy object: ``z, t, Delta, psi_p, psi_n, q, m`` and per class tuples ``rho,
        sigma2, delta, kappa``, matrices ``T`` and ``M`` (symmetric, of symbols), the function
        applications ``a, v2`` (tuples), ``sbar2``, ``R`` and the class ``E_m``.
    unknowns : tuple of str
        ``delta``, ``T`` (what the solver returns, with ``q``).

    Examples
    --------
    >>> from classdyn.theory.equations import extensive_equations
    >>> eqs = extensive_equations(2)
    >>> [label.split()[0] for label, _ in eqs.equations][:4]
    ['(ext-kappa)', '(ext-kappa)', '(ext-M)', '(ext-R)']
    """

    def latex(self) -> str:
        r"""The system typeset for LaTeX (``aligned``; one equation per line).

        Returns
        -------
        str

        Examples
        --------
        >>> from classdyn.theory.equations import extensive_equations
        >>> "\\mathbb{E}_{m}" in extensive_equations(1).latex()
        True
        """
        import sympy as sp

        lines = [sp.latex(e.lhs) + " &= " + sp.latex(e.rhs) for _, e in self.equations]
        return "\\begin{aligned}\n" + " \\\\\n".join(lines) + "\n\\end{aligned}"

    def residuals(self, nodes, z, q, delta, T) -> list:
        """Evaluate every equation (left minus right side) at a solution ``(q, δ, T)`` at ``z``,
        the averages ``E_m`` done by the weighted sums of the node set ``nodes`` (the solver's
        own); ``κ_c``, ``M`` and ``R(m_i, z)`` at each node take the values their defining
        equations give (residual 0).

        Parameters
        ----------
        nodes : ExtensiveNodes
            Nodes of ``E_m`` with their coefficients (:func:`classdyn.theory.extensive.gaussian_nodes`).
        z : complex
            The point.
        q : complex
            ``E_m R``.
        delta : array_like, shape (C,)
        T : array_like, shape (C, C)
            The solution (:class:`classdyn.theory.extensive.BulkSolution` at one point).

        Returns
        -------
        list of complex
            One residual per equation (per entry of a matrix equation: its largest modulus).

        Examples
        --------
        >>> from classdyn.theory import Mixture, RandomFeatures, model
        >>> e = model(Mixture((1.0, 2.0), norms2=(1.0, 1.0)), RandomFeatures(2.0, 1.0), t=0.5,
        ...           order=8)
        >>> s = e.stieltjes(1.0 + 0.2j)
        >>> res = e.equations().residuals(e.nodes, 1.0 + 0.2j, s.q[0], s.delta[0], s.T[0])
        >>> max(abs(r) for r in res) < 1e-10
        True
        """
        import numpy as np
        import sympy as sp

        s = self.symbols
        C = len(s["rho"])
        delta = np.asarray(delta, dtype=complex).reshape(C)
        T = np.asarray(T, dtype=complex).reshape(C, C)
        num = {s["z"]: complex(z), s["q"]: complex(q), s["t"]: float(nodes.t),
               s["psi_p"]: float(nodes.psi_p), s["psi_n"]: float(nodes.psi_n),
               s["Delta"]: float(nodes.Delta)}
        for c in range(C):
            num[s["rho"][c]] = float(nodes.rho[c])
            num[s["sigma2"][c]] = float(nodes.sigma2[c])
            num[s["delta"][c]] = complex(delta[c])
            for k in range(C):
                num[s["T"][c, k]] = complex(T[c, k])
        per_node = {s["sbar2"]: np.asarray(nodes.s2bar, dtype=complex)}
        for c in range(C):
            per_node[s["a"][c]] = np.asarray(nodes.a[:, c], dtype=complex)
            per_node[s["v2"][c]] = np.asarray(nodes.v2[:, c], dtype=complex)
        w = np.asarray(nodes.weights, dtype=float)
        out = []
        for _label, eq in self.equations:
            lhs, rhs = eq.lhs, eq.rhs
            if lhs == s["R"]:  # a definition at every node
                per_node[lhs] = _at_nodes(rhs, num, per_node, w, s["E_m"])
                out.append(0j)
                continue
            if isinstance(lhs, sp.MatrixBase):
                val = np.array(sp.Matrix(rhs.xreplace(
                    {k: sp.sympify(v) for k, v in num.items()})).doit().evalf(),
                    dtype=complex)
                syms = list(lhs)
                if all(x not in num for x in syms):  # a definition (M)
                    for x, v in zip(syms, val.ravel()):
                        num[x] = complex(v)
                    out.append(0j)
                    continue
                got = np.array([[num[x] for x in row] for row in lhs.tolist()], dtype=complex)
                out.append(complex((got - val).ravel()[np.argmax(np.abs(got - val))]))
                continue
            value = _scalar(rhs, num, per_node, w, s["E_m"])
            if lhs.is_Symbol and lhs not in num:  # a definition (kappa_c)
                num[lhs] = value
                out.append(0j)
                continue
            out.append(_scalar(lhs, num, per_node, w, s["E_m"]) - value)
        return out


def _at_nodes(expr, num, per_node, w, Em):
    """``expr`` (no ``E_m`` inside) evaluated at every node: the node functions replaced by
    dummies, lambdified with NumPy (complex)."""
    import numpy as np
    import sympy as sp

    expr = _reduce_expectations(expr, num, per_node, w, Em)
    keys = [k for k in per_node if expr.has(k)]  # before z is replaced inside R(m, z)
    dums = [sp.Dummy() for _ in keys]
    expr = expr.xreplace(dict(zip(keys, dums))).xreplace(
        {k: sp.sympify(v) for k, v in num.items()})
    f = sp.lambdify(dums, expr, modules="numpy")
    val = f(*[per_node[k] for k in keys])
    return np.broadcast_to(np.asarray(val, dtype=complex), w.shape).copy()


def _reduce_expectations(expr, num, per_node, w, Em):
    """Replace every ``E_m[f]`` in ``expr`` by ``Σ_i w_i f(m_i)`` (a number)."""
    import sympy as sp

    reps = {}
    for e in expr.atoms(Em):
        reps[e] = sp.sympify(complex(w @ _at_nodes(e.args[0], num, per_node, w, Em)))
    return expr.xreplace(reps)


def _scalar(expr, num, per_node, w, Em) -> complex:
    import sympy as sp

    expr = _reduce_expectations(expr, num, per_node, w, Em)
    return complex(sp.N(expr.xreplace({k: sp.sympify(v) for k, v in num.items()}), 30))


@lru_cache(maxsize=None)
def extensive_equations(n_classes: int) -> ExtensiveEquations:
    r"""The extensive-centroid bulk system, symbolic (docs/theory/extensive.md, equations
    (ext-kappa), (ext-M), (ext-R), (ext-T), (ext-delta), (ext-q); the paper gives this system
    no number: its (107) is a replica system it leaves unsolved, docs/theory/extensive.md).

    .. math::

        \kappa_c = \rho_c\Big(\frac{e^{-2t}\sigma_c^2}{1+\delta_c} + \Delta_t\Big),\qquad
        M = (\mathrm{diag}(\kappa)^{-1} + T)^{-1},

        R(m, z) = \Big[-z + \bar s^2(m) + \sum_c \frac{\rho_c v_c^2(m)}{1+\delta_c}
        + \sum_{c,c'} a_c(m) M_{cc'} a_{c'}(m)\Big]^{-1},

        T_{cc'} = \psi_p\,\mathbb E_m[a_c a_{c'} R],\qquad
        \delta_c = \frac{1}{\psi_n}\Big[e^{-2t}\sigma_c^2\,(T - TMT)_{cc}
        + \psi_p\,\mathbb E_m[v_c^2 R]\Big],\qquad q = \mathbb E_m R,

    with ``T − TMT = T(I + diag(κ)T)⁻¹`` (the form of (ext-delta) in the docs).

    Parameters
    ----------
    n_classes : int
        Number of classes ``C`` (≥ 1).

    Returns
    -------
    ExtensiveEquations
        ``C`` definitions of ``κ_c``, the matrix definition of ``M``, the definition of
        ``R(m, z)``, the ``C(C+1)/2`` equations of ``T``, ``C`` of ``δ_c`` and that of ``q``.

    Raises
    ------
    ValueError
        ``n_classes`` not an integer ≥ 1.

    Examples
    --------
    >>> from classdyn.theory.equations import extensive_equations
    >>> print(extensive_equations(1).equations[-1][1])
    Eq(q, E_m(R(m, z)))
    """
    import sympy as sp

    if not isinstance(n_classes, int) or isinstance(n_classes, bool) or n_classes < 1:
        raise ValueError(f"n_classes must be an integer >= 1, got {n_classes!r}")
    C = n_classes
    Em = _expectation_class()
    z, q, mm = sp.symbols("z q m")
    t, Dt, pp, pn = sp.symbols("t Delta_t psi_p psi_n", positive=True)
    rho = tuple(sp.Symbol(f"rho_{c}", positive=True) for c in range(1, C + 1))
    sig = tuple(sp.Symbol(f"sigma_{c}^2", positive=True) for c in range(1, C + 1))
    dl = tuple(sp.Symbol(f"delta_{c}") for c in range(1, C + 1))
    ka = tuple(sp.Symbol(f"kappa_{c}") for c in range(1, C + 1))

    def sym_matrix(name):
        return sp.ImmutableMatrix(C, C, lambda i, j: sp.Symbol(
            f"{name}_{min(i, j) + 1}{max(i, j) + 1}"))

    T, M = sym_matrix("T"), sym_matrix("M")
    a = tuple(sp.Function(f"a_{c}")(mm) for c in range(1, C + 1))
    v2 = tuple(sp.Function(f"v_{c}^2")(mm) for c in range(1, C + 1))
    sbar2 = sp.Function("sbar^2")(mm)
    R = sp.Function("R")(mm, z)
    e2 = sp.exp(-2 * t)
    eqs = [(f"(ext-kappa) c={c + 1}", sp.Eq(ka[c], rho[c] * (e2 * sig[c] / (1 + dl[c]) + Dt)))
           for c in range(C)]
    kinv = sp.ImmutableMatrix(sp.diag(*[1 / k for k in ka]))
    eqs.append(("(ext-M)", sp.Eq(M, sp.Inverse(kinv + T), evaluate=False)))
    aMa = sum(a[i] * M[i, j] * a[j] for i in range(C) for j in range(C))
    eqs.append(("(ext-R)", sp.Eq(R, 1 / (-z + sbar2 + sum(rho[c] * v2[c] / (1 + dl[c])
                                                          for c in range(C)) + aMa))))
    eqs += [(f"(ext-T) c={i + 1},{j + 1}", sp.Eq(T[i, j], pp * Em(a[i] * a[j] * R)))
            for i in range(C) for j in range(i, C)]
    TMT = T * M * T
    eqs += [(f"(ext-delta) c={c + 1}",
             sp.Eq(dl[c], (e2 * sig[c] * (T[c, c] - TMT[c, c]) + pp * Em(v2[c] * R)) / pn))
            for c in range(C)]
    eqs.append(("(ext-q)", sp.Eq(q, Em(R))))
    syms = {"z": z, "q": q, "m": mm, "t": t, "Delta": Dt, "psi_p": pp, "psi_n": pn, "rho": rho,
            "sigma2": sig, "delta": dl, "kappa": ka, "T": T, "M": M, "a": a, "v2": v2,
            "sbar2": sbar2, "R": R, "E_m": Em}
    return ExtensiveEquations(equations=eqs, symbols=syms, unknowns=("q", "delta", "T"))
