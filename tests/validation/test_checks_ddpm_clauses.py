"""The one pass clause of fmnist-stats (validation/checks_ddpm.py), ``sneaker_lowest_ok``, tested
on the pure verdict :func:`judge_lowest_variance` (no data needed): right and wrong rankings, and
Sneaker's variance just below / just above the second-lowest class's.

The claim is a ranking, with no slack: inputs near the boundary differ by 0.1 %, so a verdict given
any slack of 0.1 % or more (e.g. "within 1 % of the lowest") is caught.
"""

import numpy as np
import pytest

from classdyn.validation.checks_ddpm import judge_lowest_variance

SNEAKER = 7
# measured per-class mean pixel variances have this order of magnitude (pixels in [0, 1]);
# Sneaker lowest, Bag (8) highest
GOOD = np.array([0.096, 0.053, 0.095, 0.076, 0.088, 0.063, 0.090, 0.041, 0.110, 0.071])


def test_right_ranking_passes():
    res = judge_lowest_variance(GOOD)
    assert res["sneaker_lowest_ok"] and res["passed"], res
    assert res["lowest_label"] == SNEAKER and res["second_label"] == 1
    assert res["relative_margin_to_second"] == pytest.approx(0.053 / 0.041 - 1, rel=1e-12)


@pytest.mark.parametrize("other", [0, 1, 5, 8, 9])
def test_another_class_lowest_fails(other):
    # another class 10 % below Sneaker (labels below and above 7)
    v = GOOD.copy()
    v[other] = 0.9 * v[SNEAKER]
    res = judge_lowest_variance(v)
    assert not res["sneaker_lowest_ok"] and not res["passed"], res
    assert res["lowest_label"] == other and res["second_label"] == SNEAKER


@pytest.mark.parametrize("other", [1, 8])
def test_ranking_boundary(other):
    # Sneaker 0.1 % below the second-lowest class passes, 0.1 % above fails
    v = GOOD.copy()
    v[other] = 1.001 * v[SNEAKER]
    assert judge_lowest_variance(v)["sneaker_lowest_ok"]
    v[other] = v[SNEAKER] / 1.001
    assert not judge_lowest_variance(v)["sneaker_lowest_ok"]


def test_swapped_sneaker_and_bag_fail():
    # the labels of Sneaker and Bag swapped: the class called Sneaker is the most variable
    v = GOOD.copy()
    v[[SNEAKER, 8]] = v[[8, SNEAKER]]
    res = judge_lowest_variance(v)
    assert not res["passed"] and res["lowest_label"] == 8
