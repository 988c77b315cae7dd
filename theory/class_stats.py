r"""Class statistics of a user's labelled dataset, streamed in chunks, with bootstrap error bars.

The theory (docs/theory/model.md) models each class as an isotropic Gaussian
``N(μ_c, σ_c² I_d)`` with weight ρ_c. :func:`data_statistics` measures, from an ``n×d`` array
``X`` (any float or integer dtype; a ``numpy.memmap``, a Zarr array or anything that supports
``X[i:j]``) and labels ``y``, what the model needs: ρ_c, the per-class variance
``(1/d) tr Cov_c``, the centroid norms ``‖μ_c‖²/d`` and the centroid cosines, after a named
normalisation, plus what the isotropic model loses (the spread of each class's covariance
eigenvalues).

One pass
    ``X`` is read once, ``chunk`` rows at a time (processed 2048 rows at a time), into float64
    accumulators: per (block, class) cell the count, the sum of ``x − x_0`` and the sum of
    ``‖x − x_0‖²``, where ``x_0`` is the mean of the first ``min(n, 1000)`` rows (a fixed
    shift, so the one-pass variance does not lose digits and the numbers do not depend on
    ``chunk``). The same pass copies the rows of the spread's subsample (below); with
    ``spectrum="full"`` it accumulates per (class, fold) ``Σ (x − x_0)(x − x_0)ᵀ`` instead
    (products in the arithmetic of the chunk, summed in float64; memory ``5 C d²`` floats).

Precision
    Within a chunk the arithmetic follows the input: ``X`` that float32 holds exactly (float32,
    float16, integers of at most 16 bits such as image bytes) is shifted, its per-cell row sums
    and squared row norms formed in float32 (no float64 copy of the chunk), everything else in
    float64; the cells are summed across chunks in float64. Each float32
    cell sum adds ``2048/(blocks C)`` rows (~4 at the defaults), so the statistics carry a
    relative round-off of ~1e-6 (measured against ``precision="float64"``; the bootstrap
    errors of real data are >= 1e-3 relative), and they depend on ``chunk`` only at that
    level. Other input (float64, wide integers), ``precision="float64"``, and any chunk whose
    squares overflow float32 are computed in float64 throughout (round-off ~1e-15).

Eigenvalue spread (what the isotropic model loses)
    Two numbers per class covariance ``Σ`` (eigenvalues ``λ_1 ≥ … ≥ λ_k``), both 1 and ``k``
    for an isotropic class, each with a standard error:
    ``top_over_mean = λ_1/(tr Σ/k)`` and the participation ratio ``(tr Σ)²/tr Σ²``.
    Default (``spectrum="subsample"``): from ``m = min(spectrum_rows, n_c)`` rows per class
    (400 by default; the rows of smallest hash key, a uniform random subset, copied during
    the pass), through their ``m × m`` Gram matrix: ``O(m² d)`` per class, no ``d × d``
    matrix. ``tr Σ²`` by its unbiased U-statistic (:func:`_gram_traces`, no Gaussian
    assumption), ``tr Σ`` by the unbiased sample covariance, the ratio's standard error by a
    delete-a-group jackknife (20 groups). ``λ_1`` cross-fitted over 6 folds: the leading
    direction ``v_f`` of the other folds' sample covariance, and the unbiased variance along
    ``v_f`` of the held-out fold, whose expectation ``v_fᵀ Σ v_f`` is at most ``λ_1``: the
    estimate never overstates anisotropy (unbiased for an isotropic class) but understates
    a top eigenvalue whose direction ``m`` rows do not resolve. For one spike
    ``Σ = σ²(I + θ e eᵀ)`` the expectation is ``σ²(1 + θ cos²)`` with
    ``cos² ≈ (1 − γ/θ²)/(1 + γ/θ)``, ``γ = k/m'``, ``m' = 5m/6`` rows (spiked-model
    asymptotics: at ``d = 784``, ``m = 400``, −21 % at ``θ = 9`` and −44 % at ``θ = 3``;
    measured over 100 seeds: −21 % and −53 %, the subspace iteration converging slowly for a
    weak spike, and −0.8 % on a Fashion-MNIST-like spectrum ``λ_j ∝ j^−1.3``, ``λ_1/mean ≈
    225``). Calibration of the standard errors (100-300 seeds, ``m = 400``): the standardised
    errors ``(estimate − truth)/se`` have sd 0.75-0.99 (isotropic, ``d = 784, 200``) and 0.56
    (the Fashion-MNIST-like spectrum) for ``top_over_mean``, 0.74-1.09 for the
    participation ratio (relative standard errors 0.5 % isotropic, 7 % Fashion-MNIST-like).
    ``top_over_mean_upper`` is the in-sample value (the top eigenvalue of the folds' sample
    covariances), biased upward: ``[top_over_mean, top_over_mean_upper]`` brackets
    ``λ_1/mean`` in expectation. ``spectrum="full"``: the same estimands from every row (per
    fold ``d × d`` sums; ``tr Σ²`` unbiased for Gaussian rows, exact top eigenvectors), a
    reference that costs ``n d²``. ``"projection"`` (default for ``d > 2000``): the subsample
    estimator on the rows projected onto 256 random orthonormal directions (an isotropic class
    stays isotropic there).

Bootstrap: random groups
    Each row is assigned to one of ``blocks`` groups by a hash of its row index and ``seed``
    (independent of the data, so the groups are exchangeable samples of iid rows). A replicate
    draws ``blocks`` groups with replacement and recomputes every statistic from the summed
    cells (memory: ``blocks × C × d`` float64 accumulators). Every statistic here is a smooth function of class means and second moments, so
    resampling iid groups has the same first-order variance as resampling rows (a group mean is a
    mean of iid rows), with ``blocks − 1`` degrees of freedom for the standard error; class
    counts vary between replicates, so the error bar of ρ_c includes the multinomial noise of
    the labels. It costs ``B × blocks × C × d`` operations after the pass, not ``B`` passes.

Estimators (``debias=True``, the default)
    .. math::

        \hat v_c = \frac{1}{d(n_c-1)}\sum_{i\in c}\|x_i-\hat\mu_c\|^2, \qquad
        \hat G_{cc'} = \frac{\hat\mu_c\cdot\hat\mu_{c'}}{d} - \delta_{cc'}\frac{\hat v_c}{n_c},

    both unbiased (``E‖μ̂_c‖²/d = ‖μ_c‖²/d + v_c/n_c``). ``debias=False`` gives the plug-in
    values (``ddof = 0``, no correction), as :func:`classdyn.ddpm.data.class_statistics` does.

Normalisations
    ``"none"``: ``variance_c = v_c``, ``norms2_c = G_cc``, ``cosine = G_cc'/√(G_cc G_c'c')``.
    ``"dataset"`` (per-dataset centring and scaling, as in the Fashion-MNIST check):

    .. math::

        m = \sum_c \rho_c \mu_c, \qquad
        s^2 = \sum_c \rho_c \big(v_c + \|\mu_c - m\|^2/d\big), \qquad
        \mathrm{variance}_c = v_c/s^2, \qquad \mathrm{norms2}_c = \|\mu_c - m\|^2/(d s^2),

    so that ``Σ_c ρ_c (variance_c + norms2_c) = 1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np

__all__ = ["DataStatistics", "data_statistics", "NORMALISATIONS"]

#: the named normalisations (see the module docstring).
NORMALISATIONS = ("dataset", "none")
_SHIFT_ROWS = 1000
_MAX_FULL_D = 2000
_PROJ_DIM = 256
_MAX_GRAM_ROWS = 20000      # the subsample's m x m Gram matrix: ~4.5 GiB at this size
_SPECTRA = ("auto", "subsample", "projection", "full", "none")
_Z95 = 1.959963984540054


def _block_of(rows: np.ndarray, seed: int, blocks: int) -> np.ndarray:
    """``_hash64(row, seed) mod blocks``: chunk-independent pseudo-random groups."""
    return (_hash64(rows, seed) % np.uint64(blocks)).astype(np.intp)


def _labels_and_classes(y, n: int, classes):
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != n:
        raise ValueError(f"y: labels must be a 1-d array with one label per row of X ({n} rows); "
                         f"got shape {y.shape}")
    present = list(np.unique(y))
    if classes is None:
        cls = present
    else:
        cls = []
        by_str = {str(v): v for v in present}
        for c in classes:
            if any(c == v for v in present) and not isinstance(c, str):
                cls.append(next(v for v in present if v == c))
            elif str(c) in by_str:
                cls.append(by_str[str(c)])
            else:
                raise ValueError(f"classes: class {c!r} does not exist in the labels; present: "
                                 f"{[_py(v) for v in present]}")
        if len({str(c) for c in cls}) != len(cls):
            raise ValueError(f"classes: need distinct classes, got {list(classes)}")
    if not cls:
        raise ValueError("classes: need at least one class, got none")
    index = np.full(len(y), -1, dtype=np.intp)
    counts = []
    for k, c in enumerate(cls):
        sel = y == c
        index[sel] = k
        counts.append(int(sel.sum()))
        if counts[-1] < 2:
            raise ValueError(f"classes: class {_py(c)!r} has {counts[-1]} sample(s); need >= 2")
    return index, [_py(c) for c in cls], np.array(counts)


def _py(v):
    return v.item() if isinstance(v, np.generic) else v


@dataclass(frozen=True)
class _Cells:
    """Accumulated sums: counts (K, C), s1 (K, C, d), s2 (K, C); shift (d,); the spread's
    inputs: ``sub`` (per class, the shifted subsample rows) or, for ``spectrum="full"``, the
    per (class, fold) sums ``xx`` (C, F, k, k), ``xs1`` (C, F, k), ``xn`` (C, F)."""

    counts: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    shift: np.ndarray
    xx: np.ndarray | None = None
    xs1: np.ndarray | None = None
    xn: np.ndarray | None = None
    sub: list | None = None


_FLUSH_ROWS = 2048
_SUB_ROWS = 2048    # rows of X processed at a time within a chunk (cache-sized)
_FOLDS = 6          # folds of the spread's cross-fitting
_JACK_GROUPS = 20   # groups of its jackknife
_FULL_FOLDS = 5     # folds of spectrum="full" (memory: C × 5 d×d float64 sums)
_RITZ_BLOCK = 4     # block size and steps of the subspace iteration on the Gram matrix
_RITZ_STEPS = 6


def _work_dtype(X, precision: str):
    """float32 under ``precision="auto"`` for input that float32 holds exactly (float32,
    float16, integers of at most 16 bits such as image bytes), float64 otherwise; the dtype
    is that of the first row as read (any array-like)."""
    if precision != "auto":
        return np.float64
    dt = np.asarray(X[0:1]).dtype
    exact = dt in (np.float32, np.float16) or (dt.kind in "iub" and dt.itemsize <= 2)
    return np.float32 if exact else np.float64


def _hash64(rows: np.ndarray, seed: int) -> np.ndarray:
    """splitmix64 of (row, seed): a pseudo-random uint64 key per row, independent of the data."""
    with np.errstate(over="ignore"):
        z = rows.astype(np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15 + 1) % 2 ** 64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _subsample(index: np.ndarray, C: int, rows: int, seed: int):
    """Per class the ``min(rows, n_c)`` rows of smallest hash key (a uniform random subset,
    chunk-independent); returns the sorted global rows, their slot in the buffer of all
    classes (class by class, each in key order: slot % folds is a random fold) and the sizes."""
    key = _hash64(np.arange(len(index)), seed + 0x5EED)
    n_c = np.bincount(index[index >= 0], minlength=C)
    want = np.minimum(n_c, rows)
    # candidates: keys below a threshold that leaves ~1.5x the rows wanted of each class
    # (all rows if any class falls short: the result is the same, only faster)
    frac = min(1.0, 1.5 * float((want / n_c).max()) + 1e-3)
    cand = np.nonzero(key <= np.uint64(min(2 ** 64 - 1, int(frac * 2 ** 64))))[0]
    if np.any(np.bincount(index[cand][index[cand] >= 0], minlength=C) < want):
        cand = np.arange(len(index))
    order = cand[np.lexsort((key[cand], index[cand]))]  # by class, then by key
    start = np.searchsorted(index[order], np.arange(C + 1))
    sizes = want
    take = np.concatenate([order[start[c]:start[c] + sizes[c]] for c in range(C)])
    o = np.argsort(take, kind="stable")
    return take[o], o, sizes.tolist()


def _accumulate(X, index, C, d, *, blocks, seed, chunk, spectrum, proj, sub, work=np.float64):
    from scipy.linalg.blas import dsyrk, ssyrk
    from scipy.sparse import csr_matrix

    from classdyn._threads import blas_threads

    n = len(index)
    K = blocks
    first = np.asarray(X[0:min(n, _SHIFT_ROWS)], dtype=np.float64).reshape(-1, d)
    if not np.all(np.isfinite(first)):
        bad = int(np.nonzero(~np.all(np.isfinite(first), axis=1))[0][0])
        raise ValueError(f"X: row {bad} holds NaN or inf; clean the data first")
    shift = first.mean(axis=0)
    shift_w = shift.astype(work)
    counts = np.zeros((K, C))
    s1 = np.zeros((K * C, d))
    s2 = np.zeros(K * C)
    F = _FULL_FOLDS
    full = spectrum == "full"
    dim = proj.shape[0] if proj is not None else d
    xx = np.zeros((C, F, d, d)) if full else None
    xs1, xn = (np.zeros((C, F, d)), np.zeros((C, F))) if full else (None, None)
    zbuf = None
    if sub is not None:
        sel_r, sel_slot, sizes = sub
        zall = np.empty((sum(sizes), dim), dtype=work)        # every class's rows, by slot
        zbuf = np.split(zall, np.cumsum(sizes)[:-1])
    buf: dict = {}

    def flush(c, f):                # float32 rank-k update (upper triangle), float64 sums
        a = buf.pop((c, f), None)
        if a:
            a = np.concatenate(a) if len(a) > 1 else a[0]
            syrk = ssyrk if a.dtype == np.float32 else dsyrk
            with blas_threads(1):   # on 2 shared cores one thread beats two that contend
                xx[c, f] += syrk(1.0, a.T, trans=0)
            xs1[c, f] += a.sum(axis=0, dtype=np.float64)
            xn[c, f] += len(a)

    for i in range(0, n, chunk):
        j = min(n, i + chunk)
        raw_all = np.asarray(X[i:j]).reshape(j - i, d)
        lab_all = index[i:j]
        rows_all = np.arange(i, j)
        if zbuf is not None:            # the subsample rows of this chunk, shifted
            lo, hi = np.searchsorted(sel_r, [i, j])
            if hi > lo:
                zr = np.subtract(raw_all[sel_r[lo:hi] - i], shift_w if proj is None else shift,
                                 dtype=work if proj is None else np.float64)
                zall[sel_slot[lo:hi]] = zr if proj is None else zr @ proj.T
        for a in range(0, j - i, _SUB_ROWS):     # sub-blocks that stay in cache
            raw, lab, rows = raw_all[a:a + _SUB_ROWS], lab_all[a:a + _SUB_ROWS], \
                rows_all[a:a + _SUB_ROWS]
            keep = lab >= 0
            if not keep.all():
                raw, lab, rows = raw[keep], lab[keep], rows[keep]
            if not len(lab):
                continue
            xc = np.subtract(raw, shift_w, dtype=work)      # one pass: cast and shift
            rn = np.einsum("ij,ij->i", xc, xc)
            if not np.isfinite(rn).all():          # NaN/inf in a row, or float32 overflow
                finite = np.isfinite(raw).all(axis=1) if raw.dtype.kind == "f" else \
                    np.ones(len(raw), bool)
                if not finite.all():
                    bad = int(rows[np.nonzero(~finite)[0][0]])
                    raise ValueError(f"X: row {bad} holds NaN or inf; clean the data first")
                xc = np.subtract(raw, shift, dtype=np.float64)      # overflow: in float64
                rn = np.einsum("ij,ij->i", xc, xc)
            blk = _block_of(rows, seed, K)
            key = blk * C + lab
            onehot = csr_matrix((np.ones(len(key), xc.dtype), (key, np.arange(len(key)))),
                                shape=(K * C, len(key)))
            s1 += onehot @ xc                               # per-cell row sums, O(rows d)
            s2 += np.bincount(key, weights=rn, minlength=K * C)
            counts += np.bincount(key, minlength=K * C).reshape(K, C)
            if full:                        # every row, in fold blk % F of its class
                fold = blk % F
                for c in range(C):
                    for f in range(F):
                        xcc = xc[(lab == c) & (fold == f)]
                        if len(xcc):
                            buf.setdefault((c, f), []).append(xcc)
                            if sum(len(b) for b in buf[(c, f)]) >= _FLUSH_ROWS:
                                flush(c, f)
    if full:
        for c in range(C):
            for f in range(F):
                flush(c, f)
                xx[c, f] += xx[c, f].T          # the lower triangle was 0: now symmetric,
                xx[c, f][np.diag_indices(d)] /= 2   # with the diagonal counted once
    return _Cells(counts, s1.reshape(K, C, d), s2.reshape(K, C), shift, xx, xs1, xn, zbuf)


def _estimate(cells: _Cells, w: np.ndarray, *, normalise, weights, debias):
    """Statistics from the cells with block multiplicities ``w`` of shape (B, K)."""
    K, C, d = cells.s1.shape
    nc = w @ cells.counts                                      # (B, C)
    S1 = (w @ cells.s1.reshape(K, C * d)).reshape(len(w), C, d)   # one GEMM
    S2 = w @ cells.s2                                          # (B, C)
    with np.errstate(invalid="ignore", divide="ignore"):
        # Shifted means m_c = S1_c/n_c, μ_c = m_c + x_0, from the Gram of the sums (GEMMs, no
        # (B, C, d) temporaries): ‖m_c‖² = P_cc/n_c², μ_c·μ_c' = m_c·m_c' + m_c·x_0 + x_0·m_c'
        # + ‖x_0‖², with P = S1 S1ᵀ and m_c·x_0 = (S1 x_0)_c/n_c.
        P = S1 @ S1.transpose(0, 2, 1)                         # (B, C, C)
        Sx = (S1 @ cells.shift) / nc                           # (B, C)
        M = P / (nc[:, :, None] * nc[:, None, :])
        ss = S2 - np.einsum("bcc->bc", P) / nc
        v = ss / (d * (nc - 1.0 if debias else nc))
        G = (M + Sx[:, :, None] + Sx[:, None, :] + cells.shift @ cells.shift) / d
        if debias:
            idx = np.arange(G.shape[1])
            G[:, idx, idx] -= v / nc
        rho = nc / nc.sum(axis=1, keepdims=True)
        if normalise == "dataset":
            r = rho if weights is None else np.broadcast_to(weights, rho.shape)
            Gr = np.einsum("bce,be->bc", G, r)
            rGr = np.einsum("bc,bc->b", Gr, r)
            Gc = G - Gr[:, :, None] - Gr[:, None, :] + rGr[:, None, None]
            diag = np.einsum("bcc->bc", Gc)
            s2 = np.einsum("bc,bc->b", r, v + diag)[:, None]
            var, G2 = v / s2, Gc / s2[..., None]
            scale = np.sqrt(s2[:, 0])
        else:
            var, G2, scale = v, G, np.ones(len(w))
        n2 = np.einsum("bcc->bc", G2)
        nrm = np.sqrt(np.clip(n2, 0, None))
        cos = G2 / (nrm[:, :, None] * nrm[:, None, :])
    return {"weights": rho, "variance": var, "norms2": n2, "cosine": cos, "scale": scale,
            "raw_variance": v}


def _spread_out(top, top_se, upper, pr, pr_se, k, rows, folds):
    return {"top_over_mean": float(top), "top_over_mean_se": float(top_se),
            "top_over_mean_upper": float(upper),
            "participation_ratio": float(pr), "participation_ratio_se": float(pr_se),
            "dimension": int(k), "rows": int(rows), "folds": int(folds),
            "isotropic_top_over_mean": 1.0, "isotropic_participation_ratio": float(k)}


def _jackknife_se(vals: np.ndarray) -> float:
    """Delete-a-fold jackknife standard error: ``√((F−1)/F Σ_f (θ_(−f) − θ̄)²)``."""
    F = len(vals)
    return float(np.sqrt((F - 1) / F * np.sum((vals - vals.mean()) ** 2)))


def _gram_traces(A: np.ndarray, W: np.ndarray):
    r"""Unbiased ``tr Σ`` and ``tr Σ²`` from the Gram matrix ``A = Z Zᵀ`` of iid rows, for each
    0/1 column ``w`` of ``W`` (the rows kept), by U-statistics (no distributional assumption).

    With ``A⁰`` = ``A`` without its diagonal, ``r_j = Σ_i w_i A⁰_ij``, ``m = Σ w``,
    ``P_j = m(m−1)…(m−j+1)`` and sums over kept rows:

    .. math::

        S_2 = \sum_{i\ne j} A_{ij}^2, \quad S_3 = \sum_j r_j^2 - S_2, \quad
        S_4 = \Big(\sum_j r_j\Big)^2 - 4S_3 - 2S_2, \qquad
        \widehat{\mathrm{tr}\,\Sigma^2} = \frac{S_2}{P_2} - \frac{2S_3}{P_3} + \frac{S_4}{P_4},

    ``S_3`` and ``S_4`` being the sums over distinct indices of ``A_ij A_jk`` and
    ``A_ij A_kl``; for distinct indices and rows of mean ``μ`` (any shift),
    ``E A_ij² = tr Σ² + ‖μ‖⁴ + 2μᵀΣμ``, ``E A_ij A_jk = ‖μ‖⁴ + μᵀΣμ``, ``E A_ij A_kl = ‖μ‖⁴``,
    so the combination is unbiased. ``tr Σ = (Σ_i A_ii − Σ_ij A_ij/m)/(m − 1)`` (the unbiased
    sample covariance).
    """
    diag = A.diagonal()
    R = A @ W - diag[:, None] * W                       # r_j of each column
    Q = (A * A) @ W - (diag ** 2)[:, None] * W
    S2 = (W * Q).sum(0)
    T = (W * R).sum(0)
    S3 = (W * R * R).sum(0) - S2
    S4 = T * T - 4 * S3 - 2 * S2
    mm = W.sum(0)
    tr2 = S2 / (mm * (mm - 1)) - 2 * S3 / (mm * (mm - 1) * (mm - 2)) + \
        S4 / (mm * (mm - 1) * (mm - 2) * (mm - 3))
    dsum = diag @ W
    return (dsum - (T + dsum) / mm) / (mm - 1), tr2


def _spread_sample(Z: np.ndarray, seed: int) -> dict:
    r"""Spread of one class from its ``m`` subsample rows ``Z`` (any shift), via the Gram matrix.

    With ``A = Z_c Z_cᵀ`` (``Z_c`` centred and scaled: every output is a ratio),
    :func:`_gram_traces` gives unbiased ``tr Σ`` and ``tr Σ²``; the participation ratio
    ``(tr Σ)²/tr Σ²`` has a delete-a-group jackknife standard error over ``_JACK_GROUPS``
    random groups.

    Top eigenvalue, cross-fitted over ``F`` folds: ``v_f`` = the leading direction of the
    sample covariance of the other folds (block subspace iteration on their centred Gram block
    from a data-independent random start), ``T_f = v_fᵀ S_f v_f`` with ``S_f`` the unbiased
    covariance of fold ``f`` alone. Given ``v_f``, ``E T_f = v_fᵀ Σ v_f ≤ λ_max``, with equality
    for an isotropic class, whatever ``v_f``: ``top_over_mean = mean_f T_f/(tr Σ/k)`` does not
    overstate anisotropy; its standard error combines the within-fold one given the
    directions (``Var (p − p̄)²/n_f`` per fold) and the between-fold one (``Var_f T_f/F``:
    the directions' noise, and the folds' dependence through them, which the within-fold one
    misses: alone it gave standardised errors of sd 1.15-1.3 on isotropic classes).
    ``top_over_mean_upper`` is the in-sample
    value ``mean_f λ_max(S_{−f})/(tr Σ/k)`` (the Ritz value), biased upward (Jensen,
    ``E λ_max(S) ≥ λ_max(Σ)``): the two bracket ``λ_max/mean`` in expectation.
    """
    m, k = Z.shape
    F = min(_FOLDS, m // 4)
    G = min(_JACK_GROUPS, m // 4)
    if F < 2:
        return _spread_out(*[float("nan")] * 5, k, m, F)
    # the Gram matrix of the centred rows (the estimators do not depend on the centre; it
    # only keeps digits), in the arithmetic of Z, then scaled to tr A = m (every output is a
    # ratio); float64 if float32 overflowed
    Zc = Z - Z.mean(axis=0)
    A = Zc @ Zc.T
    if not np.isfinite(np.trace(A)):
        Zc = Z.astype(np.float64) - Z.mean(axis=0, dtype=np.float64)
        A = Zc @ Zc.T
    tr = float(np.trace(A))
    if not 0 < tr < np.inf:
        return _spread_out(*[float("nan")] * 5, k, m, F)
    A = A.astype(np.float64) * (m / tr)
    A32 = A.astype(np.float32)
    # U-statistics of tr Σ² and tr Σ on all rows (column 0) and without each group (1..G)
    W = np.ones((m, G + 1))
    W[np.arange(m), 1 + np.arange(m) % G] = 0.0
    tr1, tr2 = _gram_traces(A, W)
    with np.errstate(divide="ignore", invalid="ignore"):
        pr = tr1 ** 2 / tr2
    # cross-fitted top eigenvalue: block subspace iteration per fold on the other folds'
    # centred Gram block (vectors zero on the fold, summing to 0 over the other rows)
    fold = np.arange(m) % F
    keep = (fold[None, :] != np.arange(F)[:, None]).astype(np.float64)   # (F, m)
    b = min(_RITZ_BLOCK, m - m // F - 1)
    rng = np.random.default_rng([seed, 13])
    mk = keep[:, :, None].astype(np.float32)
    nk = keep.sum(1)[:, None, None].astype(np.float32)

    def proj(V):                            # zero on the fold, centred over the other rows
        V *= mk
        V -= V.sum(1, keepdims=True) / nk
        V *= mk
        return V

    V = proj(rng.standard_normal((F, m, b), dtype=np.float32))
    for step in range(_RITZ_STEPS):
        V = proj(A32 @ V)
        if step % 2:
            V = np.linalg.qr(V)[0]                          # (F, m, b), orthonormal columns
    V = proj(V)
    ev, Y = np.linalg.eigh((V.transpose(0, 2, 1) @ (A32 @ V)).astype(np.float64))
    U = (V.astype(np.float64) @ Y[:, :, -1:])[:, :, 0].T   # (m, F) top Ritz vectors
    AU = A @ U
    mean = tr1[0] / k
    with np.errstate(divide="ignore", invalid="ignore"):
        P = AU / np.sqrt((U * AU).sum(0))                   # every row projected on v_f
        p = P[np.arange(m), fold]                           # fold f's rows on v_f
        nf = np.bincount(fold, minlength=F)
        w = (p - (np.bincount(fold, p, F) / nf)[fold]) ** 2 * (nf / (nf - 1.0))[fold]
        Tf = np.bincount(fold, w, F) / nf                   # unbiased variance along v_f
        var = (np.bincount(fold, w * w, F) - nf * Tf ** 2) / (nf - 1.0) / nf
        upper = np.mean(ev[:, -1] / (nk[:, 0, 0] - 1)) / mean
        # within folds given the directions, plus between folds (the directions' noise and
        # the folds' dependence through them): calibration measured in the module docstring
        se = np.sqrt(var.sum() / F ** 2 + Tf.var(ddof=1) / F) / mean
        return _spread_out(Tf.mean() / mean, se, upper, pr[0],
                           _jackknife_se(pr[1:]), k, m, F)


def _spread_full(xx: np.ndarray, xs1: np.ndarray, xn: np.ndarray) -> dict:
    r"""Spread of one class from its per-fold sums over every row (``spectrum="full"``).

    ``S`` = unbiased covariance of the pooled folds, ``ν = n − 1``;
    ``tr Σ² ≈ ν²/((ν+2)(ν−1)) (tr S² − (tr S)²/ν)`` (unbiased for Gaussian rows, from
    ``E tr W² = ν(ν+1) tr Σ² + ν (tr Σ)²`` and ``E (tr W)² = ν² (tr Σ)² + 2ν tr Σ²`` of a
    Wishart ``W = νS``; other distributions: a bias O(1/n)), participation ratio
    ``(tr S)²/tr Σ²``; top eigenvalue cross-fitted as in :func:`_spread_sample`, with ``v_f`` the
    exact leading eigenvector of the other folds' covariance (Lanczos), its standard error
    the within-fold one for Gaussian rows (``Var v_fᵀ S_f v_f = 2 (v_fᵀ Σ v_f)²/(n_f − 1)``)
    plus the between-fold one (``Var_f T_f/F``); the in-sample upper value from the same
    eigenvalues. The participation ratio's standard error is the larger of the fold jackknife
    (``F − 1 = 4`` degrees of freedom; alone: standardised errors of sd 1.2-1.5) and the
    Gaussian delta method. Measured standardised errors (30 seeds, d = 200, n = 2000,
    isotropic and ``λ_j ∝ 1/j``): sd 0.7-1.3 (top eigenvalue), 0.6-1.0 (participation ratio).
    """
    from scipy.sparse.linalg import eigsh

    F, k = xs1.shape

    def cov(sel):
        n = xn[sel].sum()
        s = xs1[sel].sum(0)
        return (xx[sel].sum(0) - np.outer(s, s) / n) / (n - 1), n

    def pr(S, n):
        nu = n - 1
        t1 = np.trace(S)
        t2 = nu ** 2 / ((nu + 2) * (nu - 1)) * (np.einsum("ij,ij->", S, S) - t1 ** 2 / nu)
        return t1 ** 2 / t2

    S, n = cov(np.ones(F, bool))
    mean = np.trace(S) / k
    jack, Tf, top = [], [], []
    for f in range(F):
        rest = np.arange(F) != f
        Sr, nr = cov(rest)
        jack.append(pr(Sr, nr))
        if k > 2:
            w, v = eigsh(Sr, k=1, which="LA", v0=np.ones(k), tol=1e-8)
        else:
            w, v = np.linalg.eigh(Sr)
        top.append(w[-1])
        Tf.append(v[:, -1] @ cov(~rest)[0] @ v[:, -1])
    ratio = np.array(Tf) / mean
    # within folds for Gaussian rows (Var v'S_f v = 2 (v'Σv)²/(n_f − 1)), plus between folds
    within = np.sum(2 * ratio ** 2 / (xn - 1)) / F ** 2
    se = np.sqrt(within + ratio.var(ddof=1) / F)
    # participation ratio g = t1²/t2: the larger of the fold jackknife and the Gaussian delta
    # method (Var t1 = 2 tr Σ²/ν, Cov(t1, t2) = 4 tr Σ³/ν, Var t2 = 8 tr Σ⁴/ν + 4 (tr Σ²)²/ν²)
    g, nu = pr(S, n), n - 1
    S2 = S @ S
    t1, t2, t3, t4 = np.trace(S), np.trace(S2), np.einsum("ij,ji->", S2, S), np.sum(S2 * S2)
    var_g = g ** 2 * (4 * 2 * t2 / nu / t1 ** 2 + (8 * t4 / nu + 4 * t2 ** 2 / nu ** 2) / t2 ** 2
                      - 4 * 4 * t3 / nu / (t1 * t2))
    pr_se = max(_jackknife_se(np.array(jack)), float(np.sqrt(max(var_g, 0.0))))
    return _spread_out(ratio.mean(), se, np.mean(top) / mean, g, pr_se, k, n, F)


def _spectrum(cells: _Cells, seed: int):
    """Eigenvalue spread of each class (``None`` without ``sub`` and ``xx``)."""
    if cells.sub is None and cells.xx is None:
        return None
    from classdyn._threads import blas_threads

    with blas_threads(1):       # small problems: one thread beats two that contend
        if cells.xx is not None:
            return [_spread_full(cells.xx[c], cells.xs1[c], cells.xn[c])
                    for c in range(len(cells.xx))]
        return [_spread_sample(Z, seed) for Z in cells.sub]


@dataclass(frozen=True)
class DataStatistics:
    r"""Class statistics of a labelled dataset with bootstrap error bars (docs/theory/model.md).

    Arrays are per class, in the order of ``classes``; ``*_se`` are bootstrap standard errors
    (random-groups bootstrap, see :mod:`classdyn.theory.class_stats`), and
    ``estimate ± 1.96 se`` is a nominal 95 % interval. ``mixture()`` returns the
    :class:`~classdyn.theory.params.Mixture` of the point estimates; ``to_dict()`` a JSON-ready
    dict.

    Parameters
    ----------
    classes : list
        The class labels, in order.
    counts : numpy.ndarray
        (C,) samples per class.
    d : int
        Number of features.
    normalise : str
        The normalisation applied (``"dataset"`` or ``"none"``).
    weights, variance, norms2 : numpy.ndarray
        (C,) ρ_c (counts/n), ``(1/d) tr Cov_c`` and ``‖μ_c‖²/d`` after the normalisation.
    cosine : numpy.ndarray
        (C, C) centroid cosines (NaN where a centroid norm is not positive).
    weights_se, variance_se, norms2_se : numpy.ndarray
        (C,) their bootstrap standard errors.
    cosine_se : numpy.ndarray
        (C, C) bootstrap standard errors of the cosines; NaN where the cosine is undefined in
        some replicate (a centroid norm at or below 0 after debiasing: centred classes), as
        the cosine itself is then undefined.
    raw_variance : numpy.ndarray
        (C,) ``(1/d) tr Cov_c`` before any normalisation, in the units of ``X``.
    scale : float
        The normalisation's scalar std ``s`` (1 for ``"none"``).
    spectrum : list of dict or None
        Per class, estimates of the population covariance ``Σ`` (module docstring, "Eigenvalue
        spread"): ``top_over_mean`` (``λ_max/(tr Σ/k)``, cross-fitted: 1 in expectation for an
        isotropic class, otherwise at most the truth in expectation) with
        ``top_over_mean_se`` (within- plus between-fold standard error) and
        ``top_over_mean_upper`` (the in-sample value, biased upward); ``participation_ratio``
        (``(tr Σ)²/tr Σ²``, ``k`` for an isotropic class) with ``participation_ratio_se``
        (jackknife); ``dimension`` (``k``: d, or the projection's dimension), ``rows``
        (samples used), ``folds``; and the isotropic values ``isotropic_top_over_mean = 1``
        and ``isotropic_participation_ratio = k``, which the estimates target without a
        finite-sample offset.
    spectrum_method : str
        ``"subsample"`` (the ``m × m`` Gram matrix of ``rows`` rows per class), ``"full"``
        (every row), ``"projection"`` (the subsample estimator after an orthonormal random
        projection onto ``dimension`` directions: an isotropic class stays isotropic) or
        ``"none"``.
    bootstrap : int
        Number of bootstrap replicates used.
    blocks : int
        Number of random groups resampled.
    debias : bool
        Whether the unbiased estimators were used.
    covariance : numpy.ndarray or None
        (3C, 3C) bootstrap covariance of the vector ``(weights, variance, norms2)`` (the
        ``*_se`` are the square roots of its diagonal); what a function of several statistics
        needs to propagate its error bar (delta method). ``None`` without a bootstrap.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory.class_stats import data_statistics
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(400, 50)); y = np.repeat([0, 1], 200)
    >>> st = data_statistics(X, y, normalise="none", bootstrap=50, seed=1)
    >>> st.classes, st.counts.tolist(), np.round(st.variance, 1)
    ([0, 1], [200, 200], array([1., 1.]))
    >>> sorted(st.to_dict())[:3]
    ['blocks', 'bootstrap', 'classes']
    """

    classes: list
    counts: np.ndarray
    d: int
    normalise: str
    weights: np.ndarray
    variance: np.ndarray
    norms2: np.ndarray
    cosine: np.ndarray
    weights_se: np.ndarray
    variance_se: np.ndarray
    norms2_se: np.ndarray
    cosine_se: np.ndarray
    raw_variance: np.ndarray
    scale: float
    spectrum: list | None = None
    spectrum_method: str = "none"
    bootstrap: int = 0
    blocks: int = 0
    debias: bool = True
    covariance: np.ndarray | None = None
    extra: dict = field(default_factory=dict)

    def mixture(self, *, weights: Sequence[float] | None = None):
        """The :class:`~classdyn.theory.params.Mixture` of the point estimates.

        ``norms2`` below 0 (possible after debiasing a centroid of norm about 0) are set to 0;
        the overlaps are the cosines, with the identity where a norm is 0, projected onto the
        positive semi-definite matrices if sampling noise left them slightly outside.

        Parameters
        ----------
        weights : sequence of float, optional
            Class weights to use instead of the measured ρ_c.

        Returns
        -------
        Mixture
            The isotropic Gaussian mixture with these statistics.

        Examples
        --------
        >>> import numpy as np
        >>> from classdyn.theory.class_stats import data_statistics
        >>> rng = np.random.default_rng(0)
        >>> X = np.r_[rng.normal(1, 1, (100, 20)), rng.normal(-1, 2, (300, 20))]
        >>> mix = data_statistics(X, np.repeat([0, 1], [100, 300]), bootstrap=20).mixture()
        >>> mix.weights, mix.centred
        ((0.25, 0.75), False)
        """
        from classdyn.theory import Mixture     # the package door: params imports this module

        n2 = np.clip(np.asarray(self.norms2, float), 0.0, None)
        C = len(n2)
        pos = n2 > 0
        cos = np.eye(C)
        both = np.outer(pos, pos)
        cos[both] = np.clip(np.nan_to_num(self.cosine[both]), -1.0, 1.0)
        np.fill_diagonal(cos, 1.0)
        lam, vec = np.linalg.eigh(cos)
        if lam.min() < 0:
            fixed = (vec * np.clip(lam, 1e-12, None)) @ vec.T
            dd = np.sqrt(np.diag(fixed))
            cos = fixed / np.outer(dd, dd)
            cos = (cos + cos.T) / 2
            np.fill_diagonal(cos, 1.0)
        w = np.asarray(self.weights if weights is None else weights, float)
        w = w / w.sum()
        return Mixture(tuple(float(v) for v in self.variance), weights=tuple(w.tolist()),
                       norms2=tuple(n2.tolist()), overlaps=cos.tolist())

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict of every field (arrays as lists, NaN kept as ``nan`` floats).

        Returns
        -------
        dict
            Field name → value.

        Examples
        --------
        >>> import numpy as np
        >>> from classdyn.theory.class_stats import data_statistics
        >>> X = np.random.default_rng(0).normal(size=(40, 5))
        >>> data_statistics(X, np.repeat(["a", "b"], 20), bootstrap=10).to_dict()["classes"]
        ['a', 'b']
        """
        out = {}
        for k in self.__dataclass_fields__:
            v = getattr(self, k)
            out[k] = v.tolist() if isinstance(v, np.ndarray) else v
        return out


def data_statistics(X, y, *, normalise: str = "dataset", classes: Sequence | None = None,
                    weights: Sequence[float] | None = None, bootstrap: int = 200,
                    blocks: int = 50, seed: int = 0, chunk: int = 8192, debias: bool = True,
                    spectrum: str | None = "auto", spectrum_rows: int | None = 400,
                    precision: str = "auto") -> DataStatistics:
    r"""Class weights, variances, centroid norms and cosines of ``(X, y)`` with error bars.

    One streamed pass over ``X`` (module docstring): ``ρ_c = n_c/n``,
    ``variance_c = (1/d) tr Cov_c``, ``norms2_c = ‖μ_c‖²/d``,
    ``cosine_cc' = μ_c·μ_c'/(‖μ_c‖‖μ_c'‖)`` after the normalisation ``normalise``:

    .. math::

        m = \sum_c \rho_c \mu_c, \quad s^2 = \sum_c \rho_c\big(v_c + \|\mu_c - m\|^2/d\big),
        \quad \mathrm{variance}_c = v_c/s^2, \quad \mu_c \to (\mu_c - m)/s

    for ``"dataset"``; nothing for ``"none"``. Bootstrap standard errors come from resampling
    ``blocks`` random groups of rows ``bootstrap`` times.

    Parameters
    ----------
    X : array_like
        ``(n, d)`` or ``(n, ...)`` samples (flattened per row); any object with ``len`` and row
        slicing ``X[i:j]`` (NumPy array, ``numpy.memmap``, Zarr array). Read ``chunk`` rows at a
        time, converted to float64.
    y : array_like
        ``(n,)`` labels (integers or strings).
    normalise : {"dataset", "none"}
        The normalisation (module docstring).
    classes : sequence, optional
        The classes to keep (label values, or their ``str``), in order; other rows are skipped.
        Default: every label present, sorted.
    weights : sequence of float, optional
        Fixed ρ_c for the ``"dataset"`` normalisation (default: the measured ``n_c/n``).
    bootstrap : int
        Number of bootstrap replicates (0: no error bars, ``*_se`` are NaN).
    blocks : int
        Number of random groups resampled (2..255).
    seed : int
        Seed of the group assignment and of the resampling.
    chunk : int
        Rows read at a time.
    debias : bool
        Unbiased estimators (``ddof = 1``, ``‖μ̂_c‖²/d − v̂_c/n_c``); ``False``: plug-in values.
    spectrum : {"auto", "subsample", "full", "projection", "none"} or None
        Eigenvalue spread of each class covariance (module docstring): ``"subsample"`` from
        ``spectrum_rows`` rows per class (``O(rows² d)``), ``"full"`` from every row
        (``O(n d²)``, memory ``5 C d²`` floats), ``"projection"`` the subsample estimator on
        256 random orthonormal directions, ``"auto"`` (subsample when ``d <= 2000``,
        projection above), ``"none"``/``None`` to skip.
    spectrum_rows : int or None
        Rows per class of the subsample (8 to 20000; ``None``: all rows, at most 20000 per
        class: the ``rows × rows`` Gram matrix is held in memory). 400 rows give the
        participation ratio to ~8 % and the top eigenvalue to ~6-10 % (standard errors on a
        Fashion-MNIST-like spectrum), at ~10-20 ms per class for d = 784; the cross-fitted top
        eigenvalue's downward bias falls with more rows (module docstring). On the
        Fashion-MNIST training set the default agrees with ``spectrum="full"`` within 1.6
        combined standard errors for each of the ten classes (measured).
    precision : {"auto", "float64"}
        Arithmetic of the pass within a chunk: ``"auto"`` works in float32 when float32 holds
        ``X`` exactly (float32, float16, integers of <= 16 bits) and in float64 otherwise;
        ``"float64"`` always in float64. Sums
        across chunks are float64 either way (module docstring, "Precision").

    Returns
    -------
    DataStatistics
        Point estimates, bootstrap standard errors and the eigenvalue spread.

    Raises
    ------
    ValueError
        Before the pass: labels of the wrong length, a class that does not exist or has fewer
        than 2 samples, a bad option. During the pass, at the first chunk holding one: a row with
        NaN or inf (named by its index).

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.theory.class_stats import data_statistics
    >>> rng = np.random.default_rng(0)
    >>> X = np.r_[rng.normal(0, 1, (300, 100)), rng.normal(0, 2, (100, 100))]
    >>> y = np.repeat([0, 1], [300, 100])
    >>> st = data_statistics(X, y, normalise="none", seed=0)
    >>> np.round(st.weights, 2), np.round(st.variance), bool(np.all(st.variance_se < 0.1))
    (array([0.75, 0.25]), array([1., 4.]), True)
    >>> st.spectrum_method, st.spectrum[0]["dimension"], st.spectrum[0]["rows"]
    ('subsample', 100, 300)
    >>> sp = st.spectrum[0]            # an isotropic class: top/mean 1, participation ratio 100
    >>> abs(sp["top_over_mean"] - 1) < 3 * sp["top_over_mean_se"]
    True
    >>> abs(sp["participation_ratio"] - 100) < 3 * sp["participation_ratio_se"]
    True
    >>> data_statistics(X, y[:10])
    Traceback (most recent call last):
    ...
    ValueError: y: labels must be a 1-d array with one label per row of X (400 rows); got shape (10,)
    """
    spectrum = "none" if spectrum is None else spectrum
    for name, val, allowed in (("normalise", normalise, NORMALISATIONS),
                               ("spectrum", spectrum, _SPECTRA),
                               ("precision", precision, ("auto", "float64"))):
        if val not in allowed:
            raise ValueError(f"{name} must be one of {list(allowed)}, got {val!r}")
    for name, val, lo in (("bootstrap", bootstrap, 0), ("blocks", blocks, 2), ("chunk", chunk, 1),
                          ("spectrum_rows", 8 if spectrum_rows is None else spectrum_rows, 8)):
        if not isinstance(val, (int, np.integer)) or isinstance(val, bool) or val < lo:
            raise ValueError(f"{name}: need an integer >= {lo}, got {val!r}")
    if blocks > 255:
        raise ValueError(f"blocks: need an integer in [2, 255], got {blocks}")
    shape = getattr(X, "shape", None)
    n = int(shape[0]) if shape is not None and len(shape) else len(X)
    if n < 2:
        raise ValueError(f"X: need at least 2 rows, got {n}")
    d = int(np.prod(shape[1:])) if shape is not None and len(shape) > 1 else \
        int(np.asarray(X[0:1]).size)
    if d < 1:
        raise ValueError(f"X: need at least one feature per row, got shape {shape}")
    index, cls, counts = _labels_and_classes(y, n, classes)
    C = len(cls)
    w_fixed = None
    if weights is not None:
        w_fixed = np.asarray(weights, float)
        if w_fixed.shape != (C,) or np.any(w_fixed <= 0) or abs(w_fixed.sum() - 1) > 1e-9:
            raise ValueError(f"weights: need {C} positive numbers summing to 1, got "
                             f"{list(weights)}")
    if spectrum == "auto":
        spectrum = "subsample" if d <= _MAX_FULL_D else "projection"
    proj = sub = None
    if spectrum == "projection":
        k = min(_PROJ_DIM, d)
        q, _ = np.linalg.qr(np.random.default_rng([seed, 7]).normal(size=(d, k)))
        proj = q.T                                              # (k, d), orthonormal rows
    if spectrum in ("subsample", "projection"):
        m = int(min(counts.max(), n if spectrum_rows is None else spectrum_rows))
        if m > _MAX_GRAM_ROWS:
            raise ValueError(f"spectrum_rows: {m} rows of a class need a {m}x{m} Gram matrix "
                             f"(~{12 * m * m / 2 ** 30:.0f} GiB); use at most "
                             f"{_MAX_GRAM_ROWS} rows, or spectrum='full'")
        sub = _subsample(index, C, m, seed)
    from classdyn._threads import blas_threads

    # one BLAS thread: the products here are small, and on a shared machine two threads
    # that contend are slower than one (measured: 0.53 s against 0.20 s on Fashion-MNIST)
    with blas_threads(1):
        cells = _accumulate(X, index, C, d, blocks=blocks, seed=seed, chunk=chunk,
                            spectrum=spectrum, proj=proj, sub=sub,
                            work=_work_dtype(X, precision))
        opts = dict(normalise=normalise, weights=w_fixed, debias=debias)
        est = {k: v[0] for k, v in _estimate(cells, np.ones((1, blocks)), **opts).items()}
        se = {k: np.full_like(est[k], np.nan)
              for k in ("weights", "variance", "norms2", "cosine")}
        used, cov = 0, None
        if bootstrap:
            rng = np.random.default_rng([seed, 11])
            reps = []
            batch = max(1, min(64, int(2e7 // (C * d))))        # ≤ ~160 MB of replicate means
            for b0 in range(0, bootstrap, batch):
                nb = min(batch, bootstrap - b0)
                pick = rng.integers(0, blocks, size=(nb, blocks))
                wb = np.zeros((nb, blocks))
                np.add.at(wb, (np.arange(nb)[:, None], pick), 1.0)
                ok = (wb @ cells.counts >= 2).all(axis=1)
                reps.append(_estimate(cells, wb[ok], **opts))
            used = sum(len(r["weights"]) for r in reps)
            if used >= 2:
                for k in se:
                    # undefined cosines (NaN, see cosine_se) give NaN standard errors, on purpose
                    with np.errstate(invalid="ignore"):
                        se[k] = np.concatenate([r[k] for r in reps]).std(axis=0, ddof=1)
                vec = np.concatenate([np.concatenate([r[k] for r in reps])
                                      for k in ("weights", "variance", "norms2")], axis=1)
                cov = np.atleast_2d(np.cov(vec, rowvar=False))
        spec = _spectrum(cells, seed)
    cos = est["cosine"]
    np.fill_diagonal(cos, np.where(est["norms2"] > 0, 1.0, np.nan))
    return DataStatistics(
        classes=cls, counts=counts, d=d, normalise=normalise, weights=est["weights"],
        variance=est["variance"], norms2=est["norms2"], cosine=cos,
        weights_se=se["weights"], variance_se=se["variance"], norms2_se=se["norms2"],
        cosine_se=se["cosine"], raw_variance=est["raw_variance"], scale=float(est["scale"]),
        spectrum=spec, spectrum_method=spectrum, bootstrap=used,
        blocks=blocks, debias=debias, covariance=cov)
