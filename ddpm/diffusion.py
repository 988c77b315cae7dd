"""DDPM forward process, ε-prediction loss and ancestral sampler (Ho et al. 2020; docs/theory/ddpm.md,
paper App. J.1).

Schedule: ``β_t`` linear from ``β_1`` to ``β_T`` (paper: 1e-4 to 0.02, ``T = 1000``; both scaled by
``1000/T`` for other ``T``), ``α_t = 1 − β_t``, ``ᾱ_t = Π_{s≤t} α_s``. Steps are indexed
``t = 0..T−1`` in code (``t = 1..T`` in the paper).

- forward: ``q(x_t | x_0) = N(√ᾱ_t x_0, (1 − ᾱ_t) I)``, i.e. ``x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε``;
- loss: ``L = E_{x_0, t ~ U{0..T−1}, ε ~ N(0, I)} ‖ε − ε_θ(x_t, t)‖² / d`` (MSE);
- ancestral sampler: ``x_T ~ N(0, I)``, then for ``t = T..1``
  ``x_{t−1} = (x_t − β_t/√(1 − ᾱ_t) ε_θ(x_t, t)) / √α_t + σ_t z``, ``z ~ N(0, I)``,
  ``σ_t² = β_t`` and no noise at the last step.
"""

from __future__ import annotations

import numpy as np
import torch

from .config import DiffusionConfig


class Schedule:
    """The β schedule as float32 tensors on ``device`` (computed in float64)."""

    def __init__(self, cfg: DiffusionConfig = DiffusionConfig(), device="cpu"):
        self.cfg = cfg
        scale = 1000.0 / cfg.T
        betas = np.linspace(cfg.beta_start * scale, cfg.beta_end * scale, cfg.T, dtype=np.float64)
        alphas = 1.0 - betas
        abar = np.cumprod(alphas)
        self.T = cfg.T
        f = lambda a: torch.tensor(a, dtype=torch.float32, device=device)  # noqa: E731
        self.betas, self.alphas, self.alpha_bar = f(betas), f(alphas), f(abar)
        self.sqrt_ab, self.sqrt_1mab = f(np.sqrt(abar)), f(np.sqrt(1.0 - abar))
        self.eps_coef = f(betas / np.sqrt(1.0 - abar))
        self.inv_sqrt_alpha = f(1.0 / np.sqrt(alphas))
        self.sigma = f(np.sqrt(betas))

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, eps: torch.Tensor) -> torch.Tensor:
        """``x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε`` (a draw of ``q(x_t | x_0)``)."""
        return self.sqrt_ab[t][:, None, None, None] * x0 + \
            self.sqrt_1mab[t][:, None, None, None] * eps


def loss_on_batch(model, sched: Schedule, x0: torch.Tensor, t: torch.Tensor,
                  eps: torch.Tensor) -> torch.Tensor:
    """ε-prediction MSE ``mean ‖ε − ε_θ(√ᾱ_t x_0 + √(1−ᾱ_t) ε, t)‖²`` for given ``t``, ``ε``."""
    pred = model(sched.q_sample(x0, t, eps), t)
    return torch.mean((pred.float() - eps) ** 2)


@torch.no_grad()
def ancestral_sample(model, sched: Schedule, n: int, shape=(1, 28, 28), *, seed: int = 0,
                     batch_size: int = 500, device="cpu", amp: bool = False,
                     progress=None) -> np.ndarray:
    """Draw ``n`` samples with the DDPM ancestral sampler (module docstring); returns float32
    ``(n, *shape)`` NumPy array.

    Noise comes from a CPU ``torch.Generator`` seeded with ``seed`` and is moved to ``device``, so
    the same seed gives the same initial noise and the same ``z`` on every device and for every
    checkpoint (common random numbers across checkpoints).
    """
    was_training = model.training
    model.eval()
    out = []
    g = torch.Generator().manual_seed(int(seed))
    T = sched.T
    n_batches = (n + batch_size - 1) // batch_size
    steps = range(n_batches * T)
    it = iter(progress(steps, total=n_batches * T) if progress else steps)
    for b in range(n_batches):
        m = min(batch_size, n - b * batch_size)
        x = torch.randn((m, *shape), generator=g).to(device)
        for t in reversed(range(T)):
            tt = torch.full((m,), t, dtype=torch.long, device=device)
            with torch.autocast(device_type=torch.device(device).type, dtype=torch.bfloat16,
                                enabled=amp):
                eps = model(x, tt).float()
            x = (x - sched.eps_coef[t] * eps) * sched.inv_sqrt_alpha[t]
            if t > 0:
                x = x + sched.sigma[t] * torch.randn((m, *shape), generator=g).to(device)
            next(it, None)
        out.append(x.float().cpu().numpy())
    if was_training:
        model.train()
    return np.concatenate(out, axis=0).astype(np.float32)


class EmpiricalDenoiser(torch.nn.Module):
    """The exact ε-predictor of the empirical distribution of ``train`` (n, H, W): the minimiser
    of the DDPM loss over all functions, i.e. a model that has fully memorised its training set.

        ε*(x_t, t) = (x_t − √ᾱ_t x̂_0) / √(1 − ᾱ_t),
        x̂_0 = Σ_ν w_ν x^ν,  w = softmax_ν(−‖x_t − √ᾱ_t x^ν‖² / (2 (1 − ᾱ_t)))

    Its ancestral samples are copies of training images, so it calibrates the ratio test.
    """

    def __init__(self, train: np.ndarray, sched: Schedule):
        super().__init__()
        self.sched = sched
        self.register_buffer("X", torch.as_tensor(np.asarray(train, np.float32)
                                                  .reshape(len(train), -1)))

    def forward(self, xt: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        f = xt.reshape(xt.shape[0], -1).float()
        ab = self.sched.alpha_bar[t][:, None]
        d2 = ((f[:, None, :] - ab.sqrt()[:, :, None] * self.X[None]) ** 2).sum(-1)
        w = torch.softmax(-d2 / (2 * (1 - ab)), dim=1)
        return ((f - ab.sqrt() * (w @ self.X)) / (1 - ab).sqrt()).reshape(xt.shape)
