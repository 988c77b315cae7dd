"""``classdyn sweep``: a theory quantity over a parameter grid, as an xarray Dataset (issue 14).

``classdyn sweep timescales --grid psi_p=4:16:log3 t=0.01,0.1 --out DIR`` computes τ_gen, τ_mem,
τ_fin, W_gen, W_mem (docs/theory/timescales.md) at every point of the grid;
``classdyn sweep speciation --grid weight=0.1:0.9:9`` the leading-order speciation times
(docs/theory/speciation.md). Grid specs: ``name=lo:hi:N`` (linear), ``name=lo:hi:logN``
(log-spaced), ``name=v1,v2,...``; names ``psi_p``, ``psi_n``, ``t``, ``ratio`` (σ_2²/σ_1²,
σ_1² = 1), ``weight`` (ρ_1, ρ_2 = 1 − ρ_1), ``norm2`` (‖μ_c‖²/d of both classes). The run goes
to ``DIR/sweep/<hash>/`` (per-point cache, resumable; ``sweep.zarr``); ``--plot`` draws a
heatmap per variable for a 2-D grid.

Units: training time tau such that a mode of eigenvalue lambda relaxes as exp(-lambda tau);
diffusion time t of the OU forward process.
"""

from __future__ import annotations

from classdyn.cli import CommandResult, add_command
from classdyn.flags import (DEFAULT_PSI_N, DEFAULT_PSI_P, add_output, positive_float,
                            positive_int)

from .executors import add_executor_flags

ORDER = 85


def register(sub) -> None:
    p = add_command(sub, "sweep", help="a theory quantity over a parameter grid (xarray map)",
                    description=__doc__)
    p.add_argument("quantity", choices=["timescales", "speciation", "edges", "masses",
                                        "outliers", "losses", "class_order"],
                   help="timescales: tau_gen, tau_mem, tau_fin, W_gen, W_mem (training time "
                        "tau); speciation: leading-order t_s per class (diffusion time); "
                        "edges / masses: every bulk's edges / mass; outliers: each class's "
                        "outlier (norm2 > 0, at --d); losses: simulated train and class test "
                        "losses at --tau (one system of size --d, --seed); class_order: which "
                        "class generalises / memorises first (simulated class losses)")
    p.add_argument("--grid", nargs="+", default=[], metavar="SPEC",
                   help="name=lo:hi:N, name=lo:hi:logN or name=v1,v2,... for name in psi_p, "
                        "psi_n, t, ratio, weight, norm2, tau, d, seed, activation")
    p.add_argument("--grid-file", default=None, metavar="TOML",
                   help="a TOML file with a [grid] table (name = \"lo:hi:N\" or a list) and "
                        "an optional [base] table of fixed values (flags given explicitly "
                        "take precedence over [base])")
    g = p.add_argument_group("fixed parameters (those not swept; two classes)")
    g.add_argument("--variances", type=positive_float, nargs=2, default=None,
                   metavar="S2", help="sigma_1^2 sigma_2^2: only the ratio sigma_2^2/sigma_1^2 "
                                      "is used (sigma_1^2 is taken as 1; default 1 2)")
    g.add_argument("--weights", type=positive_float, nargs=2, default=None, metavar="RHO",
                   help="rho_1 rho_2 (default: 0.5 0.5)")
    g.add_argument("--norms2", type=float, default=None, metavar="N2",
                   help="|mu_c|^2/d of both classes (default 0 for timescales, 1 for speciation)")
    g.add_argument("--psi-p", type=positive_float, default=None,
                   help=f"p/d (default {DEFAULT_PSI_P})")
    g.add_argument("--psi-n", type=positive_float, default=None,
                   help=f"n/d (default {DEFAULT_PSI_N})")
    g.add_argument("--t", type=positive_float, default=None,
                   help="diffusion time t of the OU forward process (dimensionless; default 0.1)")
    g.add_argument("--d", type=positive_int, default=None,
                   help="input dimension (speciation, outliers: default 1000; losses: 40)")
    g.add_argument("--tau", type=positive_float, default=None,
                   help="training time of the simulated losses (default 10)")
    g.add_argument("--seed", type=int, default=None, help="seed of the simulated system "
                                                          "(default 0)")
    g.add_argument("--activation", default=None, choices=["tanh", "erf", "relu", "linear"],
                   help="activation (default tanh)")
    p.add_argument("--dps", type=positive_int, default=None,
                   help="working digits of the centred edge search (default 30; 15 is faster "
                        "and may fail at points the 30-digit search resolves)")
    p.add_argument("--method", default=None, choices=["certified", "continuation"],
                   help="certified (default): every point on its own, exact edge polynomial; "
                        "continuation: timescales, edges and masses of centred classes followed "
                        "along the lines of the grid (last --grid axis) by Newton's method, the "
                        "certified route only where the spectrum changes structure: equal to "
                        "float64 rounding, ~50x faster on large maps")
    add_executor_flags(p, jobs_help="workers of the process pool (default: the number of CPUs)")
    p.add_argument("--yes", action="store_true",
                   help="run a grid of more than 1e7 points")
    p.add_argument("--plot", action="store_true",
                   help="draw sweep.png: one heatmap per variable (2-D grids)")
    add_output(p)
    p.set_defaults(handler=_handler)


def _base(args, file_base: dict | None = None) -> dict:
    """Fixed values: flags given explicitly, then the grid file's [base], then the defaults."""
    base = {"psi_p": DEFAULT_PSI_P, "psi_n": DEFAULT_PSI_N}
    base.update(file_base or {})
    for k in ("psi_p", "psi_n", "t", "d", "activation", "tau", "seed", "dps", "method"):
        if getattr(args, k) is not None:
            base[k] = getattr(args, k)
    if args.variances is not None:
        # the swept system has variances (1, ratio): another first variance would be a
        # different model, not a rescaling of this one (the coefficients depend on sigma^2)
        if args.variances[0] != 1.0:
            raise ValueError(f"sweeps use two classes with variances (1, ratio); "
                             f"give --variances 1 R (got {args.variances[0]:g} "
                             f"{args.variances[1]:g})")
        base["ratio"] = args.variances[1]
    if args.weights is not None:
        total = sum(args.weights)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"weights must sum to 1 (within 1e-09), got "
                             f"{list(args.weights)} (sum {total:g})")
        base["weight"] = args.weights[0]
    if args.norms2 is not None:
        if args.norms2 < 0:
            raise ValueError(f"--norms2 must be >= 0, got {args.norms2}")
        base["norm2"] = args.norms2
    return base


def _fmt(value) -> str:
    """A coordinate or value for the table: numbers to 4 digits, vectors as [a b ...]."""
    import numpy as np

    arr = np.asarray(value)
    if arr.ndim:
        return "[" + " ".join(_fmt(x) for x in arr if not (np.issubdtype(arr.dtype, np.floating)
                                                          and np.isnan(x))) + "]"
    return str(arr) if arr.dtype.kind in "US" else f"{float(arr):.4g}"


def _table(ds, limit: int = 40) -> str:
    import numpy as np

    dims = list(ds["status"].dims)            # the swept parameters (not edge/bulk)
    vars_ = [v for v in ds.data_vars if v != "status"]
    head = dims + vars_ + ["status"]
    rows = []
    for idx in np.ndindex(*[ds.sizes[d] for d in dims]):
        sel = dict(zip(dims, idx))
        point = ds.isel(sel)
        row = [_fmt(point[d].values) for d in dims]
        row += [_fmt(point[v].values) for v in vars_]
        st = str(point["status"].values)
        row.append(st if len(st) < 60 else st[:57] + "...")
        rows.append(row)
    shown = rows[:limit]
    widths = [max(len(h), *(len(r[i]) for r in shown)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)) for r in shown]
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more points (see the Dataset)")
    return "\n".join(lines)


def plot_sweep(ds, path) -> None:
    """Heatmaps of a 2-D sweep, one panel per variable, colour bar with units (logarithmic
    when a positive variable spans a factor of more than 20), at most ~12 labelled ticks per
    axis."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    dims = list(ds["status"].dims)
    if len(dims) != 2:
        raise ValueError(f"--plot needs a 2-D grid, got {len(dims)} swept parameter(s): {dims}")
    # scalar variables only (edges/masses are drawn through their count n_bulks)
    vars_ = [v for v in ds.data_vars if v != "status" and ds[v].dims == tuple(dims)]
    fig, axes = plt.subplots(1, len(vars_), figsize=(4.2 * len(vars_), 3.6), squeeze=False)
    y, x = dims
    for ax, v in zip(axes[0], vars_):
        arr = np.asarray(ds[v].transpose(y, x).values, dtype=float)
        arr = np.where(np.isfinite(arr), arr, np.nan)
        finite = arr[np.isfinite(arr)]
        norm = None
        if finite.size and finite.min() > 0 and finite.max() > 20 * finite.min():
            norm = matplotlib.colors.LogNorm()  # times and windows spanning decades
        mesh = ax.pcolormesh(np.arange(ds.sizes[x]), np.arange(ds.sizes[y]), arr,
                             shading="nearest", norm=norm)
        for axis, dim, rot in ((ax.xaxis, x, 45), (ax.yaxis, y, 0)):
            step = max(1, -(-ds.sizes[dim] // 12))  # at most ~12 labelled ticks
            ticks = list(range(0, ds.sizes[dim], step))
            axis.set_ticks(ticks, [_fmt(ds[dim].values[i]) for i in ticks], rotation=rot,
                           fontsize=7)
        ax.set_xlabel(x)
        ax.set_ylabel(y)
        ax.set_title(v)
        cb = fig.colorbar(mesh, ax=ax)
        units = ds[v].attrs.get("units", "")
        cb.set_label(units if len(units) < 40 else units.split(":")[0], fontsize=7)
    if any(np.isnan(np.asarray(ds[v].values, dtype=float)).any() for v in vars_):
        fig.suptitle("white: not defined at that point (e.g. no gap between the bulks) or "
                     "failed (see status)", fontsize=8, y=0.995)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _handler(args) -> CommandResult:
    import json

    from classdyn.validation.executors import executor_from_args
    from classdyn.validation.sweep import parse_grid, run_directory, sweep

    from classdyn.validation.sweep_grid import (check_grid, grid_from_file_entries,
                                                read_grid_file)

    file_grid, file_base = (read_grid_file(args.grid_file) if args.grid_file else ({}, {}))
    if not args.grid and not file_grid:
        raise ValueError("give the grid: --grid name=values ... or --grid-file grid.toml")
    # refuses bad grids before any work
    grid = dict(grid_from_file_entries(file_grid, yes=True)) if file_grid else {}
    for name, values in (parse_grid(args.grid, yes=True) if args.grid else {}).items():
        if name in grid:
            raise ValueError(f"grid: parameter {name!r} given both in --grid and in "
                             f"{args.grid_file}")
        grid[name] = values
    grid = check_grid(grid, yes=args.yes)
    base = _base(args, file_base)
    executor = executor_from_args(args)
    ds = sweep(args.quantity, grid, base=base, out=args.out, executor=executor, yes=args.yes)
    run = run_directory(args.quantity, grid, base, args.out)
    data = {"quantity": args.quantity, "run_dir": str(run),
            "grid": {k: v.tolist() for k, v in grid.items()},
            "n_points": int(ds.attrs["n_points"]), "n_failed": int(ds.attrs["n_failed"]),
            "variables": {v: {"units": ds[v].attrs.get("units", ""),
                              "values": [None if x != x else x
                                         for x in ds[v].values.ravel().tolist()]}
                          for v in ds.data_vars if v != "status"},
            "status": ds["status"].values.ravel().tolist(),
            "provenance": json.loads(ds.attrs["provenance"])}
    text = _table(ds)
    if args.plot:
        fig = run / "sweep.png"
        plot_sweep(ds, fig)
        data["figure"] = str(fig)
        text += f"\nfigure: {fig}"
    text += (f"\n{ds.attrs['n_points']} points, {ds.attrs['n_failed']} failed; "
             f"Dataset in {run}")
    return CommandResult(data=data, text=text, exit_code=0)
