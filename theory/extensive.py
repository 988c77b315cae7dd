r"""Spectrum, edges and outliers of the feature covariance ``U`` for extensive centroids.

docs/theory/extensive.md (the paper's (107), whose solution the paper leaves open) and §7 (speciation).

Derivation (re-done here; it agrees with docs/theory/extensive.md up to a change of basis in the ``ℓ`` block)
---------------------------------------------------------------------------------------------
GEP of ``U`` (docs/theory/gaussian-equivalence.md) with per-neuron coefficients: for a sample ``ν`` of class ``c``,
``g^ν = μ0_c + D_{a_c} e^{−t} W (x^ν − μ_c)/√d + D_{v_c} ω^ν`` and

    U = (1/n) Σ_ν g^ν g^νᵀ + Δ Σ_c ρ_c D_{a_c} K D_{a_c} + diag(s̄²),   K = W Wᵀ/d.

1. *Means.*  ``(1/n) Σ_{ν∈c} g gᵀ = ρ_c y_c y_cᵀ + (centred sample covariance)`` with
   ``y_c = μ0_c + ḡ_c`` (``ḡ_c`` the class average of the fluctuations). Given ``W`` the
   fluctuations are Gaussian, so the centred covariance is independent of ``ḡ_c``.
2. *Bulk.*  Given ``W`` the class-``c`` columns have covariance
   ``Σ_c = e2 σ_c² D_{a_c} K D_{a_c} + D_{v_c}²``; the sample-covariance deterministic equivalent
   gives ``R ≈ [−z + D_{s̄²} + Σ_c ρ_c D_{v_c²}/(1+δ_c) + Σ_c κ_c D_{a_c} K D_{a_c}]⁻¹`` with
   ``κ_c = ρ_c (e2 σ_c²/(1+δ_c) + Δ)`` (the ``Δ`` is the noise term ``b = √Δ a``) and
   ``δ_c = (1/n) tr Σ_c R``. Split ``W = W⊥ + W∥`` (``W∥`` its projection on ``span(μ_c)``):
   ``K = K⊥ + K_μ`` with ``K_μ`` of rank ``r = rank(Gram) ≤ C``; the coefficients depend only on
   ``W∥`` (through the projected centroids ``m``), ``K⊥`` is an independent Wishart matrix. Writing
   ``Σ_c κ_c D_{a_c} K⊥ D_{a_c} = Σ_{k≤d} Y_k diag(κ/d) Y_kᵀ`` with ``(Y_k)_{ic} = a_c(m_i) X_{ik}``
   (independent rank-``C`` terms), one more leave-one-out gives, with
   ``T = (1/d) Σ_i R_ii a(m_i) a(m_i)ᵀ = ψ_p E_m[a aᵀ R]`` and ``M = (diag(κ)⁻¹ + T)⁻¹``:

       R(m; z) = 1 / [−z + s̄²(m) + Σ_c ρ_c v_c²(m)/(1+δ_c) + a(m)ᵀ M a(m)]
       δ_c     = (1/ψ_n) [e2 σ_c² (T (I + diag(κ) T)⁻¹)_cc + ψ_p E_m[v_c² R]]

   (the first term of ``δ_c`` is ``(1/n) Σ_k (Y_kᵀ R Y_k)_cc = (d/n)(T − T M T)_cc`` and
   ``T − T M T = T (I + diag(κ) T)⁻¹``). This is docs/theory/extensive.md's bulk system, unchanged.
3. *Outliers.*  The rank-``r`` part ``Σ_c κ_c D_{a_c} K_μ D_{a_c}`` and the means
   ``Σ_c ρ_c y_c y_cᵀ`` are finite-rank perturbations of the bulk. With an orthonormal basis
   ``q_j`` of ``span(μ_c)``, ``g_{ij} = w_i·q_j`` (i.i.d. ``N(0, 1)``) and ``μ_c = √d Σ_j L_cj q_j``
   (``L Lᵀ = Gram``), ``m_{c,i} = e^{−t} (L g_i)_c`` and
   ``K_μ = (1/d) Σ_j (W q_j)(W q_j)ᵀ``: the spike is ``Σ_{c,j} (κ_c/d) ℓ'_{cj} ℓ'_{cj}ᵀ`` with
   ``ℓ'_{cj}(m) = a_c(m) g_j``. ``ḡ_cᵀ R ḡ_c → δ_c/ρ_c`` turns ``diag(1/ρ)`` into
   ``diag((1+δ_c)/ρ_c)``. An eigenvalue ``λ`` above the bulk solves ``det 𝓜(λ) = 0`` with the
   symmetric ``(C + C r)``-square

       𝓜(λ) = [[diag((1+δ_c)/ρ_c) + p E[μ0 μ0ᵀ R],  p E[μ0 ℓ'ᵀ R]],
               [p E[ℓ' μ0ᵀ R],                      d diag(1/κ) ⊗ I_r + p E[ℓ' ℓ'ᵀ R]]],

   and the number of eigenvalues of ``U`` above ``λ`` is the number of negative eigenvalues of
   ``𝓜(λ)`` (inertia of the Woodbury capacitance matrix; ``𝓜`` increases with ``λ``).
   **Difference from docs/theory/extensive.md:** there the ``ℓ`` block uses ``ℓ_{cc'} = a_c m_c'`` and
   ``d e2 diag(1/κ) ⊗ Gram``; that is the same matrix up to the congruence ``ℓ = (I ⊗ e^{−t} L) ℓ'``
   when ``Gram`` is invertible, but it needs ``Gram⁻¹`` in the derivation (the Woodbury form of the
   spike is ``(e^{2t}/d) m̃ Gram⁻¹ m̃ᵀ``). The whitened form used here also covers a singular
   ``Gram`` (a class with ``norms2 = 0``, collinear centroids).

Averages over ``m`` (``E_m``) come either from quadrature over the Gaussian law
``m ~ N(0, e2 Gram)`` (:func:`gaussian_nodes`: tensor Gauss–Hermite, or a composite
Gauss–Legendre rule that resolves the sharp features of ``R(m)`` at small ``t`` better) or from a
finite set of neurons (:func:`neuron_nodes`, to compare with one finite matrix).

Layout (one module per topic, this one the façade that re-exports them):
:mod:`classdyn.theory.extensive_nodes` (nodes of ``E_m``, input checks),
:mod:`classdyn.theory.extensive_bulk` (bulk solver, density),
:mod:`classdyn.theory.extensive_edges` (upper edge, all bulks),
:mod:`classdyn.theory.extensive_outliers` (outlier matrix, outliers),
:mod:`classdyn.theory.speciation` (speciation times, both methods); here: the summary
:func:`extensive_spectrum` and :func:`extensive_timescales`.

Public API: :func:`gaussian_nodes`, :func:`neuron_nodes`, :func:`solve_bulk`,
:func:`extensive_density`, :func:`adaptive_density`, :func:`extensive_edges`,
:func:`upper_edge`, :func:`outlier_matrix`, :func:`outliers`, :func:`extensive_timescales`,
:func:`extensive_spectrum`; :func:`speciation_time` is re-exported from
:mod:`classdyn.theory.speciation`.
"""


from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from classdyn.theory.bulks import Bulk, Timescales, named_timescales
from classdyn.theory.params import Mixture, RandomFeatures, check_int
from classdyn.theory.extensive_nodes import (ExtensiveNodes, RULES, STATUS_NAMES, _check_nodes,
                                             gaussian_nodes, neuron_nodes,
                                             whitening)
from classdyn.theory.extensive_bulk import (BulkSolution, ExtensiveDensity, adaptive_density,
                                            extensive_density, solve_bulk)
from classdyn.theory.extensive_edges import ExtensiveEdges, UpperEdge, extensive_edges, upper_edge
from classdyn.theory.extensive_outliers import Outliers, outlier_matrix, outliers
from classdyn.theory.speciation import SpeciationTimes, speciation_time


# --------------------------------------------------------------------------- CLI-facing summary
@dataclass
class ExtensiveSpectrum:
    """Everything ``classdyn spectrum|edges|times`` show for extensive centroids (docs/theory/extensive.md).

    ``lam``/``density``: the bulk density on a grid; ``intervals``/``masses``/``methods``: the
    bulks (:class:`ExtensiveEdges`); ``outliers``: their locations (``d`` given) or empty;
    ``times``: ``τ = 1/λ`` of the named edges (:func:`extensive_timescales`; empty where the
    bulk counting does not apply), training-time units (a mode of eigenvalue λ relaxes as
    ``exp(−λ τ)``).
    """

    t: float
    lam: np.ndarray
    density: np.ndarray
    intervals: np.ndarray
    masses: np.ndarray
    methods: list
    outliers: np.ndarray
    outlier_classes: np.ndarray
    times: dict
    d: int | None
    density_error: np.ndarray | None = None
    density_converged: np.ndarray | None = None
    mass_errors: np.ndarray | None = None
    masses_converged: np.ndarray | None = None
    averaging: str = ""

    def to_dict(self) -> dict:
        out = {"t": self.t, "lam": self.lam, "density": self.density,
               "intervals": self.intervals, "masses": self.masses, "methods": self.methods,
               "outliers": self.outliers, "outlier_classes": self.outlier_classes,
               "times": self.times, "d": self.d,
               "theory": "docs/theory/extensive.md (extensive centroids)"}
        if self.density_error is not None:
            out.update(density_error=self.density_error,
                       density_converged=self.density_converged, mass_errors=self.mass_errors,
                       masses_converged=self.masses_converged, averaging=self.averaging)
        return out

    def summary(self) -> str:
        lines = [f"extensive-centroid spectrum at t = {self.t:g} (docs/theory/extensive.md)"]
        if self.mass_errors is not None:
            for (a, b), m, e, ok, meth in zip(self.intervals, self.masses, self.mass_errors,
                                              self.masses_converged, self.methods):
                flag = "" if ok else "  (mass not converged)"
                lines.append(f"  bulk [{a:.6g}, {b:.6g}]  mass {m:.8f} +- {e:.1e}  "
                             f"({meth[0]}/{meth[1]}){flag}")
            n_bad = int(np.sum(~self.density_converged))
            lines.append(f"  density: {self.averaging}; max error "
                         f"{float(np.max(self.density_error)):.2g}"
                         + (f", {n_bad} of {self.lam.size} points not converged" if n_bad
                            else ", every point converged"))
        for (a, b), m, meth in ([] if self.mass_errors is not None else
                                zip(self.intervals, self.masses, self.methods)):
            lines.append(f"  bulk [{a:.6g}, {b:.6g}]  mass {m:.4f}  ({meth[0]}/{meth[1]})")
        if self.outliers.size:
            lines.append(f"  outliers (d = {self.d}): " + ", ".join(
                f"{x:.6g} (class {c})" for x, c in zip(self.outliers, self.outlier_classes)))
        for k, v in self.times.items():
            lines.append(f"  {k} = {v:.6g}")
        if not self.times:
            lines.append("  timescales: not defined here (the bulk counting needs psi_n > 1 and "
                         "psi_p >= 1 + psi_n, docs/theory/spectrum-centred.md)")
        return "\n".join(lines)


#: Mass tolerance when naming the bulks of extensive centroids (:func:`extensive_timescales`).
#: Their masses are integrated from the float64 density on a refined grid: measured 2e-6 to
#: 2e-5 off ``1/ψ_p`` and ``1/ψ_p + ...`` in the tested cases; 1e-3 is 50× that and equals the
#: smallest bulk kept by :func:`extensive_edges` (``min_mass``), far below any physical weight.
EXTENSIVE_MASS_MATCH_TOL = 1e-3


def extensive_timescales(edges: ExtensiveEdges, psi_p: float, psi_n: float) -> Timescales:
    """``τ_gen, τ_mem, τ_fin`` and the windows of extensive centroids: the bulks of
    :func:`extensive_edges` named by the one rule of both kinds,
    :func:`classdyn.theory.bulks.named_timescales` (docs/theory/spectrum-centred.md naming applied to the bulks of
    §6; masses matched to :data:`EXTENSIVE_MASS_MATCH_TOL`). The ``s̄²(m)`` modes, a delta peak
    for centred classes, spread into a band here: bulks beyond cumulative mass
    ``(1 + ψ_n)/ψ_p`` from the right carry the role ``"band"``. Training-time units: a mode of
    eigenvalue ``λ`` relaxes as ``exp(−λ τ)``. Needs ``ψ_n > 1``, ``ψ_p ≥ 1 + ψ_n``.
    """
    bulks = [Bulk(float(a), float(b), float(m)) for (a, b), m in zip(edges.intervals,
                                                                       edges.masses)]
    return named_timescales(bulks, psi_p, psi_n, tol=EXTENSIVE_MASS_MATCH_TOL,
                            edges=list(np.ravel(edges.intervals)))


def _named_times(edges, features) -> dict:
    """The ``τ`` of :func:`extensive_timescales` that exist, or ``{}`` where the bulk counting
    does not apply (``ψ_n ≤ 1`` or ``ψ_p < 1 + ψ_n``)."""
    try:
        ts = extensive_timescales(edges, features.psi_p, features.psi_n)
    except ValueError:
        return {}
    return {k: v for k, v in (("tau_gen", ts.tau_gen), ("tau_mem", ts.tau_mem),
                              ("tau_fin", ts.tau_fin)) if v is not None}


def extensive_spectrum(mixture: Mixture, features: RandomFeatures, t: float, *,
                       d: int | None = None, order: int = 40, n_grid: int = 400,
                       rule: str = "hermite", converged: bool = False) -> ExtensiveSpectrum:
    """Density, bulk edges, timescales and (for a given ``d``) outliers for extensive centroids
    (docs/theory/extensive.md), with ``E_m`` over the Gaussian law of ``m`` (``order`` nodes per axis).

    The density is returned on ``n_grid`` equispaced points from ``min s̄²(m)/2`` to 5 % above
    the upper edge (for CDFs use :func:`adaptive_density`).

    ``converged=True`` (what ``model(...).spectrum()`` uses, issue 12): the bulks (intervals,
    methods) still come from ``rule``/``order``, but the density is
    :func:`~classdyn.theory.extensive_converged.converged_density` on ``n_grid`` points from 0
    to 5 % above the upper edge (composite Legendre ``E_m`` doubled per point until two orders
    agree, ``density_error`` per point) and each bulk mass is the difference of the masses
    below the gaps around it, ``F(g) = −(1/2πi)∮_{|z|=g} q dz``
    (:func:`~classdyn.theory.extensive_converged.mass_below`, ``mass_errors``); the top bulk's
    is ``1 − F`` of the gap below it (the total mass of ``q`` is 1 exactly).
    """
    nodes = gaussian_nodes(mixture, features, t, order=order, rule=rule)
    n_grid = check_int(n_grid, "n_grid", 2)
    e = extensive_edges(nodes)
    hi = float(e.intervals[-1, 1]) if e.intervals.size else upper_edge(nodes).edge
    extra = {}
    if converged:
        lam, dens, masses, extra = _converged_parts(mixture, features, nodes.t, e.intervals,
                                                    hi, n_grid)
        e.masses = masses
    else:
        lam = np.linspace(0.5 * float(nodes.s2bar.min()), 1.05 * hi, n_grid)
        res = extensive_density(lam, nodes)
        if res.n_failed:
            raise RuntimeError(f"bulk equations did not converge at {res.n_failed} grid points "
                               f"(first at lambda = {lam[~res.converged][0]:g})")
        dens = res.density
    if d is not None:
        o = outliers(nodes, d)
        locs, cls = o.locations, o.classes
    else:
        locs, cls = np.zeros(0), np.zeros(0, int)
    return ExtensiveSpectrum(t=nodes.t, lam=lam, density=dens, intervals=e.intervals,
                             masses=e.masses, methods=e.methods, outliers=locs,
                             outlier_classes=cls, times=_named_times(e, features),
                             d=None if d is None else int(d), **extra)


def _converged_parts(mixture, features, t, intervals, hi, n_grid):
    """The ``converged=True`` part of :func:`extensive_spectrum`: ``(lam, density, masses,
    extra fields)``. Mass below the gap between bulks ``k`` and ``k+1``:
    :func:`~classdyn.theory.extensive_converged.mass_below` at three quarters of the gap
    (the top of a band of per-neuron poles is soft: its Gaussian tail of weight ≤ 1e-7 reaches
    into the lower part of the gap, docs/findings.md, where the contour would cross it; the
    bottom of the next bulk is a fold, a hard edge). Legendre
    ``E_m`` from 16 to 64 points per axis, 32 to 64 contour points: a crossing that is not in a
    gap of the Gaussian law, a soft band edge, is reported unconverged within that budget
    instead of refined for tens of seconds)."""
    from classdyn.theory.extensive_converged import converged_density, gap_masses

    lam = np.linspace(0.0, 1.05 * hi, n_grid)
    cd = converged_density(lam, mixture, features, t)
    if not np.all(np.isfinite(cd.error)):
        bad = lam[~np.isfinite(cd.error)]
        raise RuntimeError(f"bulk equations did not converge at {bad.size} grid points "
                           f"(first at lambda = {bad[0]:g})")
    masses, errs, ok = gap_masses(intervals, mixture, features, t)
    extra = dict(density_error=cd.error, density_converged=cd.converged, mass_errors=errs,
                 masses_converged=ok,
                 averaging=(f"E_m by composite Legendre rules {cd.orders[0]}..{cd.orders[-1]} "
                            f"points per axis, refined per point to {cd.rtol:g} x peak "
                            f"{cd.scale:.4g}"))
    return lam, cd.density, masses, extra
