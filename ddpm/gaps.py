"""Threshold-crossing times and the Sneaker–partner memorisation gap (docs/theory/ddpm.md; paper Sec. 4,
App. J.1).

For a run with per-checkpoint memorised fractions ``f_c(τ)``:

    τ_c = min{checkpoint step τ : f_c(τ) ≥ θ}          (θ a parameter; "not reached" if none)
    Δτ  = τ_Sneaker − τ_partner                        (in training steps)

For a pair without Sneaker, ``Δτ = τ_{classes[0]} − τ_{classes[1]}``. A positive gap means the
partner is memorised first. Because checkpoints are log-spaced, the table also gives the crossing
interpolated linearly in ``log10 step`` between the two checkpoints that bracket ``θ``,

    log τ̃_c = log s_{k−1} + (θ − f_c(s_{k−1})) / (f_c(s_k) − f_c(s_{k−1})) · (log s_k − log s_{k−1})

and the gap in decades ``log_gap = log τ̃_Sneaker − log τ̃_partner``, with a bootstrap error bar:
the generated samples are resampled with replacement (the same indices at every checkpoint, since
sampling uses the same noise seed at every checkpoint), the memorised fractions and crossings
recomputed, and the standard deviation of the replicate gaps reported.

When a class never reaches ``θ`` within the run (small CPU-scale runs: the low-variance Sneaker
often stays below it), the crossing gap is undefined. The *memorisation lead* is defined for every
run: the mean over ``log10 step`` (trapezoid rule over the checkpoints) of the difference of the
memorised fractions,

    lead = (1 / (log s_K − log s_1)) ∫ (f_partner − f_Sneaker) d log s          (∈ [−1, 1])

(> 0: the partner is memorised earlier and more), with the same bootstrap error bar. A table says
which of the two its comparison uses (``gap_statistic``). The table holds one row per run (pair and proportion) with the partner's
mean pixel variance (raw pixels in [0, 1]) and its normalised centroid norm² for the figures.
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import numpy as np

from classdyn.io import atomic_write_json, atomic_write_text, read_json

from .data import CLASS_NAMES, SNEAKER


def crossing_time(steps, fractions, threshold: float) -> int | None:
    r"""First checkpoint step at which a memorised fraction reaches the threshold (docs/theory/ddpm.md).

    .. math::

        \tau_c = \min\{\text{checkpoint step } \tau : f_c(\tau) \ge \theta\}.

    Parameters
    ----------
    steps : sequence of int
        Checkpoint steps (training steps), increasing.
    fractions : sequence of float
        Memorised fraction ``f_c`` at each step; NaN or None counts as not reached.
    threshold : float
        The threshold θ, in (0, 1].

    Returns
    -------
    int or None
        ``min{steps[k] : fractions[k] >= threshold}`` (training steps); ``None`` when never reached.

    Raises
    ------
    ValueError
        If ``threshold`` is outside (0, 1].

    Examples
    --------
    >>> from classdyn.ddpm.gaps import crossing_time
    >>> crossing_time([1, 10, 100], [0.1, 0.6, 0.9], 0.5)
    10
    >>> crossing_time([1, 10], [0.1, float("nan")], 0.5) is None
    True
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold: must lie in (0, 1], got {threshold}")
    for s, f in zip(steps, fractions):
        if f is not None and np.isfinite(f) and f >= threshold:
            return int(s)
    return None


def interpolated_crossing(steps, fractions, threshold: float) -> float | None:
    r"""``log10`` of the step where ``f`` first reaches the threshold, interpolated in ``log10 step``.

    Linear interpolation between the two checkpoints that bracket θ (docs/theory/ddpm.md):

    .. math::

        \log \tilde\tau_c = \log s_{k-1} + \frac{\theta - f_c(s_{k-1})}{f_c(s_k) - f_c(s_{k-1})}
        (\log s_k - \log s_{k-1});

    the first checkpoint when it already reaches θ (or its predecessor is undefined).

    Parameters
    ----------
    steps : sequence of int
        Checkpoint steps (training steps), increasing.
    fractions : sequence of float
        Memorised fraction at each step; NaN or None counts as undefined.
    threshold : float
        The threshold θ.

    Returns
    -------
    float or None
        ``log10`` of the interpolated crossing step (decades); ``None`` when never reached.

    Examples
    --------
    >>> from classdyn.ddpm.gaps import interpolated_crossing
    >>> round(interpolated_crossing([1, 10, 100], [0.0, 0.4, 0.8], 0.6), 6)   # half way 10 -> 100
    1.5
    >>> interpolated_crossing([1, 10], [0.7, 0.8], 0.5)    # first checkpoint: log10(1)
    0.0
    >>> interpolated_crossing([1, 10], [0.1, 0.2], 0.5) is None
    True
    """
    steps = np.asarray(steps, float)
    f = np.asarray([np.nan if v is None else v for v in fractions], float)
    for k in range(len(steps)):
        if np.isfinite(f[k]) and f[k] >= threshold:
            if k == 0 or not np.isfinite(f[k - 1]):
                return float(np.log10(steps[k]))
            a, b = np.log10(steps[k - 1]), np.log10(steps[k])
            w = (threshold - f[k - 1]) / (f[k] - f[k - 1])
            return float(a + w * (b - a))
    return None


def memorisation_lead(steps, f_ref, f_partner) -> float | None:
    r"""Mean of ``f_partner − f_ref`` over ``log10 step``: the memorisation lead (docs/theory/ddpm.md).

    Trapezoid rule over the checkpoints:

    .. math::

        \mathrm{lead} = \frac{1}{\log s_K - \log s_1}\int (f_{\rm partner} - f_{\rm Sneaker})
        \, d\log s \ \in [-1, 1]

    (> 0: the partner is memorised earlier and more). Checkpoints where either fraction is
    undefined (no sample of the class) are left out.

    Parameters
    ----------
    steps : sequence of int
        Checkpoint steps (training steps).
    f_ref : sequence of float
        Memorised fractions of the reference class (Sneaker); NaN or None = undefined.
    f_partner : sequence of float
        Memorised fractions of the partner class.

    Returns
    -------
    float or None
        The lead (dimensionless, in [-1, 1]); ``None`` with fewer than two usable checkpoints.

    Examples
    --------
    >>> from classdyn.ddpm.gaps import memorisation_lead
    >>> memorisation_lead([1, 10, 100], [0, 0, 0], [1, 1, 1])
    1.0
    >>> memorisation_lead([1, 10, 100], [0, 0, 0], [0, 1, 1])   # (0.5 + 1) / 2 decades
    0.75
    >>> memorisation_lead([1], [0], [1]) is None
    True
    """
    x = np.log10(np.asarray(steps, float))
    y = np.asarray([np.nan if v is None else v for v in f_partner], float) - \
        np.asarray([np.nan if v is None else v for v in f_ref], float)
    ok = np.isfinite(y)
    if ok.sum() < 2 or np.ptp(x[ok]) == 0:
        return None
    x, y = x[ok], y[ok]
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(x)) / (x[-1] - x[0]))


def bootstrap_log_gap(ratios: list[np.ndarray], labels: list[np.ndarray], steps, ref: int,
                      partner: int, *, ratio_threshold: float, threshold: float,
                      n_boot: int = 1000, seed: int = 0) -> dict:
    """Bootstrap of the interpolated log gap and of the memorisation lead (module docstring).
    ``ratios[k]``, ``labels[k]``: distance ratios and assigned classes of the samples at
    checkpoint ``steps[k]`` (the same samples' indices at every checkpoint). Returns the standard
    deviations of the replicate gaps (``log_gap_err``, ``None`` when fewer than 10 % of the
    replicates reach θ in both classes) and leads (``lead_err``), and the fraction of
    replicates where the gap is defined."""
    rng = np.random.default_rng(seed)
    n = min(len(r) for r in ratios)
    mem = np.array([np.asarray(r[:n]) < ratio_threshold for r in ratios])
    lab = np.array([np.asarray(lab_[:n]) for lab_ in labels])
    gaps, leads = [], []
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        m, la = mem[:, idx], lab[:, idx]
        tau, fs = [], []
        for c in (ref, partner):
            sel = la == c
            cnt = sel.sum(1)
            with np.errstate(invalid="ignore", divide="ignore"):
                f = np.where(cnt > 0, (m & sel).sum(1) / np.maximum(cnt, 1), np.nan)
            fs.append(f)
            tau.append(interpolated_crossing(steps, f, threshold))
        if tau[0] is not None and tau[1] is not None:
            gaps.append(tau[0] - tau[1])
        lead = memorisation_lead(steps, fs[0], fs[1])
        if lead is not None:
            leads.append(lead)
    defined = len(gaps) / n_boot
    err = float(np.std(gaps, ddof=1)) if len(gaps) >= max(2, n_boot // 10) else None
    lead_err = float(np.std(leads, ddof=1)) if len(leads) >= max(2, n_boot // 10) else None
    return {"log_gap_err": err, "lead_err": lead_err, "boot_defined": defined,
            "n_boot": n_boot}


def run_gap(mem: dict, threshold: float, arrays: dict | None = None,
            n_boot: int = 1000) -> dict:
    """One table row from a run's ``memorization.json`` content (and, for the bootstrap error
    bar of the log gap, its ``memorization.npz`` arrays ``ratio_<step>``, ``labels_<step>``)."""
    classes = [int(c) for c in mem["classes"]]
    steps = [r["step"] for r in mem["checkpoints"]]
    fr = np.array([[np.nan if v is None or v == "nan" else float(v) for v in r["fraction"]]
                   for r in mem["checkpoints"]]).reshape(len(steps), len(classes))
    taus = {c: crossing_time(steps, fr[:, j], threshold) for j, c in enumerate(classes)}
    ref = SNEAKER if SNEAKER in classes else classes[0]
    partner = [c for c in classes if c != ref][0]
    gap = None if taus[ref] is None or taus[partner] is None else taus[ref] - taus[partner]
    logt = {c: interpolated_crossing(steps, fr[:, j], threshold)
            for j, c in enumerate(classes)}
    log_gap = None if logt[ref] is None or logt[partner] is None else logt[ref] - logt[partner]
    lead = memorisation_lead(steps, fr[:, classes.index(ref)], fr[:, classes.index(partner)])
    boot = {"log_gap_err": None, "lead_err": None, "boot_defined": None, "n_boot": 0}
    if arrays is not None and all(f"ratio_{s}" in arrays for s in steps):
        boot = bootstrap_log_gap([arrays[f"ratio_{s}"] for s in steps],
                                 [arrays[f"labels_{s}"] for s in steps], steps, ref, partner,
                                 ratio_threshold=float(mem.get("ratio_threshold", 1 / 3)),
                                 threshold=threshold, n_boot=n_boot)
    stats = mem.get("class_stats", {})
    row = {"run": mem.get("run", ""), "reference": CLASS_NAMES[ref],
           "partner": CLASS_NAMES[partner], "partner_label": partner,
           "proportion_reference": mem["proportions"][classes.index(ref)]
           if "proportions" in mem else None,
           "tau_reference": taus[ref], "tau_partner": taus[partner], "gap": gap,
           "log_tau_reference": logt[ref], "log_tau_partner": logt[partner],
           "log_gap": log_gap, "lead": lead, **boot,
           "threshold": threshold,
           "partner_variance": stats.get("raw_variance", {}).get(str(partner)),
           "reference_variance": stats.get("raw_variance", {}).get(str(ref)),
           "partner_norms2": stats.get("norms2", {}).get(str(partner)),
           "reference_norms2": stats.get("norms2", {}).get(str(ref)),
           "cosine": stats.get("cosine"),
           "assignment": mem.get("assignment")}
    return row


def gap_table(run_dirs, threshold: float = 0.5) -> list[dict]:
    r"""Rows of the gap table, one per run folder holding a ``memorization.json``.

    For each run, ``run_gap`` computes (docs/theory/ddpm.md) the crossing steps ``τ_c``
    (``tau_reference``, ``tau_partner``), the gap ``Δτ = τ_Sneaker − τ_partner`` (``gap``, steps;
    ``classes[0] − classes[1]`` without Sneaker), the interpolated ``log_tau_*`` and ``log_gap``
    (decades), the memorisation ``lead``, bootstrap errors (``log_gap_err``, ``lead_err``, from
    ``memorization.npz`` when present) and the class statistics of the pair:

    .. math::

        \Delta\tau = \tau_{\rm Sneaker} - \tau_{\rm partner}.

    Parameters
    ----------
    run_dirs : iterable of str or os.PathLike
        Run folders (each with ``memorization.json``, optionally ``memorization.npz``).
    threshold : float, default 0.5
        The memorised-fraction threshold θ, in (0, 1].

    Returns
    -------
    list of dict
        One row per run (keys ``run``, ``reference``, ``partner``, ``gap``, ``log_gap``, ``lead``,
        ``partner_variance``, ...).

    Raises
    ------
    ValueError
        If a folder has no ``memorization.json``, or ``threshold`` is outside (0, 1].

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from classdyn.ddpm.gaps import gap_table
    >>> run = Path(tempfile.mkdtemp())
    >>> ck = [{"step": 1, "fraction": [0.0, 0.2]}, {"step": 10, "fraction": [0.2, 0.6]},
    ...       {"step": 100, "fraction": [0.8, 0.9]}]
    >>> _ = (run / "memorization.json").write_text(json.dumps({"classes": [7, 8], "checkpoints": ck}))
    >>> row = gap_table([run], threshold=0.5)[0]
    >>> row["reference"], row["partner"], row["tau_reference"], row["tau_partner"], row["gap"]
    ('Sneaker', 'Bag', 100, 10, 90)
    >>> round(row["log_gap"], 4), round(row["lead"], 4)    # 1.5 - 0.75 decades
    (0.75, 0.275)
    >>> gap_table([tempfile.mkdtemp()])
    Traceback (most recent call last):
    ...
    ValueError: runs: ... has no memorization.json; run `classdyn ddpm memorization --out ...` first
    """
    rows = []
    for d in run_dirs:
        p = Path(d) / "memorization.json"
        if not p.is_file():
            raise ValueError(f"runs: {d} has no memorization.json; run `classdyn ddpm "
                             f"memorization --out {d}` first")
        mem = read_json(p)
        mem.setdefault("run", str(d))
        arrays = None
        npz = Path(d) / "memorization.npz"
        if npz.is_file():
            with np.load(npz, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
        rows.append(run_gap(mem, threshold, arrays))
    return rows


def write_table(rows: list[dict], out: str | os.PathLike, stem: str = "gaps",
                meta: dict | None = None) -> tuple[Path, Path]:
    """``<stem>.json`` (rows, plus ``meta``: scale label, provenance) and ``<stem>.csv`` in
    ``out`` (atomic)."""
    out = Path(out)
    pj = atomic_write_json(out / f"{stem}.json", {**(meta or {}), "rows": rows})
    buf = io.StringIO()
    cols = [k for k in (rows[0].keys() if rows else []) if k != "cosine"]
    w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore")
    w.writeheader()
    for r in rows:
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})
    pc = atomic_write_text(out / f"{stem}.csv", buf.getvalue())
    return pj, pc


def plot_fractions(run_dirs, threshold: float, path: str | os.PathLike) -> Path:
    """Figure: memorised fraction against training step, per class, one panel per run.

    Log step axis, the threshold as a dotted line, bootstrap error bars from the run's
    ``memorization.json`` (docs/theory/ddpm.md).

    Parameters
    ----------
    run_dirs : sequence of str or os.PathLike
        Run folders, each with a ``memorization.json``.
    threshold : float
        The memorised-fraction threshold θ drawn as a horizontal line.
    path : str or os.PathLike
        Output PNG (folders created).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import json, tempfile
    >>> from pathlib import Path
    >>> from classdyn.ddpm.gaps import plot_fractions
    >>> run = Path(tempfile.mkdtemp())
    >>> ck = [{"step": s, "fraction": [f, f], "err": [0.1, 0.1]}
    ...       for s, f in [(1, 0.0), (10, 0.5), (100, 1.0)]]
    >>> _ = (run / "memorization.json").write_text(json.dumps({"classes": [7, 8], "checkpoints": ck}))
    >>> p = plot_fractions([run], 0.5, run / "fig" / "fractions.png")
    >>> p.name, p.is_file()
    ('fractions.png', True)
    """
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = [read_json(Path(d) / "memorization.json") for d in run_dirs]
    k = max(1, len(runs))
    cols = min(3, k)
    rows_ = (k + cols - 1) // cols
    fig, axes = plt.subplots(rows_, cols, figsize=(4.2 * cols, 3.2 * rows_), squeeze=False)
    for ax, mem, d in zip(axes.flat, runs, run_dirs):
        steps = np.array([r["step"] for r in mem["checkpoints"]])
        for j, c in enumerate(mem["classes"]):
            f = np.array([_num(r["fraction"][j]) for r in mem["checkpoints"]])
            e = np.array([_num(r["err"][j]) for r in mem["checkpoints"]])
            ax.errorbar(steps, f, yerr=np.nan_to_num(e), marker="o", ms=3, capsize=2,
                        label=CLASS_NAMES[int(c)])
        ax.axhline(threshold, color="k", ls=":", lw=1)
        ax.set_xscale("log")
        # Major decades only: minor log labels (2x10^3, 3x10^3, ...) overlap in small panels.
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_ylim(-0.03, 1.03)
        ax.set_xlabel("training step")
        ax.set_ylabel("memorised fraction $f_c$")
        ax.set_title(Path(d).name, fontsize=9)
        ax.legend(fontsize=8)
    for ax in list(axes.flat)[len(runs):]:
        ax.axis("off")
    from classdyn.figlabels import save_figure

    return save_figure(fig, path)


def plot_gaps(rows: list[dict], path: str | os.PathLike) -> Path:
    """Figure: gap Δτ = τ_Sneaker − τ_partner against the partner's mean pixel variance.

    Points are coloured by the reference (Sneaker) proportion and labelled by the partner; runs
    whose gap is undefined are omitted (docs/theory/ddpm.md).

    Parameters
    ----------
    rows : list of dict
        Rows of :func:`gap_table` (``gap``, ``partner_variance``, ``proportion_reference``,
        ``partner``).
    path : str or os.PathLike
        Output PNG (folders created).

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from classdyn.ddpm.gaps import plot_gaps
    >>> rows = [{"gap": 90, "partner_variance": 0.1, "proportion_reference": 0.5, "partner": "Bag"}]
    >>> p = plot_gaps(rows, Path(tempfile.mkdtemp()) / "gaps.png")
    >>> p.name, p.is_file()
    ('gaps.png', True)
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from classdyn.figlabels import place_labels

    fig, ax = plt.subplots(figsize=(5, 3.6))
    props = sorted({r["proportion_reference"] for r in rows if r["proportion_reference"]
                    is not None})
    for p in props or [None]:
        sel = [r for r in rows if r["proportion_reference"] == p and r["gap"] is not None
               and r["partner_variance"] is not None]
        if not sel:
            continue
        xs = [r["partner_variance"] for r in sel]
        ys = [r["gap"] for r in sel]
        ax.scatter(xs, ys, label=f"Sneaker share {p:g}" if p is not None else None)
        place_labels(ax, xs, ys, [r["partner"] for r in sel])
    ax.axhline(0, color="k", lw=0.8)
    ax.set_xlabel("partner mean pixel variance (pixels in [0, 1])")
    ax.set_ylabel(r"gap $\tau_{Sneaker}-\tau_{partner}$ (steps)")
    if any(r["gap"] is not None for r in rows):
        ax.legend(fontsize=8)
    else:
        ax.text(0.5, 0.5, "no run reached the threshold in both classes",
                transform=ax.transAxes, ha="center", fontsize=8)
    from classdyn.figlabels import save_figure

    return save_figure(fig, path)


def _num(v) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")
