"""GENERATED FILE - do not edit. Written by ``classdyn.theory.codegen.generate()``
(``python scripts/generate_kernels.py``) from the SymPy expressions
``classdyn.theory.activations.kernel_expressions(name)`` for name in linear, relu, erf:
``mu0, a, v2, s2`` of docs/theory/gaussian-equivalence.md in the variables ``m``,
``s2 = e^(-2t) sigma^2`` and ``D = Delta_t = 1 - e^(-2t)``, after ``sympy.cse``.

Each ``<name>_scalar(m, s2, D)`` returns ``(mu0, a, v2, s2)``; ``<name>_batch(m, s2, D, out)``
fills ``out[i] = <name>_scalar(m[i], s2[i], D)``. Both are plain Python (``math``) until their
``.jit`` twin is asked for (Numba, compiled on first use); ``.source`` holds each one's code.
"""

import math

from classdyn.theory._lazyjit import lazy_njit
from classdyn.theory.quadrature import normal_cdf, owens_t_diff


@lazy_njit
def linear_scalar(m, s2, D):
    """linear: (mu0, a, v2, s2) at one m (generated)."""
    r_mu0 = m
    r_a = 1.0
    r_v2 = 0.0
    r_s2 = 0.0
    return (r_mu0, r_a, r_v2, r_s2)


@lazy_njit
def linear_batch(m, s2, D, out):
    """linear: out[i] = linear_scalar(m[i], s2[i], D) (generated)."""
    for i in range(m.shape[0]):
        r = linear_scalar(m[i], s2[i], D)
        out[i, 0] = r[0]
        out[i, 1] = r[1]
        out[i, 2] = r[2]
        out[i, 3] = r[3]


@lazy_njit
def relu_scalar(m, s2, D):
    """relu: (mu0, a, v2, s2) at one m (generated)."""
    x0 = D + s2
    x1 = math.sqrt(x0)
    x2 = m/x1
    x3 = normal_cdf(x2)
    x4 = math.sqrt(2)
    x5 = 1/math.sqrt(math.pi)
    x6 = 1/x0
    x7 = m**2
    x8 = x6*x7
    x9 = math.exp(-1/2*x8)
    x10 = x4*x5*x9
    x11 = x1*x10
    x12 = m*x3 + (1/2)*x11
    x13 = x3**2
    x14 = s2*x6
    x15 = x14 + 1
    x16 = 1/x15
    x17 = math.sqrt(x16*(1 - x14))
    x18 = x3 - 2*owens_t_diff(x2, 0.0, x17)
    x19 = m*normal_cdf(x17*x2)
    x20 = x0*(-s2*x10*x19/x0**(3/2) + x14*x18 + (1/2)*math.sqrt(-s2**2/x0**2 + 1)*math.exp(-x16*x8)/math.pi) + x11*x15*x19 + x18*x7
    r_mu0 = x12
    r_a = x3
    r_v2 = -s2*x13 - x12**2 + x20
    r_s2 = -D*x13 + (1/2)*m*x1*x4*x5*x9 - x20 + x3*(x0 + x7)
    return (r_mu0, r_a, r_v2, r_s2)


@lazy_njit
def relu_batch(m, s2, D, out):
    """relu: out[i] = relu_scalar(m[i], s2[i], D) (generated)."""
    for i in range(m.shape[0]):
        r = relu_scalar(m[i], s2[i], D)
        out[i, 0] = r[0]
        out[i, 1] = r[1]
        out[i, 2] = r[2]
        out[i, 3] = r[3]


@lazy_njit
def erf_scalar(m, s2, D):
    """erf: (mu0, a, v2, s2) at one m (generated)."""
    x0 = 2*D + 1
    x1 = 2*s2 + x0
    x2 = 1/math.sqrt(x1)
    x3 = m*x2
    x4 = 1/x1
    x5 = m**2*x4
    x6 = 4*s2
    x7 = x4*math.exp(-2*x5)/math.pi
    x8 = math.sqrt(2)*x3
    x9 = math.sqrt(x0)/math.sqrt(x0 + x6)
    x10 = 4*D
    r_mu0 = math.erf(x3)
    r_a = 2*x2*math.exp(-x5)/math.sqrt(math.pi)
    r_v2 = -x6*x7 + 8*owens_t_diff(x8, x9, 1.0)
    r_s2 = -x10*x7 + 8*owens_t_diff(x8, 1/math.sqrt(x10 + x6 + 1), x9)
    return (r_mu0, r_a, r_v2, r_s2)


@lazy_njit
def erf_batch(m, s2, D, out):
    """erf: out[i] = erf_scalar(m[i], s2[i], D) (generated)."""
    for i in range(m.shape[0]):
        r = erf_scalar(m[i], s2[i], D)
        out[i, 0] = r[0]
        out[i, 1] = r[1]
        out[i, 2] = r[2]
        out[i, 3] = r[3]

#: the generated code of each kernel (inspectable: ``<kernel>.source``)
_SOURCES = {
    linear_scalar: '@lazy_njit\ndef linear_scalar(m, s2, D):\n    """linear: (mu0, a, v2, s2) at one m (generated)."""\n    r_mu0 = m\n    r_a = 1.0\n    r_v2 = 0.0\n    r_s2 = 0.0\n    return (r_mu0, r_a, r_v2, r_s2)',
    linear_batch: '@lazy_njit\ndef linear_batch(m, s2, D, out):\n    """linear: out[i] = linear_scalar(m[i], s2[i], D) (generated)."""\n    for i in range(m.shape[0]):\n        r = linear_scalar(m[i], s2[i], D)\n        out[i, 0] = r[0]\n        out[i, 1] = r[1]\n        out[i, 2] = r[2]\n        out[i, 3] = r[3]',
    relu_scalar: '@lazy_njit\ndef relu_scalar(m, s2, D):\n    """relu: (mu0, a, v2, s2) at one m (generated)."""\n    x0 = D + s2\n    x1 = math.sqrt(x0)\n    x2 = m/x1\n    x3 = normal_cdf(x2)\n    x4 = math.sqrt(2)\n    x5 = 1/math.sqrt(math.pi)\n    x6 = 1/x0\n    x7 = m**2\n    x8 = x6*x7\n    x9 = math.exp(-1/2*x8)\n    x10 = x4*x5*x9\n    x11 = x1*x10\n    x12 = m*x3 + (1/2)*x11\n    x13 = x3**2\n    x14 = s2*x6\n    x15 = x14 + 1\n    x16 = 1/x15\n    x17 = math.sqrt(x16*(1 - x14))\n    x18 = x3 - 2*owens_t_diff(x2, 0.0, x17)\n    x19 = m*normal_cdf(x17*x2)\n    x20 = x0*(-s2*x10*x19/x0**(3/2) + x14*x18 + (1/2)*math.sqrt(-s2**2/x0**2 + 1)*math.exp(-x16*x8)/math.pi) + x11*x15*x19 + x18*x7\n    r_mu0 = x12\n    r_a = x3\n    r_v2 = -s2*x13 - x12**2 + x20\n    r_s2 = -D*x13 + (1/2)*m*x1*x4*x5*x9 - x20 + x3*(x0 + x7)\n    return (r_mu0, r_a, r_v2, r_s2)',
    relu_batch: '@lazy_njit\ndef relu_batch(m, s2, D, out):\n    """relu: out[i] = relu_scalar(m[i], s2[i], D) (generated)."""\n    for i in range(m.shape[0]):\n        r = relu_scalar(m[i], s2[i], D)\n        out[i, 0] = r[0]\n        out[i, 1] = r[1]\n        out[i, 2] = r[2]\n        out[i, 3] = r[3]',
    erf_scalar: '@lazy_njit\ndef erf_scalar(m, s2, D):\n    """erf: (mu0, a, v2, s2) at one m (generated)."""\n    x0 = 2*D + 1\n    x1 = 2*s2 + x0\n    x2 = 1/math.sqrt(x1)\n    x3 = m*x2\n    x4 = 1/x1\n    x5 = m**2*x4\n    x6 = 4*s2\n    x7 = x4*math.exp(-2*x5)/math.pi\n    x8 = math.sqrt(2)*x3\n    x9 = math.sqrt(x0)/math.sqrt(x0 + x6)\n    x10 = 4*D\n    r_mu0 = math.erf(x3)\n    r_a = 2*x2*math.exp(-x5)/math.sqrt(math.pi)\n    r_v2 = -x6*x7 + 8*owens_t_diff(x8, x9, 1.0)\n    r_s2 = -x10*x7 + 8*owens_t_diff(x8, 1/math.sqrt(x10 + x6 + 1), x9)\n    return (r_mu0, r_a, r_v2, r_s2)',
    erf_batch: '@lazy_njit\ndef erf_batch(m, s2, D, out):\n    """erf: out[i] = erf_scalar(m[i], s2[i], D) (generated)."""\n    for i in range(m.shape[0]):\n        r = erf_scalar(m[i], s2[i], D)\n        out[i, 0] = r[0]\n        out[i, 1] = r[1]\n        out[i, 2] = r[2]\n        out[i, 3] = r[3]',
}
for _k, _src in _SOURCES.items():
    _k.source = _src
del _k, _src
