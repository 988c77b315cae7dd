r"""Spectrum, edges and outliers of the feature covariance ``U`` for extensive centroids.

THEORY.md §6 (the paper's (107), whose solution the paper leaves open) and §7 (speciation).

Derivation (re-done here; it agrees with THEORY.md §6 up to a change of basis in the ``ℓ`` block)
---------------------------------------------------------------------------------------------
GEP of ``U`` (THEORY.md §4) with per-neuron coefficients: for a sample ``ν`` of class ``c``,
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
   ``T − T M T = T (I + diag(κ) T)⁻¹``). This is THEORY.md §6's bulk system, unchanged.
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
   **Difference from THEORY.md §6:** there the ``ℓ`` block uses ``ℓ_{cc'} = a_c m_c'`` and
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
:mod:`classdyn.theory.extensive_speciation` (speciation times); here: the summary
:func:`extensive_spectrum` and :func:`edge_times`.

Public API: :func:`gaussian_nodes`, :func:`neuron_nodes`, :func:`solve_bulk`,
:func:`extensive_density`, :func:`adaptive_density`, :func:`extensive_edges`,
:func:`upper_edge`, :func:`outlier_matrix`, :func:`outliers`, :func:`speciation_time`,
:func:`outlier_speciation_times` (the form of the ``classdyn.theory.speciation`` "outlier" hook).
"""


from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from classdyn.theory.params import Mixture, RandomFeatures, check_positive, check_time
from classdyn.theory.extensive_nodes import (ExtensiveNodes, RULES, STATUS_NAMES, _check_features,
                                             _check_mixture, _check_nodes, _check_pos_float,
                                             _check_positive_int, gaussian_nodes, neuron_nodes,
                                             whitening)
from classdyn.theory.extensive_bulk import (BulkSolution, ExtensiveDensity, adaptive_density,
                                            extensive_density, solve_bulk)
from classdyn.theory.extensive_edges import ExtensiveEdges, UpperEdge, extensive_edges, upper_edge
from classdyn.theory.extensive_outliers import Outliers, _check_d, outlier_matrix, outliers
from classdyn.theory.extensive_speciation import (SpeciationTimes, outlier_speciation_times,
                                                  speciation_time)


# --------------------------------------------------------------------------- CLI-facing summary
@dataclass
class ExtensiveSpectrum:
    """Everything ``classdyn spectrum|edges|times`` show for extensive centroids (THEORY.md §6).

    ``lam``/``density``: the bulk density on a grid; ``intervals``/``masses``/``methods``: the
    bulks (:class:`ExtensiveEdges`); ``outliers``: their locations (``d`` given) or empty;
    ``times``: ``τ = 1/λ`` of the named edges (:func:`edge_times`), training-time units (a mode
    of eigenvalue λ relaxes as ``exp(−λ τ)``).
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

    def to_dict(self) -> dict:
        return {"t": self.t, "lam": self.lam, "density": self.density,
                "intervals": self.intervals, "masses": self.masses, "methods": self.methods,
                "outliers": self.outliers, "outlier_classes": self.outlier_classes,
                "times": self.times, "d": self.d, "theory": "THEORY.md §6 (extensive centroids)"}

    def summary(self) -> str:
        lines = [f"extensive-centroid spectrum at t = {self.t:g} (THEORY.md §6)"]
        for (a, b), m, meth in zip(self.intervals, self.masses, self.methods):
            lines.append(f"  bulk [{a:.6g}, {b:.6g}]  mass {m:.4f}  ({meth[0]}/{meth[1]})")
        if self.outliers.size:
            lines.append(f"  outliers (d = {self.d}): " + ", ".join(
                f"{x:.6g} (class {c})" for x, c in zip(self.outliers, self.outlier_classes)))
        for k, v in self.times.items():
            lines.append(f"  {k} = {v:.6g}")
        return "\n".join(lines)


def edge_times(intervals) -> dict:
    """``τ = 1/λ`` of the named edges (THEORY.md §5 naming, applied to the bulks of §6).

    ``tau_gen``: lower edge of the rightmost bulk; ``tau_fin``: the lowest edge; ``tau_mem``:
    upper edge of the bulk left of the rightmost one, only when there are at least three bulks
    (with two bulks, e.g. ``ψ_n ≤ 1`` or ``ψ_p = 1 + ψ_n``, the lower one is the leftmost
    ``s̄²`` bulk and no memorisation bulk is separated: the name would be wrong). Training-time
    units: a mode of eigenvalue ``λ`` relaxes as ``exp(−λ τ)``.
    """
    iv = np.asarray(intervals, float).reshape(-1, 2)
    out = {}
    if iv.shape[0] == 0:
        return out
    out["tau_gen"] = 1.0 / iv[-1, 0]
    if iv.shape[0] >= 3:
        out["tau_mem"] = 1.0 / iv[-2, 1]
    out["tau_fin"] = 1.0 / iv[0, 0]
    return out


def extensive_spectrum(mixture: Mixture, features: RandomFeatures, t: float, *,
                       d: int | None = None, order: int = 40, n_grid: int = 400,
                       rule: str = "hermite") -> ExtensiveSpectrum:
    """Density, bulk edges, timescales and (for a given ``d``) outliers for extensive centroids
    (THEORY.md §6), with ``E_m`` over the Gaussian law of ``m`` (``order`` nodes per axis).

    The density is returned on ``n_grid`` equispaced points from ``min s̄²(m)/2`` to 5 % above
    the upper edge (for CDFs use :func:`adaptive_density`).
    """
    nodes = gaussian_nodes(mixture, features, t, order=order, rule=rule)
    n_grid = _check_positive_int("n_grid", n_grid, 2)
    e = extensive_edges(nodes)
    hi = float(e.intervals[-1, 1]) if e.intervals.size else upper_edge(nodes).edge
    lam = np.linspace(0.5 * float(nodes.s2bar.min()), 1.05 * hi, n_grid)
    dens = extensive_density(lam, nodes)
    if dens.n_failed:
        raise RuntimeError(f"bulk equations did not converge at {dens.n_failed} grid points "
                           f"(first at lambda = {lam[~dens.converged][0]:g})")
    if d is not None:
        o = outliers(nodes, d)
        locs, cls = o.locations, o.classes
    else:
        locs, cls = np.zeros(0), np.zeros(0, int)
    return ExtensiveSpectrum(t=nodes.t, lam=lam, density=dens.density, intervals=e.intervals,
                             masses=e.masses, methods=e.methods, outliers=locs,
                             outlier_classes=cls, times=edge_times(e.intervals),
                             d=None if d is None else int(d))
