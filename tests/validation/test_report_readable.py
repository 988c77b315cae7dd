"""The report's Measured tables are readable (issue 18): every value whole (a 40-entry list or
a nested dict was cut at 12 entries / 600 characters, mid-number), long ones collapsible,
numbers with 6 significant digits, no raw Python/JSON dicts."""

import re
import tempfile

from classdyn.validation.report import LONG, write_report


def _html(measured):
    rec = {"name": "demo", "status": "pass", "summary": "ok", "measured": measured,
           "params": {"d": 300}, "claim": "a claim", "reference": "docs"}
    html_path, _ = write_report([rec], tempfile.mkdtemp(), size="small", environment={},
                                code_version="test")
    page = html_path.read_text()
    return page.split("<h3>Measured</h3>")[1].split("<h3>Parameters</h3>")[0]


def test_long_lists_and_dicts_are_whole_and_collapsible():
    values = [1 / 3 + k for k in range(40)]
    per_d = {f"d={d}": {"edge_err": 0.012345678901234 * d, "n": d} for d in range(20)}
    page = _html({"curve": values, "errors": per_d, "ratio": 2 / 3})
    for k in range(40):  # every entry is there, to 6 digits
        assert f"{1 / 3 + k:.6g}" in page
    assert page.count("<details>") >= 2 and "40 values" in page and "20 entries" in page
    for d in range(20):
        assert f"d={d}" in page and f"{0.012345678901234 * d:.6g}" in page
    assert "0.666667" in page


def test_no_long_floats_or_raw_dicts():
    page = _html({"x": 0.1 + 0.2, "nested": {"a": 1 / 7, "b": [1 / 9, 2 / 9]}})
    body = page
    assert not re.search(r"\d\.\d{9,}", body), re.findall(r"\d\.\d{9,}", body)[:3]
    assert "{&quot;" not in body and "{'" not in body and '{"' not in body
    assert "0.142857" in body and "0.3" in body


def test_short_values_stay_inline():
    page = _html({"pair": [0.5, 0.25]})
    assert "[0.5, 0.25]" in page and LONG >= 2
