"""Spectral density and edges, centred classes (docs/theory/spectrum-centred.md; issue 4).

Targets (reported, never asserted):
* density on a 400-point grid, unimodal isotropic case (ψ_p = 2, ψ_n = 1, t = 0.01, tanh):
  under 50 ms after compilation, and ≥ 1000× faster than the reference solver below, timed in
  the same run;
* density on 400 points inside the bulks within 2× of the Newton floor (issue 16; `_warm_start`);
* all edges for C = 2 (variances 1 and 2, weights ½, ψ_p = 4, ψ_n = 2, t = 0.01) at 30 digits
  under 2 s, caches cleared (elimination, discriminant, roots, classification).

Reference solver ("the straightforward way", the common approach in published code):
``scipy.optimize.root(method='lm')`` on the real and imaginary parts of the two spectral
equations ``A r + B q = 1`` and ``ψ_p A B q² + (1 − ψ_p) A q + B q = 1`` (docs/theory/spectrum-centred.md, eqs. 2-3)
at ``z = λ + iη``, continuing in ``η`` from 100 down to 1e-9 (23 log-spaced values) at each
point from ``q = r = −1/z``.
"""

from __future__ import annotations

import os

import numpy as np

ETAS = np.logspace(2, -9, 23)


def reference_density(params, lam):
    """Straightforward reference: scipy ``root(method='lm')`` with continuation in ``η``."""
    from scipy.optimize import root

    k = params.psi_p / params.psi_n
    rho, a2, v2 = params.rho, params.alpha2, params.v2

    def eqs(x, z):
        q, r = x[0] + 1j * x[1], x[2] + 1j * x[3]
        D = 1 + k * (a2 * r + v2 * q)
        A = params.bbar2 + np.sum(rho * a2 / D)
        B = -z + params.sbar2 + np.sum(rho * v2 / D)
        e1 = A * r + B * q - 1
        e2 = params.psi_p * A * B * q * q + (1 - params.psi_p) * A * q + B * q - 1
        return [e1.real, e1.imag, e2.real, e2.imag]

    out = np.empty(lam.size)
    for i, x in enumerate(lam):
        z0 = x + 1j * ETAS[0]
        guess = np.array([(-1 / z0).real, (-1 / z0).imag] * 2)
        for eta in ETAS:
            sol = root(eqs, guess, args=(x + 1j * eta,), method="lm")
            guess = sol.x
        out[i] = max(guess[1], 0.0) / np.pi
    return out


def run(bench) -> None:
    from classdyn.theory import curve as CU
    from classdyn.theory import edges as E
    from classdyn.theory.params import Mixture, RandomFeatures
    from classdyn.theory.spectrum import SpectralParams, density

    uni = SpectralParams.from_model(Mixture(variances=(1.0,)), RandomFeatures(2.0, 1.0, "tanh"),
                                    0.01)
    lam = np.linspace(1e-3, 6.0, 400)
    bench.compile_time("density 400 points (compiled)", lambda: density(uni, lam))
    fast = bench.time("density 400 points (compiled)", lambda: density(uni, lam), repeat=5)
    ref = bench.time("reference scipy lm + eta continuation", lambda: reference_density(uni, lam),
                     warmup=0, repeat=1, number=1)
    bench.ratio("speed-up vs reference", ref, fast, target=1000, better="higher")
    bench.target("density 400 points", fast, 0.05)
    # agreement of the two (the reference stops at eta = 1e-9: O(1e-9) differences in bulks)
    a, b = density(uni, lam).density, reference_density(uni, lam[::40])
    bench.notes["max |compiled - reference| on every 40th point"] = float(
        np.max(np.abs(a[::40] - b)))

    two = SpectralParams.from_model(Mixture(variances=(1.0, 2.0)), RandomFeatures(4.0, 2.0),
                                    0.01)

    def edges_cold():
        # cold: no memory cache and no disk cache (CLASSDYN_EDGE_CACHE=0), the elimination runs
        for f in (CU._eliminated_cached, CU._edge_coefficients, E._find_edges_cached):
            f.cache_clear()
        old = os.environ.get("CLASSDYN_EDGE_CACHE")
        os.environ["CLASSDYN_EDGE_CACHE"] = "0"
        try:
            return E.find_edges(two, dps=30)
        finally:
            if old is None:
                del os.environ["CLASSDYN_EDGE_CACHE"]
            else:
                os.environ["CLASSDYN_EDGE_CACHE"] = old

    bench.compile_time("edges C=2 30 digits (cold caches)", edges_cold)
    t = bench.time("edges C=2 30 digits (cold caches)", edges_cold, warmup=0, repeat=3,
                   number=1)
    bench.target("edges C=2 at 30 digits", t, 2.0)
    warm = bench.time("edges C=2 30 digits (cached)", lambda: E.find_edges(two, dps=30))
    bench.notes["edges found"] = [str(x) for x in edges_cold().edge_strings(12)]
    bench.ratio("edges cold / cached", t, warm)

    _warm_start(bench)


def _bulk_grid(params, n: int = 400) -> np.ndarray:
    """``n`` points inside the bulks (θ-equispaced per bulk, in proportion to its width, edges
    excluded), decreasing: the grids on which the spectrum's masses and CDF are integrated."""
    from classdyn.theory.spectrum import spectrum

    bulks = spectrum(params).bulks
    width = sum(b.upper - b.lower for b in bulks)
    xs = []
    for b in bulks:
        m = max(8, int(round(n * (b.upper - b.lower) / width)))
        th = np.linspace(0.0, np.pi, m + 2)[1:-1]
        xs.append(b.lower + (b.upper - b.lower) * (1.0 - np.cos(th)) / 2.0)
    return np.ascontiguousarray(np.sort(np.concatenate(xs))[::-1])


def _warm_start(bench) -> None:
    """Issue 16: the real-grid solver warm-starts each point from its neighbour.

    Floor: Newton on the real axis at every point started from its neighbour's *converged*
    solution (``newton_from``), no checks, no continuation: what any neighbour-started solver
    must at least pay. Target: the warm path within 2x of it on a 400-point grid inside the
    bulks (variances 1, 2; weights 0.3, 0.7; ψ_p = 4, ψ_n = 2; t = 0.1). The per-point
    continuation (``solve_grid``, the solver before the warm start) is timed on the same grid.
    A uniform grid over the whole support, whose gap points are solved one by one (a gap's
    real root cannot be told from a nearby spurious one by closeness), is reported as a note.
    """
    from classdyn.theory import _spectrum_kernels as K
    from classdyn.theory.params import Mixture, RandomFeatures
    from classdyn.theory.stieltjes import (ETA_MIN_REL, NEWTON_MAXIT, NEWTON_TOL, _kernel_args,
                                           default_grid)
    from classdyn.theory.spectrum import SpectralParams

    kc = K.kernels(K.PLAIN_PYTHON_WORK + 1)  # the compiled set
    p = SpectralParams.from_model(Mixture(variances=(1.0, 2.0), weights=(0.3, 0.7)),
                                  RandomFeatures(4.0, 2.0), 0.1)
    ka = _kernel_args(p)
    args = (*ka, p.scale, ETA_MIN_REL * p.scale, NEWTON_TOL, NEWTON_MAXIT)
    for label, x in (("bulk grid", _bulk_grid(p)),
                     ("uniform grid", np.ascontiguousarray(default_grid(p, 400)[::-1]))):
        sol = kc.solve_real_path(x, *args)
        q0 = np.concatenate([[sol[0][0]], sol[0][:-1]])
        r0 = np.concatenate([[sol[1][0]], sol[1][:-1]])
        warm = bench.time(f"density 400 points, {label}: warm path",
                          lambda: kc.solve_real_path(x, *args), repeat=7)
        floor = bench.time(f"density 400 points, {label}: Newton floor",
                           lambda: kc.newton_from(x, q0, r0, *ka, NEWTON_TOL, NEWTON_MAXIT),
                           repeat=7)
        old = bench.time(f"density 400 points, {label}: per-point continuation",
                         lambda: kc.solve_grid(x, np.zeros_like(x), *args), repeat=3)
        its = kc.newton_from(x, q0, r0, *ka, NEWTON_TOL, NEWTON_MAXIT)[2]
        bench.notes[f"{label}: Newton iterations per point (warm path, floor)"] = [
            float(sol[4].mean()), float(its.mean())]
        bench.notes[f"{label}: points solved by the full continuation"] = int(sol[6])
        if label == "bulk grid":
            bench.ratio("warm path / Newton floor (bulk grid)", warm, floor, target=2.0,
                        better="lower")
            bench.ratio("per-point continuation / warm path (bulk grid)", old, warm)
        else:
            bench.notes["warm path / Newton floor (uniform grid)"] = warm.best / floor.best
