"""classdyn.ddpm.pipeline and classdyn.ddpm.classifier on a tiny run: sample (resumable), classify, memorisation,
gap table and figures."""

import json

import numpy as np
import pytest

from classdyn.ddpm.classifier import macro_f1_balanced_accuracy
from classdyn.ddpm.config import DiffusionConfig, TrainConfig, UNetConfig

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.ddpm


def test_macro_f1_and_balanced_accuracy_by_hand():
    y = np.array([0, 0, 0, 0, 1, 1])
    p = np.array([0, 0, 0, 1, 1, 0])
    f1, bacc = macro_f1_balanced_accuracy(y, p)
    # class 0: P = 3/4, R = 3/4, F1 = 3/4; class 1: P = 1/2, R = 1/2, F1 = 1/2 (exact fractions,
    # compared to float round-off).
    assert abs(f1 - 0.625) < 1e-12 and abs(bacc - 0.625) < 1e-12


def _two_class_images(n, rng):
    """Class 7: a bright left half; class 8: a bright right half; plus noise."""
    labels = np.where(np.arange(n) % 2 == 0, 7, 8)
    x = 0.3 * rng.standard_normal((n, 14, 14))
    x[labels == 7, :, :7] += 1.0
    x[labels == 8, :, 7:] += 1.0
    return x.astype(np.float32), labels


def test_classifier_learns_an_easy_pair_and_is_reused(tmp_path):
    from classdyn.ddpm.classifier import ClassifierConfig, load_classifier, predict, train_classifier

    x, y = _two_class_images(200, np.random.default_rng(0))
    cfg = ClassifierConfig(base_width=4, epochs=3, batch_size=32, seed=0)
    res = train_classifier(x, y, (7, 8), cfg, out=tmp_path, progress=False)
    assert res.n_val == 20 and res.n_train == 180  # the 90/10 split
    # Linearly separable halves: a ResNet-18 of width 4 gets them right after 3 epochs; allow
    # 2 of 20 held-out mistakes (F1 >= 0.85) for the tiny width and few steps.
    assert res.macro_f1 >= 0.85 and res.balanced_accuracy >= 0.85
    again = train_classifier(x, y, (7, 8), cfg, out=tmp_path, progress=False)
    assert again.seconds == res.seconds  # reused from disk, not retrained
    net, _ = load_classifier(tmp_path)
    assert predict(net, x[:10]).shape == (10,)


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
