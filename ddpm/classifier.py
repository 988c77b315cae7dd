"""Binary ResNet-18 classifier per pair, used to assign generated samples to classes (docs/theory/ddpm.md;
paper App. J.1).

ResNet-18 (He et al. 2016): a 7×7 stride-2 convolution with a single input channel (grayscale),
BatchNorm, ReLU, 3×3 max-pool, four stages of two BasicBlocks with ``base·(1, 2, 4, 8)`` channels
(stride 2 from the second stage on), global average pooling and a linear head with two outputs
(``base = 64`` is the standard width). Training (App. J.1): the pair normalisation of the
diffusion model, AdamW with separate learning rates for the backbone and the head, cosine
annealing of both over all steps, label smoothing, a seeded 90/10 train/validation split; after
training the BatchNorm statistics are recomputed exactly over the training images. Reported
on the held-out 10 %: macro F1 ``(F1_a + F1_b)/2`` with ``F1 = 2PR/(P+R)``, and balanced accuracy
``(TPR_a + TPR_b)/2``.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from classdyn.io import atomic_write_json


@dataclass(frozen=True)
class ClassifierConfig:
    """Hyper-parameters of the pair classifier (paper's values where the text keeps them).

    Frozen and validated on construction (docs/theory/ddpm.md; paper App. J.1).

    Parameters
    ----------
    base_width : int, default 64
        Channels of the first ResNet-18 stage (the standard width is 64).
    epochs : int, default 15
        Passes over the training part.
    batch_size : int, default 128
        Minibatch size.
    lr_backbone : float, default 1e-3
        AdamW learning rate of the backbone (cosine-annealed over all steps).
    lr_head : float, default 3e-3
        AdamW learning rate of the linear head.
    weight_decay : float, default 1e-2
        AdamW weight decay (>= 0).
    label_smoothing : float, default 0.1
        Label smoothing of the cross-entropy, in [0, 1).
    val_fraction : float, default 0.1
        Held-out fraction for the reported scores, in (0, 1).
    max_images : int, default 0
        Use at most this many images (0: every image given; otherwise >= 2).
    seed : int, default 0
        Seed of the split, the initialisation and the batch order.

    Raises
    ------
    ValueError
        If a field is out of range, naming it.

    Examples
    --------
    >>> from classdyn.ddpm.classifier import ClassifierConfig
    >>> cfg = ClassifierConfig(epochs=1, base_width=8)
    >>> cfg.epochs, cfg.lr_backbone, cfg.val_fraction
    (1, 0.001, 0.1)
    >>> ClassifierConfig(max_images=1)
    Traceback (most recent call last):
    ...
    ValueError: max_images: must be 0 (all) or >= 2, got 1
    """

    base_width: int = 64
    epochs: int = 15
    batch_size: int = 128
    lr_backbone: float = 1e-3
    lr_head: float = 3e-3
    weight_decay: float = 1e-2
    label_smoothing: float = 0.1
    val_fraction: float = 0.1
    max_images: int = 0  # 0 = every image of the two classes in the train split
    seed: int = 0

    def __post_init__(self):
        for name in ("base_width", "epochs", "batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}: must be >= 1, got {getattr(self, name)}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction: must lie in (0, 1), got {self.val_fraction}")
        if not 0 <= self.label_smoothing < 1:
            raise ValueError(f"label_smoothing: must lie in [0, 1), got {self.label_smoothing}")
        if self.lr_backbone <= 0 or self.lr_head <= 0 or self.weight_decay < 0:
            raise ValueError("lr_backbone, lr_head: must be > 0; weight_decay: >= 0")
        if self.max_images < 0 or self.max_images == 1:
            raise ValueError(f"max_images: must be 0 (all) or >= 2, got {self.max_images}")


def resnet18(base_width: int = 64, n_classes: int = 2, in_channels: int = 1):
    """ResNet-18 with a single-channel first convolution (He et al. 2016; docs/theory/ddpm.md).

    A 7×7 stride-2 convolution, BatchNorm, ReLU, 3×3 max-pool, four stages of two BasicBlocks
    with ``base·(1, 2, 4, 8)`` channels (stride 2 from the second stage on), global average
    pooling and a linear head.

    Parameters
    ----------
    base_width : int, default 64
        Channels of the first stage (64: the standard ResNet-18).
    n_classes : int, default 2
        Outputs of the linear head (logits).
    in_channels : int, default 1
        Input channels (1: grayscale).

    Returns
    -------
    torch.nn.Module
        The network; ``forward(x (B, in_channels, H, W)) -> (B, n_classes)`` logits.

    Examples
    --------
    >>> import torch
    >>> from classdyn.ddpm.classifier import resnet18
    >>> net = resnet18(base_width=2)
    >>> tuple(net(torch.zeros(3, 1, 28, 28)).shape)
    (3, 2)
    >>> # torchvision's 11 689 512, less 2·64·49 for the grayscale stem and 512·998 + 998 for the head
    >>> sum(p.numel() for p in resnet18().parameters())
    11171266
    """
    import torch
    from torch import nn

    class Basic(nn.Module):
        def __init__(self, c_in, c_out, stride):
            super().__init__()
            self.c1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
            self.b1 = nn.BatchNorm2d(c_out)
            self.c2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
            self.b2 = nn.BatchNorm2d(c_out)
            self.down = None
            if stride != 1 or c_in != c_out:
                self.down = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride, bias=False),
                                          nn.BatchNorm2d(c_out))

        def forward(self, x):
            h = torch.relu(self.b1(self.c1(x)))
            h = self.b2(self.c2(h))
            return torch.relu(h + (x if self.down is None else self.down(x)))

    class ResNet18(nn.Module):
        def __init__(self):
            super().__init__()
            w = base_width
            self.stem = nn.Sequential(nn.Conv2d(in_channels, w, 7, 2, 3, bias=False),
                                      nn.BatchNorm2d(w), nn.ReLU(inplace=True),
                                      nn.MaxPool2d(3, 2, 1))
            layers, c = [], w
            for i, mult in enumerate((1, 2, 4, 8)):
                c_out = w * mult
                stride = 1 if i == 0 else 2
                layers += [Basic(c, c_out, stride), Basic(c_out, c_out, 1)]
                c = c_out
            self.body = nn.Sequential(*layers)
            self.head = nn.Linear(c, n_classes)

        def forward(self, x):
            h = self.body(self.stem(x))
            return self.head(torch.flatten(nn.functional.adaptive_avg_pool2d(h, 1), 1))

    return ResNet18()


def macro_f1_balanced_accuracy(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int = 2
                               ) -> tuple[float, float]:
    """Macro F1 ``mean_c 2 P_c R_c/(P_c + R_c)`` and balanced accuracy ``mean_c R_c``."""
    f1s, recs = [], []
    for c in range(n_classes):
        tp = np.sum((y_pred == c) & (y_true == c))
        fp = np.sum((y_pred == c) & (y_true != c))
        fn = np.sum((y_pred != c) & (y_true == c))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * p * r / (p + r) if p + r else 0.0)
        recs.append(r)
    return float(np.mean(f1s)), float(np.mean(recs))


@dataclass
class ClassifierResult:
    classes: tuple[int, int]
    macro_f1: float
    balanced_accuracy: float
    n_train: int
    n_val: int
    seconds: float
    config: dict

    def to_dict(self) -> dict:
        return asdict(self)


def train_classifier(images: np.ndarray, labels: np.ndarray, classes: tuple[int, int],
                     cfg: ClassifierConfig = ClassifierConfig(), *, out: str | os.PathLike,
                     device: str = "cpu", progress: bool = True) -> ClassifierResult:
    r"""Train the binary pair classifier, or reuse the one already saved in ``out``.

    On normalised ``images`` with original ``labels`` (two classes): a seeded 90/10 (``val_fraction``)
    train/validation split, AdamW with separate learning rates for backbone and head, cosine
    annealing over all steps, label smoothing; afterwards the BatchNorm statistics are recomputed
    exactly over the training images (docs/theory/ddpm.md; paper App. J.1). Reported on the held-out
    part: macro F1 and balanced accuracy,

    .. math::

        F_1 = \frac12 \sum_{c} \frac{2 P_c R_c}{P_c + R_c}, \qquad
        \mathrm{bacc} = \frac12 \sum_c R_c .

    ``classifier.pt`` (weights and configuration) and ``classifier.json`` (the result) are written
    atomically in ``out``; if a classifier with the same configuration and classes is there already,
    its saved result is returned without training.

    Parameters
    ----------
    images : numpy.ndarray
        Normalised float32 images ``(n, H, W)``.
    labels : numpy.ndarray
        ``(n,)`` original labels, all in ``classes``.
    classes : tuple of (int, int)
        The pair; ``classes[0]`` is index 0 of the network's output.
    cfg : ClassifierConfig, default ``ClassifierConfig()``
        Hyper-parameters.
    out : str or os.PathLike
        Folder of ``classifier.pt`` and ``classifier.json`` (keyword only).
    device : str, default "cpu"
        Torch device.
    progress : bool, default True
        Show a progress bar over epochs.

    Returns
    -------
    ClassifierResult
        ``classes``, ``macro_f1``, ``balanced_accuracy``, ``n_train``, ``n_val``, ``seconds`` and
        ``config``.

    Raises
    ------
    ValueError
        If a label is not one of ``classes``.

    Examples
    --------
    One epoch on 8 random 8×8 images (a shape check, not a useful classifier):

    >>> import tempfile
    >>> import numpy as np
    >>> from classdyn.ddpm.classifier import ClassifierConfig, train_classifier
    >>> labels = np.array([7, 8] * 4)
    >>> images = np.random.default_rng(0).normal(size=(8, 8, 8)).astype(np.float32)
    >>> cfg = ClassifierConfig(base_width=2, epochs=1, batch_size=8, val_fraction=0.25)
    >>> out = tempfile.mkdtemp()
    >>> res = train_classifier(images, labels, (7, 8), cfg, out=out, progress=False)
    >>> res.classes, res.n_train, res.n_val, 0 <= res.macro_f1 <= 1
    ((7, 8), 6, 2, True)
    >>> train_classifier(images, labels, (7, 8), cfg, out=out, progress=False) == res   # reused
    True
    >>> train_classifier(images, labels, (7, 9), cfg, out=tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    ValueError: labels: classifier images must all belong to classes (7, 9)
    """
    import time

    import torch
    from torch import nn

    from classdyn.io import read_json
    from classdyn.progress import progress as pbar

    from .train import atomic_torch_save

    out = Path(out)
    meta_path = out / "classifier.json"
    want = {**asdict(cfg), "classes": list(classes)}
    if meta_path.is_file() and (out / "classifier.pt").is_file():
        meta = read_json(meta_path)
        if meta.get("config") == want:
            return ClassifierResult(**{**meta, "classes": tuple(meta["classes"])})
    y = np.where(np.asarray(labels) == classes[0], 0, 1)
    if not np.all(np.isin(labels, classes)):
        raise ValueError(f"labels: classifier images must all belong to classes {classes}")
    rng = np.random.default_rng(cfg.seed)
    perm = rng.permutation(len(images))
    if cfg.max_images:
        perm = perm[:cfg.max_images]
    n_val = max(1, int(round(cfg.val_fraction * len(perm))))
    val, tr = perm[:n_val], perm[n_val:]
    X = torch.as_tensor(np.asarray(images, np.float32)[:, None])
    Y = torch.as_tensor(y, dtype=torch.long)
    torch.manual_seed(cfg.seed)
    net = resnet18(cfg.base_width).to(device)
    head = list(net.head.parameters())
    head_ids = {id(p) for p in head}
    backbone = [p for p in net.parameters() if id(p) not in head_ids]
    opt = torch.optim.AdamW([{"params": backbone, "lr": cfg.lr_backbone},
                             {"params": head, "lr": cfg.lr_head}],
                            weight_decay=cfg.weight_decay)
    per_epoch = (len(tr) + cfg.batch_size - 1) // cfg.batch_size
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=cfg.epochs * per_epoch)
    lossf = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)
    t0 = time.perf_counter()
    g = torch.Generator().manual_seed(cfg.seed)
    for _ in pbar(range(cfg.epochs), desc="classifier", disable=None if progress else True):
        net.train()
        order = torch.as_tensor(tr)[torch.randperm(len(tr), generator=g)]
        for s in range(0, len(order), cfg.batch_size):
            bi = order[s:s + cfg.batch_size]
            if len(bi) < 2:  # BatchNorm needs two samples
                continue
            loss = lossf(net(X[bi].to(device)), Y[bi].to(device))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
    recalibrate_batchnorm(net, X[torch.as_tensor(tr)], device=device,
                          batch_size=cfg.batch_size)
    pred = predict(net, images[val], device=device)
    f1, bacc = macro_f1_balanced_accuracy(y[val], pred)
    res = ClassifierResult(classes=tuple(classes), macro_f1=f1, balanced_accuracy=bacc,
                           n_train=len(tr), n_val=len(val), seconds=time.perf_counter() - t0,
                           config=want)
    atomic_torch_save({"model": net.state_dict(), "config": want}, out / "classifier.pt")
    atomic_write_json(meta_path, res.to_dict())
    return res


def recalibrate_batchnorm(net, X, *, device: str = "cpu", batch_size: int = 128) -> None:
    """Replace the BatchNorm running statistics by exact averages over ``X`` (the training
    images), so that evaluation does not depend on how far the exponential moving averages
    (momentum 0.1) had converged in a short training."""
    import torch
    from torch import nn

    bns = [m for m in net.modules() if isinstance(m, nn.BatchNorm2d)]
    saved = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative average
    net.train()
    with torch.no_grad():
        for s in range(0, len(X), batch_size):
            xb = X[s:s + batch_size]
            if len(xb) >= 2:
                net(xb.to(device))
    for m, mom in zip(bns, saved):
        m.momentum = mom
    net.eval()


def predict(net, images: np.ndarray, *, device: str = "cpu", batch_size: int = 1024
            ) -> np.ndarray:
    """Predicted index (0 = first class of the pair, 1 = second) of normalised images."""
    import torch

    net.eval()
    out = []
    with torch.no_grad():
        for s in range(0, len(images), batch_size):
            xb = torch.as_tensor(np.asarray(images[s:s + batch_size], np.float32)[:, None])
            out.append(net(xb.to(device)).argmax(1).cpu().numpy())
    return np.concatenate(out) if out else np.zeros(0, int)


def load_classifier(out: str | os.PathLike, device: str = "cpu"):
    """The saved classifier of a run folder (its ``classifier.pt``) and its configuration.

    Parameters
    ----------
    out : str or os.PathLike
        Folder holding ``classifier.pt`` (written by :func:`train_classifier`).
    device : str, default "cpu"
        Where to load the weights.

    Returns
    -------
    net : torch.nn.Module
        The ResNet-18, in eval mode.
    config : dict
        The ``ClassifierConfig`` fields and ``classes`` it was trained with.

    Raises
    ------
    ValueError
        If ``out`` holds no ``classifier.pt``.

    Examples
    --------
    >>> import tempfile
    >>> from classdyn.ddpm.classifier import load_classifier, resnet18
    >>> from classdyn.ddpm.train import atomic_torch_save
    >>> out = tempfile.mkdtemp()
    >>> _ = atomic_torch_save({"model": resnet18(2).state_dict(),
    ...                        "config": {"base_width": 2, "classes": [7, 8]}},
    ...                       f"{out}/classifier.pt")     # as train_classifier saves it
    >>> net, config = load_classifier(out)
    >>> config["classes"], net.training
    ([7, 8], False)
    >>> load_classifier(tempfile.mkdtemp())
    Traceback (most recent call last):
    ...
    ValueError: out: no classifier in ...; run `classdyn ddpm classify --out ...` first
    """
    import torch

    path = Path(out) / "classifier.pt"
    if not path.is_file():
        raise ValueError(f"out: no classifier in {out}; run `classdyn ddpm classify --out "
                         f"{out}` first")
    st = torch.load(path, map_location=device, weights_only=True)
    net = resnet18(st["config"]["base_width"]).to(device)
    net.load_state_dict(st["model"])
    net.eval()
    return net, st["config"]
