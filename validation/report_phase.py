"""Phase diagrams for the report: which class is memorised first (issue 14).

Two maps of the sweep quantity ``class_order`` (:mod:`~classdyn.validation.sweep_points`: per-class
``τ_mem^c``, the first return of the simulated class test loss ``E_c`` to 1 after its minimum,
docs/theory/class-losses.md), each point one finite-size system of dimension ``d``:

* over (variance ratio σ_2²/σ_1², weight ρ_1) at the paper's Fig. 4 setting ψ_p = 8, ψ_n = 4,
  t = 0.01, centred classes; the paper's points (variances 4 and 1, i.e. ratio 1/4, weights
  0.1 ... 0.9) are marked;
* over (variance ratio, centroid norm ‖μ_c‖²/d of both classes) at the Fig. 3 setting ψ_p = 4,
  ψ_n = 2, t = 0.1, ρ_1 = ½; the paper's points (ratio 1 and 2 at ‖μ‖²/d = 1) are marked.

:func:`write_phase` runs both sweeps (cached and resumable under ``<out>/sweep/``) and writes
``<out>/phase/phase.png`` and ``phase.json``; :func:`phase_section` is the report's HTML section
(the figure when it exists, else how to make it).
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import numpy as np

#: the fixed parameters and the paper's points of each map
MAPS = {
    "weight": {"base": {"psi_p": 8.0, "psi_n": 4.0, "t": 0.01, "norm2": 0.0},
               "axis": ("weight", "0.1:0.9:{n}"),
               "paper": [{"ratio": 0.25, "weight": w, "label": "Fig. 4"}
                         for w in (0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9)]},
    "norm2": {"base": {"psi_p": 4.0, "psi_n": 2.0, "t": 0.1, "weight": 0.5},
              "axis": ("norm2", "0.25:4:log{n}"),
              "paper": [{"ratio": 1.0, "norm2": 1.0, "label": "Fig. 3 (equal)"},
                        {"ratio": 2.0, "norm2": 1.0, "label": "Fig. 3 (variance doubled)"}]},
}


def phase_sweeps(out, *, n: int = 5, d: int = 30, seed: int = 0, executor=None,
                 progress: bool = False) -> dict:
    """Run the two ``class_order`` sweeps of the phase diagrams.

    Parameters
    ----------
    out : str or Path
        Output folder (runs cached under ``<out>/sweep/<hash>/``).
    n : int, default 5
        Points per axis (ratio 0.25 ... 4 log-spaced; weight 0.1 ... 0.9; norm2 0.25 ... 4 log).
    d : int, default 30
        Input dimension of each simulated system.
    seed : int, default 0
        Seed of each system.
    executor : object with ``submit_all``, optional
        Default: the local process pool.
    progress : bool, default False
        Show progress bars.

    Returns
    -------
    dict
        ``{"weight": Dataset over (ratio, weight), "norm2": Dataset over (ratio, norm2)}``.

    Examples
    --------
    >>> from classdyn.validation.report_phase import MAPS
    >>> sorted(MAPS), MAPS["weight"]["base"]["psi_p"]
    (['norm2', 'weight'], 8.0)
    """
    from .sweep import parse_grid, sweep

    if int(n) < 2:
        raise ValueError(f"n (points per axis) must be >= 2, got {n}")
    result = {}
    for key, spec in MAPS.items():
        name, rng = spec["axis"]
        grid = parse_grid([f"ratio=0.25:4:log{int(n)}", f"{name}={rng.format(n=int(n))}"])
        result[key] = sweep("class_order", grid, base=dict(spec["base"], d=int(d), seed=seed),
                            out=out, executor=executor, progress=progress)
    return result


def phase_figure(maps: dict, path) -> Path:
    """Draw the phase diagrams: the class memorised first at each point, paper's points marked.

    Parameters
    ----------
    maps : dict
        As :func:`phase_sweeps` returns: Datasets with ``first_mem`` over ``(ratio, weight)``
        and ``(ratio, norm2)``.
    path : str or Path
        The PNG to write.

    Returns
    -------
    Path
        ``path``.

    Examples
    --------
    >>> import tempfile, pathlib, numpy as np, xarray as xr
    >>> from classdyn.validation.report_phase import phase_figure
    >>> def ds(name, vals):
    ...     r = [0.25, 1.0, 4.0]
    ...     fm = np.where(np.array(r)[:, None] > 1, 2.0, 1.0) * np.ones((3, len(vals)))
    ...     return xr.Dataset({"first_mem": (("ratio", name), fm)},
    ...                       coords={"ratio": r, name: vals})
    >>> maps = {"weight": ds("weight", [0.1, 0.9]), "norm2": ds("norm2", [0.5, 2.0])}
    >>> p = phase_figure(maps, pathlib.Path(tempfile.mkdtemp()) / "phase.png")
    >>> p.stat().st_size > 0
    True
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    cmap = ListedColormap(["#2c7bb6", "#d7191c"])
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, key in zip(axes, ("weight", "norm2")):
        ds = maps[key]
        other = key
        fm = np.asarray(ds["first_mem"].transpose("ratio", other).values, dtype=float)
        r, y = np.asarray(ds["ratio"].values, float), np.asarray(ds[other].values, float)
        mesh = ax.pcolormesh(r, y, fm.T, cmap=cmap, vmin=0.5, vmax=2.5, shading="nearest")
        ax.set_xscale("log")
        if key == "norm2":
            ax.set_yscale("log")
        for pt in MAPS[key]["paper"]:
            ax.plot(pt["ratio"], pt[other], marker="*", color="k", ms=11, ls="none")
        ax.plot([], [], marker="*", color="k", ls="none", label="paper's points")
        ax.legend(fontsize=8, loc="upper left")
        base = MAPS[key]["base"]
        fixed = ", ".join(f"{k}={v:g}" for k, v in base.items())
        ax.set_title(f"class memorised first ({fixed})", fontsize=9)
        ax.set_xlabel("variance ratio sigma_2^2/sigma_1^2")
        ax.set_ylabel("weight rho_1" if key == "weight" else "|mu_c|^2/d (both classes)")
        cb = fig.colorbar(mesh, ax=ax, ticks=[1, 2])
        cb.set_label("class index (NaN: failed point, white)")
    from classdyn.figlabels import save_figure

    return save_figure(fig, path)


def write_phase(out, **kw) -> Path:
    """Run :func:`phase_sweeps` and write ``<out>/phase/phase.png`` and ``phase.json``.

    Parameters
    ----------
    out : str or Path
        Output folder (the report's).
    **kw
        Passed to :func:`phase_sweeps` (``n``, ``d``, ``seed``, ``executor``, ``progress``).

    Returns
    -------
    Path
        The figure's path.

    Examples
    --------
    >>> from classdyn.validation.report_phase import write_phase
    >>> write_phase("results", n=1)
    Traceback (most recent call last):
    ...
    ValueError: n (points per axis) must be >= 2, got 1
    """
    from classdyn.io import atomic_write_json

    maps = phase_sweeps(out, **kw)
    png = phase_figure(maps, Path(out) / "phase" / "phase.png")
    summary = {key: {"fixed": MAPS[key]["base"], "paper_points": MAPS[key]["paper"],
                     "ratio": ds["ratio"].values.tolist(), key: ds[key].values.tolist(),
                     "first_mem": [[None if v != v else int(v) for v in row]
                                   for row in ds["first_mem"].values.tolist()],
                     "n_failed": int(ds.attrs["n_failed"]),
                     "d": int(json.loads(ds.attrs["base"])["d"])}
               for key, ds in maps.items()}
    atomic_write_json(Path(out) / "phase" / "phase.json", summary)
    return png


def phase_section(out) -> str:
    """The report's phase-diagram section (HTML): the figure of :func:`write_phase` if present.

    Parameters
    ----------
    out : str or Path
        The report's output folder.

    Returns
    -------
    str
        A ``<section>``: the embedded figure and its caption, or a note saying how to make it.

    Examples
    --------
    >>> import tempfile
    >>> from classdyn.validation.report_phase import phase_section
    >>> "write_phase" in phase_section(tempfile.mkdtemp())
    True
    """
    png = Path(out) / "phase" / "phase.png"
    head = "<section id='phase-diagrams'><h2>Phase diagrams: which class is memorised first</h2>"
    if not png.is_file():
        return (head + "<p class='small'>Not computed for this report. Run "
                "<code>from classdyn.validation.report_phase import write_phase; "
                f"write_phase({html.escape(repr(str(out)))})</code> (minutes: two sweeps of "
                "simulated class losses) and write the report again.</p></section>")
    b64 = base64.b64encode(png.read_bytes()).decode()
    meta = ""
    try:
        info = json.loads((png.parent / "phase.json").read_text())
        meta = " ".join(f"{k}: d = {v['d']}, {v['n_failed']} failed point(s)."
                        for k, v in info.items() if isinstance(v, dict))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return (head + f"<img alt='phase diagrams' src='data:image/png;base64,{b64}'>"
            "<p class='small'>Colour: the class whose simulated test loss returns to 1 first "
            "after its minimum (τ_mem^c, docs/theory/class-losses.md); stars: the paper's "
            f"parameter points. {html.escape(meta)}</p></section>")
