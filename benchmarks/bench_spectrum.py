"""Spectral density and edges, centred classes (docs/theory/spectrum-centred.md; issue 4).

Targets (reported, never asserted):
* density on a 400-point grid, unimodal isotropic case (ψ_p = 2, ψ_n = 1, t = 0.01, tanh):
  under 50 ms after compilation, and ≥ 1000× faster than the reference solver below, timed in
  the same run;
* all edges for C = 2 (variances 1 and 2, weights ½, ψ_p = 4, ψ_n = 2, t = 0.01) at 30 digits
  under 2 s, caches cleared (elimination, discriminant, roots, classification).

Reference solver ("the straightforward way", the common approach in published code):
``scipy.optimize.root(method='lm')`` on the real and imaginary parts of the two spectral
equations ``A r + B q = 1`` and ``ψ_p A B q² + (1 − ψ_p) A q + B q = 1`` (docs/theory/spectrum-centred.md, eqs. 2-3)
at ``z = λ + iη``, continuing in ``η`` from 100 down to 1e-9 (23 log-spaced values) at each
point from ``q = r = −1/z``.
"""

from __future__ import annotations

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
        for f in (E._eliminated_cached, E._edge_poly_cached, E._find_edges_cached):
            f.cache_clear()
        return E.find_edges(two, dps=30)

    bench.compile_time("edges C=2 30 digits (cold caches)", edges_cold)
    t = bench.time("edges C=2 30 digits (cold caches)", edges_cold, warmup=0, repeat=3,
                   number=1)
    bench.target("edges C=2 at 30 digits", t, 2.0)
    warm = bench.time("edges C=2 30 digits (cached)", lambda: E.find_edges(two, dps=30))
    bench.notes["edges found"] = [str(x) for x in edges_cold().edge_strings(12)]
    bench.ratio("edges cold / cached", t, warm)
