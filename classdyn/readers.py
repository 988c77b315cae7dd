"""Readers of a user's labelled dataset: ``.npz``, ``.npy`` (+ labels), IDX, Zarr, image folders.

:func:`read_dataset` turns a path into a :class:`Dataset` (``X`` with one row per sample,
``y`` the labels) for :func:`classdyn.theory.class_stats.data_statistics`. Large arrays are not
loaded: ``.npy`` files are memory-mapped and Zarr arrays are returned as they are, both read in
chunks by the statistics pass. Pillow (image folders) and Zarr are imported only when a path
needs them.

Formats, chosen by the path:

* ``*.npz``: arrays ``X`` (n, ...) and ``y`` (n,);
* ``*.npy``: the samples, memory-mapped; ``labels`` names a ``.npy`` or text file (one label a
  line);
* IDX (``*-idx3-ubyte[.gz]``, Fashion-MNIST's format): images; ``labels`` names the IDX labels
  file (default: the sibling with ``images-idx3`` replaced by ``labels-idx1``). Fashion-MNIST
  itself is recognised (:func:`fashion_mnist_names`: its file names, 28×28 images, the ten
  labels 0..9, and "fashion" in the path or the files in the Fashion-MNIST folder of
  :mod:`classdyn.ddpm.data`; MNIST digits share the file names and are not renamed) and gets
  its class names (``T-shirt/top`` … ``Ankle boot``); any other IDX pair keeps integer labels;
* ``*.zarr`` (needs ``zarr``): a group with arrays ``X`` and ``y``, or an array with ``labels``;
* a folder with one sub-folder per class holding images (PNG, JPEG, BMP, GIF, TIFF, WebP) of one
  size: grayscale images give ``h·w`` features, colour ones ``h·w·3`` (every image is converted
  to RGB when any is in colour); the labels are the sub-folder names.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["Dataset", "read_dataset", "fashion_mnist_names"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")


@dataclass(frozen=True)
class Dataset:
    """A labelled dataset as read from disk.

    Parameters
    ----------
    X : array_like
        ``(n, ...)`` samples: a NumPy array, a read-only ``numpy.memmap`` or a Zarr array.
    y : numpy.ndarray
        ``(n,)`` labels.
    kind : str
        ``"npz"``, ``"npy"``, ``"idx"``, ``"zarr"`` or ``"images"``.
    source : str
        The path read.
    sample_shape : tuple of int
        Shape of one sample before flattening (e.g. ``(28, 28)``, ``(h, w, 3)``).
    class_names : dict or None
        Label → class name where the format names its classes (Fashion-MNIST IDX files);
        ``None`` otherwise.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.readers import Dataset
    >>> ds = Dataset(np.zeros((4, 3)), np.array([0, 0, 1, 1]), "npz", "x.npz", (3,))
    >>> ds.n, ds.d, ds.classes
    (4, 3, [0, 1])
    >>> named = Dataset(ds.X, ds.y, "idx", "x", (3,), class_names={0: "cat", 1: "dog"})
    >>> named.labels_of(["dog", 0]), named.name_of(1)
    ([1, 0], 'dog')
    """

    X: Any
    y: np.ndarray
    kind: str
    source: str
    sample_shape: tuple
    class_names: dict | None = None

    def name_of(self, label):
        """The class name of ``label`` (the label itself where the format names no classes).

        Parameters
        ----------
        label : int or str
            A label value.

        Returns
        -------
        int or str
            Its name, or ``label`` unchanged.

        Examples
        --------
        >>> import numpy as np
        >>> from classdyn.readers import Dataset
        >>> Dataset(np.zeros((2, 1)), np.array([0, 1]), "npz", "x", (1,)).name_of(1)
        1
        """
        if self.class_names is None:
            return label
        return self.class_names.get(label, label)

    def labels_of(self, classes):
        """Label values for class names or labels (as given on the command line).

        A name (case-insensitive) is replaced by its label; an integer, or a string of one, is
        kept as a label; anything else is passed on unchanged (the statistics refuse a class
        that does not exist). Without class names the list is returned as it is.

        Parameters
        ----------
        classes : sequence or None
            Class names or label values; ``None`` for all classes.

        Returns
        -------
        list or None
            The labels, in the given order.

        Raises
        ------
        ValueError
            A name that is neither a class name nor a label, naming the classes there are.

        Examples
        --------
        >>> import numpy as np
        >>> from classdyn.readers import Dataset
        >>> ds = Dataset(np.zeros((2, 1)), np.array([0, 1]), "idx", "x", (1,), {0: "a", 1: "b"})
        >>> ds.labels_of(["B", "0"])
        [1, 0]
        >>> ds.labels_of(["c"])
        Traceback (most recent call last):
        ...
        ValueError: classes: class 'c' does not exist; give a name (a, b) or a label (0, 1)
        """
        if classes is None or self.class_names is None:
            return None if classes is None else list(classes)
        by_name = {str(v).lower(): k for k, v in self.class_names.items()}
        out = []
        for c in classes:
            if isinstance(c, str) and c.lower() in by_name:
                out.append(by_name[c.lower()])
                continue
            try:
                lab = int(c)
            except (TypeError, ValueError):
                lab = None
            if lab is None or lab not in self.class_names:
                raise ValueError(
                    f"classes: class {c!r} does not exist; give a name "
                    f"({', '.join(map(str, self.class_names.values()))}) or a label "
                    f"({', '.join(map(str, self.class_names))})")
            out.append(lab)
        return out

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        """Number of features per sample (the flattened sample size)."""
        return int(np.prod(self.sample_shape))

    @property
    def classes(self) -> list:
        """The distinct labels, sorted."""
        return [v.item() if isinstance(v, np.generic) else v for v in np.unique(self.y)]


def fashion_mnist_names(path: str | os.PathLike, sample_shape, y) -> dict | None:
    """Fashion-MNIST's class names when the IDX images at ``path`` are Fashion-MNIST.

    Recognised when all hold: the file is one of Fashion-MNIST's IDX image files
    (``train-images-idx3-ubyte`` or ``t10k-images-idx3-ubyte``, optionally ``.gz``), the
    samples are 28×28, the labels are exactly the ten values 0..9, and the path says
    "fashion" (any case) or the file lies in the folder where :mod:`classdyn.ddpm.data` looks
    for Fashion-MNIST (``$FASHION_MNIST_DIR`` or its default). MNIST digits share the file
    names, shape and labels, hence the last condition.

    Parameters
    ----------
    path : str or path-like
        The IDX images file.
    sample_shape : tuple of int
        Shape of one sample.
    y : array_like
        The labels.

    Returns
    -------
    dict or None
        Label → name (``{0: "T-shirt/top", …, 9: "Ankle boot"}``), or ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.readers import fashion_mnist_names
    >>> y = np.arange(20) % 10
    >>> fashion_mnist_names("fashion/train-images-idx3-ubyte.gz", (28, 28), y)[9]
    'Ankle boot'
    >>> fashion_mnist_names("mnist/train-images-idx3-ubyte.gz", (28, 28), y) is None
    True
    """
    from classdyn.ddpm.data import CLASS_NAMES, DEFAULT_DIR, ENV_VAR, FILES

    p = Path(path)
    base = p.name[:-3] if p.name.endswith(".gz") else p.name
    if base not in {FILES[(s, "images")] for s in ("train", "test")}:
        return None
    labels = set(np.unique(np.asarray(y)).tolist())
    if tuple(sample_shape) != (28, 28) or labels != set(range(10)):
        return None
    home = Path(os.environ.get(ENV_VAR) or DEFAULT_DIR)
    try:
        in_home = p.resolve().parent == home.resolve()
    except OSError:
        in_home = False
    if "fashion" not in str(p.resolve()).lower() and not in_home:
        return None
    return dict(enumerate(CLASS_NAMES))


def _labels_file(path: Path) -> np.ndarray:
    if not path.exists():
        raise ValueError(f"labels: {path} does not exist")
    if path.suffix == ".npy":
        return np.load(path, allow_pickle=False)
    name = path.name
    if "idx1" in name or "-idx" in name:
        from classdyn.ddpm.data import read_idx

        return read_idx(path)
    try:
        lines = [s.strip() for s in path.read_text().splitlines() if s.strip()]
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"labels: cannot read {path}: {exc}") from None
    try:
        return np.array([int(s) for s in lines])
    except ValueError:
        return np.array(lines)


def _check_pair(X, y, source) -> None:
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"labels: {source}: labels must be 1-d, got shape {y.shape}")
    if X.shape[0] != len(y):
        raise ValueError(f"labels: {source}: {X.shape[0]} samples but {len(y)} labels")


def _read_images(folder: Path) -> Dataset:
    from PIL import Image, UnidentifiedImageError

    subs = sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))
    if not subs:
        raise ValueError(f"data: {folder} holds no class sub-folders (need one folder of "
                         "images per class)")
    arrays, labels, first = [], [], None
    for sub in subs:
        files = sorted(p for p in sub.iterdir()
                       if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise ValueError(f"data: class folder {sub} holds no images "
                             f"({', '.join(IMAGE_SUFFIXES)})")
        for f in files:
            try:
                with Image.open(f) as im:
                    im.load()
                    img = im.copy()
            except (OSError, UnidentifiedImageError, SyntaxError, ValueError) as exc:
                raise ValueError(f"data: cannot read image {f}: {exc}") from None
            if first is None:
                first = (f, img.size)
            elif img.size != first[1]:
                raise ValueError(f"data: image {f} is {img.size[0]}x{img.size[1]} but "
                                 f"{first[0]} is {first[1][0]}x{first[1][1]}; all images "
                                 "need one size")
            arrays.append(img)
            labels.append(sub.name)
    colour = any(im.mode not in ("L", "1", "I", "I;16", "F") for im in arrays)
    conv = [np.asarray(im.convert("RGB" if colour else "L")) for im in arrays]
    X = np.stack(conv)
    return Dataset(X.reshape(len(X), -1), np.array(labels), "images", str(folder),
                   tuple(X.shape[1:]))


def read_dataset(path: str | os.PathLike, labels: str | os.PathLike | None = None) -> Dataset:
    """Read a labelled dataset from ``path`` (format chosen by the path; module docstring).

    Parameters
    ----------
    path : str or path-like
        A ``.npz`` / ``.npy`` file, an IDX images file, a ``.zarr`` store or a folder of class
        sub-folders of images.
    labels : str or path-like, optional
        Labels file for ``.npy``, IDX and a Zarr array (``.npy``, IDX or text, one label a
        line).

    Returns
    -------
    Dataset
        ``X`` (rows = samples; memory-mapped for ``.npy``, a Zarr array for Zarr) and ``y``.

    Raises
    ------
    ValueError
        A missing file, an unknown format, missing arrays or labels, samples and labels of
        different lengths, an unreadable image, an empty folder, images of different sizes;
        the message names the file.

    Examples
    --------
    >>> import numpy as np, tempfile, os
    >>> from classdyn.readers import read_dataset
    >>> path = os.path.join(tempfile.mkdtemp(), "data.npz")
    >>> np.savez(path, X=np.ones((6, 2, 2)), y=[0, 1, 0, 1, 0, 1])
    >>> ds = read_dataset(path)
    >>> ds.kind, ds.n, ds.d, ds.classes
    ('npz', 6, 4, [0, 1])
    """
    p = Path(path)
    lab = None if labels is None else Path(labels)
    names = None
    if not p.exists():
        raise ValueError(f"data: {p} does not exist")
    name = p.name.lower()
    if p.is_dir() and not name.endswith(".zarr") and not (p / ".zgroup").exists() \
            and not (p / "zarr.json").exists() and not (p / ".zarray").exists():
        if lab is not None:
            raise ValueError(f"labels: an image folder takes its labels from its sub-folders; "
                             f"drop --labels {lab}")
        return _read_images(p)
    if name.endswith(".npz"):
        try:
            with np.load(p, allow_pickle=False) as z:
                keys = list(z.keys())
                if "X" not in keys or ("y" not in keys and lab is None):
                    raise ValueError(f"data: {p} needs arrays 'X' and 'y'; it holds {keys}")
                X = z["X"]
                y = z["y"] if lab is None else _labels_file(lab)
        except (OSError, EOFError, zipfile.BadZipFile) as exc:  # also a corrupt archive
            raise ValueError(f"data: cannot read {p}: {exc}") from None
        kind = "npz"
    elif name.endswith(".npy"):
        if lab is None:
            raise ValueError(f"labels: {p} holds samples only; give a labels file (--labels)")
        try:
            X = np.load(p, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ValueError(f"data: cannot read {p}: {exc}") from None
        y, kind = _labels_file(lab), "npy"
    elif "idx" in name and "ubyte" in name:
        from classdyn.ddpm.data import read_idx

        if lab is None:
            guess = p.with_name(p.name.replace("images-idx3", "labels-idx1"))
            if guess == p or not guess.exists():
                raise ValueError(f"labels: give the IDX labels file for {p} (--labels)")
            lab = guess
        X, y, kind = read_idx(p), _labels_file(lab), "idx"
        if X.ndim >= 2 and len(X) == len(y):
            names = fashion_mnist_names(p, X.shape[1:], y)
    elif name.endswith(".zarr") or p.is_dir():
        try:
            import zarr
        except ImportError:
            raise ValueError(f"data: {p} is a Zarr store but zarr is not installed "
                             "(pip install zarr)") from None
        store = zarr.open(str(p), mode="r")
        if hasattr(store, "shape"):
            if lab is None:
                raise ValueError(f"labels: {p} is one Zarr array; give a labels file "
                                 "(--labels)")
            X, y = store, _labels_file(lab)
        else:
            keys = sorted(store.array_keys())
            if "X" not in keys or ("y" not in keys and lab is None):
                raise ValueError(f"data: Zarr group {p} needs arrays 'X' and 'y'; it holds "
                                 f"{keys}")
            X = store["X"]
            y = np.asarray(store["y"][:]) if lab is None else _labels_file(lab)
        kind = "zarr"
    else:
        raise ValueError(f"data: {p}: unknown format (need .npz, .npy, an IDX file, .zarr or "
                         "a folder of class sub-folders of images)")
    if len(X.shape) < 2:
        raise ValueError(f"data: {p}: samples must be at least 2-d (n, features), got shape "
                         f"{tuple(X.shape)}")
    y = np.asarray(y)
    _check_pair(X, y, p)
    return Dataset(X, y, kind, str(p), tuple(int(s) for s in X.shape[1:]), class_names=names)
