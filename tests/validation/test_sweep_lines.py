"""Continuation sweeps (classdyn.validation.sweep_lines, issue 14): the same map as the certified
point-by-point sweep to float64 rounding, resumable to the identical Dataset, refusals before
any work."""

from __future__ import annotations

import numpy as np
import pytest

xr = pytest.importorskip("xarray")

from classdyn.validation.runner import SerialExecutor  # noqa: E402
from classdyn.validation.sweep import run_directory, sweep  # noqa: E402
from classdyn.validation.sweep_lines import _snake, check_method  # noqa: E402
# the pinned cache-key version (autouse fixture) and the task-counting executor of the
# point-by-point sweep's tests; here one task is one line
from tests.validation.test_sweep import Counting, _fixed_version  # noqa: E402,F401

# psi_p across the opening of the gap between the generalisation and memorisation bulks at
# small t (ratio 4): the number of bulks changes inside the map
GRID = {"t": [0.02, 0.2], "psi_p": list(np.geomspace(4.0, 8.0, 5))}
BASE = {"ratio": 4.0, "psi_n": 2.0}


@pytest.fixture(scope="module")
def certified():
    return sweep("masses", GRID, base=BASE, executor=SerialExecutor(), progress=False)


def test_snake_order_visits_every_index_by_unit_steps():
    for shape in [(3,), (2, 3), (3, 2, 2)]:
        order = _snake(shape)
        assert sorted(order) == sorted(np.ndindex(*shape))
        steps = [sum(abs(a - b) for a, b in zip(u, v)) for u, v in zip(order[:-1], order[1:])]
        assert steps == [1] * (len(order) - 1)
    assert _snake(()) == [()]


def test_continuation_map_equals_the_certified_map(certified):
    # continued edges are Newton-polished folds, certified ones 30-digit roots: the masses of
    # the same bulks agree to rounding (measured <= 2e-16 on this grid); 1e-12 is 5000x that,
    # while a missed or invented bulk changes a mass by O(0.1) and n_bulks by 1
    cont = sweep("masses", GRID, base=dict(BASE, method="continuation"),
                 executor=SerialExecutor(), progress=False)
    assert (cont["status"].values == certified["status"].values).all()
    assert (cont["n_bulks"].values == certified["n_bulks"].values).all()
    assert len(np.unique(certified["n_bulks"].values)) >= 2  # the structure changes in the map
    a, b = certified["masses"].values, cont["masses"].values
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.nanmax(np.abs(a - b)) <= 1e-12
    assert cont.attrs["n_failed"] == 0


def test_timescales_and_edges_by_continuation_equal_the_certified_ones():
    grid = {"t": [0.05], "psi_p": [4.0, 4.5, 5.0, 6.0]}
    for quantity, names in (("timescales", ("tau_gen", "tau_mem", "tau_fin")),
                            ("edges", ("edges",))):
        a = sweep(quantity, grid, base=BASE, executor=SerialExecutor(), progress=False)
        b = sweep(quantity, grid, base=dict(BASE, method="continuation"),
                  executor=SerialExecutor(), progress=False)
        for v in names:
            x, y = a[v].values, b[v].values
            assert np.array_equal(np.isnan(x), np.isnan(y))
            # relative 1e-12: measured <= 4e-16 (float64 rounding of the same edges)
            assert np.nanmax(np.abs(x - y) / np.abs(x)) <= 1e-12


def test_killed_continuation_sweep_resumes_to_the_identical_dataset(tmp_path):
    base = dict(BASE, method="continuation")
    fresh = sweep("masses", GRID, base=base, executor=SerialExecutor(), progress=False,
                  out=tmp_path / "a")
    with pytest.raises(KeyboardInterrupt):
        sweep("masses", GRID, base=base, executor=Counting(fail_after=1), progress=False,
              out=tmp_path / "b")
    rerun = Counting()
    resumed = sweep("masses", GRID, base=base, executor=rerun, progress=False,
                    out=tmp_path / "b")
    assert rerun.calls == 1  # one of the two lines was missing
    for ds in (fresh, resumed):
        ds.attrs = {k: v for k, v in ds.attrs.items() if k != "provenance"}
    xr.testing.assert_identical(fresh, resumed)
    # a deleted point recomputes its line, with the same numbers
    run = run_directory("masses", GRID, base, tmp_path / "b")
    next(iter(sorted((run / "points").glob("*.json")))).unlink()
    again = Counting()
    third = sweep("masses", GRID, base=base, executor=again, progress=False, out=tmp_path / "b")
    third.attrs = {k: v for k, v in third.attrs.items() if k != "provenance"}
    assert again.calls <= 1
    xr.testing.assert_identical(fresh, third)


def test_a_refused_point_fails_alone_with_the_certified_reason():
    grid = {"psi_n": [1.0, 2.0, 2.5]}
    a = sweep("timescales", grid, executor=SerialExecutor(), progress=False)
    b = sweep("timescales", grid, base={"method": "continuation"}, executor=SerialExecutor(),
              progress=False)
    assert list(b["status"].values) == list(a["status"].values)
    assert b["status"].values[0].startswith("failed: ValueError: psi_n must be > 1")
    assert list(b["status"].values[1:]) == ["ok", "ok"]


@pytest.mark.parametrize("quantity, base, msg", [
    ("speciation", {"norm2": 1.0}, "computes timescales, edges, masses"),
    ("timescales", {"norm2": 1.0}, "needs centred classes"),
])
def test_continuation_refused_where_it_does_not_apply(quantity, base, msg):
    calls = Counting()
    with pytest.raises(ValueError, match=msg):
        sweep(quantity, {"t": [0.1, 0.2]}, base=dict(base, method="continuation"),
              executor=calls, progress=False)
    assert calls.calls == 0


def test_unknown_method_refused():
    with pytest.raises(ValueError, match="base method: must be one of certified, continuation"):
        sweep("timescales", {"t": [0.1]}, base={"method": "fast"}, progress=False)
    with pytest.raises(ValueError, match="method must be one of"):
        check_method("timescales", "fast", [])
