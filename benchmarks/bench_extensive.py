"""Extensive-centroid spectrum (classdyn.theory.extensive, docs/theory/extensive.md).

Targets (issue 8): density on a 400-point grid for C = 2 with Gaussian averaging over m
(40×40 Gauss–Hermite, 1600 nodes) in under 2 s after compilation; outlier locations at one t in
under 0.1 s. Baselines timed in the same run:

* density: a plain NumPy/SciPy solver of the same equations (node sums vectorised in NumPy,
  ``scipy.optimize.root`` on the real and imaginary parts, the same η-continuation), timed on
  20 grid points and compared per point;
* outliers: what one would do without the theory, ``numpy.linalg.eigvalsh`` of one finite GEP
  matrix at d = 500 (p = 1000).
"""

from __future__ import annotations


import numpy as np


def _numpy_point(lam, nodes, eta=1e-7):
    """Baseline: the §6 bulk equations at ``lam + i eta`` with NumPy + scipy.optimize.root."""
    from scipy.optimize import root

    C = nodes.n_classes
    rho, e2s2, D = nodes.rho, nodes.e2 * nodes.sigma2, nodes.Delta
    w, A, V2, S2 = nodes.weights, nodes.a, nodes.v2, nodes.s2bar
    iu = np.triu_indices(C)

    def F(xr, z):
        x = xr[: xr.size // 2] + 1j * xr[xr.size // 2:]
        delta = x[:C]
        T = np.zeros((C, C), complex)
        T[iu] = x[C:]
        T = T + T.T - np.diag(np.diag(T))
        kap = rho * (e2s2 / (1 + delta) + D)
        M = np.linalg.inv(np.diag(1 / kap) + T)
        den = -z + S2 + V2 @ (rho / (1 + delta)) + np.einsum("kc,cd,kd->k", A, M, A)
        R = 1 / den
        Tn = nodes.psi_p * np.einsum("k,kc,kd->cd", w * R, A, A)
        N = T @ np.linalg.inv(np.eye(C) + kap[:, None] * T)
        dn = (e2s2 * np.diag(N) + nodes.psi_p * (w * R) @ V2) / nodes.psi_n
        res = x - np.concatenate([dn, Tn[iu]])
        return np.concatenate([res.real, res.imag])

    nu = C + C * (C + 1) // 2
    x = np.zeros(2 * nu)
    eta_k = 4.0 * (1 + abs(lam) + nodes.scale())
    while True:
        x = root(F, x, args=(complex(lam, eta_k),), method="hybr", tol=1e-12).x
        if eta_k <= eta:
            break
        eta_k = max(eta_k * 0.1, eta)
    return x


def run(bench) -> None:
    from classdyn.simulate.data import make_centroids, sample_mixture
    from classdyn.simulate.features import U_gep, gep_coefficients
    from classdyn.theory import extensive as ex
    from classdyn.theory.params import Mixture, RandomFeatures

    mix = Mixture(variances=(1.0, 2.0), norms2=(1.0, 1.0))
    rf = RandomFeatures(psi_p=2.0, psi_n=1.0)
    t = 0.5
    nodes = ex.gaussian_nodes(mix, rf, t, order=40)
    lam = np.linspace(0.0, 2.8, 400)

    bench.compile_time("extensive_density (compile)", lambda: ex.extensive_density(lam[:5], nodes))
    dens = bench.time("extensive_density 400 pts, 1600 nodes",
                      lambda: ex.extensive_density(lam, nodes), warmup=1, repeat=3, number=1)
    bench.target("density 400 points < 2 s", dens, 2.0)
    sub = lam[::20]
    base = bench.time("NumPy/SciPy root, 20 pts", lambda: [_numpy_point(x, nodes) for x in sub],
                      warmup=0, repeat=1, number=1)
    per_new = dens.best / lam.size
    per_base = base.best / sub.size
    bench.notes["density per point (s): new"] = per_new
    bench.notes["density per point (s): numpy baseline"] = per_base
    from benchmarks.harness import Timing

    bench.ratio("density speed-up per point",
                Timing("baseline per point", per_base, per_base, [per_base], 1),
                Timing("new per point", per_new, per_new, [per_new], 1), target=10.0)

    t1 = 1.0
    nodes1 = ex.gaussian_nodes(mix, rf, t1, order=40)
    bench.compile_time("outliers (compile)", lambda: ex.outliers(nodes1, 500))
    out = bench.time("outliers at one t (1600 nodes)", lambda: ex.outliers(nodes1, 500),
                     warmup=1, repeat=3, number=1)
    bench.target("outliers at one t < 0.1 s", out, 0.1)
    nodes20 = ex.gaussian_nodes(mix, rf, t1, order=20)
    out20 = bench.time("outliers at one t (400 nodes)", lambda: ex.outliers(nodes20, 500),
                       warmup=1, repeat=3, number=1)
    bench.notes["outliers order 40"] = ex.outliers(nodes1, 500).locations.tolist()
    bench.notes["outliers order 20"] = ex.outliers(nodes20, 500).locations.tolist()
    bench.target("outliers at one t (400 nodes) < 0.1 s", out20, 0.1)

    rng = np.random.default_rng(0)
    d = 500
    W = rng.standard_normal((1000, d))
    mu = make_centroids(mix, d, rng)
    smp = sample_mixture(mix, d, d, seed=rng, centroids=mu)
    U = U_gep(W, smp.X, smp.labels, gep_coefficients(W, mix, "tanh", t1, centroids=mu),
              centroids=mu, seed=1)
    eig = bench.time("eigvalsh of a GEP U (p = 1000)", lambda: np.linalg.eigvalsh(U),
                     warmup=1, repeat=3, number=1)
    bench.ratio("outliers vs one p=1000 eigvalsh", eig, out, target=1.0)
    bench.notes["t"] = {"density": t, "outliers": t1}

    # issue 12: edges with E_m refined until they converge (the door's default since issue 12)
    # against the fixed 60-point composite Legendre rule it used before, at the point
    from classdyn.theory.extensive_converged import converged_edges, converged_stieltjes

    leg = ex.gaussian_nodes(mix, rf, t, order=60, rule="legendre")
    fixed = bench.time("edges, fixed Legendre 60 (before issue 12)",
                       lambda: ex.extensive_edges(leg), warmup=0, repeat=1, number=1)
    conv = bench.time("edges, converged 60 -> 120 -> 240 (door default)",
                      lambda: converged_edges(mix, rf, t, order=60, max_order=240),
                      warmup=0, repeat=1, number=1)
    bench.ratio("fixed-rule time / converged time (cost of convergence)", fixed, conv,
                target=None)
    e = converged_edges(mix, rf, t, order=60, max_order=240)
    bench.notes["converged edges"] = e.intervals.tolist()
    bench.notes["converged edge errors"] = e.errors.tolist()
    bench.notes["converged flags"] = e.converged.tolist()
    bench.time("converged q(0.5 + 0.01i)",
               lambda: converged_stieltjes(0.5 + 0.01j, mix, rf, t), warmup=0, repeat=1,
               number=1)
    bench.notes["converged q orders"] = converged_stieltjes(0.5 + 0.01j, mix, rf, t).orders
