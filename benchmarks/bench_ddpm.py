"""DDPM training and sampling throughput (docs/theory/ddpm.md), as ratios against baselines measured in
the same run.

- training: one real training step (``classdyn.ddpm.train.make_train_step``: seeded batch/noise draw,
  forward, backward, Adam) against a bare forward+backward of the same U-Net on a fixed batch;
  the ratio is the overhead of everything that is not the network (target <= 1.5);
- sampling: the DDPM ancestral sampler (``classdyn.ddpm.diffusion.ancestral_sample``, ``T`` network calls
  plus the update and noise draws) against ``T`` bare forward passes of the same batch
  (target <= 1.3).

Absolute throughputs (images/s; for sampling, generated images/s and network evaluations/s) are
recorded in the notes. On CPU the tiny U-Net (widths 16 32 32, 28×28 padded to 32×32) runs with
``CLASSDYN_TORCH_THREADS`` threads (default 1: on a shared 2-core machine two OpenMP threads
that compete with other processes spin and run far slower). When CUDA is available, the same
measurements are repeated at the paper's size (widths 64 128 256 256, batch 128, bfloat16).
"""

from __future__ import annotations

import os


def _setup(cfg, device, batch):
    import numpy as np
    import torch

    from classdyn.ddpm.diffusion import Schedule
    from classdyn.ddpm.train import make_train_step
    from classdyn.ddpm.unet import UNet

    torch.manual_seed(0)
    model = UNet(cfg.unet).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr)
    sched = Schedule(cfg.diffusion, device)
    x_all = torch.as_tensor(np.random.default_rng(0).standard_normal(
        (256, 1, 28, 28)).astype(np.float32)).to(device)
    step = make_train_step(cfg, model, opt, sched, x_all, device)
    x = torch.randn(batch, 1, 28, 28, device=device)
    t = torch.randint(cfg.diffusion.T, (batch,), device=device)
    return model, sched, step, x, t


def _measure(bench, label, cfg, device, batch, n_samples, T_sample, repeat):
    import torch

    from classdyn.ddpm.diffusion import Schedule, ancestral_sample

    model, sched, step, x, t = _setup(cfg, device, batch)
    sync = torch.cuda.synchronize if device.startswith("cuda") else (lambda: None)

    def fwd_bwd():
        model.zero_grad(set_to_none=True)
        (model(x, t) ** 2).mean().backward()
        sync()

    k = [0]

    def train_step():
        step(k[0])
        k[0] += 1
        sync()

    base = bench.time(f"{label} forward+backward (batch {batch})", fwd_bwd, repeat=repeat)
    tr = bench.time(f"{label} train step (batch {batch})", train_step, repeat=repeat)
    bench.ratio(f"{label} train step / forward+backward", tr, base, target=1.5, better="lower")
    bench.notes[f"{label} train images/s"] = batch / tr.best

    from classdyn.ddpm.config import DiffusionConfig

    sched_s = Schedule(DiffusionConfig(T=T_sample), device)
    xs = torch.randn(n_samples, 1, 28, 28, device=device)
    model.eval()

    def raw():
        with torch.no_grad():
            for s in range(T_sample):
                model(xs, torch.full((n_samples,), s, device=device))
        sync()

    def sampler():
        ancestral_sample(model, sched_s, n_samples, (1, 28, 28), seed=0, batch_size=n_samples,
                         device=device)
        sync()

    r = bench.time(f"{label} {T_sample} raw forwards (batch {n_samples})", raw, repeat=repeat,
                   number=1)
    s = bench.time(f"{label} ancestral sampler ({n_samples} samples, T={T_sample})", sampler,
                   repeat=repeat, number=1)
    bench.ratio(f"{label} sampler / raw forwards", s, r, target=1.3, better="lower")
    bench.notes[f"{label} sampled images/s"] = n_samples / s.best
    bench.notes[f"{label} sampler network evaluations/s"] = n_samples * T_sample / s.best


def run(bench) -> None:
    import torch

    from classdyn.ddpm.config import DiffusionConfig, TrainConfig, UNetConfig
    from classdyn.ddpm.unet import count_parameters, UNet

    threads = int(os.environ.get("CLASSDYN_TORCH_THREADS", "1"))
    torch.set_num_threads(threads)
    bench.notes["cpu threads"] = threads
    tiny = TrainConfig(n=256, unet=UNetConfig.tiny(), diffusion=DiffusionConfig(T=100),
                       batch_size=32, steps=10)
    bench.notes["tiny parameters"] = count_parameters(UNet(tiny.unet))
    _measure(bench, "cpu tiny", tiny, "cpu", batch=32, n_samples=32, T_sample=25, repeat=3)
    if torch.cuda.is_available():
        paper = TrainConfig(n=256, unet=UNetConfig(), batch_size=128, steps=10)
        bench.notes["paper parameters"] = count_parameters(UNet(paper.unet))
        bench.notes["gpu"] = torch.cuda.get_device_name()
        _measure(bench, "cuda paper", paper, "cuda", batch=128, n_samples=500, T_sample=50,
                 repeat=5)
