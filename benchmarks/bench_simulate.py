"""Speed of the finite-size dynamics (classdyn.simulate.train, classdyn.simulate.dynamics).

- One explicit gradient step (fresh noise, full batch) at d = 1000, p = 2000, n = 1000 against
  the three matrix products it must do (Ξ Wᵀ, Φ Aᵀ, Rᵀ Φ with the same shapes), timed in the
  same run: target ratio <= 2.
- Semi-analytic curves (train loss, two class test losses, score errors) for 400 values of tau
  at p = 2000 (d = 1000), including the eigendecomposition of U: target < 15 s (absolute,
  reported only). Feature matrices from the linear activation (closed form), so the benchmark
  times the dynamics alone.
"""

import numpy as np


def run(bench) -> None:
    from classdyn.simulate.systems import build_features
    from classdyn.simulate.data import sample_mixture
    from classdyn.simulate.dynamics import semi_analytic_curves, tau_grid
    from classdyn.simulate.train import GDTrainer
    from classdyn.theory.params import Mixture

    d, p, n, t = 1000, 2000, 1000, 0.1
    rng = np.random.default_rng(0)
    mix = Mixture(variances=(1.0, 2.0))
    data = sample_mixture(mix, d, n, seed=rng)
    W = rng.standard_normal((p, d))

    tr = GDTrainer(W, data.X, t, 1e-3, "tanh")
    A = np.zeros((d, p))
    step_rng = np.random.default_rng(1)
    step = bench.time("gd_step tanh d=1000 p=2000 n=1000", lambda: tr.gd_step(A, step_rng),
                      warmup=1, repeat=5, number=1)
    Z = rng.standard_normal((n, d))
    H = np.empty((n, p))
    R = np.empty((n, d))
    G = np.empty((d, p))
    WT = tr.WT
    A2 = rng.standard_normal((d, p)) * 1e-3

    def products():
        np.matmul(Z, WT, out=H)
        np.matmul(H, A2.T, out=R)
        np.matmul(R.T, H, out=G)

    base = bench.time("3 matmuls (n·d·p each)", products, warmup=1, repeat=5, number=1)
    bench.ratio("gd_step / its matrix products", step, base, target=2.0, better="lower")

    fs = build_features(W, data.X, data.labels, mix, data.centroids, t, activation="linear")
    tau = tau_grid(1e-2, 1e5, 400)
    curves = bench.time("semi-analytic 400 tau, p=2000, C=2 (incl. eigh)",
                        lambda: semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, tau, t,
                                                     mix.variances),
                        warmup=0, repeat=1, number=1)
    bench.target("semi-analytic curves p=2000", curves, 15.0)
