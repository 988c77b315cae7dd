"""Memorisation of generated samples (docs/theory/ddpm.md; paper Sec. 4 and App. J.1).

A generated sample ``x`` is memorised when its two nearest training neighbours satisfy the ratio
test

    ‖x − NN1(x)‖₂ / ‖x − NN2(x)‖₂ < 1/3

(distances in the normalised pixel space; the ratio is invariant to the pair normalisation since
it is one affine map for all images). A sample equal to a training image (ratio 0/0 when the set
holds duplicates) counts as memorised. The per-class memorised fraction of a checkpoint is

    f_c = #{samples assigned to c and memorised} / #{samples assigned to c},

with a bootstrap error bar (resampling the generated samples with replacement).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RATIO_THRESHOLD = 1.0 / 3.0


def nearest_two(samples: np.ndarray, train: np.ndarray, *, device: str = "cpu",
                batch_size: int = 1024, candidates: int = 8
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Exact two nearest training neighbours of each sample (Euclidean; docs/theory/ddpm.md).

    Candidates come from ``‖x‖² + ‖y‖² − 2 x·y`` (batched matrix products on ``device``, float32);
    the ``candidates`` closest are re-measured exactly as ``‖x − y‖`` in float64 and re-sorted,
    so round-off in the matrix-product formula cannot change NN1/NN2.

    Parameters
    ----------
    samples : numpy.ndarray
        Generated samples, shape ``(m, ...)`` (flattened per sample).
    train : numpy.ndarray
        Training images, shape ``(n, ...)`` with the same number of pixels per image; ``n >= 2``.
    device : str, default "cpu"
        Torch device of the matrix products.
    batch_size : int, default 1024
        Samples per batch.
    candidates : int, default 8
        Nearest candidates (by the float32 formula) re-measured exactly.

    Returns
    -------
    d1 : numpy.ndarray
        (m,) float64 distance to the nearest training image NN1 (pixel units).
    d2 : numpy.ndarray
        (m,) float64 distance to the second nearest NN2.
    i1 : numpy.ndarray
        (m,) int index of NN1 in ``train``.

    Raises
    ------
    ValueError
        If ``train`` holds fewer than 2 images, or the pixel counts of samples and training images
        differ.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.ddpm.memorization import nearest_two
    >>> train = np.array([[0., 0.], [1., 0.], [0., 3.]])
    >>> d1, d2, i1 = nearest_two(np.array([[0.1, 0.], [0.5, 0.], [1., 0.]]), train)
    >>> np.round(d1, 4), np.round(d2, 4), i1
    (array([0.1, 0.5, 0. ]), array([0.9, 0.5, 1. ]), array([0, 0, 1]))
    """
    import torch

    if train.shape[0] < 2:
        raise ValueError(f"train: need >= 2 training images for the ratio test, got "
                         f"{train.shape[0]}")
    xs = torch.as_tensor(np.asarray(samples, np.float32).reshape(len(samples), -1))
    ys = torch.as_tensor(np.asarray(train, np.float32).reshape(len(train), -1)).to(device)
    if xs.shape[1] != ys.shape[1]:
        raise ValueError(f"samples: {xs.shape[1]} pixels per sample but the training images "
                         f"have {ys.shape[1]}")
    k = min(candidates, ys.shape[0])
    y2 = (ys * ys).sum(1)
    ys64 = ys.double()
    d1s, d2s, i1s = [], [], []
    for s in range(0, len(xs), batch_size):
        xb = xs[s:s + batch_size].to(device)
        dist2 = (xb * xb).sum(1, keepdim=True) + y2[None] - 2.0 * xb @ ys.T
        idx = torch.topk(dist2, k, dim=1, largest=False).indices  # (b, k)
        exact = torch.linalg.vector_norm(xb.double()[:, None, :] - ys64[idx], dim=2)
        order = torch.argsort(exact, dim=1)
        exact = torch.gather(exact, 1, order)
        idx = torch.gather(idx, 1, order)
        d1s.append(exact[:, 0].cpu().numpy())
        d2s.append(exact[:, 1].cpu().numpy())
        i1s.append(idx[:, 0].cpu().numpy())
    return np.concatenate(d1s), np.concatenate(d2s), np.concatenate(i1s)


def distance_ratio(d1: np.ndarray, d2: np.ndarray) -> np.ndarray:
    r"""The ratio ``‖x − NN1‖/‖x − NN2‖`` of the ratio test (docs/theory/ddpm.md).

    .. math::

        r(x) = \frac{\|x - \mathrm{NN}_1(x)\|_2}{\|x - \mathrm{NN}_2(x)\|_2},

    with 0 where ``d1 = 0`` (an exact copy of a training image, also when ``d2 = 0`` too).

    Parameters
    ----------
    d1 : array_like
        Distances to the nearest training image.
    d2 : array_like
        Distances to the second nearest training image.

    Returns
    -------
    numpy.ndarray
        float64 ratios, same shape as ``d1``, in [0, 1] for ``d1 <= d2``.

    Examples
    --------
    >>> from classdyn.ddpm.memorization import distance_ratio
    >>> distance_ratio([0.1, 0.5, 0.0], [0.9, 0.5, 0.0]).round(4)
    array([0.1111, 1.    , 0.    ])
    """
    d1 = np.asarray(d1, float)
    d2 = np.asarray(d2, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(d1 == 0, 0.0, d1 / d2)
    return r


def is_memorised(d1: np.ndarray, d2: np.ndarray, threshold: float = RATIO_THRESHOLD
                 ) -> np.ndarray:
    r"""The ratio test ``‖x − NN1‖/‖x − NN2‖ < threshold`` (paper: 1/3; docs/theory/ddpm.md).

    .. math::

        \frac{\|x - \mathrm{NN}_1(x)\|_2}{\|x - \mathrm{NN}_2(x)\|_2} < \frac13 .

    A sample equal to a training image counts as memorised (ratio 0, see :func:`distance_ratio`).

    Parameters
    ----------
    d1 : array_like
        Distances to the nearest training image.
    d2 : array_like
        Distances to the second nearest training image.
    threshold : float, default ``RATIO_THRESHOLD`` = 1/3
        The ratio below which a sample is memorised, in (0, 1].

    Returns
    -------
    numpy.ndarray
        bool array, True where the sample is memorised.

    Raises
    ------
    ValueError
        If ``threshold`` is outside (0, 1].

    Examples
    --------
    >>> from classdyn.ddpm.memorization import is_memorised
    >>> is_memorised([0.1, 0.5, 0.0], [0.9, 0.5, 1.0])
    array([ True, False,  True])
    >>> is_memorised([0.1], [0.9], threshold=0)
    Traceback (most recent call last):
    ...
    ValueError: ratio threshold: must lie in (0, 1], got 0
    """
    if not 0 < threshold <= 1:
        raise ValueError(f"ratio threshold: must lie in (0, 1], got {threshold}")
    return distance_ratio(d1, d2) < threshold


@dataclass
class ClassFractions:
    """Per-class memorised fractions of one checkpoint (returned by :func:`class_fractions`).

    ``f_c`` per class, its bootstrap std ``err_c`` and the number of samples ``n_c``;
    ``to_dict()`` returns the four fields as a dict.

    Parameters
    ----------
    classes : list of int
        The class labels, in order.
    fraction : numpy.ndarray
        (C,) memorised fraction ``f_c`` per class (NaN where a class got no sample).
    err : numpy.ndarray
        (C,) bootstrap standard deviation of ``f_c`` (NaN where undefined).
    count : numpy.ndarray
        (C,) int number of samples assigned to each class.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.ddpm.memorization import ClassFractions
    >>> cf = ClassFractions([7, 8], np.array([0.5, 0.25]), np.array([0.1, 0.1]), np.array([4, 4]))
    >>> sorted(cf.to_dict())
    ['classes', 'count', 'err', 'fraction']
    """

    classes: list[int]
    fraction: np.ndarray
    err: np.ndarray
    count: np.ndarray

    def to_dict(self) -> dict:
        return {"classes": self.classes, "fraction": self.fraction, "err": self.err,
                "count": self.count}


def class_fractions(memorised: np.ndarray, assigned: np.ndarray, classes, *,
                    n_boot: int = 1000, seed: int = 0) -> ClassFractions:
    r"""Per-class memorised fraction with a bootstrap error bar (docs/theory/ddpm.md).

    .. math::

        f_c = \frac{\sum_i 1[a_i = c,\ m_i]}{\sum_i 1[a_i = c]},

    and the std (``ddof=1``) of ``f_c`` over ``n_boot`` bootstrap resamples of the samples (with
    replacement); ``f_c`` is NaN where a class got no sample, ``err_c`` NaN where fewer than two
    resamples define ``f_c`` (or ``n_boot = 0``).

    Parameters
    ----------
    memorised : array_like of bool
        (N,) ratio-test verdict per generated sample.
    assigned : array_like of int
        (N,) class assigned to each sample (by the classifier).
    classes : iterable of int
        The classes to report.
    n_boot : int, default 1000
        Bootstrap resamples (0: no error bar).
    seed : int, default 0
        Seed of the bootstrap.

    Returns
    -------
    ClassFractions
        ``classes``, ``fraction``, ``err`` and ``count`` per class.

    Examples
    --------
    >>> from classdyn.ddpm.memorization import class_fractions
    >>> cf = class_fractions([True, False, True, True, False], [7, 7, 8, 8, 8], [7, 8],
    ...                      n_boot=200, seed=0)
    >>> cf.fraction.round(4), cf.count
    (array([0.5   , 0.6667]), array([2, 3]))
    >>> cf.err.round(4)
    array([0.3914, 0.3008])
    >>> class_fractions([True], [7], [7, 8], n_boot=0).fraction
    array([ 1., nan])
    """
    m = np.asarray(memorised, bool)
    a = np.asarray(assigned)
    classes = [int(c) for c in classes]
    onehot = np.stack([a == c for c in classes], axis=1).astype(float)  # (N, C)
    num = (onehot * m[:, None]).sum(0)
    den = onehot.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        f = np.where(den > 0, num / np.maximum(den, 1), np.nan)
    err = np.full(len(classes), np.nan)
    if n_boot > 0 and len(m):
        rng = np.random.default_rng(seed)
        idx = rng.integers(0, len(m), size=(n_boot, len(m)))
        bn = np.einsum("bnc->bc", (onehot * m[:, None])[idx])
        bd = np.einsum("bnc->bc", onehot[idx])
        with np.errstate(invalid="ignore", divide="ignore"):
            bf = np.where(bd > 0, bn / np.maximum(bd, 1), np.nan)
        ok = np.isfinite(bf)
        for j in range(len(classes)):
            if ok[:, j].sum() >= 2:
                err[j] = float(np.std(bf[ok[:, j], j], ddof=1))
    return ClassFractions(classes=classes, fraction=f, err=err, count=den.astype(int))
