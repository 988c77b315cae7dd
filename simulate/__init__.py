"""simulate: finite-size random-features experiments on CPU (docs/theory/model.md).

Modules, in the order of the flow of data:

- :mod:`~classdyn.simulate.data` — Gaussian-mixture samples (``sample_mixture``, centroids).
- :mod:`~classdyn.simulate.features` — the exact feature matrices (Mehler series for ``U``,
  Stein's lemma for ``V``, population class matrices) and their Gaussian-equivalent (GEP)
  counterparts.
- :mod:`~classdyn.simulate.systems` — one finite-size system: ``draw_system``, the
  :class:`FeatureSet` of ``U, V, U_c, V_c`` (``build_features``, ``build_U``; linear σ in
  closed form).
- :mod:`~classdyn.simulate.dynamics` — eigenbasis of ``U``, semi-analytic training and class
  test losses, score errors.
- :mod:`~classdyn.simulate.times` — per-class generalisation/memorisation times and gaps.
- :mod:`~classdyn.simulate.train` — explicit gradient descent with fresh noise.
- :mod:`~classdyn.simulate.speciation` — outliers of ``U(t)`` against the null, speciation times.
- :mod:`~classdyn.simulate.cli_simulate` — the ``classdyn simulate`` subcommand.

Every name of ``__all__`` is importable from here (``from classdyn.simulate import
draw_system``); the submodule is imported on first use (PEP 562), so ``import
classdyn.simulate`` stays light (no NumPy, SciPy or Numba at import).
"""

from __future__ import annotations

from classdyn._lazy import lazy_exports

_EXPORTS = {
    "data": ("as_generator", "class_counts", "make_centroids", "GMMSample", "sample_mixture"),
    "features": ("MEHLER_TOL", "MEMORY_MB", "MehlerInfo", "smoothed_derivatives", "exact_UV",
                 "exact_U", "exact_V", "exact_U_c", "exact_V_c", "gep_coefficients", "U_gep",
                 "V_gep", "U_c_gep", "V_c_gep"),
    "systems": ("FeatureSet", "build_features", "build_U", "draw_system"),
    "dynamics": ("Eigenbasis", "LossCurves", "tau_grid", "relax_factors", "eigenbasis",
                 "semi_analytic_curves", "losses_at", "weights_at", "score_error_mc"),
    "times": ("ClassTimes", "class_times", "gaps", "first_class"),
    "train": ("TrainRun", "TrainResult", "checkpoint_steps", "GDTrainer", "train_gd",
              "expected_gd", "gd_noise_excess"),
    "speciation": ("SpeciationSweep", "last_crossing", "speciation_sweep", "SlopeFit",
                   "fit_slopes"),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS, globals())
