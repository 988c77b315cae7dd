"""theory: exact high-dimensional theory of a random-features score model on Gaussian mixtures.

Symbolic derivations (SymPy) of the Hermite/Gaussian-equivalence coefficients and edge
polynomials, compiled into fast (Numba) and high-precision (mpmath) solvers for the spectral
density, its edges, the class timescales and the speciation times. See docs/theory/.

One door: :func:`model` (``classdyn.theory.model.model(mixture, rf, t)``) returns the spectral
model of the mixture, centred (docs/theory/spectrum-centred.md) or with extensive centroids (§6–§7), with the same
methods for both kinds. Layout:

* parameters and validators: :mod:`~classdyn.theory.params` (``Mixture``, ``RandomFeatures``,
  the activation registry, ``check_*``);
* coefficients (docs/theory/gaussian-equivalence.md): :mod:`~classdyn.theory.activations` (SymPy),
  :mod:`~classdyn.theory.coefficients`, :mod:`~classdyn.theory.quadrature` (Numba);
* centred chain (§5), one way: :mod:`~classdyn.theory.spectral_params` →
  :mod:`~classdyn.theory.curve` → :mod:`~classdyn.theory.stieltjes` →
  :mod:`~classdyn.theory.edges` → :mod:`~classdyn.theory.spectrum` (bulks) →
  :mod:`~classdyn.theory.timescales`;
* bulks and the one rule naming their edges for both kinds: :mod:`~classdyn.theory.bulks`;
* extensive centroids (§6): :mod:`~classdyn.theory.extensive` (façade) over
  ``extensive_nodes``, ``extensive_bulk``, ``extensive_edges``, ``extensive_outliers``;
* speciation (§7), leading order and outlier threshold: :mod:`~classdyn.theory.speciation`;
* the one door: :mod:`~classdyn.theory.model`; CLI: ``cli_spectrum``, ``cli_speciation``,
  ``cli_coefficients``.

This package must stay light to import: it never imports torch or matplotlib, and the names
below are loaded on first use (PEP 562), so ``import classdyn.theory`` loads neither NumPy's
heavy friends nor Numba or SymPy.
"""

from classdyn._lazy import lazy_exports

#: public name → module that defines it. A function named like its own submodule
#: (``coefficients.coefficients``, ``timescales.timescales``) is not exported here: importing the
#: submodule would replace the package attribute by the module. Import it from the submodule;
#: ``model`` is the exception, its module being callable.
_EXPORTS = {
    "model": "model", "CentredModel": "model", "ExtensiveModel": "model",
    "NotApplicableError": "model",
    "Mixture": "params", "RandomFeatures": "params", "ACTIVATIONS": "params",
    "check_activation": "params", "check_positive": "params", "check_time": "params",
    "delta_t": "params",
    "SpectralParams": "spectral_params",
    "class_coefficients": "coefficients", "speciation_times": "speciation",
    "SpeciationTimes": "speciation", "Timescales": "bulks", "Bulk": "bulks",
    "named_timescales": "bulks", "Equations": "equations", "centred_equations": "equations",
    "check_choice": "params", "check_instance": "params", "check_int": "params",
    "check_positive_int": "params",
    "DataStatistics": "class_stats", "data_statistics": "class_stats",
    "spectra_along": "spectrum_path", "PathSpectrum": "spectrum_path",
}

_BY_MODULE: dict = {}
for _name, _module in _EXPORTS.items():
    _BY_MODULE.setdefault(_module, []).append(_name)
__getattr__, __dir__, __all__ = lazy_exports(__name__, {m: tuple(n) for m, n in _BY_MODULE.items()},
                                             globals())
del _name, _module
