"""classdyn.figlabels: scatter labels that do not overlap (issue 18, readable report figures)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from classdyn.figlabels import place_labels, wrap_title  # noqa: E402


def _overlaps(boxes):
    return [(i, j) for i in range(len(boxes)) for j in range(i + 1, len(boxes))
            if boxes[i].overlaps(boxes[j])]


def test_labels_of_a_cluster_do_not_overlap_where_fixed_offsets_do():
    # Nine points like the Sneaker pairs of Result 4, two pairs almost on top of each other:
    # with one fixed offset (what annotate did) some labels overlap; placed, none do.
    xs = np.array([1.02, 1.42, 1.59, 1.64, 1.69, 1.65, 1.91, 1.94, 2.47])
    ys = np.array([0.08, 0.62, 0.67, 0.77, 0.78, 0.63, 0.88, 0.98, 1.01])
    names = ["Trouser", "Dress", "Sandal", "T-shirt/top", "Coat", "Ankle boot", "Pullover",
             "Shirt", "Bag"]
    fig, ax = plt.subplots(figsize=(5.2, 3.9))
    ax.plot(xs, ys, "o")
    fixed = [ax.annotate(t, (x, y), xytext=(3, 3), textcoords="offset points", fontsize=7)
             for x, y, t in zip(xs, ys, names)]
    fig.canvas.draw()
    assert _overlaps([f.get_window_extent() for f in fixed])
    for f in fixed:
        f.remove()
    labs = place_labels(ax, xs, ys, names)
    fig.canvas.draw()
    boxes = [lab.get_window_extent() for lab in labs]
    assert not _overlaps(boxes)
    assert [lab.get_text() for lab in labs] == names
    plt.close(fig)


def test_wrap_title_keeps_words_and_width():
    t = "RF vs DDPM (CPU-scale (8 images per pair at 14x14, two-level U-Net, 5000 steps)): " \
        "Spearman -0.17, p = 0.666, n = 9"
    lines = wrap_title(t, 70).splitlines()
    assert len(lines) >= 2 and all(len(line) <= 70 for line in lines)
    assert " ".join(lines) == t
