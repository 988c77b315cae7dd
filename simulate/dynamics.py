"""Semi-analytic learning curves of the random-features score model (docs/theory/model.md).

Time unit: ``tau`` is the training time of docs/theory/model.md, chosen so that an eigenmode of ``U``
with eigenvalue ``λ`` relaxes as ``exp(−λ τ)``; ``τ = 2 Δ_t τ_GF/(p d)`` with ``τ_GF`` the
gradient-flow time of the loss ``L(A)`` (a gradient step ``η`` on ``L`` advances ``τ`` by
``2 Δ_t η/(p d)``).

Gradient flow from ``A(0) = 0`` gives (paper's (6))
``A(τ) = −√(p/Δ_t) Vᵀ M(τ)``, ``M(τ) = U⁻¹ (I − e^{−U τ})``; in the eigenbasis
``U = Σ_k λ_k u_k u_kᵀ`` the matrix ``M`` has eigenvalues
``g_k(τ) = (1 − e^{−λ_k τ})/λ_k = −expm1(−λ_k τ)/λ_k`` (``→ τ`` as ``λ_k → 0``), computed in that
form so it is exact for tiny ``λ_k τ`` and saturates cleanly at ``1/λ_k`` for large ``λ_k τ``.

One eigendecomposition of ``U``, one rotation of each class matrix, then each ``τ`` costs
``O(p²)`` per class, vectorised over the whole ``τ`` grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from classdyn.theory.params import check_time, delta_t

#: up to this many features, linear algebra runs on one BLAS thread (classdyn.simulate._blas: threads
#: only slow small problems down, badly so on a loaded machine)
SMALL_P = 1000

#: Relative size of a negative eigenvalue of ``U`` still treated as rounding (U is PSD exactly).
NEG_EIG_RTOL = 1e-9


@dataclass
class Eigenbasis:
    """``U = Q diag(lam) Qᵀ`` with rotated ``Vt = Qᵀ V`` (p×d)."""

    lam: np.ndarray
    Q: np.ndarray
    Vt: np.ndarray


@dataclass
class LossCurves:
    """Semi-analytic curves on a grid of training times ``tau`` (docs/theory/model.md unit).

    ``train`` (T,), ``test`` (C, T) = ``E_c(τ)``, ``score`` (C, T) = class score error
    ``E_score^c(τ)`` (docs/theory/class-losses.md, well-separated classes), ``eigvals`` (p,) of ``U``, ``step``
    the GD step (τ units) when the curves are those of discrete gradient descent, else ``None``.
    """

    tau: np.ndarray
    train: np.ndarray
    test: np.ndarray
    score: np.ndarray
    eigvals: np.ndarray
    t: float
    step: float | None = None

    def to_dict(self) -> dict:
        return {"tau": self.tau, "train": self.train, "test": self.test, "score": self.score,
                "eigvals": self.eigvals, "t": self.t, "step": self.step,
                "tau_unit": "docs/theory/model.md: a mode of eigenvalue λ of U relaxes as exp(-λ τ)"}


def tau_grid(tau_min: float = 1e-2, tau_max: float = 1e4, num: int = 200) -> np.ndarray:
    """A log-spaced grid of training times (docs/theory/model.md unit), ``tau_min > 0``."""
    for name, v in (("tau_min", tau_min), ("tau_max", tau_max)):
        if not (isinstance(v, (int, float, np.floating)) and math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
    if tau_max <= tau_min:
        raise ValueError(f"tau_max must be > tau_min = {tau_min}, got {tau_max}")
    if int(num) != num or num < 2:
        raise ValueError(f"num must be an integer >= 2, got {num!r}")
    return np.geomspace(tau_min, tau_max, int(num))


def _check_tau(tau) -> np.ndarray:
    tau = np.atleast_1d(np.asarray(tau, dtype=float))
    if tau.ndim != 1 or tau.size == 0 or not np.all(np.isfinite(tau)) or np.any(tau < 0):
        raise ValueError(f"tau must be a non-empty 1-d array of finite times >= 0, got "
                         f"{tau if tau.size < 8 else tau[:8]}")
    return tau


def relax_factors(lam: np.ndarray, tau: np.ndarray, step: float | None = None) -> np.ndarray:
    """``g_k(τ)`` for every ``τ`` (rows) and mode (columns), docs/theory/class-losses.md.

    Gradient flow: ``g_k(τ) = (1 − e^{−λ_k τ})/λ_k = τ · φ₁(λ_k τ)``,
    ``φ₁(x) = −expm1(−x)/x`` (``φ₁(0) = 1``), stable for any ``λ_k τ ≥ 0``.

    Discrete gradient descent with step ``δτ`` (``τ = k δτ``):
    ``g_k(τ) = (1 − (1 − λ_k δτ)^{τ/δτ})/λ_k = −expm1((τ/δτ) log1p(−λ_k δτ))/λ_k``, which needs
    ``λ_max δτ < 1`` (monotone convergence of every mode).
    """
    lam = np.asarray(lam, float)
    tau = _check_tau(tau)
    if step is None:
        x = np.multiply.outer(tau, lam)
        small = np.abs(x) < 1e-8
        xs = np.where(small, 1.0, x)
        phi1 = np.where(small, 1.0 - 0.5 * x, -np.expm1(-xs) / xs)
        return tau[:, None] * phi1
    step = float(step)
    if not (math.isfinite(step) and step > 0):
        raise ValueError(f"step must be a finite number > 0, got {step!r}")
    if lam.max() * step >= 1:
        raise ValueError(f"step = {step:g} too large: need lambda_max * step < 1, "
                         f"lambda_max = {lam.max():.4g} (step < {1 / lam.max():.4g})")
    k = tau / step
    y = np.log1p(-np.multiply.outer(np.ones_like(k), lam) * step)  # (T, p), <= 0
    arg = k[:, None] * y
    small = np.abs(lam) * step < 1e-12
    lam_s = np.where(small, 1.0, lam)
    return np.where(small[None, :], tau[:, None], -np.expm1(arg) / lam_s[None, :])


def eigenbasis(U: np.ndarray, V: np.ndarray) -> Eigenbasis:
    """Diagonalise ``U`` (symmetric PSD, p×p) and rotate ``V`` (p×d) into its eigenbasis.

    Negative eigenvalues larger than rounding (``NEG_EIG_RTOL · λ_max``) raise ``ValueError``;
    smaller ones are set to 0.
    """
    U = np.asarray(U, float)
    V = np.asarray(V, float)
    if U.ndim != 2 or U.shape[0] != U.shape[1]:
        raise ValueError(f"U must be a square p×p matrix, got shape {U.shape}")
    if V.ndim != 2 or V.shape[0] != U.shape[0]:
        raise ValueError(f"V must be p×d with p = {U.shape[0]}, got shape {V.shape}")
    if not (np.all(np.isfinite(U)) and np.all(np.isfinite(V))):
        raise ValueError("U and V must be finite (found NaN or inf)")
    asym = np.max(np.abs(U - U.T)) if U.size else 0.0
    scale = max(np.max(np.abs(U)), 1e-300)
    if asym > 1e-8 * scale:
        raise ValueError(f"U must be symmetric; max |U - U^T| = {asym:.3g} "
                         f"(relative {asym / scale:.3g})")
    from scipy.linalg import eigh

    lam, Q = eigh(0.5 * (U + U.T), overwrite_a=True, check_finite=False, driver="evd")
    lmax = max(lam.max(), 0.0)
    if lam.min() < -NEG_EIG_RTOL * max(lmax, 1e-300):
        raise ValueError(f"U must be positive semi-definite; smallest eigenvalue "
                         f"{lam.min():.3g} (largest {lmax:.3g})")
    lam = np.clip(lam, 0.0, None)
    return Eigenbasis(lam=lam, Q=Q, Vt=Q.T @ V)


def semi_analytic_curves(U, V, Uc, Vc, tau, t: float, variances=None,
                         step: float | None = None, basis: Eigenbasis | None = None
                         ) -> LossCurves:
    """Train loss, class test losses and class score errors on a ``τ`` grid (docs/theory/class-losses.md).

    With ``g_k(τ)`` from :func:`relax_factors`, ``B = Ṽ Ṽᵀ`` (``Ṽ = Qᵀ V``), ``Ũ_c = Qᵀ U_c Q``,
    ``Ṽ_c = Qᵀ V_c``:

    - ``E_c(τ) = 1 + (1/d) Σ_{k,l} g_k g_l (Ũ_c)_{kl} B_{lk} − (2/d) Σ_k g_k (Ṽ_c Ṽᵀ)_{kk}``
      (paper's (14), (133));
    - ``E_train(τ) = 1 + (1/d) Σ_k g_k² λ_k B_kk − (2/d) Σ_k g_k B_kk``;
    - score error (paper's App. H, classes well separated so that the exact score on class
      ``c``'s domain is ``(e^{−t} μ_c − x)/Γ_c²``): by Stein's lemma
      ``E_x,ξ[φ ζᵀ] = (Γ_c²/√Δ) V_c`` for ``ζ = x_t − e^{−t} μ_c``, so
      ``E_score^c(τ) = (E_c(τ) − 1)/Δ_t + 1/Γ_c²``, ``Γ_c² = e^{−2t} σ_c² + Δ_t``
      (needs the class ``variances``; without them ``score`` is an empty (0, T) array).

    ``τ`` is in the unit of docs/theory/model.md. ``step``: curves of discrete gradient descent with that
    step instead of gradient flow (see :func:`relax_factors`). ``U, V`` (p×p, p×d), ``Uc``
    (C×p×p), ``Vc`` (C×p×d).
    """
    t = check_time(t)
    tau = _check_tau(tau)
    Uc = np.asarray(Uc, float)
    Vc = np.asarray(Vc, float)
    U = np.asarray(U, float)
    p = U.shape[0] if U.ndim == 2 else -1
    V = np.asarray(V, float)
    d = V.shape[1] if V.ndim == 2 else -1
    if Uc.ndim != 3 or Uc.shape[1:] != (p, p):
        raise ValueError(f"Uc must have shape (C, {p}, {p}), got {Uc.shape}")
    if Vc.shape != (Uc.shape[0], p, d):
        raise ValueError(f"Vc must have shape ({Uc.shape[0]}, {p}, {d}), got {Vc.shape}")
    C = Uc.shape[0]
    if variances is not None:
        variances = np.asarray(variances, float)
        if variances.shape != (C,) or np.any(variances <= 0):
            raise ValueError(f"variances must be {C} numbers > 0, got {variances}")
    from classdyn.simulate._blas import blas_threads

    with blas_threads(1, enabled=p <= SMALL_P):
        return _curves(U, V, Uc, Vc, tau, t, variances, step, basis, C, d)


def _curves(U, V, Uc, Vc, tau, t, variances, step, basis, C, d):
    eb = basis if basis is not None else eigenbasis(U, V)
    G = relax_factors(eb.lam, tau, step)  # (T, p)
    Vt = eb.Vt
    B = Vt @ Vt.T
    bdiag = np.diag(B).copy()
    train = 1.0 + (G**2 @ (eb.lam * bdiag)) / d - 2.0 * (G @ bdiag) / d
    test = np.empty((C, tau.size))
    for c in range(C):
        Ut = eb.Q.T @ Uc[c] @ eb.Q
        H = Ut * B  # B symmetric: (Ũ_c)_{kl} B_{lk}
        lin = np.einsum("kd,kd->k", eb.Q.T @ Vc[c], Vt)
        test[c] = 1.0 + np.einsum("tk,tk->t", G @ H, G) / d - 2.0 * (G @ lin) / d
    D = delta_t(t)
    if variances is None:
        score = np.empty((0, tau.size))
    else:
        gam2 = math.exp(-2 * t) * variances + D
        score = (test - 1.0) / D + 1.0 / gam2[:, None]
    return LossCurves(tau=tau, train=train, test=test, score=score, eigvals=eb.lam, t=t,
                      step=step)


def losses_at(A: np.ndarray, U, V, Uc, Vc, t: float) -> tuple[float, np.ndarray]:
    """Exact train and class test losses at a given ``A`` (d×p), docs/theory/model.md.

    ``E(A) = 1 + (Δ/(p d)) tr(A U Aᵀ) + (2√Δ/(√p d)) tr(A V)`` with ``(U, V)`` for the train loss
    and ``(U_c, V_c)`` for class ``c``.
    """
    A = np.asarray(A, float)
    d, p = A.shape
    D = delta_t(t)
    c1, c2 = D / (p * d), 2 * math.sqrt(D) / (math.sqrt(p) * d)

    def E(Um, Vm):
        return 1.0 + c1 * np.einsum("ij,ij->", A @ Um, A) + c2 * np.einsum("ij,ji->", A, Vm)

    return E(U, V), np.array([E(Uc[c], Vc[c]) for c in range(len(Uc))])


def weights_at(tau: float, U, V, t: float) -> np.ndarray:
    """``A(τ) = −√(p/Δ) Vᵀ U⁻¹ (I − e^{−U τ})`` (paper's (6)), d×p; ``τ`` in docs/theory/model.md units."""
    eb = eigenbasis(U, V)
    g = relax_factors(eb.lam, np.array([tau]))[0]
    p = U.shape[0]
    return -math.sqrt(p / delta_t(t)) * (eb.Vt.T * g) @ eb.Q.T


def score_error_mc(A: np.ndarray, W: np.ndarray, mixture, centroids: np.ndarray, t: float,
                   activation: str, n_mc: int = 2000, seed=0) -> np.ndarray:
    """Monte Carlo class score error against the exact mixture score (paper's App. H).

    ``E_score^c = (1/d) E_{x~P_t^c} ‖s_A(x) − ∇ log P_t(x)‖²`` with
    ``∇ log P_t(x) = Σ_c w_c(x) (e^{−t} μ_c − x)/Γ_c²`` (posterior weights ``w_c``), and
    ``s_A(x) = A σ(W x/√d)/√p``. Used to check that the semi-analytic score error (an affine
    image of ``E_c``) is right when classes are well separated.
    """
    from scipy.special import logsumexp

    from classdyn.simulate.data import as_generator
    from classdyn.theory.params import activation_function

    rng = as_generator(seed)
    sig = activation_function(activation)
    d, p = A.shape
    e = math.exp(-t)
    D = delta_t(t)
    var = np.asarray(mixture.variances)
    gam2 = e * e * var + D
    logw = np.log(np.asarray(mixture.weights))
    out = np.empty(mixture.n_classes)
    for c in range(mixture.n_classes):
        x0 = centroids[c] + math.sqrt(var[c]) * rng.standard_normal((n_mc, d))
        x = e * x0 + math.sqrt(D) * rng.standard_normal((n_mc, d))
        diff = e * centroids[None, :, :] - x[:, None, :]  # (n, C, d)
        sq = np.einsum("ncd,ncd->nc", diff, diff)
        logp = logw - 0.5 * d * np.log(2 * np.pi * gam2) - 0.5 * sq / gam2
        post = np.exp(logp - logsumexp(logp, axis=1, keepdims=True))
        score = np.einsum("nc,ncd->nd", post / gam2, diff)
        s = sig(x @ W.T / math.sqrt(d)) @ A.T / math.sqrt(p)
        out[c] = np.mean(np.sum((s - score) ** 2, axis=1)) / d
    return out
