"""Spectra along a path by fold continuation (classdyn.theory.spectrum_path, issue 14).

Checked against independent routes: the fold equations' Jacobian against complex-step
derivatives of the residuals; Marchenko-Pastur's closed-form edges; and whole lines of
parameter points against the certified route (exact edge polynomial, FLINT root isolation) at
every continued point, on lines chosen so that the number of bulks changes along them.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from classdyn.theory import Mixture, RandomFeatures
from classdyn.theory._fold_kernels import fold_terms
from classdyn.theory.bulks import named_timescales
from classdyn.theory.spectral_params import SpectralParams
from classdyn.theory.spectrum import spectrum
from classdyn.theory.spectrum_path import PathSpectrum, fold_point, spectra_along
from classdyn.theory.stieltjes import stieltjes


def _sp(psi_p, t, ratio=4.0, psi_n=2.0, weight=0.5):
    return SpectralParams.from_model(Mixture((1.0, ratio), weights=(weight, 1 - weight)),
                                     RandomFeatures(psi_p, psi_n), t)


def _args(p):
    return (p.psi_p, p.k, p.rho.tolist(), p.alpha2.tolist(), p.v2.tolist(), p.bbar2, p.sbar2)


@pytest.mark.parametrize("q, r", [(-0.7, -0.3), (2.5, 0.4), (-30.0 + 2.0j, -1.0 + 0.5j)])
def test_fold_jacobian_equals_complex_step_derivatives(q, r):
    # the analytic Jacobian (second derivatives of A and S) against central differences of
    # the residuals H and Phi with h = 1e-6 |x|: truncation ~h^2 ~ 1e-12 relative, rounding
    # ~1e-16/1e-6 = 1e-10; 1e-7 is 1000 times that and far below the O(1) relative error of a
    # wrong formula.
    p = _sp(6.0, 0.1)
    a = _args(p)
    H, Hq, Hr, P, Pq, Pr, z = fold_terms(complex(q), complex(r), *a)
    hq, hr = 1e-6 * abs(q), 1e-6 * abs(r)
    fq = [fold_terms(complex(q) + s * hq, complex(r), *a) for s in (1, -1)]
    fr = [fold_terms(complex(q), complex(r) + s * hr, *a) for s in (1, -1)]
    for exact, i in ((Hq, 0), (Pq, 3)):
        num = (fq[0][i] - fq[1][i]) / (2 * hq)
        assert abs(exact - num) <= 1e-7 * max(abs(num), 1e-300)
    for exact, i in ((Hr, 0), (Pr, 3)):
        num = (fr[0][i] - fr[1][i]) / (2 * hr)
        assert abs(exact - num) <= 1e-7 * max(abs(num), 1e-300)
    # and the residuals are the spectral equations: at a solution of eqs. (2)-(3) at real z
    # (a gap point), H = 0 and z(q, r) = z
    assert np.isfinite(abs(H)) and np.isfinite(abs(z))


@pytest.mark.parametrize("psi_p, psi_n", [(2.0, 1.0), (4.0, 3.0), (1.5, 0.5)])
def test_marchenko_pastur_folds_are_the_closed_form_edges(psi_p, psi_n):
    # alpha = 0, v = 1: Marchenko-Pastur with k = psi_p/psi_n, edges (1 ± sqrt(k))^2 (the
    # normalisation of SpectralParams.marchenko_pastur: (1 ± sqrt 2)^2 at psi_p = 2,
    # psi_n = 1, as in classdyn.theory.edges_numeric's example). Newton polishes a fold to
    # rounding: 1e-12 relative is ~1e4 ulp.
    mp = SpectralParams.marchenko_pastur(psi_p, psi_n)
    k = psi_p / psi_n
    for edge, kind in (((1 - math.sqrt(k)) ** 2, "lower"), ((1 + math.sqrt(k)) ** 2, "upper")):
        # start: the real solution in the gap, 1e-4 (relative) outside the edge
        res = stieltjes(mp, np.array([edge * (1 - 1e-4 if kind == "lower" else 1 + 1e-4)]))
        f = fold_point(mp, float(res.q[0].real), float(res.r[0].real))
        assert f.converged
        assert abs(f.z - edge) <= 1e-12 * edge


def _compare_line(line, min_continued, out=None):
    """Every continued point of the line equals the certified route: same edges within 1e-13
    of the scale (measured <= 1.3e-16 on both lines: Newton-polished folds against 30-digit
    certified edges, i.e. float64 rounding), masses within 1e-12 (measured <= 1.4e-16: the
    same quadrature on the same intervals)."""
    out = list(spectra_along(line, compiled=False)) if out is None else out
    assert [isinstance(o, PathSpectrum) for o in out] == [True] * len(line)
    n_bulks, continued = set(), 0
    for p, o in zip(line, out):
        ex = spectrum(p)
        n_bulks.add(len(ex.bulks))
        got = o.spectrum
        assert got is not None
        ee, ce = [float(e) for e in ex.edges], [float(e) for e in got.edges]
        assert len(ee) == len(ce), (p.psi_p, ee, ce)
        assert max(abs(a - b) for a, b in zip(ee, ce)) <= 1e-13 * p.scale
        assert max(abs(a.weight - b.weight) for a, b in zip(ex.bulks, got.bulks)) <= 1e-12
        ts_path = named_timescales(got.bulks, p.psi_p, p.psi_n)
        ts_cert = named_timescales(ex.bulks, p.psi_p, p.psi_n)
        assert ts_path.gen_mem_separated == ts_cert.gen_mem_separated
        continued += o.method == "continuation"
    assert continued >= min_continued  # the test exercises the continuation
    return n_bulks


def test_a_line_through_a_gap_opening_equals_the_certified_route():
    # psi_p from 4 to 8 at t = 0.02: a gap opens inside the upper bulk near lambda = 0.3
    # (narrow: 1.6e-4 wide at psi_p = 5, below the spacing of any density grid); an earlier
    # version that followed only the edges missed it at 18 of 100 points.
    line = [_sp(p, 0.02) for p in np.geomspace(4.0, 8.0, 12)]
    assert len(_compare_line(line, min_continued=8)) >= 2  # the bulk count changes


def test_a_line_in_t_equals_the_certified_route():
    # t from 0.005 to 2: bulks move towards s^2 and merge
    line = [_sp(6.0, t, ratio=1.5) for t in np.geomspace(0.005, 2.0, 12)]
    _compare_line(line, min_continued=6)


def test_start_continues_from_a_given_point_and_types_are_checked():
    line = [_sp(p, 0.1) for p in (4.0, 4.1, 4.2)]
    first = next(spectra_along(line[:1]))
    rest = list(spectra_along(line[1:], start=first))
    assert [o.method for o in rest] == ["continuation", "continuation"]
    with pytest.raises(TypeError, match="SpectralParams"):
        list(spectra_along([1.0]))


def test_folds_born_and_annihilated_in_pairs_are_followed():
    # t from 0.01 to 1 in 100 steps at psi_p = 4: between points 22-23 two complex folds meet
    # on the real axis and become real, between 26-27 two real folds meet and become complex
    # (found by following the folds; the certified route was needed there before pairs were
    # handled). The whole stretch is continued and equals the certified route.
    line = [_sp(4.0, t) for t in np.geomspace(0.01, 1.0, 100)[20:30]]
    out = list(spectra_along(line, compiled=False))
    assert [o.method for o in out] == ["certified"] + ["continuation"] * 9
    assert len({int(np.sum(o.kinds != "")) for o in out}) >= 2  # the real folds changed
    _compare_line(line, min_continued=9, out=out)
