"""ddpm: a PyTorch U-Net DDPM on Fashion-MNIST pairs, memorisation per class, classifiers, gaps.

The only package that imports torch (install the ``ddpm`` extra). Submodules are imported on
demand, so ``import ddpm`` works without torch, and so do the torch-free modules:

- :mod:`classdyn.ddpm.data` (NumPy only): ``load_fashion_mnist(dir=None)`` (IDX reader with checks),
  ``make_pair(data, classes, proportion, n, seed)`` (exact counts, pair normalisation),
  ``class_statistics(images, labels, classes=None, weights=None)`` (per-class mean pixel
  variance, normalised variance, centroid norm² per pixel, centroid cosines: the inputs of the
  random-features counterpart, THEORY.md §9 / paper Result 4), ``CLASS_NAMES``, ``SNEAKER``;
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
