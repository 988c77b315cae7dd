"""ddpm: a PyTorch U-Net DDPM on Fashion-MNIST pairs, memorisation per class, classifiers, gaps.

The only package that imports torch (install the ``ddpm`` extra). Submodules are imported on
demand, so ``import classdyn.ddpm`` works without torch (every name of ``__all__`` is
importable from here and loads its submodule, and torch, on first use), and so do the torch-free modules:

- :mod:`classdyn.ddpm.data` (NumPy only): ``load_fashion_mnist(dir=None)`` (IDX reader with checks),
  ``make_pair(data, classes, proportion, n, seed)`` (exact counts, pair normalisation),
  ``class_statistics(images, labels, classes=None, weights=None)`` (per-class mean pixel
  variance, normalised variance, centroid norm² per pixel, centroid cosines: the inputs of the
  random-features counterpart, docs/theory/ddpm.md / paper Result 4), ``CLASS_NAMES``, ``SNEAKER``;
- :mod:`classdyn.ddpm.config` (no torch): ``UNetConfig``, ``DiffusionConfig``, ``TrainConfig``,
  ``checkpoint_steps``;
- :mod:`classdyn.ddpm.gaps` (NumPy/matplotlib): ``crossing_time``, ``gap_table``, figures.

With torch: :mod:`classdyn.ddpm.unet` (``UNet``), :mod:`classdyn.ddpm.diffusion` (``Schedule``,
``ancestral_sample``, ``EmpiricalDenoiser``), :mod:`classdyn.ddpm.train` (``train`` with log-spaced
checkpoints and exact resume), :mod:`classdyn.ddpm.memorization` (``nearest_two``, ``is_memorised``,
``class_fractions``), :mod:`classdyn.ddpm.classifier` (``resnet18``, ``train_classifier``),
:mod:`classdyn.ddpm.pipeline` (the stages on a run folder and ``run_experiment``).

CLI: ``classdyn ddpm stats|train|sample|classify|memorization|gaps|run`` (:mod:`classdyn.ddpm.cli_ddpm`).
"""


from classdyn._lazy import lazy_exports

#: public name -> submodule that defines it (imported on first use, PEP 562)
_EXPORTS = {
    "data": ("load_fashion_mnist", "make_pair", "class_statistics", "ClassStatistics",
             "FashionMNIST", "Pair", "DataError", "CLASS_NAMES", "SNEAKER"),
    "config": ("UNetConfig", "DiffusionConfig", "TrainConfig", "checkpoint_steps"),
    "gaps": ("crossing_time", "interpolated_crossing", "memorisation_lead", "gap_table",
             "plot_fractions", "plot_gaps"),
    "memorization": ("nearest_two", "distance_ratio", "is_memorised", "class_fractions",
                     "ClassFractions"),
    "unet": ("UNet", "count_parameters"),
    "diffusion": ("Schedule", "ancestral_sample", "EmpiricalDenoiser"),
    "train": ("TrainResult", "load_run", "load_checkpoint_model"),
    "classifier": ("ClassifierConfig", "resnet18", "train_classifier", "load_classifier"),
    "pipeline": ("run_experiment", "train_pair", "sample_checkpoints", "classify_run",
                 "memorization_run", "gaps_run", "estimate_experiment_seconds"),
}
__getattr__, __dir__, __all__ = lazy_exports(__name__, _EXPORTS, globals())
