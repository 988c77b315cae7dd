"""``classdyn speciation`` (theory/cli_speciation.py) with extensive centroids (--norms2 > 0):
``--method outlier`` answers from the outlier equation of classdyn.theory.extensive (THEORY.md
§6, §7)."""

from __future__ import annotations

import json

from classdyn.cli import main

COMMON = ["--variances", "1", "2", "--norms2", "1", "1", "--psi-p", "2", "--psi-n", "1"]


def _json(capsys, argv):
    code = main(argv + ["--json"])
    out = capsys.readouterr().out
    assert code == 0, out
    return json.loads(out)


def test_speciation_outlier_method_uses_the_outlier_equation(capsys, tmp_path):
    """``--method outlier`` gives the order-one threshold, above the leading order by O(1)
    (THEORY.md §7: 2.93 vs ½ log(ρ d) = 2.76 at d = 500)."""
    data = _json(capsys, ["speciation", *COMMON, "--ds", "500", "--method", "outlier", "--out",
                          str(tmp_path)])
    ts = data["rows"][0]["t_s"]
    assert all(2.76 < t < 2.76 + 1.0 for t in ts), ts


def test_a_class_that_never_speciates_is_named_with_its_reason(capsys, tmp_path):
    """A centred class (norms2 = 0) never speciates: t_s = -inf in the JSON (the limit), the
    report says "never" with the reason instead of printing -inf."""
    assert main(["speciation", "--norms2", "0", "1", "--ds", "250", "--method", "leading",
                 "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "class 0: never" in out and "a centred class has no outlier" in out
    assert "-inf (rho" not in out
