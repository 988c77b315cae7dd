"""validation/checks_ddpm.py: the fmnist-stats check (no torch needed)."""

import pytest

from validation.registry import CheckContext


def test_fmnist_stats_check_skips_cleanly_without_data(tmp_path, monkeypatch):
    from validation.checks_ddpm import fmnist_stats

    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "nowhere"))
    monkeypatch.setattr("ddpm.data.DEFAULT_DIR", tmp_path / "nowhere")
    out = fmnist_stats({"per_class": 10}, CheckContext("small", tmp_path, tmp_path))
    assert out.passed is None and out.resolved_status() == "skipped"
    assert "apt-get install dataset-fashion-mnist" in out.summary


@pytest.mark.data
def test_fmnist_stats_check_passes_on_real_data(tmp_path, fmnist):
    from validation.checks_ddpm import fmnist_stats
    from validation.registry import discover

    assert "fmnist-stats" in discover()
    out = fmnist_stats({"split": "train", "per_class": 2000},
                       CheckContext("small", tmp_path, tmp_path))
    assert out.resolved_status() == "pass" and out.measured["lowest"] == "Sneaker"
    assert out.figure is not None
