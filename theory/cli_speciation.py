"""``classdyn speciation``: predicted speciation times of the classes (docs/theory/speciation.md).

Leading order ``t_s^c = ½ log(ρ_c ‖μ_c‖²) = ½ log(ρ_c n2_c d)`` for each ``d``; with
``--gammas`` the weights follow ``ρ_c ∝ d^{−γ_c}`` and the slopes ``½(1 − γ_c)`` against
``log d`` are printed too. ``--method outlier`` (the default) adds the order-one threshold: the
diffusion time at which the class's outlier of the outlier equation of docs/theory/extensive.md leaves the
upper bulk edge. Answered by the one door, ``classdyn.theory.model(mixture, rf).speciation(d)``
(speciation does not depend on the diffusion time t).
"""

from __future__ import annotations

from classdyn.cli import CommandResult, add_command
from classdyn.flags import add_force, add_mixture, add_output, add_random_features, \
    check_overwrite, positive_int, run_params

ORDER = 30


def register(sub) -> None:
    p = add_command(sub, "speciation", help="predicted class speciation times (diffusion time)",
                    description=__doc__)
    add_mixture(p, variances_default=(1.0, 1.0))
    add_random_features(p)
    p.add_argument("--ds", type=positive_int, nargs="+", default=[250, 500, 1000, 2000],
                   metavar="D", help="input dimensions d (>= 2)")
    p.add_argument("--gammas", type=float, nargs="+", default=None,
                   help="imbalance exponents gamma_c in [0, 1): rho_c = d^-gamma_c for "
                        "gamma_c > 0, the rest shared by the gamma_c = 0 classes (overrides "
                        "--weights)")
    p.add_argument("--method", choices=["leading", "outlier"], default="outlier",
                   help="leading order 1/2 log(rho |mu|^2), or the order-one outlier "
                        "threshold (docs/theory/extensive.md)")
    add_output(p)
    add_force(p)
    p.set_defaults(handler=_handler)


def _handler(args) -> CommandResult:
    import numpy as np

    from classdyn.io import atomic_write_json
    from classdyn.theory.model import model
    from classdyn.theory.params import Mixture, RandomFeatures
    from classdyn.theory.speciation import power_law_weights, speciation_slopes

    check_overwrite(args.out / "speciation.json", run_params(args), args.force)  # before work
    C = len(args.variances)
    norms2 = tuple(args.norms2) if args.norms2 is not None else (1.0,) * C
    if args.gammas is not None and len(args.gammas) != C:
        raise ValueError(f"--gammas needs one exponent per class ({C}), got {args.gammas}")
    rf = RandomFeatures(args.psi_p, args.psi_n, args.activation)
    rows = []
    for d in args.ds:
        w = power_law_weights(args.gammas, d) if args.gammas is not None else (
            None if args.weights is None else args.weights)
        mix = Mixture(tuple(args.variances), weights=None if w is None else tuple(w),
                      norms2=norms2,
                      overlaps=None if args.overlaps is None else tuple(args.overlaps))
        r = model(mix, rf).speciation(d, method=args.method)
        never = {c: ("norms2 = 0: a centred class has no outlier, it never separates"
                     if mix.norms2[c] == 0 else
                     "no outlier above the bulk edge in the searched range of t")
                 for c in range(mix.n_classes) if r.t_s[c] == -np.inf}
        rows.append({"d": d, "weights": list(mix.weights), "t_s": r.t_s,
                     "never": {str(c): why for c, why in never.items()}})
    data = {"method": args.method, "rows": rows,
            "t_unit": "diffusion time t of the OU forward process (dimensionless)",
            "formula": ("t_s^c = 1/2 log(rho_c |mu_c|^2) (docs/theory/speciation.md)"
                        if args.method == "leading" else
                        "t at which class c's outlier of the docs/theory/extensive.md outlier equation "
                        "leaves the upper bulk edge")}
    if args.gammas is not None:
        data["slopes_vs_log_d"] = speciation_slopes(args.gammas)
    data["run_params"] = run_params(args)
    atomic_write_json(args.out / "speciation.json", data)
    lines = [f"speciation times ({args.method}; diffusion time t), written to "
             f"{args.out / 'speciation.json'}"]
    for row in rows:
        lines.append(f"  d = {row['d']:6d}: " + "  ".join(
            (f"class {c}: t_s = {t:.4f}" if np.isfinite(t) else f"class {c}: never")
            + f" (rho = {w:.4g})"
            for c, (t, w) in enumerate(zip(np.asarray(row["t_s"]), row["weights"]))))
    reasons = {why for row in rows for why in row["never"].values()}
    lines += [f"  never: {why} (t_s = -inf in the JSON)" for why in sorted(reasons)]
    if "slopes_vs_log_d" in data:
        lines.append("  slopes against log d: "
                     + ", ".join(f"{s:.3f}" for s in data["slopes_vs_log_d"]))
    return CommandResult(data=data, text="\n".join(lines))
