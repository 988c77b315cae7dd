"""classdyn.ddpm.gaps: threshold-crossing times and the Sneaker–partner gap of one run, the
memorisation lead and interpolated crossing by hand, and the bootstrap errors."""

import numpy as np
import pytest

from classdyn.ddpm.gaps import crossing_time, run_gap

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.ddpm


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
