"""Exact and Gaussian-equivalent feature matrices of the random-features score model.

The single builders of ``U``, ``V``, ``U_c``, ``V_c``; :mod:`classdyn.simulate.systems` draws a
system, routes to them (or to the closed forms of the linear activation) and returns a
:class:`classdyn.simulate.systems.FeatureSet`. Activations: the registry of
:mod:`classdyn.theory.params` (``check_activation``); Gaussian quadrature (Owen's T,
Gauss–Legendre): :mod:`classdyn.theory.quadrature`.

Conventions: ``W`` is p×d (i.i.d. N(0,1) rows ``w_i``), samples ``X`` are n×d rows (as
:func:`classdyn.simulate.data.sample_mixture` returns them), ``t > 0`` the diffusion time,
``K = W Wᵀ/d``, ``u_i^ν = e^{−t} w_i·x^ν/√d`` the data part of the pre-activation and
``Δ = 1 − e^{−2t}``. ``φ(x) = σ(W x/√d)``.

Exact matrices (docs/theory/model.md, §4), no Monte Carlo:

* ``U = (1/n) Σ_ν E_ξ[φ(x_t^ν) φ(x_t^ν)ᵀ]`` by the Mehler series: given ``x^ν`` the pair
  ``(h_i, h_j)`` is Gaussian with means ``(u_i, u_j)``, variances ``γ_i² = Δ K_ii`` and covariance
  ``Δ K_ij``, so for ``i ≠ j``

  ``U_ij = Σ_{k≥0} (Δ K_ij)^k / k! · (1/n) Σ_ν F_k^{(i)}(u_i^ν) F_k^{(j)}(u_j^ν)``,
  ``F_k^{(i)}(u) = E_z σ^{(k)}(u + γ_i z)``,

  and ``U_ii = (1/n) Σ_ν E_z σ(u_i^ν + γ_i z)²`` directly.
  *Truncation bound* (rigorous): with ``ζ_k = γ^k F_k/√k!`` the normalised Hermite coefficients
  of ``σ(u + γ z)`` (Parseval: ``Σ_k ζ_k² = E_z σ²``) and ``r = max_{i≠j} |K_ij|/√(K_ii K_jj)``,
  the terms ``k > k_max`` add at most ``r^{k_max+1} max_i τ_i``, ``τ_i = (1/n) Σ_ν (E_z σ² −
  Σ_{k≤k_max} ζ_k²)`` (Cauchy–Schwarz twice). ``k_max`` is raised until this bound is below
  ``tol`` (default 1e−12); the bound is returned in :class:`MehlerInfo`.
* ``V = (1/n) Σ_ν E_ξ[φ(x_t^ν) ξᵀ] = √Δ · diag((1/n) Σ_ν F_1^{(i)}(u_i^ν)) · W/√d`` by Stein's
  lemma (``E[g(ξ) ξ] = E ∇g``, ``∇_ξ σ(u_i + √Δ w_i·ξ/√d) = σ'(h_i) √Δ w_i/√d``).
* Population class matrices (``x ~ N(μ_c, σ_c² I)``): ``h_i ~ N(m_{c,i}, Γ_c² K_ii)`` with
  covariance ``Γ_c² K_ij``, ``m_{c,i} = e^{−t} w_i·μ_c/√d``, ``Γ_c² = e^{−2t}σ_c² + Δ``: the same
  series with one "sample" ``u = m_c`` and noise scale ``Γ_c²`` in place of ``Δ`` gives
  ``U_c`` exactly (no sampling of class points), and ``V_c = √Δ diag(E σ'(h_i)) W/√d``.

GEP matrices (docs/theory/gaussian-equivalence.md, paper's (9), (50)–(52)), coefficients from
:func:`classdyn.theory.coefficients.class_coefficients`:

* features ``φ^ν ≈ μ0_c + a_c ∘ (u^ν − m_c) + v_c ∘ ω^ν`` (+ noise terms), ``ω^ν ~ N(0, I_p)``;
* ``U_gep = (1/n) Σ_ν g^ν g^νᵀ + Σ_c ρ̂_c (b_c b_cᵀ) ∘ K + diag(Σ_c ρ̂_c s_c²)`` with
  ``g^ν = μ0_c + a_c ∘ (u^ν − m_c) + v_c ∘ ω^ν`` — centred classes: scalar coefficients and
  ``m_c = 0``; extensive centroids: per-neuron coefficient vectors (diagonal matrices) at
  ``m_{c,i}``, and the class means ``μ0_c`` produce the low-rank term ``Σ_c ρ̂_c f̄_c f̄_cᵀ``;
* ``V_gep = Σ_c ρ̂_c diag(b_c) W/√d``;
* ``U_c^gep = μ0_c μ0_cᵀ + Γ_c² (a_c a_cᵀ) ∘ K + diag(v_c² + s_c²)``, ``V_c^gep = diag(b_c) W/√d``
  (the population Mehler series truncated after ``k = 1``, with the exact diagonal).

With ``σ`` linear the GEP is exact (``a = 1``, ``b = √Δ``, ``v = s = 0``).

Measured (tanh, t = 0.1, variances 1 and 2, ψ_p = 2, ψ_n = 1, d = 500; tests/simulate): the GEP
moments ``tr U^k/p`` differ from the exact ones by 0.03–0.2 %, 0.24–0.57 %, 0.5–1.0 %,
0.7–1.3 % for k = 1..4 (two GEP draws differ by 0.1–0.2 %); the mismatch sits at the top edge
(largest eigenvalue 0.5 % apart) and around ``s̄²`` where the exact U spreads its eigenvalues
(docs/theory/gaussian-equivalence.md), so a KS distance reads 0.09 though the quantiles from the 10th percentile up
agree to ~0.5 %. Extensive centroids (‖μ_c‖² = d, cosine 0.5, d = 300, t = 0.3 and 1): top
eigenvalues (outliers) 0.1–0.5 % apart, bulk moments 0.2–1.4 % (docs/theory/extensive.md reports the same).
Exact U cost at d = 500 (p = 1000, n = 500, tanh): k_max = 8 orders, 9-10 s measured on the
shared 2-core machine under load (load average ~7); erf 3 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from classdyn.theory.params import Mixture, check_activation, check_positive, check_time, delta_t
from classdyn.theory.quadrature import gauss_legendre, owens_t_segment

#: default bound on the truncation error of the Mehler series (absolute, on entries of U)
MEHLER_TOL = 1e-12
#: default memory budget (MiB) of the exact builder, beyond its p×p output and K
MEMORY_MB = 512


# ====================================================================== helpers
def _check_W(W) -> np.ndarray:
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 1:
        raise ValueError(f"W must be a p×d matrix, got shape {W.shape}")
    if not np.all(np.isfinite(W)):
        raise ValueError("W must be finite")
    return W


def _check_WX(W, X) -> tuple[np.ndarray, np.ndarray]:
    W = _check_W(W)
    X = np.asarray(X, dtype=float)
    if X.ndim != 2 or X.shape[1] != W.shape[1] or X.shape[0] < 1:
        raise ValueError(f"X must be n×d with d = {W.shape[1]} (rows are samples), got shape "
                         f"{X.shape}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X must be finite")
    return W, X


def _check_labels(labels, n: int, C: int | None = None) -> np.ndarray:
    lab = np.asarray(labels)
    if lab.shape != (n,) or not np.issubdtype(lab.dtype, np.integer) or lab.min() < 0:
        raise ValueError(f"labels must be n = {n} integers >= 0, got shape {lab.shape}, "
                         f"dtype {lab.dtype}")
    if C is not None and lab.max() >= C:
        raise ValueError(f"labels must lie in 0..{C - 1} (one per class of the coefficients), "
                         f"got max {lab.max()}")
    return lab


# ====================================================================== smoothed derivatives
def _tanh_Q_polys(kmax: int) -> np.ndarray:
    """Coefficients (in powers of T = tanh x) of Q_k with σ^{(k)} = (1 − T²) Q_k(T), k ≥ 1.

    ``Q_1 = 1``, ``Q_{k+1} = −2T Q_k + (1 − T²) Q_k'`` (from ``d/dx = (1 − T²) d/dT``).
    Row k holds Q_k (degree k−1); row 0 is unused. Exact integer arithmetic, then float.
    """
    rows = [[0], [1]]
    for k in range(1, kmax):
        q = rows[k]
        dq = [i * q[i] for i in range(1, len(q))]
        new = [0] * (len(q) + 1)
        for i, c in enumerate(q):
            new[i + 1] += -2 * c
        for i, c in enumerate(dq):
            new[i] += c
            new[i + 2] -= c
        while len(new) > 1 and new[-1] == 0:
            new.pop()
        rows.append(new)
    out = np.zeros((kmax + 1, kmax + 1))
    for k in range(1, kmax + 1):
        out[k, :len(rows[k])] = [float(c) for c in rows[k]]
    return out


def _derivative_rule(gamma_max: float, kmax: int) -> tuple[np.ndarray, np.ndarray]:
    """Trapezoidal rule in ``z`` for ``E_z σ^{(k)}(u + γ z)``, σ = tanh, k ≤ kmax.

    Poles of tanh at ``Im = ±π/2``; near ``Y`` (distance ``π/2 − Y`` from a pole)
    ``|σ^{(k)}| ≲ k!/(π/2 − Y)^{k+1}``, so the step (in ``u`` units) is the largest
    ``h = 2πY / (38 + Y²/(2γ²) + ln k! − (k+1) ln(π/2 − Y))`` over ``Y ∈ (0, π/2)`` (error
    ``≲ e^{−38}`` relative), capped by the Gaussian bound ``0.72 γ``.
    """
    g = max(gamma_max, 1e-8)
    Y = np.linspace(0.01, 0.99, 99) * (math.pi / 2)
    budget = 38.0 + Y ** 2 / (2 * g * g) + math.lgamma(kmax + 1) - (kmax + 1) * np.log(
        math.pi / 2 - Y)
    h = float(np.max(2 * math.pi * Y / budget))
    h = min(h, math.pi * math.sqrt(2.0) * g / math.sqrt(38.0)) / g
    J = int(math.floor(8.5 / h))
    z = h * np.arange(-J, J + 1, dtype=float)
    w = h * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    return z, w


@njit(cache=True)
def _tanh_F_kernel(u, gam, k0, k1, Q, zn, zw, F, E2, want_e2):
    """``F[k−k0, i, ν] = E_z tanh^{(k)}(u[i,ν] + γ_i z)`` for k0 ≤ k < k1; ``E2 = E_z tanh²``."""
    p, n = u.shape
    nk = k1 - k0
    acc = np.empty(nk)
    for i in range(p):
        g = gam[i]
        for nu in range(n):
            for kk in range(nk):
                acc[kk] = 0.0
            e2 = 0.0
            for j in range(zn.shape[0]):
                x = u[i, nu] + g * zn[j]
                # one exponential: e = e^{-2|x|}, tanh = ±(1 − e)/(1 + e), sech² = 4e/(1 + e)²
                e = math.exp(-2.0 * abs(x))
                ope = 1.0 + e
                T = (1.0 - e) / ope
                if x < 0.0:
                    T = -T
                sech2 = 4.0 * e / (ope * ope)
                w = zw[j]
                if want_e2:
                    e2 += w * T * T
                for kk in range(nk):
                    k = k0 + kk
                    if k == 0:
                        acc[kk] += w * T
                    else:
                        val = 0.0
                        for c in range(k - 1, -1, -1):
                            val = val * T + Q[k, c]
                        acc[kk] += w * sech2 * val
            for kk in range(nk):
                F[kk, i, nu] = acc[kk]
            if want_e2:
                E2[i, nu] = e2


@njit(cache=True)
def _erf_E2_kernel(u, gam, glx, glw, out):
    """``E_z erf(u + γ z)² = 1 − 8 T(√2 u/√β, 1/√(1 + 4γ²))``, ``β = 1 + 2γ²`` (Owen's T)."""
    p, n = u.shape
    for i in range(p):
        g2 = gam[i] * gam[i]
        beta = 1.0 + 2.0 * g2
        al = 1.0 / math.sqrt(1.0 + 4.0 * g2)
        for nu in range(n):
            k = math.sqrt(2.0) * u[i, nu] / math.sqrt(beta)
            out[i, nu] = 1.0 - 8.0 * owens_t_segment(k, 0.0, al, glx, glw)


def _hermite(lo: int, hi: int, x: np.ndarray, physicists: bool) -> dict[int, np.ndarray]:
    """Hermite polynomials ``H_k(x)`` (physicists') or ``He_k(x)`` for ``lo ≤ k < hi`` only,
    by the three-term recurrence keeping two previous terms (memory: the kept ones + 2)."""
    out = {}
    prev, cur = np.ones_like(x), (2 * x if physicists else x.copy())
    if 0 >= lo and 0 < hi:
        out[0] = prev
    for k in range(1, max(hi, 1)):
        if k >= lo:
            out[k] = cur
        nxt = (2 * x * cur - 2 * k * prev) if physicists else (x * cur - k * prev)
        prev, cur = cur, nxt
    return out


def smoothed_derivatives(activation: str, u: np.ndarray, gamma: np.ndarray, k0: int, k1: int,
                         want_e2: bool = False):
    r"""``F_k(u) = E_z σ^{(k)}(u + γ z)`` for ``k0 ≤ k < k1`` (docs/theory/gaussian-equivalence.md), and ``E_z σ²``.

    .. math::

        F_k(u) = \mathbb{E}_{z \sim \mathcal{N}(0,1)}\, \sigma^{(k)}(u + \gamma z),
        \qquad E_2(u) = \mathbb{E}_z\, \sigma(u + \gamma z)^2 .

    Closed forms:

    * erf (σ = erf x): ``F_0 = erf(u/√β)``, ``F_k = (2/√π) β^{−k/2} (−1)^{k−1} H_{k−1}(u/√β)
      e^{−u²/β}`` (k ≥ 1; ``β = 1 + 2γ²``, H physicists' Hermite); ``E σ²`` by 48-point
      Gauss–Legendre quadrature;
    * relu: ``F_0 = u Φ(u/γ) + γ φ(u/γ)``, ``F_1 = Φ(u/γ)``,
      ``F_k = γ^{−(k−1)} (−1)^{k−2} He_{k−2}(u/γ) φ(u/γ)`` (k ≥ 2); ``E σ² = (u² + γ²)Φ + uγφ``;
    * linear: ``F_0 = u``, ``F_1 = 1``, ``F_k = 0``; ``E σ² = u² + γ²``;
    * tanh: trapezoidal quadrature of ``σ^{(k)} = (1 − T²) Q_k(T)`` (:func:`_tanh_Q_polys`).

    Parameters
    ----------
    activation : str
        ``"tanh"``, ``"erf"``, ``"relu"`` or ``"linear"`` (not validated here: callers check it).
    u : numpy.ndarray, shape (p, n)
        Means of the pre-activations (dimensionless).
    gamma : numpy.ndarray, shape (p,)
        Per-row noise standard deviation ``γ`` (> 0; relu divides by it).
    k0, k1 : int
        Orders ``k0 ≤ k < k1`` of the derivatives.
    want_e2 : bool, optional
        Also return ``E_z σ²`` (default False).

    Returns
    -------
    F : numpy.ndarray, shape (k1 − k0, p, n)
        ``F[k − k0] = F_k(u)``.
    E2 : numpy.ndarray of shape (p, n), or None
        ``E_z σ(u + γ z)²`` when ``want_e2``, else ``None``.

    Examples
    --------
    ReLU at ``u = 0``: ``F_0 = γ φ(0)``, ``F_1 = 1/2``, ``F_2 = φ(0)/γ``, ``E σ² = γ²/2``:

    >>> import numpy as np
    >>> from classdyn.simulate import smoothed_derivatives
    >>> F, E2 = smoothed_derivatives("relu", np.array([[0.0]]), np.array([0.5]), 0, 3,
    ...                              want_e2=True)
    >>> F.shape, np.round(F[:, 0, 0], 6), round(float(E2[0, 0]), 6)
    ((3, 1, 1), array([0.199471, 0.5     , 0.797885]), 0.125)

    Linear: ``F_0 = u``, ``F_1 = 1``, ``F_2 = 0``:

    >>> F, E2 = smoothed_derivatives("linear", np.array([[0.0, 1.0]]), np.array([0.5]), 0, 3)
    >>> F[:, 0, :].tolist(), E2 is None
    ([[0.0, 1.0], [1.0, 1.0], [0.0, 0.0]], True)
    """
    from scipy.special import erf, ndtr

    u = np.ascontiguousarray(u, dtype=float)
    gam = np.ascontiguousarray(gamma, dtype=float)
    p, n = u.shape
    G = gam[:, None]
    nk = k1 - k0
    F = np.empty((nk, p, n))
    E2 = None
    if activation == "tanh":
        Q = _tanh_Q_polys(max(k1, 2))
        zn, zw = _derivative_rule(float(gam.max()), max(k1 - 1, 0))
        E2 = np.empty((p, n)) if want_e2 else np.empty((1, 1))
        _tanh_F_kernel(u, gam, k0, k1, Q, zn, zw, F, E2, want_e2)
        return F, (E2 if want_e2 else None)
    if activation == "erf":
        beta = 1.0 + 2.0 * G ** 2
        y = u / np.sqrt(beta)
        H = _hermite(max(k0 - 1, 0), max(k1 - 1, 1), y, physicists=True)
        gauss = 2.0 / math.sqrt(math.pi) * np.exp(-y * y)
        for kk in range(nk):
            k = k0 + kk
            if k == 0:
                F[kk] = erf(y)
            else:
                F[kk] = gauss * beta ** (-k / 2.0) * (-1.0) ** (k - 1) * H[k - 1]
        if want_e2:
            glx, glw = gauss_legendre(48)
            E2 = np.empty((p, n))
            _erf_E2_kernel(u, gam, glx, glw, E2)
        return F, E2
    if activation == "relu":
        y = u / G
        Phi = ndtr(y)
        phi = np.exp(-0.5 * y * y) / math.sqrt(2 * math.pi)
        He = _hermite(max(k0 - 2, 0), max(k1 - 2, 1), y, physicists=False)
        for kk in range(nk):
            k = k0 + kk
            if k == 0:
                F[kk] = u * Phi + G * phi
            elif k == 1:
                F[kk] = Phi
            else:
                F[kk] = G ** (-(k - 1)) * (-1.0) ** (k - 2) * He[k - 2] * phi
        if want_e2:
            E2 = (u * u + G * G) * Phi + u * G * phi
        return F, E2
    # linear
    for kk in range(nk):
        k = k0 + kk
        F[kk] = u if k == 0 else (np.ones_like(u) if k == 1 else np.zeros_like(u))
    if want_e2:
        E2 = u * u + G * G
    return F, E2


# ====================================================================== Mehler core
@dataclass
class MehlerInfo:
    """How the Mehler series was truncated (returned by :func:`exact_UV`, :func:`exact_U`).

    The neglected orders ``k > kmax`` add at most ``bound`` to any entry of ``U`` (rigorous
    bound, module docstring); ``kmax`` is raised until ``bound ≤ tol``.

    Parameters
    ----------
    kmax : int
        Last order of the series kept.
    ratio : float
        ``r = max_{i≠j} |K_ij|/√(K_ii K_jj)``.
    bound : float
        Bound on the neglected terms (absolute, per entry).
    tol : float
        The bound asked for.
    block : int
        Rows per block of the products.
    k_chunk : int
        Orders held in memory at once.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import exact_U
    >>> rng = np.random.default_rng(0)
    >>> W, X = rng.standard_normal((6, 4)), rng.standard_normal((5, 4))
    >>> U, info = exact_U(W, X, "tanh", 0.5, return_info=True)
    >>> info.kmax, info.bound <= info.tol, sorted(info.to_dict())
    (27, True, ['block', 'bound', 'k_chunk', 'kmax', 'ratio', 'tol'])
    """

    kmax: int
    ratio: float
    bound: float
    tol: float
    block: int
    k_chunk: int

    def to_dict(self) -> dict:
        return dict(kmax=self.kmax, ratio=self.ratio, bound=self.bound, tol=self.tol,
                    block=self.block, k_chunk=self.k_chunk)


def _mehler(activation, u, K, c0, tol, memory_mb, kmax_limit=60, want_F1=False):
    """``Σ_k (c0 K)^{∘k}/k! ∘ (F_k F_kᵀ)/n`` with the exact diagonal (see module docstring).

    ``u`` p×n data parts, ``K`` p×p, noise covariance ``c0 K``. Returns (U, info, mean F_1).
    """
    p, n = u.shape
    diagK = np.diag(K).copy()
    if np.any(diagK <= 0):
        raise ValueError("K = W Wᵀ/d has a zero diagonal entry: a row of W is zero")
    gam = np.sqrt(c0 * diagK)
    sd = np.sqrt(diagK)
    budget = memory_mb * 2 ** 20 / 8.0  # in float64 numbers
    block = int(max(1, min(p, (0.5 * budget) // max(1, 3 * p))))
    r = 0.0
    for b0 in range(0, p, block):  # r = max_{i≠j} |K_ij|/√(K_ii K_jj), row block by row block
        b1 = min(p, b0 + block)
        R = np.abs(K[b0:b1]) / (sd[b0:b1, None] * sd[None, :])
        R[np.arange(b1 - b0), np.arange(b0, b1)] = 0.0
        r = max(r, float(R.max()))
    del R
    if r >= 1.0:
        raise ValueError(f"two rows of W are parallel (|K_ij|/√(K_ii K_jj) = {r:.3g}): the "
                         f"Mehler series does not converge")
    # memory (float64 numbers): U, K are the caller's; orders are held k_chunk at a time, each
    # needing ≤ 2 p×n arrays (F_k and, for erf/ReLU, a Hermite polynomial): ≤ budget/2; row
    # blocks of the products need 3 b p ≤ budget/2; plus 5 p×n arrays (u, E σ², energy, temps).
    k_chunk = int(max(1, min(6, (0.25 * budget) // max(1, p * n))))
    U = np.zeros((p, p))
    energy = np.zeros((p, n))  # Σ_{k ≤ K} ζ_k²
    E2 = None
    F1mean = None
    k = 0
    bound = math.inf
    invn = 1.0 / n
    while True:
        # first 6 orders at once (usually enough), then 3 at a time
        k1 = k + (k_chunk if k == 0 else max(1, min(3, k_chunk)))
        F, E2new = smoothed_derivatives(activation, u, gam, k, k1, want_e2=(k == 0))
        if k == 0:
            E2 = E2new
        for kk in range(k1 - k):
            order = k + kk
            Fk = F[kk]
            if order == 1:
                F1mean = Fk.mean(axis=1)
            # Parseval energy ζ_k² = γ^{2k} F_k² / k!
            energy += (gam[:, None] ** (2 * order)) * Fk * Fk / math.factorial(order)
            for b0 in range(0, p, block):
                b1 = min(p, b0 + block)
                prod = Fk[b0:b1] @ Fk.T
                prod *= invn
                if order > 0:
                    Ck = np.power(c0 * K[b0:b1], order)
                    Ck *= 1.0 / math.factorial(order)
                    prod *= Ck
                U[b0:b1] += prod
            tail = np.maximum(E2 - energy, 0.0).mean(axis=1) + 4e-16 * E2.mean(axis=1)
            bound = r ** (order + 1) * float(tail.max())
            if bound <= tol and order >= 1:
                U[np.diag_indices(p)] = E2.mean(axis=1)
                if F1mean is None:  # pragma: no cover
                    raise RuntimeError("F_1 was not computed")
                info = MehlerInfo(kmax=order, ratio=r, bound=bound, tol=tol, block=block,
                                  k_chunk=k_chunk)
                return U, info, F1mean
            if order >= kmax_limit:
                raise RuntimeError(f"Mehler series: truncation bound {bound:.3g} > tol {tol:g} "
                                   f"after k = {order} (ratio r = {r:.3g}); raise tol")
        k = k1


# ====================================================================== exact builders
def _projections(W, X, t):
    d = W.shape[1]
    return math.exp(-t) * (W @ X.T) / math.sqrt(d), (W @ W.T) / d


def exact_UV(W, X, activation: str, t: float, *, tol: float = MEHLER_TOL,
             memory_mb: float = MEMORY_MB):
    r"""Exact ``U`` (p×p) and ``V`` (p×d) of a training set, and the :class:`MehlerInfo`.

    ``U = (1/n) Σ_ν E_ξ φ(x_t^ν) φ(x_t^ν)ᵀ`` by the Mehler series, ``V = √Δ diag((1/n) Σ_ν
    F_1(u^ν)) W/√d`` by Stein's lemma (module docstring; docs/theory/model.md, §4):

    .. math::

        U_{ij} = \sum_{k \ge 0} \frac{(\Delta K_{ij})^k}{k!}\,
                 \frac1n \sum_\nu F_k^{(i)}(u_i^\nu) F_k^{(j)}(u_j^\nu) \quad (i \ne j),
        \qquad
        V = \sqrt{\Delta}\, \mathrm{diag}\Big(\frac1n \sum_\nu F_1^{(i)}(u_i^\nu)\Big)
            \frac{W}{\sqrt d},

    with ``Δ = 1 − e^{−2t}``, ``K = W Wᵀ/d`` and ``u_i^ν = e^{−t} w_i·x^ν/√d``. Memory: the
    output U (8 p² bytes) and K (8 p² bytes), 5 p×n arrays, plus at most ``memory_mb`` MiB of
    work arrays (orders of the series are held ``k_chunk`` at a time, the products formed in row
    blocks); e.g. p = 4000, n = 2000: 256 MB output + 320 MB + the budget.
    Cost: ``(k_max + 1)`` products of p×n by n×p matrices.

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights (finite).
    X : array_like, shape (n, d)
        Training samples as rows (finite).
    activation : str
        One of the registry of :mod:`classdyn.theory.params` (``tanh``, ``erf``, ``relu``,
        ``linear``).
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    tol : float, optional
        Bound on the truncation error of the series, absolute per entry (default
        :data:`MEHLER_TOL` = 1e-12).
    memory_mb : float, optional
        Budget of work arrays in MiB (default :data:`MEMORY_MB` = 512).

    Returns
    -------
    U : numpy.ndarray, shape (p, p)
        The training feature covariance.
    V : numpy.ndarray, shape (p, d)
        The feature–noise correlation.
    info : MehlerInfo
        How the series was truncated.

    Raises
    ------
    ValueError
        For an unknown activation, ``t ≤ 0``, malformed or non-finite ``W``/``X``, or
        ``tol``/``memory_mb`` not > 0.

    Examples
    --------
    With the linear activation the series stops at ``k = 1`` and gives the closed forms
    ``U = (1/n) Σ_ν u^ν u^νᵀ + Δ K``, ``V = √Δ W/√d``:

    >>> import math
    >>> import numpy as np
    >>> from classdyn.simulate import exact_UV
    >>> rng = np.random.default_rng(0)
    >>> W, X, t = rng.standard_normal((6, 4)), rng.standard_normal((5, 4)), 0.5
    >>> U, V, info = exact_UV(W, X, "linear", t)
    >>> D, u = 1 - math.exp(-2 * t), math.exp(-t) * X @ W.T / 2
    >>> U.shape, V.shape, info.kmax
    ((6, 6), (6, 4), 1)
    >>> np.allclose(U, u.T @ u / 5 + D * W @ W.T / 4), np.allclose(V, math.sqrt(D) * W / 2)
    (True, True)
    """
    check_activation(activation)
    t = check_time(t)
    W, X = _check_WX(W, X)
    if not (tol > 0):
        raise ValueError(f"tol must be > 0, got {tol!r}")
    if not (memory_mb > 0):
        raise ValueError(f"memory_mb must be > 0, got {memory_mb!r}")
    D = delta_t(t)
    u, K = _projections(W, X, t)
    U, info, F1 = _mehler(activation, u, K, D, tol, memory_mb)
    V = math.sqrt(D) * F1[:, None] * W / math.sqrt(W.shape[1])
    return U, V, info


def exact_U(W, X, activation: str, t: float, *, tol: float = MEHLER_TOL,
            memory_mb: float = MEMORY_MB, return_info: bool = False):
    r"""Exact ``U = (1/n) Σ_ν E_ξ[φ(x_t^ν) φ(x_t^ν)ᵀ]`` by the Mehler series (docs/theory/gaussian-equivalence.md).

    .. math::

        U_{ij} = \sum_k \frac{(\Delta K_{ij})^k}{k!}\, \frac1n \sum_\nu
                 F_k^{(i)}(u_i^\nu) F_k^{(j)}(u_j^\nu) \ (i \ne j), \qquad
        U_{ii} = \frac1n \sum_\nu \mathbb{E}_z\, \sigma\big(u_i^\nu + \sqrt{\Delta K_{ii}}\, z\big)^2,

    ``F_k^{(i)}(u) = E_z σ^{(k)}(u + √(ΔK_ii) z)``. The series is summed until the rigorous
    truncation bound (module docstring) is ≤ ``tol``. Same work as :func:`exact_UV`, whose
    ``V`` is dropped.

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    X : array_like, shape (n, d)
        Training samples as rows.
    activation : str
        ``tanh``, ``erf``, ``relu`` or ``linear``.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    tol : float, optional
        Truncation bound, absolute per entry (default :data:`MEHLER_TOL`).
    memory_mb : float, optional
        Work-array budget in MiB (default :data:`MEMORY_MB`).
    return_info : bool, optional
        Also return the :class:`MehlerInfo` (default False).

    Returns
    -------
    U : numpy.ndarray, shape (p, p)
        The training feature covariance (symmetric).
    info : MehlerInfo
        Only with ``return_info=True``.

    Raises
    ------
    ValueError
        As :func:`exact_UV`.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.simulate import exact_U
    >>> rng = np.random.default_rng(0)
    >>> W, X = rng.standard_normal((6, 4)), rng.standard_normal((5, 4))
    >>> U, info = exact_U(W, X, "tanh", 0.5, return_info=True)
    >>> U.shape, np.allclose(U, U.T), bool(np.linalg.eigvalsh(U).min() > 0)
    ((6, 6), True, True)
    >>> info.kmax, info.bound <= 1e-12
    (27, True)
    """
    U, _, info = exact_UV(W, X, activation, t, tol=tol, memory_mb=memory_mb)
    return (U, info) if return_info else U


def exact_V(W, X, activation: str, t: float) -> np.ndarray:
    r"""Exact ``V = (1/n) Σ_ν E_ξ[φ(x_t^ν) ξᵀ]`` by Stein's lemma (docs/theory/gaussian-equivalence.md).

    .. math::

        V = \sqrt{\Delta}\; \mathrm{diag}\Big(\frac1n \sum_\nu F_1^{(i)}(u_i^\nu)\Big)\, \frac{W}{\sqrt d},
        \qquad F_1^{(i)}(u) = \mathbb{E}_z\, \sigma'\big(u + \sqrt{\Delta K_{ii}}\, z\big).

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    X : array_like, shape (n, d)
        Training samples as rows.
    activation : str
        ``tanh``, ``erf``, ``relu`` or ``linear``.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).

    Returns
    -------
    numpy.ndarray, shape (p, d)
        ``V``.

    Raises
    ------
    ValueError
        For an unknown activation, ``t ≤ 0`` or malformed ``W``/``X``.

    Examples
    --------
    Linear activation (``σ' = 1``): ``V = √Δ W/√d``:

    >>> import math
    >>> import numpy as np
    >>> from classdyn.simulate import exact_V
    >>> rng = np.random.default_rng(0)
    >>> W, X, t = rng.standard_normal((6, 4)), rng.standard_normal((5, 4)), 0.5
    >>> np.allclose(exact_V(W, X, "linear", t), math.sqrt(1 - math.exp(-2 * t)) * W / 2)
    True
    """
    check_activation(activation)
    t = check_time(t)
    W, X = _check_WX(W, X)
    D = delta_t(t)
    u, _ = _projections(W, X, t)
    gam = np.sqrt(D * np.einsum("ij,ij->i", W, W) / W.shape[1])
    F, _ = smoothed_derivatives(activation, u, gam, 1, 2)
    return math.sqrt(D) * F[0].mean(axis=1)[:, None] * W / math.sqrt(W.shape[1])


def _check_class(W, centroid, variance):
    W = _check_W(W)
    d = W.shape[1]
    mu = np.zeros(d) if centroid is None else np.asarray(centroid, dtype=float)
    if mu.shape != (d,) or not np.all(np.isfinite(mu)):
        raise ValueError(f"centroid must be a finite vector of length d = {d}, got shape "
                         f"{mu.shape}")
    return W, mu, check_positive(variance, "variance", "class σ_c²")


def exact_U_c(W, centroid, variance: float, activation: str, t: float, *,
              tol: float = MEHLER_TOL, memory_mb: float = MEMORY_MB, return_info: bool = False):
    r"""Population class matrix ``U_c = E_{x~N(μ_c, σ_c² I), ξ}[φ(x_t) φ(x_t)ᵀ]``, exactly.

    ``h_i ~ N(m_i, Γ² K_ii)``, ``Cov(h_i, h_j) = Γ² K_ij``, ``m_i = e^{−t} w_i·μ_c/√d``,
    ``Γ² = e^{−2t}σ_c² + Δ``:

    .. math::

        U_{c,ij} = \sum_k \frac{(\Gamma^2 K_{ij})^k}{k!}\, G_k^{(i)} G_k^{(j)},
        \qquad G_k^{(i)} = \mathbb{E}_z\, \sigma^{(k)}\big(m_i + \Gamma \sqrt{K_{ii}}\, z\big),

    diagonal ``E σ(h_i)²`` (docs/theory/class-losses.md). No sampling of class points: the
    Mehler series with one "sample" ``u = m`` and noise scale ``Γ²``.

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    centroid : array_like of shape (d,), or None
        Class mean ``μ_c``; ``None`` means ``μ_c = 0``.
    variance : float
        Class variance ``σ_c²`` (> 0).
    activation : str
        ``tanh``, ``erf``, ``relu`` or ``linear``.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    tol : float, optional
        Truncation bound, absolute per entry (default :data:`MEHLER_TOL`).
    memory_mb : float, optional
        Work-array budget in MiB (default :data:`MEMORY_MB`).
    return_info : bool, optional
        Also return the :class:`MehlerInfo` (default False).

    Returns
    -------
    U_c : numpy.ndarray, shape (p, p)
        The population class matrix.
    info : MehlerInfo
        Only with ``return_info=True``.

    Raises
    ------
    ValueError
        For an unknown activation, ``t ≤ 0``, ``variance ≤ 0``, or a centroid that is not a
        finite vector of length d.

    Examples
    --------
    Linear activation: ``U_c = e^{−2t}(m mᵀ + σ_c² K) + Δ K``:

    >>> import math
    >>> import numpy as np
    >>> from classdyn.simulate import exact_U_c
    >>> rng = np.random.default_rng(0)
    >>> W, mu, t = rng.standard_normal((6, 4)), rng.standard_normal(4), 0.5
    >>> K, m = W @ W.T / 4, W @ mu / 2
    >>> Uc = exact_U_c(W, mu, 2.0, "linear", t)
    >>> np.allclose(Uc, math.exp(-2 * t) * (np.outer(m, m) + 2.0 * K) + (1 - math.exp(-2 * t)) * K)
    True
    """
    check_activation(activation)
    t = check_time(t)
    W, mu, var = _check_class(W, centroid, variance)
    d = W.shape[1]
    G2 = math.exp(-2 * t) * var + delta_t(t)
    m = (math.exp(-t) * (W @ mu) / math.sqrt(d))[:, None]
    K = W @ W.T / d
    U, info, _ = _mehler(activation, m, K, G2, tol, memory_mb)
    return (U, info) if return_info else U


def exact_V_c(W, centroid, variance: float, activation: str, t: float) -> np.ndarray:
    r"""Population ``V_c = E_{x~c, ξ}[φ(x_t) ξᵀ] = √Δ diag(E σ'(h_i)) W/√d``, ``h_i ~ N(m_i, Γ²K_ii)``.

    Stein's lemma (docs/theory/class-losses.md):

    .. math::

        V_c = \sqrt{\Delta}\; \mathrm{diag}\big(\mathbb{E}\, \sigma'(h_i)\big)\, \frac{W}{\sqrt d},
        \qquad h_i \sim \mathcal{N}(m_i, \Gamma^2 K_{ii}),

    ``m_i = e^{−t} w_i·μ_c/√d``, ``Γ² = e^{−2t}σ_c² + Δ``.

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    centroid : array_like of shape (d,), or None
        Class mean ``μ_c``; ``None`` means ``μ_c = 0``.
    variance : float
        Class variance ``σ_c²`` (> 0).
    activation : str
        ``tanh``, ``erf``, ``relu`` or ``linear``.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).

    Returns
    -------
    numpy.ndarray, shape (p, d)
        ``V_c``.

    Raises
    ------
    ValueError
        As :func:`exact_U_c`.

    Examples
    --------
    ReLU with a centred class: ``E σ'(h) = P(h > 0) = 1/2``:

    >>> import math
    >>> import numpy as np
    >>> from classdyn.simulate import exact_V_c
    >>> W, t = np.random.default_rng(0).standard_normal((6, 4)), 0.5
    >>> Vc = exact_V_c(W, None, 1.0, "relu", t)
    >>> np.allclose(Vc, math.sqrt(1 - math.exp(-2 * t)) * 0.5 * W / 2)
    True
    """
    check_activation(activation)
    t = check_time(t)
    W, mu, var = _check_class(W, centroid, variance)
    d = W.shape[1]
    D = delta_t(t)
    G2 = math.exp(-2 * t) * var + D
    m = (math.exp(-t) * (W @ mu) / math.sqrt(d))[:, None]
    gam = np.sqrt(G2 * np.einsum("ij,ij->i", W, W) / d)
    F, _ = smoothed_derivatives(activation, m, gam, 1, 2)
    return math.sqrt(D) * F[0][:, 0][:, None] * W / math.sqrt(d)


# ====================================================================== GEP builders
def gep_coefficients(W, mixture: Mixture, activation: str, t: float, centroids=None):
    """Class coefficients for the GEP builders (docs/theory/gaussian-equivalence.md).

    Scalar per class (arrays of shape (C,)) for centred classes (``centroids=None``), per
    neuron (shape (C, p)) at ``m_{c,i} = e^{−t} w_i·μ_c/√d`` when ``centroids`` (C×d) are given;
    computed by :func:`classdyn.theory.coefficients.class_coefficients`.

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    mixture : classdyn.theory.params.Mixture
        The mixture (class variances).
    activation : str
        ``tanh``, ``erf``, ``relu`` or ``linear``.
    t : float
        Diffusion time of the OU forward process (dimensionless, > 0).
    centroids : array_like of shape (C, d), optional
        Class means; ``None`` (default) for scalar coefficients of centred classes.

    Returns
    -------
    classdyn.theory.coefficients.Coefficients
        ``mu0``, ``a``, ``b``, ``v2``, ``s2`` of shape (C,) or (C, p), and ``t``.

    Raises
    ------
    ValueError
        If ``centroids`` has the wrong shape, or ``W``/``t``/``activation`` is invalid.

    Examples
    --------
    Linear activation: ``a = 1``, ``b = √Δ``, ``v = s = 0``:

    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import gep_coefficients, make_centroids
    >>> W = np.random.default_rng(0).standard_normal((6, 4))
    >>> co = gep_coefficients(W, Mixture(variances=(1.0, 2.0)), "linear", 0.5)
    >>> co.a, np.round(co.b, 6), co.v2, co.s2
    (array([1., 1.]), array([0.79506, 0.79506]), array([0., 0.]), array([0., 0.]))
    >>> mix = Mixture(variances=(1.0, 2.0), norms2=(1.0, 1.0))
    >>> gep_coefficients(W, mix, "tanh", 0.5, centroids=make_centroids(mix, 4)).a.shape
    (2, 6)
    """
    from classdyn.theory.coefficients import class_coefficients

    W = _check_W(W)
    if centroids is None:
        return class_coefficients(mixture, activation, t)
    mu = np.asarray(centroids, dtype=float)
    if mu.shape != (mixture.n_classes, W.shape[1]):
        raise ValueError(f"centroids must have shape ({mixture.n_classes}, {W.shape[1]}), got "
                         f"{mu.shape}")
    m = math.exp(-check_time(t)) * (mu @ W.T) / math.sqrt(W.shape[1])
    return class_coefficients(mixture, activation, t, m=m)


def _per_neuron(arr, C, p, name):
    a = np.asarray(arr, dtype=float)
    if a.shape == (C,):
        return np.repeat(a[:, None], p, axis=1)
    if a.shape == (C, p):
        return a
    raise ValueError(f"coefficient {name} must have shape ({C},) or ({C}, {p}), got {a.shape}")


def _coef_arrays(coeffs, p):
    C = np.asarray(coeffs.a).shape[0]
    return C, {k: _per_neuron(getattr(coeffs, k), C, p, k) for k in ("mu0", "a", "b", "v2", "s2")}


def U_gep(W, X, labels, coeffs, *, centroids=None, seed=0, return_G: bool = False):
    r"""GEP of the training ``U`` (docs/theory/gaussian-equivalence.md; paper's (9), (50), (52)).

    .. math::

        U_\mathrm{gep} = \frac1n G G^\top + \sum_c \hat\rho_c\, (b_c b_c^\top) \circ K
                         + \mathrm{diag}\Big(\sum_c \hat\rho_c s_c^2\Big),

    column ``ν`` (class ``c``) of ``G``: ``μ0_c + a_c ∘ (u^ν − m_c) + v_c ∘ ω^ν``,
    ``ω^ν ~ N(0, I_p)`` drawn from ``seed``; ``ρ̂_c = n_c/n`` from ``labels``.

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    X : array_like, shape (n, d)
        Training samples as rows.
    labels : array_like of int, shape (n,)
        Class of each sample, in ``0..C−1``.
    coeffs : classdyn.theory.coefficients.Coefficients
        Arrays of shape (C,) (centred classes, scalars) or (C, p) (per neuron), e.g. from
        :func:`gep_coefficients`; its ``t`` is the diffusion time.
    centroids : array_like of shape (C, d), optional
        Subtract ``m_c = e^{−t} W μ_c/√d`` (extensive centroids); ``None`` (default):
        ``m_c = 0``.
    seed : int or numpy.random.Generator, optional
        Draws ``ω`` (default 0).
    return_G : bool, optional
        Also return ``G`` (default False).

    Returns
    -------
    U : numpy.ndarray, shape (p, p)
        The GEP matrix.
    G : numpy.ndarray, shape (p, n)
        Only with ``return_G=True``.

    Raises
    ------
    ValueError
        For malformed ``W``/``X``, labels that are not n integers in ``0..C−1``, coefficient
        arrays of the wrong shape, or ``centroids`` of the wrong shape.

    Examples
    --------
    The linear model is its own Gaussian equivalent: ``U_gep = (1/n) Σ_ν u^ν u^νᵀ + Δ K``:

    >>> import math
    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import U_gep, gep_coefficients
    >>> rng = np.random.default_rng(0)
    >>> W, X, t = rng.standard_normal((6, 4)), rng.standard_normal((5, 4)), 0.5
    >>> co = gep_coefficients(W, Mixture(variances=(1.0, 2.0)), "linear", t)
    >>> U = U_gep(W, X, np.array([0, 0, 0, 1, 1]), co)
    >>> u = math.exp(-t) * X @ W.T / 2
    >>> np.allclose(U, u.T @ u / 5 + (1 - math.exp(-2 * t)) * W @ W.T / 4)
    True
    """
    from classdyn.simulate.data import as_generator

    W, X = _check_WX(W, X)
    p, d = W.shape
    n = X.shape[0]
    t = check_time(coeffs.t)
    C, co = _coef_arrays(coeffs, p)
    lab = _check_labels(labels, n, C)
    rng = as_generator(seed)
    u = math.exp(-t) * (W @ X.T) / math.sqrt(d)
    if centroids is not None:
        mu = np.asarray(centroids, dtype=float)
        if mu.shape != (C, d):
            raise ValueError(f"centroids must have shape ({C}, {d}), got {mu.shape}")
        u -= (math.exp(-t) * (W @ mu.T) / math.sqrt(d))[:, lab]  # m_{c,i} for each column
    G = co["mu0"][lab].T + co["a"][lab].T * u
    G += np.sqrt(np.maximum(co["v2"], 0.0))[lab].T * rng.standard_normal((p, n))
    rho = np.bincount(lab, minlength=C) / n
    K = W @ W.T / d
    B = np.einsum("c,ci,cj->ij", rho, co["b"], co["b"])
    U = G @ G.T / n + B * K
    U[np.diag_indices(p)] += rho @ co["s2"]
    return (U, G) if return_G else U


def V_gep(W, labels, coeffs) -> np.ndarray:
    r"""GEP of ``V``: ``V_gep = Σ_c ρ̂_c diag(b_c) W/√d`` (docs/theory/gaussian-equivalence.md).

    .. math::

        V_\mathrm{gep} = \sum_c \hat\rho_c\, \mathrm{diag}(b_c)\, \frac{W}{\sqrt d},
        \qquad \hat\rho_c = n_c / n .

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    labels : array_like of int, shape (n,)
        Class of each training sample (gives ``ρ̂_c``).
    coeffs : classdyn.theory.coefficients.Coefficients
        GEP coefficients (``b`` of shape (C,) or (C, p)).

    Returns
    -------
    numpy.ndarray, shape (p, d)
        ``V_gep``.

    Raises
    ------
    ValueError
        For malformed ``W``, labels outside ``0..C−1``, or coefficients of the wrong shape.

    Examples
    --------
    Linear activation: ``b = √Δ``, so ``V_gep = √Δ W/√d``:

    >>> import math
    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import V_gep, gep_coefficients
    >>> W, t = np.random.default_rng(0).standard_normal((6, 4)), 0.5
    >>> co = gep_coefficients(W, Mixture(variances=(1.0, 2.0)), "linear", t)
    >>> np.allclose(V_gep(W, [0, 0, 1], co), math.sqrt(1 - math.exp(-2 * t)) * W / 2)
    True
    """
    W = _check_W(W)
    p, d = W.shape
    C, co = _coef_arrays(coeffs, p)
    lab = np.asarray(labels)
    lab = _check_labels(lab, lab.shape[0] if lab.ndim == 1 else -1, C)
    rho = np.bincount(lab, minlength=C) / lab.size
    return (rho @ co["b"])[:, None] * W / math.sqrt(d)


def U_c_gep(W, coeffs, c: int, variance: float) -> np.ndarray:
    r"""GEP population class matrix (docs/theory/gaussian-equivalence.md).

    .. math::

        U_c \approx \mu_{0,c} \mu_{0,c}^\top + \Gamma_c^2\, (a_c a_c^\top) \circ K
                    + \mathrm{diag}(v_c^2 + s_c^2),
        \qquad \Gamma_c^2 = e^{-2t}\sigma_c^2 + \Delta

    (centred scalars: ``(a² e^{−2t}σ² + b²) K + (v² + s²) I + μ0² 11ᵀ``): the population
    Mehler series truncated after ``k = 1``.

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    coeffs : classdyn.theory.coefficients.Coefficients
        GEP coefficients (shape (C,) or (C, p)); its ``t`` is the diffusion time.
    c : int
        Class index in ``0..C−1``.
    variance : float
        Class variance ``σ_c²``.

    Returns
    -------
    numpy.ndarray, shape (p, p)
        ``U_c^gep``.

    Raises
    ------
    ValueError
        If ``c`` is out of range, or ``W``/``coeffs`` are malformed.

    Examples
    --------
    Linear activation: the GEP equals the exact population matrix:

    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import U_c_gep, exact_U_c, gep_coefficients
    >>> W = np.random.default_rng(0).standard_normal((6, 4))
    >>> co = gep_coefficients(W, Mixture(variances=(1.0, 2.0)), "linear", 0.5)
    >>> np.allclose(U_c_gep(W, co, 1, 2.0), exact_U_c(W, None, 2.0, "linear", 0.5))
    True
    """
    W = _check_W(W)
    p, d = W.shape
    C, co = _coef_arrays(coeffs, p)
    if not (0 <= int(c) < C):
        raise ValueError(f"class index c must lie in 0..{C - 1}, got {c!r}")
    t = check_time(coeffs.t)
    G2 = math.exp(-2 * t) * float(variance) + delta_t(t)
    K = W @ W.T / d
    U = np.outer(co["mu0"][c], co["mu0"][c]) + G2 * np.outer(co["a"][c], co["a"][c]) * K
    U[np.diag_indices(p)] += co["v2"][c] + co["s2"][c]
    return U


def V_c_gep(W, coeffs, c: int) -> np.ndarray:
    r"""GEP population ``V_c ≈ diag(b_c) W/√d`` (docs/theory/gaussian-equivalence.md).

    .. math::

        V_c^\mathrm{gep} = \mathrm{diag}(b_c)\, \frac{W}{\sqrt d}.

    Parameters
    ----------
    W : array_like, shape (p, d)
        First-layer weights.
    coeffs : classdyn.theory.coefficients.Coefficients
        GEP coefficients (``b`` of shape (C,) or (C, p)).
    c : int
        Class index in ``0..C−1``.

    Returns
    -------
    numpy.ndarray, shape (p, d)
        ``V_c^gep``.

    Raises
    ------
    ValueError
        If ``c`` is out of range, or ``W``/``coeffs`` are malformed.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory.params import Mixture
    >>> from classdyn.simulate import V_c_gep, exact_V_c, gep_coefficients
    >>> W = np.random.default_rng(0).standard_normal((6, 4))
    >>> co = gep_coefficients(W, Mixture(variances=(1.0, 2.0)), "linear", 0.5)
    >>> np.allclose(V_c_gep(W, co, 0), exact_V_c(W, None, 1.0, "linear", 0.5))
    True
    """
    W = _check_W(W)
    p, d = W.shape
    C, co = _coef_arrays(coeffs, p)
    if not (0 <= int(c) < C):
        raise ValueError(f"class index c must lie in 0..{C - 1}, got {c!r}")
    return co["b"][c][:, None] * W / math.sqrt(d)
