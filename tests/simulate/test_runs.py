"""classdyn.simulate._runs: parameter keys, checkpointed units, the memory estimate and its guard."""

import numpy as np
import pytest

from classdyn.simulate._runs import Run, check_memory, estimate_memory_gb, run_key


def test_run_key_depends_on_values_not_on_key_order_or_numpy_types():
    a = run_key({"d": 100, "t": 0.1, "mixture": {"variances": [1.0, 2.0]}})
    assert len(a) == 12 and all(ch in "0123456789abcdef" for ch in a)
    assert run_key({"mixture": {"variances": [1.0, 2.0]}, "t": 0.1, "d": 100}) == a
    assert run_key({"d": np.int64(100), "t": np.float64(0.1),
                    "mixture": {"variances": np.array([1.0, 2.0])}}) == a
    for other in ({"d": 101, "t": 0.1, "mixture": {"variances": [1.0, 2.0]}},
                  {"d": 100, "t": 0.1, "mixture": {"variances": [2.0, 1.0]}},
                  {"d": 100, "t": 0.1}):
        assert run_key(other) != a


def test_units_are_computed_once_then_loaded(tmp_path, monkeypatch):
    monkeypatch.delenv("CLASSDYN_STOP_AFTER_UNITS", raising=False)
    calls = []

    def compute():
        calls.append(1)
        return {"x": np.arange(3.0)}

    r1 = Run(tmp_path, "losses", {"d": 5})
    assert r1.unit("features", compute)["x"].tolist() == [0.0, 1.0, 2.0]
    r2 = Run(tmp_path, "losses", {"d": 5})
    assert r2.dir == r1.dir and r2.unit("features", compute)["x"].tolist() == [0.0, 1.0, 2.0]
    assert len(calls) == 1 and r1.computed == ["features"] and r2.loaded == ["features"]
    assert Run(tmp_path, "losses", {"d": 6}).dir != r1.dir
    # an injected stop after k = 2 computed units: the first passes, the second is saved and
    # then interrupts
    monkeypatch.setenv("CLASSDYN_STOP_AFTER_UNITS", "2")
    r3 = Run(tmp_path, "train", {"d": 5})
    r3.unit("a", compute)
    with pytest.raises(KeyboardInterrupt):
        r3.unit("b", compute)
    assert (r3.parts / "b.npz").exists()


def test_memory_estimate_counts_the_documented_arrays():
    # Hand count from the docstring's inventory (8-byte floats, GiB = 2^30 bytes):
    # speciation at d = 1000, p = 2000, n = 1000: W (p d = 2e6), X and X0 (2 n d = 2e6), U, U0,
    # S, S0, K and eigensolver workspace (7 p^2 = 28e6): 32e6 numbers = 0.23842 GiB, plus the
    # Mehler budget 512 MiB = 0.5 GiB.
    gib = 8.0 / 2**30
    assert estimate_memory_gb("speciation", d=1000, p=2000, n=1000, C=2) == pytest.approx(
        32e6 * gib + 0.5, rel=1e-12)
    # losses, C = 3, T = 100 tau points: W, X (2e6 + 1e6), 5 p^2 work matrices + C class
    # matrices + 2 p^2 workspace ((7 + 3) 4e6 = 40e6), V and V_c ((C + 1) p d = 8e6) plus the
    # rotated V~ = Q^T V (p d = 2e6), tau-grid factors (2 T p = 4e5): 53.4e6 numbers
    assert estimate_memory_gb("losses", d=1000, p=2000, n=1000, C=3, num_tau=100,
                              mehler_mb=0) == pytest.approx(53.4e6 * gib, rel=1e-12)
    # train adds the GD buffers: the data part and the features (2 n p), the residual (n d),
    # the gradient and W^T (2 d p): 9e6 more
    assert estimate_memory_gb("train", d=1000, p=2000, n=1000, C=3, num_tau=100,
                              mehler_mb=0) == pytest.approx(62.4e6 * gib, rel=1e-12)


def test_memory_guard_at_its_bound():
    need = estimate_memory_gb("losses", d=300, p=600, n=300, C=2)
    assert check_memory("losses", need, d=300, p=600, n=300, C=2) == need
    with pytest.raises(ValueError, match="too small") as exc:
        check_memory("losses", need * (1 - 1e-9), d=300, p=600, n=300, C=2)
    assert "GiB" in str(exc.value) and "--memory-gb" in str(exc.value)


def test_key_includes_the_code_version_and_a_corrupt_part_is_recomputed(tmp_path, monkeypatch,
                                                                        caplog):
    """Parts computed by other code are not resumed (the key hashes the code version); a
    damaged part file is named in a warning and recomputed instead of a BadZipFile traceback;
    the result JSON names the digest of the NPZ it goes with."""
    import hashlib
    import json
    import logging

    monkeypatch.delenv("CLASSDYN_STOP_AFTER_UNITS", raising=False)
    params = {"d": 5}
    assert run_key(params, "v1") != run_key(params, "v2")
    assert run_key(params, "v1") == run_key(params, "v1")
    calls = []

    def compute():
        calls.append(1)
        return {"x": np.arange(4.0)}

    r = Run(tmp_path, "losses", params)
    r.unit("features", compute)
    (r.parts / "features.npz").write_bytes(b"PK\x03\x04 not a zip any more")
    logging.getLogger("classdyn").propagate = True
    with caplog.at_level(logging.WARNING, logger="classdyn"):
        again = Run(tmp_path, "losses", params).unit("features", compute)
    assert again["x"].tolist() == [0.0, 1.0, 2.0, 3.0] and len(calls) == 2
    assert "features.npz is unreadable" in caplog.text
    out = r.finish({"a": 1}, {"y": np.ones(2)})
    digest = hashlib.sha256((r.dir / "result.npz").read_bytes()).hexdigest()
    assert out["run"]["result_npz_sha256"] == digest
    assert json.loads((r.dir / "result.json").read_text())["run"]["result_npz_sha256"] == digest


def test_a_run_estimates_the_time_of_its_remaining_units(tmp_path, caplog):
    # Issue 18: a long run says what to expect. After the second computed unit (the first
    # also pays compilation) the time per unit of cost, times the remaining costs, is logged.
    import logging
    import time as _time

    from classdyn.simulate._runs import Run

    run = Run(tmp_path, "demo", {"a": 1})
    run.expect([1.0, 2.0, 4.0, 8.0])
    with caplog.at_level(logging.INFO, logger="classdyn"):
        run.unit("u0", lambda: {"x": [0]})
        run.unit("u1", lambda: (_time.sleep(1.0), {"x": [1]})[1])   # cost 2 in 1 s
    msgs = [r.getMessage() for r in caplog.records if "should take about" in r.getMessage()]
    assert len(msgs) == 1 and "unit 2 of 4" in msgs[0] and "remaining 2" in msgs[0]
    # 1 s / 2 per unit of cost, remaining costs 4 + 8 = 12: 6 s (+ scheduling slack)
    secs = float(msgs[0].split("about ")[1].split(" s")[0])
    assert 5.5 <= secs <= 9.0
