"""Figure helpers: point labels that do not overlap each other, wrapped titles, saving.

Matplotlib's ``annotate`` puts every label at the same offset from its point, so the labels of
nearby points (the Sneaker pairs of Result 4, classes with similar variances) print on top of
each other. :func:`place_labels` tries, for each point in turn, a ring of offsets around it and
keeps the first whose text box, measured by the renderer, overlaps neither a label already
placed nor another point's marker; a label with no free spot gets the smallest overlap.
"""

from __future__ import annotations

import textwrap
from typing import Sequence

#: Offsets tried around each point, in points (typographic), nearest first.
OFFSETS = ((4, 3), (4, -10), (-4, 3), (-4, -10), (0, 8), (0, -14), (10, 12), (10, -18),
           (-10, 12), (-10, -18), (16, 0), (-16, 0))


def place_labels(ax, xs: Sequence[float], ys: Sequence[float], texts: Sequence[str], *,
                 fontsize: float = 7, marker_pt: float = 4.0) -> list:
    """Annotate each ``(x, y)`` with its text where it overlaps nothing else.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        The axes (its figure must have a renderer, e.g. the Agg backend).
    xs, ys : sequence of float
        Data coordinates of the points.
    texts : sequence of str
        One label per point.
    fontsize : float
        Label size.
    marker_pt : float
        Half-size of a marker, in points, kept free of labels.

    Returns
    -------
    list of matplotlib.text.Annotation
        The labels, in the order of the points.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([1, 1.01, 2], [1, 1.01, 2], "o")
    >>> labs = place_labels(ax, [1, 1.01, 2], [1, 1.01, 2], ["a", "b", "c"])
    >>> boxes = [lab.get_window_extent() for lab in labs]
    >>> any(boxes[i].overlaps(boxes[j]) for i in range(3) for j in range(i + 1, 3))
    False
    >>> plt.close(fig)
    """
    from matplotlib.transforms import Bbox

    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    scale = fig.dpi / 72.0
    pts = [ax.transData.transform((x, y)) for x, y in zip(xs, ys)]
    half = marker_pt * scale
    markers = [Bbox.from_extents(px - half, py - half, px + half, py + half) for px, py in pts]
    placed: list = []
    out = []
    for k, ((x, y), text) in enumerate(zip(zip(xs, ys), texts)):
        best, best_cost = None, None
        for dx, dy in OFFSETS:
            lab = ax.annotate(text, (x, y), xytext=(dx, dy), textcoords="offset points",
                              fontsize=fontsize, ha="left" if dx >= 0 else "right")
            box = lab.get_window_extent(renderer)
            others = placed + [m for j, m in enumerate(markers) if j != k]
            cost = sum(_overlap(box, o) for o in others)
            if best_cost is None or cost < best_cost:
                if best is not None:
                    best.remove()
                best, best_cost = lab, cost
            else:
                lab.remove()
            if cost == 0:
                break
        placed.append(best.get_window_extent(renderer))
        out.append(best)
    return out


def _overlap(a, b) -> float:
    """Area of the intersection of two boxes (display units)."""
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return max(w, 0.0) * max(h, 0.0)


def wrap_title(text: str, width: int = 60) -> str:
    """``text`` broken into lines of at most ``width`` characters, for titles that would run
    past their axes.

    Examples
    --------
    >>> print(wrap_title("RF vs DDPM (CPU-scale run): Spearman -0.17, p = 0.666", 30))
    RF vs DDPM (CPU-scale run):
    Spearman -0.17, p = 0.666
    """
    return textwrap.fill(text, width=width, break_long_words=False)


def save_figure(fig, path, dpi: int = 110):
    """Lay out ``fig``, write it as PNG to ``path`` (folders created) and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
        The figure.
    path : str or os.PathLike
        Where to write it.
    dpi : int
        Resolution.

    Returns
    -------
    pathlib.Path
        ``path``.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> p = save_figure(plt.figure(), Path(tempfile.mkdtemp()) / "a" / "f.png")
    >>> p.is_file()
    True
    """
    from pathlib import Path

    import matplotlib.pyplot as plt

    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
