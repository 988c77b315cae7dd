"""Tests of classdyn.validation.report_phase (issue 14): the phase sweeps equal point-by-point
calls, the figure and JSON are written, and the report embeds the section."""

from __future__ import annotations

import json

import pytest

xr = pytest.importorskip("xarray")

from classdyn.validation.executors import SerialExecutor  # noqa: E402
from classdyn.validation.report_phase import (MAPS, phase_section,  # noqa: E402
                                              write_phase)
from classdyn.validation.sweep_points import DEFAULT_BASE, compute_point  # noqa: E402


def test_section_without_the_figure_says_how_to_make_it(tmp_path):
    html = phase_section(tmp_path)
    assert "phase-diagrams" in html and "write_phase" in html and "<img" not in html


# 8 simulated systems at d = 12 + 2 direct: measured 4.6 s (43 s while other jobs loaded the cores)
def test_write_phase_and_the_report_section(tmp_path):
    png = write_phase(tmp_path, n=2, d=12, executor=SerialExecutor())
    assert png.is_file() and png.stat().st_size > 0
    info = json.loads((tmp_path / "phase" / "phase.json").read_text())
    assert set(info) == {"weight", "norm2"} and info["weight"]["d"] == 12
    # one corner of each map equals the point computed directly (the sweep is exact)
    for key, ds_key in (("weight", "weight"), ("norm2", "norm2")):
        ratio, other = info[key]["ratio"][-1], info[key][ds_key][0]
        want = compute_point(("class_order", dict(DEFAULT_BASE, **MAPS[key]["base"], d=12,
                                                  seed=0, ratio=ratio, **{ds_key: other})))
        got = info[key]["first_mem"][-1][0]
        assert got == (int(want["values"]["first_mem"]) if want["status"] == "ok" else None)
    html = phase_section(tmp_path)
    assert "<img" in html and "data:image/png;base64," in html and "d = 12" in html
    from classdyn.validation.report import write_report

    page, _ = write_report([], tmp_path, size="small", environment={}, code_version="x")
    assert "phase-diagrams" in page.read_text() and "data:image/png;base64," in page.read_text()
