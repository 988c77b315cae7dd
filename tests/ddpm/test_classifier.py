"""classdyn.ddpm.classifier: macro-F1 and balanced accuracy by hand, and a tiny ResNet-18 that
learns an easy pair and is reused from disk."""

import numpy as np
import pytest

from classdyn.ddpm.classifier import macro_f1_balanced_accuracy

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
