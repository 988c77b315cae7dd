"""Edges at 30 digits against the previous implementation (issue 12): the FLINT/Arb edge finder
must give the same candidates and the same edges as the SymPy-subresultant + Aberth finder of
commit dbc2012, whose output is stored in tests/theory/data/edges_dbc2012.json (see the README
there) for the same SpectralParams floats."""

import json
from pathlib import Path

import mpmath
import numpy as np
import pytest

from classdyn.theory.edges import find_edges
from classdyn.theory.spectral_params import SpectralParams

DATA = json.loads((Path(__file__).parent / "data" / "edges_dbc2012.json").read_text())


@pytest.mark.parametrize("case", DATA["cases"], ids=[c["case"] for c in DATA["cases"]])
def test_edges_equal_the_old_implementation_to_25_digits(case):
    # Tolerance 1e-25 relative (the 25 digits). Measured: every candidate within
    # 4e-35 relative of the old one (the old values are stored with 35 digits), so 10 orders
    # of margin; counts and edge flags identical (no duplicate s̄² root in these cases at 30
    # digits, so nothing is excepted).
    p = case["params"]
    params = SpectralParams(psi_p=p["psi_p"], psi_n=p["psi_n"], rho=np.array(p["rho"]),
                            alpha2=np.array(p["alpha2"]), v2=np.array(p["v2"]),
                            bbar2=p["bbar2"], sbar2=p["sbar2"])
    res = find_edges(params, dps=30)
    assert len(res.candidates) == len(case["candidates"])
    assert [bool(x) for x in res.is_edge] == case["is_edge"]
    assert list(res.kind) == case["kind"]
    with mpmath.workdps(40):
        for new, old in zip(res.candidates, case["candidates"]):
            old = mpmath.mpf(old)
            assert abs(mpmath.mpf(new) - old) <= mpmath.mpf("1e-25") * abs(old), (new, old)
