"""The real-grid solver that warm-starts each point from its neighbour (issue 16), and the
plain-Python / compiled twins of the spectral kernels (classdyn._jit).

The reference is the per-point continuation (``solve_grid``: each point on its own from the
large-|z| branch), the solver the package used before; the warm path must give the same
``q`` wherever it is trusted, solve gap points on their own, and cost about what Newton from a
converged neighbour costs (counted in iterations here; timed in benchmarks/bench_spectrum.py).
"""

import numpy as np
import pytest

from classdyn.theory import _spectrum_kernels as K
from classdyn.theory.params import Mixture, RandomFeatures
from classdyn.theory.spectral_params import SpectralParams
from classdyn.theory.stieltjes import (ETA_MIN_REL, NEWTON_MAXIT, NEWTON_TOL, _kernel_args,
                                       default_grid, stieltjes)

CASES = [((1.0, 2.0), (0.3, 0.7), 4.0, 2.0, 0.1),
         ((1.0,), (1.0,), 2.0, 1.0, 0.5),
         ((0.5, 1.0, 3.0), (0.2, 0.3, 0.5), 8.0, 3.0, 0.05),
         ((1.0, 2.0), (0.5, 0.5), 1.5, 0.5, 0.01),
         # gaps with "none" roots of the edge polynomial, where a real root in a gap meets a
         # spurious one: a closeness-based warm start in gaps followed the wrong root here
         ((1.0, 2.0), (0.5, 0.5), 4.0, 1.5, 0.01)]


def _params(case):
    var, w, pp, pn, t = case
    return SpectralParams.from_model(Mixture(variances=var, weights=w), RandomFeatures(pp, pn), t)


def _plain_args(p):
    psi_p, k, rho, a2, v2, bb2, ss2 = _kernel_args(p)
    return (float(psi_p), float(k), rho.tolist(), a2.tolist(), v2.tolist(), float(bb2),
            float(ss2), p.scale, ETA_MIN_REL * p.scale, NEWTON_TOL, NEWTON_MAXIT)


def _is_bulk(q):
    return q.imag > 1e-12 * np.abs(q)


def _bulk_grid(p, n=200):
    from classdyn.theory.spectrum import spectrum

    xs = []
    for b in spectrum(p).bulks:
        th = np.linspace(0.0, np.pi, n + 2)[1:-1]
        xs.append(b.lower + (b.upper - b.lower) * (1.0 - np.cos(th)) / 2.0)
    return np.sort(np.concatenate(xs))[::-1]


@pytest.mark.parametrize("case", CASES)
def test_warm_path_equals_the_per_point_continuation(case):
    # Both stop Newton at a relative step of 1e-13 with a relative residual <= 1e-15 and
    # converge to the same root: measured <= 8e-15 relative on these grids (uniform over
    # the support, gaps included, and 200 points per bulk). Tolerance 1e-12.
    p = _params(case)
    args = _plain_args(p)
    for x in (default_grid(p, 300)[::-1], _bulk_grid(p)):
        x = x.tolist()
        ref = K.solve_grid(x, [0.0] * len(x), *args)
        got = K.solve_real_path(x, *args)
        assert np.all(got[2] == K.OK) and np.all(ref[2] == K.OK)
        np.testing.assert_allclose(got[0], ref[0], rtol=1e-12, atol=0)
        np.testing.assert_allclose(got[1], ref[1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES[:2] + CASES[4:])
def test_gap_points_are_solved_on_their_own(case):
    # Policy: a point whose solution is real (a gap) never comes from a warm start, so it is
    # bit-for-bit the per-point continuation's value (same function, same inputs).
    p = _params(case)
    args = _plain_args(p)
    x = default_grid(p, 300)[::-1].tolist()
    got = K.solve_real_path(x, *args)
    gap = ~_is_bulk(got[0])
    assert gap.sum() >= 10
    for i in np.flatnonzero(gap):
        ref = K.solve_point(x[i], 0.0, *args)
        assert got[0][i] == ref[0] and got[4][i] >= ref[4]


@pytest.mark.parametrize("case", CASES)
def test_inside_bulks_the_warm_path_costs_about_the_newton_floor(case):
    # Floor: Newton at each point from its neighbour's converged solution (no checks, no
    # continuation). The warm path, with its first point and any distrusted step paid in
    # full, must stay within 2x the floor's iteration count on a 200-points-per-bulk grid
    # (measured 1.0-1.2x); the per-point continuation needs 10-40x.
    p = _params(case)
    args = _plain_args(p)
    x = _bulk_grid(p).tolist()
    got = K.solve_real_path(x, *args)
    q0 = np.concatenate([[got[0][0]], got[0][:-1]])
    r0 = np.concatenate([[got[1][0]], got[1][:-1]])
    floor = K.newton_from(x, q0.tolist(), r0.tolist(), *args[:7], NEWTON_TOL, NEWTON_MAXIT)
    assert got[4].sum() <= 2.0 * floor[2].sum()
    assert got[6] <= len(_params(case).rho) * 2 + 2  # full continuations: about one per bulk


def test_stieltjes_on_an_unsorted_real_grid_with_repeats():
    # stieltjes sorts a real grid for the path and puts the values back in the caller's
    # order; repeated points get the same value. Reference: each point on its own
    # (complex z with Im z = 0 handled by solve_point), tolerance 1e-12 as above.
    p = _params(CASES[0])
    rng = np.random.default_rng(3)
    x = rng.uniform(0.0, p.scale, 120)
    x = np.concatenate([x, x[:10]])
    got = stieltjes(p, x).q
    args = _plain_args(p)
    ref = np.array([K.solve_point(float(v), 0.0, *args)[0] for v in x])
    np.testing.assert_allclose(got, ref, rtol=1e-12)
    np.testing.assert_array_equal(got[-10:], got[:10])


def test_plain_and_compiled_kernels_agree():
    # The same source run by CPython and compiled by Numba: floating-point operations in the
    # same order, so they agree to rounding (measured <= 2e-16 relative); tolerance 1e-14.
    p = _params(CASES[2])
    x = default_grid(p, 200)[::-1]
    plain = K.solve_real_path(x.tolist(), *_plain_args(p))
    kc = K.kernels(K.PLAIN_PYTHON_WORK + 1)
    assert kc is not K.kernels(1) and K.kernels(K.PLAIN_PYTHON_WORK) is K.kernels(1)
    comp = kc.solve_real_path(np.ascontiguousarray(x), *_kernel_args(p), p.scale,
                              ETA_MIN_REL * p.scale, NEWTON_TOL, NEWTON_MAXIT)
    np.testing.assert_allclose(comp[0], plain[0], rtol=1e-14)
    np.testing.assert_array_equal(comp[2], plain[2])


def test_a_small_density_does_not_import_numba():
    # Cold start (issue 16): a C = 2 density on 400 points is small work, done by the plain
    # kernels, so a fresh interpreter never imports Numba for it.
    import subprocess
    import sys

    code = ("import sys\n"
            "import numpy as np\n"
            "from classdyn.theory.spectral_params import SpectralParams\n"
            "from classdyn.theory.stieltjes import density, default_grid\n"
            "p = SpectralParams(psi_p=4.0, psi_n=2.0, rho=np.array([0.3, 0.7]), "
            "alpha2=np.array([0.5, 0.8]), v2=np.array([0.1, 0.2]), bbar2=0.3, sbar2=0.05)\n"
            "d = density(p, default_grid(p, 400))\n"
            "print(bool(d.converged.all()), 'numba' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip().splitlines()[-1] == "True False"
