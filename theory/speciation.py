"""Speciation times of the classes in backward diffusion (THEORY.md §7; paper's Sec. 3.1, Result 1).

At large diffusion time ``t`` the class means of the features put a rank-``C`` perturbation
``Σ_c ρ_c f̄_c f̄_cᵀ`` on the feature covariance ``U``, with ``f̄_c ≈ a e^{−t} W μ_c/√d`` of squared
norm ``≈ a² e^{−2t} ψ_p ‖μ_c‖²``. An outlier eigenvalue carrying class ``c`` leaves the bulk
(a BBP-type transition) when ``ρ_c a² e^{−2t} ψ_p ‖μ_c‖²`` reaches order one, so to leading
order in ``d``

    ``t_s^c = ½ log(ρ_c ‖μ_c‖²) + O(1)``                                   (THEORY.md §7)

and, for ``‖μ_c‖² = n2_c d`` and ``ρ_c ∝ d^{−γ_c}``, ``t_s^c = ½ (1 − γ_c) log d + O(1)``: the
slope of ``t_s^c`` against ``log d`` is ``½ (1 − γ_c)``.

Methods (``method=``):
- ``"leading"``: the formula above, without the order-one constant;
- ``"outlier"``: the order-one threshold from the outlier equation of THEORY.md §6 (the diffusion
  time at which the class's outlier of ``𝓜(λ)`` leaves the upper bulk edge), solved by
  :func:`classdyn.theory.extensive.outlier_speciation_times`.

Times ``t`` are diffusion times of the forward OU process (dimensionless); speciation happens in
the backward process as ``t`` decreases through ``t_s^c``.
"""

from __future__ import annotations

from dataclasses import dataclass
import numpy as np

from classdyn.theory.params import Mixture, RandomFeatures, check_int

METHODS = ("leading", "outlier")


@dataclass
class SpeciationTimes:
    """``t_s`` (C,) diffusion times (dimensionless, OU forward process), the ``method``, and
    ``d``; ``slopes`` (C,) of ``t_s^c`` against ``log d`` where the weights follow a power law."""

    t_s: np.ndarray
    method: str
    d: int
    slopes: np.ndarray | None = None

    def to_dict(self) -> dict:
        return {"t_s": self.t_s, "method": self.method, "d": self.d, "slopes": self.slopes,
                "t_unit": "diffusion time t of the OU forward process (dimensionless)"}


def _check_d(d) -> int:
    return check_int(d, "d", 2)


def power_law_weights(gammas, d: int, prefactors=None) -> np.ndarray:
    """Weights ``ρ_c = κ_c d^{−γ_c}`` for classes with ``γ_c > 0``; the remaining mass is split
    equally among the classes with ``γ_c = 0`` (THEORY.md §7, strong imbalance).

    ``gammas`` in ``[0, 1)``, at least one zero; ``prefactors`` ``κ_c > 0`` (default 1).
    Raises ``ValueError`` when the minority weights leave no mass for the majority classes.
    """
    g = np.asarray(gammas, float)
    d = _check_d(d)
    if g.ndim != 1 or g.size == 0 or np.any(~np.isfinite(g)) or np.any(g < 0) or np.any(g >= 1):
        raise ValueError(f"gammas must be numbers in [0, 1), got {np.asarray(gammas).tolist()}")
    if not np.any(g == 0):
        raise ValueError(f"gammas must contain at least one 0 (a majority class), got "
                         f"{g.tolist()}")
    k = np.ones_like(g) if prefactors is None else np.asarray(prefactors, float)
    if k.shape != g.shape or np.any(~(k > 0)):
        raise ValueError(f"prefactors must be {g.size} numbers > 0, got {prefactors!r}")
    rho = np.where(g > 0, k * float(d) ** (-g), 0.0)
    rest = 1.0 - rho.sum()
    if rest <= 0:
        raise ValueError(f"minority weights {rho[g > 0].tolist()} sum to >= 1 at d = {d}; use "
                         "larger d or smaller prefactors")
    rho[g == 0] = rest / np.count_nonzero(g == 0)
    return rho


def speciation_times(mixture: Mixture, d: int, features: RandomFeatures | None = None,
                     method: str = "leading", **kw) -> SpeciationTimes:
    """Speciation time of each class (THEORY.md §7), diffusion-time units.

    ``"leading"``: ``t_s^c = ½ log(ρ_c ‖μ_c‖²) = ½ log(ρ_c n2_c d)``; classes with
    ``norms2 = 0`` (centred) never speciate (``t_s = −inf``).
    ``"outlier"``: the order-one threshold of THEORY.md §6
    (:func:`classdyn.theory.extensive.outlier_speciation_times`; needs ``features``).
    """
    if not isinstance(mixture, Mixture):
        raise TypeError(f"mixture must be a classdyn.theory.params.Mixture, got {type(mixture).__name__}")
    d = _check_d(d)
    if method not in METHODS:
        raise ValueError(f"method must be one of {list(METHODS)}, got {method!r}")
    if method == "leading":
        rho = np.asarray(mixture.weights)
        n2 = np.asarray(mixture.norms2)
        with np.errstate(divide="ignore"):
            ts = 0.5 * np.log(rho * n2 * d)
        return SpeciationTimes(t_s=ts, method=method, d=d)
    if features is None:
        raise ValueError("method='outlier' needs features (a RandomFeatures: psi_p, psi_n, "
                         "activation)")
    from classdyn.theory.extensive import outlier_speciation_times

    return SpeciationTimes(t_s=np.asarray(outlier_speciation_times(mixture, d, features, **kw),
                                          float),
                           method=method, d=d)


def speciation_slopes(gammas) -> np.ndarray:
    """Slope of ``t_s^c`` against ``log d`` for ``ρ_c ∝ d^{−γ_c}``: ``½ (1 − γ_c)``
    (THEORY.md §7; for the majority classes, whose weight tends to a constant, ``γ_c = 0``)."""
    g = np.asarray(gammas, float)
    if g.ndim != 1 or np.any(~np.isfinite(g)) or np.any(g < 0) or np.any(g >= 1):
        raise ValueError(f"gammas must be numbers in [0, 1), got {np.asarray(gammas).tolist()}")
    return 0.5 * (1.0 - g)


def leading_times_power_law(gammas, d: int, norms2=None, prefactors=None) -> np.ndarray:
    """``t_s^c = ½ log(ρ_c(d) n2_c d)`` with ``ρ(d)`` from :func:`power_law_weights`."""
    rho = power_law_weights(gammas, d, prefactors)
    n2 = np.ones_like(rho) if norms2 is None else np.asarray(norms2, float)
    if n2.shape != rho.shape or np.any(~(n2 > 0)):
        raise ValueError(f"norms2 must be {rho.size} numbers > 0, got {norms2!r}")
    return 0.5 * np.log(rho * n2 * d)
