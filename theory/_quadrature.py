"""Transitional alias of :mod:`classdyn.theory.quadrature` (the module was renamed).

Kept only until ``simulate/features.py`` imports the public names
(``classdyn.theory.quadrature.owens_t_segment``, ``classdyn.theory.quadrature.gauss_legendre``);
delete it then. It defines no kernels of its own.
"""

from classdyn.theory.quadrature import *  # noqa: F401,F403
from classdyn.theory.quadrature import _GLW, _GLX, owens_t_segment  # noqa: F401
