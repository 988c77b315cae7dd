"""classdyn.ddpm.memorization and classdyn.ddpm.gaps: exact neighbours, ratio test, per-class fractions, gaps."""

import numpy as np
import pytest

from classdyn.ddpm.gaps import crossing_time, run_gap
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


def test_crossing_time_and_gap():
    assert crossing_time([1, 10, 100], [0.0, 0.6, 0.9], 0.5) == 10
    assert crossing_time([1, 10, 100], [0.0, float("nan"), 0.4], 0.5) is None
    with pytest.raises(ValueError, match="threshold"):
        crossing_time([1], [1.0], 1.5)
    mem = {"classes": [7, 8], "proportions": [0.5, 0.5],
           "checkpoints": [{"step": 1, "fraction": [0.0, 0.1]},
                           {"step": 10, "fraction": [0.2, 0.7]},
                           {"step": 100, "fraction": [0.8, 0.9]}]}
    row = run_gap(mem, 0.5)
    assert (row["tau_reference"], row["tau_partner"], row["gap"]) == (100, 10, 90)
    assert row["partner"] == "Bag" and row["reference"] == "Sneaker"


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


def test_memorisation_lead_and_interpolated_crossing_by_hand():
    from classdyn.ddpm.gaps import interpolated_crossing, memorisation_lead

    steps = [1, 10, 100]
    # Partner ahead by 0.5 at the two later checkpoints, level at the first: trapezoid over
    # log10 step = (0.25·1 + 0.5·1) / 2 = 0.375 exactly.
    assert memorisation_lead(steps, [0.0, 0.0, 0.2], [0.0, 0.5, 0.7]) == 0.375
    # Symmetric: swapping the classes flips the sign.
    assert memorisation_lead(steps, [0.0, 0.5, 0.7], [0.0, 0.0, 0.2]) == -0.375
    # A checkpoint with no sample of a class is left out; one usable point is not enough.
    assert memorisation_lead(steps, [None, None, 0.2], [0.1, 0.5, 0.7]) is None
    # Crossing of 0.5 between f(10) = 0.4 and f(100) = 0.6: half-way in log10, i.e. 1.5.
    assert interpolated_crossing(steps, [0.0, 0.4, 0.6], 0.5) == 1.5
    assert interpolated_crossing(steps, [0.6, 0.7, 0.8], 0.5) == 0.0
    assert interpolated_crossing(steps, [0.0, 0.1, 0.2], 0.5) is None


def test_bootstrap_errors_shrink_with_more_samples():
    from classdyn.ddpm.gaps import bootstrap_log_gap

    rng = np.random.default_rng(0)
    steps = [10, 100, 1000]
    out = {}
    for n in (40, 400):
        labels = [np.where(np.arange(n) % 2 == 0, 7, 8)] * 3
        # memorised probability per class and checkpoint; partner (8) earlier than Sneaker (7)
        p = {7: [0.0, 0.2, 0.8], 8: [0.1, 0.7, 0.9]}
        ratios = []
        for k in range(3):
            pk = np.where(labels[k] == 7, p[7][k], p[8][k])
            ratios.append(np.where(rng.random(n) < pk, 0.1, 0.9))
        out[n] = bootstrap_log_gap(ratios, labels, steps, 7, 8, ratio_threshold=1 / 3,
                                   threshold=0.5, n_boot=300)
    # Standard errors scale as n^(-1/2): 10x the samples, ~3.2x smaller error (allow 2x-6x for
    # bootstrap noise with 300 replicates).
    r = out[40]["lead_err"] / out[400]["lead_err"]
    assert 2 < r < 6, out
    assert out[400]["boot_defined"] > 0.9
