"""``classdyn fit`` and ``classdyn predict``: the theory's predictions for a user's own dataset.

``fit`` reads a labelled dataset (``.npz``/``.npy`` + labels, IDX, Zarr, or a folder with one
sub-folder of images per class; :func:`classdyn.readers.read_dataset`), measures the isotropic
Gaussian mixture that the theory needs (class weights ρ_c, variances ``(1/d) tr Cov_c``, centroid
norms ``‖μ_c‖²/d`` and cosines, with bootstrap error bars, and how anisotropic each class is;
:func:`classdyn.theory.class_stats.data_statistics`) and writes ``mixture.json``.

``predict`` takes that file (``--mixture``) or a dataset (``--data``) and gives, per class, the
leading-order speciation time ``t_s^c = ½ log(ρ_c ‖μ_c‖²)`` (docs/theory/speciation.md) with an
error bar propagated from the bootstrap, and, for centred mixtures (``--centred`` drops the
centroids), the training timescales τ_gen, τ_mem, τ_fin and the windows of the random-features
model at diffusion time ``--t`` (docs/theory/timescales.md) with error bars by the delta method
(forward differences through :func:`classdyn.theory.model.model` over the class variances and
weights, and the bootstrap covariance of those statistics), the order of memorisation that
Result 2 predicts from the class variances (docs/theory/class-losses.md; pairs within the error
bars marked unresolved), a plain-language summary, and with ``--figure`` ``prediction.png``.
"""

from __future__ import annotations

import argparse
import dataclasses

from classdyn.cli import CommandResult, add_command
from classdyn.flags import add_output, add_random_features, add_seed, positive_float, positive_int

ORDER = 80
MIXTURE_FILE = "mixture.json"
PREDICTION_FILE = "prediction.json"


#: most bootstrap replicates (--bootstrap): error bars settle long before (their own relative
#: error is ~1/sqrt(2B)); 1e9 replicates had not finished after 60 s when killed
MAX_BOOTSTRAP = 100_000


def _bootstrap(text: str) -> int:
    """``--bootstrap``: an integer in [1, :data:`MAX_BOOTSTRAP`]."""
    k = positive_int(text)
    if k > MAX_BOOTSTRAP:
        raise argparse.ArgumentTypeError(f"must lie in [1, {MAX_BOOTSTRAP}], got {text}")
    return k


def _add_data(p: argparse.ArgumentParser, *, with_mixture: bool = False) -> None:
    g = p.add_argument_group("dataset")
    src = g.add_mutually_exclusive_group(required=True) if with_mixture else g
    if with_mixture:
        src.add_argument("--mixture", default=None, metavar="FILE",
                         help=f"a {MIXTURE_FILE} written by classdyn fit (instead of --data)")
    src.add_argument("--data", required=not with_mixture, metavar="PATH",
                   help=".npz (X, y), .npy (+ --labels), IDX images (+ labels file beside it or "
                        "--labels), .zarr, or a folder with one sub-folder of images per class")
    g.add_argument("--labels", default=None, metavar="PATH",
                   help="labels file (.npy, IDX, or text with one label a line) for .npy, IDX "
                        "and Zarr arrays")
    g.add_argument("--classes", nargs="+", default=None, metavar="C",
                   help="classes to keep, in order (label values or folder names; for "
                        "Fashion-MNIST IDX files also class names such as Sneaker or "
                        "'Ankle boot'; default: all)")
    g.add_argument("--normalise", choices=["dataset", "none"], default="dataset",
                   help="dataset: centre on the weighted mean and scale so that "
                        "sum_c rho_c (variance_c + norms2_c) = 1 (as the Fashion-MNIST check); "
                        "none: raw units")
    g.add_argument("--bootstrap", type=_bootstrap, default=200, metavar="B",
                   help="bootstrap replicates for the error bars")
    add_seed(p)


def register(sub) -> None:
    p = add_command(sub, "fit", help="measure the class mixture of your own labelled dataset",
                    description=__doc__)
    _add_data(p)
    add_output(p)
    p.set_defaults(handler=_fit_handler)

    q = add_command(sub, "predict", help="per-class predictions for a dataset or a fitted "
                    "mixture", description=__doc__)
    _add_data(q, with_mixture=True)
    add_random_features(q)
    q.add_argument("--t", type=positive_float, default=0.1, metavar="T",
                   help="diffusion time t of the forward OU process (dimensionless) for the "
                        "training timescales")
    q.add_argument("--d", type=positive_int, default=None, metavar="D",
                   help="input dimension for the speciation times (default: the data's d)")
    q.add_argument("--centred", action="store_true",
                   help="drop the centroids (norms2 = 0) and compute the training timescales "
                        "(centred theory), also when the data has centroids")
    q.add_argument("--timescale-errors", choices=["delta", "none"], default="delta",
                   help="error bars of the training timescales: delta method through the "
                        "model (2C - 1 extra model evaluations: ~0.6 s each for C = 2, ~5 s "
                        "for C = 3), or none")
    q.add_argument("--figure", action="store_true",
                   help="also draw prediction.png: speciation times, the variances that order "
                        "memorisation, and the eigenvalue spread against the isotropic model")
    add_output(q)
    q.set_defaults(handler=_predict_handler)


def _fit(args):
    from classdyn.readers import read_dataset
    from classdyn.theory.class_stats import data_statistics

    ds = read_dataset(args.data, labels=args.labels)
    st = data_statistics(ds.X, ds.y, normalise=args.normalise,
                         classes=ds.labels_of(args.classes), bootstrap=args.bootstrap,
                         seed=args.seed)
    if ds.class_names is not None:          # Fashion-MNIST IDX: names instead of 0..9
        st = dataclasses.replace(st, classes=[ds.name_of(c) for c in st.classes],
                                 extra={**st.extra, "labels": list(st.classes)})
    return ds, st


def _fit_record(ds, st) -> dict:
    return {"source": {"path": ds.source, "kind": ds.kind, "n": ds.n,
                       "sample_shape": list(ds.sample_shape)},
            "d": st.d, "mixture": st.mixture().to_dict(), "statistics": st.to_dict()}


def _fmt(x, se=None, digits=4) -> str:
    import math

    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    s = f"{x:.{digits}g}"
    if se is not None and not (isinstance(se, float) and math.isnan(se)):
        s += f" ± {se:.2g}"
    return s


def _fit_table(rec: dict) -> list[str]:
    """One line per class: its share, variance and centroid norm with bootstrap errors, and how
    anisotropic it is: the top covariance eigenvalue over the mean one (1 for an isotropic
    class; the cross-fitted estimate ± its error, which may understate a weak direction, and
    the in-sample value, which overstates it) and the effective number of directions
    (participation ratio, d for an isotropic class)."""
    st = rec["statistics"]
    lines = [f"{'class':>12} {'n':>7} {'rho':>16} {'variance':>18} {'norms2':>18} "
             f"{'top/mean eig':>15} {'(at most)':>9} {'eff. dims':>15}"]
    spec = st.get("spectrum") or [None] * len(st["classes"])
    for i, c in enumerate(st["classes"]):
        sp = spec[i] or {}
        dims = _fmt(sp.get("participation_ratio"), sp.get("participation_ratio_se"), 3)
        if sp.get("dimension"):
            dims += f"/{sp['dimension']}"
        lines.append(f"{str(c):>12} {st['counts'][i]:>7} "
                     f"{_fmt(st['weights'][i], st['weights_se'][i]):>16} "
                     f"{_fmt(st['variance'][i], st['variance_se'][i]):>18} "
                     f"{_fmt(st['norms2'][i], st['norms2_se'][i]):>18} "
                     f"{_fmt(sp.get('top_over_mean'), sp.get('top_over_mean_se'), 3):>15} "
                     f"{_fmt(sp.get('top_over_mean_upper'), None, 3):>9} {dims:>15}")
    return lines


def _fit_handler(args) -> CommandResult:
    from classdyn.io import atomic_write_json

    ds, st = _fit(args)
    rec = _fit_record(ds, st)
    args.out.mkdir(parents=True, exist_ok=True)
    path = atomic_write_json(args.out / MIXTURE_FILE, rec)
    lines = [f"mixture of {ds.source} ({ds.kind}, n = {ds.n}, d = {st.d}, "
             f"normalise = {st.normalise}; ± = bootstrap standard error, {st.bootstrap} "
             f"replicates), written to {path}", *_fit_table(rec)]
    return CommandResult(data=rec, text="\n".join(lines))


def _floats(values) -> list[float]:
    return [float(v) for v in values]     # JSON keeps non-finite floats as "nan"/"inf" strings


def _load_mixture(path):
    from classdyn.io import read_json

    try:
        rec = read_json(path)
    except (OSError, ValueError) as exc:
        raise ValueError(f"--mixture: cannot read {path}: {exc}") from None
    if not isinstance(rec, dict) or "mixture" not in rec or "statistics" not in rec:
        raise ValueError(f"--mixture: {path} is not a {MIXTURE_FILE} written by classdyn fit "
                         "(needs 'mixture' and 'statistics')")
    return rec


def _memorisation_order(st: dict) -> dict:
    """Result 2 (docs/theory/class-losses.md): a larger class variance reaches τ_mem first."""
    import numpy as np

    v = np.array(_floats(st["variance"]))
    se = np.array(_floats(st["variance_se"]))
    order = [int(i) for i in np.argsort(-v, kind="stable")]
    resolved = []
    for a, b in zip(order, order[1:]):
        gap, err = v[a] - v[b], float(np.hypot(se[a], se[b]))
        resolved.append(bool(np.isfinite(err) and gap > 1.96 * err))
    return {"order": [st["classes"][i] for i in order], "resolved": resolved,
            "rule": "Result 2 (docs/theory/class-losses.md): the class of larger variance is "
                    "memorised first; a smaller centroid norm acts the same way, more weakly; "
                    "skewed weights modulate the times but usually do not reverse the order",
            "resolved_means": "the variance gap to the next class exceeds 1.96 combined "
                              "bootstrap standard errors"}


TIMESCALE_KEYS = ("tau_gen", "tau_mem", "tau_fin", "W_gen", "W_mem")
_REL_STEP = 1e-4


def _centred_timescales(weights, variances, rf, t: float) -> dict:
    """τ_gen, τ_mem, τ_fin, W_gen, W_mem of the centred mixture (docs/theory/timescales.md)
    through the one door :func:`classdyn.theory.model.model`."""
    from classdyn.theory.model import model
    from classdyn.theory.params import Mixture

    ts = model(Mixture(tuple(float(v) for v in variances),
                       weights=tuple(float(w) for w in weights)), rf, t).timescales()
    out = {k: getattr(ts, k) for k in TIMESCALE_KEYS}
    out.update(gen_mem_separated=ts.gen_mem_separated, mem_fin_separated=ts.mem_fin_separated)
    return out


def _stat_covariance(st: dict):
    """(3C, 3C) bootstrap covariance of (weights, variance, norms2), and how it was obtained:
    the stored one (``classdyn fit`` writes it), else the diagonal of the standard errors."""
    import numpy as np

    C = len(st["classes"])
    cov = st.get("covariance")
    if cov is not None:
        cov = np.array(cov, float)
        if cov.shape == (3 * C, 3 * C) and np.all(np.isfinite(cov)):
            return cov, "bootstrap covariance"
    se = np.concatenate([_floats(st[k]) for k in ("weights_se", "variance_se", "norms2_se")])
    return np.diag(se ** 2), "bootstrap standard errors (no covariance in the file: correlations " \
                             "between the statistics ignored)"


def _timescale_errors(st: dict, rf, t: float, base: dict) -> dict:
    r"""Error bars of the centred timescales by the delta method with forward differences.

    Parameters ``θ = (v_1 … v_C, ρ_1 … ρ_{C−1})`` (``ρ_C = 1 − Σ_{c<C} ρ_c``), bootstrap
    covariance ``Σ_θ`` (the matching block of :attr:`DataStatistics.covariance`):

    .. math::

        g_i = \frac{f(θ + h_i e_i) - f(θ)}{h_i}, \quad h_i = 10^{-4} |θ_i|, \qquad
        \mathrm{se}(f)^2 = g^{\mathsf T} Σ_θ\, g

    for each ``f`` in τ_gen, τ_mem, τ_fin, W_gen, W_mem: ``2C`` evaluations of the model
    (``base`` is ``f(θ)``). A quantity that does not exist at a perturbed point (bulks merge),
    or where the model fails there, gets ``nan`` (the failure is named in ``error``).
    """
    import numpy as np

    C = len(st["classes"])
    cov, how = _stat_covariance(st)
    idx = list(range(C, 2 * C)) + list(range(C - 1))       # variances, then C-1 weights
    sig = cov[np.ix_(idx, idx)]
    v0, w0 = np.array(_floats(st["variance"])), np.array(_floats(st["weights"]))
    theta = np.concatenate([v0, w0[:-1]])
    grads = {k: np.zeros(len(theta)) for k in TIMESCALE_KEYS}
    failed = []
    for i, th in enumerate(theta):
        h = _REL_STEP * abs(th)
        v, w = v0.copy(), w0.copy()
        if i < C:
            v[i] += h
        else:
            w[i - C] += h
            w[-1] -= h
        try:
            f = _centred_timescales(w, v, rf, t)
        except (ValueError, RuntimeError) as exc:        # the edge search failed there
            failed.append(f"{'variance' if i < C else 'weight'} {i % C}: {exc}")
            f = dict.fromkeys(TIMESCALE_KEYS)
        for k in TIMESCALE_KEYS:
            ok = f[k] is not None and base[k] is not None
            grads[k][i] = (f[k] - base[k]) / h if ok else np.nan
    se = {f"{k}_se": float(np.sqrt(max(g @ sig @ g, 0.0))) if np.all(np.isfinite(g))
          else float("nan") for k, g in grads.items()}
    se["error"] = (f"delta method: se(f)^2 = g^T Sigma g, g by forward differences (relative "
                   f"step {_REL_STEP:g}) over the class variances and C-1 weights through "
                   f"classdyn.theory.model, Sigma from the {how}")
    if failed:
        se["error"] += "; nan where the model failed at a perturbed point: " + "; ".join(failed)
    return se


def _figure(pred: dict, path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from classdyn.io import atomic_write_with

    st = pred["statistics"]
    names = [str(c) for c in st["classes"]]
    x = np.arange(len(names))
    fig, ax = plt.subplots(1, 3, figsize=(12, 3.6))
    ts = np.array(_floats(pred["speciation"]["t_s"]))
    ax[0].errorbar(x, np.where(np.isfinite(ts), ts, np.nan),
                   yerr=np.array(_floats(pred["speciation"]["t_s_se"])), fmt="o", capsize=3)
    ax[0].set(title="speciation time (leading order)", ylabel="diffusion time t")
    ax[1].errorbar(x, _floats(st["variance"]), yerr=_floats(st["variance_se"]), fmt="o",
                   capsize=3)
    ax[1].set(title="class variance (larger: memorised first)", ylabel="(1/d) tr Cov_c")
    spec = st.get("spectrum") or []
    if spec:
        ax[2].errorbar(x, [s["top_over_mean"] for s in spec],
                       yerr=[s.get("top_over_mean_se", np.nan) for s in spec], fmt="o",
                       capsize=3, label="estimate (may understate)")
        ax[2].plot(x, [s.get("top_over_mean_upper", np.nan) for s in spec], "v", ms=7,
                   label="in-sample (overstates)")
        ax[2].axhline(1.0, color="grey", lw=1, ls="--", label="isotropic: 1")
        ax[2].set_yscale("log")
        ax[2].legend(fontsize=8)
    ax[2].set(title="anisotropy", ylabel="top / mean covariance eigenvalue")
    for a in ax:
        a.set_xticks(x, names, rotation=45 if len(names) > 4 else 0)
    fig.tight_layout()
    atomic_write_with(path, lambda fh: fig.savefig(fh, format="png", dpi=100))
    plt.close(fig)


def _summary(pred: dict) -> str:
    import math

    st = pred["statistics"]
    classes = [str(c) for c in st["classes"]]
    ts = pred["speciation"]["t_s"]
    finite = [(t, c) for t, c in zip(ts, classes) if isinstance(t, float)]
    order = ", ".join(c for _, c in sorted(finite, reverse=True)) or "none"
    spec = st.get("spectrum") or []
    excess = [sp["top_over_mean"] / sp["isotropic_top_over_mean"] for sp in spec]
    if excess:
        worst = max(range(len(excess)), key=lambda i: excess[i])
        sp = spec[worst]
        verdict = ("Your classes are not" if excess[worst] > 1.5 else
                   "Your classes are close to it, as far as this sample can tell")
        se = sp.get("top_over_mean_se")
        upper = sp.get("top_over_mean_upper")
        aniso = (f"The theory treats every class as an isotropic Gaussian blob (the same spread "
                 f"in every direction: all covariance eigenvalues equal). {verdict}: in class "
                 f"{classes[worst]} the largest covariance eigenvalue is about "
                 f"{sp['top_over_mean']:.1f}"
                 + (f" (± {se:.1g})" if isinstance(se, float) and math.isfinite(se) else "")
                 + " times the mean one"
                 + (f" (an estimate that can understate a weak direction; the in-sample value "
                    f"{upper:.1f} overstates it)" if isinstance(upper, float)
                    and math.isfinite(upper) else "")
                 + f", where an isotropic class has 1, and its variance is spread over about "
                 f"{sp['participation_ratio']:.0f} effective directions of {sp['dimension']} "
                 f"(participation ratio). The further these are from 1 and "
                 f"{sp['dimension']}, the more the predictions are a first approximation.")
    else:
        aniso = ("The theory treats every class as an isotropic Gaussian blob; how far the "
                 "data is from that was not measured.")
    mem = pred["memorisation"]
    mem_txt = (f" By Result 2 the class of larger variance is memorised first when training "
               f"runs long: predicted order {', '.join(str(c) for c in mem['order'])}"
               + ("" if all(mem["resolved"]) else
                  " (neighbours whose variances agree within the error bars are not resolved)")
               + ".")
    txt = (f"What the numbers mean: each class is summarised by its share of the data (rho), its "
           f"spread (variance per coordinate) and how far its mean lies from the others "
           f"(norms2, after normalisation: {st['normalise']}). In backward diffusion (generation "
           f"runs from large diffusion time t down to 0) a class becomes recognisable when t "
           f"falls below its speciation time t_s = 1/2 log(rho |mu|^2), so larger t_s means the "
           f"class appears earlier; predicted order (earliest first): {order}. The ± are "
           f"bootstrap standard errors of the data statistics propagated to first order; they "
           f"do not include the error of the leading-order formula itself, which is O(1) in t "
           f"at finite d.{mem_txt} {aniso}")
    if pred.get("timescales"):
        tsd = pred["timescales"]
        txt += (f" Training timescales (centred classes, random-features model with psi_p = "
                f"{pred['psi_p']}, psi_n = {pred['psi_n']}, t = {pred['t']}): the model learns "
                f"to generalise by tau_gen = {_fmt(tsd.get('tau_gen'), tsd.get('tau_gen_se'))}"
                f" and starts to memorise its training set at tau_mem = "
                f"{_fmt(tsd.get('tau_mem'), tsd.get('tau_mem_se'))} (training-time "
                f"units: a mode of eigenvalue lambda relaxes as exp(-lambda tau)); stopping in "
                f"between gives a model that generalises.")
        if "error" in tsd:
            txt += (" Their ± propagate the bootstrap covariance of the class variances and "
                    "weights through the model to first order (delta method).")
    return txt


def _predict_handler(args) -> CommandResult:
    import numpy as np

    from classdyn.io import atomic_write_json
    from classdyn.theory.params import Mixture, RandomFeatures
    from classdyn.theory.speciation import speciation_times

    rf = RandomFeatures(args.psi_p, args.psi_n, args.activation)   # bad values: before work
    if args.mixture is not None:
        rec = _load_mixture(args.mixture)
    else:
        rec = _fit_record(*_fit(args))
    st = rec["statistics"]
    m = rec["mixture"]
    mix = Mixture(tuple(m["variances"]), weights=tuple(m["weights"]),
                  norms2=tuple(m["norms2"]), overlaps=m["overlaps"])
    d = args.d or int(rec["d"])
    if d < 2:
        raise ValueError(f"--d: need d >= 2 for speciation times, got {d}")
    rho, n2 = np.asarray(mix.weights), np.asarray(mix.norms2)
    rho_se, n2_se = np.array(_floats(st["weights_se"])), np.array(_floats(st["norms2_se"]))
    t_s = speciation_times(mix, d).t_s
    cov, how = _stat_covariance(st)
    C = len(rho)
    c_rn = np.array([cov[i, 2 * C + i] for i in range(C)])          # cov(rho_c, norms2_c)
    with np.errstate(divide="ignore", invalid="ignore"):             # delta method
        t_se = 0.5 * np.sqrt(np.clip((rho_se / rho) ** 2 + (n2_se / n2) ** 2
                                     + 2 * c_rn / (rho * n2), 0, None))
    t_se = np.where(np.isfinite(t_s), t_se, np.nan)
    pred = {"statistics": st, "mixture": m, "d": d, "psi_p": args.psi_p, "psi_n": args.psi_n,
            "activation": args.activation, "t": args.t,
            "speciation": {"t_s": t_s, "t_s_se": t_se, "method": "leading",
                           "formula": "t_s^c = 1/2 log(rho_c norms2_c d) "
                                      "(docs/theory/speciation.md)",
                           "error": "delta method: se = 1/2 sqrt((se_rho/rho)^2 + "
                                    "(se_n2/n2)^2 + 2 cov(rho, n2)/(rho n2)), from the " + how,
                           "t_unit": "diffusion time t of the OU forward process "
                                     "(dimensionless)"},
            "timescales": None, "memorisation": _memorisation_order(st)}
    if mix.centred or args.centred:
        base = _centred_timescales(mix.weights, mix.variances, rf, args.t)
        pred["timescales"] = dict(base)
        if args.timescale_errors == "delta":
            from classdyn.log import get_logger

            get_logger(__name__).info(
                "timescale error bars: %d more model evaluations, each as long as the one "
                "just done (--timescale-errors none skips them)", 2 * len(mix.variances) - 1)
            pred["timescales"].update(_timescale_errors(st, rf, args.t, base))
        pred["timescales"]["t_unit"] = ("training time tau: a mode of eigenvalue lambda "
                                        "relaxes as exp(-lambda tau)")
    from classdyn.io import to_jsonable

    pred = to_jsonable(pred)
    pred["summary"] = _summary(pred)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.figure:
        _figure(pred, args.out / "prediction.png")
        pred["figure"] = str(args.out / "prediction.png")
    path = atomic_write_json(args.out / PREDICTION_FILE, pred)
    lines = [f"predictions (d = {d}; ± = bootstrap standard error), written to {path}",
             f"{'class':>12} {'rho':>16} {'variance':>18} {'norms2':>18} "
             f"{'t_s (diffusion time)':>22}"]
    for i, c in enumerate(st["classes"]):
        lines.append(f"{str(c):>12} {_fmt(rho[i], rho_se[i]):>16} "
                     f"{_fmt(float(st['variance'][i]), float(st['variance_se'][i])):>18} "
                     f"{_fmt(n2[i], n2_se[i]):>18} {_fmt(t_s[i], t_se[i]):>22}")
    if pred["timescales"]:
        tsd = pred["timescales"]
        lines.append("training timescales (centred): " + ", ".join(
            f"{k} = {_fmt(tsd[k] if isinstance(tsd[k], float) else None, tsd.get(k + '_se'))}"
            for k in TIMESCALE_KEYS))
    lines += ["", pred["summary"]]
    return CommandResult(data=pred, text="\n".join(lines))
