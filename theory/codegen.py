"""Generate the float64 closed-form coefficient kernels from their SymPy expressions.

:func:`generate` takes :func:`classdyn.theory.activations.kernel_expressions` (linear, ReLU, erf:
``μ0, a, v², s²`` of docs/theory/gaussian-equivalence.md as SymPy expressions of ``m``,
``s2 = e^{−2t}σ²``, ``D = Δ_t``), eliminates common subexpressions (``sympy.cse``) and prints each
with a Python code printer (``math`` functions; ``Φ`` → ``normal_cdf``, Owen's ``T`` →
``owens_t_diff``, the Gauss–Legendre Owen's-T segment of :mod:`classdyn.theory.quadrature`) into
the source of ``classdyn.theory._generated_coeffs``: per activation, a plain-Python scalar
function ``<name>_scalar(m, s2, D) -> (μ0, a, v², s²)`` and a loop ``<name>_batch(m, s2, D, out)``,
both lazy Numba kernels (:mod:`classdyn.theory._lazyjit`), so importing the module imports neither
SymPy nor Numba. The generated file is committed; ``python scripts/generate_kernels.py``
rewrites it, and a test checks that regenerating gives the committed bytes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

#: activations with closed-form kernels, in the order they are written
KERNELS = ("linear", "relu", "erf")
#: the generated module (relative to this file)
TARGET = Path(__file__).with_name("_generated_coeffs.py")
_OUTPUTS = ("mu0", "a", "v2", "s2")

_HEADER = '''"""GENERATED FILE - do not edit. Written by ``classdyn.theory.codegen.generate()``
(``python scripts/generate_kernels.py``) from the SymPy expressions
``classdyn.theory.activations.kernel_expressions(name)`` for name in {names}:
``mu0, a, v2, s2`` of docs/theory/gaussian-equivalence.md in the variables ``m``,
``s2 = e^(-2t) sigma^2`` and ``D = Delta_t = 1 - e^(-2t)``, after ``sympy.cse``.

Each ``<name>_scalar(m, s2, D)`` returns ``(mu0, a, v2, s2)``; ``<name>_batch(m, s2, D, out)``
fills ``out[i] = <name>_scalar(m[i], s2[i], D)``. Both are plain Python (``math``) until their
``.jit`` twin is asked for (Numba, compiled on first use); ``.source`` holds each one's code.
"""

import math

from classdyn.theory._lazyjit import lazy_njit
from classdyn.theory.quadrature import normal_cdf, owens_t_diff
'''


def _printer():
    from sympy.printing.pycode import PythonCodePrinter

    class KernelPrinter(PythonCodePrinter):
        """``math`` functions; Φ, Owen's T and its segments as kernel helpers."""

        def _print_NormalCDF(self, expr):
            return f"normal_cdf({self._print(expr.args[0])})"

        def _print_OwensT(self, expr):
            h, a = expr.args
            return f"owens_t_diff({self._arg(h)}, 0.0, {self._arg(a)})"

        def _print_OwensTDiff(self, expr):
            return "owens_t_diff({}, {}, {})".format(*(self._arg(v) for v in expr.args))

        def _arg(self, v):
            """A helper's argument; an integer constant as a float literal (one Numba type)."""
            return repr(float(v)) if v.is_Integer else self._print(v)

    return KernelPrinter({"fully_qualified_modules": True, "standard": "python3"})


@lru_cache(maxsize=None)
def kernel_source(name: str) -> str:
    """Python source of the scalar and batch kernels of one activation (see :func:`generate`).

    Parameters
    ----------
    name : str
        ``"linear"``, ``"relu"`` or ``"erf"``.

    Returns
    -------
    str
        The two function definitions, each preceded by ``@lazy_njit``.

    Examples
    --------
    >>> from classdyn.theory.codegen import kernel_source
    >>> print(kernel_source("linear").splitlines()[1])
    def linear_scalar(m, s2, D):
    """
    import sympy as sp

    from classdyn.theory.activations import Dk, kernel_expressions, m, s2k

    exprs = kernel_expressions(name)
    pr = _printer()
    reps, reduced = sp.cse([sp.sympify(exprs[k]) for k in _OUTPUTS],
                           symbols=sp.numbered_symbols("x"), order="canonical")
    free = {m, s2k, Dk}
    for lhs, rhs in reps:
        free.add(lhs)
    for e in reduced:
        extra = e.free_symbols - free
        if extra:  # pragma: no cover - a symbol the kernel has no value for
            raise ValueError(f"{name}: expression has unknown symbols {extra}")
    lines = ["@lazy_njit", f"def {name}_scalar(m, s2, D):",
             f'    """{name}: (mu0, a, v2, s2) at one m (generated)."""']
    lines += [f"    {pr.doprint(lhs)} = {_float_expr(pr, rhs)}" for lhs, rhs in reps]
    outs = []
    for key, e in zip(_OUTPUTS, reduced):
        var = f"r_{key}"
        lines.append(f"    {var} = {_float_expr(pr, e)}")
        outs.append(var)
    lines.append(f"    return ({', '.join(outs)})")
    lines += ["", "", "@lazy_njit", f"def {name}_batch(m, s2, D, out):",
              f'    """{name}: out[i] = {name}_scalar(m[i], s2[i], D) (generated)."""',
              "    for i in range(m.shape[0]):",
              f"        r = {name}_scalar(m[i], s2[i], D)",
              "        out[i, 0] = r[0]", "        out[i, 1] = r[1]",
              "        out[i, 2] = r[2]", "        out[i, 3] = r[3]"]
    return "\n".join(lines) + "\n"


def _float_expr(pr, e) -> str:
    """Print ``e``; a bare integer constant becomes a float literal (so every output is float)."""
    import sympy as sp

    if isinstance(e, sp.Integer):
        return repr(float(e))
    return pr.doprint(e)


def generate() -> str:
    """Source of ``classdyn.theory._generated_coeffs`` (the closed-form coefficient kernels).

    Per activation of :data:`KERNELS`: ``sympy.cse`` of
    :func:`classdyn.theory.activations.kernel_expressions` printed by a Python code printer
    (:func:`kernel_source`), then each kernel's ``.source`` attribute set to its own text.

    Returns
    -------
    str
        The module source (deterministic: a test compares it with the committed file).

    Examples
    --------
    >>> from classdyn.theory.codegen import generate
    >>> "GENERATED FILE - do not edit" in generate()[:40]
    True
    """
    sources = {name: kernel_source(name) for name in KERNELS}
    parts = [_HEADER.format(names=", ".join(KERNELS))]
    for name in KERNELS:
        parts.append("\n" + sources[name])
    tail = ["", "#: the generated code of each kernel (inspectable: ``<kernel>.source``)",
            "_SOURCES = {"]
    for name in KERNELS:
        scal, batch = sources[name].split("\n\n\n")
        tail.append(f"    {name}_scalar: {scal.strip()!r},")
        tail.append(f"    {name}_batch: {batch.strip()!r},")
    tail += ["}", "for _k, _src in _SOURCES.items():", "    _k.source = _src",
             "del _k, _src", ""]
    return "\n".join(parts) + "\n".join(tail)


def write(path: Path | str | None = None) -> Path:
    """Write :func:`generate`'s source to ``path`` (default: the package's generated module).

    Parameters
    ----------
    path : path-like, optional
        Where to write; default :data:`TARGET`.

    Returns
    -------
    pathlib.Path
        The file written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from classdyn.theory.codegen import generate, write
    >>> p = write(pathlib.Path(tempfile.mkdtemp()) / "k.py")
    >>> p.read_text() == generate()
    True
    """
    path = Path(TARGET if path is None else path)
    path.write_text(generate())
    return path
