"""Configurations of the DDPM experiment (docs/theory/ddpm.md; paper App. J.1), torch-free.

Frozen dataclasses that validate themselves on construction, so a bad value raises ``ValueError``
naming the parameter, its value and the allowed range before any work starts. ``identity()`` is
the part of a configuration that decides the numbers a run produces; a run folder remembers it, and
resuming or sampling with a different one is refused (:func:`check_same_identity`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

#: The paper's U-Net widths (App. J.1).
PAPER_WIDTHS = (64, 128, 256, 256)


def _need(cond: bool, msg: str) -> None:
    if not cond:
        raise ValueError(msg)


@dataclass(frozen=True)
class UNetConfig:
    """The U-Net of docs/theory/ddpm.md / paper App. J.1 (frozen, validated on construction).

    ``widths``: channels per resolution level (paper: 64, 128, 256, 256; each level but the last
    halves the resolution); ``enc_blocks`` ResNet blocks per level in the encoder (paper 2),
    ``dec_blocks`` in the decoder (paper 3; must be ``enc_blocks + 1``); ``attn_levels``: levels
    whose blocks carry ``heads``-head self-attention with GroupNorm pre-normalisation (paper: the two
    intermediate resolutions, levels 1 and 2); the bottleneck is two ResNet blocks, attention after
    the first. ``image_size`` 28 is zero-padded to ``pad_to`` (32) at the input and the output is
    cropped back. ``UNetConfig.tiny(**kw)`` gives a CPU-sized U-Net with the same structure.

    Parameters
    ----------
    image_size : int, default 28
        Side of the (square) input images, in pixels.
    pad_to : int, default 32
        Side after zero-padding; ``>= image_size``, a multiple of ``2**(len(widths) - 1)`` and
        differing from ``image_size`` by an even number.
    in_channels : int, default 1
        Image channels (1 for Fashion-MNIST).
    widths : tuple of int, default ``PAPER_WIDTHS`` = (64, 128, 256, 256)
        Channels per resolution level.
    enc_blocks : int, default 2
        ResNet blocks per level in the encoder (>= 1).
    dec_blocks : int, default 3
        ResNet blocks per level in the decoder; must equal ``enc_blocks + 1``.
    attn_levels : tuple of int, default (1, 2)
        Levels (``0 .. len(widths) - 1``) whose blocks carry self-attention.
    heads : int, default 4
        Attention heads; must divide the channels of every attention level and of the bottleneck.
    dropout : float, default 0.1
        Dropout probability in the ResNet blocks, in [0, 1).

    Raises
    ------
    ValueError
        If a field is out of range; the message names the field, its value and the allowed range.

    Examples
    --------
    >>> from classdyn.ddpm.config import UNetConfig
    >>> cfg = UNetConfig.tiny()
    >>> cfg.widths, cfg.enc_blocks, cfg.dec_blocks, cfg.attn_levels
    ((16, 32, 32), 1, 2, (1,))
    >>> UNetConfig().widths == (64, 128, 256, 256)
    True
    >>> UNetConfig(dec_blocks=2)
    Traceback (most recent call last):
    ...
    ValueError: dec_blocks: must equal enc_blocks + 1 = 3 (each decoder block takes one encoder skip, as in the DDPM U-Net), got 2
    """

    image_size: int = 28
    pad_to: int = 32
    in_channels: int = 1
    widths: tuple[int, ...] = PAPER_WIDTHS
    enc_blocks: int = 2
    dec_blocks: int = 3
    attn_levels: tuple[int, ...] = (1, 2)
    heads: int = 4
    dropout: float = 0.1

    def __post_init__(self):
        object.__setattr__(self, "widths", tuple(int(w) for w in self.widths))
        object.__setattr__(self, "attn_levels", tuple(int(a) for a in self.attn_levels))
        _need(len(self.widths) >= 1 and all(w >= 1 for w in self.widths),
              f"widths: need one or more positive channel counts, got {list(self.widths)}")
        _need(self.enc_blocks >= 1, f"enc_blocks: must be >= 1, got {self.enc_blocks}")
        _need(self.dec_blocks == self.enc_blocks + 1,
              f"dec_blocks: must equal enc_blocks + 1 = {self.enc_blocks + 1} (each decoder "
              f"block takes one encoder skip, as in the DDPM U-Net), got {self.dec_blocks}")
        _need(self.heads >= 1, f"heads: must be >= 1, got {self.heads}")
        _need(0 <= self.dropout < 1, f"dropout: must lie in [0, 1), got {self.dropout}")
        _need(self.image_size >= 1, f"image_size: must be >= 1, got {self.image_size}")
        L = len(self.widths)
        f = 2 ** (L - 1)
        _need(self.pad_to >= self.image_size and self.pad_to % f == 0
              and (self.pad_to - self.image_size) % 2 == 0,
              f"pad_to: must be >= image_size={self.image_size}, a multiple of 2^(levels-1)={f} "
              f"and differ from image_size by an even number, got {self.pad_to}")
        for a in self.attn_levels:
            _need(0 <= a < L, f"attn_levels: level {a} outside 0..{L - 1}")
            _need(self.widths[a] % self.heads == 0,
                  f"heads: {self.heads} heads do not divide the {self.widths[a]} channels of "
                  f"attention level {a}")
        _need(self.widths[-1] % self.heads == 0,
              f"heads: {self.heads} heads do not divide the bottleneck's {self.widths[-1]} "
              "channels")

    @classmethod
    def tiny(cls, **kw) -> "UNetConfig":
        """A CPU-sized U-Net with the same structure: widths (16, 32, 32), attention at level 1."""
        base = dict(widths=(16, 32, 32), enc_blocks=1, dec_blocks=2, attn_levels=(1,), heads=4,
                    pad_to=32)
        base.update(kw)
        return cls(**base)


@dataclass(frozen=True)
class DiffusionConfig:
    r"""The DDPM noise schedule (Ho et al. 2020; docs/theory/ddpm.md), frozen and validated.

    A linear β schedule from ``beta_start`` to ``beta_end`` over ``T`` steps, scaled by ``1000/T``
    when ``T != 1000`` so that ``ᾱ_T`` stays near 0 (paper: 1e-4 to 0.02, T = 1000, unscaled).

    .. math::

        \beta_t = \frac{1000}{T}\Big(\beta_{\rm start} + (\beta_{\rm end} - \beta_{\rm start})
        \frac{t-1}{T-1}\Big), \qquad \bar\alpha_t = \prod_{s \le t} (1 - \beta_s).

    Parameters
    ----------
    T : int, default 1000
        Number of diffusion steps (>= 2).
    beta_start : float, default 1e-4
        First β (dimensionless, per step), ``0 < beta_start <= beta_end``.
    beta_end : float, default 0.02
        Last β (dimensionless, per step); ``beta_end * 1000 / T`` must be < 1.

    Raises
    ------
    ValueError
        If ``T < 2``, the βs are not ordered and positive, or the scaled ``beta_end`` reaches 1.

    Examples
    --------
    >>> from classdyn.ddpm.config import DiffusionConfig
    >>> DiffusionConfig()
    DiffusionConfig(T=1000, beta_start=0.0001, beta_end=0.02)
    >>> DiffusionConfig(T=10)
    Traceback (most recent call last):
    ...
    ValueError: beta_end: beta_end*1000/T = 2 must be < 1
    """

    T: int = 1000
    beta_start: float = 1e-4
    beta_end: float = 0.02

    def __post_init__(self):
        _need(self.T >= 2, f"T: need >= 2 diffusion steps, got {self.T}")
        _need(0 < self.beta_start <= self.beta_end,
              f"beta_start/beta_end: need 0 < beta_start <= beta_end, got {self.beta_start}, "
              f"{self.beta_end}")
        _need(self.beta_end * 1000 / self.T < 1,
              f"beta_end: beta_end*1000/T = {self.beta_end * 1000 / self.T:g} must be < 1")


@dataclass(frozen=True)
class TrainConfig:
    """One training run: the pair, the model, the schedule and the optimiser (Adam).

    Frozen and validated on construction; ``to_dict``/``from_dict`` round-trip it through JSON, and
    ``identity()`` (all fields, ``steps`` too since it fixes the checkpoint schedule) with its
    16-hex-digit ``identity_hash()`` is what a run folder remembers (see ``check_same_identity``).

    Parameters
    ----------
    classes : tuple of (int, int), default (7, 8)
        Two different Fashion-MNIST labels in 0..9 (default sneaker and bag).
    proportion : float, default 0.5
        Fraction of the training set drawn from ``classes[0]``, in the open interval (0, 1).
    n : int, default 8000
        Number of training images (>= 2).
    data_seed : int, default 0
        Seed of the draw of the training pair (>= 0).
    unet : UNetConfig or dict, default ``UNetConfig()``
        The network; a dict is turned into a ``UNetConfig``.
    diffusion : DiffusionConfig or dict, default ``DiffusionConfig()``
        The noise schedule; a dict is turned into a ``DiffusionConfig``.
    lr : float, default 2e-4
        Adam learning rate (> 0).
    batch_size : int, default 128
        Minibatch size (>= 1).
    steps : int, default 100000
        Optimiser steps (>= 1).
    n_checkpoints : int, default 32
        Number of log-spaced checkpoints (>= 1; see :func:`checkpoint_steps`).
    first_checkpoint : int, default 1
        Step of the first checkpoint, in ``1..steps``.
    seed : int, default 0
        Seed of initialisation, minibatches and noise (>= 0).

    Raises
    ------
    ValueError
        If a field is out of range; the message names the field and its value.

    Examples
    --------
    >>> from classdyn.ddpm.config import TrainConfig, UNetConfig, DiffusionConfig
    >>> cfg = TrainConfig(n=10, steps=20, unet=UNetConfig.tiny(), diffusion={"T": 100})
    >>> cfg.diffusion
    DiffusionConfig(T=100, beta_start=0.0001, beta_end=0.02)
    >>> TrainConfig.from_dict(cfg.to_dict()) == cfg
    True
    >>> len(cfg.identity_hash())
    16
    >>> TrainConfig(proportion=1.0)
    Traceback (most recent call last):
    ...
    ValueError: proportion: must lie in the open interval (0, 1), got 1.0
    """

    classes: tuple[int, int] = (7, 8)
    proportion: float = 0.5
    n: int = 8000
    data_seed: int = 0
    unet: UNetConfig = field(default_factory=UNetConfig)
    diffusion: DiffusionConfig = field(default_factory=DiffusionConfig)
    lr: float = 2e-4
    batch_size: int = 128
    steps: int = 100_000
    n_checkpoints: int = 32
    first_checkpoint: int = 1
    seed: int = 0

    def __post_init__(self):
        object.__setattr__(self, "classes", tuple(int(c) for c in self.classes))
        if isinstance(self.unet, dict):
            object.__setattr__(self, "unet", UNetConfig(**self.unet))
        if isinstance(self.diffusion, dict):
            object.__setattr__(self, "diffusion", DiffusionConfig(**self.diffusion))
        _need(len(self.classes) == 2 and self.classes[0] != self.classes[1]
              and all(0 <= c <= 9 for c in self.classes),
              f"classes: need two different labels in 0..9, got {list(self.classes)}")
        _need(0 < self.proportion < 1,
              f"proportion: must lie in the open interval (0, 1), got {self.proportion}")
        _need(self.n >= 2, f"n: need >= 2 training images, got {self.n}")
        _need(self.lr > 0, f"lr: must be > 0, got {self.lr}")
        _need(self.batch_size >= 1, f"batch_size: must be >= 1, got {self.batch_size}")
        _need(self.steps >= 1, f"steps: must be >= 1, got {self.steps}")
        _need(self.n_checkpoints >= 1, f"checkpoints: must be >= 1, got {self.n_checkpoints}")
        _need(1 <= self.first_checkpoint <= self.steps,
              f"first_checkpoint: must lie in 1..steps={self.steps}, got "
              f"{self.first_checkpoint}")
        _need(self.seed >= 0 and self.data_seed >= 0,
              f"seed, data_seed: must be >= 0, got {self.seed}, {self.data_seed}")

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["classes"] = list(self.classes)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "TrainConfig":
        d = dict(d)
        d["unet"] = UNetConfig(**{k: tuple(v) if isinstance(v, list) else v
                                  for k, v in d["unet"].items()})
        d["diffusion"] = DiffusionConfig(**d["diffusion"])
        d["classes"] = tuple(d["classes"])
        return cls(**d)

    def identity(self) -> dict[str, Any]:
        """Everything that decides the weights at a given step (all fields: ``steps`` too, since
        it fixes the checkpoint schedule)."""
        return json.loads(json.dumps(self.to_dict()))

    def identity_hash(self) -> str:
        blob = json.dumps(self.identity(), sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()[:16]


def diff_identity(a: dict, b: dict, prefix: str = "") -> list[str]:
    """The fields where two identities differ, as ``"name: a != b"`` lines."""
    out = []
    for k in sorted(set(a) | set(b)):
        va, vb = a.get(k), b.get(k)
        if isinstance(va, dict) and isinstance(vb, dict):
            out += diff_identity(va, vb, prefix + k + ".")
        elif va != vb:
            out.append(f"{prefix}{k}: {va!r} (saved) != {vb!r} (asked)")
    return out


def check_same_identity(saved: dict, asked: dict, where: str) -> None:
    """Raise ``ValueError`` listing the differing fields if ``saved`` != ``asked``."""
    diffs = diff_identity(saved, asked)
    if diffs:
        raise ValueError(f"checkpoint: {where} was made with another configuration ("
                         + "; ".join(diffs) + "); use another --out folder or the same "
                         "parameters")


def checkpoint_steps(steps: int, n_checkpoints: int = 32, first: int = 1) -> list[int]:
    r"""Log-spaced checkpoint steps (paper App. J.1: 32 log-spaced checkpoints).

    ``round(first · (steps/first)^(k/(M−1)))``, ``k = 0..M−1``, duplicates (from rounding small
    steps) removed, with the smallest ``M >= K`` that leaves ``min(K, steps − first + 1)``
    distinct steps; the last one is always ``steps``.

    .. math::

        s_k = \mathrm{round}\Big(f \,(S/f)^{k/(M-1)}\Big), \qquad k = 0, \dots, M-1.

    Parameters
    ----------
    steps : int
        Total optimiser steps ``S``; the last checkpoint.
    n_checkpoints : int, default 32
        Number ``K`` of checkpoints wanted.
    first : int, default 1
        The first checkpoint step ``f``.

    Returns
    -------
    list of int
        ``min(K, steps - first + 1)`` distinct increasing steps from ``first`` to ``steps``
        (just ``[steps]`` when that number is <= 1).

    Examples
    --------
    >>> from classdyn.ddpm.config import checkpoint_steps
    >>> checkpoint_steps(1000, 8)
    [1, 3, 7, 19, 52, 139, 373, 1000]
    >>> checkpoint_steps(5, 32)   # fewer steps than checkpoints: every step
    [1, 2, 3, 4, 5]
    >>> checkpoint_steps(100, 5, first=10)
    [10, 18, 32, 56, 100]
    """
    import numpy as np

    want = min(int(n_checkpoints), int(steps) - int(first) + 1)
    if want <= 1:
        return [int(steps)]
    m = want
    while True:
        s = np.unique(np.rint(np.geomspace(first, steps, m)).astype(np.int64))
        if len(s) >= want:
            break
        m += 1
    s = s.tolist()
    # Too many after the last increment: drop interior points nearest their neighbours in log.
    while len(s) > want:
        gaps = np.diff(np.log(s))
        j = int(np.argmin(gaps[:-1] + gaps[1:])) + 1
        s.pop(j)
    return [int(v) for v in s]
