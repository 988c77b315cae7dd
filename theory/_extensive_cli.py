"""Handlers behind ``classdyn spectrum|edges|times`` when centroids are extensive (THEORY.md §6).

``theory/cli_spectrum.py`` owns the commands and their flags; when the mixture has some
``norms2 > 0`` it hands the parsed arguments to the functions here, which use
:mod:`classdyn.theory.extensive` (E_m over the Gaussian law of the projected centroids) instead of the
centred-class equations of THEORY.md §5. Output files have the same names as in the centred
case, with ``"theory": "THEORY.md §6"`` in the JSON.

Units: eigenvalues of U (dimensionless); training time tau such that a mode of eigenvalue lambda
relaxes as exp(-lambda tau); diffusion time t of the OU process.
"""

from __future__ import annotations

import argparse

from classdyn.cli import CommandResult

#: Quadrature order per axis of the Gaussian law of m used from the CLI (40×40 nodes for C = 2).
CLI_ORDER = 30


def _order(mix) -> int:
    # keep the tensor rule at <= ~30k nodes for C > 2
    r = max(1, sum(1 for x in mix.norms2 if x > 0))
    return max(6, min(CLI_ORDER, int(round(30000 ** (1.0 / r)))))


def run_spectrum(args: argparse.Namespace, mix, rf, t: float) -> CommandResult:
    import numpy as np

    from classdyn.io import atomic_save_npz, atomic_write_json
    from classdyn.theory import extensive as ex

    d = getattr(args, "d", None)
    spec = ex.extensive_spectrum(mix, rf, t, d=d, order=_order(mix), n_grid=args.points)
    lam, dens = spec.lam, spec.density
    if getattr(args, "lam_max", None) is not None:
        lam = np.linspace(0.0, float(args.lam_max), args.points)
        res = ex.extensive_density(lam, ex.gaussian_nodes(mix, rf, t, order=_order(mix)))
        if res.n_failed:
            raise RuntimeError(f"bulk equations did not converge at {res.n_failed} points")
        dens = res.density
    data = {"theory": "THEORY.md §6 (extensive centroids)", "mixture": mix.to_dict(),
            "model": rf.to_dict(), "t": t, "spectrum": spec.to_dict(), "lam": lam,
            "density": dens}
    out = args.out
    atomic_write_json(out / "spectrum.json", data)
    atomic_save_npz(out / "spectrum.npz", lam=lam, density=dens)
    lines = [f"Spectral density of U for extensive centroids (THEORY.md §6), t = {t:g}, "
             f"psi_p = {rf.psi_p:g}, psi_n = {rf.psi_n:g}, activation {rf.activation}",
             spec.summary()]
    step = max(1, lam.size // 20)
    lines.append(f"{'lambda':>14} {'rho(lambda)':>14}   (every {step}th of {lam.size} points; "
                 f"all in spectrum.npz)")
    for x, r in zip(lam[::step], dens[::step]):
        lines.append(f"{x:14.6g} {r:14.6g}")
    if getattr(args, "plot", False):
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(6, 3.5))
        ax.plot(lam, dens, "k-", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("eigenvalue λ")
        ax.set_ylabel("density")
        ax.set_title(f"extensive centroids (THEORY.md §6), t = {t:g}", fontsize=9)
        fig.tight_layout()
        fig.savefig(out / "spectrum.png", dpi=120)
        plt.close(fig)
        data["figure"] = str(out / "spectrum.png")
        lines.append(f"figure: {out / 'spectrum.png'}")
    lines.append(f"(written to {out / 'spectrum.json'}, {out / 'spectrum.npz'})")
    return CommandResult(data=data, text="\n".join(lines))


def _edge_nodes(mix, rf, t):
    """Composite Gauss–Legendre nodes: fewer spurious quadrature bands in gaps than
    Gauss–Hermite at the same cost (classdyn.theory.extensive.extensive_edges docstring)."""
    from classdyn.theory import extensive as ex

    return ex.gaussian_nodes(mix, rf, t, order=max(16, 2 * _order(mix)), rule="legendre")


def run_edges(args: argparse.Namespace, mix, rf, t: float) -> CommandResult:
    from classdyn.io import atomic_write_json
    from classdyn.theory import extensive as ex

    e = ex.extensive_edges(_edge_nodes(mix, rf, t))
    data = {"theory": "THEORY.md §6 (extensive centroids)", "t": t, "mixture": mix.to_dict(),
            "model": rf.to_dict(), **e.to_dict()}
    lines = [f"Bulk edges for extensive centroids (THEORY.md §6), t = {t:g}, psi_p = "
             f"{rf.psi_p:g}, psi_n = {rf.psi_n:g}: critical values of the inverse map along the "
             f"real branch ('fold', ~1e-10) or grid threshold crossings ('grid')",
             f"{'bulk':>4} {'lower':>16} {'upper':>16} {'mass':>10}  method"]
    for i, ((a, b), m, meth) in enumerate(zip(e.intervals, e.masses, e.methods)):
        lines.append(f"{i:4d} {a:16.10g} {b:16.10g} {m:10.6f}  {meth[0]}/{meth[1]}")
    if getattr(args, "dps", None) and args.dps > 16:
        lines.append(f"(--dps {args.dps} ignored: the extensive-centroid edges are float64)")
    atomic_write_json(args.out / "edges.json", data)
    lines.append(f"(written to {args.out / 'edges.json'})")
    return CommandResult(data=data, text="\n".join(lines))


def run_times(args: argparse.Namespace, mix, rf, ts) -> CommandResult:
    from classdyn.io import atomic_write_json
    from classdyn.progress import progress
    from classdyn.theory import extensive as ex

    rows = []
    lines = ["Timescales from the bulk edges, extensive centroids (THEORY.md §6); training time "
             "tau: a mode of eigenvalue lambda relaxes as exp(-lambda tau)",
             f"{'t':>8} {'tau_gen':>12} {'tau_mem':>12} {'tau_fin':>12}  bulks"]
    for t in progress(list(ts), desc="times"):
        e = ex.extensive_edges(_edge_nodes(mix, rf, t))
        times = ex.edge_times(e.intervals)
        row = {"t": t, **times, "intervals": e.intervals, "masses": e.masses}
        rows.append(row)

        def f(k):
            return f"{times[k]:12.5g}" if k in times else f"{'-':>12}"

        lines.append(f"{t:8.4g} {f('tau_gen')} {f('tau_mem')} {f('tau_fin')}  "
                     f"{len(e.masses)} bulk(s)")
    atomic_write_json(args.out / "times.json", {"theory": "THEORY.md §6", "rows": rows})
    lines.append("('-': no separated memorisation bulk, see classdyn.theory.extensive.edge_times)")
    lines.append(f"(written to {args.out / 'times.json'})")
    return CommandResult(data={"rows": rows}, text="\n".join(lines))
