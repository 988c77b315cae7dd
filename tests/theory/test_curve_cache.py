"""The on-disk cache of edge polynomials (classdyn.theory.curve, issue 16): a new process reads
the polynomial instead of eliminating again; the file is data that is checked, never trusted.
"""

import json
import subprocess
import sys
from fractions import Fraction

import pytest

from classdyn.theory import curve as CU
from classdyn.theory.spectral_params import SpectralParams


def _params():
    import numpy as np

    return SpectralParams(psi_p=4.0, psi_n=2.0, rho=np.array([0.5, 0.5]),
                          alpha2=np.array([0.5, 0.8]), v2=np.array([0.1, 0.2]), bbar2=0.3,
                          sbar2=0.05)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("CLASSDYN_CACHE_DIR", str(tmp_path))
    monkeypatch.delenv("CLASSDYN_EDGE_CACHE", raising=False)
    for f in (CU._eliminated_cached, CU._edge_coefficients, CU._edge_poly_cached):
        f.cache_clear()
    yield tmp_path / "edge-polynomials"
    for f in (CU._eliminated_cached, CU._edge_coefficients, CU._edge_poly_cached):
        getattr(f, "cache_clear", lambda: None)()  # (a test may have replaced one)


def _no_elimination(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("eliminated again although the cache holds the polynomial")

    monkeypatch.setattr(CU, "_eliminated_cached", boom)


def test_a_second_computation_reads_the_file(cache, monkeypatch):
    p = _params()
    first = CU.edge_polynomial(p)
    files = list(cache.glob("C2-*.json"))
    assert len(files) == 1
    for f in (CU._edge_coefficients, CU._edge_poly_cached):
        f.cache_clear()
    _no_elimination(monkeypatch)
    assert CU.edge_polynomial(p) == first
    assert CU.edge_polynomial(p, squarefree=False).degree() >= first.degree()


def test_the_file_holds_exact_numbers_that_reproduce_the_polynomial(cache):
    # Independent of the reader: parse the JSON here and rebuild the square-free polynomial's
    # integer coefficients; they must equal the computed ones exactly (integers, no rounding).
    p = _params()
    sqf = CU.edge_polynomial(p)
    rec = json.loads(next(cache.glob("C2-*.json")).read_text())
    assert [int(c, 16) for c in rec["sqf"]] == [int(c) for c in reversed(sqf.all_coeffs())]
    disc = CU.edge_polynomial(p, squarefree=False)
    got = [Fraction(int(n, 16), int(d, 16)) for n, d in rec["disc"]]
    assert got == [Fraction(int(c.p), int(c.q)) for c in reversed(disc.all_coeffs())]


@pytest.mark.parametrize("damage", ["garbage", "other key", "other code", "bad lead",
                                    "not a factor", "decimal digits"])
def test_a_damaged_or_foreign_file_is_recomputed(cache, damage):
    p = _params()
    good = CU.edge_polynomial(p)
    path = next(cache.glob("C2-*.json"))
    rec = json.loads(path.read_text())
    if damage == "garbage":
        path.write_text("{not json")
    elif damage == "other key":
        rec["key"][0] = float(5.0).hex()
        path.write_text(json.dumps(rec))
    elif damage == "other code":
        rec["code"] = "0" * 16
        path.write_text(json.dumps(rec))
    elif damage == "bad lead":
        rec["sqf"][-1] = hex(-1)
        path.write_text(json.dumps(rec))
    elif damage == "not a factor":  # well-formed, but not the square-free part of disc
        rec["sqf"] = [hex(3), hex(1)]
        path.write_text(json.dumps(rec))
    else:  # a file in an older decimal format, read as hexadecimal: must not pass
        rec["sqf"] = [str(int(c, 16)) for c in rec["sqf"]]
        rec["disc"] = [[str(int(n, 16)), str(int(d, 16))] for n, d in rec["disc"]]
        path.write_text(json.dumps(rec))
    for f in (CU._edge_coefficients, CU._edge_poly_cached):
        f.cache_clear()
    assert CU.edge_polynomial(p) == good
    # and the recomputation rewrote a valid file
    assert CU._read_cached(path, p.merged().key()) is not None


def test_the_cache_can_be_turned_off(cache, monkeypatch):
    monkeypatch.setenv("CLASSDYN_EDGE_CACHE", "0")
    CU.edge_polynomial(_params())
    assert not cache.exists() or not list(cache.iterdir())


def test_an_unwritable_cache_costs_time_only(tmp_path, monkeypatch):
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "edge-polynomials").write_text("a file where the folder should be")
    monkeypatch.setenv("CLASSDYN_CACHE_DIR", str(ro))
    for f in (CU._eliminated_cached, CU._edge_coefficients, CU._edge_poly_cached):
        f.cache_clear()
    try:
        assert CU.edge_polynomial(_params()).degree() > 0
    finally:
        for f in (CU._eliminated_cached, CU._edge_coefficients, CU._edge_poly_cached):
            f.cache_clear()


def test_edges_in_a_new_process_with_a_filled_cache_import_no_sympy(tmp_path):
    # Cold start (issue 16): with the polynomial on disk, find_edges needs neither SymPy nor
    # the elimination. The first process fills the cache, the second must not import sympy.
    code = ("import sys\n"
            "import numpy as np\n"
            "from classdyn.theory.spectral_params import SpectralParams\n"
            "from classdyn.theory.edges import find_edges\n"
            "p = SpectralParams(psi_p=4.0, psi_n=2.0, rho=np.array([0.5, 0.5]), "
            "alpha2=np.array([0.5, 0.8]), v2=np.array([0.1, 0.2]), bbar2=0.3, sbar2=0.05)\n"
            "e = find_edges(p)\n"
            "print(len(e.edges), 'sympy' in sys.modules)\n")
    env = {"CLASSDYN_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"}
    import os

    env = {**os.environ, **env}
    env.pop("CLASSDYN_EDGE_CACHE", None)
    first = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           env=env, check=True).stdout.split()
    second = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, check=True).stdout.split()
    assert first[0] == second[0] and int(first[0]) >= 2
    assert first[1] == "True" and second[1] == "False"
