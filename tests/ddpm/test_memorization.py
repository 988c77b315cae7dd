"""classdyn.ddpm.memorization: exact neighbours, ratio test, per-class fractions (the gaps built on
them are in test_gaps.py)."""

import numpy as np
import pytest

from classdyn.ddpm.memorization import class_fractions, distance_ratio, is_memorised

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.ddpm


def test_nearest_two_is_exact_against_brute_force():
    from classdyn.ddpm.memorization import nearest_two

    rng = np.random.default_rng(0)
    train = rng.standard_normal((300, 50)).astype(np.float32)
    # Samples: some near-copies (tiny d1, where the |x|^2+|y|^2-2xy formula loses digits), some
    # random.
    samples = np.concatenate([train[:20] + 1e-4 * rng.standard_normal((20, 50)),
                              rng.standard_normal((30, 50))]).astype(np.float32)
    d1, d2, i1 = nearest_two(samples, train, batch_size=7)
    full = np.linalg.norm(samples[:, None].astype(np.float64) - train[None], axis=2)
    srt = np.sort(full, axis=1)
    # Exact float64 re-measurement: agreement to float32 input precision (1e-6 relative on the
    # O(10) distances, 1e-9 absolute on the 1e-3 near-copy distances).
    np.testing.assert_allclose(d1, srt[:, 0], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(d2, srt[:, 1], rtol=1e-6)
    np.testing.assert_array_equal(i1, full.argmin(1))
    assert np.all(is_memorised(d1, d2)[:20]) and not np.any(is_memorised(d1, d2)[20:])


def test_ratio_test_threshold_and_exact_copies():
    d1 = np.array([0.0, 1.0, 1.0, 1.0])
    d2 = np.array([0.0, 3.01, 3.0, 2.0])
    np.testing.assert_array_equal(distance_ratio(d1, d2)[:1], [0.0])  # copy of a duplicate
    np.testing.assert_array_equal(is_memorised(d1, d2), [True, True, False, False])
    with pytest.raises(ValueError, match="ratio threshold"):
        is_memorised(d1, d2, threshold=0)


def test_class_fractions_and_bootstrap():
    mem = np.array([1, 1, 0, 0, 1, 0, 0, 0] * 50, bool)
    lab = np.array([7, 7, 7, 7, 8, 8, 8, 8] * 50)
    cf = class_fractions(mem, lab, [7, 8], n_boot=2000, seed=0)
    np.testing.assert_allclose(cf.fraction, [0.5, 0.25])  # exact ratios of counts
    assert cf.count.tolist() == [200, 200]
    # Bootstrap std vs the binomial standard error sqrt(f(1-f)/n): 15 % relative (Monte Carlo
    # error of a std from 2000 resamples is ~2 %, plus the random class counts).
    se = np.sqrt(cf.fraction * (1 - cf.fraction) / 200)
    np.testing.assert_allclose(cf.err, se, rtol=0.15)
    empty = class_fractions(mem, lab, [7, 9], n_boot=10)
    assert np.isnan(empty.fraction[1]) and empty.count[1] == 0


def test_ratio_test_detects_memorisation_by_the_exact_empirical_denoiser():
    """Samples of the loss minimiser (a fully memorising model) pass the ratio test; fresh
    draws of the same distribution and pure noise do not."""
    from classdyn.ddpm.config import DiffusionConfig
    from classdyn.ddpm.diffusion import EmpiricalDenoiser, Schedule, ancestral_sample
    from classdyn.ddpm.memorization import nearest_two

    rng = np.random.default_rng(0)
    # 16 "images": smooth random fields (so that they look like images, not white noise).
    base = rng.standard_normal((32, 4, 4))
    imgs = np.kron(base, np.ones((4, 4)))[:, :14, :14] + 0.1 * rng.standard_normal((32, 14, 14))
    imgs = ((imgs - imgs.mean()) / imgs.std()).astype(np.float32)
    train, fresh = imgs[:16], imgs[16:]
    sched = Schedule(DiffusionConfig(T=50))
    samples = ancestral_sample(EmpiricalDenoiser(train, sched), sched, 32, (1, 14, 14), seed=1,
                               batch_size=32)[:, 0]
    frac = lambda x: is_memorised(*nearest_two(x, train)[:2]).mean()  # noqa: E731
    # The exact minimiser reproduces training images up to the last step's noise, so every
    # sample is a copy: fraction 1 (no tolerance needed; ratios are ~1e-6).
    assert frac(samples) == 1.0
    assert frac(fresh) == 0.0
    assert frac(rng.standard_normal((32, 14, 14)).astype(np.float32)) == 0.0
