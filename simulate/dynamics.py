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

#: up to this many features, linear algebra runs on one BLAS thread (classdyn._threads: threads
#: only slow small problems down, badly so on a loaded machine)
SMALL_P = 1000

#: Relative size of a negative eigenvalue of ``U`` still treated as rounding (U is PSD exactly).
NEG_EIG_RTOL = 1e-9


@dataclass
class Eigenbasis:
    """``U = Q diag(lam) Qᵀ`` with rotated ``Vt = Qᵀ V`` (p×d), as returned by :func:`eigenbasis`.

    Parameters
    ----------
    lam : numpy.ndarray, shape (p,)
        Eigenvalues of ``U`` in ascending order, ≥ 0 (dimensionless).
    Q : numpy.ndarray, shape (p, p)
        Orthonormal eigenvectors as columns.
    Vt : numpy.ndarray, shape (p, d)
        ``Qᵀ V``.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import Eigenbasis, eigenbasis
    >>> eb = eigenbasis(np.array([[2.0, 1.0], [1.0, 2.0]]), np.eye(2))
    >>> isinstance(eb, Eigenbasis), eb.lam, eb.Vt.shape
    (True, array([1., 3.]), (2, 2))
    """

    lam: np.ndarray
    Q: np.ndarray
    Vt: np.ndarray


@dataclass
class LossCurves:
    """Semi-analytic curves on a grid of training times ``tau`` (docs/theory/model.md unit).

    Built by :func:`semi_analytic_curves`. ``tau`` is the training time: a mode of eigenvalue
    ``λ`` of ``U`` relaxes as ``exp(−λ τ)``.

    Parameters
    ----------
    tau : numpy.ndarray, shape (T,)
        Training times (dimensionless, docs/theory/model.md unit).
    train : numpy.ndarray, shape (T,)
        Training loss ``E_train(τ)``.
    test : numpy.ndarray, shape (C, T)
        Class test losses ``E_c(τ)``.
    score : numpy.ndarray, shape (C, T) or (0, T)
        Class score errors ``E_score^c(τ)`` (docs/theory/class-losses.md, well-separated
        classes); empty when the class variances were not given.
    eigvals : numpy.ndarray, shape (p,)
        Eigenvalues of ``U`` (dimensionless).
    t : float
        Diffusion time of the OU forward process (dimensionless).
    step : float or None, optional
        The GD step (τ units) when the curves are those of discrete gradient descent, else
        ``None`` (gradient flow).

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import LossCurves
    >>> lc = LossCurves(tau=np.array([0.0, 1.0]), train=np.array([1.0, 0.6]),
    ...                 test=np.ones((2, 2)), score=np.empty((0, 2)), eigvals=np.ones(3), t=0.5)
    >>> sorted(lc.to_dict()), lc.step is None
    (['eigvals', 'score', 'step', 't', 'tau', 'tau_unit', 'test', 'train'], True)
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
    """A log-spaced grid of training times (docs/theory/model.md unit), ``tau_min > 0``.

    Training time ``τ``: a mode of eigenvalue ``λ`` of ``U`` relaxes as ``exp(−λ τ)``.

    Parameters
    ----------
    tau_min : float, optional
        First time, finite and > 0 (default 1e-2).
    tau_max : float, optional
        Last time, finite and > ``tau_min`` (default 1e4).
    num : int, optional
        Number of points, ≥ 2 (default 200).

    Returns
    -------
    numpy.ndarray, shape (num,)
        ``numpy.geomspace(tau_min, tau_max, num)``.

    Raises
    ------
    ValueError
        If a bound is not a finite number > 0, ``tau_max ≤ tau_min``, or ``num`` is not an
        integer ≥ 2.

    Examples
    --------
    >>> from classdyn.simulate import tau_grid
    >>> tau_grid(1.0, 100.0, 3)
    array([  1.,  10., 100.])
    """
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
    r"""``g_k(τ)`` for every ``τ`` (rows) and mode (columns), docs/theory/class-losses.md.

    Gradient flow:

    .. math::

        g_k(\tau) = \frac{1 - e^{-\lambda_k \tau}}{\lambda_k} = \tau\, \varphi_1(\lambda_k \tau),
        \qquad \varphi_1(x) = -\frac{\mathrm{expm1}(-x)}{x}, \ \varphi_1(0) = 1,

    stable for any ``λ_k τ ≥ 0``. Discrete gradient descent with step ``δτ`` (``τ = k δτ``):

    .. math::

        g_k(\tau) = \frac{1 - (1 - \lambda_k \delta\tau)^{\tau/\delta\tau}}{\lambda_k}
                  = -\frac{\mathrm{expm1}\big((\tau/\delta\tau)\, \mathrm{log1p}(-\lambda_k \delta\tau)\big)}{\lambda_k},

    which needs ``λ_max δτ < 1`` (monotone convergence of every mode).

    Parameters
    ----------
    lam : array_like, shape (p,)
        Eigenvalues ``λ_k`` of ``U`` (dimensionless, ≥ 0).
    tau : array_like, shape (T,)
        Training times (dimensionless, ≥ 0; a mode of eigenvalue λ relaxes as
        ``exp(−λ τ)``).
    step : float or None, optional
        GD step ``δτ`` in τ units; ``None`` (default) for gradient flow.

    Returns
    -------
    numpy.ndarray, shape (T, p)
        ``g_k(τ)``.

    Raises
    ------
    ValueError
        If ``tau`` is empty, not finite or negative, ``step`` is not a finite number > 0, or
        ``λ_max · step ≥ 1``.

    Examples
    --------
    Gradient flow: ``g = τ`` for ``λ = 0``, ``1 − e^{−1}`` for ``λ = τ = 1``:

    >>> import numpy as np
    >>> from classdyn.simulate import relax_factors
    >>> np.round(relax_factors(np.array([0.0, 1.0, 2.0]), np.array([0.0, 1.0])), 6)
    array([[0.      , 0.      , 0.      ],
           [1.      , 0.632121, 0.432332]])

    Ten GD steps of 0.1 at ``λ = 1``: ``1 − 0.9¹⁰``:

    >>> round(float(relax_factors(np.array([1.0]), np.array([1.0]), step=0.1)[0, 0]), 6)
    0.651322
    >>> relax_factors(np.array([20.0]), np.array([1.0]), step=0.1)
    Traceback (most recent call last):
        ...
    ValueError: step = 0.1 too large: need lambda_max * step < 1, lambda_max = 20 (step < 0.05)
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
    smaller ones are set to 0. ``U`` is symmetrised (``(U + Uᵀ)/2``) before ``scipy.linalg.eigh``.

    Parameters
    ----------
    U : array_like, shape (p, p)
        Symmetric positive semi-definite matrix (asymmetry up to 1e-8 of its largest entry).
    V : array_like, shape (p, d)
        Matrix to rotate.

    Returns
    -------
    Eigenbasis
        ``lam`` (ascending, ≥ 0), ``Q``, ``Vt = Qᵀ V``.

    Raises
    ------
    ValueError
        If ``U`` is not square, ``V`` has the wrong number of rows, either is not finite, ``U``
        is not symmetric, or ``U`` has a negative eigenvalue beyond rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import eigenbasis
    >>> eb = eigenbasis(np.array([[2.0, 1.0], [1.0, 2.0]]), np.eye(2))
    >>> eb.lam, np.round(eb.Q @ np.diag(eb.lam) @ eb.Q.T, 6)
    (array([1., 3.]), array([[2., 1.],
           [1., 2.]]))
    >>> eigenbasis(np.array([[1.0, 2.0], [2.0, 1.0]]), np.eye(2))
    Traceback (most recent call last):
        ...
    ValueError: U must be positive semi-definite; smallest eigenvalue -1 (largest 3)
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
    r"""Train loss, class test losses and class score errors on a ``τ`` grid (docs/theory/class-losses.md).

    With ``g_k(τ)`` from :func:`relax_factors`, ``B = Ṽ Ṽᵀ`` (``Ṽ = Qᵀ V``), ``Ũ_c = Qᵀ U_c Q``,
    ``Ṽ_c = Qᵀ V_c``:

    .. math::

        E_c(\tau) = 1 + \frac1d \sum_{k,l} g_k g_l (\tilde U_c)_{kl} B_{lk}
                    - \frac2d \sum_k g_k (\tilde V_c \tilde V^\top)_{kk},
        \qquad
        E_\mathrm{train}(\tau) = 1 + \frac1d \sum_k g_k^2 \lambda_k B_{kk}
                                 - \frac2d \sum_k g_k B_{kk},

    (paper's (14), (133)). Score error (paper's App. H, classes well separated so that the
    exact score on class ``c``'s domain is ``(e^{−t} μ_c − x)/Γ_c²``): by Stein's lemma
    ``E_x,ξ[φ ζᵀ] = (Γ_c²/√Δ) V_c`` for ``ζ = x_t − e^{−t} μ_c``, so

    .. math::

        E_\mathrm{score}^c(\tau) = \frac{E_c(\tau) - 1}{\Delta_t} + \frac{1}{\Gamma_c^2},
        \qquad \Gamma_c^2 = e^{-2t} \sigma_c^2 + \Delta_t

    (needs the class ``variances``; without them ``score`` is an empty (0, T) array).

    ``τ`` is in the unit of docs/theory/model.md. One eigendecomposition of ``U`` (or the given
    ``basis``), one rotation per class, then ``O(p²)`` per class and ``τ``.

    Parameters
    ----------
    U : array_like, shape (p, p)
        Training feature covariance.
    V : array_like, shape (p, d)
        Training feature–noise correlation.
    Uc : array_like, shape (C, p, p)
        Population class matrices ``U_c``.
    Vc : array_like, shape (C, p, d)
        Population class matrices ``V_c``.
    tau : array_like, shape (T,)
        Training times (dimensionless, ≥ 0; a mode of eigenvalue λ of U relaxes as
        ``exp(−λ τ)``).
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    variances : array_like of shape (C,), optional
        Class variances ``σ_c²`` (> 0) for the score errors.
    step : float or None, optional
        Curves of discrete gradient descent with that step (τ units) instead of gradient flow
        (see :func:`relax_factors`).
    basis : Eigenbasis, optional
        A precomputed :func:`eigenbasis` of ``(U, V)``.

    Returns
    -------
    LossCurves
        ``train`` (T,), ``test`` (C, T), ``score`` (C, T) or (0, T), ``eigvals`` (p,).

    Raises
    ------
    ValueError
        For ``t ≤ 0``, a bad ``tau``, mismatched shapes, variances not C numbers > 0, a bad
        ``step``, or a ``U`` rejected by :func:`eigenbasis`.

    Examples
    --------
    At ``τ = 0`` (``A = 0``) every loss is 1 and the score error is ``1/Γ_c²``:

    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import draw_system
    >>> W, data, fs = draw_system(Mixture(variances=(1.0, 2.0)), d=10, t=0.5, seed=0)
    >>> from classdyn.simulate import semi_analytic_curves
    >>> cur = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, [0.0, 1.0, 10.0], 0.5,
    ...                            variances=(1.0, 2.0))
    >>> np.round(cur.train, 6)
    array([1.      , 0.6421  , 0.425121])
    >>> np.round(cur.test, 6)
    array([[1.      , 0.622642, 0.490957],
           [1.      , 1.830126, 1.894872]])
    >>> gamma2 = np.exp(-1.0) * np.array([1.0, 2.0]) + 1 - np.exp(-1.0)  # Γ_c² at t = 0.5
    >>> np.round(cur.score[:, 0], 6), np.round(1 / gamma2, 6)
    (array([1.      , 0.731059]), array([1.      , 0.731059]))
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
    from classdyn._threads import blas_threads

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
    r"""Exact train and class test losses at a given ``A`` (d×p), docs/theory/model.md.

    .. math::

        E(A) = 1 + \frac{\Delta}{p d} \operatorname{tr}(A U A^\top)
                 + \frac{2\sqrt\Delta}{\sqrt p\, d} \operatorname{tr}(A V)

    with ``(U, V)`` for the train loss and ``(U_c, V_c)`` for class ``c``.

    Parameters
    ----------
    A : array_like, shape (d, p)
        Second-layer weights.
    U : array_like, shape (p, p)
        Training feature covariance.
    V : array_like, shape (p, d)
        Training feature–noise correlation.
    Uc : array_like, shape (C, p, p)
        Population class matrices.
    Vc : array_like, shape (C, p, d)
        Population class matrices.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).

    Returns
    -------
    train : float
        ``E(A)`` with ``(U, V)``.
    test : numpy.ndarray, shape (C,)
        ``E(A)`` with ``(U_c, V_c)``.

    Raises
    ------
    ValueError
        If ``t`` is not a finite number > 0.

    Examples
    --------
    At the gradient-flow weights :func:`weights_at` the losses equal the semi-analytic curves:

    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import draw_system
    >>> W, data, fs = draw_system(Mixture(variances=(1.0, 2.0)), d=10, t=0.5, seed=0)
    >>> from classdyn.simulate import losses_at, semi_analytic_curves, weights_at
    >>> A = weights_at(10.0, fs.U, fs.V, 0.5)
    >>> train, test = losses_at(A, fs.U, fs.V, fs.Uc, fs.Vc, 0.5)
    >>> round(float(train), 6), np.round(test, 6)
    (0.425121, array([0.490957, 1.894872]))
    >>> cur = semi_analytic_curves(fs.U, fs.V, fs.Uc, fs.Vc, [10.0], 0.5)
    >>> bool(np.isclose(train, cur.train[0])), np.allclose(test, cur.test[:, 0])
    (True, True)
    """
    A = np.asarray(A, float)
    d, p = A.shape
    D = delta_t(t)
    c1, c2 = D / (p * d), 2 * math.sqrt(D) / (math.sqrt(p) * d)

    def E(Um, Vm):
        return 1.0 + c1 * np.einsum("ij,ij->", A @ Um, A) + c2 * np.einsum("ij,ji->", A, Vm)

    return E(U, V), np.array([E(Uc[c], Vc[c]) for c in range(len(Uc))])


def weights_at(tau: float, U, V, t: float) -> np.ndarray:
    r"""``A(τ) = −√(p/Δ) Vᵀ U⁻¹ (I − e^{−U τ})`` (paper's (6)), d×p; ``τ`` in docs/theory/model.md units.

    .. math::

        A(\tau) = -\sqrt{p/\Delta_t}\; V^\top U^{-1} \big(I - e^{-U \tau}\big),

    gradient flow from ``A(0) = 0``, computed in the eigenbasis of ``U`` with
    :func:`relax_factors` (exact for singular ``U``).

    Parameters
    ----------
    tau : float
        Training time (dimensionless, ≥ 0; a mode of eigenvalue λ of U relaxes as
        ``exp(−λ τ)``).
    U : array_like, shape (p, p)
        Training feature covariance (symmetric PSD).
    V : array_like, shape (p, d)
        Training feature–noise correlation.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).

    Returns
    -------
    numpy.ndarray, shape (d, p)
        The second-layer weights ``A(τ)``.

    Raises
    ------
    ValueError
        If ``U`` is rejected by :func:`eigenbasis`, ``tau`` is negative or not finite, or
        ``t ≤ 0``.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import draw_system
    >>> W, data, fs = draw_system(Mixture(variances=(1.0, 2.0)), d=10, t=0.5, seed=0)
    >>> from classdyn.simulate import weights_at
    >>> A = weights_at(10.0, fs.U, fs.V, 0.5)
    >>> A.shape, bool(np.all(weights_at(0.0, fs.U, fs.V, 0.5) == 0))
    ((10, 20), True)
    """
    eb = eigenbasis(U, V)
    g = relax_factors(eb.lam, np.array([tau]))[0]
    p = U.shape[0]
    return -math.sqrt(p / delta_t(t)) * (eb.Vt.T * g) @ eb.Q.T


def score_error_mc(A: np.ndarray, W: np.ndarray, mixture, centroids: np.ndarray, t: float,
                   activation: str, n_mc: int = 2000, seed=0) -> np.ndarray:
    r"""Monte Carlo class score error against the exact mixture score (paper's App. H).

    .. math::

        E_\mathrm{score}^c = \frac1d\, \mathbb{E}_{x \sim P_t^c}
            \big\| s_A(x) - \nabla \log P_t(x) \big\|^2,
        \qquad \nabla \log P_t(x) = \sum_c w_c(x) \frac{e^{-t}\mu_c - x}{\Gamma_c^2},

    (posterior weights ``w_c``, ``Γ_c² = e^{−2t}σ_c² + Δ``) and ``s_A(x) = A σ(W x/√d)/√p``
    (docs/theory/class-losses.md). Used to check that the semi-analytic score error (an affine
    image of ``E_c``, :func:`semi_analytic_curves`) is right when classes are well separated.

    Parameters
    ----------
    A : numpy.ndarray, shape (d, p)
        Second-layer weights.
    W : numpy.ndarray, shape (p, d)
        First-layer weights.
    mixture : classdyn.theory.params.Mixture
        Class variances and weights.
    centroids : numpy.ndarray, shape (C, d)
        Class means ``μ_c``.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    activation : str
        ``tanh``, ``erf``, ``relu`` or ``linear``.
    n_mc : int, optional
        Monte Carlo points per class (default 2000).
    seed : int or numpy.random.Generator, optional
        Seed (default 0).

    Returns
    -------
    numpy.ndarray, shape (C,)
        ``E_score^c`` per class.

    Raises
    ------
    ValueError
        For an unknown activation or an invalid seed.

    Examples
    --------
    With ``A = 0`` and one class the error is ``E‖x_t − e^{−t}μ‖²/(d Γ⁴) = 1/Γ²``, here 1
    (``σ² = 1``), up to Monte Carlo noise of about 1 %:

    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import score_error_mc
    >>> W = np.random.default_rng(0).standard_normal((20, 10))
    >>> err = score_error_mc(np.zeros((10, 20)), W, Mixture(variances=(1.0,)), np.zeros((1, 10)),
    ...                      0.5, "tanh", n_mc=2000, seed=0)
    >>> err.shape, bool(abs(err[0] - 1.0) < 0.05)
    ((1,), True)
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
