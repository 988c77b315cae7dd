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
    r"""The DDPM β schedule as float32 tensors on ``device`` (computed in float64).

    ``β_t`` linear from ``cfg.beta_start`` to ``cfg.beta_end`` (both scaled by ``1000/T``),
    ``α_t = 1 − β_t``, ``ᾱ_t = Π_{s≤t} α_s``; steps are indexed ``t = 0..T−1`` in code
    (``t = 1..T`` in the paper). See docs/theory/ddpm.md and the module docstring.

    .. math::

        q(x_t \mid x_0) = \mathcal N\big(\sqrt{\bar\alpha_t}\, x_0,\ (1 - \bar\alpha_t) I\big),
        \qquad \bar\alpha_t = \prod_{s \le t} (1 - \beta_s).

    Attributes: ``T``; tensors ``betas``, ``alphas``, ``alpha_bar``, ``sqrt_ab`` (``√ᾱ_t``),
    ``sqrt_1mab`` (``√(1 − ᾱ_t)``), ``eps_coef`` (``β_t/√(1 − ᾱ_t)``), ``inv_sqrt_alpha``
    (``1/√α_t``), ``sigma`` (``√β_t``), each of length ``T``. ``q_sample(x0, t, eps)`` returns
    ``x_t = √ᾱ_t x_0 + √(1 − ᾱ_t) ε`` for a batch ``(b, C, H, W)`` and step indices ``t`` (b,).

    Parameters
    ----------
    cfg : DiffusionConfig, default ``DiffusionConfig()``
        Number of steps ``T`` and the end points of the β schedule.
    device : str or torch.device, default "cpu"
        Where the tensors live.

    Examples
    --------
    >>> import torch
    >>> from classdyn.ddpm.config import DiffusionConfig
    >>> from classdyn.ddpm.diffusion import Schedule
    >>> s = Schedule(DiffusionConfig(T=50))      # betas scaled by 1000/50 = 20
    >>> s.T, round(float(s.betas[0]), 6), round(float(s.betas[-1]), 6)
    (50, 0.002, 0.4)
    >>> bool(torch.allclose(s.alpha_bar, torch.cumprod(s.alphas, 0)))
    True
    >>> x0, eps = torch.ones(2, 1, 4, 4), torch.zeros(2, 1, 4, 4)
    >>> t = torch.tensor([0, 49])
    >>> bool(torch.allclose(s.q_sample(x0, t, eps)[:, 0, 0, 0], s.alpha_bar[t].sqrt()))
    True
    """

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
    r"""Draw ``n`` samples with the DDPM ancestral sampler (Ho et al. 2020; docs/theory/ddpm.md).

    ``x_T ~ N(0, I)``, then for ``t = T..1`` (code: ``T−1..0``)

    .. math::

        x_{t-1} = \frac{1}{\sqrt{\alpha_t}}\Big(x_t - \frac{\beta_t}{\sqrt{1-\bar\alpha_t}}\,
        \epsilon_\theta(x_t, t)\Big) + \sigma_t z, \qquad z \sim \mathcal N(0, I),\ \sigma_t^2 = \beta_t,

    with no noise at the last step. Noise comes from a CPU ``torch.Generator`` seeded with
    ``seed`` and is moved to ``device``, so the same seed gives the same initial noise and the same
    ``z`` on every device and for every checkpoint (common random numbers across checkpoints; the
    draws are made batch by batch, so ``batch_size`` must also be the same). The model is put in
    eval mode and restored afterwards.

    Parameters
    ----------
    model : torch.nn.Module
        ε-predictor called as ``model(x_t, t)`` with ``x_t`` (b, *shape) and ``t`` (b,) long.
    sched : Schedule
        The noise schedule.
    n : int
        Number of samples.
    shape : tuple of int, default (1, 28, 28)
        Shape of one sample (channels, height, width).
    seed : int, default 0
        Seed of the CPU generator of all the noise.
    batch_size : int, default 500
        Samples denoised at once.
    device : str or torch.device, default "cpu"
        Where the model runs.
    amp : bool, default False
        Run the model under bfloat16 autocast.
    progress : callable, optional
        A tqdm-like wrapper ``progress(iterable, total=...)`` advanced once per denoising step.

    Returns
    -------
    numpy.ndarray
        float32 array of shape ``(n, *shape)``.

    Examples
    --------
    The exact denoiser of a training set (:class:`EmpiricalDenoiser`) reproduces training images:

    >>> import numpy as np
    >>> from classdyn.ddpm.config import DiffusionConfig
    >>> from classdyn.ddpm.diffusion import Schedule, ancestral_sample, EmpiricalDenoiser
    >>> s = Schedule(DiffusionConfig(T=50))
    >>> train = np.random.default_rng(0).normal(size=(3, 4, 4)).astype(np.float32)
    >>> x = ancestral_sample(EmpiricalDenoiser(train, s), s, 4, shape=(1, 4, 4), seed=0)
    >>> x.shape, x.dtype
    ((4, 1, 4, 4), dtype('float32'))
    >>> d2 = ((x.reshape(4, 1, -1) - train.reshape(1, 3, -1)) ** 2).sum(-1)
    >>> np.round(d2.min(axis=1), 4)
    array([0., 0., 0., 0.], dtype=float32)
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
    r"""The exact ε-predictor of the empirical distribution of ``train``.

    The minimiser of the DDPM loss over all functions, i.e. a model that has fully memorised its
    training set (docs/theory/ddpm.md):

    .. math::

        \epsilon^*(x_t, t) = \frac{x_t - \sqrt{\bar\alpha_t}\,\hat x_0}{\sqrt{1-\bar\alpha_t}},
        \qquad \hat x_0 = \sum_\nu w_\nu x^\nu, \qquad
        w = \mathrm{softmax}_\nu\Big(-\frac{\|x_t - \sqrt{\bar\alpha_t} x^\nu\|^2}
        {2 (1 - \bar\alpha_t)}\Big).

    Its ancestral samples are copies of training images, so it calibrates the ratio test
    (:func:`classdyn.ddpm.memorization.is_memorised`). ``forward(xt, t)`` takes ``xt`` of any
    shape ``(b, ...)`` with ``H·W`` pixels per item and ``t`` (b,) long step indices.

    Parameters
    ----------
    train : numpy.ndarray
        Training images, shape ``(n, H, W)`` (any ``(n, ...)``; flattened per image, float32).
    sched : Schedule
        The noise schedule (its ``alpha_bar`` is used).

    Examples
    --------
    At an early step the noise added to a training image is recovered exactly:

    >>> import numpy as np, torch
    >>> from classdyn.ddpm.config import DiffusionConfig
    >>> from classdyn.ddpm.diffusion import Schedule, EmpiricalDenoiser
    >>> s = Schedule(DiffusionConfig(T=50))
    >>> train = np.random.default_rng(0).normal(size=(3, 4, 4)).astype(np.float32)
    >>> den = EmpiricalDenoiser(train, s)
    >>> eps = torch.randn(1, 1, 4, 4, generator=torch.Generator().manual_seed(0))
    >>> t = torch.tensor([5])
    >>> xt = s.q_sample(torch.as_tensor(train[:1, None]), t, eps)
    >>> round(float((den(xt, t) - eps).abs().max()), 6)
    0.0
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
