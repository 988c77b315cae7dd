"""validation/checks_ddpm.py: the fmnist-stats check (no torch needed). Its pass clause alone, on
the pure verdict, is in test_checks_ddpm_clauses.py."""

import pytest

from classdyn.validation.registry import CheckContext
from tests.ddpm.conftest import fmnist  # noqa: F401 (fixture: the real data, skipped when missing)


def test_fmnist_stats_check_skips_cleanly_without_data(tmp_path, monkeypatch):
    from classdyn.validation.checks_ddpm import fmnist_stats

    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setattr("classdyn.ddpm.data.DEFAULT_DIR", tmp_path / "nowhere")
    out = fmnist_stats({"per_class": 10}, CheckContext("small", tmp_path, tmp_path))
    assert out.passed is None and out.resolved_status() == "skipped"
    assert "apt-get install dataset-fashion-mnist" in out.summary


@pytest.mark.data
def test_fmnist_stats_check_passes_on_real_data(tmp_path, fmnist):
    from classdyn.validation.checks_ddpm import fmnist_stats
    from classdyn.validation.registry import discover

    assert "fmnist-stats" in discover()
    out = fmnist_stats({"split": "train", "per_class": 2000},
                       CheckContext("small", tmp_path, tmp_path))
    assert out.resolved_status() == "pass" and out.measured["lowest"] == "Sneaker"
    assert out.figure is not None


@pytest.mark.data
def test_fmnist_stats_check_fails_when_sneaker_is_not_lowest(tmp_path, fmnist, monkeypatch):
    """Swap the labels of Sneaker (7) and Bag (8, the highest-variance class): the class
    called Sneaker is then the most variable one and the check must fail."""
    import numpy as np

    from classdyn.ddpm.data import FashionMNIST
    from classdyn.validation.checks_ddpm import fmnist_stats

    lab = fmnist.train_labels.copy()
    lab[fmnist.train_labels == 7], lab[fmnist.train_labels == 8] = 8, 7
    swapped = FashionMNIST(fmnist.train_images, lab, fmnist.test_images, fmnist.test_labels,
                           fmnist.dir)
    monkeypatch.setattr("classdyn.ddpm.data.load_fashion_mnist", lambda *a, **k: swapped)
    out = fmnist_stats({"split": "train", "per_class": 2000},
                       CheckContext("small", tmp_path, tmp_path))
    assert out.resolved_status() == "fail" and out.measured["lowest"] != "Sneaker"
    assert np.isfinite(out.measured["relative_margin_to_second"])
