r"""Class statistics of a user's labelled dataset, streamed in chunks, with bootstrap error bars.

The theory (docs/theory/model.md) models each class as an isotropic Gaussian
``N(μ_c, σ_c² I_d)`` with weight ρ_c. :func:`data_statistics` measures, from an ``n×d`` array
``X`` (any float or integer dtype; a ``numpy.memmap``, a Zarr array or anything that supports
``X[i:j]``) and labels ``y``, what the model needs: ρ_c, the per-class variance
``(1/d) tr Cov_c``, the centroid norms ``‖μ_c‖²/d`` and the centroid cosines, after a named
normalisation, plus what the isotropic model loses (the spread of each class's covariance
eigenvalues).

One pass
    ``X`` is read once, ``chunk`` rows at a time, into float64 accumulators: per (block, class)
    cell the count, the sum of ``x − x_0`` and the sum of ``‖x − x_0‖²``, where ``x_0`` is the
    mean of the first ``min(n, 1000)`` rows (a fixed shift, so the one-pass variance does not
    lose digits and the numbers do not depend on ``chunk``). With ``spectrum="full"`` the
    per-class ``Σ (x − x_0)(x − x_0)ᵀ`` is accumulated too (``d ≤ 2000``; products in float32,
    summed per chunk in float64: the eigenvalue spread is a diagnostic, good to ~1e-6).

Precision
    Within a chunk the arithmetic follows the input: ``X`` that float32 holds exactly (float32,
    float16, integers of at most 16 bits such as image bytes) is shifted, its per-cell row sums
    and squared row norms formed in float32 (no float64 copy of the chunk), everything else in
    float64; the cells are summed across chunks in float64. Each float32
    cell sum adds ``chunk/(blocks C)`` rows (~16 at the defaults), so the statistics carry a
    relative round-off of ~1e-6 (measured against ``precision="float64"``; the bootstrap
    errors of real data are >= 1e-3 relative), and they depend on ``chunk`` only at that
    level. Other input (float64, wide integers), ``precision="float64"``, and any chunk whose
    squares overflow float32 are computed in float64 throughout (round-off ~1e-15).

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
_Z95 = 1.959963984540054


def _block_of(rows: np.ndarray, seed: int, blocks: int) -> np.ndarray:
    """splitmix64 hash of (row, seed) modulo ``blocks``: chunk-independent pseudo-random groups."""
    with np.errstate(over="ignore"):
        z = rows.astype(np.uint64) + np.uint64((seed * 0x9E3779B97F4A7C15 + 1) % 2 ** 64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z % np.uint64(blocks)).astype(np.intp)


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
    """Accumulated sums: counts (K, C), s1 (K, C, d), s2 (K, C); shift (d,); optional cov sums."""

    counts: np.ndarray
    s1: np.ndarray
    s2: np.ndarray
    shift: np.ndarray
    xx: np.ndarray | None
    xs1: np.ndarray | None = None
    xn: np.ndarray | None = None


_FLUSH_ROWS = 2048


def _work_dtype(X, precision: str):
    """float32 under ``precision="auto"`` for input that float32 holds exactly (float32,
    float16, integers of at most 16 bits such as image bytes), float64 otherwise; the dtype
    is that of the first row as read (any array-like)."""
    if precision != "auto":
        return np.float64
    dt = np.asarray(X[0:1]).dtype
    exact = dt in (np.float32, np.float16) or (dt.kind in "iub" and dt.itemsize <= 2)
    return np.float32 if exact else np.float64


def _accumulate(X, index, C, d, *, blocks, seed, chunk, spectrum, proj, spec_blocks,
                work=np.float64):
    from scipy.linalg.blas import ssyrk
    from scipy.sparse import csr_matrix

    from classdyn._threads import blas_threads

    n = len(index)
    K = blocks
    first = np.asarray(X[0:min(n, _SHIFT_ROWS)], dtype=np.float64).reshape(-1, d)
    if not np.all(np.isfinite(first)):
        bad = int(np.nonzero(~np.all(np.isfinite(first), axis=1))[0][0])
        raise ValueError(f"X: row {bad} holds NaN or inf; clean the data first")
    shift = first.mean(axis=0)
    counts = np.zeros((K, C))
    s1 = np.zeros((K * C, d))
    s2 = np.zeros(K * C)
    dim = d if spectrum == "full" else (proj.shape[0] if spectrum == "projection" else 0)
    xx = np.zeros((C, dim, dim)) if dim else None
    xs1, xn = np.zeros((C, dim)), np.zeros(C)
    buf: list[list] = [[] for _ in range(C)]

    def flush(c):                   # float32 rank-k update (upper triangle), float64 sums
        if buf[c]:
            a = np.concatenate(buf[c]) if len(buf[c]) > 1 else buf[c][0]
            with blas_threads(1):   # on 2 shared cores one thread beats two that contend
                xx[c] += ssyrk(1.0, a.T, trans=0)
            xs1[c] += a.sum(axis=0, dtype=np.float64)
            xn[c] += len(a)
            buf[c] = []

    for i in range(0, n, chunk):
        j = min(n, i + chunk)
        raw = np.asarray(X[i:j]).reshape(j - i, d)
        lab = index[i:j]
        keep = lab >= 0
        rows = np.arange(i, j)
        if not keep.all():
            raw, lab, rows = raw[keep], lab[keep], rows[keep]
        if not len(lab):
            continue
        xc = np.subtract(raw, shift.astype(work), dtype=work)      # one pass: cast and shift
        rn = np.einsum("ij,ij->i", xc, xc)
        if not np.isfinite(rn).all():          # NaN/inf in a row, or float32 overflow
            finite = np.isfinite(raw).all(axis=1) if raw.dtype.kind == "f" else \
                np.ones(len(raw), bool)
            if not finite.all():
                bad = int(rows[np.nonzero(~finite)[0][0]])
                raise ValueError(f"X: row {bad} holds NaN or inf; clean the data first")
            xc = np.subtract(raw, shift, dtype=np.float64)      # overflow: this chunk in f64
            rn = np.einsum("ij,ij->i", xc, xc)
        blk = _block_of(rows, seed, K)
        key = blk * C + lab
        onehot = csr_matrix((np.ones(len(key), xc.dtype), (key, np.arange(len(key)))),
                            shape=(K * C, len(key)))
        s1 += onehot @ xc                                   # per-cell row sums, O(rows d)
        s2 += np.bincount(key, weights=rn, minlength=K * C)
        counts += np.bincount(key, minlength=K * C).reshape(K, C)
        if xx is not None:              # float32 products (a diagnostic), float64 sums
            sel = blk < spec_blocks[lab]                # the rows of the first blocks
            xsel, lsel = xc[sel], lab[sel]
            x32 = (xsel if proj is None else xsel @ proj.T.astype(xsel.dtype))
            x32 = x32.astype(np.float32, copy=False)
            for c in range(C):
                xcc = x32[lsel == c]
                if len(xcc):
                    buf[c].append(xcc)
                    if sum(len(b) for b in buf[c]) >= _FLUSH_ROWS:
                        flush(c)
    if xx is not None:
        for c in range(C):
            flush(c)
            xx[c] += xx[c].T                # the lower triangle was 0: now symmetric,
            xx[c][np.diag_indices(dim)] /= 2    # with the diagonal counted once
    return _Cells(counts, s1.reshape(K, C, d), s2.reshape(K, C), shift, xx, xs1, xn)


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


def _top_eig(cov: np.ndarray) -> float:
    """Largest eigenvalue of a symmetric matrix (Lanczos for large ones: no full eigh)."""
    if len(cov) <= 64:
        return float(np.linalg.eigvalsh(cov)[-1])
    from scipy.sparse.linalg import eigsh

    # A diagnostic: float32 Lanczos (half the memory traffic of each product), tol 1e-3;
    # measured against eigvalsh on Fashion-MNIST and isotropic 784x784 covariances: <= 7e-7.
    c32 = np.ascontiguousarray(cov, dtype=np.float32)
    return float(eigsh(c32, k=1, which="LA", return_eigenvectors=False, tol=1e-3,
                       v0=np.ones(len(cov), np.float32))[0])


def _spectrum(cells: _Cells):
    """Eigenvalue spread of each class covariance (from the accumulated second moments)."""
    if cells.xx is None:
        return None
    from classdyn._threads import blas_threads

    with blas_threads(1):       # small d×d work: one thread beats two that contend
        return _spread(cells)


def _spread(cells: _Cells):
    out = []
    for c in range(cells.xx.shape[0]):
        n = cells.xn[c]
        m = cells.xs1[c] / n
        cov = (cells.xx[c] - n * np.outer(m, m)) / (n - 1)     # symmetric by construction
        k = len(cov)
        mean = float(np.trace(cov)) / k
        pr = float(k * mean) ** 2 / float(np.einsum("ij,ij->", cov, cov)) if mean > 0 else \
            float("nan")
        ratio = k / (n - 1)
        out.append({"top_over_mean": _top_eig(cov) / mean if mean > 0 else float("nan"),
                    "participation_ratio": pr, "dimension": k, "rows": int(n),
                    "isotropic_top_over_mean": float((1 + np.sqrt(ratio)) ** 2),
                    "isotropic_participation_ratio": float(k / (1 + ratio))})
    return out


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
        Per class: ``top_over_mean`` (largest covariance eigenvalue over the mean one; 1 for an
        isotropic class), ``participation_ratio`` ((Σλ)²/Σλ², ``dimension`` for an isotropic
        class), ``dimension`` (d, or the projection's dimension), ``rows`` (samples used), and
        the values an isotropic
        class of the same size would show from sampling noise alone
        (``isotropic_top_over_mean = (1 + √(k/(rows−1)))²`` and
        ``isotropic_participation_ratio = k/(1 + k/(rows−1))``, Marchenko–Pastur).
    spectrum_method : str
        ``"full"`` (d×d covariance), ``"projection"`` (orthonormal random projection onto
        ``dimension`` directions: an isotropic class stays isotropic, so spread above the
        isotropic reference is anisotropy) or ``"none"``.
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
                    spectrum: str | None = "auto", spectrum_rows: int | None = 1000,
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
    spectrum : {"auto", "full", "projection", "none"} or None
        Eigenvalue spread of each class covariance: ``"full"`` from the d×d covariance, a
        ``"projection"`` onto 256 random orthonormal directions, ``"auto"`` (full when
        ``d <= 2000``), ``"none"``/``None`` to skip.
    spectrum_rows : int or None
        About how many rows per class enter the eigenvalue spread (those of the first random
        groups; the isotropic references use the number taken); ``None``: all rows. The spread
        is a diagnostic: it costs ``rows × d²`` per class, and 1000 rows resolve it (on
        Fashion-MNIST the top/mean ratio and participation ratio of every class agree with
        those from all 6000 rows within 6 %, against isotropic references 3.4 and 453).
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
    >>> st.spectrum_method, st.spectrum[0]["dimension"]
    ('full', 100)
    >>> data_statistics(X, y[:10])
    Traceback (most recent call last):
    ...
    ValueError: y: labels must be a 1-d array with one label per row of X (400 rows); got shape (10,)
    """
    spectrum = "none" if spectrum is None else spectrum
    for name, val, allowed in (("normalise", normalise, NORMALISATIONS),
                               ("spectrum", spectrum, ("auto", "full", "projection", "none")),
                               ("precision", precision, ("auto", "float64"))):
        if val not in allowed:
            raise ValueError(f"{name} must be one of {list(allowed)}, got {val!r}")
    for name, val, lo in (("bootstrap", bootstrap, 0), ("blocks", blocks, 2), ("chunk", chunk, 1),
                          ("spectrum_rows", 2 if spectrum_rows is None else spectrum_rows, 2)):
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
        spectrum = "full" if d <= _MAX_FULL_D else "projection"
    proj = None
    if spectrum == "projection":
        k = min(_PROJ_DIM, d)
        q, _ = np.linalg.qr(np.random.default_rng([seed, 7]).normal(size=(d, k)))
        proj = q.T                                              # (k, d), orthonormal rows

    if spectrum_rows is None:
        spec_blocks = np.full(C, blocks)
    else:
        spec_blocks = np.minimum(blocks, -(-blocks * spectrum_rows // counts))
    cells = _accumulate(X, index, C, d, blocks=blocks, seed=seed, chunk=chunk,
                        spectrum=spectrum, proj=proj, spec_blocks=spec_blocks,
                        work=_work_dtype(X, precision))
    opts = dict(normalise=normalise, weights=w_fixed, debias=debias)
    est = {k: v[0] for k, v in _estimate(cells, np.ones((1, blocks)), **opts).items()}
    se = {k: np.full_like(est[k], np.nan) for k in ("weights", "variance", "norms2", "cosine")}
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
    cos = est["cosine"]
    np.fill_diagonal(cos, np.where(est["norms2"] > 0, 1.0, np.nan))
    return DataStatistics(
        classes=cls, counts=counts, d=d, normalise=normalise, weights=est["weights"],
        variance=est["variance"], norms2=est["norms2"], cosine=cos,
        weights_se=se["weights"], variance_se=se["variance"], norms2_se=se["norms2"],
        cosine_se=se["cosine"], raw_variance=est["raw_variance"], scale=float(est["scale"]),
        spectrum=_spectrum(cells), spectrum_method=spectrum, bootstrap=used,
        blocks=blocks, debias=debias, covariance=cov)
