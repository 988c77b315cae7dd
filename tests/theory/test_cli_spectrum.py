"""``classdyn spectrum|edges`` (theory/cli_spectrum.py) with extensive centroids (--norms2 > 0)
answer from classdyn.theory.extensive (THEORY.md §6), not from the centred equations of §5.
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
