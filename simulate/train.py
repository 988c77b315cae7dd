"""Explicit gradient-descent training of the random-features score model (docs/theory/model.md).

The model ``s_A(x) = A σ(W x/√d)/√p`` is trained on the denoising score-matching loss of
docs/theory/model.md the way practitioners do: full batch over the ``n`` training points, **fresh**
diffusion noise ``ξ^ν ~ N(0, I_d)`` for every point at every step (one draw each), so each
step follows an unbiased estimate of the gradient of ``L(A)``. With ``Φ = σ(X_t Wᵀ/√d)`` (n×p),
``X_t = e^{−t} X + √Δ Ξ`` and residual ``R = √Δ Φ Aᵀ/√p + Ξ`` (n×d), the sampled loss is
``L̂ = ‖R‖²/(n d)`` and its gradient ``∇_A L̂ = (2√Δ/(n d √p)) Rᵀ Φ``.

Learning rate in the time unit of docs/theory/model.md: a step of size ``η`` on ``L`` advances
``τ`` by ``2 Δ η/(p d)``; we fix the step ``δτ`` in ``τ`` units, i.e. ``η = δτ p d/(2Δ)``, so

    ``A ← A − δτ (√p/(n √Δ)) Rᵀ Φ``,

whose expectation is ``A ← A − δτ (A U + √(p/Δ) Vᵀ)`` — discrete gradient descent on the exact
loss, solved in closed form by :func:`classdyn.simulate.dynamics.relax_factors` with ``step = δτ``.

The losses tracked at log-spaced steps are the exact expectations ``E_train(A)``, ``E_c(A)`` of
docs/theory/model.md at the current ``A`` (no evaluation noise; :func:`classdyn.simulate.dynamics.losses_at`).
The only randomness is that of the training noise; curves are averaged over ``seeds``.
Smoothing: the reported curve is the plain mean over seeds (no smoothing in ``τ``); the
standard error over seeds is reported beside it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from classdyn.simulate.data import as_generator
from classdyn.simulate.dynamics import losses_at
from classdyn.theory.params import activation_function, check_time, delta_t


@dataclass
class TrainRun:
    """One seed of explicit GD: exact losses at checkpoint ``steps`` (τ = steps · step).

    Returned by :meth:`GDTrainer.run`; averaged over seeds by :class:`TrainResult`.

    Parameters
    ----------
    seed : int
        Seed of the training noise.
    steps : numpy.ndarray of int, shape (K,)
        Checkpoint step counts.
    train : numpy.ndarray, shape (K,)
        Training loss ``E_train(A)`` at each checkpoint.
    test : numpy.ndarray, shape (C, K)
        Class test losses ``E_c(A)`` at each checkpoint.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import TrainRun
    >>> run = TrainRun(seed=0, steps=np.array([0, 1]), train=np.array([1.0, 0.8]),
    ...                test=np.ones((2, 2)))
    >>> sorted(run.to_dict())
    ['seed', 'steps', 'test', 'train']
    """

    seed: int
    steps: np.ndarray
    train: np.ndarray  # (K,)
    test: np.ndarray  # (C, K)

    def to_dict(self) -> dict:
        return {"seed": self.seed, "steps": self.steps, "train": self.train, "test": self.test}


@dataclass
class TrainResult:
    """Explicit GD averaged over seeds; ``tau`` in docs/theory/model.md units (``τ = step · k``).

    ``train``/``test`` are means over seeds, ``train_se``/``test_se`` their standard errors
    (std over seeds / √S, zero for one seed); ``runs`` the per-seed curves. Build it with
    :meth:`from_runs` (or :func:`train_gd`).

    Parameters
    ----------
    tau : numpy.ndarray, shape (K,)
        Training times of the checkpoints (dimensionless; a mode of eigenvalue λ of U relaxes
        as ``exp(−λ τ)``).
    steps : numpy.ndarray of int, shape (K,)
        Checkpoint step counts.
    step : float
        The GD step ``δτ`` in τ units.
    train : numpy.ndarray, shape (K,)
        Mean training loss over seeds.
    test : numpy.ndarray, shape (C, K)
        Mean class test losses over seeds.
    train_se : numpy.ndarray, shape (K,)
        Standard error of ``train``.
    test_se : numpy.ndarray, shape (C, K)
        Standard error of ``test``.
    runs : list of TrainRun
        The per-seed runs.
    smoothing : str, optional
        How the curve was formed (default: mean over seeds, no smoothing in τ).

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import TrainResult, TrainRun
    >>> runs = [TrainRun(seed=s, steps=np.array([0, 1]), train=np.array([1.0, tr]),
    ...                  test=np.ones((2, 2))) for s, tr in ((0, 0.8), (1, 0.6))]
    >>> res = TrainResult.from_runs(runs, step=0.5)
    >>> res.tau, np.round(res.train, 6), np.round(res.train_se, 6)  # se = std/√2
    (array([0. , 0.5]), array([1. , 0.7]), array([0. , 0.1]))
    """

    tau: np.ndarray
    steps: np.ndarray
    step: float
    train: np.ndarray
    test: np.ndarray
    train_se: np.ndarray
    test_se: np.ndarray
    runs: list[TrainRun]
    smoothing: str = "mean over seeds, no smoothing in tau"

    def to_dict(self) -> dict:
        return {"tau": self.tau, "steps": self.steps, "step": self.step, "train": self.train,
                "test": self.test, "train_se": self.train_se, "test_se": self.test_se,
                "seeds": [r.seed for r in self.runs], "smoothing": self.smoothing,
                "tau_unit": "docs/theory/model.md: a mode of eigenvalue λ of U relaxes as exp(-λ τ)"}

    @classmethod
    def from_runs(cls, runs: list[TrainRun], step: float) -> "TrainResult":
        if not runs:
            raise ValueError("runs must hold at least one seed's run")
        tr = np.stack([r.train for r in runs])
        te = np.stack([r.test for r in runs])
        S = len(runs)
        se = (lambda a: a.std(axis=0, ddof=1) / math.sqrt(S)) if S > 1 else \
            (lambda a: np.zeros(a.shape[1:]))
        steps = runs[0].steps
        return cls(tau=steps * step, steps=steps, step=step, train=tr.mean(0), test=te.mean(0),
                   train_se=se(tr), test_se=se(te), runs=runs)


def checkpoint_steps(step: float, tau_max: float, num: int = 40, tau_min: float | None = None
                     ) -> np.ndarray:
    """Log-spaced distinct integer step counts from ``τ_min/δτ`` (default 1 step) to ``τ_max/δτ``, plus step 0.

    Parameters
    ----------
    step : float
        GD step ``δτ`` in training-time units (docs/theory/model.md), finite and > 0.
    tau_max : float
        Last training time (dimensionless), at least one step.
    num : int, optional
        Number of log-spaced points before rounding and removing duplicates (default 40).
    tau_min : float or None, optional
        First non-zero training time (default: one step).

    Returns
    -------
    numpy.ndarray of int64
        ``0`` followed by strictly increasing step counts, the last ``round(tau_max/step)``.

    Raises
    ------
    ValueError
        If ``step`` or ``tau_max`` is not a finite number > 0, or ``tau_max`` is shorter than
        one step.

    Examples
    --------
    >>> from classdyn.simulate import checkpoint_steps
    >>> checkpoint_steps(0.1, 10.0, num=5)
    array([  0,   1,   3,  10,  32, 100])
    """
    for name, v in (("step", step), ("tau_max", tau_max)):
        if not (isinstance(v, (int, float, np.floating)) and math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {v!r}")
    kmax = int(round(tau_max / step))
    if kmax < 1:
        raise ValueError(f"tau_max = {tau_max} is shorter than one step ({step})")
    kmin = 1 if tau_min is None else max(1, int(round(tau_min / step)))
    ks = np.unique(np.round(np.geomspace(kmin, kmax, int(num))).astype(np.int64))
    return np.concatenate([[0], ks])


class GDTrainer:
    r"""Full-batch GD with fresh diffusion noise (module docstring), preallocated buffers.

    ``W`` p×d, ``X`` n×d (rows = samples), diffusion time ``t``, step ``δτ``
    (docs/theory/model.md). One step (:meth:`gd_step`) is

    .. math::

        A \leftarrow A - \delta\tau\, \frac{\sqrt p}{n \sqrt\Delta}\, R^\top \Phi,
        \qquad R = \sqrt\Delta\, \Phi A^\top/\sqrt p + \Xi,
        \quad \Phi = \sigma(X_t W^\top/\sqrt d),

    with fresh noise ``Ξ`` and ``X_t = e^{−t} X + √Δ Ξ``; in expectation
    ``A ← A − δτ (A U + √(p/Δ) Vᵀ)``. :meth:`run` trains from ``A = 0`` and records the exact
    losses at checkpoints.

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    X : array_like, shape (n, d)
        Training samples as rows.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    step : float
        GD step ``δτ`` in training-time units (a mode of eigenvalue λ of U relaxes as
        ``exp(−λ τ)``), finite and > 0.
    activation : str, optional
        ``tanh`` (default), ``erf``, ``relu`` or ``linear``.
    dtype : numpy dtype, optional
        Floating type of the buffers (default ``numpy.float64``).

    Raises
    ------
    ValueError
        For ``t ≤ 0``, mismatched ``W``/``X`` shapes, a bad ``step`` or an unknown activation.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import draw_system
    >>> W, data, fs = draw_system(Mixture(variances=(1.0, 2.0)), d=10, t=0.5, seed=0)
    >>> from classdyn.simulate import GDTrainer
    >>> trainer = GDTrainer(W, data.X, t=0.5, step=0.1)
    >>> run = trainer.run(np.array([0, 1, 10]), 0, fs.U, fs.V, fs.Uc, fs.Vc)
    >>> run.steps, np.round(run.train, 4), run.test.shape  # E = 1 at A = 0
    (array([ 0,  1, 10]), array([1.    , 0.9427, 0.6913]), (2, 3))
    """

    def __init__(self, W: np.ndarray, X: np.ndarray, t: float, step: float,
                 activation: str = "tanh", dtype=np.float64):
        t = check_time(t)
        W = np.asarray(W, dtype)
        X = np.asarray(X, dtype)
        if W.ndim != 2 or X.ndim != 2 or X.shape[1] != W.shape[1]:
            raise ValueError(f"W must be p×d and X n×d with the same d; got W {W.shape}, "
                             f"X {X.shape}")
        if not (isinstance(step, (int, float, np.floating)) and math.isfinite(step)
                and step > 0):
            raise ValueError(f"step must be a finite number > 0 (tau units), got {step!r}")
        self.p, self.d = W.shape
        self.n = X.shape[0]
        self.t, self.step = t, float(step)
        self.D = delta_t(t)
        self.sqD = math.sqrt(self.D)
        self.sigma = activation_function(activation)
        self.activation = activation
        self.WT = np.ascontiguousarray(W.T / math.sqrt(self.d))  # d×p
        self.eXW = math.exp(-t) * (X @ self.WT)  # n×p, fixed data part of pre-activations
        self.H = np.empty((self.n, self.p), dtype)
        self.R = np.empty((self.n, self.d), dtype)
        self.G = np.empty((self.d, self.p), dtype)
        self.dtype = dtype
        self.coef_out = self.sqD / math.sqrt(self.p)
        self.coef_step = self.step * math.sqrt(self.p) / (self.n * self.sqD)

    def gd_step(self, A: np.ndarray, rng: np.random.Generator) -> None:
        """One step in place: ``A ← A − δτ (√p/(n√Δ)) Rᵀ Φ`` with fresh noise ``Ξ``.

        Matrix products: ``Ξ (Wᵀ/√d)`` (n·d·p), ``Φ Aᵀ`` (n·p·d), ``Rᵀ Φ`` (d·n·p).
        """
        Z = rng.standard_normal((self.n, self.d), dtype=self.dtype)
        H, R, G = self.H, self.R, self.G
        np.matmul(Z, self.WT, out=H)
        H *= self.sqD
        H += self.eXW
        if self.activation == "tanh":
            np.tanh(H, out=H)
        else:
            H[...] = self.sigma(H)
        np.matmul(H, A.T, out=R)
        R *= self.coef_out
        R += Z
        np.matmul(R.T, H, out=G)
        G *= self.coef_step
        A -= G

    def run(self, steps: np.ndarray, seed: int, U, V, Uc, Vc, progress=None) -> TrainRun:
        """Train from ``A = 0`` with noise seed ``seed``; exact losses at checkpoint ``steps``."""
        rng = as_generator(seed)
        steps = np.asarray(steps, np.int64)
        if steps.ndim != 1 or np.any(np.diff(steps) <= 0) or steps[0] < 0:
            raise ValueError("steps must be strictly increasing integers >= 0")
        from classdyn._threads import blas_threads

        with blas_threads(1, enabled=self.p <= 1000):
            return self._run(steps, seed, rng, U, V, Uc, Vc, progress)

    def _run(self, steps, seed, rng, U, V, Uc, Vc, progress):
        A = np.zeros((self.d, self.p), self.dtype)
        train = np.empty(steps.size)
        test = np.empty((len(Uc), steps.size))
        k = 0
        for i, target in enumerate(steps):
            while k < target:
                self.gd_step(A, rng)
                k += 1
            if not np.all(np.isfinite(A[:, :1])):
                raise FloatingPointError(f"GD diverged before step {target} (step = "
                                         f"{self.step:g} too large for lambda_max of U?)")
            train[i], test[:, i] = losses_at(A, U, V, Uc, Vc, self.t)
            if progress is not None:
                progress(i)
        return TrainRun(seed=int(seed), steps=steps, train=train, test=test)


def train_gd(W, X, U, V, Uc, Vc, t: float, step: float, tau_max: float, seeds=(0,),
             activation: str = "tanh", num_checkpoints: int = 40, tau_min: float | None = None,
             lam_max: float | None = None) -> TrainResult:
    """Explicit GD with fresh noise averaged over ``seeds`` (module docstring).

    Each seed trains from ``A = 0`` with :class:`GDTrainer`; exact losses are recorded at
    :func:`checkpoint_steps` and averaged (:meth:`TrainResult.from_runs`). In expectation this is
    discrete GD on the exact loss, whose curves :func:`~classdyn.simulate.dynamics.semi_analytic_curves`
    gives with ``step=δτ``; the fresh noise adds :func:`gd_noise_excess` (docs/theory/model.md).

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    X : array_like, shape (n, d)
        Training samples as rows.
    U : array_like, shape (p, p)
        Training feature covariance (for the losses and ``λ_max``).
    V : array_like, shape (p, d)
        Training feature–noise correlation.
    Uc : array_like, shape (C, p, p)
        Population class matrices.
    Vc : array_like, shape (C, p, d)
        Population class matrices.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    step : float
        GD step ``δτ`` in training-time units (a mode of eigenvalue λ of U relaxes as
        ``exp(−λ τ)``).
    tau_max : float
        Last training time (dimensionless).
    seeds : sequence of int, optional
        Seeds of the training noise (default ``(0,)``).
    activation : str, optional
        ``tanh`` (default), ``erf``, ``relu`` or ``linear``.
    num_checkpoints : int, optional
        Log-spaced checkpoints (default 40).
    tau_min : float or None, optional
        First non-zero checkpoint time (default one step).
    lam_max : float or None, optional
        Largest eigenvalue of ``U``, computed if omitted; guards stability:
        ``step · λ_max < 1`` is required.

    Returns
    -------
    TrainResult
        Mean curves over seeds, their standard errors and the per-seed runs.

    Raises
    ------
    ValueError
        If ``step · λ_max ≥ 1``, ``seeds`` is empty, or as :class:`GDTrainer` and
        :func:`checkpoint_steps`.
    FloatingPointError
        If GD diverges.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import draw_system
    >>> W, data, fs = draw_system(Mixture(variances=(1.0, 2.0)), d=10, t=0.5, seed=0)
    >>> from classdyn.simulate import train_gd
    >>> res = train_gd(W, data.X, fs.U, fs.V, fs.Uc, fs.Vc, 0.5, 0.1, tau_max=2.0, seeds=(0, 1),
    ...                num_checkpoints=5)
    >>> res.steps, res.tau
    (array([ 0,  1,  2,  4,  9, 20]), array([0. , 0.1, 0.2, 0.4, 0.9, 2. ]))
    >>> np.round(res.train, 4), res.test.shape, len(res.runs)
    (array([1.    , 0.9509, 0.8895, 0.8139, 0.6879, 0.5772]), (2, 6), 2)
    >>> train_gd(W, data.X, fs.U, fs.V, fs.Uc, fs.Vc, 0.5, 1.0, tau_max=2.0)
    Traceback (most recent call last):
        ...
    ValueError: step = 1 too large: need step * lambda_max(U) < 1 with lambda_max = 2.12 (step < 0.4716)
    """
    if lam_max is None:
        from scipy.linalg import eigh

        lam_max = float(eigh(U, eigvals_only=True, subset_by_index=[U.shape[0] - 1] * 2)[0])
    if step * lam_max >= 1:
        raise ValueError(f"step = {step:g} too large: need step * lambda_max(U) < 1 with "
                         f"lambda_max = {lam_max:.4g} (step < {1 / lam_max:.4g})")
    if len(seeds) == 0:
        raise ValueError("seeds must hold at least one seed")
    trainer = GDTrainer(W, X, t, step, activation)
    steps = checkpoint_steps(step, tau_max, num_checkpoints, tau_min)
    runs = [trainer.run(steps, s, U, V, Uc, Vc) for s in seeds]
    return TrainResult.from_runs(runs, step)


def expected_gd(U, V, t: float, step: float, steps: np.ndarray) -> list[np.ndarray]:
    r"""Noise-free GD ``A ← A − δτ (A U + √(p/Δ) Vᵀ)`` from ``A = 0``, at the given step counts.

    The mean of the fresh-noise step (module docstring); closed form in
    :func:`classdyn.simulate.dynamics.relax_factors` with ``step = δτ``:

    .. math::

        A_K = -\sqrt{p/\Delta}\; \tilde V^\top \mathrm{diag}(g_k) Q^\top, \qquad
        g_k = \frac{1 - (1 - \lambda_k \delta\tau)^K}{\lambda_k}

    (docs/theory/model.md). Used to check the time unit.

    Parameters
    ----------
    U : array_like, shape (p, p)
        Training feature covariance.
    V : array_like, shape (p, d)
        Training feature–noise correlation.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    step : float
        GD step ``δτ`` in training-time units.
    steps : array_like of int
        Increasing step counts at which ``A`` is recorded.

    Returns
    -------
    list of numpy.ndarray
        ``A`` (d×p) at each of ``steps``.

    Raises
    ------
    ValueError
        If ``t`` is not a finite number > 0.

    Examples
    --------
    Agrees with the closed form at ``τ = K δτ``:

    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import draw_system
    >>> W, data, fs = draw_system(Mixture(variances=(1.0, 2.0)), d=10, t=0.5, seed=0)
    >>> import math
    >>> from classdyn.simulate import eigenbasis, expected_gd, relax_factors
    >>> As = expected_gd(fs.U, fs.V, 0.5, 0.1, [0, 5, 50])
    >>> eb = eigenbasis(fs.U, fs.V)
    >>> G = relax_factors(eb.lam, np.array([0.0, 0.5, 5.0]), step=0.1)
    >>> c = math.sqrt(20 / (1 - math.exp(-1.0)))
    >>> [bool(np.allclose(A, -c * (eb.Vt.T * g) @ eb.Q.T)) for A, g in zip(As, G)]
    [True, True, True]
    """
    U = np.asarray(U, float)
    V = np.asarray(V, float)
    p, d = V.shape
    c = math.sqrt(p / delta_t(t))
    A = np.zeros((d, p))
    out, k = [], 0
    for target in np.asarray(steps, np.int64):
        while k < target:
            A -= step * (A @ U + c * V.T)
            k += 1
        out.append(A.copy())
    return out


def gd_noise_excess(lam: np.ndarray, diag_Uc: np.ndarray, steps: np.ndarray, step: float,
                    n: int, loss: np.ndarray) -> np.ndarray:
    r"""Expected excess of a class loss caused by the fresh training noise (leading order).

    Derivation. Write ``A_k = Ā_k + δA_k`` with ``Ā_k`` the noise-free GD. The step noise of row
    ``i`` is ``δτ (√p/(n√Δ)) Σ_ν (r_{νi} φ_ν − E[·])`` with residual ``r = √Δ Aφ/√p + ξ``.
    Treating the residual entries as independent of ``φ`` with variance ``L`` (the current train
    loss per coordinate) gives the covariance ``δτ² (p L/(n Δ)) U`` per row and step. In the
    eigenbasis of ``U`` the mode ``k`` of ``δA`` is an AR(1) process
    ``x' = (1 − δτ λ_k) x + ε``, ``Var ε = δτ² (p L/(nΔ)) λ_k``, so after ``K`` steps
    ``Var x = δτ² (p L/(nΔ)) λ_k (1 − (1 − δτλ_k)^{2K}) / (1 − (1 − δτλ_k)²)``
    (``→ δτ p L/(2nΔ)``: equipartition). The loss is quadratic in ``A``, so its mean excess is
    ``(Δ/(p d)) E tr(δA U_c δAᵀ) = (Δ/p) Σ_k Var x_k (Ũ_c)_kk`` (``d`` identical rows), i.e.

    .. math::

        \Delta E_c(K) = \frac{L\, \delta\tau^2}{n} \sum_k (\tilde U_c)_{kk}\, \lambda_k\,
            \frac{1 - (1 - \delta\tau \lambda_k)^{2K}}{1 - (1 - \delta\tau \lambda_k)^2}.

    It scales as ``δτ/n``. Measured against 4-seed GD (tanh and linear, d = 40-60): right to
    ~30 % (the independence of ``r`` and ``φ`` is the approximation). See
    docs/theory/model.md for the training-time unit.

    Parameters
    ----------
    lam : array_like, shape (p,)
        Eigenvalues ``λ_k`` of ``U`` (dimensionless).
    diag_Uc : array_like, shape (p,)
        ``diag(Qᵀ U_c Q)`` (``= λ`` for the train loss).
    steps : array_like, shape (K,)
        Step counts.
    step : float
        GD step ``δτ`` in training-time units.
    n : int
        Number of training samples.
    loss : array_like, shape (K,)
        The train loss along the run.

    Returns
    -------
    numpy.ndarray, shape (K,)
        ``ΔE_c`` at each step count.

    Examples
    --------
    After one step the excess is ``L δτ² λ (Ũ_c)_kk / n`` (here ``0.1²/10``):

    >>> import numpy as np
    >>> from classdyn.simulate import gd_noise_excess
    >>> ex = gd_noise_excess(np.array([1.0]), np.array([1.0]), np.array([0, 1]), 0.1, 10,
    ...                      np.array([1.0, 1.0]))
    >>> np.round(ex, 6)
    array([0.   , 0.001])
    """
    lam = np.asarray(lam, float)
    steps = np.asarray(steps, float)
    r = 1.0 - step * lam
    den = 1.0 - r * r
    ok = den > 1e-300
    frac = np.zeros((steps.size, lam.size))
    frac[:, ok] = lam[ok] * (1.0 - r[ok][None, :] ** (2 * steps[:, None])) / den[ok]
    return np.asarray(loss, float) * step**2 / n * (frac @ np.asarray(diag_Uc, float))
