"""Every pass clause of extensive-spectrum (validation/checks_extensive.py) is tested on its own:
inputs that violate only that clause turn only its flag False, and inputs just inside / just
outside each numeric threshold land on the right side of it.

These tests feed measured numbers to the pure verdict :func:`judge_spectrum` (no eigenvalues are
computed). Inputs near a threshold are placed at a stated fraction of it, always between the right
threshold and 10x it, so that a slack loosened tenfold is caught.
"""

import numpy as np
import pytest

from classdyn.validation import checks_extensive as ck

FLAGS = ("bulk_ok", "outlier_count_ok", "outlier_bias_ok", "density_ok")

PRED = np.array([10.0, 5.0])
# six seeds, zero-mean pattern with unit sample standard deviation (ddof = 1)
Z = np.array([-1.0, 0.5, 1.5, -0.5, 0.2, -0.7])
Z = (Z - Z.mean()) / Z.std(ddof=1)
KS_AB = 0.02


def _tops(bias=(0.0, 0.0), std=(0.03, 0.02)):
    """Seeds × 2 top eigenvalues with the given mean bias and sample std per outlier."""
    return np.stack([PRED[j] + bias[j] + std[j] * Z for j in range(2)], axis=1)


def _only_false(res, bad):
    assert {k: res[k] for k in FLAGS} == {k: k != bad for k in FLAGS}, res
    assert res["passed"] is False


def test_right_numbers_pass_every_clause():
    # KS 0.025 against the threshold 1.5 x 0.02 = 0.03; outliers unbiased
    res = ck.judge_spectrum(0.025, KS_AB, PRED, _tops())
    assert all(res[k] for k in FLAGS) and res["outliers_ok"] and res["passed"], res


def test_bulk_alone_fails():
    # KS 0.04: a third above the threshold 0.03, below 10x it
    _only_false(ck.judge_spectrum(0.04, KS_AB, PRED, _tops()), "bulk_ok")


def test_bulk_threshold():
    thr = ck.KS_FACTOR * KS_AB
    # just inside / just outside by 1 % (a tenfold KS_FACTOR would accept 1.01 thr)
    assert ck.judge_spectrum(0.99 * thr, KS_AB, PRED, _tops())["bulk_ok"]
    assert not ck.judge_spectrum(1.01 * thr, KS_AB, PRED, _tops())["bulk_ok"]


@pytest.mark.parametrize("pred, tops", [
    (PRED, _tops()[:, :1]),        # two predicted, the draws give one (which matches)
    (np.array([]), _tops()[:, :1]),  # none predicted
])
def test_outlier_count_alone_fails(pred, tops):
    res = ck.judge_spectrum(0.025, KS_AB, pred, tops)
    _only_false(res, "outlier_count_ok")
    assert res["outliers_ok"] is False


def test_more_top_eigenvalues_than_predicted_outliers_pass():
    # the draws may provide extra top eigenvalues: only the first k are compared
    tops = np.hstack([_tops(), np.full((Z.size, 1), 1.0)])
    assert ck.judge_spectrum(0.025, KS_AB, PRED, tops)["passed"]


@pytest.mark.parametrize("j", [0, 1])
@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_outlier_bias_alone_fails(j, sign):
    # outlier j biased by 2 % of its prediction: 2x the floor (1 %) and 6.7x / 5x its seed
    # std (0.3 % / 0.4 %), below 10x either
    bias = [0.0, 0.0]
    bias[j] = sign * 0.02 * PRED[j]
    res = ck.judge_spectrum(0.025, KS_AB, PRED, _tops(bias=bias))
    _only_false(res, "outlier_bias_ok")
    assert res["outliers_ok"] is False


@pytest.mark.parametrize("j", [0, 1])
def test_outlier_floor_threshold(j):
    # seeds without scatter (std 0): only the floor OUTLIER_FLOOR x |prediction| allows a
    # bias; 0.99 of it passes, 1.5 of it fails (a tenfold floor would accept 1.5)
    def res(frac):
        bias = [0.0, 0.0]
        bias[j] = frac * ck.OUTLIER_FLOOR * PRED[j]
        return ck.judge_spectrum(0.025, KS_AB, PRED, _tops(bias=bias, std=(0.0, 0.0)))

    assert res(0.99)["outlier_bias_ok"] and res(-0.99)["outlier_bias_ok"]
    assert not res(1.5)["outlier_bias_ok"] and not res(-1.5)["outlier_bias_ok"]


def test_outlier_floor_with_a_single_seed():
    # one seed: no std, the floor alone (1 % of 10 = 0.1)
    assert ck.judge_spectrum(0.025, KS_AB, PRED[:1], [[10.099]])["outlier_bias_ok"]
    assert not ck.judge_spectrum(0.025, KS_AB, PRED[:1], [[10.15]])["outlier_bias_ok"]


@pytest.mark.parametrize("j", [0, 1])
def test_outlier_std_threshold(j):
    # seed std 5 % of the prediction (5x the floor): a bias of 0.99 std passes, 1.5 std fails
    # (a tenfold std allowance would accept 1.5 std)
    std = [0.0, 0.0]
    std[j] = 0.05 * PRED[j]

    def res(frac):
        bias = [0.0, 0.0]
        bias[j] = frac * std[j]
        return ck.judge_spectrum(0.025, KS_AB, PRED, _tops(bias=bias, std=std))

    assert res(0.99)["outlier_bias_ok"] and res(-0.99)["outlier_bias_ok"]
    assert not res(1.5)["outlier_bias_ok"] and not res(-1.5)["outlier_bias_ok"]


def test_outliers_are_matched_largest_first():
    # the same outliers given in the other order (seeds x columns unsorted) still match
    assert ck.judge_spectrum(0.025, KS_AB, PRED[::-1], _tops()[:, ::-1])["passed"]


def test_density_alone_fails():
    # one grid point of the theory density failed to solve
    _only_false(ck.judge_spectrum(0.025, KS_AB, PRED, _tops(), density_failed_points=1),
                "density_ok")
