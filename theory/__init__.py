"""theory: exact high-dimensional theory of a random-features score model on Gaussian mixtures.

Symbolic derivations (SymPy) of the Hermite/Gaussian-equivalence coefficients and edge
polynomials, compiled into fast (Numba) and high-precision (mpmath) solvers for the spectral
density, its edges, the class timescales and the speciation times. See THEORY.md.

This package must stay light to import: it never imports torch or matplotlib, and submodules are
imported on demand.
"""
