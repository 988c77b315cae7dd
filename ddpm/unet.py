"""The U-Net noise predictor ε_θ(x_t, t) of docs/theory/ddpm.md (paper App. J.1).

Structure (a DDPM U-Net, Ho et al. 2020), for ``widths = (w_0, …, w_{L−1})``:

- time embedding: sinusoidal features of the step ``t`` (``w_0`` of them,
  ``[sin(t ω_k), cos(t ω_k)]``, ``ω_k = 10000^{−k/(w_0/2)}``), then Linear–SiLU–Linear to
  ``4 w_0``; injected additively into every ResNet block (a per-block Linear to its channels);
- input: the 28×28 image zero-padded to ``pad_to`` (32), a 3×3 convolution to ``w_0``;
- encoder: at level ``ℓ``, ``enc_blocks`` ResNet blocks to ``w_ℓ`` (each followed by self-
  attention at the levels in ``attn_levels``), then a stride-2 3×3 convolution (all levels but the
  last);
- bottleneck: ResNet block, self-attention, ResNet block (attention in the first block only);
- decoder: at level ``ℓ`` (deepest first), ``dec_blocks`` ResNet blocks on the concatenation with
  the matching encoder activation (attention as in the encoder), then nearest ×2 upsampling and a
  3×3 convolution (all levels but the first);
- output: GroupNorm–SiLU–3×3 convolution to one channel (zero-initialised), cropped to 28×28.

ResNet block: ``h = conv(SiLU(GN(x))) + Linear(SiLU(emb)); h = conv(Dropout(SiLU(GN(h))));
return skip(x) + h``. Attention block: ``x + proj(MHA(GN(x)))`` with ``heads`` heads.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .config import UNetConfig


def _groups(ch: int, max_groups: int = 32) -> int:
    """The largest group count <= 32 that divides ``ch`` (32 at the paper's widths)."""
    for g in range(min(max_groups, ch), 0, -1):
        if ch % g == 0:
            return g
    return 1


def timestep_embedding(t: torch.Tensor, dim: int) -> torch.Tensor:
    """Sinusoidal embedding (Vaswani et al. 2017): ``[sin(t ω_k), cos(t ω_k)]``,
    ``ω_k = exp(−ln(10000) k / (dim/2))``, ``k = 0..dim/2−1`` (zero-padded if ``dim`` is odd)."""
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device,
                                                         dtype=torch.float32) / max(half, 1))
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.sin(args), torch.cos(args)], dim=1)
    if dim % 2:
        emb = F.pad(emb, (0, 1))
    return emb


class ResBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, emb_dim: int, dropout: float):
        super().__init__()
        self.norm1 = nn.GroupNorm(_groups(c_in), c_in)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.emb = nn.Linear(emb_dim, c_out)
        self.norm2 = nn.GroupNorm(_groups(c_out), c_out)
        self.drop = nn.Dropout(dropout)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb(F.silu(emb))[:, :, None, None]
        h = self.conv2(self.drop(F.silu(self.norm2(h))))
        return self.skip(x) + h


class AttnBlock(nn.Module):
    """Multi-head self-attention over pixels with GroupNorm pre-normalisation, residual."""

    def __init__(self, ch: int, heads: int):
        super().__init__()
        self.heads = heads
        self.norm = nn.GroupNorm(_groups(ch), ch)
        self.qkv = nn.Conv2d(ch, 3 * ch, 1)
        self.proj = nn.Conv2d(ch, ch, 1)

    def forward(self, x):
        b, c, hgt, wid = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(b, 3, self.heads, c // self.heads,
                                                 hgt * wid).unbind(1)
        # (b, heads, tokens, dim)
        q, k, v = (z.transpose(-1, -2) for z in (q, k, v))
        h = F.scaled_dot_product_attention(q, k, v)
        h = h.transpose(-1, -2).reshape(b, c, hgt, wid)
        return x + self.proj(h)


class Down(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, stride=2, padding=1)

    def forward(self, x):
        return self.conv(x)


class Up(nn.Module):
    def __init__(self, ch):
        super().__init__()
        self.conv = nn.Conv2d(ch, ch, 3, padding=1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2.0, mode="nearest"))


class UNet(nn.Module):
    """The U-Net noise predictor ε_θ(x_t, t) (docs/theory/ddpm.md; paper App. J.1).

    ``forward(x (B, C, H, W), t (B,) integer steps) -> (B, C, H, W)`` with ``C = cfg.in_channels``
    and ``H = W = cfg.image_size`` (28): padded to ``cfg.pad_to`` inside and cropped back; the
    structure is described in the module docstring. The output convolution is zero-initialised, so
    a fresh network predicts ε = 0.

    Parameters
    ----------
    cfg : UNetConfig, default ``UNetConfig()``
        The architecture (paper: widths 64, 128, 256, 256; about 25.6 M parameters).

    Examples
    --------
    >>> import torch
    >>> from classdyn.ddpm.config import UNetConfig
    >>> from classdyn.ddpm.unet import UNet, count_parameters
    >>> _ = torch.manual_seed(0)
    >>> net = UNet(UNetConfig.tiny(widths=(8, 8), attn_levels=(), heads=2, pad_to=28))
    >>> y = net(torch.randn(2, 1, 28, 28), torch.tensor([0, 5]))
    >>> tuple(y.shape), bool((y == 0).all())
    ((2, 1, 28, 28), True)
    """

    def __init__(self, cfg: UNetConfig = UNetConfig()):
        super().__init__()
        self.cfg = cfg
        w, L = cfg.widths, len(cfg.widths)
        w0 = w[0]
        emb = 4 * w0
        self.temb = nn.Sequential(nn.Linear(w0, emb), nn.SiLU(), nn.Linear(emb, emb))
        self.conv_in = nn.Conv2d(cfg.in_channels, w0, 3, padding=1)
        self.down = nn.ModuleList()
        skips = [w0]
        ch = w0
        for lvl in range(L):
            for _ in range(cfg.enc_blocks):
                blk = nn.ModuleList([ResBlock(ch, w[lvl], emb, cfg.dropout)])
                ch = w[lvl]
                if lvl in cfg.attn_levels:
                    blk.append(AttnBlock(ch, cfg.heads))
                self.down.append(blk)
                skips.append(ch)
            if lvl != L - 1:
                self.down.append(nn.ModuleList([Down(ch)]))
                skips.append(ch)
        self.mid = nn.ModuleList([ResBlock(ch, ch, emb, cfg.dropout), AttnBlock(ch, cfg.heads),
                                  ResBlock(ch, ch, emb, cfg.dropout)])
        self.up = nn.ModuleList()
        for lvl in reversed(range(L)):
            for _ in range(cfg.dec_blocks):
                s = skips.pop()
                blk = nn.ModuleList([ResBlock(ch + s, w[lvl], emb, cfg.dropout)])
                ch = w[lvl]
                if lvl in cfg.attn_levels:
                    blk.append(AttnBlock(ch, cfg.heads))
                self.up.append(blk)
            if lvl != 0:
                self.up.append(nn.ModuleList([Up(ch)]))
        assert not skips  # dec_blocks = enc_blocks + 1 pairs every skip with one block
        self.norm_out = nn.GroupNorm(_groups(ch), ch)
        self.conv_out = nn.Conv2d(ch, cfg.in_channels, 3, padding=1)
        nn.init.zeros_(self.conv_out.weight)
        nn.init.zeros_(self.conv_out.bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        cfg = self.cfg
        p = (cfg.pad_to - cfg.image_size) // 2
        if p:
            x = F.pad(x, (p, p, p, p))
        emb = self.temb(timestep_embedding(t, cfg.widths[0]))
        h = self.conv_in(x)
        hs = [h]
        for blk in self.down:
            for m in blk:
                h = m(h, emb) if isinstance(m, ResBlock) else m(h)
            hs.append(h)
        for m in self.mid:
            h = m(h, emb) if isinstance(m, ResBlock) else m(h)
        for blk in self.up:
            for m in blk:
                if isinstance(m, ResBlock):
                    h = m(torch.cat([h, hs.pop()], dim=1), emb)
                else:
                    h = m(h)
        out = self.conv_out(F.silu(self.norm_out(h)))
        if p:
            out = out[..., p:p + cfg.image_size, p:p + cfg.image_size]
        return out


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of a torch module.

    Parameters
    ----------
    model : torch.nn.Module
        The network.

    Returns
    -------
    int
        Sum of ``p.numel()`` over the parameters with ``requires_grad``.

    Examples
    --------
    >>> import torch
    >>> from classdyn.ddpm.unet import count_parameters
    >>> count_parameters(torch.nn.Linear(3, 2))   # 3*2 weights + 2 biases
    8
    >>> from classdyn.ddpm.config import UNetConfig
    >>> from classdyn.ddpm.unet import UNet
    >>> count_parameters(UNet(UNetConfig.tiny(widths=(8, 8), attn_levels=(), heads=2, pad_to=28)))
    17609
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
