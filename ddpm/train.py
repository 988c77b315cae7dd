"""Training a DDPM on one pair, with log-spaced checkpoints and exact resume (docs/theory/ddpm.md; paper
App. J.1: Adam on the ε-prediction MSE, 32 log-spaced checkpoints).

A run folder holds

- ``run.json``: the configuration (its identity and hash), the checkpoint steps, the pair, a hash
  of the training images, the device and options used;
- ``pair.npz``: the normalised training images, their labels and the pair normalisation;
- ``checkpoints/step_XXXXXXXXX.pt``: model weights at each log-spaced step;
- ``state.pt``: the resume state (model, optimiser, step, loss log), rewritten at every checkpoint,
  every ``save_every_s`` seconds and on Ctrl-C;
- ``train.json``: the loss log and timings.

Every file is written atomically (temp file + ``os.replace``). Randomness is counter-based: the
batch, the diffusion steps, the noise and the dropout masks of step ``k`` come from generators
seeded with ``(seed, k)``, so resuming from any saved step reproduces the uninterrupted run exactly
(bit for bit on CPU); nothing is lost but the steps since the last save, and nothing is counted
twice.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from classdyn.io import atomic_save_npz, atomic_write_json, read_json

from .config import TrainConfig, check_same_identity, checkpoint_steps


def resolve_device(device: str = "auto") -> str:
    """``"auto"`` → ``"cuda"`` when available, else ``"cpu"``; otherwise checked and returned."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device: {device!r} asked for but CUDA is not available here; "
                         "allowed: auto, cpu")
    if not (device == "cpu" or device.startswith("cuda")):
        raise ValueError(f"device: must be auto, cpu, cuda or cuda:K, got {device!r}")
    return device


def atomic_torch_save(obj, path: str | os.PathLike) -> Path:
    """``torch.save`` to a temp file in the same folder, then ``os.replace`` (atomic)."""
    import torch

    from classdyn.io import atomic_write_with

    return atomic_write_with(path, lambda fh: torch.save(obj, fh))


#: bytes per parameter while training: float32 weights, gradients and Adam's two moments
TRAIN_BYTES_PER_PARAM = 16
#: float32 activation maps kept per level for the backward pass, per ResNet block (a rough
#: upper count: conv/norm/activation outputs of a block, encoder and decoder)
ACTIVATION_MAPS_PER_BLOCK = 6


def parameter_count(unet_cfg) -> int:
    """Number of parameters of the U-Net of ``unet_cfg``, counted on PyTorch's ``meta`` device
    (nothing is allocated, so an absurd configuration is measured, not built).

    Parameters
    ----------
    unet_cfg : UNetConfig
        The architecture.

    Returns
    -------
    int
        The parameter count.
    """
    import torch

    from .unet import UNet

    with torch.device("meta"):
        model = UNet(unet_cfg)
    return int(sum(p.numel() for p in model.parameters()))


def estimate_train_memory(cfg: TrainConfig) -> int:
    """Bytes that training ``cfg`` needs at least: :data:`TRAIN_BYTES_PER_PARAM` per parameter
    plus the activation maps of one batch (``batch_size × Σ_levels width × side²`` float32 values,
    :data:`ACTIVATION_MAPS_PER_BLOCK` per block of both paths). A lower bound used to refuse a run
    that cannot fit before anything is allocated.

    Parameters
    ----------
    cfg : TrainConfig
        The run's configuration.

    Returns
    -------
    int
        Estimated bytes.
    """
    u = cfg.unet
    side = u.pad_to
    maps = 0
    for w in u.widths:
        maps += w * side * side
        side = max(1, side // 2)
    blocks = u.enc_blocks + u.dec_blocks
    act = 4 * cfg.batch_size * maps * blocks * ACTIVATION_MAPS_PER_BLOCK
    return TRAIN_BYTES_PER_PARAM * parameter_count(u) + act


def available_memory() -> int | None:
    """Bytes of memory available now (``MemAvailable`` of /proc/meminfo), or ``None`` where it
    cannot be read.

    Returns
    -------
    int or None
    """
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def check_train_memory(cfg: TrainConfig) -> None:
    """Refuse (``ValueError``) a configuration whose estimated training memory
    (:func:`estimate_train_memory`) exceeds 90 % of the memory available now.

    Parameters
    ----------
    cfg : TrainConfig
        The run's configuration.
    """
    need = estimate_train_memory(cfg)
    avail = available_memory()
    # 10 % headroom: the estimate is a lower bound (optimizer buffers, allocator slack and the
    # data batch are not counted)
    if avail is not None and need > 0.9 * avail:
        raise ValueError(f"widths {list(cfg.unet.widths)}, batch_size {cfg.batch_size}: training "
                         f"needs at least {need / 2**30:.3g} GiB (parameters "
                         f"{parameter_count(cfg.unet):.3g} x {TRAIN_BYTES_PER_PARAM} bytes plus "
                         f"activations) but {avail / 2**30:.3g} GiB are available; use smaller "
                         f"--widths or --batch-size")


def step_seed(seed: int, step: int, stream: int = 0) -> int:
    """A 63-bit seed for ``(seed, step, stream)`` (NumPy SeedSequence hashing)."""
    return int(np.random.SeedSequence([int(seed), int(step), int(stream)])
               .generate_state(2, np.uint64)[0] >> np.uint64(1))


def images_hash(images: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(images, np.float32).tobytes()).hexdigest()[:16]


def checkpoint_path(out: Path, step: int) -> Path:
    return Path(out) / "checkpoints" / f"step_{step:09d}.pt"


def list_checkpoints(out: str | os.PathLike) -> list[tuple[int, Path]]:
    """``[(step, path), …]`` of the saved checkpoints, in step order."""
    folder = Path(out) / "checkpoints"
    if not folder.is_dir():
        return []
    res = []
    for p in folder.glob("step_*.pt"):
        try:
            res.append((int(p.stem[5:]), p))
        except ValueError:
            continue
    return sorted(res)


def save_pair(out: Path, images: np.ndarray, labels: np.ndarray, norm_mean: np.ndarray,
              norm_std: float, meta: dict | None = None) -> None:
    atomic_save_npz(Path(out) / "pair.npz", images=images.astype(np.float32),
                    labels=np.asarray(labels, np.int64), norm_mean=norm_mean,
                    norm_std=np.float64(norm_std))


def load_pair(out: str | os.PathLike) -> dict:
    """The training set of a run folder: ``images`` (n, H, W) normalised, ``labels``, norm."""
    path = Path(out) / "pair.npz"
    if not path.is_file():
        raise ValueError(f"out: {out} holds no training run (no pair.npz); run "
                         "`classdyn ddpm train --out DIR` first")
    with np.load(path) as z:
        return {k: z[k] for k in z.files}


def load_run(out: str | os.PathLike) -> tuple[TrainConfig, dict]:
    """The configuration and metadata of a run folder (its ``run.json``).

    Parameters
    ----------
    out : str or os.PathLike
        The run folder.

    Returns
    -------
    cfg : TrainConfig
        The configuration the run was made with.
    meta : dict
        The whole ``run.json``: ``config`` (identity), ``identity_hash``, ``images_hash``,
        ``checkpoint_steps``, ``pair``.

    Raises
    ------
    ValueError
        If ``out`` holds no ``run.json``.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> from classdyn.ddpm.config import TrainConfig, UNetConfig, DiffusionConfig
    >>> from classdyn.ddpm.train import prepare_run, load_run
    >>> cfg = TrainConfig(n=4, steps=2, n_checkpoints=2, batch_size=2,
    ...                   unet=UNetConfig(image_size=4, pad_to=4, widths=(8,), enc_blocks=1,
    ...                                   dec_blocks=2, attn_levels=(), heads=2),
    ...                   diffusion=DiffusionConfig(T=10, beta_end=0.005))
    >>> images = np.random.default_rng(0).normal(size=(4, 4, 4)).astype(np.float32)
    >>> out = tempfile.mkdtemp()
    >>> _ = prepare_run(cfg, out, images, np.array([7, 8, 7, 8]))   # what train() writes first
    >>> saved, meta = load_run(out)
    >>> saved == cfg, meta["checkpoint_steps"]
    (True, [1, 2])
    >>> load_run(tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    ValueError: out: ... holds no training run (no run.json); run `classdyn ddpm train --out DIR` first
    """
    path = Path(out) / "run.json"
    if not path.is_file():
        raise ValueError(f"out: {out} holds no training run (no run.json); run "
                         "`classdyn ddpm train --out DIR` first")
    meta = read_json(path)
    return TrainConfig.from_dict(meta["config"]), meta


def prepare_run(cfg: TrainConfig, out: str | os.PathLike, images: np.ndarray,
                labels: np.ndarray, norm_mean: np.ndarray | None = None,
                norm_std: float = 1.0, pair_meta: dict | None = None) -> dict:
    """Create the run folder, or check that an existing one has the same configuration and
    training images (``ValueError`` naming the differing fields otherwise). Returns run.json."""
    out = Path(out)
    ih = images_hash(images)
    asked = cfg.identity()
    if (out / "run.json").is_file():
        meta = read_json(out / "run.json")
        check_same_identity(meta["config"], asked, f"run folder {out}")
        if meta.get("images_hash") != ih:
            raise ValueError(f"checkpoint: run folder {out} was trained on other images "
                             f"(hash {meta.get('images_hash')} != {ih}); use another --out")
        return meta
    if images.ndim != 3 or images.shape[1] != images.shape[2] or \
            images.shape[1] != cfg.unet.image_size:
        raise ValueError(f"images: need shape (n, {cfg.unet.image_size}, "
                         f"{cfg.unet.image_size}) to match the U-Net, got {images.shape}")
    if len(images) != len(labels):
        raise ValueError(f"labels: {len(labels)} labels for {len(images)} images")
    if norm_mean is None:
        norm_mean = np.zeros(images.shape[1:], np.float32)
    save_pair(out, images, labels, norm_mean, norm_std)
    meta = {"config": asked, "identity_hash": cfg.identity_hash(), "images_hash": ih,
            "checkpoint_steps": checkpoint_steps(cfg.steps, cfg.n_checkpoints,
                                                 cfg.first_checkpoint),
            "pair": pair_meta or {}}
    atomic_write_json(out / "run.json", meta)
    return meta


@dataclass
class TrainResult:
    """What :func:`train` did: how far it got, where it saved, and how fast.

    ``to_dict()`` gives a JSON-ready summary (``final_loss`` instead of the whole loss log), the
    content of ``train.json`` besides the log.

    Parameters
    ----------
    out : pathlib.Path
        The run folder.
    step : int
        Optimiser steps done so far (training steps, over all resumes).
    steps : int
        Steps asked for (``cfg.steps``).
    checkpoints : list of int
        Checkpoint steps saved so far (``<= step``).
    losses : list of (int, float)
        ``(step, mean ε-prediction MSE over the steps since the previous entry)``.
    seconds : float
        Wall-clock training time of this call (s).
    images_per_s : float
        Training images processed per second in this call.
    finished : bool
        Whether ``step == steps``.
    device : str
        The torch device used.

    Examples
    --------
    >>> from pathlib import Path
    >>> from classdyn.ddpm.train import TrainResult
    >>> r = TrainResult(out=Path("run"), step=4, steps=4, checkpoints=[1, 4],
    ...                 losses=[(2, 1.5), (4, 1.25)], seconds=2.0, images_per_s=4.0,
    ...                 finished=True, device="cpu")
    >>> r.to_dict()["final_loss"], r.to_dict()["checkpoints"]
    (1.25, [1, 4])
    """
    out: Path
    step: int
    steps: int
    checkpoints: list[int]
    losses: list[tuple[int, float]]
    seconds: float
    images_per_s: float
    finished: bool
    device: str

    def to_dict(self) -> dict:
        return {"out": self.out, "step": self.step, "steps": self.steps,
                "checkpoints": self.checkpoints, "final_loss": self.losses[-1][1]
                if self.losses else None, "seconds": self.seconds,
                "images_per_s": self.images_per_s, "finished": self.finished,
                "device": self.device}


def build_model(cfg: TrainConfig, device: str = "cpu"):
    import torch

    from .unet import UNet

    torch.manual_seed(step_seed(cfg.seed, -1 % (1 << 31), 7))
    return UNet(cfg.unet).to(device)


def make_train_step(cfg: TrainConfig, model, opt, sched, x_all, device: str = "cpu",
                    amp: bool = False) -> Callable[[int], float]:
    """``step(k) -> loss``: one Adam update of training step ``k`` (0-based) on ``x_all``
    ``(n, 1, H, W)``. Batch indices, diffusion steps ``t`` and noise ``ε`` come from a CPU
    generator seeded with ``(cfg.seed, k, 0)``, dropout masks from ``(cfg.seed, k, 1)``."""
    import torch

    from .diffusion import loss_on_batch

    n, B = len(x_all), cfg.batch_size
    shape = tuple(x_all.shape[1:])
    dev_type = torch.device(device).type

    def step(k: int) -> float:
        g = torch.Generator().manual_seed(step_seed(cfg.seed, k, 0))
        idx = torch.randint(n, (B,), generator=g)
        t = torch.randint(cfg.diffusion.T, (B,), generator=g)
        eps = torch.randn((B, *shape), generator=g)
        torch.manual_seed(step_seed(cfg.seed, k, 1))  # dropout masks of step k
        x0 = x_all[idx.to(device)]
        with torch.autocast(device_type=dev_type, dtype=torch.bfloat16, enabled=amp):
            loss = loss_on_batch(model, sched, x0, t.to(device), eps.to(device))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return float(loss.detach())

    return step


def train(cfg: TrainConfig, out: str | os.PathLike, images: np.ndarray, labels: np.ndarray,
          *, norm_mean: np.ndarray | None = None, norm_std: float = 1.0,
          pair_meta: dict | None = None, device: str = "auto", amp: bool = False,
          compile: bool = False, save_every_s: float = 60.0, log_every: int = 10,
          max_seconds: float | None = None,
          callback: Callable[[int, float], None] | None = None,
          progress: bool = True) -> TrainResult:
    r"""Train (or resume training of) the DDPM of ``cfg`` on ``images`` into the run folder.

    Objective (docs/theory/ddpm.md; paper App. J.1): Adam on the ε-prediction MSE

    .. math::

        L = \mathbb E_{x_0,\, t,\, \epsilon}\,
        \big\|\epsilon - \epsilon_\theta\big(\sqrt{\bar\alpha_t}\, x_0
        + \sqrt{1-\bar\alpha_t}\,\epsilon,\ t\big)\big\|^2

    over batches of ``cfg.batch_size`` images drawn with replacement, ``t`` uniform in 0..T−1.
    Weights are saved at the log-spaced steps :func:`classdyn.ddpm.config.checkpoint_steps`. The
    run folder holds ``run.json``, ``pair.npz``, ``checkpoints/step_XXXXXXXXX.pt``, ``state.pt``
    and ``train.json`` (module docstring), all written atomically. Randomness of step ``k`` comes
    from generators seeded with ``(seed, k)``, so a resumed run reproduces the uninterrupted one
    exactly (bit for bit on CPU). ``state.pt`` is saved at every checkpoint, every
    ``save_every_s`` seconds, at the end and on Ctrl-C.

    Parameters
    ----------
    cfg : TrainConfig
        The run's configuration; an existing run folder must have the same identity.
    out : str or os.PathLike
        The run folder (created, or resumed).
    images : numpy.ndarray
        Normalised float32 training images ``(n, H, W)``, ``H = W = cfg.unet.image_size``.
    labels : numpy.ndarray
        ``(n,)`` their labels (saved in ``pair.npz``).
    norm_mean : numpy.ndarray, optional
        Mean image of the normalisation (saved; default zeros).
    norm_std : float, default 1.0
        Scalar std of the normalisation (saved).
    pair_meta : dict, optional
        Description of the pair, stored in ``run.json``.
    device : str, default "auto"
        ``"auto"`` (CUDA when available), ``"cpu"``, ``"cuda"`` or ``"cuda:K"``.
    amp : bool, default False
        bfloat16 autocast (CUDA).
    compile : bool, default False
        ``torch.compile`` the model (CUDA).
    save_every_s : float, default 60.0
        Seconds between saves of the resume state.
    log_every : int, default 10
        Steps averaged per entry of the loss log (an entry is also made at every checkpoint).
    max_seconds : float, optional
        Stop (saving the state) after that much training time (s); a rerun continues.
    callback : callable, optional
        ``callback(step, loss)`` after every step (tests use it to simulate a kill).
    progress : bool, default True
        Show a progress bar.

    Returns
    -------
    TrainResult
        Steps done, checkpoints saved, loss log, time and throughput.

    Raises
    ------
    ValueError
        For an unavailable or unknown device, images not matching the U-Net, labels not matching
        the images, or a run folder (or its state) made with another configuration or other images.

    Examples
    --------
    A 2-step run on 4×4 images; stopping after the first step and resuming gives the same weights:

    >>> import tempfile
    >>> import numpy as np, torch
    >>> from classdyn.ddpm.config import TrainConfig, UNetConfig, DiffusionConfig
    >>> from classdyn.ddpm.train import train, load_checkpoint_model
    >>> cfg = TrainConfig(n=4, steps=2, n_checkpoints=2, batch_size=2,
    ...                   unet=UNetConfig(image_size=4, pad_to=4, widths=(8,), enc_blocks=1,
    ...                                   dec_blocks=2, attn_levels=(), heads=2),
    ...                   diffusion=DiffusionConfig(T=10, beta_end=0.005))
    >>> images = np.random.default_rng(0).normal(size=(4, 4, 4)).astype(np.float32)
    >>> labels = np.array([7, 8, 7, 8])
    >>> a, b = tempfile.mkdtemp(), tempfile.mkdtemp()
    >>> res = train(cfg, a, images, labels, device="cpu", progress=False)
    >>> res.step, res.checkpoints, res.finished, len(res.losses)
    (2, [1, 2], True, 2)
    >>> part = train(cfg, b, images, labels, device="cpu", progress=False, max_seconds=0)
    >>> part.step, part.finished
    (1, False)
    >>> train(cfg, b, images, labels, device="cpu", progress=False).step
    2
    >>> wa = load_checkpoint_model(a, 2, cfg).state_dict()
    >>> wb = load_checkpoint_model(b, 2, cfg).state_dict()
    >>> all(torch.equal(wa[k], wb[k]) for k in wa)
    True
    """
    import torch

    from classdyn.progress import progress as pbar

    from .diffusion import Schedule

    device = resolve_device(device)
    out = Path(out)
    meta = prepare_run(cfg, out, images, labels, norm_mean, norm_std, pair_meta)
    ckpts = meta["checkpoint_steps"]
    model = build_model(cfg, device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    step, losses = 0, []
    state_path = out / "state.pt"
    if state_path.is_file():
        st = torch.load(state_path, map_location=device, weights_only=True)
        if st.get("identity_hash") != cfg.identity_hash():
            raise ValueError(f"checkpoint: {state_path} belongs to another configuration")
        model.load_state_dict(st["model"])
        opt.load_state_dict(st["opt"])
        step, losses = int(st["step"]), [tuple(x) for x in st["losses"]]
    fwd = torch.compile(model) if compile else model
    sched = Schedule(cfg.diffusion, device)
    x_all = torch.as_tensor(np.asarray(images, np.float32)[:, None]).to(device)
    B = cfg.batch_size
    one_step = make_train_step(cfg, fwd, opt, sched, x_all, device, amp)

    def save_state():
        atomic_torch_save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                           "losses": losses, "identity_hash": cfg.identity_hash()}, state_path)

    def save_ckpt():
        atomic_torch_save({"model": model.state_dict(), "step": step,
                           "identity_hash": cfg.identity_hash(), "unet": cfg.unet.__dict__},
                          checkpoint_path(out, step))

    ck_set = set(ckpts)
    t0 = time.perf_counter()
    last_save = t0
    start_step = step
    run_loss, run_k = 0.0, 0
    model.train()
    bar = pbar(range(step, cfg.steps), desc=f"train {out.name}", total=cfg.steps - step,
               disable=None if progress else True)
    finished = step >= cfg.steps
    try:
        for k in bar:
            lv = one_step(k)
            step = k + 1
            run_loss += lv
            run_k += 1
            if run_k >= log_every or step in ck_set or step == cfg.steps:
                losses.append((step, run_loss / run_k))
                run_loss, run_k = 0.0, 0
            if step in ck_set:
                save_ckpt()
                save_state()
                last_save = time.perf_counter()
            elif time.perf_counter() - last_save > save_every_s:
                save_state()
                last_save = time.perf_counter()
            if callback is not None:
                callback(step, lv)
            if max_seconds is not None and time.perf_counter() - t0 > max_seconds:
                break
        finished = step >= cfg.steps
        save_state()
    except KeyboardInterrupt:
        save_state()
        raise
    secs = time.perf_counter() - t0
    ips = (step - start_step) * B / secs if secs > 0 and step > start_step else 0.0
    res = TrainResult(out=out, step=step, steps=cfg.steps,
                      checkpoints=[s for s in ckpts if s <= step], losses=losses, seconds=secs,
                      images_per_s=ips, finished=finished, device=device)
    atomic_write_json(out / "train.json", {**res.to_dict(), "losses": losses, "amp": amp,
                                           "compile": compile})
    return res


def load_checkpoint_model(out: str | os.PathLike, step: int, cfg: TrainConfig,
                          device: str = "cpu"):
    """The U-Net of run folder ``out`` at checkpoint ``step``, in eval mode.

    Parameters
    ----------
    out : str or os.PathLike
        The run folder.
    step : int
        A saved checkpoint step (``checkpoints/step_XXXXXXXXX.pt``).
    cfg : TrainConfig
        The run's configuration; the checkpoint's configuration hash must equal
        ``cfg.identity_hash()``.
    device : str, default "cpu"
        Where to load the weights.

    Returns
    -------
    UNet
        The network with the checkpoint's weights, in eval mode.

    Raises
    ------
    ValueError
        If the checkpoint was made with another configuration.
    FileNotFoundError
        If there is no checkpoint at ``step``.

    Examples
    --------
    >>> import tempfile
    >>> import torch
    >>> from classdyn.ddpm.config import TrainConfig, UNetConfig, DiffusionConfig
    >>> from classdyn.ddpm.train import atomic_torch_save, checkpoint_path, load_checkpoint_model
    >>> from classdyn.ddpm.unet import UNet
    >>> cfg = TrainConfig(n=4, steps=2, n_checkpoints=2, batch_size=2,
    ...                   unet=UNetConfig(image_size=4, pad_to=4, widths=(8,), enc_blocks=1,
    ...                                   dec_blocks=2, attn_levels=(), heads=2),
    ...                   diffusion=DiffusionConfig(T=10, beta_end=0.005))
    >>> out = tempfile.mkdtemp()
    >>> net = UNet(cfg.unet)      # a checkpoint as train() writes it
    >>> _ = atomic_torch_save({"model": net.state_dict(), "step": 1,
    ...                        "identity_hash": cfg.identity_hash()}, checkpoint_path(out, 1))
    >>> model = load_checkpoint_model(out, 1, cfg)
    >>> type(model).__name__, model.training
    ('UNet', False)
    >>> all(torch.equal(v, net.state_dict()[k]) for k, v in model.state_dict().items())
    True
    >>> other = TrainConfig(n=4, steps=3, n_checkpoints=2, batch_size=2, unet=cfg.unet,
    ...                     diffusion=cfg.diffusion)
    >>> load_checkpoint_model(out, 1, other)
    Traceback (most recent call last):
    ...
    ValueError: checkpoint: ... was made with another configuration (hash ... != ...)
    """
    import torch

    from .unet import UNet

    path = checkpoint_path(Path(out), step)
    st = torch.load(path, map_location=device, weights_only=True)
    if st.get("identity_hash") != cfg.identity_hash():
        raise ValueError(f"checkpoint: {path} was made with another configuration (hash "
                         f"{st.get('identity_hash')} != {cfg.identity_hash()})")
    model = UNet(cfg.unet).to(device)
    model.load_state_dict(st["model"])
    model.eval()
    return model
