"""``classdyn coefficients``: the GEP coefficients of docs/theory/gaussian-equivalence.md for each class.

Examples::

    classdyn coefficients --activation tanh --t 0.1 --variances 1 2
    classdyn coefficients --activation erf --t 0.1 0.5 --variances 1 --m 0 0.5 1
    classdyn coefficients --activation relu --latex
    classdyn coefficients --activation tanh --t 0.1 --variances 4 --dps 50 --json
"""

from __future__ import annotations

import argparse

from classdyn.cli import CommandResult, add_command
from classdyn.flags import _float, add_dps, add_force, add_mixture, add_output, add_time, \
    check_overwrite, run_params

ORDER = 10

COLS = ("mu0", "a", "b", "v2", "s2")

#: a float64 coefficient this small relative to the largest of its row is shown as 0 in the
#: terminal table (the JSON keeps the raw value): an odd activation's mu0 at m = 0 is exactly 0
#: by symmetry and the quadrature returns roundoff of a few eps (measured -4.6e-17 for tanh at
#: t = 0.1, sigma2 = 1, i.e. 8e-17 of a = 0.61); 1e-13 leaves ~1000x headroom over that
ZERO_REL = 1e-13


def _shown(values) -> list[str]:
    """The row's coefficients for the terminal: 10 significant digits, roundoff zeros as 0."""
    scale = max((abs(v) for v in values), default=0.0)
    return ["0" if abs(v) <= ZERO_REL * scale else f"{v:.10g}" for v in values]


def register(sub) -> None:
    p = add_command(
        sub, "coefficients",
        help="Hermite / Gaussian-equivalence coefficients mu0, a, b, v2, s2 (docs/theory/gaussian-equivalence.md)",
        description=(
            "Print the Gaussian-equivalence coefficients of a random-features layer for each "
            "class variance,\ndiffusion time and projected centroid m (docs/theory/gaussian-equivalence.md, paper's "
            "App. D-E):\n  mu0 = E s(m + G z), a = E s'(m + G z), b = sqrt(Delta_t) a,\n"
            "  v2 = Var_u f(u) - a^2 e^{-2t} sigma^2,  s2 = Var s(m + G z) - a^2 e^{-2t} "
            "sigma^2 - v2 - b^2,\nwith G^2 = e^{-2t} sigma^2 + Delta_t and f(u) = E_v s(u + v), "
            "v ~ N(0, Delta_t).\nfloat64 by default (closed forms for linear/relu/erf, "
            "quadrature with error < 1e-12 for tanh);\n--dps N gives N significant digits "
            "(mpmath). --latex prints the SymPy formulas."),
    )
    p.add_argument("--activation", default="tanh", choices=["tanh", "erf", "relu", "linear"],
                   help="activation sigma (erf means erf(x)) (default: %(default)s)")
    add_time(p, multiple=True)
    add_mixture(p, with_centroids=False)
    p.add_argument("--m", type=_float, nargs="+", default=[0.0], metavar="M",
                   help="projected centroid(s) m = e^{-t} w.mu/sqrt(d) at which to evaluate "
                        "(0 = centred class; default: %(default)s)")
    add_dps(p, default=None)
    p.add_argument("--latex", action="store_true",
                   help="print the coefficients as LaTeX formulas of (m, sigma^2, t) instead "
                        "of numbers")
    add_output(p)
    add_force(p)
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> CommandResult:
    from classdyn.theory.params import Mixture

    mix = Mixture(variances=tuple(args.variances), weights=args.weights)  # validates
    from classdyn.theory.cli_spectrum import _check_theory_t

    times = [_check_theory_t(t) for t in args.t]
    if args.latex:
        from classdyn.theory.activations import latex_coefficients

        tex = latex_coefficients(args.activation)
        lines = [f"% GEP coefficients for sigma = {args.activation} (docs/theory/gaussian-equivalence.md); "
                 "symbols m, \\sigma^2, t"]
        lines += [f"{k} = {v}" for k, v in tex.items()]
        return CommandResult(data={"activation": args.activation, "latex": tex},
                             text="\n".join(lines))
    check_overwrite(args.out / "coefficients.json", run_params(args), args.force)  # before work
    rows = []
    if args.dps is None:
        from classdyn.theory.coefficients import coefficients

        for t in times:
            for var in mix.variances:
                c = coefficients(args.activation, args.m, var, t)
                for j, m in enumerate(args.m):
                    rows.append({"t": t, "sigma2": var, "m": m,
                                 **{k: float(getattr(c, k)[j]) for k in COLS}})
        precision = "float64"
    else:
        import mpmath

        from classdyn.theory.coefficients import coefficients_mp

        for t in times:
            for var in mix.variances:
                for m in args.m:
                    r = coefficients_mp(args.activation, repr(m), repr(var), repr(t),
                                        dps=args.dps)
                    rows.append({"t": t, "sigma2": var, "m": m,
                                 **{k: mpmath.nstr(r[k], args.dps) for k in COLS}})
        precision = f"{args.dps} digits (mpmath)"
    data = {"activation": args.activation, "precision": precision, "rows": rows}
    if args.dps is None:
        head = f"{'t':>8} {'sigma2':>8} {'m':>8} " + " ".join(f"{k:>17}" for k in COLS)
        body = [f"{r['t']:8.4g} {r['sigma2']:8.4g} {r['m']:8.4g} " + " ".join(
            f"{v:>17}" for v in _shown([r[k] for k in COLS])) for r in rows]
    else:
        head = f"{'t':>8} {'sigma2':>8} {'m':>8}  coefficients"
        body = []
        for r in rows:
            body.append(f"{r['t']:8.4g} {r['sigma2']:8.4g} {r['m']:8.4g}")
            body += [f"    {k:>4} = {r[k]}" for k in COLS]
    from classdyn.io import atomic_write_json

    data["run_params"] = run_params(args)
    path = atomic_write_json(args.out / "coefficients.json", data)
    text = "\n".join([f"GEP coefficients, activation {args.activation}, {precision} "
                      f"(docs/theory/gaussian-equivalence.md)", head, *body, f"(written to {path})"])
    return CommandResult(data=data, text=text)
