"""``classdyn simulate losses|train|speciation``: finite-size random-features experiments.

Each writes ``<out>/simulate/<command>/<key>/result.json`` + ``result.npz`` (atomic), shows
progress bars on stderr, checkpoints finished units under ``parts/`` and resumes from them when
rerun with the same parameters (see :mod:`classdyn.simulate._runs`). The peak memory is estimated before
anything starts; a ``--memory-gb`` budget below it is refused with a message.

Units: training time ``tau`` as in docs/theory/model.md (a mode of eigenvalue λ of U relaxes as
exp(−λ τ)); diffusion time ``t`` of the OU forward process.
"""

from __future__ import annotations

import argparse

from classdyn.cli import CommandResult, add_command
from classdyn.flags import (add_mixture, add_output, add_random_features, add_seed, add_size,
                            add_time, positive_float, positive_int)

ORDER = 40


def _common(p: argparse.ArgumentParser, *, extensive_default: bool = False) -> None:
    add_mixture(p)
    add_random_features(p)
    add_seed(p)
    p.add_argument("--kind", choices=["exact", "gep"], default="exact",
                   help="feature matrices: exact (Mehler series / Stein; closed form for linear) "
                        "or Gaussian-equivalent (GEP)")
    p.add_argument("--memory-gb", type=positive_float, default=8.0,
                   help="memory budget in GiB; a run whose estimated peak exceeds it is refused "
                        "before it starts")
    add_output(p)


def _tau_flags(p: argparse.ArgumentParser, tau_max: float = 1e4) -> None:
    g = p.add_argument_group("training time (docs/theory/model.md unit: a mode of eigenvalue λ relaxes "
                             "as exp(-λ tau))")
    g.add_argument("--tau-min", type=positive_float, default=1e-2, help="first tau of the grid")
    g.add_argument("--tau-max", type=positive_float, default=tau_max, help="last tau")
    g.add_argument("--num-tau", type=positive_int, default=200,
                   help="points of the log-spaced tau grid (>= 3)")
    g.add_argument("--threshold", type=float, default=1.0,
                   help="tau_mem = first tau after tau_gen with E_c >= threshold (E_c(0) = 1)")
    g.add_argument("--worse-than-min", type=positive_float, default=None,
                   help="instead of --threshold: E_c >= (1 + r) min E_c (0.01 = '1%% worse')")


def register(sub) -> None:
    grp = add_command(sub, "simulate", help="finite-size random-features experiments (CPU)",
                      description=__doc__)
    ss = grp.add_subparsers(dest="simulate_command", metavar="EXPERIMENT", required=True)

    p = add_command(ss, "losses", help="semi-analytic train/class test losses and class times",
                    description="Sample the mixture, build U, V, U_c, V_c, diagonalise U once "
                                "and write the train loss, each class's test loss E_c(tau) and "
                                "score error on a log-spaced tau grid, with tau_gen, tau_mem "
                                "per class and the gaps (docs/theory/class-losses.md).")
    _common(p)
    add_size(p, default=200)
    add_time(p)
    _tau_flags(p)
    p.set_defaults(handler=_losses)

    p = add_command(ss, "train", help="explicit gradient descent with fresh noise, over seeds",
                    description="Full-batch gradient descent on A with fresh diffusion noise at "
                                "each step (docs/theory/model.md), exact losses at log-spaced steps, "
                                "averaged over seeds (plain mean, standard error beside it), "
                                "with the semi-analytic curves of discrete GD for comparison.")
    _common(p)
    add_size(p, default=100)
    add_time(p)
    p.add_argument("--tau-max", type=positive_float, default=100.0,
                   help="train until this tau (docs/theory/model.md unit)")
    p.add_argument("--step-frac", type=positive_float, default=0.5,
                   help="GD step as a fraction of 1/lambda_max(U) (< 1)")
    p.add_argument("--seeds", type=positive_int, default=4, help="noise seeds to average")
    p.add_argument("--checkpoints", type=positive_int, default=30,
                   help="log-spaced steps at which the losses are recorded")
    p.set_defaults(handler=_train)

    p = add_command(ss, "speciation", help="outliers of U against diffusion time, several d",
                    description="For extensive centroids and weights rho_c ~ d^-gamma_c sweep "
                                "the diffusion time t, detect outliers above the bulk edge and "
                                "the overlap of the top eigenvectors with W mu_c, extract each "
                                "class's speciation time per d and fit slopes against log d "
                                "(docs/theory/speciation.md; prediction 1/2 (1 - gamma_c)).")
    add_mixture(p, variances_default=(1.0, 1.0))
    add_random_features(p)
    add_seed(p)
    p.add_argument("--kind", choices=["exact", "gep"], default="exact",
                   help="feature matrices: exact or GEP")
    p.add_argument("--memory-gb", type=positive_float, default=8.0,
                   help="memory budget in GiB (refused before starting if too small)")
    p.add_argument("--ds", type=positive_int, nargs="+", default=[100, 200, 400],
                   help="input dimensions d to sweep (p = psi_p d hidden neurons: the cost "
                        "grows like p^3 per diffusion time; default %(default)s)")
    p.add_argument("--gammas", type=float, nargs="+", default=None,
                   help="imbalance exponents gamma_c in [0, 1), weights rho_c ~ d^-gamma_c "
                        "(overrides --weights; at least one 0)")
    p.add_argument("--t-min", type=positive_float, default=0.5, help="smallest diffusion time")
    p.add_argument("--t-max", type=positive_float, default=5.0, help="largest diffusion time")
    p.add_argument("--num-t", type=positive_int, default=19, help="diffusion times in the sweep")
    p.add_argument("--repeats", type=positive_int, default=2,
                   help="independent draws (W, data) per d, averaged")
    p.add_argument("--level", type=positive_float, default=0.5,
                   help="squared-overlap level defining the speciation time")
    p.add_argument("--margin", type=positive_float, default=0.05,
                   help="relative excess over the bulk edge defining an outlier")
    add_output(p)
    p.set_defaults(handler=_speciation)


#: most GD steps per seed that simulate train runs (each step is a few (n x p)(p x d) products:
#: ~1e6 steps is already minutes to hours at the default sizes on 2 cores); --tau-max 1e12
#: asked for ~1e12 steps and hung
MAX_GD_STEPS = 1e6


# ------------------------------------------------------------------ helpers
def _mixture(args, weights=None):
    from classdyn.theory.params import Mixture

    return Mixture(variances=tuple(args.variances),
                   weights=tuple(weights) if weights is not None else (
                       None if args.weights is None else tuple(args.weights)),
                   norms2=None if args.norms2 is None else tuple(args.norms2),
                   overlaps=None if args.overlaps is None else tuple(args.overlaps))


def _sizes(args, d=None):
    d = args.d if d is None else d
    return d, max(1, round(args.psi_p * d)), max(1, round(args.psi_n * d))


def _features_unit(run, args, mix, d, p, n):
    """Data, W and the feature matrices, checkpointed as one unit."""
    import numpy as np

    from classdyn.simulate.systems import build_features
    from classdyn.simulate.data import as_generator, sample_mixture

    def compute():
        rng = as_generator(args.seed)
        data = sample_mixture(mix, d, n, seed=rng)
        W = rng.standard_normal((p, d))
        fs = build_features(W, data.X, data.labels, mix, data.centroids, args.t,
                            activation=args.activation, kind=args.kind, seed=rng)
        return {"W": W, "X": data.X, "labels": data.labels, "centroids": data.centroids,
                "U": fs.U, "V": fs.V, "Uc": fs.Uc, "Vc": fs.Vc}

    u = run.unit("features", compute)
    return {k: np.asarray(v) for k, v in u.items()}


def _check_tau_args(args):
    if args.tau_max <= args.tau_min:
        raise ValueError(f"--tau-max must be > --tau-min = {args.tau_min}, got {args.tau_max}")
    if args.num_tau < 3:
        raise ValueError(f"--num-tau must be >= 3, got {args.num_tau}")


# ------------------------------------------------------------------ handlers
def _losses(args) -> CommandResult:
    from classdyn.simulate._runs import Run, check_memory

    mix = _mixture(args)
    _check_tau_args(args)
    d, p, n = _sizes(args)
    need = check_memory("losses", args.memory_gb, d=d, p=p, n=n, C=mix.n_classes,
                        num_tau=args.num_tau)
    from classdyn.simulate.dynamics import semi_analytic_curves, tau_grid
    from classdyn.simulate.times import class_times

    params = {"command": "losses", "mixture": mix.to_dict(), "d": d, "p": p, "n": n,
              "t": args.t, "activation": args.activation, "kind": args.kind, "seed": args.seed,
              "tau": [args.tau_min, args.tau_max, args.num_tau]}
    from classdyn.progress import progress

    run = Run(args.out, "losses", params)
    stages = progress(iter(("features", "curves")), desc="simulate losses", total=2)
    next(stages)
    f = _features_unit(run, args, mix, d, p, n)
    next(stages)
    tau = tau_grid(args.tau_min, args.tau_max, args.num_tau)
    lc = semi_analytic_curves(f["U"], f["V"], f["Uc"], f["Vc"], tau, args.t, mix.variances)
    times = class_times(tau, lc.test, args.threshold, args.worse_than_min)
    next(stages, None)
    data = {"params": params, "memory_estimate_gb": need, "times": _explained(times.to_dict()),
            "tau_unit": "docs/theory/model.md"}
    data = run.finish(data, {"tau": tau, "train": lc.train, "test": lc.test, "score": lc.score,
                             "eigvals": lc.eigvals})
    lines = [f"simulate losses: d={d} p={p} n={n} t={args.t} {args.activation} ({args.kind})",
             f"  results in {run.dir}{run.resume_note()}"]
    for c in range(mix.n_classes):
        mem = (f"{times.tau_mem[c]:.4g}" if times.mem_reached[c] else
               f"not reached by --tau-max {args.tau_max:g}")
        lines.append(f"  class {c}: tau_gen = {times.tau_gen[c]:.4g}  tau_mem = {mem}  "
                     f"min E_c = {times.min_loss[c]:.4f}")
    if not all(times.mem_reached):
        lines.append("  (tau_mem = inf in the JSON where the test loss never returns to the "
                     "threshold on the tau grid: raise --tau-max, or the class does not "
                     "memorise at these parameters)")
    return CommandResult(data=data, text="\n".join(lines))


def _explained(times: dict) -> dict:
    """Class times with every undefined gap marked: the memorisation gap of two classes that
    both never memorise on the tau grid is log10(inf) - log10(inf), undefined (was NaN in the
    JSON); it becomes null with its reason under ``gaps["undefined"]``. A gap against one
    unreached class stays +-inf, the limit, explained by ``mem_reached``."""
    import math

    g = times["gaps"]
    for key, v in list(g["mem"].items()):
        if isinstance(v, float) and math.isnan(v):
            g["mem"][key] = None
            g.setdefault("undefined", {})[f"mem {key}"] = (
                "neither class memorises by --tau-max (both tau_mem = inf, mem_reached false): "
                "the gap is undefined")
    return times


def _train(args) -> CommandResult:
    import numpy as np

    from classdyn.simulate._runs import Run, check_memory

    mix = _mixture(args)
    if not args.step_frac < 1:
        raise ValueError(f"--step-frac must be < 1 (GD stability), got {args.step_frac}")
    d, p, n = _sizes(args)
    need = check_memory("train", args.memory_gb, d=d, p=p, n=n, C=mix.n_classes)
    from classdyn.progress import progress
    from classdyn.simulate.dynamics import eigenbasis, semi_analytic_curves
    from classdyn.simulate.train import GDTrainer, TrainResult, TrainRun, checkpoint_steps

    params = {"command": "train", "mixture": mix.to_dict(), "d": d, "p": p, "n": n, "t": args.t,
              "activation": args.activation, "kind": args.kind, "seed": args.seed,
              "tau_max": args.tau_max, "step_frac": args.step_frac, "seeds": args.seeds,
              "checkpoints": args.checkpoints}
    run = Run(args.out, "train", params)
    f = _features_unit(run, args, mix, d, p, n)
    eb = eigenbasis(f["U"], f["V"])
    step = args.step_frac / eb.lam.max()
    if args.tau_max / step > MAX_GD_STEPS:
        raise ValueError(f"--tau-max {args.tau_max:g} needs {args.tau_max / step:.3g} gradient "
                         f"steps of {step:.3g} (tau units) per seed, more than the "
                         f"{MAX_GD_STEPS:.0e} allowed (a run that would not finish): use "
                         f"--tau-max <= {MAX_GD_STEPS * step:.4g}, or simulate losses, whose "
                         "semi-analytic curves reach any tau")
    ks = checkpoint_steps(step, args.tau_max, args.checkpoints)
    trainer = GDTrainer(f["W"], f["X"], args.t, step, args.activation)
    runs = []
    run.expect([1.0] * args.seeds)
    for s in progress(range(args.seeds), desc="simulate train (seeds)", total=args.seeds):
        seed = 1_000_003 * (args.seed + 1) + s

        def compute(seed=seed):
            r = trainer.run(ks, seed, f["U"], f["V"], f["Uc"], f["Vc"])
            return {"steps": r.steps, "train": r.train, "test": r.test}

        u = run.unit(f"seed_{s}", compute)
        runs.append(TrainRun(seed=seed, steps=np.asarray(u["steps"]), train=u["train"],
                             test=u["test"]))
    res = TrainResult.from_runs(runs, step)
    sa = semi_analytic_curves(f["U"], f["V"], f["Uc"], f["Vc"], res.tau, args.t,
                              mix.variances, step=step, basis=eb)
    data = {"params": params, "memory_estimate_gb": need, "step": step,
            "smoothing": res.smoothing, "max_abs_dev_test": float(np.max(np.abs(
                res.test - sa.test)))}
    data = run.finish(data, {"tau": res.tau, "train": res.train, "test": res.test,
                             "train_se": res.train_se, "test_se": res.test_se,
                             "sa_train": sa.train, "sa_test": sa.test})
    text = (f"simulate train: d={d} p={p} n={n} t={args.t} step={step:.4g} (tau units), "
            f"{args.seeds} seeds; max |GD - semi-analytic| on E_c = "
            f"{data['max_abs_dev_test']:.3g}\n  results in {run.dir}{run.resume_note()}")
    return CommandResult(data=data, text=text)


def _speciation(args) -> CommandResult:
    import numpy as np

    from classdyn.simulate._runs import Run, check_memory

    if args.t_max <= args.t_min:
        raise ValueError(f"--t-max must be > --t-min = {args.t_min}, got {args.t_max}")
    if args.num_t < 2:
        raise ValueError(f"--num-t must be >= 2, got {args.num_t}")
    if not 0 < args.level < 1:
        raise ValueError(f"--level must lie in (0, 1), got {args.level}")
    from classdyn.theory.speciation import power_law_weights, speciation_slopes, speciation_times

    C = len(args.variances)
    if args.norms2 is None:
        args.norms2 = [1.0] * C
    if args.norms2 is not None and len(args.norms2) == C and not any(args.norms2):
        raise ValueError("--norms2 are all 0: centred classes have no outlier, so no class "
                         "speciates and there is nothing to measure (give a class a centroid, "
                         "--norms2 > 0)")
    gammas = args.gammas
    if gammas is not None and len(gammas) != C:
        raise ValueError(f"--gammas needs one exponent per class ({C}), got {gammas}")
    mixes = {}
    for d in args.ds:
        w = power_law_weights(gammas, d) if gammas is not None else None
        mixes[d] = _mixture(args, w)  # validates every size before work starts
    dmax = max(args.ds)
    _, p, n = _sizes(args, dmax)
    need = check_memory("speciation", args.memory_gb, d=dmax, p=p, n=n, C=C)
    from classdyn.progress import progress
    from classdyn.simulate.speciation import fit_slopes, speciation_sweep

    ts = np.linspace(args.t_min, args.t_max, args.num_t)
    params = {"command": "speciation", "variances": args.variances, "norms2": args.norms2,
              "weights": args.weights, "gammas": gammas, "ds": args.ds, "psi_p": args.psi_p,
              "psi_n": args.psi_n, "activation": args.activation, "kind": args.kind,
              "seed": args.seed, "t": [args.t_min, args.t_max, args.num_t],
              "repeats": args.repeats, "level": args.level, "margin": args.margin}
    run = Run(args.out, "speciation", params)
    units = [(d, r) for d in args.ds for r in range(args.repeats)]
    # relative cost of a unit ∝ d: measured at d = 100..400 (--kind gep; the eigen-problems'
    # d³ takes over only at larger d, where this estimate is low)
    run.expect([d / args.ds[0] for d, _ in units])
    per_d = {d: [] for d in args.ds}
    for d, r in progress(units, desc="simulate speciation (d, repeat)", total=len(units)):
        def compute(d=d, r=r):
            sw = speciation_sweep(mixes[d], d, args.psi_p, args.psi_n, ts, args.activation,
                                  seed=args.seed * 7919 + 101 * d + r, margin=args.margin,
                                  level=args.level, kind=args.kind)
            return {k: np.asarray(v) for k, v in sw.to_dict().items() if k != "t_unit"}

        per_d[d].append(run.unit(f"d{d}_r{r}", compute))
    ts_ov = np.array([[np.mean([u["t_s_overlap"][c] for u in per_d[d]]) for d in args.ds]
                      for c in range(C)])
    ts_out = np.array([[np.mean([u["t_s_outlier"][c] for u in per_d[d]]) for d in args.ds]
                       for c in range(C)])
    lead = np.array([speciation_times(mixes[d], d).t_s for d in args.ds]).T
    never = {str(c): ("norms2 = 0: a centred class has no outlier, it never separates "
                      "(its t_s = -inf, the limit; the sweep's numbers for it are not times)")
             for c in range(C) if args.norms2[c] == 0}
    for c in map(int, never):
        ts_ov[c] = ts_out[c] = -np.inf
    data = {"params": params, "memory_estimate_gb": need, "ds": args.ds,
            "t_s_overlap": ts_ov, "t_s_outlier": ts_out, "t_s_leading_theory": lead,
            "t_unit": "diffusion time of the OU forward process"}
    if never:
        data["never"] = never
    if len(args.ds) >= 2:
        keep = [c for c in range(C) if str(c) not in never]  # a slope of -inf is no slope
        for key, ts_c in (("slope_overlap", ts_ov), ("slope_outlier", ts_out)):
            fitted = dict(zip(keep, fit_slopes(args.ds, ts_c[keep]).slope))
            data[key] = [float(fitted[c]) if c in fitted else None for c in range(C)]
        data["slope_theory"] = speciation_slopes(gammas if gammas is not None else [0.0] * C)
    data = run.finish(data, {"ds": np.asarray(args.ds), "t": ts, "t_s_overlap": ts_ov,
                             "t_s_outlier": ts_out, "t_s_leading_theory": lead})
    lines = [f"simulate speciation: ds={args.ds} ({args.activation}, {args.kind}), "
             f"results in {run.dir}{run.resume_note()}"]
    for c in range(C):
        lines.append(f"  class {c}: t_s(overlap) = {np.round(ts_ov[c], 3).tolist()}  "
                     f"theory ½log(ρ|μ|²) = {np.round(lead[c], 3).tolist()}")
        if str(c) in never:
            lines.append(f"    never: {never[str(c)]}")
        if "slope_overlap" in data and str(c) not in never:
            lines.append(f"    slope vs log d: overlap {data['slope_overlap'][c]:.3f}, "
                         f"outlier {data['slope_outlier'][c]:.3f}, theory "
                         f"{data['slope_theory'][c]:.3f}")
    return CommandResult(data=data, text="\n".join(lines))
