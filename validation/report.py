"""The self-contained HTML report (figures embedded) and its JSON summary.

Layout: a summary table at the top (one row per check: verdict, claim, key numbers, time), then
what this run says about each of the paper's Results 1-4, then one section per check (claim,
parameters, measured quantities, tolerance and its reason, figure), and the parameters and
versions at the bottom.
"""

from __future__ import annotations

import base64
import html
from datetime import datetime, timezone
from pathlib import Path

from classdyn.io import atomic_write_json, atomic_write_text

RESULTS = {
    "1": "Class-specific speciation times: t_s^c = ½ log(ρ_c ‖μ_c‖²) + O(1); slope ½(1−γ) in log d.",
    "2": "Higher class variance → earlier generalisation and memorisation; smaller centroid norm "
         "→ earlier; imbalance subleading.",
    "3": "Undersampling the high-variance class makes the low-variance class generalise first; "
         "oversampling it makes the low-variance class memorised first; closing one gap widens "
         "the other.",
    "4": "RF model on a Gaussian mixture fitted to Fashion-MNIST pairs predicts the DDPM "
         "memorisation-gap trends across Sneaker pairs.",
}

_COLOURS = {"pass": "#1b7f3b", "fail": "#b3261e", "error": "#b3261e", "waiting": "#8a6d00",
            "skipped": "#666666"}

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;max-width:1100px;
margin:2em auto;padding:0 1em;color:#222;line-height:1.4}
table{border-collapse:collapse;width:100%;margin:1em 0}
th,td{border:1px solid #ccc;padding:.35em .5em;text-align:left;vertical-align:top;font-size:.92em}
th{background:#f2f2f2}
.badge{color:#fff;border-radius:4px;padding:.1em .45em;font-weight:600;font-size:.85em}
section{border-top:2px solid #ddd;margin-top:2em;padding-top:.5em}
pre{background:#f7f7f7;padding:.6em;overflow-x:auto;font-size:.85em}
img{max-width:100%;border:1px solid #eee}
.small{color:#555;font-size:.9em}
"""


def _badge(status: str) -> str:
    return (f'<span class="badge" style="background:{_COLOURS.get(status, "#444")}">'
            f"{html.escape(status.upper())}</span>")


#: a list longer than this, or a dict with more keys, is shown whole inside a collapsed
#: <details> whose summary gives its size and first entries (issue 18: tables were cut)
LONG = 12


def _fmt(v) -> str:
    """One value of a Measured table as HTML: numbers to 6 significant digits, lists and dicts
    whole (nested, collapsible when long), never a raw dict or a number cut mid-way."""
    if isinstance(v, bool) or v is None:
        return html.escape(str(v))
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, (list, tuple)):
        items = [_fmt(x) for x in v]
        if len(items) <= LONG:
            return "[" + ", ".join(items) + "]"
        return (f"<details><summary>{len(items)} values: [{', '.join(items[:4])}, …]"
                f"</summary>[{', '.join(items)}]</details>")
    if isinstance(v, dict):
        table = _kv_table(v)
        if len(v) <= LONG:
            return table
        return f"<details><summary>{len(v)} entries</summary>{table}</details>"
    return html.escape(str(v))


def _kv_table(d: dict) -> str:
    rows = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{_fmt(v)}</td></tr>"
                   for k, v in d.items() if k != "traceback")
    tb = d.get("traceback")
    extra = f"<pre>{html.escape(tb)}</pre>" if tb else ""
    return f"<table>{rows}</table>{extra}" if rows else extra


def results_verdicts(records: list[dict]) -> dict[str, dict]:
    """For each paper Result, which checks speak to it and whether all of them reproduce it.

    A check's entry is ``True``/``False`` or a sentence saying what part of the claim it could
    judge (see :class:`classdyn.validation.registry.Outcome`); only checks with status ``pass``,
    ``fail`` or ``waiting`` count. A Result is "reproduced" only when every check speaking to it
    says ``True``, "not reproduced" when one says ``False``, "not tested in this run" when none
    speaks to it, and otherwise the checks' sentences are shown (e.g. "RF side reproduced; DDPM
    side waiting for runs").

    Parameters
    ----------
    records : list of dict
        Check records (``name``, ``status``, ``results``), as :func:`run_checks` returns them.

    Returns
    -------
    dict
        For each Result key "1"-"4": ``claim`` (its text), ``verdict`` (str) and ``checks``
        (name -> the check's entry).

    Examples
    --------
    >>> from classdyn.validation.report import results_verdicts
    >>> records = [{"name": "a", "status": "pass", "results": {"1": True}},
    ...            {"name": "b", "status": "fail", "results": {"1": True, "2": False}},
    ...            {"name": "c", "status": "waiting", "results": {"3": "RF side reproduced"}},
    ...            {"name": "d", "status": "skipped", "results": {"4": True}}]
    >>> {k: v["verdict"] for k, v in results_verdicts(records).items()}
    {'1': 'reproduced', '2': 'not reproduced', '3': 'RF side reproduced', '4': 'not tested in this run'}
    >>> results_verdicts(records)["1"]["checks"]
    {'a': True, 'b': True}
    """
    out = {}
    for key, text in RESULTS.items():
        speaking = [(r["name"], r["results"][key]) for r in records
                    if key in r.get("results", {})
                    and r.get("status") in ("pass", "fail", "waiting")]
        partial = [v for _, v in speaking if isinstance(v, str)]
        if not speaking:
            verdict = "not tested in this run"
        elif any(v is False for _, v in speaking):
            verdict = "not reproduced"
        elif partial:
            verdict = "; ".join(dict.fromkeys(partial))
        else:
            verdict = "reproduced"
        out[key] = {"claim": text, "verdict": verdict,
                    "checks": {name: ok for name, ok in speaking}}
    return out


def _own_file(record_dir, name) -> Path | None:
    """``record_dir/name`` when ``name`` is a plain file name inside the record's own folder;
    ``None`` otherwise (a record naming ``../../etc/x`` or an absolute path embeds nothing)."""
    if not record_dir or not isinstance(name, str) or not name or Path(name).name != name:
        return None
    base = Path(record_dir).resolve()
    path = (base / name).resolve()
    return path if path.parent == base else None


def write_report(records: list[dict], out: Path, *, size: str, environment: dict,
                 code_version: str) -> tuple[Path, Path]:
    """Write ``<out>/report.html`` and ``<out>/report.json``; return both paths.

    The HTML report is self-contained (figures embedded as base64 PNG): a summary table (one row per
    check: verdict, claim, summary, time), the verdict on each of the paper's Results 1-4
    (:func:`results_verdicts`), one section per check (claim, reference, tolerance and its reason,
    figure, measured quantities, parameters) and the versions. A figure is embedded only from the
    record's own folder. ``report.json`` holds the same in machine-readable form (counts per
    status, Results, one entry per check).

    Parameters
    ----------
    records : list of dict
        Check records, as :func:`run_checks` returns them.
    out : str or pathlib.Path
        Output folder.
    size : str
        The size the checks ran at (shown in the header).
    environment : dict
        Library versions (``runner.environment()``), shown at the bottom (keyword only).
    code_version : str
        The code version (keyword only).

    Returns
    -------
    html_path : pathlib.Path
        ``<out>/report.html``.
    json_path : pathlib.Path
        ``<out>/report.json``.

    Examples
    --------
    >>> import json, tempfile
    >>> from classdyn.validation.report import write_report
    >>> records = [{"name": "demo", "status": "pass", "claim": "1 + 1 = 2",
    ...             "reference": "docs/theory/model.md", "summary": "exact", "seconds": 0.1,
    ...             "measured": {"sum": 2}, "params": {}, "results": {"1": True}}]
    >>> html_path, json_path = write_report(records, tempfile.mkdtemp(), size="small",
    ...                                     environment={"python": "3.11"}, code_version="abc")
    >>> html_path.name, "1 + 1 = 2" in html_path.read_text()
    ('report.html', True)
    >>> summary = json.loads(json_path.read_text())
    >>> summary["counts"], summary["results"]["1"]["verdict"]
    ({'pass': 1}, 'reproduced')
    """
    out = Path(out)
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    counts = {}
    for r in records:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    verdicts = results_verdicts(records)

    parts = [f"<!doctype html><html><head><meta charset='utf-8'>"
             f"<title>classdyn validation report</title><style>{_CSS}</style></head><body>",
             "<h1>classdyn validation report</h1>",
             f"<p class='small'>size <b>{html.escape(size)}</b> · generated {now} · "
             f"{len(records)} checks: "
             + ", ".join(f"{n} {html.escape(s)}" for s, n in sorted(counts.items()))
             + "</p>"]
    parts.append("<h2>Summary</h2><table><tr><th>check</th><th>verdict</th><th>claim</th>"
                 "<th>result</th><th>time</th></tr>")
    for r in records:
        parts.append(f"<tr><td><a href='#{html.escape(r['name'])}'>{html.escape(r['name'])}"
                     f"</a></td><td>{_badge(r['status'])}</td><td>{html.escape(r['claim'])}</td>"
                     f"<td>{html.escape(r.get('summary', ''))}</td>"
                     f"<td>{r.get('seconds', 0):.1f} s{' (cached)' if r.get('cached') else ''}"
                     f"</td></tr>")
    if not records:
        parts.append("<tr><td colspan=5>No checks are registered yet.</td></tr>")
    parts.append("</table>")

    parts.append("<h2>The paper's Results</h2><table><tr><th>Result</th><th>claim</th>"
                 "<th>this run</th><th>checks</th></tr>")
    for key, v in verdicts.items():
        checks = ", ".join(f"{n}: " + (ok if isinstance(ok, str) else ('yes' if ok else 'no'))
                           for n, ok in v["checks"].items())
        parts.append(f"<tr><td>{key}</td><td>{html.escape(v['claim'])}</td>"
                     f"<td><b>{html.escape(v['verdict'])}</b></td><td>{html.escape(checks)}</td>"
                     "</tr>")
    parts.append("</table>")

    for r in records:
        parts.append(f"<section id='{html.escape(r['name'])}'><h2>{html.escape(r['name'])} "
                     f"{_badge(r['status'])}</h2>")
        parts.append(f"<p><b>Claim.</b> {html.escape(r['claim'])}<br><b>Reference.</b> "
                     f"{html.escape(r['reference'])}</p>")
        if r.get("summary"):
            parts.append(f"<p>{html.escape(r['summary'])}</p>")
        if r.get("tolerance"):
            parts.append(f"<p><b>Tolerance.</b> {html.escape(r['tolerance'])}. "
                         f"{html.escape(r.get('tolerance_reason', ''))}</p>")
        png = _own_file(r.get("record_dir"), r.get("figure"))
        if png is not None:
            if png.exists():
                b64 = base64.b64encode(png.read_bytes()).decode()
                parts.append(f"<img alt='{html.escape(r['name'])}' "
                             f"src='data:image/png;base64,{b64}'>")
        parts.append("<h3>Measured</h3>" + _kv_table(r.get("measured", {})))
        parts.append("<h3>Parameters</h3>" + _kv_table(r.get("params", {})))
        parts.append("</section>")

    from .report_phase import phase_section  # issue 14: phase diagrams, when computed

    parts.append(phase_section(out))
    parts.append("<section><h2>Versions</h2>" + _kv_table(
        {**environment, "code version": code_version}) + "</section></body></html>")
    html_path = atomic_write_text(out / "report.html", "\n".join(parts))
    summary = {"size": size, "generated": now, "code_version": code_version,
               "environment": environment, "counts": counts, "results": verdicts,
               "checks": [{k: r.get(k) for k in ("name", "status", "claim", "reference",
                                                 "summary", "measured", "tolerance",
                                                 "tolerance_reason", "seconds", "params")}
                          for r in records]}
    json_path = atomic_write_json(out / "report.json", summary)
    return html_path, json_path
