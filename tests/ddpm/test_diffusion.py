"""classdyn.ddpm.diffusion: the paper's schedule and the forward moments, one training step of the
ε-prediction loss, and the ancestral sampler (shape, seed, variance)."""

import math

import numpy as np
import pytest

from classdyn.ddpm.config import DiffusionConfig, UNetConfig

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.ddpm


def test_schedule_matches_paper_and_forward_moments():
    from classdyn.ddpm.diffusion import Schedule

    s = Schedule(DiffusionConfig())
    # float32 storage of float64 values: 1e-7 relative.
    assert math.isclose(float(s.betas[0]), 1e-4, rel_tol=1e-6)
    assert math.isclose(float(s.betas[-1]), 0.02, rel_tol=1e-6)
    # alpha_bar_T = prod(1 - beta_t) ~ 4e-5 at the paper's schedule (x_T is pure noise).
    ab = np.cumprod(1 - np.linspace(1e-4, 0.02, 1000))
    assert math.isclose(float(s.alpha_bar[-1]), ab[-1], rel_tol=1e-4)
    # q(x_t|x_0) = N(sqrt(ab) x0, (1-ab) I): sample moments of 200k draws, tolerance 5 standard
    # errors (std of a mean of 2e5 unit-variance draws ~ 2.2e-3).
    g = torch.Generator().manual_seed(0)
    x0 = torch.full((200_000, 1, 1, 1), 2.0)
    t = torch.full((200_000,), 300)
    xt = s.q_sample(x0, t, torch.randn(x0.shape, generator=g))
    assert abs(xt.mean().item() - 2 * math.sqrt(ab[300])) < 5 * math.sqrt((1 - ab[300]) / 2e5)
    assert abs(xt.var().item() - (1 - ab[300])) < 0.01
    # Shorter schedules are scaled by 1000/T so that x_T is still noise.
    s100 = Schedule(DiffusionConfig(T=100))
    assert float(s100.alpha_bar[-1]) < 1e-3


def test_one_training_step_lowers_loss_on_a_fixed_batch():
    from classdyn.ddpm.diffusion import Schedule, loss_on_batch
    from classdyn.ddpm.unet import UNet

    torch.manual_seed(0)
    cfg = UNetConfig(image_size=14, pad_to=16, widths=(8, 16), enc_blocks=1, dec_blocks=2,
                     attn_levels=(1,), heads=2, dropout=0.0)
    model = UNet(cfg)
    sched = Schedule(DiffusionConfig(T=50))
    g = torch.Generator().manual_seed(1)
    x0 = torch.randn(16, 1, 14, 14, generator=g)
    t = torch.randint(50, (16,), generator=g)
    eps = torch.randn(16, 1, 14, 14, generator=g)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    before = loss_on_batch(model, sched, x0, t, eps)
    # Zero-initialised output layer: the initial prediction is 0, so the loss is mean(eps^2).
    assert math.isclose(before.item(), float((eps ** 2).mean()), rel_tol=1e-6)
    opt.zero_grad()
    before.backward()
    opt.step()
    with torch.no_grad():
        after = loss_on_batch(model, sched, x0, t, eps).item()
    # A deterministic decrease on the same batch (no dropout); at least 0.1 % so that it is not
    # round-off (float32 loss round-off ~1e-7).
    assert after < before.item() * 0.999


def test_ancestral_sampler_shape_and_seed():
    from classdyn.ddpm.diffusion import Schedule, ancestral_sample
    from classdyn.ddpm.unet import UNet

    cfg = UNetConfig(image_size=14, pad_to=16, widths=(8, 16), enc_blocks=1, dec_blocks=2,
                     attn_levels=(1,), heads=2)
    model = UNet(cfg)
    sched = Schedule(DiffusionConfig(T=25))
    a = ancestral_sample(model, sched, 5, (1, 14, 14), seed=3, batch_size=2)
    b = ancestral_sample(model, sched, 5, (1, 14, 14), seed=3, batch_size=2)
    assert a.shape == (5, 1, 14, 14) and a.dtype == np.float32
    np.testing.assert_array_equal(a, b)  # same seed, same samples, bit for bit on CPU


def test_ancestral_sampler_variance_with_zero_noise_prediction():
    """With eps_theta = 0 the update x_{t-1} = x_t/sqrt(alpha_t) + sigma_t z is linear, so
    Var x_0 = 1/abar_{T-1} + sum_{t=1}^{T-1} beta_t / abar_{t-1} (code indices t = 0..T-1)."""
    from classdyn.ddpm.diffusion import Schedule, ancestral_sample

    class Zero(torch.nn.Module):
        def forward(self, x, t):
            return torch.zeros_like(x)

    sched = Schedule(DiffusionConfig(T=25))
    x = ancestral_sample(Zero(), sched, 20_000, (1, 1, 1), seed=0, batch_size=20_000)
    beta = np.linspace(1e-4, 0.02, 25) * 1000 / 25
    abar = np.cumprod(1 - beta)
    var = 1 / abar[-1] + np.sum(beta[1:] / abar[:-1])
    # Relative std error of a variance from 2e4 Gaussian draws is sqrt(2/2e4) = 1 %; allow 5 %.
    assert abs(x.var() / var - 1) < 0.05
