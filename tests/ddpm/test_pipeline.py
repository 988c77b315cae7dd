"""classdyn.ddpm.pipeline on a tiny run: sample (resumable), classify, memorisation, gap table and
figures (the classifier on its own is in test_classifier.py)."""

import json

import numpy as np
import pytest

from classdyn.ddpm.config import DiffusionConfig, TrainConfig, UNetConfig
from tests.ddpm.test_classifier import _two_class_images

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.ddpm


def test_sample_memorization_gaps_on_a_tiny_run(tmp_path):
    from classdyn.ddpm.pipeline import gaps_run, memorization_run, sample_checkpoints, sample_path
    from classdyn.ddpm.train import train

    x, y = _two_class_images(8, np.random.default_rng(1))
    cfg = TrainConfig(n=8, unet=UNetConfig(image_size=14, pad_to=16, widths=(8, 16),
                                           enc_blocks=1, dec_blocks=2, attn_levels=(1,),
                                           heads=2),
                      diffusion=DiffusionConfig(T=25), lr=1e-3, batch_size=4, steps=3,
                      n_checkpoints=2, seed=0)
    run = tmp_path / "sneaker-bag_p0.5"
    train(cfg, run, x, y, progress=False)
    assert sample_checkpoints(run, n_samples=6, batch_size=4, progress=False) == [1, 3]
    mtime = sample_path(run, 3).stat().st_mtime_ns
    sample_checkpoints(run, n_samples=6, batch_size=4, progress=False)
    assert sample_path(run, 3).stat().st_mtime_ns == mtime  # resumed: nothing redone
    mem = memorization_run(run, assign="auto", n_boot=50)
    assert mem["assignment"] == "nn" and [r["step"] for r in mem["checkpoints"]] == [1, 3]
    for r in mem["checkpoints"]:
        assert sum(r["count"]) == 6 and all(0 <= f <= 1 for f in r["fraction"]
                                            if np.isfinite(f))
    saved = json.loads((run / "memorization.json").read_text())
    assert saved["classes"] == [7, 8]
    g = gaps_run([run], tmp_path, threshold=0.5)
    assert (tmp_path / "gaps.csv").read_text().startswith("run,reference,partner")
    assert (tmp_path / "fractions.png").stat().st_size > 0
    assert (tmp_path / "gaps.png").stat().st_size > 0
    assert g["rows"][0]["partner"] == "Bag"
    with pytest.raises(ValueError, match="assign: no classifier labels"):
        memorization_run(run, assign="classifier")
