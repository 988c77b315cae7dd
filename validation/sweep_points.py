"""One point of a parameter sweep (issue 14): the quantities and how each is computed.

Every quantity is asked of the existing public functions, never re-derived here: the theory
through the one door ``classdyn.theory.model(mixture, rf, t)`` (``.timescales()``,
``.spectrum()`` / ``.edges()``, ``.outliers(d)``, ``.speciation(d)``), simulated losses through
``classdyn.simulate`` (``draw_system``, ``weights_at``, ``losses_at``). A point is two classes:
variances ``(1, ratio)``, weights ``(weight, 1 - weight)``, ``norms2 = (norm2, norm2)``
(centred when 0).

Quantities (:data:`QUANTITIES`):

- ``timescales``: τ_gen = 1/λ_gen, τ_mem, τ_fin, W_gen = τ_mem/τ_gen, W_mem = τ_fin/τ_mem
  (docs/theory/timescales.md);
- ``speciation``: leading-order t_s^c = ½ log(ρ_c n2 d) (docs/theory/speciation.md);
- ``edges``: every bulk edge, lower and upper of each bulk in increasing order, padded with NaN
  along the dimension ``edge`` (docs/theory/edges.md, docs/theory/extensive.md);
- ``masses``: the mass of each bulk, padded along ``bulk`` (same sources);
- ``outliers``: for extensive centroids (norm2 > 0), the outlier of U attributed to each class
  and the upper bulk edge, at input dimension ``d`` (docs/theory/extensive.md);
- ``class_order``: which class generalises first and which memorises first, and the gaps
  log10(τ^2/τ^1), from the simulated class test losses of one system (``d``, ``seed``):
  τ_gen^c = argmin E_c, τ_mem^c the first return of E_c to 1 after it (``class_times``,
  docs/theory/class-losses.md);
- ``losses``: train and per-class test losses of one finite-size system (``d``, ``seed``) at
  training time ``tau``, E(A) = 1 + Δ/(p d) tr(A U Aᵀ) + 2√Δ/(√p d) tr(A V) at the
  gradient-flow weights A(τ) (docs/theory/model.md).
"""

from __future__ import annotations

import math

import numpy as np

TAU_UNIT = "training time tau: a mode of eigenvalue lambda relaxes as exp(-lambda tau)"
T_UNIT = "diffusion time t of the OU forward process (dimensionless)"
LAMBDA_UNIT = "eigenvalue of the feature covariance U (1/TAU: relaxation rate per unit tau)"
LOSS_UNIT = "denoising score-matching loss per dimension (dimensionless; 1 at A = 0)"

#: quantity -> {variable: (long name, units)}
QUANTITIES = {
    "timescales": {
        "tau_gen": ("generalisation time 1/lambda_gen (docs/theory/timescales.md)", TAU_UNIT),
        "tau_mem": ("memorisation time 1/lambda_mem (docs/theory/timescales.md)", TAU_UNIT),
        "tau_fin": ("final time 1/lambda_fin (docs/theory/timescales.md)", TAU_UNIT),
        "W_gen": ("generalisation window tau_mem/tau_gen", "dimensionless (ratio of times)"),
        "W_mem": ("memorisation window tau_fin/tau_mem", "dimensionless (ratio of times)"),
    },
    "speciation": {
        "t_s_1": ("leading-order speciation time of class 1, 1/2 log(rho_1 n2 d) "
                  "(docs/theory/speciation.md)", T_UNIT),
        "t_s_2": ("leading-order speciation time of class 2, 1/2 log(rho_2 n2 d) "
                  "(docs/theory/speciation.md)", T_UNIT),
    },
    "edges": {
        "edges": ("bulk edges, lower and upper of each bulk in increasing order, NaN-padded "
                  "(docs/theory/edges.md)", LAMBDA_UNIT),
        "n_bulks": ("number of bulks", "count"),
    },
    "masses": {
        "masses": ("mass of each bulk in increasing order, NaN-padded "
                   "(docs/theory/spectrum-centred.md, docs/theory/extensive.md)",
                   "fraction of the p eigenvalues"),
        "n_bulks": ("number of bulks", "count"),
    },
    "outliers": {
        "outlier_1": ("outlier of U carried by class 1, NaN if none (docs/theory/extensive.md)",
                      LAMBDA_UNIT),
        "outlier_2": ("outlier of U carried by class 2, NaN if none (docs/theory/extensive.md)",
                      LAMBDA_UNIT),
        "bulk_edge": ("upper edge of the bulk (docs/theory/extensive.md)", LAMBDA_UNIT),
    },
    "class_order": {
        "first_gen": ("class (1 or 2) with the smaller tau_gen^c = argmin E_c (simulated, "
                      "docs/theory/class-losses.md)", "class index"),
        "first_mem": ("class (1 or 2) with the smaller tau_mem^c, first return of E_c to 1 "
                      "(simulated, docs/theory/class-losses.md)", "class index"),
        "gap_gen": ("log10(tau_gen^2/tau_gen^1)", "decades"),
        "gap_mem": ("log10(tau_mem^2/tau_mem^1) (inf where a class never memorises on the "
                    "grid)", "decades"),
    },
    "losses": {
        "train_loss": ("train loss E(A(tau)) with (U, V) of one system (docs/theory/model.md)",
                       LOSS_UNIT),
        "test_loss_1": ("test loss of class 1, E(A(tau)) with (U_1, V_1)", LOSS_UNIT),
        "test_loss_2": ("test loss of class 2, E(A(tau)) with (U_2, V_2)", LOSS_UNIT),
    },
}

#: vector variables -> name of their extra dimension (NaN-padded to the longest point)
VECTORS = {"edges": "edge", "masses": "bulk"}

#: fixed values of the parameters that are not swept. ``d``: input dimension (speciation,
#: outliers, losses); ``tau``, ``seed``: training time and seed of the simulated losses;
#: ``dps``: decimal digits of the centred edge search (30: the theory's default; 15: the fast
#: path of sweeps, see :func:`compute_point`); ``method``: ``"certified"`` (every point on its
#: own through the door) or ``"continuation"`` (centred timescales, edges and masses followed
#: along the lines of the grid, :mod:`classdyn.validation.sweep_lines`).
DEFAULT_BASE = {"psi_p": 4.0, "psi_n": 2.0, "t": 0.1, "ratio": 2.0, "weight": 0.5,
                "norm2": 0.0, "d": 1000, "activation": "tanh", "tau": 10.0, "seed": 0,
                "dps": 30, "method": "certified"}


def _mixture(point: dict):
    from classdyn.theory.params import Mixture

    w, n2 = float(point["weight"]), float(point["norm2"])
    return Mixture((1.0, float(point["ratio"])), weights=(w, 1.0 - w),
                   norms2=(n2, n2) if n2 > 0 else None)


def _door(point: dict, t: bool = True):
    from classdyn.theory.model import model
    from classdyn.theory.params import RandomFeatures

    rf = RandomFeatures(float(point["psi_p"]), float(point["psi_n"]),
                        str(point.get("activation", "tanh")))
    return model(_mixture(point), rf, t=float(point["t"]) if t else None)


def centred_bulks(spec) -> tuple[list[tuple[float, float]], list[float]]:
    """``(intervals, masses)`` of the bulks of a centred :class:`~classdyn.theory.spectrum.Spectrum`,
    in increasing order.

    Parameters
    ----------
    spec : Spectrum
        A spectrum of centred classes (certified, or continued along a sweep line).

    Returns
    -------
    intervals : list of (float, float)
        ``(lower, upper)`` of each bulk.
    masses : list of float
        Its mass.

    Examples
    --------
    >>> from classdyn.theory import Bulk
    >>> from types import SimpleNamespace
    >>> centred_bulks(SimpleNamespace(bulks=[Bulk(2.0, 3.0, 0.25), Bulk(0.1, 1.0, 0.5)]))
    ([(0.1, 1.0), (2.0, 3.0)], [0.5, 0.25])
    """
    bulks = sorted(spec.bulks, key=lambda b: float(b.lower))
    return [(float(b.lower), float(b.upper)) for b in bulks], [float(b.weight) for b in bulks]


def vector_values(quantity: str, intervals, masses) -> dict:
    """The ``edges`` or ``masses`` values of a point from its bulks: every edge (lower and upper
    of each bulk, increasing) or every mass, and ``n_bulks``.

    Parameters
    ----------
    quantity : {"edges", "masses"}
        Which vector.
    intervals, masses : sequence
        The bulks, as :func:`centred_bulks` gives them.

    Returns
    -------
    dict
        ``{quantity: list of float, "n_bulks": int}``.

    Examples
    --------
    >>> vector_values("edges", [(0.1, 1.0), (2.0, 3.0)], [0.5, 0.25])
    {'edges': [0.1, 1.0, 2.0, 3.0], 'n_bulks': 2}
    """
    vec = [x for iv in intervals for x in iv] if quantity == "edges" else list(masses)
    return {quantity: vec, "n_bulks": len(masses)}


def _bulks(point: dict) -> tuple[list[tuple[float, float]], list[float]]:
    """``(intervals, masses)`` of the bulks, in increasing order, through the door."""
    m = _door(point)
    if m.kind == "centred":
        return centred_bulks(m.spectrum(dps=int(point.get("dps", 30))))
    e = m.edges()
    order = np.argsort(np.asarray(e.intervals, dtype=float)[:, 0])
    return ([tuple(float(x) for x in e.intervals[i]) for i in order],
            [float(e.masses[i]) for i in order])


def _values(quantity: str, point: dict) -> dict:
    if quantity == "timescales":
        ts = _door(point).timescales(dps=int(point.get("dps", 30)))
        return {k: getattr(ts, k) for k in QUANTITIES[quantity]}
    if quantity == "speciation":
        sp = _door(point, t=False).speciation(int(point["d"]), method="leading")
        t_s = np.asarray(sp.t_s, dtype=float)
        return {"t_s_1": t_s[0], "t_s_2": t_s[1]}
    if quantity in ("edges", "masses"):
        return vector_values(quantity, *_bulks(point))
    if quantity == "outliers":
        out = _door(point).outliers(int(point["d"]))
        loc, cls = np.asarray(out.locations, dtype=float), np.asarray(out.classes)
        per_class = [loc[cls == c].max() if np.any(cls == c) else math.nan for c in (0, 1)]
        return {"outlier_1": per_class[0], "outlier_2": per_class[1], "bulk_edge": out.edge}
    if quantity == "class_order":
        from classdyn.simulate import (class_times, draw_system, first_class,
                                       semi_analytic_curves, tau_grid)

        t = float(point["t"])
        _, _, fs = draw_system(_mixture(point), int(point["d"]), psi_p=float(point["psi_p"]),
                               psi_n=float(point["psi_n"]), t=t,
                               activation=str(point["activation"]), seed=int(point["seed"]))
        tau = tau_grid(1e-3, 1e5, 160)
        ct = class_times(tau, semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, tau, t).test)
        with np.errstate(divide="ignore", invalid="ignore"):
            gaps = [float(np.log10(x[1] / x[0])) for x in (ct.tau_gen, ct.tau_mem)]
        return {"first_gen": first_class(ct, "gen") + 1, "first_mem": first_class(ct, "mem") + 1,
                "gap_gen": gaps[0], "gap_mem": gaps[1]}
    if quantity == "losses":
        from classdyn.simulate import draw_system, losses_at, weights_at

        t = float(point["t"])
        _, _, fs = draw_system(_mixture(point), int(point["d"]), psi_p=float(point["psi_p"]),
                               psi_n=float(point["psi_n"]), t=t,
                               activation=str(point["activation"]), seed=int(point["seed"]))
        A = weights_at(float(point["tau"]), fs.U, fs.V, t)
        train, test = losses_at(A, fs.U, fs.V, fs.Uc, fs.Vc, t)
        return {"train_loss": train, "test_loss_1": test[0], "test_loss_2": test[1]}
    raise ValueError(f"quantity must be one of {sorted(QUANTITIES)}, got {quantity!r}")


def _as_float(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return [math.nan if x is None else float(x) for x in v]
    return math.nan if v is None else float(v)


def compute_point(task: tuple[str, dict]) -> dict:
    """Evaluate one grid point; never raises (a failure is NaN values and a reason).

    Top-level, so that a process pool or a Dask worker can pickle it. ``task`` is
    ``(quantity, point)`` with ``point`` holding every parameter of :data:`DEFAULT_BASE`. The
    quantities are those of :data:`QUANTITIES`, each asked of the door
    ``classdyn.theory.model(mixture, rf, t)`` or of ``classdyn.simulate`` (module docstring);
    ``dps`` sets the working precision of the centred edge search (``timescales``, ``edges``,
    ``masses``).

    Parameters
    ----------
    task : tuple of (str, dict)
        The quantity (a key of :data:`QUANTITIES`) and the point's parameters.

    Returns
    -------
    dict
        ``values`` (variable → float, or list of floats for :data:`VECTORS`; NaN where
        missing) and ``status`` (``"ok"`` or ``"failed: <error>"``).

    Examples
    --------
    >>> from classdyn.validation.sweep_points import DEFAULT_BASE, compute_point
    >>> r = compute_point(("speciation", dict(DEFAULT_BASE, norm2=1.0)))
    >>> r["status"], round(r["values"]["t_s_1"], 4)
    ('ok', 3.1073)
    >>> r = compute_point(("masses", dict(DEFAULT_BASE, ratio=4.0)))
    >>> r["values"]["n_bulks"], round(sum(r["values"]["masses"]), 6)     # + delta peak 1/4
    (2.0, 0.75)
    >>> compute_point(("timescales", dict(DEFAULT_BASE, psi_n=1.0)))["status"][:18]
    'failed: ValueError'
    """
    quantity, point = task
    names = list(QUANTITIES.get(quantity, {}))
    try:
        raw = _values(quantity, point)
        return {"values": {k: _as_float(raw[k]) for k in names}, "status": "ok"}
    except Exception as exc:  # a failed point never stops the sweep
        return {"values": {k: ([] if k in VECTORS else math.nan) for k in names},
                "status": f"failed: {type(exc).__name__}: {exc}"}
