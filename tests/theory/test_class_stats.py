"""Class statistics of a labelled dataset (issue 15): recovery with bootstrap error bars,
chunk/memmap invariance, agreement with the Fashion-MNIST statistics, refusals."""

from __future__ import annotations

import numpy as np
import pytest

from classdyn.theory.class_stats import DataStatistics, data_statistics

D = 784


def _mixture_truth(seed: int):
    """Random imbalanced isotropic mixture: weights, variances, centroids (C, d)."""
    rng = np.random.default_rng(1000 + seed)
    C = 2 + seed % 4
    rho = 0.6 ** np.arange(C)
    rho /= rho.sum()
    var = rng.uniform(0.5, 2.0, C)
    n2 = rng.uniform(0.3, 1.5, C)
    base = rng.normal(size=D)
    dirs = 0.6 * base + rng.normal(size=(C, D))        # correlated centroids: cosines ~ 0.3
    dirs /= np.linalg.norm(dirs, axis=1, keepdims=True)
    mu = dirs * np.sqrt(n2 * D)[:, None]
    return rho, var, mu


def _sample(rho, var, mu, n, rng):
    y = rng.choice(len(rho), size=n, p=rho)
    X = mu[y] + rng.normal(size=(n, mu.shape[1])) * np.sqrt(var[y])[:, None]
    return X, y


def _truth(rho, var, mu, normalise):
    d = mu.shape[1]
    if normalise == "dataset":
        m = rho @ mu
        s2 = float(rho @ (var + ((mu - m) ** 2).sum(1) / d))
        mu, var = (mu - m) / np.sqrt(s2), var / s2
    n2 = (mu ** 2).sum(1) / d
    nrm = np.sqrt(n2 * d)
    return {"weights": rho, "variance": var, "norms2": n2,
            "cosine": (mu @ mu.T) / np.outer(nrm, nrm)}


@pytest.mark.parametrize("normalise", ["none", "dataset"])
def test_bootstrap_intervals_cover_the_truth(normalise):
    # 20 seeds, C = 2..5 imbalanced (rho down to 0.6^4 / sum ~ 0.05), d = 784, n = 1500 rows.
    # Nominal 95 % intervals est +/- 1.96 se; the se comes from 50 resampled groups (49 degrees
    # of freedom: about 10 % relative noise on se), so the true coverage is ~ 93 %. Each family
    # pools >= 40 (seed, class) cases; binomial sd at p = 0.93 is <= 4 %, so >= 80 % is > 3 sd
    # below the expected value: a failure means a wrong se or a biased estimator, not bad luck.
    hits = {k: [] for k in ("weights", "variance", "norms2", "cosine")}
    for seed in range(20):
        rho, var, mu = _mixture_truth(seed)
        X, y = _sample(rho, var, mu, 1500, np.random.default_rng(seed))
        st = data_statistics(X, y, normalise=normalise, bootstrap=200, seed=seed,
                             spectrum="none")
        tr = _truth(rho, var, mu, normalise)
        for k in hits:
            est, se = getattr(st, k), getattr(st, k + "_se")
            if k == "cosine":
                iu = np.triu_indices(len(rho), 1)
                est, se, t = est[iu], se[iu], tr[k][iu]
            else:
                t = tr[k]
            assert np.all(np.isfinite(se)) and np.all(se > 0)
            hits[k].extend(np.abs(est - t) <= 1.96 * se)
    cover = {k: float(np.mean(v)) for k, v in hits.items()}
    assert all(c >= 0.8 for c in cover.values()), cover


def _data(n=600, d=D, seed=0):
    rng = np.random.default_rng(seed)
    rho, var, mu = _mixture_truth(seed + 2)
    X, y = _sample(rho, var, mu[:, :d], n, rng)
    return X.astype(np.float32), y


def _same(a: DataStatistics, b: DataStatistics, tol=1e-12):
    for k in ("weights", "variance", "norms2", "cosine", "weights_se", "variance_se",
              "norms2_se", "cosine_se", "raw_variance"):
        np.testing.assert_allclose(getattr(a, k), getattr(b, k), rtol=tol, atol=tol,
                                   err_msg=k)
    # the spread's subsample rows do not depend on the chunking (hash of the row index) and
    # are copied in the same arithmetic: measured <= 1e-6 relative (float32 Gram products in
    # a different order after a float64/float32 change); tolerance 1e-5
    assert (a.spectrum is None) == (b.spectrum is None)
    for sa, sb in zip(a.spectrum or [], b.spectrum or []):
        for k in sa:
            assert sa[k] == pytest.approx(sb[k], rel=1e-5), k
    return max(float(np.nanmax(np.abs(getattr(a, k) - getattr(b, k))
                               / np.maximum(np.abs(getattr(b, k)), 1e-3)))
               for k in ("variance", "norms2", "variance_se", "norms2_se", "cosine"))


# Chunk/reader invariance: in float64 to round-off (1e-12); with float32 X under the default
# precision="auto" each cell sum of a chunk is a float32 sum of ~16 rows, so the numbers move
# with the chunking by float32 round-off: measured <= 1.8e-8 relative (chunks 7, 97, 128;
# float64: <= 4e-15); tolerance 2e-7, ~10x that.
F32_TOL = 2e-7


@pytest.mark.parametrize("precision,tol", [("float64", 1e-12), ("auto", F32_TOL)])
def test_memmap_and_chunks_give_the_same_numbers(tmp_path, precision, tol):
    X, y = _data()
    ref = data_statistics(X, y, bootstrap=50, precision=precision)
    mm = np.lib.format.open_memmap(tmp_path / "X.npy", mode="w+", dtype=X.dtype, shape=X.shape)
    mm[:] = X
    mm.flush()
    mm = np.load(tmp_path / "X.npy", mmap_mode="r")
    _same(ref, data_statistics(mm, y, bootstrap=50, chunk=97, precision=precision), tol)
    _same(ref, data_statistics(X, y, bootstrap=50, chunk=7, precision=precision), tol)

    class Sliced:                               # only len, shape and X[i:j], like a Zarr array
        shape = X.shape

        def __len__(self):
            return len(X)

        def __getitem__(self, sl):
            assert isinstance(sl, slice)
            return X[sl]

    _same(ref, data_statistics(Sliced(), y, bootstrap=50, chunk=128, precision=precision),
          tol)


def test_zarr_array_gives_the_same_numbers(tmp_path):
    zarr = pytest.importorskip("zarr")
    X, y = _data(n=300)
    z = zarr.open(str(tmp_path / "X.zarr"), mode="w", shape=X.shape, chunks=(64, D),
                  dtype=X.dtype)
    z[:] = X
    _same(data_statistics(X, y, bootstrap=30), data_statistics(z, y, bootstrap=30, chunk=64),
          F32_TOL)


def test_float32_arithmetic_agrees_with_float64():
    """precision="auto" on float32 and uint8 input (float32 arithmetic within a chunk) against
    precision="float64": measured <= 4e-7 relative on every statistic and error bar; tolerance
    4e-6 relative (10x), far below the bootstrap errors (>= 1e-3 relative here). A float64 X is
    computed in float64 whatever the option (identical numbers)."""
    X, y = _data(n=2000)
    for arr in (X, np.clip(X * 40 + 128, 0, 255).astype(np.uint8)):
        a = data_statistics(arr, y, bootstrap=50)
        b = data_statistics(arr, y, bootstrap=50, precision="float64")
        _same(a, b, 4e-6)
    X64 = X.astype(np.float64)
    _same(data_statistics(X64, y, bootstrap=20), data_statistics(X64, y, bootstrap=20,
                                                                 precision="float64"), 0)


def test_dataset_normalisation_reproduces_fashion_mnist_statistics():
    """The "dataset" normalisation with fixed weights and plug-in estimators is the
    Fashion-MNIST normalisation (classdyn.ddpm.data module docstring), which
    ``class_statistics`` now computes through this path: checked against the formulas done
    directly, class by class, in NumPy (no shift, no cells)."""
    rng = np.random.default_rng(3)
    labels = rng.integers(0, 10, 2000)
    proto = rng.uniform(0, 1, (10, D))          # Fashion-MNIST-like: class prototypes + noise
    imgs = np.clip(proto[labels] * 255 + rng.normal(0, 40, (2000, D)), 0, 255).astype(np.uint8)
    w = np.array([0.1, 0.2, 0.3, 0.4])
    cls = [0, 2, 5, 9]
    u = [imgs[labels == c].reshape(-1, D) / 255.0 for c in cls]
    mus = np.array([a.mean(0) for a in u])
    vs = np.array([a.var(0).mean() for a in u])
    m = w @ mus
    s2 = float(w @ (vs + ((mus - m) ** 2).mean(1)))
    cen = (mus - m) / np.sqrt(s2)
    nrm = np.linalg.norm(cen, axis=1)
    ref = {"variance": vs / s2, "norms2": nrm ** 2 / D, "raw_variance": vs,
           "cosine": cen @ cen.T / np.outer(nrm, nrm)}
    st = data_statistics(imgs.reshape(2000, 28, 28) / 255.0, labels, classes=cls,
                         weights=w, debias=False, bootstrap=0, spectrum="none")
    # float64 sums of ~500 x 784 values by two routes: round-off ~1e-15; 1e-10 is far above it.
    for k in ("variance", "norms2", "cosine", "raw_variance"):
        np.testing.assert_allclose(getattr(st, k), ref[k], rtol=0, atol=1e-10, err_msg=k)
    assert st.scale == pytest.approx(np.sqrt(s2), abs=1e-10)
    assert float(np.dot(w, st.variance + st.norms2)) == pytest.approx(1.0, abs=1e-12)


def test_bootstrap_covariance_is_consistent():
    """``covariance`` (of weights, variance, norms2) has the squared error bars on its diagonal,
    is symmetric positive semi-definite, and its weights block has zero row sums: every
    replicate's weights sum to 1 exactly (a constraint the code does not impose on the matrix).
    Tolerances: 1e-12 relative on the diagonal (the same replicates, two reductions), 1e-10 of
    the block's scale for the row sums (round-off; measured 3e-16 of it)."""
    X, y = _data(n=400, d=50)
    st = data_statistics(X, y, bootstrap=200, spectrum="none")
    C = len(st.classes)
    cov = st.covariance
    assert cov.shape == (3 * C, 3 * C)
    se = np.concatenate([st.weights_se, st.variance_se, st.norms2_se])
    np.testing.assert_allclose(np.sqrt(np.diag(cov)), se, rtol=1e-12)
    np.testing.assert_allclose(cov, cov.T, rtol=0, atol=0)
    assert np.linalg.eigvalsh(cov).min() > -1e-12 * np.abs(cov).max()
    wb = cov[:C, :C]
    assert np.abs(wb.sum(axis=1)).max() < 1e-10 * np.abs(wb).max()
    assert data_statistics(X, y, bootstrap=0, spectrum="none").covariance is None


def test_mixture_and_to_dict():
    X, y = _data(n=400, d=50)
    st = data_statistics(X, y, bootstrap=20)
    mix = st.mixture()
    assert mix.n_classes == len(st.classes)
    assert mix.weights == pytest.approx(tuple(st.weights))
    assert mix.norms2 == pytest.approx(tuple(np.clip(st.norms2, 0, None)))
    import json
    json.dumps(st.to_dict())
    from classdyn.theory.params import Mixture
    m2 = Mixture.from_data(X, y, bootstrap=20)
    assert m2 == mix


def test_anisotropy_is_reported():
    rng = np.random.default_rng(0)
    n, d = 2000, 100
    iso = rng.normal(size=(n, d))
    aniso = rng.normal(size=(n, d)) * np.r_[np.full(5, 6.0), np.ones(d - 5)]
    X = np.r_[iso, aniso]
    y = np.repeat(["iso", "aniso"], n)
    st = data_statistics(X, y, bootstrap=0)
    sp = dict(zip(st.classes, st.spectrum))
    assert sp["iso"]["top_over_mean"] < 1.2 * sp["iso"]["isotropic_top_over_mean"]
    assert sp["aniso"]["top_over_mean"] > 3 * sp["aniso"]["isotropic_top_over_mean"]
    assert sp["aniso"]["participation_ratio"] < 0.5 * sp["iso"]["participation_ratio"]
    proj = data_statistics(np.c_[X, X, X], y, bootstrap=0, spectrum="projection")
    assert proj.spectrum_method == "projection" and proj.spectrum[0]["dimension"] == 256


@pytest.mark.parametrize("kw,bad,msg", [
    ({}, "labels", "one label per row"),
    ({"classes": [0, 7]}, None, "class 7 does not exist"),
    ({"normalise": "pixel"}, None, "normalise"),
    ({}, "few", "has 1 sample"),
    ({}, "nan", "row 333 holds NaN"),
])
def test_bad_input_is_refused(kw, bad, msg):
    X, y = _data(n=400, d=20)
    X = X.astype(np.float64)
    if bad == "labels":
        y = y[:-1]
    elif bad == "few":
        y = y.copy()
        y[5] = 99
    elif bad == "nan":
        X[333, 4] = np.inf
    with pytest.raises(ValueError, match=msg):
        data_statistics(X, y, chunk=100, **kw)


def test_float32_overflow_falls_back_to_float64_and_nan_is_named():
    """Squares of float32 values near 1e20 overflow float32: that chunk is redone in float64
    (same numbers as precision="float64" to float64 round-off, 1e-12), not reported as inf;
    a real NaN in a float32 row is still refused naming the row."""
    X, y = _data(n=300, d=20)
    big = X * np.float32(1e20)
    a = data_statistics(big, y, bootstrap=10, spectrum="none")
    b = data_statistics(big, y, bootstrap=10, spectrum="none", precision="float64")
    _same(a, b, 1e-12)
    X[123, 4] = np.nan
    with pytest.raises(ValueError, match="X: row 123 holds NaN or inf"):
        data_statistics(X, y, bootstrap=10)


def test_cosine_errors_are_finite_for_separated_classes_and_nan_without_warning_for_centred():
    # A cosine is undefined when a (debiased) centroid norm is not positive: centred classes
    # give NaN cosines in some bootstrap replicates, hence a NaN standard error, which is the
    # honest value and is documented (DataStatistics.cosine_se); it must not come with a
    # RuntimeWarning. Well-separated centroids give finite standard errors.
    import warnings

    from classdyn.theory.class_stats import data_statistics

    rng = np.random.default_rng(0)
    n, d = 600, 20
    y = rng.integers(0, 2, n)
    centred = rng.normal(size=(n, d))
    shifted = centred + np.where(y == 1, 3.0, -3.0)[:, None] * np.eye(d)[0]
    st = data_statistics(shifted, y, normalise="none", bootstrap=50, spectrum="none")
    assert np.isfinite(st.cosine_se[0, 1]) and st.cosine_se[0, 1] >= 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        st = data_statistics(centred, y, normalise="none", bootstrap=50, spectrum="none")
    assert np.isnan(st.cosine_se[0, 1])
