"""``classdyn spectrum|edges`` (theory/cli_spectrum.py) with extensive centroids (--norms2 > 0)
answer from classdyn.theory.extensive (docs/theory/extensive.md), not from the centred
equations; the centred spectrum's saved grid resolves every bulk.
``classdyn speciation`` is in test_cli_speciation.py."""

from __future__ import annotations

import json

from classdyn.cli import main

COMMON = ["--variances", "1", "2", "--norms2", "1", "1", "--psi-p", "2", "--psi-n", "1"]


def _json(capsys, argv):
    code = main(argv + ["--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_edges_and_spectrum_use_the_extensive_equations(capsys, tmp_path):
    """Two bulks at t = 0.5 (ψ_n = 1), as the GEP spectrum shows (tests/theory/test_extensive:
    gap 0.0649 … 0.0852 at d = 300); the centred §5 solver would refuse norms2 > 0."""
    data = _json(capsys, ["edges", *COMMON, "--t", "0.5", "--out", str(tmp_path)])
    assert data["theory"].startswith("docs/theory/extensive.md")
    iv = data["intervals"]
    assert len(iv) == 2 and iv[0][1] < 0.075 < 0.082 < iv[1][0]
    data = _json(capsys, ["spectrum", *COMMON, "--t", "0.5", "--points", "40", "--out",
                          str(tmp_path)])
    assert data["theory"].startswith("docs/theory/extensive.md") and len(data["density"]) == 40
    assert (tmp_path / "spectrum.npz").exists()


def test_saved_density_resolves_every_bulk(capsys, tmp_path):
    """Centred classes, variances 1 and 2, t = 0.01 (three bulks of weight 1/4, the lowest only
    0.0048 wide): on the old uniform 400-point grid the saved density integrated to 0.52 of
    the 0.75 outside the delta peak. The grid now adds edge-clustered points per bulk; the
    trapezoidal integral of each bulk must match its weight to 1e-4 (measured 4e-6: the
    square-root edges are smooth in the angle variable of the clustered points)."""
    import numpy as np

    data = _json(capsys, ["spectrum", "--variances", "1", "2", "--t", "0.01", "--out",
                          str(tmp_path)])
    lam, dens = np.asarray(data["lam"]), np.asarray(data["density"])
    bulks = data["spectrum"]["bulks"]
    assert len(bulks) == 3
    for b in bulks:
        inside = (lam >= b["lower"]) & (lam <= b["upper"])
        assert inside.sum() >= 64 and lam[inside][0] == b["lower"] and lam[inside][-1] == b["upper"]
        assert abs(np.trapezoid(dens[inside], lam[inside]) - b["weight"]) < 1e-4
    z = np.load(tmp_path / "spectrum.npz")
    assert np.array_equal(z["lam"], lam)


def test_extensive_spectrum_reports_outliers_only_with_d(capsys, tmp_path):
    """The README's extensive example: without --d the report says the outliers need it; with
    --d 500 it lists one outlier per class above the top edge. One header line, and the total
    mass of the bulks is shown."""
    argv = ["spectrum", *COMMON, "--overlaps", "0.5", "--t", "0.5", "--points", "40",
            "--out", str(tmp_path)]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "give --d" in text and text.count("Spectral density") == 1 and "total mass" in text
    # another run (other parameters): its own --out, theory commands refuse to overwrite
    data = _json(capsys, argv + ["--d", "500", "--out", str(tmp_path / "d500")])
    outl = data["spectrum"]["outliers"]
    assert len(outl) == 2 and min(outl) > data["spectrum"]["intervals"][-1][1]
