"""``classdyn ddpm …``: the DDPM experiment of docs/theory/ddpm.md (paper Sec. 4, App. J).

Subcommands: ``stats`` (per-class statistics of the real data), ``train``, ``sample``,
``classify``, ``memorization``, ``gaps`` (each on one run folder ``--out DIR``, resumable) and
``run`` (a whole scaled-down experiment). torch is imported inside the handlers only.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from classdyn.cli import CommandResult, add_command
from classdyn.flags import add_output, add_seed, nonnegative_float, nonnegative_int, \
    positive_float, positive_int, unit_interval_open

ORDER = 40

#: Presets for every size flag left unset. Only sizes differ between them: the same U-Net,
#: sampler, classifier and memorisation code run at every size.
SIZES = {
    # CPU-sized: a tiny U-Net, short schedule, few images; minutes on 2 cores.
    "tiny": dict(widths=[16, 32, 32], enc_blocks=1, attn_levels=[1], T=100, n=64, steps=300,
                 batch_size=32, checkpoints=8, samples=64, clf_width=8, clf_epochs=2,
                 clf_images=2000),
    # CPU-scale Result 4 (scripts/cpu_result4.sh): 14x14 images (2x2 block means), 8 training
    # images per pair (4 per class), a two-level U-Net, T = 100; memorises within the run (about
    # 5 min per pair on one idle core).
    "cpu": dict(widths=[16, 32], enc_blocks=1, attn_levels=[], T=100, n=8, steps=5000,
                batch_size=8, checkpoints=12, samples=64, clf_width=8, clf_epochs=2,
                clf_images=2000, image_size=14, lr=2e-3, dropout=0.0, first_checkpoint=200),
    # GPU-sized demo (scripts/gpu_ddpm.sh): a half-width U-Net, a few hundred images.
    "demo": dict(widths=[32, 64, 128, 128], enc_blocks=2, attn_levels=[1, 2], T=1000, n=300,
                 steps=3000, batch_size=128, checkpoints=12, samples=200, clf_width=32,
                 clf_epochs=5, clf_images=0),
    # The paper's (App. J.1), except the number of steps (the paper trains ~1 week).
    "paper": dict(widths=[64, 128, 256, 256], enc_blocks=2, attn_levels=[1, 2], T=1000, n=8000,
                  steps=200_000, batch_size=128, checkpoints=32, samples=500, clf_width=64,
                  clf_epochs=15, clf_images=0),
}


def _data_flag(p):
    p.add_argument("--data", type=Path, default=None, metavar="DIR",
                   help="folder with the four Fashion-MNIST IDX files (.gz or raw); default: "
                        "$FASHION_MNIST_DIR, else /usr/share/datasets/fashion-mnist")


def _device_flags(p, amp=True):
    p.add_argument("--device", type=_device, default="auto",
                   help="torch device: auto (cuda if available, else cpu), cpu, cuda, cuda:K")
    if amp:
        p.add_argument("--amp", action="store_true",
                       help="bfloat16 autocast (mixed precision; for CUDA)")


def _table_flags(p):
    """Flags of the gap table (``ddpm gaps`` and ``ddpm run``)."""
    p.add_argument("--scale-label", default=None, metavar="TEXT",
                   help="label written into gaps.json saying at what scale the runs were made "
                        "(e.g. CPU-scale); default 'user run'")
    p.add_argument("--statistic", choices=["log_gap", "lead"], default="log_gap",
                   help="per-run gap that comparisons use: log_gap (log10 tau_Sneaker - log10 "
                        "tau_partner at the threshold crossings, decades of steps) or lead (mean "
                        "over log10 step of f_partner - f_Sneaker; defined when a class never "
                        "crosses)")


def _model_flags(p):
    g = p.add_argument_group("pair and model (docs/theory/ddpm.md; paper App. J.1)")
    g.add_argument("--size", choices=list(SIZES), default="tiny",
                   help="preset for every size flag left unset: tiny (CPU minutes), demo (GPU "
                        "minutes), paper (the paper's widths, 8000 images, 32 checkpoints)")
    g.add_argument("--classes", nargs=2, default=["Sneaker", "Bag"], metavar=("A", "B"),
                   help="the pair: two class names (e.g. Sneaker Bag, 'Ankle boot') or labels")
    g.add_argument("--proportion", type=unit_interval_open, default=0.5,
                   help="fraction of the training images from class A, in (0, 1); "
                        "n_A = round(proportion*n)")
    g.add_argument("--n", type=positive_int, default=None,
                   help="training images in total (>= 2; default from --size: tiny 64, demo "
                        "300, paper 8000)")
    g.add_argument("--data-seed", type=nonnegative_int, default=0,
                   help="seed of the image draw (>= 0)")
    g.add_argument("--widths", type=positive_int, nargs="+", default=None,
                   help="U-Net channels per level (paper 64 128 256 256; tiny 16 32 32)")
    g.add_argument("--enc-blocks", type=positive_int, default=None,
                   help="ResNet blocks per encoder level (paper 2; the decoder has one more)")
    g.add_argument("--attn-levels", type=int, nargs="*", default=None,
                   help="levels with 4-head self-attention (paper 1 2: the intermediate "
                        "resolutions)")
    g.add_argument("--dropout", type=float, default=None,
                   help="dropout rate in [0, 1) (default 0.1; cpu preset 0)")
    g.add_argument("--image-size", type=positive_int, default=None,
                   help="image side in pixels: 28, or a divisor of 28 for 2x2 (14) or larger "
                        "block means (default 28; cpu preset 14)")
    g.add_argument("--T", type=positive_int, default=None,
                   help="diffusion steps (paper 1000; beta linear 1e-4..0.02, scaled by 1000/T)")
    g.add_argument("--lr", type=positive_float, default=None,
                   help="Adam learning rate (default 2e-4; cpu preset 2e-3)")
    g.add_argument("--first-checkpoint", type=positive_int, default=None,
                   help="step of the first log-spaced checkpoint (default 1; cpu preset 100)")
    g.add_argument("--batch-size", type=positive_int, default=None,
                   help="images per step (default from --size)")
    g.add_argument("--steps", type=positive_int, default=None,
                   help="training steps (optimizer updates; default from --size)")
    g.add_argument("--checkpoints", type=positive_int, default=None,
                   help="number of log-spaced checkpoints (paper 32)")


def _pad_to(size: int, levels: int) -> int:
    """The padded input side: 32 for 28×28 images (the paper's), otherwise the smallest multiple
    of ``2^(levels−1)`` above ``size`` that differs from it by an even number (16 for 14)."""
    f = 2 ** (levels - 1)
    if size == 28 and 32 % f == 0:
        return 32
    if f > 1 and size % 2:
        raise ValueError(f"image_size: an odd side ({size}) cannot be padded evenly to a "
                         f"multiple of {f} for a {levels}-level U-Net; use 28 or 14")
    pad = size + 1
    while pad % f or (pad - size) % 2:  # ends within 2f steps: size and f are both even here
        pad += 1
    return pad


def _train_config(args):
    from .config import DiffusionConfig, TrainConfig, UNetConfig
    from .data import class_index

    s = SIZES[args.size]
    classes = tuple(class_index(c) for c in args.classes)
    enc = args.enc_blocks or s["enc_blocks"]
    widths = tuple(args.widths or s["widths"])
    attn = tuple(args.attn_levels if args.attn_levels is not None else
                 [a for a in s["attn_levels"] if a < len(widths)])
    size = args.image_size or s.get("image_size", 28)
    unet = UNetConfig(image_size=size, pad_to=_pad_to(size, len(widths)),
                      widths=widths, enc_blocks=enc, dec_blocks=enc + 1, attn_levels=attn,
                      dropout=s.get("dropout", 0.1) if args.dropout is None else args.dropout)
    steps = args.steps or s["steps"]
    return TrainConfig(classes=classes, proportion=args.proportion, n=args.n or s["n"],
                       data_seed=args.data_seed, unet=unet,
                       diffusion=DiffusionConfig(T=args.T or s["T"]),
                       lr=args.lr or s.get("lr", 2e-4),
                       batch_size=args.batch_size or s["batch_size"], steps=steps,
                       n_checkpoints=args.checkpoints or s["checkpoints"],
                       first_checkpoint=min(steps, args.first_checkpoint
                                            or s.get("first_checkpoint", 1)),
                       seed=args.seed)


def _threads():
    """CPU threads of torch: ``$CLASSDYN_TORCH_THREADS``, default 1 (on a shared machine, OpenMP
    threads that compete with other processes spin and run many times slower than one)."""
    import os

    import torch

    torch.set_num_threads(max(1, int(os.environ.get("CLASSDYN_TORCH_THREADS", "1"))))


# ---------------------------------------------------------------- handlers
def _stats(args) -> CommandResult:
    from classdyn.io import atomic_write_json

    from .data import CLASS_NAMES, class_statistics, load_fashion_mnist

    data = load_fashion_mnist(args.data)
    imgs, labs = data.split(args.split)
    st = class_statistics(imgs, labs)
    d = st.to_dict()
    d["split"] = args.split
    d["data_dir"] = str(data.dir)
    atomic_write_json(Path(args.out) / "ddpm_stats.json", d)
    order = sorted(range(10), key=lambda j: st.raw_variance[j])
    lines = [f"Fashion-MNIST {args.split} split ({data.dir}): per-class statistics",
             f"{'class':12s} {'n':>5s} {'pixvar[0,1]':>11s} {'var(norm)':>9s} "
             f"{'|mu|^2/d':>8s} {'cos(Sneaker)':>12s}"]
    for j in order:
        lines.append(f"{CLASS_NAMES[j]:12s} {st.counts[j]:5d} {st.raw_variance[j]:11.5f} "
                     f"{st.variance[j]:9.4f} {st.norms2[j]:8.4f} {st.cosine[j, 7]:12.4f}")
    lines.append(f"lowest mean pixel variance: {CLASS_NAMES[st.lowest_variance_class()]}; "
                 f"written to {Path(args.out) / 'ddpm_stats.json'}")
    return CommandResult(data=d, text="\n".join(lines))


def _train(args) -> CommandResult:
    from .pipeline import check_request, train_pair

    cfg = _train_config(args)
    data = check_request(cfg, data_dir=args.data)
    _threads()
    res = train_pair(cfg, args.out, data=data, device=args.device, amp=args.amp,
                     compile=args.compile, save_every_s=args.save_every,
                     max_seconds=args.max_seconds)
    d = res.to_dict()
    text = (f"trained {res.step}/{res.steps} steps on {res.device} in {res.seconds:.1f} s "
            f"({res.images_per_s:.1f} images/s); {len(res.checkpoints)} checkpoints in "
            f"{args.out}/checkpoints; final loss {d['final_loss']}")
    return CommandResult(data=d, text=text)


def _sample(args) -> CommandResult:
    from .pipeline import sample_checkpoints
    from .train import load_run

    load_run(args.out)
    _threads()
    steps = sample_checkpoints(args.out, n_samples=args.samples, batch_size=args.batch,
                               seed=args.seed, device=args.device, amp=args.amp)
    return CommandResult(data={"out": args.out, "steps": steps, "n_samples": args.samples},
                         text=f"{args.samples} samples from each of {len(steps)} checkpoints "
                              f"in {args.out}/samples")


def _classify(args) -> CommandResult:
    from .classifier import ClassifierConfig
    from .pipeline import classify_run
    from .train import load_run

    load_run(args.out)
    clf = ClassifierConfig(base_width=args.width, epochs=args.epochs, max_images=args.images,
                           seed=args.seed)
    _threads()
    res = classify_run(args.out, clf_cfg=clf, data_dir=args.data, device=args.device)
    return CommandResult(data=res, text=(f"ResNet-18 (width {args.width}) on held-out "
                                         f"{res['n_val']} images: macro F1 "
                                         f"{res['macro_f1']:.4f}, balanced accuracy "
                                         f"{res['balanced_accuracy']:.4f}; samples assigned"))


def _memorization(args) -> CommandResult:
    from .data import CLASS_NAMES
    from .pipeline import memorization_run

    _threads()
    res = memorization_run(args.out, assign=args.assign, threshold=args.ratio,
                           n_boot=args.bootstrap, device=args.device, seed=args.seed)
    lines = [f"memorised fraction per class (ratio test d1/d2 < {args.ratio:.4g}; "
             f"classes by {res['assignment']})",
             f"{'step':>9s} " + " ".join(f"{CLASS_NAMES[c][:12]:>18s}" for c in res["classes"])]
    for r in res["checkpoints"]:
        lines.append(f"{r['step']:9d} " + " ".join(
            f"{f:8.3f} ± {e:7.3f}" for f, e in zip(r["fraction"], r["err"])))
    return CommandResult(data=res, text="\n".join(lines))


def _gaps(args) -> CommandResult:
    from .pipeline import gaps_run, run_dirs_under

    dirs = [Path(r) for r in args.runs] if args.runs else run_dirs_under(args.out)
    res = gaps_run(dirs, args.out, threshold=args.threshold, scale=args.scale_label,
                   statistic=args.statistic)
    lines = [f"threshold theta = {args.threshold}; table {res['table_csv']}"]
    for r in res["rows"]:
        lines.append(f"{Path(r['run']).name:34s} tau_ref={r['tau_reference']} "
                     f"tau_partner={r['tau_partner']} gap={r['gap']}")
    return CommandResult(data=res, text="\n".join(lines))


#: Above this estimated run time, ``ddpm run`` on a terminal asks for ``--yes``.
CONFIRM_SECONDS = 1800.0


def _device(text: str) -> str:
    """``--device``: auto, cpu, mps, cuda or cuda:K (checked at parse time)."""
    import re

    if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", text):
        raise argparse.ArgumentTypeError(f"expected auto, cpu, mps, cuda or cuda:K, got {text!r}")
    return text


def _images(text: str) -> int:
    """``--images`` / ``--clf-images``: 0 (all) or an integer >= 2."""
    k = nonnegative_int(text)
    if k == 1:
        raise argparse.ArgumentTypeError("must be 0 (all) or >= 2, got 1")
    return k


def _confirm_cost(args, cfg, clf, n_runs: int) -> None:
    """Print the estimated run time (stderr) from a short timed warm-up; on a terminal, refuse
    an estimate above :data:`CONFIRM_SECONDS` without ``--yes``."""
    import sys

    from .pipeline import estimate_experiment_seconds

    est = estimate_experiment_seconds(cfg, n_runs, n_samples=args.samples
                                      or SIZES[args.size]["samples"], sample_batch=args.batch,
                                      clf_cfg=clf, classify=not args.no_classifier,
                                      device=args.device, amp=args.amp)
    mins = est["seconds"] / 60
    from classdyn.log import get_logger

    get_logger(__name__).info(
        f"ddpm run: estimated {mins:.1f} min for {n_runs} run(s) on {est['device']} "
        f"(per run: train {est['train'] / 60:.1f} min, sample {est['sample'] / 60:.1f} min, "
        f"classifier {est['classifier'] / 60:.1f} min; from a timed warm-up, finished work "
        "is resumed)")
    if est["seconds"] > CONFIRM_SECONDS and sys.stdin.isatty() and not args.yes:
        raise ValueError(f"--yes: the estimated run time is {mins:.0f} min (> "
                         f"{CONFIRM_SECONDS / 60:.0f} min); pass --yes to start it")


def _run(args) -> CommandResult:
    from dataclasses import replace

    from .classifier import ClassifierConfig
    from .data import class_index
    from .pipeline import run_experiment

    s = SIZES[args.size]
    for flag, names in (("--reference", [args.reference]), ("--partners", args.partners)):
        for name in names:
            try:
                class_index(name)
            except ValueError as exc:
                raise ValueError(f"argument {flag}: {exc}") from None
    if args.reference in args.partners or class_index(args.reference) in map(class_index,
                                                                              args.partners):
        raise ValueError(f"argument --partners: the reference class {args.reference!r} cannot "
                         "be its own partner")
    args.classes = [args.reference, args.partners[0]]
    cfg = _train_config(args)
    for p in args.proportions:
        if not 0 < p < 1:
            raise ValueError(f"proportions: {p} outside the open interval (0, 1)")
    cfg = replace(cfg, classes=(class_index(args.reference), cfg.classes[1]))
    clf = ClassifierConfig(base_width=args.clf_width or s["clf_width"],
                           epochs=args.clf_epochs or s["clf_epochs"],
                           max_images=s["clf_images"] if args.clf_images is None
                           else args.clf_images, seed=args.seed)
    from .train import check_train_memory

    check_train_memory(cfg)  # before the timed warm-up builds the model
    _threads()
    _confirm_cost(args, cfg, clf, n_runs=len(args.partners) * len(args.proportions))
    res = run_experiment(args.out, partners=args.partners, proportions=args.proportions,
                         base_cfg=cfg, n_samples=args.samples or s["samples"],
                         sample_batch=args.batch, clf_cfg=clf, classify=not args.no_classifier,
                         threshold=args.threshold, data_dir=args.data, device=args.device,
                         amp=args.amp, compile=args.compile, sample_seed=args.seed,
                         max_train_seconds=args.max_seconds, scale=args.scale_label,
                         statistic=args.statistic)
    lines = [f"experiment in {args.out}: {len(res['runs'])} runs; table {res['table_csv']}; "
             f"figures {', '.join(str(f) for f in res['figures'])}"]
    for r in res["gaps"]:
        lines.append(f"{Path(r['run']).name:34s} tau_ref={r['tau_reference']} "
                     f"tau_partner={r['tau_partner']} gap={r['gap']}")
    return CommandResult(data=res, text="\n".join(lines))


# ---------------------------------------------------------------- registration
def register(sub) -> None:
    grp = add_command(sub, "ddpm", help="DDPM U-Net on Fashion-MNIST pairs: memorisation per "
                      "class and the Sneaker-partner gaps (docs/theory/ddpm.md)",
                      description=__doc__)
    dsub = grp.add_subparsers(dest="ddpm_command", metavar="SUBCOMMAND", required=True)

    p = add_command(dsub, "stats", help="per-class statistics of the real data (all ten "
                    "classes): mean pixel variance, centroid norm^2/d, centroid cosines")
    _data_flag(p)
    p.add_argument("--split", choices=["train", "test"], default="train",
                   help="which Fashion-MNIST split")
    add_output(p)
    p.set_defaults(handler=_stats)

    p = add_command(dsub, "train", help="train a DDPM on one pair with log-spaced checkpoints "
                    "(resumes from the run folder --out)")
    _data_flag(p)
    _model_flags(p)
    _device_flags(p)
    p.add_argument("--compile", action="store_true", help="torch.compile the U-Net (CUDA)")
    p.add_argument("--save-every", type=positive_float, default=60.0,
                   help="seconds between resume-state saves (besides every checkpoint)")
    p.add_argument("--max-seconds", type=positive_float, default=None,
                   help="stop after this many seconds of training (state saved; rerun resumes)")
    add_seed(p)
    add_output(p, default="results/ddpm/run")
    p.set_defaults(handler=_train)

    p = add_command(dsub, "sample", help="DDPM ancestral samples from every checkpoint of a "
                    "run folder")
    p.add_argument("--samples", type=positive_int, default=500,
                   help="samples per checkpoint (paper 500)")
    p.add_argument("--batch", type=positive_int, default=500, help="samples per batch")
    _device_flags(p)
    add_seed(p)
    add_output(p, default="results/ddpm/run")
    p.set_defaults(handler=_sample)

    p = add_command(dsub, "classify", help="train the pair's binary ResNet-18 (macro F1, "
                    "balanced accuracy on a 10%% held-out split) and label every sample")
    _data_flag(p)
    p.add_argument("--width", type=positive_int, default=64,
                   help="ResNet-18 base width (standard 64)")
    p.add_argument("--epochs", type=positive_int, default=15, help="epochs (paper 15)")
    p.add_argument("--images", type=_images, default=0,
                   help="images of the two classes to use (0 = all 12000 of the train split)")
    _device_flags(p, amp=False)
    add_seed(p)
    add_output(p, default="results/ddpm/run")
    p.set_defaults(handler=_classify)

    p = add_command(dsub, "memorization", help="ratio test d(x,NN1)/d(x,NN2) < 1/3 and the "
                    "memorised fraction per class at every checkpoint")
    p.add_argument("--assign", choices=["auto", "nn", "classifier"], default="auto",
                   help="class of a sample: ResNet-18 label (classifier), label of its nearest "
                        "training image (nn), or classifier when available (auto)")
    p.add_argument("--ratio", type=positive_float, default=1 / 3,
                   help="ratio-test threshold (paper 1/3)")
    p.add_argument("--bootstrap", type=positive_int, default=1000,
                   help="bootstrap resamples for the error bars")
    _device_flags(p, amp=False)
    add_seed(p)
    add_output(p, default="results/ddpm/run")
    p.set_defaults(handler=_memorization)

    p = add_command(dsub, "gaps", help="threshold-crossing times tau_c and the Sneaker-partner "
                    "gap per run: table (JSON, CSV) and figures")
    p.add_argument("--runs", nargs="*", default=None, metavar="DIR",
                   help="run folders (default: every run folder directly under --out)")
    p.add_argument("--threshold", type=unit_interval_open, default=0.5,
                   help="memorised-fraction threshold theta in (0, 1) for tau_c")
    _table_flags(p)
    add_output(p, default="results/ddpm")
    p.set_defaults(handler=_gaps)

    p = add_command(dsub, "run", help="a whole scaled-down experiment: Sneaker with each "
                    "partner at each proportion, then gaps, table and figures")
    _data_flag(p)
    _model_flags(p)
    p.add_argument("--reference", default="Sneaker", help="the reference class (paper Sneaker)")
    p.add_argument("--partners", nargs="+", default=["Bag", "Trouser"],
                   help="partner classes (names or labels)")
    p.add_argument("--proportions", type=unit_interval_open, nargs="+", default=[0.5],
                   help="reference-class proportions in (0, 1) (paper 0.25 0.5 0.75)")
    p.add_argument("--samples", type=positive_int, default=None,
                   help="samples per checkpoint (default from --size)")
    p.add_argument("--batch", type=positive_int, default=500, help="samples per batch")
    p.add_argument("--threshold", type=unit_interval_open, default=0.5,
                   help="memorised-fraction threshold theta in (0, 1)")
    p.add_argument("--clf-width", type=positive_int, default=None, help="ResNet-18 base width")
    p.add_argument("--clf-epochs", type=positive_int, default=None, help="classifier epochs")
    p.add_argument("--clf-images", type=_images, default=None,
                   help="classifier images (0 = all of the two classes)")
    p.add_argument("--no-classifier", action="store_true",
                   help="assign classes by nearest training image instead of ResNet-18")
    p.add_argument("--max-seconds", type=nonnegative_float, default=None,
                   help="training-time budget per run in seconds (state saved; rerun resumes)")
    _table_flags(p)
    p.add_argument("--yes", action="store_true",
                   help="start without asking even when the estimated run time (printed "
                        "before starting) exceeds 30 min")
    _device_flags(p)
    p.add_argument("--compile", action="store_true", help="torch.compile the U-Net (CUDA)")
    add_seed(p)
    add_output(p, default="results/ddpm")
    p.set_defaults(handler=_run)
