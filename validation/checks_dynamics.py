"""Checks of the finite-size learning dynamics (docs/theory/model.md, §7-§8; paper's Figs. 1-4).

Each check's core comparison is a plain function of measured arrays (``compare_gd``,
``judge_ablations``, ``judge_tradeoff``, ``judge_slopes``) so that tests can feed it wrong
inputs (swapped classes, a wrong exponent) and see it fail.
"""

from __future__ import annotations

import math

import numpy as np

from .registry import CheckContext, Outcome, check


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _mixture(params, **over):
    from classdyn.theory.params import Mixture

    kw = {"variances": tuple(params.get("variances", (1.0, 2.0))),
          "weights": None if params.get("weights") is None else tuple(params["weights"]),
          "norms2": None if params.get("norms2") is None else tuple(params["norms2"])}
    kw.update(over)
    return Mixture(**kw)


# ====================================================================== loss curves (Fig. 2a)
#: seed-to-seed standard errors allowed (4 seeds: the SE itself is uncertain by ~40 %)
GD_SIGMAS = 4.0
#: relative accuracy allowed to the leading-order noise excess (measured right to ~30 %)
GD_EXCESS_REL = 0.35
GD_FLOOR = 2e-3


def compare_gd(sa_test, gd_test, gd_se, excess) -> dict:
    """Explicit GD (mean over seeds) against the semi-analytic discrete-GD curves plus the
    derived noise excess (classdyn.simulate.train.gd_noise_excess): pass when everywhere
    ``|GD − SA − excess| ≤ 4 SE + 0.35 excess + 2e-3`` (one clause, ``within_tolerance_ok``;
    a pure function of the curves)."""
    sa, gd, se, ex = (np.asarray(a, float) for a in (sa_test, gd_test, gd_se, excess))
    tol = GD_SIGMAS * se + GD_EXCESS_REL * ex + GD_FLOOR
    z = np.abs(gd - sa - ex) / tol
    ok = bool(np.all(z <= 1))
    return {"within_tolerance_ok": ok, "passed": ok, "worst_ratio": float(np.max(z)),
            "max_abs_dev": float(np.max(np.abs(gd - sa))), "max_excess": float(np.max(ex))}


def _edge_times(fs, mix, psi_p, psi_n, t, d):
    """Edge times 1/λ: classdyn.theory.timescales when available, else the empirical bulk edges
    (top d eigenvalues = population bulk, next n − d = memorisation bulk, docs/theory/spectrum-centred.md)."""
    try:
        from classdyn.theory.params import RandomFeatures
        from classdyn.theory.timescales import timescales_model

        if mix.centred:
            ts = timescales_model(mix, RandomFeatures(psi_p, psi_n, "tanh"), t)
            out = {k: getattr(ts, k, None) for k in ("tau_gen", "tau_mem", "tau_fin")}
            if out["tau_gen"] is not None:
                return {k: (math.nan if v is None else float(v)) for k, v in out.items()}, \
                    "classdyn.theory.timescales"
    except Exception:  # noqa: BLE001 - optional dependency; fall back to the empirical edges
        pass
    lam = np.sort(np.linalg.eigvalsh(fs.U))[::-1]
    n = int(round(psi_n * d))
    out = {"tau_gen": 1 / lam[d - 1], "tau_mem": 1 / lam[min(d, len(lam) - 1)],
           "tau_fin": 1 / lam[min(n + d - 1, len(lam) - 1)]}
    return out, "empirical bulk edges of U"


@check(name="loss-curves",
       claim="Semi-analytic train and class test losses from one eigendecomposition of the "
             "exact U (paper's (133), Fig. 2a) agree with explicit gradient descent with fresh "
             "diffusion noise (same W, data) over the whole training-time range, once the "
             "derived noise excess of GD is accounted for",
       reference="docs/theory/model.md; paper's (6), (14), (133), Fig. 2a",
       sizes={"small": {"d": 30, "psi_p": 4.0, "psi_n": 2.0, "t": 0.1,
                        "variances": [1.0, 2.0], "seeds": 4, "step_frac": 0.5, "seed": 0},
              "paper": {"d": 100, "psi_p": 4.0, "psi_n": 2.0, "t": 0.1,
                        "variances": [1.0, 2.0], "seeds": 8, "step_frac": 0.5, "seed": 0}},
       order=50)
def loss_curves(params: dict, ctx: CheckContext) -> Outcome:
    from classdyn.simulate.systems import draw_system
    from classdyn.simulate.dynamics import eigenbasis, semi_analytic_curves, tau_grid
    from classdyn.simulate.train import gd_noise_excess, train_gd

    mix = _mixture(params)
    d, t = params["d"], params["t"]
    W, data, fs = draw_system(mix, d, params["psi_p"], params["psi_n"], t, seed=params["seed"])
    eb = eigenbasis(fs.U, fs.V)
    step = params["step_frac"] / eb.lam.max()
    res = train_gd(W, data.X, fs.U, fs.V, fs.Uc, fs.Vc, t, step, 2 / eb.lam.min(),
                   seeds=range(params["seeds"]), num_checkpoints=25, lam_max=eb.lam.max())
    sa = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, res.tau, t, step=step, basis=eb)
    n = data.X.shape[0]
    ex = np.stack([gd_noise_excess(eb.lam, np.sum(eb.Q * (fs.Uc[c] @ eb.Q), axis=0),
                                   res.steps, step, n, sa.train) for c in range(2)])
    ex_tr = gd_noise_excess(eb.lam, eb.lam, res.steps, step, n, sa.train)
    comp = compare_gd(np.vstack([sa.test, sa.train]), np.vstack([res.test, res.train]),
                      np.vstack([res.test_se, res.train_se]), np.vstack([ex, ex_tr]))
    edges, edge_src = _edge_times(fs, mix, params["psi_p"], params["psi_n"], t, d)
    flow = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, tau_grid(res.tau[1], res.tau[-1], 200),
                                t, basis=eb)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    cols = ["C0", "C1", "C2"]
    for c in range(2):
        ax.plot(flow.tau, flow.test[c], color=cols[c], label=f"E_{c} semi-analytic (flow)")
        ax.errorbar(res.tau[1:], res.test[c, 1:], yerr=res.test_se[c, 1:], fmt="o", ms=3,
                    color=cols[c], label=f"E_{c} GD, mean of {params['seeds']} seeds")
    ax.plot(flow.tau, flow.train, color="k", label="train semi-analytic")
    ax.plot(res.tau[1:], res.train[1:], "ks", ms=3, label="train GD")
    for k, ls in zip(("tau_gen", "tau_mem", "tau_fin"), (":", "--", "-.")):
        if math.isfinite(edges[k]):
            ax.axvline(edges[k], color="gray", ls=ls, label=f"{k} = 1/λ ({edge_src})")
    ax.set_xscale("log")
    ax.set_xlabel("training time τ (docs/theory/model.md unit)")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    fig.tight_layout()
    return Outcome(
        passed=comp["passed"], measured={**comp, "step": step, "edges": edges,
                                         "edge_source": edge_src},
        tolerance=f"|GD - SA - excess| <= {GD_SIGMAS:g} SE + {GD_EXCESS_REL:g} excess + "
                  f"{GD_FLOOR:g}",
        tolerance_reason="GD with fresh noise is discrete GD on the exact loss plus noise; its "
                         "mean exceeds the closed form by a derived excess ~ step/n (measured "
                         "right to 30 %) and scatters by the seed-to-seed standard error",
        figure=fig,
        summary=f"worst |GD - SA - excess|/tol = {comp['worst_ratio']:.2f}; largest GD-SA "
                f"deviation {comp['max_abs_dev']:.3g} (noise excess up to "
                f"{comp['max_excess']:.3g}); edges from {edge_src}")


# ====================================================================== Result 2 (Fig. 3)
def judge_ablations(times: dict) -> dict:
    """Result 2 from the class times of the four ablations (class 0 is the modified class).

    ``times[name] = (tau_gen (2,), tau_mem (2,))`` for ``base``, ``var2`` (class 0 variance
    doubled), ``half_norm`` (class 0 centroid norm halved), ``skew`` (var2 with class 0 the
    minority, weights 0.3/0.7). Pass when: var2 and half_norm make class 0 first in both times
    (ratio > 1.02), half_norm more weakly than var2, skew keeps class 0 first.
    Each clause has its flag in ``criteria`` (``var2_first``, ``half_norm_first``,
    ``half_norm_weaker``, ``skew_keeps_order``), judged on both times; ``passed`` is their
    conjunction.
    """
    def ratios(name):
        g, m = (np.asarray(x, float) for x in times[name])
        return g[1] / g[0], m[1] / m[0]

    r = {k: ratios(k) for k in ("base", "var2", "half_norm", "skew")}
    ok = {
        "var2_first": all(x > 1.02 for x in r["var2"]),
        "half_norm_first": all(x > 1.02 * b for x, b in zip(r["half_norm"], r["base"])),
        "half_norm_weaker": all(h < v for h, v in zip(r["half_norm"], r["var2"])),
        "skew_keeps_order": all(x > 1.0 for x in r["skew"]),
    }
    return {"passed": all(ok.values()), "criteria": ok,
            "ratios_late_over_early": {k: [float(x) for x in v] for k, v in r.items()}}


@check(name="ablations",
       claim="Result 2 (paper's Fig. 3): with two orthogonal equal-norm extensive classes, "
             "doubling one class's variance makes it reach tau_gen and tau_mem first; halving "
             "its centroid norm does likewise, more weakly; skewed weights modulate the times "
             "without reversing the order",
       reference="docs/theory/class-losses.md, §8; paper's Fig. 3, Result 2",
       sizes={"small": {"d": 60, "psi_p": 2.0, "psi_n": 1.0, "t": 0.1, "norms2": 1.0,
                        "seed": 0},
              "paper": {"d": 200, "psi_p": 4.0, "psi_n": 2.0, "t": 0.1, "norms2": 1.0,
                        "seed": 0}},
       order=51)
def ablations(params: dict, ctx: CheckContext) -> Outcome:
    from classdyn.simulate.systems import draw_system
    from classdyn.simulate.dynamics import semi_analytic_curves, tau_grid
    from classdyn.simulate.times import class_times
    from classdyn.theory.params import Mixture

    n2 = params["norms2"]
    cases = {"base": Mixture((1.0, 1.0), norms2=(n2, n2)),
             "var2": Mixture((2.0, 1.0), norms2=(n2, n2)),
             "half_norm": Mixture((1.0, 1.0), norms2=(n2 / 2, n2)),
             "skew": Mixture((2.0, 1.0), weights=(0.3, 0.7), norms2=(n2, n2))}
    tau = tau_grid(1e-2, 1e5, 160)
    times, curves = {}, {}
    for name, mix in ctx.progress(cases.items(), desc="ablations", total=len(cases)):
        _, _, fs = draw_system(mix, params["d"], params["psi_p"], params["psi_n"], params["t"],
                               seed=params["seed"])
        lc = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, tau, params["t"])
        ct = class_times(tau, lc.test)
        times[name] = (ct.tau_gen, ct.tau_mem)
        curves[name] = lc.test
    res = judge_ablations(times)
    plt = _plt()
    fig, axes = plt.subplots(1, 4, figsize=(13, 3.4), sharey=True)
    for ax, name in zip(axes, cases):
        for c in range(2):
            ax.plot(tau, curves[name][c], label=f"class {c}")
            ax.axvline(times[name][0][c], color=f"C{c}", ls=":")
            ax.axvline(times[name][1][c], color=f"C{c}", ls="--")
        ax.set_xscale("log")
        ax.set_title(name)
        ax.set_xlabel("τ")
    axes[0].set_ylabel("E_c(τ)  (dotted τ_gen, dashed τ_mem)")
    axes[0].legend(fontsize=7)
    fig.tight_layout()
    return Outcome(passed=res["passed"],
                   measured={**res, "times": {k: [list(map(float, v[0])), list(map(float, v[1]))]
                                              for k, v in times.items()}},
                   tolerance="ordering with a 2 % margin on time ratios",
                   tolerance_reason="the baseline's two classes differ only by their sample; "
                                    "their time ratio is within 2 % of 1 at d = 60",
                   figure=fig, results={"2": res["passed"]},
                   summary="class 0 first under doubled variance / halved norm: "
                           + ", ".join(f"{k}={v}" for k, v in res["criteria"].items()))


# ====================================================================== Result 3 (Fig. 4)
#: Smallest gap slope (decades per unit weight) that counts as a trend in ``gaps-vs-weight``.
MIN_GAP_SLOPE = 0.05


def judge_tradeoff(rhos, gen_gaps, mem_gaps, min_slope: float = MIN_GAP_SLOPE) -> dict:
    """Result 3: as the weight ``ρ`` of the high-variance class grows, one gap widens while
    the other closes — least-squares slopes of the gaps (log10 τ^hi − log10 τ^lo) against ρ.

    Clauses (``passed`` is their conjunction): ``opposite_signs_ok`` (the slopes have opposite
    signs) and ``slopes_large_ok`` (each larger than ``min_slope`` in size)."""
    s_gen = float(np.polyfit(rhos, gen_gaps, 1)[0])
    s_mem = float(np.polyfit(rhos, mem_gaps, 1)[0])
    opposite = s_gen * s_mem < 0
    large = min(abs(s_gen), abs(s_mem)) > min_slope
    return {"opposite_signs_ok": bool(opposite), "slopes_large_ok": bool(large),
            "passed": bool(opposite and large), "slope_gen_gap": s_gen, "slope_mem_gap": s_mem}


@check(name="gaps-vs-weight",
       claim="Result 3 (paper's Fig. 4): sweeping the weight of the high-variance class, the "
             "generalisation and memorisation gaps between the classes move in opposite "
             "directions: closing one widens the other",
       reference="docs/theory/index.md; paper's Fig. 4, Result 3",
       sizes={"small": {"d": 30, "psi_p": 8.0, "psi_n": 4.0, "t": 0.01,
                        "variances": [4.0, 1.0], "rhos": [0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9],
                        "seed": 0},
              "paper": {"d": 100, "psi_p": 8.0, "psi_n": 4.0, "t": 0.01,
                        "variances": [4.0, 1.0],
                        "rhos": [0.05, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.95], "seed": 0}},
       order=52)
def gaps_vs_weight(params: dict, ctx: CheckContext) -> Outcome:
    from classdyn.simulate.systems import draw_system
    from classdyn.simulate.dynamics import semi_analytic_curves, tau_grid
    from classdyn.simulate.times import class_times, gaps
    from classdyn.theory.params import Mixture

    tau = tau_grid(1e-3, 1e5, 160)
    rhos = np.asarray(params["rhos"], float)
    gg, gm = [], []
    for r in ctx.progress(rhos, desc="gaps-vs-weight", total=len(rhos)):
        mix = Mixture(tuple(params["variances"]), weights=(float(r), 1 - float(r)))
        _, _, fs = draw_system(mix, params["d"], params["psi_p"], params["psi_n"], params["t"],
                               seed=params["seed"])
        ct = class_times(tau, semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, tau,
                                                   params["t"]).test)
        g = gaps(ct)
        gg.append(g["gen"]["0-1"])
        gm.append(g["mem"]["0-1"])
    res = judge_tradeoff(rhos, gg, gm)
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(rhos, gg, "o-", label="gen gap log10(τ_gen^hi/τ_gen^lo)")
    ax.plot(rhos, gm, "s-", label="mem gap log10(τ_mem^hi/τ_mem^lo)")
    ax.set_xlabel("weight of the high-variance class")
    ax.set_ylabel("gap (decades)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return Outcome(passed=res["passed"], measured={**res, "rhos": rhos, "gen_gaps": gg,
                                                   "mem_gaps": gm},
                   tolerance=f"opposite-sign slopes, each |slope| > {MIN_GAP_SLOPE:g} decades "
                             f"per unit weight",
                   tolerance_reason="the gaps scatter about their linear fit by < 0.02 "
                                    "decades at d = 30, far below the measured trends "
                                    "(~0.2-0.3 per unit weight)",
                   figure=fig, results={"3": res["passed"]},
                   summary=f"gap slopes vs weight: gen {res['slope_gen_gap']:+.3f}, mem "
                           f"{res['slope_mem_gap']:+.3f} decades per unit weight")


# ====================================================================== Result 1 (Fig. 1)
SLOPE_TOL = 0.1


def judge_slopes(ds, t_s, gammas, tol: float = SLOPE_TOL) -> dict:
    """Fit ``t_s^c`` (C × len(ds)) against ``log d``; pass (``slopes_ok``) when every slope is
    within ``tol`` of ``½(1 − γ_c)`` (docs/theory/speciation.md)."""
    from classdyn.simulate.speciation import fit_slopes
    from classdyn.theory.speciation import speciation_slopes

    fit = fit_slopes(ds, t_s)
    expect = speciation_slopes(gammas)
    err = np.abs(fit.slope - expect)
    ok = bool(np.all(err < tol))
    return {"slopes_ok": ok, "passed": ok, "slopes": fit.slope.tolist(),
            "expected": expect.tolist(), "max_error": float(err.max())}


def judge_speciation(ds, experiments: dict, tol: float = SLOPE_TOL) -> dict:
    """Verdict of ``speciation`` (a pure function of the measured times).

    ``experiments[name] = {"gammas": γ_c, "t_s_overlap": (C × len(ds)), "t_s_outlier": (C ×
    len(ds))}``: the seed-mean speciation times read off the eigenvector overlap and off the
    outlier leaving the bulk. Clauses (``passed`` is their conjunction): for every experiment
    ``e``, ``{e}_overlap_ok`` and ``{e}_outlier_ok`` — :func:`judge_slopes` of that time.
    Returns the flags, ``passed`` and the per-experiment fits under ``experiments``.
    """
    flags, out = {}, {}
    for e, x in experiments.items():
        j_ov = judge_slopes(ds, x["t_s_overlap"], x["gammas"], tol)
        j_out = judge_slopes(ds, x["t_s_outlier"], x["gammas"], tol)
        flags[f"{e}_overlap_ok"] = j_ov["slopes_ok"]
        flags[f"{e}_outlier_ok"] = j_out["slopes_ok"]
        out[e] = {**x, "overlap_fit": j_ov, "outlier_fit": j_out}
    return {**flags, "passed": bool(all(flags.values())), "experiments": out}


@check(name="speciation",
       claim="Result 1 (paper's Fig. 1): the diffusion time at which a class's outlier leaves "
             "the bulk of U and its eigenvector aligns with W mu_c grows like "
             "1/2 (1 - gamma_c) log d for weights rho_c ~ d^-gamma_c",
       reference="docs/theory/speciation.md; paper's Sec. 3.1, Fig. 1, Result 1",
       sizes={"small": {"ds": [100, 200, 400], "gammas": [0.0, 0.5], "repeats": 3,
                        "psi_p": 2.0, "psi_n": 1.0, "activation": "linear", "kind": "exact",
                        "t": [0.5, 5.0, 19], "seed": 0},
              "paper": {"ds": [250, 500, 1000, 2000], "gammas": [0.0, 0.5], "repeats": 3,
                        "psi_p": 2.0, "psi_n": 1.0, "activation": "tanh", "kind": "gep",
                        "t": [0.5, 6.0, 23], "seed": 0}},
       order=53)
def speciation(params: dict, ctx: CheckContext) -> Outcome:
    from classdyn.simulate.speciation import speciation_sweep
    from classdyn.theory.params import Mixture
    from classdyn.theory.speciation import power_law_weights, speciation_times

    ds, gammas = params["ds"], params["gammas"]
    ts = np.linspace(*params["t"][:2], int(params["t"][2]))
    C = len(gammas)
    runs = {}
    # two experiments: all gamma = 0 (balanced) and the given gammas (imbalanced)
    exps = {"balanced": [0.0] * C, "imbalanced": list(gammas)}
    units = [(e, d, r) for e in exps for d in ds for r in range(params["repeats"])]
    for e, d, r in ctx.progress(units, desc="speciation", total=len(units)):
        g = exps[e]
        w = power_law_weights(g, d) if any(x > 0 for x in g) else None
        mix = Mixture((1.0,) * C, weights=None if w is None else tuple(w), norms2=(1.0,) * C)
        sw = speciation_sweep(mix, d, params["psi_p"], params["psi_n"], ts,
                              params["activation"], seed=params["seed"] * 7919 + 100 * d + r,
                              kind=params["kind"])
        runs.setdefault((e, d), []).append(sw)
    measured_times = {}
    for e, g in exps.items():
        measured_times[e] = {
            "gammas": g,
            "t_s_overlap": np.array([[np.mean([s.t_s_overlap[c] for s in runs[(e, d)]])
                                      for d in ds] for c in range(C)]),
            "t_s_outlier": np.array([[np.mean([s.t_s_outlier[c] for s in runs[(e, d)]])
                                      for d in ds] for c in range(C)])}
    verdict = judge_speciation(ds, measured_times)
    out, passed = verdict["experiments"], verdict["passed"]
    flags = {k: v for k, v in verdict.items() if k.endswith("_ok")}
    plt = _plt()
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for ax, (e, g) in zip(axes, exps.items()):
        ts_ov, ts_out = out[e]["t_s_overlap"], out[e]["t_s_outlier"]
        for c in range(C):
            w = [power_law_weights(g, d) if any(x > 0 for x in g) else None for d in ds]
            lead = [speciation_times(Mixture((1.0,) * C, weights=None if wd is None else
                                             tuple(wd), norms2=(1.0,) * C), d).t_s[c]
                    for wd, d in zip(w, ds)]
            ax.plot(np.log(ds), ts_ov[c], "o-", color=f"C{c}", label=f"class {c} overlap")
            ax.plot(np.log(ds), ts_out[c], "s--", color=f"C{c}", label=f"class {c} outlier")
            ax.plot(np.log(ds), lead, ":", color=f"C{c}", label=f"½log(ρ|μ|²), γ={g[c]}")
        ax.set_xlabel("log d")
        ax.set_ylabel("speciation time t_s")
        ax.set_title(e)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return Outcome(passed=bool(passed), measured={**out, **flags},
                   tolerance=f"|slope - (1 - gamma)/2| < {SLOPE_TOL:g}",
                   tolerance_reason="one draw's t_s scatters by ~0.1; with 3 draws over "
                                    "log-d lever arm ln 4 the slope's standard error is ~0.05, "
                                    "and the finite-size drift of the O(1) offset adds a bias "
                                    "of the same order",
                   figure=fig, results={"1": bool(passed)},
                   summary="slopes (overlap): " + "; ".join(
                       f"{e}: {np.round(out[e]['overlap_fit']['slopes'], 3).tolist()} vs "
                       f"{np.round(out[e]['overlap_fit']['expected'], 3).tolist()}"
                       for e in exps))
