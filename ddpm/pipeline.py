"""The stages of a DDPM experiment on one run folder, and a whole scaled-down experiment
(docs/theory/ddpm.md; paper Sec. 4, App. J).

Stages (each resumable: finished work on disk is reused, never redone):

1. :func:`train_pair` — build the pair and train (``classdyn.ddpm.train``);
2. :func:`sample_checkpoints` — ``n_samples`` DDPM ancestral samples from every checkpoint
   (``samples/step_XXXXXXXXX.npz``), the same seed at every checkpoint;
3. :func:`classify_run` — train the pair's ResNet-18 and assign every generated sample to a class
   (``samples/assign_step_XXXXXXXXX.npz``);
4. :func:`memorization_run` — nearest neighbours, the ratio test and ``f_c`` per checkpoint
   (``memorization.json`` / ``.npz``);
5. :func:`classdyn.ddpm.gaps.gap_table` over runs — threshold-crossing times and gaps, table and figures.
"""

from __future__ import annotations

import os
from dataclasses import asdict
from pathlib import Path

import numpy as np

from classdyn.io import atomic_save_npz, atomic_write_json, read_json

from .config import TrainConfig
from .data import CLASS_NAMES, class_statistics, load_fashion_mnist, make_pair, \
    validate_pair_request


def run_name(classes, proportion: float) -> str:
    from .data import class_slug

    return f"{class_slug(classes[0])}-{class_slug(classes[1])}_p{proportion:g}"


def check_request(cfg: TrainConfig, data=None, data_dir=None):
    """Validate the pair request against the data before any work (ValueError otherwise)."""
    from .data import IMAGE_SHAPE

    if IMAGE_SHAPE[0] % cfg.unet.image_size:
        raise ValueError(f"image_size: must divide 28 (28, 14, 7, ...) to downsample "
                         f"Fashion-MNIST, got {cfg.unet.image_size}")
    from .train import check_train_memory

    check_train_memory(cfg)  # before loading anything: an absurd model is refused at once
    if data is None:
        data = load_fashion_mnist(data_dir)
    avail = {c: int((data.train_labels == c).sum()) for c in range(10)}
    validate_pair_request(avail, cfg.classes, cfg.proportion, cfg.n)
    return data


def train_pair(cfg: TrainConfig, out, *, data=None, data_dir=None, **train_kw):
    """Build the pair of ``cfg`` from Fashion-MNIST and train the DDPM into ``out`` (stage 1).

    The request is validated against the data first (``image_size`` must divide 28; enough images
    per class), the images are block-averaged to ``cfg.unet.image_size``, the pair is drawn and
    normalised (:func:`classdyn.ddpm.data.make_pair`), and :func:`classdyn.ddpm.train.train` runs
    (resuming a run folder made with the same configuration). ``run.json`` records the pair and the
    class statistics of its two classes (docs/theory/ddpm.md, RF counterpart): relative to the
    balanced ten-class normalisation (``class_stats``; in a pair-centred balanced pair the centroids
    are ``±(μ_a − μ_b)/2``, equal norms, cosine −1, which says nothing about either class) and to
    the pair's own (``class_stats_pair``).

    Parameters
    ----------
    cfg : TrainConfig
        The run's configuration (classes, proportion, n, data_seed, model, schedule, optimiser).
    out : str or os.PathLike
        The run folder.
    data : FashionMNIST, optional
        The data set (every one of the ten classes needs >= 2 training images); default: loaded
        with :func:`classdyn.ddpm.data.load_fashion_mnist` from ``data_dir``.
    data_dir : str or os.PathLike, optional
        Where to load Fashion-MNIST from when ``data`` is not given.
    **train_kw
        Passed to :func:`classdyn.ddpm.train.train` (``device``, ``amp``, ``compile``,
        ``max_seconds``, ``progress``, ...).

    Returns
    -------
    TrainResult
        What the training did.

    Raises
    ------
    ValueError
        Before any work, for an ``image_size`` not dividing 28 or a pair the data cannot supply;
        :class:`classdyn.ddpm.data.DataError` when the data cannot be loaded.

    Examples
    --------
    Two steps on a synthetic 40-image data set, images downsampled to 4×4:

    >>> import json, tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from classdyn.ddpm.config import TrainConfig, UNetConfig, DiffusionConfig
    >>> from classdyn.ddpm.data import FashionMNIST
    >>> from classdyn.ddpm.pipeline import train_pair
    >>> labels = np.repeat(np.arange(10), 4)
    >>> imgs = np.random.default_rng(0).integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    >>> data = FashionMNIST(imgs, labels, imgs, labels, Path("."))
    >>> cfg = TrainConfig(n=4, steps=2, n_checkpoints=2, batch_size=2,
    ...                   unet=UNetConfig(image_size=4, pad_to=4, widths=(8,), enc_blocks=1,
    ...                                   dec_blocks=2, attn_levels=(), heads=2),
    ...                   diffusion=DiffusionConfig(T=4, beta_end=0.002))
    >>> out = tempfile.mkdtemp()
    >>> res = train_pair(cfg, out, data=data, device="cpu", progress=False)
    >>> res.step, res.checkpoints
    (2, [1, 2])
    >>> pair = json.loads((Path(out) / "run.json").read_text())["pair"]
    >>> pair["class_names"], pair["counts"]
    (['Sneaker', 'Bag'], [2, 2])
    """
    from .train import train

    data = check_request(cfg, data, data_dir).resized(cfg.unet.image_size)
    pair = make_pair(data, cfg.classes, cfg.proportion, cfg.n, seed=cfg.data_seed)
    # Centroid geometry for the RF counterpart: relative to the balanced ten-class mean (the
    # pair-centred centroids of a balanced pair are +-(mu_a - mu_b)/2, equal norms, cosine -1).
    glob = class_statistics(data.train_images, data.train_labels)
    pst = class_statistics(data.train_images, data.train_labels, classes=cfg.classes,
                           weights=[cfg.proportion, 1 - cfg.proportion])
    meta = {**pair.describe(), "class_stats": _stats_dict(glob, cfg.classes),
            "class_stats_pair": _stats_dict(pst, cfg.classes)}
    return train(cfg, out, pair.images, pair.labels, norm_mean=pair.norm.mean,
                 norm_std=pair.norm.std, pair_meta=meta, **train_kw)


def _stats_dict(stats, pair) -> dict:
    """The statistics of the two classes of ``pair`` from a :class:`ClassStatistics`."""
    j = [stats.classes.index(c) for c in pair]
    return {"raw_variance": {str(c): float(stats.raw_variance[i]) for c, i in zip(pair, j)},
            "variance": {str(c): float(stats.variance[i]) for c, i in zip(pair, j)},
            "norms2": {str(c): float(stats.norms2[i]) for c, i in zip(pair, j)},
            "cosine": float(stats.cosine[j[0], j[1]]),
            "normalisation_classes": stats.classes, "weights": stats.weights}


def sample_path(out, step: int) -> Path:
    return Path(out) / "samples" / f"step_{step:09d}.npz"


def sample_checkpoints(out, *, n_samples: int = 500, batch_size: int = 500, seed: int = 0,
                       device: str = "auto", amp: bool = False, steps=None,
                       progress: bool = True) -> list[int]:
    """DDPM ancestral samples from every checkpoint of a run (stage 2).

    ``n_samples`` samples of :func:`classdyn.ddpm.diffusion.ancestral_sample` per checkpoint, the
    same ``seed`` at every checkpoint (common random numbers), saved as
    ``samples/step_XXXXXXXXX.npz`` (``samples`` ``(n, H, W)``, ``seed``, ``step``); checkpoints
    already sampled with the same ``n_samples`` and ``seed`` are skipped (docs/theory/ddpm.md).

    Parameters
    ----------
    out : str or os.PathLike
        The run folder.
    n_samples : int, default 500
        Samples per checkpoint (>= 1).
    batch_size : int, default 500
        Samples denoised at once (>= 1).
    seed : int, default 0
        Seed of the sampler's noise.
    device : str, default "auto"
        ``"auto"``, ``"cpu"``, ``"cuda"`` or ``"cuda:K"``.
    amp : bool, default False
        bfloat16 autocast.
    steps : iterable of int, optional
        Only these checkpoint steps (default: all).
    progress : bool, default True
        Show a progress bar over checkpoints.

    Returns
    -------
    list of int
        The sampled (or already sampled) checkpoint steps.

    Raises
    ------
    ValueError
        For ``n_samples`` or ``batch_size`` < 1, a folder without a run, or no checkpoints.

    Examples
    --------
    A run folder with two (untrained) checkpoints, as :func:`classdyn.ddpm.train.train` writes them:

    >>> import tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from classdyn.ddpm.config import TrainConfig, UNetConfig, DiffusionConfig
    >>> from classdyn.ddpm.pipeline import sample_checkpoints
    >>> from classdyn.ddpm.train import atomic_torch_save, checkpoint_path, prepare_run
    >>> from classdyn.ddpm.unet import UNet
    >>> cfg = TrainConfig(n=4, steps=2, n_checkpoints=2, batch_size=2,
    ...                   unet=UNetConfig(image_size=4, pad_to=4, widths=(8,), enc_blocks=1,
    ...                                   dec_blocks=2, attn_levels=(), heads=2),
    ...                   diffusion=DiffusionConfig(T=4, beta_end=0.002))
    >>> images = np.random.default_rng(0).normal(size=(4, 4, 4)).astype(np.float32)
    >>> out = tempfile.mkdtemp()
    >>> meta = prepare_run(cfg, out, images, np.array([7, 8, 7, 8]))
    >>> for s in meta["checkpoint_steps"]:
    ...     _ = atomic_torch_save({"model": UNet(cfg.unet).state_dict(), "step": s,
    ...                            "identity_hash": cfg.identity_hash()}, checkpoint_path(out, s))
    >>> sample_checkpoints(out, n_samples=3, batch_size=3, device="cpu", progress=False)
    [1, 2]
    >>> with np.load(Path(out) / "samples" / "step_000000002.npz") as z:
    ...     print(z["samples"].shape, int(z["seed"]), int(z["step"]))
    (3, 4, 4) 0 2
    """
    from classdyn.progress import progress as pbar

    from .diffusion import Schedule, ancestral_sample
    from .train import list_checkpoints, load_checkpoint_model, load_run, resolve_device

    if n_samples < 1 or batch_size < 1:
        raise ValueError(f"samples: n_samples and batch_size must be >= 1, got {n_samples}, "
                         f"{batch_size}")
    cfg, meta = load_run(out)
    device = resolve_device(device)
    ckpts = list_checkpoints(out)
    if steps is not None:
        ckpts = [(s, p) for s, p in ckpts if s in set(steps)]
    if not ckpts:
        raise ValueError(f"out: no checkpoints in {out}/checkpoints; train first")
    sched = Schedule(cfg.diffusion, device)
    size = cfg.unet.image_size
    done = []
    for step, _ in pbar(ckpts, desc="sample checkpoints", disable=None if progress else True):
        path = sample_path(out, step)
        if path.is_file():
            with np.load(path) as z:
                if int(z["seed"]) == seed and len(z["samples"]) == n_samples:
                    done.append(step)
                    continue
        model = load_checkpoint_model(out, step, cfg, device)
        x = ancestral_sample(model, sched, n_samples, (1, size, size), seed=seed,
                             batch_size=batch_size, device=device, amp=amp)
        atomic_save_npz(path, samples=x[:, 0], seed=np.int64(seed), step=np.int64(step))
        done.append(step)
    return done


def _sample_files(out) -> list[tuple[int, Path]]:
    folder = Path(out) / "samples"
    res = []
    for p in sorted(folder.glob("step_*.npz")) if folder.is_dir() else []:
        res.append((int(p.stem[5:]), p))
    if not res:
        raise ValueError(f"out: no samples in {out}/samples; run `classdyn ddpm sample --out "
                         f"{out}` first")
    return res


def classify_run(out, *, clf_cfg=None, data=None, data_dir=None, device: str = "auto",
                 progress: bool = True) -> dict:
    """Train the pair's ResNet-18 and assign the samples of every checkpoint to a class (stage 3).

    The classifier (:func:`classdyn.ddpm.classifier.train_classifier`, reused when already saved
    with the same configuration) is trained on the Fashion-MNIST train images of the two classes,
    downsampled to the run's image size and normalised with the run's pair normalisation; the
    labels it assigns are saved as ``samples/assign_step_XXXXXXXXX.npz`` (docs/theory/ddpm.md).

    Parameters
    ----------
    out : str or os.PathLike
        The run folder (with samples from :func:`sample_checkpoints`).
    clf_cfg : ClassifierConfig, optional
        Classifier hyper-parameters (default ``ClassifierConfig()``).
    data : FashionMNIST, optional
        The data set; default loaded from ``data_dir``.
    data_dir : str or os.PathLike, optional
        Where to load Fashion-MNIST from when ``data`` is not given.
    device : str, default "auto"
        Torch device.
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    dict
        The classifier's result (``ClassifierResult.to_dict()``: ``macro_f1``,
        ``balanced_accuracy``, ``n_train``, ``n_val``, ...).

    Raises
    ------
    ValueError
        If ``out`` holds no run, no training pair or no samples.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from classdyn.ddpm.classifier import ClassifierConfig
    >>> from classdyn.ddpm.config import TrainConfig, UNetConfig, DiffusionConfig
    >>> from classdyn.ddpm.data import FashionMNIST
    >>> from classdyn.ddpm.pipeline import classify_run
    >>> from classdyn.ddpm.train import prepare_run
    >>> from classdyn.io import atomic_save_npz
    >>> cfg = TrainConfig(n=4, steps=2, n_checkpoints=2, batch_size=2,
    ...                   unet=UNetConfig(image_size=4, pad_to=4, widths=(8,), enc_blocks=1,
    ...                                   dec_blocks=2, attn_levels=(), heads=2),
    ...                   diffusion=DiffusionConfig(T=4, beta_end=0.002))
    >>> labels = np.repeat(np.arange(10), 4)
    >>> imgs = np.random.default_rng(0).integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    >>> data = FashionMNIST(imgs, labels, imgs, labels, Path("."))
    >>> out = tempfile.mkdtemp()
    >>> images = np.random.default_rng(1).normal(size=(4, 4, 4)).astype(np.float32)
    >>> _ = prepare_run(cfg, out, images, np.array([7, 8, 7, 8]))
    >>> _ = atomic_save_npz(Path(out) / "samples" / "step_000000002.npz", samples=images,
    ...                     seed=np.int64(0), step=np.int64(2))
    >>> res = classify_run(out, clf_cfg=ClassifierConfig(base_width=2, epochs=1, batch_size=8),
    ...                    data=data, device="cpu", progress=False)
    >>> res["n_train"], res["n_val"]        # the 8 Sneaker and Bag images, 10 % held out
    (7, 1)
    >>> with np.load(Path(out) / "samples" / "assign_step_000000002.npz") as z:
    ...     print(z["labels"].shape, set(z["labels"].tolist()) <= {7, 8})
    (4,) True
    """
    from .classifier import ClassifierConfig, load_classifier, predict, train_classifier
    from .train import load_pair, load_run, resolve_device

    cfg, meta = load_run(out)
    clf_cfg = clf_cfg or ClassifierConfig()
    device = resolve_device(device)
    if data is None:
        data = load_fashion_mnist(data_dir)
    data = data.resized(cfg.unet.image_size)
    pair = load_pair(out)
    from .data import Normalisation

    norm = Normalisation(mean=pair["norm_mean"], std=float(pair["norm_std"]))
    sel = np.isin(data.train_labels, cfg.classes)
    res = train_classifier(norm.apply(data.train_images[sel]), data.train_labels[sel],
                           cfg.classes, clf_cfg, out=out, device=device, progress=progress)
    net, _ = load_classifier(out, device)
    for step, path in _sample_files(out):
        with np.load(path) as z:
            x = z["samples"]
        idx = predict(net, x, device=device)
        atomic_save_npz(Path(out) / "samples" / f"assign_step_{step:09d}.npz",
                        labels=np.asarray(cfg.classes)[idx])
    return res.to_dict()


def memorization_run(out, *, assign: str = "auto", threshold: float = 1 / 3,
                     n_boot: int = 1000, device: str = "auto", seed: int = 0) -> dict:
    r"""Nearest neighbours, the ratio test and ``f_c`` for every checkpoint of a run (stage 4).

    Per checkpoint: exact NN1/NN2 of every sample in the training set, the ratio test
    (docs/theory/ddpm.md; :mod:`classdyn.ddpm.memorization`)

    .. math::

        \frac{\|x - \mathrm{NN}_1(x)\|}{\|x - \mathrm{NN}_2(x)\|} < \text{threshold}\ (1/3),
        \qquad f_c = \frac{\#\{\text{assigned to } c \text{ and memorised}\}}
        {\#\{\text{assigned to } c\}},

    with bootstrap errors (seed ``seed + step``). Writes ``memorization.json`` (per checkpoint
    ``fraction``, ``err``, ``count``, ``memorised_total``, ``mean_d1``, ``mean_d2``,
    ``median_ratio``, and the class statistics) and ``memorization.npz`` (``ratio_<step>``,
    ``labels_<step>``).

    Parameters
    ----------
    out : str or os.PathLike
        The run folder (with samples).
    assign : {"auto", "nn", "classifier"}, default "auto"
        How samples get a class: ResNet-18 labels from :func:`classify_run`, the label of NN1, or
        the classifier when its labels exist for every checkpoint.
    threshold : float, default 1/3
        Ratio-test threshold, in (0, 1].
    n_boot : int, default 1000
        Bootstrap resamples.
    device : str, default "auto"
        Torch device of the nearest-neighbour search.
    seed : int, default 0
        Base seed of the bootstrap.

    Returns
    -------
    dict
        The content of ``memorization.json``.

    Raises
    ------
    ValueError
        For an unknown ``assign``, a threshold outside (0, 1], a folder without a run or samples,
        or missing classifier labels with ``assign="classifier"``.

    Examples
    --------
    Samples that are copies of training images are all memorised:

    >>> import tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from classdyn.ddpm.config import TrainConfig, UNetConfig, DiffusionConfig
    >>> from classdyn.ddpm.pipeline import memorization_run
    >>> from classdyn.ddpm.train import prepare_run
    >>> from classdyn.io import atomic_save_npz
    >>> cfg = TrainConfig(n=4, steps=2, n_checkpoints=2, batch_size=2,
    ...                   unet=UNetConfig(image_size=4, pad_to=4, widths=(8,), enc_blocks=1,
    ...                                   dec_blocks=2, attn_levels=(), heads=2),
    ...                   diffusion=DiffusionConfig(T=4, beta_end=0.002))
    >>> images = np.random.default_rng(0).normal(size=(4, 4, 4)).astype(np.float32)
    >>> out = tempfile.mkdtemp()
    >>> _ = prepare_run(cfg, out, images, np.array([7, 8, 7, 8]))
    >>> for s in (1, 2):
    ...     _ = atomic_save_npz(Path(out) / "samples" / f"step_{s:09d}.npz",
    ...                         samples=images[[0, 1, 2, 3, 0]], seed=np.int64(0), step=np.int64(s))
    >>> mem = memorization_run(out, assign="nn", n_boot=10, device="cpu")
    >>> last = mem["checkpoints"][-1]
    >>> mem["assignment"], last["fraction"], last["count"], last["memorised_total"]
    ('nn', array([1., 1.]), array([3, 2]), 1.0)
    >>> memorization_run(out, assign="knn")
    Traceback (most recent call last):
    ...
    ValueError: assign: must be auto, nn or classifier, got 'knn'
    """
    from .memorization import class_fractions, distance_ratio, nearest_two
    from .train import load_pair, load_run, resolve_device

    if assign not in ("auto", "nn", "classifier"):
        raise ValueError(f"assign: must be auto, nn or classifier, got {assign!r}")
    if not 0 < threshold <= 1:
        raise ValueError(f"ratio threshold: must lie in (0, 1], got {threshold}")
    cfg, meta = load_run(out)
    device = resolve_device(device)
    pair = load_pair(out)
    train_x, train_y = pair["images"], pair["labels"]
    files = _sample_files(out)
    if assign == "auto":
        have = all((Path(out) / "samples" / f"assign_step_{s:09d}.npz").is_file()
                   for s, _ in files)
        assign = "classifier" if have else "nn"
    rows, arrays = [], {}
    for step, path in files:
        with np.load(path) as z:
            x = z["samples"]
        d1, d2, i1 = nearest_two(x, train_x, device=device)
        ratio = distance_ratio(d1, d2)
        mem = ratio < threshold
        if assign == "classifier":
            ap = Path(out) / "samples" / f"assign_step_{step:09d}.npz"
            if not ap.is_file():
                raise ValueError(f"assign: no classifier labels for step {step}; run "
                                 f"`classdyn ddpm classify --out {out}` or use --assign nn")
            with np.load(ap) as z:
                lab = z["labels"]
        else:
            lab = train_y[i1]
        cf = class_fractions(mem, lab, cfg.classes, n_boot=n_boot, seed=seed + step)
        rows.append({"step": step, "fraction": cf.fraction, "err": cf.err, "count": cf.count,
                     "memorised_total": float(mem.mean()),
                     "mean_d1": float(d1.mean()), "mean_d2": float(d2.mean()),
                     "median_ratio": float(np.median(ratio))})
        arrays[f"ratio_{step}"] = ratio
        arrays[f"labels_{step}"] = lab
    result = {"run": str(out), "classes": list(cfg.classes),
              "class_names": [CLASS_NAMES[c] for c in cfg.classes],
              "proportions": [cfg.proportion, 1 - cfg.proportion], "assignment": assign,
              "ratio_threshold": threshold, "n_train": int(len(train_x)),
              "class_stats": meta.get("pair", {}).get("class_stats", {}), "checkpoints": rows}
    atomic_save_npz(Path(out) / "memorization.npz", **arrays)
    atomic_write_json(Path(out) / "memorization.json", result)
    return result


def run_dirs_under(root) -> list[Path]:
    """Run folders (holding run.json) directly under ``root`` (or ``root`` itself)."""
    root = Path(root)
    if (root / "run.json").is_file():
        return [root]
    return sorted(p for p in root.iterdir() if (p / "run.json").is_file()) \
        if root.is_dir() else []


GAP_STATISTICS = ("log_gap", "lead")


def gaps_run(run_dirs, out, *, threshold: float = 0.5, scale: str | None = None,
             statistic: str = "log_gap", meta: dict | None = None) -> dict:
    """Gap table (gaps.json, gaps.csv) and figures (fractions.png, gaps.png) over runs (stage 5).

    The rows are :func:`classdyn.ddpm.gaps.gap_table` (crossing gap ``Δτ = τ_Sneaker − τ_partner``,
    its log version, the memorisation lead; docs/theory/ddpm.md). The JSON table records ``scale``
    (a label such as "CPU-scale"), ``gap_statistic`` (which per-run number comparisons should use:
    ``log_gap``, the crossing gap in decades, or ``lead``, the memorisation lead; see
    :mod:`classdyn.ddpm.gaps`), the provenance of the code
    (:func:`classdyn.provenance.provenance`), the seeds of every run and ``meta``.

    Parameters
    ----------
    run_dirs : sequence of str or os.PathLike
        Run folders, each with ``run.json`` and ``memorization.json``.
    out : str or os.PathLike
        Folder of the table and figures.
    threshold : float, default 0.5
        Memorised-fraction threshold θ, in (0, 1].
    scale : str, optional
        Label of the experiment's scale (default "user run").
    statistic : {"log_gap", "lead"}, default "log_gap"
        The gap statistic comparisons should use.
    meta : dict, optional
        More entries for the JSON table.

    Returns
    -------
    dict
        ``rows``, ``table_json`` and ``table_csv`` (paths), ``figures`` (two paths), ``threshold``.

    Raises
    ------
    ValueError
        For an unknown ``statistic``, no run folders, or a run without ``memorization.json``.

    Examples
    --------
    >>> import json, tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from classdyn.ddpm.config import TrainConfig
    >>> from classdyn.ddpm.pipeline import gaps_run
    >>> from classdyn.ddpm.train import prepare_run
    >>> run = Path(tempfile.mkdtemp())
    >>> cfg = TrainConfig(n=2, steps=100, unet={"widths": (8,), "heads": 2, "pad_to": 28,
    ...                                         "attn_levels": ()})
    >>> _ = prepare_run(cfg, run, np.zeros((2, 28, 28), np.float32), np.array([7, 8]))
    >>> ck = [{"step": s, "fraction": f, "err": [0.1, 0.1]}
    ...       for s, f in [(1, [0.0, 0.2]), (10, [0.2, 0.6]), (100, [0.8, 0.9])]]
    >>> stats = {"raw_variance": {"7": 0.05, "8": 0.1}}     # for the gap-against-variance figure
    >>> _ = (run / "memorization.json").write_text(json.dumps({"classes": [7, 8], "checkpoints": ck,
    ...                                                        "class_stats": stats,
    ...                                                        "proportions": [0.5, 0.5]}))
    >>> res = gaps_run([run], run / "gaps", scale="doc example")
    >>> res["rows"][0]["gap"], round(res["rows"][0]["log_gap"], 4)
    (90, 0.75)
    >>> [p.name for p in res["figures"]], res["table_csv"].name
    (['fractions.png', 'gaps.png'], 'gaps.csv')
    >>> json.loads(res["table_json"].read_text())["scale"]
    'doc example'
    """
    from classdyn.provenance import provenance

    from .gaps import gap_table, plot_fractions, plot_gaps, write_table

    if statistic not in GAP_STATISTICS:
        raise ValueError(f"statistic: must be one of {GAP_STATISTICS}, got {statistic!r}")
    if not run_dirs:
        raise ValueError(f"runs: no run folders found under {out}")
    rows = gap_table(run_dirs, threshold)
    info = {"scale": scale or "user run", "gap_statistic": statistic, **provenance(), "seeds": _run_seeds(run_dirs),
            **(meta or {})}
    pj, pc = write_table(rows, out, meta=info)
    f1 = plot_fractions(run_dirs, threshold, Path(out) / "fractions.png")
    f2 = plot_gaps(rows, Path(out) / "gaps.png")
    return {"rows": rows, "table_json": pj, "table_csv": pc, "figures": [f1, f2],
            "threshold": threshold}


def estimate_experiment_seconds(base_cfg: TrainConfig, n_runs: int, *, n_samples: int,
                                sample_batch: int, clf_cfg=None, classify: bool = True,
                                device: str = "auto", amp: bool = False,
                                warmup_steps: int = 4) -> dict:
    r"""Estimated wall time of :func:`run_experiment` from a short timed warm-up on this machine.

    Times ``warmup_steps`` training steps of the configured U-Net (after one untimed step), one
    forward pass at the sampling batch and, with ``classify``, a few classifier steps, then per run

    .. math::

        T_{\rm run} = S\, t_{\rm step} + n_{\rm ckpt}\, T \lceil n_{\rm samples}/b \rceil\, t_{\rm fwd}
        + E \lceil N_{\rm clf}/B_{\rm clf} \rceil\, t_{\rm clf}

    (``S`` training steps, ``T`` diffusion steps, ``b`` the sampling batch, ``E`` classifier
    epochs, ``N_clf`` its images: ``max_images`` or 12 000), times ``n_runs``. Work already on
    disk (resumed runs) is not subtracted, so this is an upper estimate.

    Parameters
    ----------
    base_cfg : TrainConfig
        The configuration of every run.
    n_runs : int
        Number of runs (partners × proportions).
    n_samples : int
        Samples per checkpoint.
    sample_batch : int
        Sampling batch size.
    clf_cfg : ClassifierConfig, optional
        Classifier hyper-parameters (default ``ClassifierConfig()``).
    classify : bool, default True
        Include the classifier.
    device : str, default "auto"
        Torch device.
    amp : bool, default False
        bfloat16 autocast.
    warmup_steps : int, default 4
        Timed training steps.

    Returns
    -------
    dict
        ``seconds`` (total, s), ``per_run``, ``train``, ``sample``, ``classifier`` (s), ``runs``,
        ``t_step``, ``t_forward`` (s) and ``device``.

    Examples
    --------
    The numbers depend on the machine; the parts add up as in the formula:

    >>> from classdyn.ddpm.config import TrainConfig, UNetConfig, DiffusionConfig
    >>> from classdyn.ddpm.pipeline import estimate_experiment_seconds
    >>> cfg = TrainConfig(n=4, steps=2, n_checkpoints=2, batch_size=2,
    ...                   unet=UNetConfig(image_size=4, pad_to=4, widths=(8,), enc_blocks=1,
    ...                                   dec_blocks=2, attn_levels=(), heads=2),
    ...                   diffusion=DiffusionConfig(T=4, beta_end=0.002))
    >>> est = estimate_experiment_seconds(cfg, 3, n_samples=4, sample_batch=4, classify=False,
    ...                                   device="cpu", warmup_steps=1)
    >>> est["runs"], est["classifier"], est["device"]
    (3, 0.0, 'cpu')
    >>> abs(est["seconds"] - 3 * est["per_run"]) < 1e-9
    True
    >>> abs(est["sample"] - 2 * 4 * 1 * est["t_forward"]) < 1e-9    # n_ckpt * T * batches
    True
    """
    import time

    import torch

    from .classifier import ClassifierConfig, resnet18
    from .config import checkpoint_steps
    from .diffusion import Schedule, loss_on_batch
    from .train import build_model, resolve_device

    device = resolve_device(device)
    cfg = base_cfg
    model = build_model(cfg, device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = Schedule(cfg.diffusion, device)
    size = cfg.unet.image_size
    g = torch.Generator().manual_seed(12345)
    B = cfg.batch_size
    x = torch.randn((B, 1, size, size), generator=g).to(device)

    def one_step():
        t = torch.randint(cfg.diffusion.T, (B,), generator=g).to(device)
        eps = torch.randn((B, 1, size, size), generator=g).to(device)
        with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16,
                            enabled=amp):
            loss = loss_on_batch(model, sched, x, t, eps)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def timed(fn, k):
        fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        for _ in range(k):
            fn()
        if device.startswith("cuda"):
            torch.cuda.synchronize()
        return (time.perf_counter() - t0) / k

    t_step = timed(one_step, warmup_steps)
    m = min(sample_batch, n_samples)
    xs = torch.randn((m, 1, size, size), generator=g).to(device)
    ts = torch.full((m,), cfg.diffusion.T - 1, dtype=torch.long, device=device)
    model.eval()
    with torch.no_grad():
        t_fwd = timed(lambda: model(xs, ts), 2)
    n_ck = len(checkpoint_steps(cfg.steps, cfg.n_checkpoints, cfg.first_checkpoint))
    train_s = cfg.steps * t_step
    sample_s = n_ck * cfg.diffusion.T * (-(-n_samples // m)) * t_fwd
    clf_s = 0.0
    if classify:
        clf_cfg = clf_cfg or ClassifierConfig()
        net = resnet18(clf_cfg.base_width).to(device)
        o2 = torch.optim.AdamW(net.parameters(), lr=1e-3)
        xb = torch.randn((clf_cfg.batch_size, 1, size, size), generator=g).to(device)
        yb = torch.randint(2, (clf_cfg.batch_size,), generator=g).to(device)

        def clf_step():
            loss = torch.nn.functional.cross_entropy(net(xb), yb)
            o2.zero_grad(set_to_none=True)
            loss.backward()
            o2.step()

        t_clf = timed(clf_step, 2)
        n_img = clf_cfg.max_images or 12000
        clf_s = clf_cfg.epochs * (-(-n_img // clf_cfg.batch_size)) * t_clf
    per_run = train_s + sample_s + clf_s
    return {"seconds": per_run * n_runs, "per_run": per_run, "train": train_s,
            "sample": sample_s, "classifier": clf_s, "runs": n_runs, "t_step": t_step,
            "t_forward": t_fwd, "device": device}


def _run_seeds(run_dirs) -> dict:
    """Per run folder: the training, data and sampling seeds (from run.json and the samples)."""
    from .train import load_run

    out = {}
    for d in run_dirs:
        cfg, _ = load_run(d)
        files = sorted((Path(d) / "samples").glob("step_*.npz"))
        sample_seed = None
        if files:
            with np.load(files[0], allow_pickle=False) as z:
                sample_seed = int(z["seed"])
        out[Path(d).name] = {"train_seed": cfg.seed, "data_seed": cfg.data_seed,
                             "sample_seed": sample_seed}
    return out


def run_experiment(out, *, partners, proportions, base_cfg: TrainConfig, n_samples: int,
                   sample_batch: int, clf_cfg=None, classify: bool = True,
                   threshold: float = 0.5, data_dir=None, device: str = "auto",
                   amp: bool = False, compile: bool = False, sample_seed: int = 0,
                   max_train_seconds: float | None = None, progress: bool = True,
                   scale: str | None = None, statistic: str = "log_gap") -> dict:
    """A whole (scaled-down) experiment: Sneaker with each partner at each proportion.

    For every partner and proportion (run folder ``<sneaker>-<partner>_p<proportion>`` under
    ``out``): :func:`train_pair`, :func:`sample_checkpoints`, :func:`classify_run` (if
    ``classify``), :func:`memorization_run`; then :func:`gaps_run` over the runs and
    ``experiment.json`` in ``out`` (docs/theory/ddpm.md; paper Sec. 4, App. J). Every request is
    validated before the first run starts; every stage resumes.

    Parameters
    ----------
    out : str or os.PathLike
        Experiment folder.
    partners : iterable of int or str
        Partner classes of ``base_cfg.classes[0]`` (labels or names).
    proportions : iterable of float
        Proportions of ``base_cfg.classes[0]``, each in (0, 1).
    base_cfg : TrainConfig
        Configuration of every run (classes and proportion are replaced per run).
    n_samples : int
        Samples per checkpoint.
    sample_batch : int
        Sampling batch size.
    clf_cfg : ClassifierConfig, optional
        Classifier hyper-parameters.
    classify : bool, default True
        Assign samples with the classifier (else with the label of NN1).
    threshold : float, default 0.5
        Memorised-fraction threshold θ of the gaps.
    data_dir : str or os.PathLike, optional
        Where Fashion-MNIST is (full size: 60 000 + 10 000 images).
    device : str, default "auto"
        Torch device.
    amp : bool, default False
        bfloat16 autocast.
    compile : bool, default False
        ``torch.compile`` the U-Net.
    sample_seed : int, default 0
        Sampler seed (the same at every checkpoint).
    max_train_seconds : float, optional
        Training time limit per run (s); a rerun continues.
    progress : bool, default True
        Show progress bars.
    scale : str, optional
        Label of the scale for the gap table.
    statistic : {"log_gap", "lead"}, default "log_gap"
        Gap statistic of the table.

    Returns
    -------
    dict
        ``runs`` (per-run summaries), ``gaps`` (table rows), ``figures``, ``table_csv``,
        ``threshold``; also written to ``experiment.json``.

    Raises
    ------
    classdyn.ddpm.data.DataError
        When Fashion-MNIST cannot be loaded.
    ValueError
        Before any run starts, for a request the data cannot supply or an invalid configuration.

    Examples
    --------
    It needs the full Fashion-MNIST, which is loaded first, so without it nothing starts:

    >>> import tempfile
    >>> from classdyn.ddpm.config import TrainConfig
    >>> from classdyn.ddpm.pipeline import run_experiment
    >>> run_experiment(tempfile.mkdtemp(), partners=["Bag"], proportions=[0.5],
    ...                base_cfg=TrainConfig(), n_samples=4, sample_batch=4,
    ...                data_dir=tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    classdyn.ddpm.data.DataError: data: Fashion-MNIST not found in ... (--data); missing ...
    """
    from dataclasses import replace

    data = load_fashion_mnist(data_dir)
    from .data import class_index

    cfgs = []
    for partner in partners:
        b = class_index(partner)
        for p in proportions:
            cfg = replace(base_cfg, classes=(base_cfg.classes[0], b), proportion=float(p))
            check_request(cfg, data)
            cfgs.append(cfg)
    dirs = []
    summary = []
    for cfg in cfgs:
        d = Path(out) / run_name(cfg.classes, cfg.proportion)
        tr = train_pair(cfg, d, data=data, device=device, amp=amp, compile=compile,
                        max_seconds=max_train_seconds, progress=progress)
        sample_checkpoints(d, n_samples=n_samples, batch_size=sample_batch, seed=sample_seed,
                           device=device, amp=amp, progress=progress)
        clf = classify_run(d, clf_cfg=clf_cfg, data=data, device=device,
                           progress=progress) if classify else None
        mem = memorization_run(d, assign="classifier" if classify else "nn", device=device)
        summary.append({"run": d.name, "train": tr.to_dict(), "classifier": clf,
                        "final_fraction": mem["checkpoints"][-1]["fraction"]})
        dirs.append(d)
    g = gaps_run(dirs, out, threshold=threshold, scale=scale, statistic=statistic,
                 meta={"config": base_cfg.to_dict(), "n_samples": n_samples,
                       "classifier": asdict(clf_cfg) if classify and clf_cfg else None})
    result = {"runs": summary, "gaps": g["rows"], "figures": g["figures"],
              "table_csv": g["table_csv"], "threshold": threshold}
    atomic_write_json(Path(out) / "experiment.json", result)
    return result


def load_json_if(path: str | os.PathLike):
    p = Path(path)
    return read_json(p) if p.is_file() else None
