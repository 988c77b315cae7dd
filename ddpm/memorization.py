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
    """Exact two nearest training neighbours of each sample (Euclidean).

    Candidates come from ``‖x‖² + ‖y‖² − 2 x·y`` (batched matrix products on ``device``, float32);
    the ``candidates`` closest are re-measured exactly as ``‖x − y‖`` in float64 and re-sorted,
    so round-off in the matrix-product formula cannot change NN1/NN2. Returns ``(d1, d2, i1)``:
    distances to the first and second neighbours and the index of the first.
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
    """``‖x − NN1‖/‖x − NN2‖``, with 0 where ``d1 = 0`` (an exact copy of a training image)."""
    d1 = np.asarray(d1, float)
    d2 = np.asarray(d2, float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(d1 == 0, 0.0, d1 / d2)
    return r


def is_memorised(d1: np.ndarray, d2: np.ndarray, threshold: float = RATIO_THRESHOLD
                 ) -> np.ndarray:
    """The ratio test ``‖x − NN1‖/‖x − NN2‖ < threshold`` (paper: 1/3)."""
    if not 0 < threshold <= 1:
        raise ValueError(f"ratio threshold: must lie in (0, 1], got {threshold}")
    return distance_ratio(d1, d2) < threshold


@dataclass
class ClassFractions:
    """``f_c`` per class, its bootstrap std ``err_c`` and the number of samples ``n_c``."""

    classes: list[int]
    fraction: np.ndarray
    err: np.ndarray
    count: np.ndarray

    def to_dict(self) -> dict:
        return {"classes": self.classes, "fraction": self.fraction, "err": self.err,
                "count": self.count}


def class_fractions(memorised: np.ndarray, assigned: np.ndarray, classes, *,
                    n_boot: int = 1000, seed: int = 0) -> ClassFractions:
    """Per-class memorised fraction ``f_c = Σ_i 1[a_i = c, m_i] / Σ_i 1[a_i = c]`` and the std of
    ``f_c`` over ``n_boot`` bootstrap resamples of the samples (NaN where a class got no sample).
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
