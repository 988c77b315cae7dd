"""``classdyn spectrum``, ``classdyn edges``, ``classdyn times``: docs/theory/spectrum-centred.md from the shell.

Examples::

    classdyn spectrum --variances 1 2 --weights 0.5 0.5 --psi-p 2 --psi-n 1 --t 0.01 --plot
    classdyn edges --variances 1 2 --psi-p 4 --psi-n 2 --t 0.01 --dps 50 --show-polynomials
    classdyn times --variances 1 2 --weights 0.25 0.75 --t 0.01 0.1 --json

Every command asks the one door :func:`classdyn.theory.model.model` for the model of the
mixture: centred classes (docs/theory/spectrum-centred.md) or, with some ``--norms2 > 0``, extensive centroids
(docs/theory/extensive.md); only the report differs between the two kinds.

Units: eigenvalues of the feature covariance U (dimensionless); training time tau such that a
mode of eigenvalue lambda relaxes as exp(-lambda tau); diffusion time t of the OU process.
"""

from __future__ import annotations

import argparse

from classdyn.cli import CommandResult, add_command
from classdyn.flags import add_dps, add_force, add_mixture, add_output, add_random_features, \
    add_time, positive_float, positive_int

ORDER = 20

#: diffusion times the theory commands accept. At t = 100 the data term e^{-2t} ~ 1e-87 is far
#: below float64 resolution (the t -> infinity limit); larger t only slows the exact edge
#: polynomial (its rational coefficients grow: t = 150 took 47 s, t = 300 passed Python's
#: 4300-digit limit) and e^{-t} underflows to 0 beyond t ~ 745. Measured on spectrum: t = 1e-8
#: and t = 100 give total mass 1 to 1e-10; t = 1e-300 fails like t = 300.
T_RANGE = (1e-8, 100.0)


#: smallest class variance of spectrum/edges/times: 1e-8 and 1e-12 are refused in ~6 s by the
#: mass check (a bulk squeezed against s^2), 1e-300 spent > 2 min finding the polynomial's roots
MIN_VARIANCE = 1e-12

#: psi_p and psi_n accepted by spectrum/edges/times. Measured on spectrum (default mixture,
#: t = 0.01): 0.01 and 1e5 answer in seconds; psi_p = 1e6 failed to converge (NonConvergenceError)
#: and 1e300 ran > 10 min
PSI_RANGE = (0.01, 1e5)

#: most points of the saved density grid (--points): 1e9 ran out of time; the default is 400
MAX_POINTS = 100_000


def _points(text: str) -> int:
    """``--points``: an integer in [2, :data:`MAX_POINTS`]."""
    k = positive_int(text)
    if not 2 <= k <= MAX_POINTS:
        raise argparse.ArgumentTypeError(f"must lie in [2, {MAX_POINTS}], got {text}")
    return k


#: |total mass - 1| above which ``classdyn spectrum`` flags its result (the library refuses
#: beyond TOTAL_MASS_TOL = 1e-4); measured at psi_p = 1 + psi_n, the singular lower edge:
#: |mass - 1| <= 4e-13 for (psi_p, psi_n, t) = (3, 2, 0.01), (3, 2, 0.1), (2, 1, 0.01), (5, 4, 0.1)
MASS_FLAG_TOL = 1e-6


def mass_note(total_mass: float, singular_lower_edge: bool = False) -> str:
    """A warning when the spectrum's total mass misses 1 by more than :data:`MASS_FLAG_TOL`.

    Parameters
    ----------
    total_mass : float
        Bulk weights plus the delta peak's weight (1 for a complete spectrum).
    singular_lower_edge : bool, optional
        The density starts at s^2 with an inverse-square-root edge (psi_p = 1 + psi_n).

    Returns
    -------
    str
        ``""`` when ``|total_mass - 1| <= MASS_FLAG_TOL``, else the deficit and its likely cause.

    Examples
    --------
    >>> mass_note(1.0 - 1e-12)
    ''
    >>> mass_note(1.0 - 7e-5, True)[:36]
    'total mass 0.99993 misses 1 by 7e-05'
    """
    miss = total_mass - 1.0
    if abs(miss) <= MASS_FLAG_TOL:
        return ""
    why = ("the inverse-square-root edge at s^2 (psi_p = 1 + psi_n) is integrated less "
           "accurately" if singular_lower_edge else "a bulk is only partly resolved")
    return (f"total mass {total_mass:.6g} misses 1 by {abs(miss):.2g} (> {MASS_FLAG_TOL:g}): "
            f"{why}; bulk weights are uncertain at that level")


def _check_theory_t(t) -> float:
    """``t`` as a float if it is a diffusion time in :data:`T_RANGE`, else ``ValueError``
    naming ``t`` and the range."""
    from classdyn.theory.params import check_time

    t = check_time(t)
    lo, hi = T_RANGE
    if not lo <= t <= hi:
        raise ValueError(f"t (diffusion time) must lie in [{lo:g}, {hi:g}] on the theory "
                         f"commands, got {t:g} " + (
                             f"(beyond {hi:g} the data term e^(-2t) is below float64 "
                             "resolution: the large-t limit is already reached)" if t > hi else
                             "(below, the noise variance 1 - e^(-2t) is too small for the exact "
                             "edge polynomial)"))
    return t


def _with_params(args, data: dict) -> dict:
    """``data`` with this run's parameters (``run_params``), so a later run can tell whether
    the file is its own (:func:`classdyn.flags.check_overwrite`)."""
    from classdyn.flags import run_params

    data["run_params"] = run_params(args)
    return data


def _guarded(handler, result_file: str):
    """``handler`` that first refuses to replace ``--out/result_file`` holding another run
    (unless ``--force``), and refuses clearly where the exact edge polynomial cannot be formed: for
    extreme parameters its rational coefficients pass Python's integer-to-text limit, which
    surfaced as a bare "Exceeds the limit (4300 digits)" message."""
    import functools

    @functools.wraps(handler)
    def run(args):
        from classdyn.flags import check_overwrite, run_params

        check_overwrite(args.out / result_file, run_params(args), args.force)  # before work
        for flag, psi in (("--psi-p", args.psi_p), ("--psi-n", args.psi_n)):
            if not PSI_RANGE[0] <= psi <= PSI_RANGE[1]:
                raise ValueError(f"argument {flag}: must lie in [{PSI_RANGE[0]:g}, "
                                 f"{PSI_RANGE[1]:g}] on the spectral commands, got {psi:g} "
                                 "(outside, the spectral equations fail to converge or take "
                                 "unbounded time)")
        if min(args.variances) < MIN_VARIANCE:
            raise ValueError(f"argument --variances: each must be >= {MIN_VARIANCE:g} on the "
                             f"spectral commands, got {min(args.variances):g} (smaller ones "
                             "give the exact edge polynomial coefficients too large to solve "
                             "in bounded time)")
        try:
            return handler(args)
        except ValueError as exc:
            if "integer string conversion" not in str(exc):
                raise
            given = (f"--psi-p {args.psi_p:g}, --psi-n {args.psi_n:g}, --variances "
                     f"{' '.join(f'{v:g}' for v in args.variances)}, --t "
                     f"{' '.join(f'{t:g}' for t in (args.t if isinstance(args.t, list) else [args.t]))}")
            raise ValueError(f"argument --psi-p/--psi-n/--variances/--t: the exact edge "
                             f"polynomial cannot be formed at {given} (its coefficients pass "
                             "4300 digits): the parameters are too extreme; use values "
                             "nearer the defaults") from None
    return run


def _common(p):
    add_mixture(p)
    add_random_features(p)
    p.add_argument("--latex", action="store_true",
                   help="also print the spectral equations the model solves, typeset for LaTeX "
                        "(centred classes: docs/theory/spectrum-centred.md, paper eqs. (114); "
                        "extensive centroids: docs/theory/extensive.md)")


def _latex_lines(args, mod) -> list:
    """The ``--latex`` block: the model's equations (centred or extensive centroids)."""
    if not getattr(args, "latex", False):
        return []
    if mod.kind != "centred":
        return ["bulk equations, extensive centroids (docs/theory/extensive.md, (ext-kappa)-"
                "(ext-q); E_m: average over the projected centroids m):",
                mod.equations().latex()]
    return ["spectral equations (docs/theory/spectrum-centred.md, paper eqs. (114)):",
            mod.equations().latex()]


def _with_latex(result, latex: list):
    """``result`` with the ``--latex`` block appended to its text (extensive centroids)."""
    if latex:
        result.text = "\n".join([result.text, *latex])
    return result


def register(sub) -> None:
    p = add_command(
        sub, "spectrum",
        help="spectral density of the GEP feature covariance U, centred classes (docs/theory/spectrum-centred.md)",
        description=(
            "Density rho(lambda) = Im q(lambda + i0+)/pi of U = sum_c G_c G_c^T/n + b^2 K + "
            "s^2 I (docs/theory/spectrum-centred.md),\nits bulks (support and weights) and the delta peak at "
            "s^2. Writes spectrum.json and spectrum.npz\n(and spectrum.png with --plot) to "
            "--out."))
    _common(p)
    add_time(p, default=0.01)
    p.add_argument("--points", type=_points, default=400,
                   help="points of the uniform grid in lambda; every bulk adds as many (at "
                        "least 64) clustered at its edges, so the saved density resolves "
                        "each bulk (default: %(default)s)")
    p.add_argument("--lam-max", type=positive_float, default=None, metavar="L",
                   help="upper end of the grid (default: 1.05 x the top edge)")
    p.add_argument("--plot", action="store_true",
                   help="also write a figure spectrum.png (log-scaled lambda axis)")
    p.add_argument("--d", type=positive_int, default=None, metavar="D",
                   help="input dimension d (>= 1): with extensive centroids (--norms2 > 0) also "
                        "locate the outliers of U, which depend on d (default: none)")
    add_dps(p)
    add_output(p)
    add_force(p)
    p.set_defaults(handler=_guarded(run_spectrum, "spectrum.json"))

    p = add_command(
        sub, "edges",
        help="edges of the spectral density to --dps digits, from the edge polynomial "
             "(docs/theory/spectrum-centred.md)",
        description=(
            "Real roots of the edge polynomial E(z) = sqf Disc_q P(q, z) (P: the spectral "
            "equations with r eliminated,\ndocs/theory/spectrum-centred.md), computed with mpmath to --dps digits "
            "and classified as true edges (density zero on one\nside) or not. "
            "--show-polynomials prints P(q, z) and E(z)."))
    _common(p)
    add_time(p, default=0.01)
    add_dps(p)
    p.add_argument("--show-polynomials", action="store_true",
                   help="print the eliminated polynomial P(q, z) and the edge polynomial E(z)")
    add_output(p)
    add_force(p)
    p.set_defaults(handler=_guarded(run_edges, "edges.json"))

    p = add_command(
        sub, "times",
        help="learning timescales tau_gen, tau_mem, tau_fin and windows from the edges "
             "(docs/theory/spectrum-centred.md)",
        description=(
            "tau_gen = 1/lambda_gen (lower edge of the rightmost bulk), tau_mem = 1/lambda_mem "
            "(upper edge of the\nmemorisation bulk), tau_fin = 1/lambda_fin (lowest edge); "
            "W_gen = tau_mem/tau_gen, W_mem = tau_fin/tau_mem.\nTraining-time unit: a mode of "
            "eigenvalue lambda relaxes as exp(-lambda tau). Needs psi_n > 1 and\npsi_p >= 1 + "
            "psi_n. --limit adds the large-psi_p limit of the windows (paper Fig. 2b)."))
    _common(p)
    add_time(p, default=0.01, multiple=True)
    add_dps(p)
    p.add_argument("--limit", action="store_true",
                   help="also extrapolate the windows to psi_p -> infinity (slow: three "
                        "spectra at psi_p = N, 2N, 4N)")
    p.add_argument("--limit-psi-p0", type=positive_float, default=32.0, metavar="N",
                   help="smallest psi_p of the extrapolation (default: %(default)s)")
    add_output(p)
    add_force(p)
    p.set_defaults(handler=_guarded(run_times, "times.json"))


def _model(args):
    from classdyn.theory.params import Mixture, RandomFeatures

    mix = Mixture(variances=tuple(args.variances), weights=args.weights,
                  norms2=args.norms2, overlaps=args.overlaps)
    return mix, RandomFeatures(args.psi_p, args.psi_n, args.activation)


def _door(args, t):
    """``(mix, rf, model)`` at diffusion time ``t`` (:func:`classdyn.theory.model.model`)."""
    from classdyn.theory.model import model

    mix, rf = _model(args)
    return mix, rf, model(mix, rf, t)


def run_spectrum(args: argparse.Namespace) -> CommandResult:
    from classdyn.io import atomic_save_npz, atomic_write_json
    t = _check_theory_t(args.t)
    mix, rf, mod = _door(args, t)
    latex = _latex_lines(args, mod)
    if mod.kind == "extensive":
        return _with_latex(_spectrum_extensive(args, mod), latex)
    params = mod.params
    if args.points < 2:
        raise ValueError(f"--points must be >= 2, got {args.points}")
    spec = mod.spectrum(dps=args.dps)
    top = max(b.upper for b in spec.bulks)
    hi = args.lam_max if args.lam_max is not None else 1.05 * top
    if not hi > params.sbar2:
        raise ValueError(f"--lam-max must be > s^2 = {params.sbar2:.6g}, got {hi}")
    lam = density_grid(spec.bulks, hi, args.points)
    dens = mod.density(lam)
    data = {"params": params.to_dict(), "mixture": mix.to_dict(), "model": rf.to_dict(),
            "t": t, "spectrum": spec.to_dict(), "lam": lam, "density": dens.density}
    note = mass_note(spec.total_mass, spec.singular_lower_edge)
    if note:
        data["mass_warning"] = note
    out = args.out
    atomic_write_json(out / "spectrum.json", _with_params(args, data))
    atomic_save_npz(out / "spectrum.npz", lam=lam, density=dens.density, q=dens.q)
    lines = [f"Spectral density of U (docs/theory/spectrum-centred.md), t = {t:g}, psi_p = {rf.psi_p:g}, "
             f"psi_n = {rf.psi_n:g}, activation {rf.activation}",
             f"delta peak at s^2 = {params.sbar2:.8g}, weight {spec.delta_weight:.6g}; "
             f"total mass {spec.total_mass:.10f}",
             f"{'bulk':>4} {'lower':>16} {'upper':>16} {'weight':>12}"]
    if note:
        lines.insert(2, f"warning: {note}")
    if getattr(args, "d", None) is not None:
        lines.insert(2, "outliers: none (centred classes give U no low-rank part; --d is used "
                        "only with extensive centroids)")
    for i, b in enumerate(spec.bulks):
        lines.append(f"{i:4d} {b.lower:16.10g} {b.upper:16.10g} {b.weight:12.8f}")
    _density_table(lines, lam, dens.density)
    lines += latex
    if args.plot:
        fig_path = _plot_spectrum(mod, spec, out / "spectrum.png", t)
        data["figure"] = str(fig_path)
        lines.append(f"figure: {fig_path}")
    lines.append(f"(written to {out / 'spectrum.json'}, {out / 'spectrum.npz'})")
    return CommandResult(data=data, text="\n".join(lines))


def density_grid(bulks, hi: float, points: int):
    """The grid on which ``classdyn spectrum`` saves the density: ``points`` equispaced values
    on ``[0, hi]`` joined with, for every bulk ``[a, b]`` below ``hi``, ``max(64, points)``
    points ``λ = a + (b − a)(1 − cos θ)/2`` (``θ`` equispaced on ``[0, π]``), which include
    both edges and cluster at them. A uniform grid alone gives a narrow bulk few or no points
    (at variances 1, 2 and t = 0.01 the saved density integrated to 0.52 instead of 0.75); on
    this one the trapezoidal integral of each bulk matches its weight (the square-root edges
    become smooth in ``θ``)."""
    import numpy as np

    parts = [np.linspace(0.0, hi, points)]
    theta = np.linspace(0.0, np.pi, max(64, points))
    for b in bulks:
        if b.lower < hi:
            top = min(b.upper, hi)
            pts = b.lower + (top - b.lower) * (1.0 - np.cos(theta)) / 2.0
            pts[0], pts[-1] = b.lower, top  # the edges exactly, not within a rounding
            parts.append(pts)
    return np.unique(np.concatenate(parts))


def _density_table(lines, lam, dens):
    step = max(1, lam.size // 20)
    lines.append(f"{'lambda':>14} {'rho(lambda)':>14}   (every {step}th of {lam.size} "
                 f"points; all in spectrum.npz)")
    for x, r in zip(lam[::step], dens[::step]):
        lines.append(f"{x:14.6g} {r:14.6g}")


def _spectrum_extensive(args, mod) -> CommandResult:
    """The report of ``classdyn spectrum`` for extensive centroids (docs/theory/extensive.md)."""
    import numpy as np

    from classdyn.io import atomic_save_npz, atomic_write_json

    mix, rf, t = mod.mixture, mod.rf, mod.t
    spec = mod.spectrum(d=getattr(args, "d", None), n_grid=args.points)
    lam, dens, derr = spec.lam, spec.density, spec.density_error
    if getattr(args, "lam_max", None) is not None:
        lam = np.linspace(0.0, float(args.lam_max), args.points)
        res = mod.density(lam, converged=True)  # E_m refined per point, as spec's (issue 12)
        if not np.all(np.isfinite(res.error)):
            raise RuntimeError(f"bulk equations did not converge at "
                               f"{int(np.sum(~np.isfinite(res.error)))} points")
        dens, derr = res.density, res.error
    data = {"theory": "docs/theory/extensive.md (extensive centroids)", "mixture": mix.to_dict(),
            "model": rf.to_dict(), "t": t, "spectrum": spec.to_dict(), "lam": lam,
            "density": dens, "density_error": derr}
    out = args.out
    atomic_write_json(out / "spectrum.json", _with_params(args, data))
    atomic_save_npz(out / "spectrum.npz", lam=lam, density=dens, density_error=derr)
    lines = [f"Spectral density of U for extensive centroids (docs/theory/extensive.md), t = {t:g}, "
             f"psi_p = {rf.psi_p:g}, psi_n = {rf.psi_n:g}, activation {rf.activation}",
             *spec.summary().splitlines()[1:],
             f"  total mass of the bulks {float(np.sum(spec.masses)):.10f} (masses from contour "
             f"integrals of q with E_m refined, errors as shown; bulk intervals from "
             f"Gauss-Hermite {mod.order} nodes per axis, converged edges: classdyn edges; "
             f"outliers carry O(1/p))"]
    if spec.d is None:
        lines.append("  outliers: not computed, they depend on the input dimension: give --d")
    _density_table(lines, lam, dens)
    if getattr(args, "plot", False):
        fig_path = _plot_spectrum(mod, spec, out / "spectrum.png", t, lam=lam, dens=dens)
        data["figure"] = str(fig_path)
        lines.append(f"figure: {fig_path}")
    lines.append(f"(written to {out / 'spectrum.json'}, {out / 'spectrum.npz'})")
    return CommandResult(data=data, text="\n".join(lines))


def _plot_spectrum(mod, spec, path, t, lam=None, dens=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    fig, ax = plt.subplots(figsize=(6, 3.5))
    if mod.kind == "extensive":
        ax.plot(lam, dens, "k-", lw=1)
        ax.set_yscale("log")
        ax.set_xlabel("eigenvalue λ")
        ax.set_ylabel("density")
        ax.set_title(f"extensive centroids (docs/theory/extensive.md), t = {t:g}", fontsize=9)
    else:
        params = mod.params
        for b in spec.bulks:
            th = np.linspace(0, np.pi, 400)
            x = b.lower + (b.upper - b.lower) * (1 - np.cos(th)) / 2
            ax.plot(x, mod.density(x).density, color="C0")
        if spec.delta_weight > 0:
            ax.axvline(params.sbar2, color="C3", ls=":",
                       label=f"delta at s^2, weight {spec.delta_weight:.3g}")
            ax.legend()
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("eigenvalue lambda of U")
        ax.set_ylabel("density rho(lambda)")
        ax.set_title(f"GEP spectrum, t = {t:g}, psi_p = {params.psi_p:g}, "
                     f"psi_n = {params.psi_n:g}")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def run_edges(args: argparse.Namespace) -> CommandResult:
    from classdyn.io import atomic_write_json
    t = _check_theory_t(args.t)
    mix, rf, mod = _door(args, t)
    latex = _latex_lines(args, mod)
    if mod.kind == "extensive":
        return _with_latex(_edges_extensive(args, mod), latex)
    params = mod.params
    res = mod.edges(dps=args.dps)
    data = {"params": params.to_dict(), "t": t, **res.to_dict()}
    if getattr(res, "method", "polynomial") == "numeric":
        lines = [f"Edges of the spectral density (docs/theory/spectrum-centred.md), located "
                 f"numerically; t = {t:g}, psi_p = {rf.psi_p:g}, psi_n = {rf.psi_n:g}",
                 f"{params.merged().n_classes} distinct classes: no edge polynomial beyond 5, "
                 f"so not {args.dps} digits; each edge +- its bisection bracket "
                 f"(s^2 = {params.sbar2:.8g})"]
        for c, k, err in zip(res.candidates, res.kind, res.error):
            lines.append(f"  {float(c):>22.12g} +- {err:.1e}  {k}")
    else:
        lines = [f"Edges of the spectral density (docs/theory/spectrum-centred.md), {args.dps} "
                 f"digits; t = {t:g}, psi_p = {rf.psi_p:g}, psi_n = {rf.psi_n:g}",
                 f"edge polynomial: degree {res.degree} (square-free part of Disc_q P); "
                 f"{len(res.candidates)} real roots >= s^2 = {params.sbar2:.8g}, "
                 f"{res.negative_roots} below"]
        for c, k in zip(res.candidates, res.kind):
            import mpmath

            lines.append(f"  {mpmath.nstr(c, args.dps):>{args.dps + 8}}  {k}")
    if res.singular_lower_edge:
        lines.append("  (the lowest edge is s^2 itself: inverse-square-root density, "
                     "psi_p = 1 + psi_n)")
    if args.show_polynomials:
        from classdyn.theory.edges import curve_polynomials

        F, Z, _ = curve_polynomials(params.merged().n_classes)
        P, E = mod.edge_polynomial()
        data.update(F=str(F), Z=str(Z), P=str(P.as_expr()), E=str(E.as_expr()))
        lines += ["curve F(q, r) = 0 (symbolic parameters; z-free):", str(F),
                  "explicit map Z(q, r, z) = 0:", str(Z),
                  "P(q, z) = Res_r(F, Z) without z-free factors, for these parameters "
                  "(integer coefficients):", str(P.as_expr()),
                  "E(z) = square-free part of Disc_q P:", str(E.as_expr())]
    lines += latex
    atomic_write_json(args.out / "edges.json", _with_params(args, data))
    lines.append(f"(written to {args.out / 'edges.json'})")
    return CommandResult(data=data, text="\n".join(lines))


def _edges_extensive(args, mod) -> CommandResult:
    """The report of ``classdyn edges`` for extensive centroids (docs/theory/extensive.md)."""
    import numpy as np

    from classdyn.io import atomic_write_json

    mix, rf, t = mod.mixture, mod.rf, mod.t
    e = mod.edges()
    data = {"theory": "docs/theory/extensive.md (extensive centroids)", "t": t, "mixture": mix.to_dict(),
            "model": rf.to_dict(), **e.to_dict()}
    lines = [f"Bulk edges for extensive centroids (docs/theory/extensive.md), t = {t:g}, psi_p = "
             f"{rf.psi_p:g}, psi_n = {rf.psi_n:g}: critical values of the inverse map along the "
             f"real branch ('fold', ~1e-10) or grid threshold crossings ('grid')",
             f"{'bulk':>4} {'lower':>16} {'upper':>16} {'mass (contour integral of q)':>28}"
             f"  method"]
    merr = getattr(e, "mass_errors", None)
    for i, ((a, b), m, meth) in enumerate(zip(e.intervals, e.masses, e.methods)):
        me = f" +- {merr[i]:.1e}" if merr is not None and len(merr) == len(e.masses) else ""
        lines.append(f"{i:4d} {a:16.10g} {b:16.10g} {m:19.10f}{me:>9}  {meth[0]}/{meth[1]}")
    conv = getattr(e, "converged", None)
    for i, side in ([] if conv is None else zip(*np.nonzero(~conv))):
        x, tm, te = e.intervals[i, side], e.tail_mass[i, side], e.tail_error[i, side]
        lines.append(f"  soft {'lower' if side == 0 else 'upper'} edge of bulk {i} "
                     f"({x:.6g}, not converged in E_m: a band tail, no fold to converge to): "
                     f"mass {tm:.2g} +- {te:.1g} lies {'below' if side == 0 else 'beyond'} it "
                     f"(docs/findings.md, issue 12)")
    if getattr(args, "dps", None) and args.dps > 16:
        lines.append(f"(--dps {args.dps} ignored: the extensive-centroid edges are float64)")
    atomic_write_json(args.out / "edges.json", _with_params(args, data))
    lines.append(f"(written to {args.out / 'edges.json'})")
    return CommandResult(data=data, text="\n".join(lines))


def run_times(args: argparse.Namespace) -> CommandResult:
    """``classdyn times``: the door's :meth:`timescales` for each ``--t``, one table for both
    kinds of model (their bulks are named by one rule, :mod:`classdyn.theory.bulks`)."""
    from classdyn.io import atomic_write_json
    from classdyn.progress import progress
    from classdyn.theory.timescales import window_limits

    from classdyn.theory.bulks import check_bulk_counting

    mix, rf = _model(args)
    check_bulk_counting(rf.psi_p, rf.psi_n)  # before any work
    if args.limit and not mix.centred:
        raise ValueError("--limit (the large-psi_p limit of the windows) is available for centred "
                         "classes only (all --norms2 0)")
    rows = []
    kind = "centred classes, docs/theory/spectrum-centred.md" if mix.centred else "extensive centroids, docs/theory/extensive.md"
    lines = [f"Timescales from the spectral edges ({kind}); training time tau: a mode of "
             "eigenvalue lambda relaxes as exp(-lambda tau)",
             f"{'t':>8} {'tau_gen':>12} {'tau_mem':>12} {'tau_fin':>12} {'W_gen':>10} "
             f"{'W_mem':>10}  bulks"]

    def f(x, w=12):
        return f"{'-':>{w}}" if x is None else f"{x:{w}.5g}"

    latex = []
    for t in progress([_check_theory_t(t) for t in args.t], desc="times"):
        mix, rf, mod = _door(args, t)
        latex = latex or _latex_lines(args, mod)
        ts = mod.timescales(dps=args.dps)
        row = {"t": t, "kind": mod.kind, **ts.to_dict()}
        if args.limit:
            lim = window_limits(mix, rf.psi_n, t, activation=rf.activation,
                                psi_p0=max(args.limit_psi_p0, 1 + rf.psi_n), dps=args.dps)
            row["limit"] = lim.to_dict()
        rows.append(row)
        lines.append(f"{t:8.4g} {f(ts.tau_gen)} {f(ts.tau_mem)} {f(ts.tau_fin)} "
                     f"{f(ts.W_gen, 10)} {f(ts.W_mem, 10)}  {' | '.join(ts.roles)}")
        if args.limit:
            lines.append(f"{'':8} psi_p -> inf: W_gen = {f(lim.W_gen, 0)} "
                         f"(+- {f(lim.W_gen_err, 0)}), W_mem = {f(lim.W_mem, 0)} "
                         f"(+- {f(lim.W_mem_err, 0)})")
    data = {"rows": rows}
    atomic_write_json(args.out / "times.json", _with_params(args, data))
    lines.append("('-': the edge does not exist because bulks merged; see 'bulks')")
    lines += latex
    lines.append(f"(written to {args.out / 'times.json'})")
    return CommandResult(data=data, text="\n".join(lines))
