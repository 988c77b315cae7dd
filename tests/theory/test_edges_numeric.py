"""Numeric edges beyond the edge polynomial's five classes (classdyn.theory.edges_numeric,
issue 12: "where the symbolic route is too large, say so and fall back to the numeric edge
finder with its error stated"). Checked against closed forms, the certified polynomial edges
where both exist, and finite GEP matrices where only the numeric route exists.
"""

import logging

import numpy as np
import pytest

from classdyn.theory.edges import find_edges
from classdyn.theory.edges_numeric import numeric_edges, relative_spacing, scan_grid
from classdyn.theory.params import Mixture, RandomFeatures
from classdyn.theory.spectral_params import SpectralParams

SIX = Mixture(variances=(0.5, 0.8, 1.0, 1.5, 2.0, 3.0), weights=(0.1, 0.1, 0.2, 0.2, 0.2, 0.2))


def _params(mix, psi_p=4.0, psi_n=2.0, t=0.1):
    return SpectralParams.from_model(mix, RandomFeatures(psi_p, psi_n), t)


@pytest.mark.parametrize("psi", [2.0, 0.5])
def test_marchenko_pastur_edges_in_closed_form(psi):
    # Pure noise: the density is Marchenko–Pastur of ratio g = psi_p/psi_n
    # (SpectralParams.marchenko_pastur), edges (1 ± sqrt(g))^2 in closed form. Bisection to
    # 1e-11 of the scale (measured 4e-12 relative): tolerance 1e-10 relative.
    p = SpectralParams.marchenko_pastur(psi, 1.0)
    e = numeric_edges(p)
    g = psi
    exact = [(1 - np.sqrt(g)) ** 2, (1 + np.sqrt(g)) ** 2]
    np.testing.assert_allclose([float(x) for x in e.edges], exact, rtol=1e-10)
    assert e.kind == ["lower", "upper"] and not e.singular_lower_edge


@pytest.mark.parametrize("mix", [Mixture(variances=(1.0, 2.0), weights=(0.3, 0.7)),
                                 Mixture(variances=(0.5, 1.0, 3.0), weights=(0.2, 0.3, 0.5))])
def test_numeric_edges_equal_the_certified_polynomial_edges(mix):
    # Independent route: the real roots of the edge polynomial, certified by Arb and classified.
    # Each numeric edge must lie within its stated bracket (plus 1e-12 of the scale for the
    # rounding of the bracket ends) of the certified one; measured <= 3.3e-11 of the scale.
    p = _params(mix)
    e, f = numeric_edges(p), find_edges(p)
    assert len(e.edges) == len(f.edges)
    got = np.array([float(x) for x in e.edges])
    ref = np.array([float(x) for x in f.edges])
    assert np.all(np.abs(got - ref) <= np.array(e.error) + 1e-12 * p.scale)
    assert e.kind == [k for k, ok in zip(f.kind, f.is_edge) if ok]


def test_six_classes_fall_back_to_numeric_edges_with_a_warning(caplog):
    p = _params(SIX)
    with caplog.at_level(logging.WARNING, logger="classdyn"):
        e = find_edges(p, dps=30)
    assert e.method == "numeric" and len(e.edges) % 2 == 0 and len(e.edges) >= 2
    assert any("numerically" in r.message for r in caplog.records)
    assert all(0 < err <= 1e-10 * p.scale for err in e.error)
    assert e.to_dict()["method"] == "numeric"


@pytest.mark.slow
def test_six_classes_spectrum_adds_up_and_matches_gep_extremes():
    # With numeric edges the spectrum of six classes is complete: bulks (integrated between the
    # numeric edges) plus the delta carry mass 1 within the solver's 1e-11 (measured 8e-14).
    # The top edge against the largest eigenvalue of GEP matrices at d = 500 (p = 2000), mean
    # of three seeds. Finite-size calibration, measured: per-seed spread 0.7-1.1 % of the edge;
    # the mean sits 0.6 % below the numeric edge here, and 1.8 % below the *certified* edge in
    # the two-class case (variances 1, 2) at the same size. Tolerance 3 %.
    from classdyn.theory.spectrum import spectrum
    from tests.theory._spectrum_helpers import gep_eigenvalues

    p = _params(SIX)
    s = spectrum(p)
    assert abs(s.total_mass - 1.0) <= 1e-11
    top = max(b.upper for b in s.bulks)
    tops = [gep_eigenvalues(p, 500, seed=s_)[-1] for s_ in (1, 2, 3)]
    assert abs(np.mean(tops) / top - 1.0) <= 0.03


def test_scan_grid_and_spacing():
    p = _params(Mixture(variances=(1.0, 2.0)))
    g = scan_grid(p, 200)
    assert g[0] > p.sbar2 and g[-1] >= p.scale and np.all(np.diff(g) > 0)
    assert relative_spacing(p, 4000) < relative_spacing(p, 400)


@pytest.mark.parametrize("kw", [{"points": 5}, {"points": 2.5}, {"rtol": 0.5}, {"rtol": 1}])
def test_bad_arguments_are_refused(kw):
    with pytest.raises(ValueError):
        numeric_edges(SpectralParams.marchenko_pastur(2.0, 1.0), **kw)


def test_cli_edges_and_times_for_six_classes(tmp_path, capsys):
    # The commands say the edges are numeric (with brackets) instead of printing 30 digits they
    # do not have, and the timescales follow from the numeric bulks.
    import json

    from classdyn.cli import main

    args = ["--variances", "0.5", "0.8", "1", "1.5", "2", "3", "--t", "0.1"]
    assert main(["edges", *args, "--out", str(tmp_path / "e")]) == 0
    out = capsys.readouterr().out
    assert "located numerically" in out and "+-" in out and "edge polynomial: degree" not in out
    rec = json.loads((tmp_path / "e" / "edges.json").read_text())
    assert rec["method"] == "numeric" and len(rec["error"]) == len(rec["edges"]) >= 2
    assert main(["times", *args, "--out", str(tmp_path / "t"), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)["rows"][0]
    # tau = 1/lambda of the named edges (docs/theory/timescales.md): the numeric edges' values
    assert row["tau_mem"] == pytest.approx(1.0 / row["lam_mem"], rel=1e-12)
    assert row["lam_mem"] in [float(x) for x in rec["edges"]] and row["tau_gen"] < row["tau_mem"]
