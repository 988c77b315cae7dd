"""Fashion-MNIST: IDX reader, binary class pairs, pair normalisation, per-class statistics.

NumPy and the standard library only (no torch), so the statistics feed the random-features theory
(docs/theory/ddpm.md, "RF counterpart"; paper Result 4) on machines without torch.

Where the files are looked for (first hit wins): the ``dir`` argument (CLI ``--data DIR``), the
environment variable ``$FASHION_MNIST_DIR``, then ``/usr/share/datasets/fashion-mnist/`` (Debian
package ``dataset-fashion-mnist``). Each of the four IDX files may be gzip-compressed (``.gz``) or
raw.

Normalisation (paper App. J.1: "class-pair mean subtracted, unit standard deviation"), used for the
DDPM, the classifier and the statistics alike. With raw pixels ``u ∈ [0, 1]^d`` (bytes / 255,
``d = 784``) and a pair (or any set of classes) with class weights ``ρ_c``:

    m   = Σ_c ρ_c μ_c^raw                              (the pair's mean image, per pixel)
    s²  = (1/d) Σ_c ρ_c E_c ‖u − m‖²                   (one scalar for all pixels)
    x   = (u − m) / s

so that over the pair the per-pixel mean is 0 and the mean per-pixel variance is exactly 1.

Centroid geometry for the RF counterpart (norms², cosines) is taken relative to the balanced
ten-class normalisation (``class_statistics(images, labels)``, all classes, equal weights): in a
pair-centred balanced pair the two centroids are ``±(μ_a − μ_b)/2``, with equal norms and cosine
−1, which carries no information about either class. Variances are the same up to the scalar
``s²`` in either normalisation. For a
built training set, ``m`` and ``s`` are the empirical values of that set (ρ_c = its class
fractions); :func:`class_statistics` uses the same formulas with the given weights.
"""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

DEFAULT_DIR = Path("/usr/share/datasets/fashion-mnist")
ENV_VAR = "FASHION_MNIST_DIR"

#: Class names in label order (Fashion-MNIST's own labels 0..9).
CLASS_NAMES = ("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot")
SNEAKER = 7
IMAGE_SHAPE = (28, 28)
N_PIXELS = 28 * 28

FILES = {
    ("train", "images"): "train-images-idx3-ubyte",
    ("train", "labels"): "train-labels-idx1-ubyte",
    ("test", "images"): "t10k-images-idx3-ubyte",
    ("test", "labels"): "t10k-labels-idx1-ubyte",
}
_EXPECTED_N = {"train": 60000, "test": 10000}

HOW_TO_GET = (
    "get the four Fashion-MNIST IDX files with `apt-get install dataset-fashion-mnist` (Debian/"
    f"Ubuntu; puts them under {DEFAULT_DIR}/), or download train-images-idx3-ubyte.gz, "
    "train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz from "
    "https://github.com/zalandoresearch/fashion-mnist into a folder and pass it with --data DIR "
    f"or ${ENV_VAR}")


class DataError(ValueError):
    """The Fashion-MNIST files are missing or corrupt; the message says what and how to fix it.

    A subclass of ``ValueError``, raised by :func:`load_fashion_mnist`, ``find_data_dir`` and
    ``read_idx``; the message ends with ``HOW_TO_GET`` (where to get the four IDX files).

    Parameters
    ----------
    *args : str
        The message, as for ``ValueError``.

    Examples
    --------
    >>> import tempfile
    >>> from classdyn.ddpm.data import DataError, load_fashion_mnist
    >>> issubclass(DataError, ValueError)
    True
    >>> try:
    ...     load_fashion_mnist(tempfile.mkdtemp())
    ... except DataError as e:
    ...     print(str(e).split(" in ")[0])
    data: Fashion-MNIST not found
    """


# ---------------------------------------------------------------- names
def class_index(name: str | int) -> int:
    """Label of a class given by name (case-insensitive, ``-``/``_``/space/``/`` ignored) or index.

    Raises ``ValueError`` naming the allowed names for an unknown class.
    """
    if isinstance(name, (int, np.integer)):
        if 0 <= int(name) <= 9:
            return int(name)
        raise ValueError(f"class: label {name} outside 0..9")
    text = str(name).strip()
    if text.isdigit():
        return class_index(int(text))
    key = "".join(ch for ch in text.lower() if ch.isalnum())
    for i, cname in enumerate(CLASS_NAMES):
        ckey = "".join(ch for ch in cname.lower() if ch.isalnum())
        if key == ckey or (i == 0 and key in ("tshirt", "top")):
            return i
    raise ValueError(f"class: unknown class name {name!r}; allowed: "
                     f"{', '.join(CLASS_NAMES)} (or a label 0..9)")


def class_slug(label: int) -> str:
    """A file-name-safe name of a class (``"sneaker"``, ``"ankle-boot"``, ``"t-shirt-top"``)."""
    return CLASS_NAMES[label].lower().replace("/", "-").replace(" ", "-")


# ---------------------------------------------------------------- IDX reader
def find_data_dir(dir: str | os.PathLike | None = None) -> Path:
    """The folder holding the four IDX files (see the module docstring for the search order).

    Raises :class:`DataError` (a ``ValueError``) listing what was looked for and how to get it.
    """
    candidates = []
    if dir is not None:
        candidates.append(("--data", Path(dir)))
    elif os.environ.get(ENV_VAR):
        candidates.append((f"${ENV_VAR}", Path(os.environ[ENV_VAR])))
    else:
        candidates.append(("default", DEFAULT_DIR))
    for _, path in candidates:
        if all(_locate(path, base) is not None for base in FILES.values()):
            return path
    src, path = candidates[0]
    missing = [b for b in FILES.values() if _locate(path, b) is None]
    raise DataError(f"data: Fashion-MNIST not found in {path} ({src}); missing "
                    f"{', '.join(m + '[.gz]' for m in missing)}; {HOW_TO_GET}")


def _locate(folder: Path, base: str) -> Path | None:
    for name in (base + ".gz", base):
        p = folder / name
        if p.is_file():
            return p
    return None


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read one IDX file (gzip or raw) into a ``uint8`` array, checking its header.

    IDX format: bytes 0-1 zero, byte 2 the type code (0x08 = unsigned byte, the only one
    Fashion-MNIST uses), byte 3 the number of dimensions ``k``, then ``k`` big-endian uint32 sizes,
    then the data. Raises :class:`DataError` for a bad magic number, a truncated or over-long
    payload, or an unreadable gzip stream.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, gzip.BadGzipFile) as exc:
        raise DataError(f"data: cannot read {path}: {exc}; the file is corrupt or truncated; "
                        f"{HOW_TO_GET}") from None
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0:
        raise DataError(f"data: {path} is not an IDX file (bad magic number "
                        f"{raw[:4].hex() or 'empty'}; expected 0000080k); {HOW_TO_GET}")
    if raw[2] != 0x08:
        raise DataError(f"data: {path}: IDX type code 0x{raw[2]:02x}, expected 0x08 "
                        f"(unsigned byte); {HOW_TO_GET}")
    ndim = raw[3]
    if not 1 <= ndim <= 4 or len(raw) < 4 + 4 * ndim:
        raise DataError(f"data: {path}: bad IDX header ({ndim} dimensions); {HOW_TO_GET}")
    shape = tuple(int(v) for v in np.frombuffer(raw, ">u4", count=ndim, offset=4))
    size = int(np.prod(shape))
    payload = len(raw) - 4 - 4 * ndim
    if payload != size:
        raise DataError(f"data: {path}: header says shape {shape} ({size} bytes) but the file "
                        f"holds {payload} data bytes (truncated or corrupt); {HOW_TO_GET}")
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


@dataclass(frozen=True)
class FashionMNIST:
    """The four Fashion-MNIST arrays (as returned by :func:`load_fashion_mnist`).

    Frozen. ``split(name)`` returns ``(images, labels)`` of ``"train"`` or ``"test"`` (another name
    raises ``ValueError``); ``resized(size)`` the same data block-averaged to ``size``×``size``
    pixels (``size`` dividing 28; ``self`` at 28).

    Parameters
    ----------
    train_images : numpy.ndarray
        uint8 ``(N, 28, 28)`` training images, bytes 0..255.
    train_labels : numpy.ndarray
        ``(N,)`` training labels in 0..9.
    test_images : numpy.ndarray
        uint8 ``(M, 28, 28)`` test images.
    test_labels : numpy.ndarray
        ``(M,)`` test labels in 0..9.
    dir : pathlib.Path
        The folder the files were read from.

    Examples
    --------
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from classdyn.ddpm.data import FashionMNIST
    >>> imgs = np.full((10, 28, 28), 255, np.uint8)
    >>> data = FashionMNIST(imgs, np.arange(10), imgs[:2], np.arange(2), Path("."))
    >>> [a.shape for a in data.split("test")]
    [(2, 28, 28), (2,)]
    >>> small = data.resized(14)
    >>> small.train_images.shape, int(small.train_images.max())
    ((10, 14, 14), 255)
    """

    train_images: np.ndarray
    train_labels: np.ndarray
    test_images: np.ndarray
    test_labels: np.ndarray
    dir: Path

    def split(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        return ((self.train_images, self.train_labels) if split == "train"
                else (self.test_images, self.test_labels))

    def resized(self, size: int) -> "FashionMNIST":
        """The same data at ``size``×``size`` pixels (:func:`downsample`); ``self`` at 28."""
        if int(size) == IMAGE_SHAPE[0]:
            return self
        return FashionMNIST(downsample(self.train_images, size), self.train_labels,
                            downsample(self.test_images, size), self.test_labels, self.dir)


def downsample(images: np.ndarray, size: int) -> np.ndarray:
    """Block-average uint8 ``(N, 28, 28)`` images to ``(N, size, size)``, rounded back to uint8.

    ``size`` must divide 28 (14, 7, 4, 2, 1): each output pixel is the mean of a
    ``(28/size)²`` block, ``u'_ij = round(mean_{block ij} u)``. Used by the CPU-scale experiment,
    whose U-Net sees 14×14 images (a quarter of the pixels); everything downstream (pair
    normalisation, classifier, nearest neighbours) works on the downsampled images.
    """
    size = int(size)
    full = IMAGE_SHAPE[0]
    if size < 1 or full % size:
        raise ValueError(f"image_size: must divide {full} (14, 7, 4, 2 or 1) to downsample "
                         f"Fashion-MNIST, got {size}")
    if size == full:
        return images
    k = full // size
    x = np.asarray(images, np.float64).reshape(len(images), size, k, size, k).mean((2, 4))
    return np.rint(x).astype(np.uint8)


def load_fashion_mnist(dir: str | os.PathLike | None = None, *, check_sizes: bool = True
                       ) -> FashionMNIST:
    """Load and validate Fashion-MNIST (see the module docstring for where it is looked for).

    The folder is, first hit wins, ``dir``, ``$FASHION_MNIST_DIR``, then
    ``/usr/share/datasets/fashion-mnist/``; each of the four IDX files may be gzip-compressed.
    Checks: IDX magic numbers, images ``(N, 28, 28)``, labels ``(N,)`` with the same ``N``,
    labels in 0..9 and, when ``check_sizes``, ``N`` = 60 000 (train) and 10 000 (test).

    Parameters
    ----------
    dir : str or os.PathLike, optional
        Folder of the four IDX files (CLI ``--data DIR``).
    check_sizes : bool, default True
        Require the full 60 000 / 10 000 images.

    Returns
    -------
    FashionMNIST
        uint8 images and labels of both splits, and the folder.

    Raises
    ------
    DataError
        (a ``ValueError``) for missing, corrupt or inconsistent files, saying what is wrong and how
        to get the files.

    Examples
    --------
    Four tiny IDX files (2 images of 28×28 per split):

    >>> import gzip, struct, tempfile
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from classdyn.ddpm.data import load_fashion_mnist
    >>> folder = Path(tempfile.mkdtemp())
    >>> def idx(name, a):
    ...     head = bytes([0, 0, 8, a.ndim]) + b"".join(struct.pack(">I", s) for s in a.shape)
    ...     _ = (folder / name).write_bytes(gzip.compress(head + a.tobytes()))
    >>> for split in ("train", "t10k"):
    ...     idx(f"{split}-images-idx3-ubyte.gz", np.zeros((2, 28, 28), np.uint8))
    ...     idx(f"{split}-labels-idx1-ubyte.gz", np.array([7, 8], np.uint8))
    >>> data = load_fashion_mnist(folder, check_sizes=False)
    >>> data.train_images.shape, data.test_labels.tolist()
    ((2, 28, 28), [7, 8])
    >>> load_fashion_mnist(folder)
    Traceback (most recent call last):
    ...
    classdyn.ddpm.data.DataError: data: train: 2 images, expected 60000; ...
    """
    folder = find_data_dir(dir)
    arrays = {}
    for (split, kind), base in FILES.items():
        path = _locate(folder, base)
        arr = read_idx(path)
        if kind == "images" and (arr.ndim != 3 or arr.shape[1:] != IMAGE_SHAPE):
            raise DataError(f"data: {path}: images of shape {arr.shape}, expected (N, 28, 28); "
                            f"{HOW_TO_GET}")
        if kind == "labels":
            if arr.ndim != 1:
                raise DataError(f"data: {path}: labels of shape {arr.shape}, expected (N,); "
                                f"{HOW_TO_GET}")
            if arr.size and int(arr.max()) > 9:
                raise DataError(f"data: {path}: label {int(arr.max())} outside 0..9; "
                                f"{HOW_TO_GET}")
        arrays[(split, kind)] = arr
    for split in ("train", "test"):
        ni, nl = len(arrays[(split, "images")]), len(arrays[(split, "labels")])
        if ni != nl:
            raise DataError(f"data: {split}: {ni} images but {nl} labels; {HOW_TO_GET}")
        if check_sizes and ni != _EXPECTED_N[split]:
            raise DataError(f"data: {split}: {ni} images, expected {_EXPECTED_N[split]}; "
                            f"{HOW_TO_GET}")
    return FashionMNIST(arrays[("train", "images")], arrays[("train", "labels")],
                        arrays[("test", "images")], arrays[("test", "labels")], folder)


# ---------------------------------------------------------------- normalisation
@dataclass(frozen=True)
class Normalisation:
    """``x = (u − mean) / std`` with ``u = bytes/255``; ``mean`` a 28×28 image, ``std`` a scalar."""

    mean: np.ndarray
    std: float

    def apply(self, images: np.ndarray) -> np.ndarray:
        """uint8 ``(N, 28, 28)`` (or floats in [0, 1]) → normalised float32 ``(N, 28, 28)``."""
        u = images.astype(np.float32) / 255.0 if images.dtype == np.uint8 else images
        return ((u - self.mean) / self.std).astype(np.float32)

    def invert(self, x: np.ndarray) -> np.ndarray:
        """Normalised images back to pixel values in [0, 1] (clipped), for figures."""
        return np.clip(np.asarray(x, np.float64) * self.std + self.mean, 0.0, 1.0)


def fit_normalisation(images: np.ndarray) -> Normalisation:
    """The pair normalisation of a set of uint8 images (module docstring):
    ``m`` = per-pixel mean image, ``s² = mean over images and pixels of (u − m)²``."""
    u = images.astype(np.float64) / 255.0
    m = u.mean(axis=0)
    s = float(np.sqrt(((u - m) ** 2).mean()))
    if not s > 0:
        raise ValueError("images: all images are identical; the pair std is 0")
    return Normalisation(mean=m.astype(np.float32), std=s)


# ---------------------------------------------------------------- pairs
@dataclass(frozen=True)
class Pair:
    """A binary training set: ``n`` images of two classes with an exact proportion.

    Built by :func:`make_pair`. The property ``names`` gives the two class names and
    ``describe()`` a JSON-ready summary (classes, names, proportion, n, counts, seed, norm_std).

    Parameters
    ----------
    classes : tuple of (int, int)
        The two Fashion-MNIST labels.
    proportion : float
        Fraction of images of ``classes[0]``.
    n : int
        Number of images.
    seed : int
        Seed of the draw.
    images : numpy.ndarray
        Normalised float32 ``(n, 28, 28)`` images.
    labels : numpy.ndarray
        ``(n,)`` original Fashion-MNIST labels.
    indices : numpy.ndarray
        ``(n,)`` rows of the source split the images come from.
    norm : Normalisation
        The pair normalisation fitted on these images.
    counts : tuple of (int, int), default (0, 0)
        Images per class.

    Examples
    --------
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from classdyn.ddpm.data import FashionMNIST, make_pair
    >>> rng = np.random.default_rng(0)
    >>> imgs = rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    >>> data = FashionMNIST(imgs, np.repeat(np.arange(10), 4), imgs, np.repeat(np.arange(10), 4),
    ...                     Path("."))
    >>> pair = make_pair(data, ["Sneaker", "Bag"], 0.75, 4, seed=0)
    >>> pair.names, pair.counts, pair.describe()["class_names"]
    (('Sneaker', 'Bag'), (3, 1), ['Sneaker', 'Bag'])
    """

    classes: tuple[int, int]
    proportion: float
    n: int
    seed: int
    images: np.ndarray
    labels: np.ndarray
    indices: np.ndarray
    norm: Normalisation
    counts: tuple[int, int] = field(default=(0, 0))

    @property
    def names(self) -> tuple[str, str]:
        return CLASS_NAMES[self.classes[0]], CLASS_NAMES[self.classes[1]]

    def describe(self) -> dict:
        return {"classes": list(self.classes), "class_names": list(self.names),
                "proportion": self.proportion, "n": self.n, "counts": list(self.counts),
                "seed": self.seed, "norm_std": self.norm.std,
                "split": "train"}


def pair_counts(n: int, proportion: float) -> tuple[int, int]:
    """``(n_a, n_b)`` with ``n_a = round(proportion·n)`` (half up) and ``n_b = n − n_a``.

    Raises ``ValueError`` if ``proportion`` is outside (0, 1), ``n < 2``, or either count is 0.
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"n: need an integer >= 2 images, got {n!r}")
    if not (isinstance(proportion, (int, float, np.floating)) and 0 < proportion < 1):
        raise ValueError(f"proportion: must lie in the open interval (0, 1), got {proportion!r}")
    n_a = int(np.floor(proportion * n + 0.5))
    n_b = int(n) - n_a
    if n_a < 1 or n_b < 1:
        raise ValueError(f"proportion: {proportion} of n={n} leaves a class with 0 images "
                         f"(counts {n_a}, {n_b}); increase n or move the proportion away from "
                         "0 and 1")
    return n_a, n_b


def validate_pair_request(images_per_class: dict[int, int], classes: Sequence[int | str],
                          proportion: float, n: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Check a pair request against the available images; returns ``(classes, counts)``."""
    if len(classes) != 2:
        raise ValueError(f"classes: need exactly two classes, got {list(classes)}")
    a, b = class_index(classes[0]), class_index(classes[1])
    if a == b:
        raise ValueError(f"classes: the two classes must differ, got {CLASS_NAMES[a]!r} twice")
    counts = pair_counts(n, proportion)
    for c, k in zip((a, b), counts):
        have = images_per_class.get(c, 0)
        if k > have:
            raise ValueError(f"n: {k} images of class {CLASS_NAMES[c]!r} asked for "
                             f"(n={n}, proportion={proportion}) but the split has only {have}; "
                             f"allowed: at most {have}")
    return (a, b), counts


def make_pair(data: FashionMNIST, classes: Sequence[int | str], proportion: float, n: int,
              seed: int = 0, split: str = "train") -> Pair:
    r"""Build the training set of a pair (paper Sec. 4: Sneaker with a partner, 8 000 images).

    ``round(proportion·n)`` images (half up) of ``classes[0]`` and the rest of ``classes[1]``,
    drawn without replacement with ``numpy.random.default_rng(seed)``, shuffled, and normalised by
    the pair's own mean image and scalar std (module docstring; docs/theory/ddpm.md):

    .. math::

        x = (u - m)/s, \qquad m = \frac1n\sum_\nu u^\nu, \qquad
        s^2 = \frac{1}{n d}\sum_\nu \|u^\nu - m\|^2,

    so that over the pair every pixel has mean 0 and the mean per-pixel variance is exactly 1.

    Parameters
    ----------
    data : FashionMNIST
        The data set.
    classes : sequence of two int or str
        Labels (0..9) or class names, e.g. ``["Sneaker", "Bag"]``.
    proportion : float
        Fraction of ``classes[0]``, in (0, 1).
    n : int
        Number of images (>= 2; each class gets at least one).
    seed : int, default 0
        Seed of the draw and the shuffle.
    split : str, default "train"
        ``"train"`` or ``"test"``.

    Returns
    -------
    Pair
        The normalised images, their labels, source indices, normalisation and counts.

    Raises
    ------
    ValueError
        Before any work, for an unknown or repeated class, a proportion outside (0, 1), a class
        left with 0 images, or more images than a class has.

    Examples
    --------
    >>> import numpy as np
    >>> from pathlib import Path
    >>> from classdyn.ddpm.data import FashionMNIST, make_pair
    >>> rng = np.random.default_rng(0)
    >>> imgs = rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    >>> labels = np.repeat(np.arange(10), 4)       # 4 images per class
    >>> data = FashionMNIST(imgs, labels, imgs, labels, Path("."))
    >>> pair = make_pair(data, ["Sneaker", "Bag"], 0.75, 4, seed=0)
    >>> pair.counts, pair.labels.tolist(), pair.images.shape
    ((3, 1), [7, 8, 7, 7], (4, 28, 28))
    >>> round(float((pair.images ** 2).mean()), 6), round(float(abs(pair.images.mean(0)).max()), 6)
    (1.0, 0.0)
    >>> make_pair(data, [7, 8], 0.5, 10)
    Traceback (most recent call last):
    ...
    ValueError: n: 5 images of class 'Sneaker' asked for (n=10, proportion=0.5) but the split has only 4; allowed: at most 4
    """
    images, labels = data.split(split)
    avail = {c: int((labels == c).sum()) for c in range(10)}
    (a, b), (n_a, n_b) = validate_pair_request(avail, classes, proportion, n)
    rng = np.random.default_rng(seed)
    ia = rng.choice(np.flatnonzero(labels == a), size=n_a, replace=False)
    ib = rng.choice(np.flatnonzero(labels == b), size=n_b, replace=False)
    idx = rng.permutation(np.concatenate([ia, ib]))
    raw = images[idx]
    norm = fit_normalisation(raw)
    return Pair(classes=(a, b), proportion=float(proportion), n=int(n), seed=int(seed),
                images=norm.apply(raw), labels=labels[idx].astype(np.int64), indices=idx,
                norm=norm, counts=(n_a, n_b))


# ---------------------------------------------------------------- statistics
@dataclass
class ClassStatistics:
    """Per-class statistics of Fashion-MNIST (docs/theory/ddpm.md, RF counterpart).

    ``raw_variance[c]``: mean over pixels of the within-class pixel variance, pixels in [0, 1]:
    ``(1/d) Σ_i Var_c(u_i)`` (the paper's "mean pixel variance"). Normalised quantities use the
    normalisation of the module docstring, fitted on ``classes`` with ``weights``:
    ``variance[c] = (1/d) Σ_i Var_c(x_i)`` (σ_c² of docs/theory/model.md), ``norms2[c] = ‖μ_c‖²/d``
    with ``μ_c = E_c[x]``, and ``cosine[c, c'] = μ_c·μ_c' / (‖μ_c‖ ‖μ_c'‖)``.
    ``lowest_variance_class()`` returns the label of the smallest ``raw_variance``; ``to_dict()``
    a JSON-ready dict.

    Parameters
    ----------
    classes : list of int
        The labels, in order.
    names : list of str
        Their class names.
    counts : list of int
        Images per class.
    weights : list of float
        Class weights ρ_c of the normalisation (sum 1).
    raw_variance : numpy.ndarray
        (C,) mean pixel variance, pixels in [0, 1].
    variance : numpy.ndarray
        (C,) normalised mean pixel variance σ_c².
    norms2 : numpy.ndarray
        (C,) normalised centroid norm² per pixel ``‖μ_c‖²/d``.
    cosine : numpy.ndarray
        (C, C) centroid cosines.
    norm_std : float
        The normalisation's scalar std ``s`` (pixels in [0, 1]).

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.ddpm.data import class_statistics
    >>> rng = np.random.default_rng(0)
    >>> st = class_statistics(rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8),
    ...                       np.repeat(np.arange(10), 4))
    >>> type(st).__name__, len(st.classes), st.lowest_variance_class()
    ('ClassStatistics', 10, 1)
    """

    classes: list[int]
    names: list[str]
    counts: list[int]
    weights: list[float]
    raw_variance: np.ndarray
    variance: np.ndarray
    norms2: np.ndarray
    cosine: np.ndarray
    norm_std: float

    def lowest_variance_class(self) -> int:
        return self.classes[int(np.argmin(self.raw_variance))]

    def to_dict(self) -> dict:
        return {"classes": self.classes, "names": self.names, "counts": self.counts,
                "weights": self.weights, "raw_variance": self.raw_variance,
                "variance": self.variance, "norms2": self.norms2, "cosine": self.cosine,
                "norm_std": self.norm_std,
                "lowest_variance_class": self.lowest_variance_class(),
                "normalisation": "x = (u - m)/s, u = bytes/255, m = sum_c w_c mu_c (per pixel), "
                                 "s^2 = (1/d) sum_c w_c E_c|u - m|^2 (scalar)"}


def class_statistics(images: np.ndarray, labels: np.ndarray,
                     classes: Sequence[int | str] | None = None,
                     weights: Sequence[float] | None = None) -> ClassStatistics:
    r"""Per-class pixel variance, centroid norm² per pixel and centroid cosines.

    ``classes`` is the set over which the normalisation is fitted (default: all ten), ``weights``
    their ρ_c (default: equal). With per-class raw mean ``μ_c^raw`` and mean per-pixel variance
    ``v_c`` (pixels in [0, 1]), everything follows in closed form (docs/theory/ddpm.md, RF
    counterpart; paper Result 4):

    .. math::

        m = \sum_c \rho_c \mu_c^{\rm raw}, \qquad
        s^2 = \sum_c \rho_c \big(v_c + \|\mu_c^{\rm raw} - m\|^2/d\big),

        \mathrm{variance}_c = v_c / s^2, \qquad \mu_c = (\mu_c^{\rm raw} - m)/s, \qquad
        \mathrm{norms2}_c = \|\mu_c\|^2/d,

    so that ``Σ_c ρ_c (variance_c + norms2_c) = 1``. Computed by the general path,
    :func:`classdyn.theory.class_stats.data_statistics` (``normalise="dataset"`` with these
    weights, plug-in estimators ``debias=False``, no bootstrap); this function adapts its result
    (pixels rescaled to [0, 1], class names) for the Fashion-MNIST code.

    Parameters
    ----------
    images : numpy.ndarray
        uint8 ``(N, 28, 28)`` or ``(N, 784)`` images (floats are taken as already in [0, 1]).
    labels : array_like
        ``(N,)`` labels in 0..9.
    classes : sequence of int or str, optional
        Distinct classes (labels or names); default all ten.
    weights : sequence of float, optional
        Positive weights ρ_c summing to 1, one per class; default equal.

    Returns
    -------
    ClassStatistics
        ``raw_variance``, ``variance``, ``norms2``, ``cosine``, ``norm_std`` and counts per class.

    Raises
    ------
    ValueError
        If images and labels differ in number, classes repeat or are empty, the weights are not
        positive and summing to 1, or a class has fewer than 2 images.

    Examples
    --------
    >>> import numpy as np
    >>> from classdyn.ddpm.data import class_statistics
    >>> rng = np.random.default_rng(0)
    >>> images = rng.integers(0, 256, size=(40, 28, 28), dtype=np.uint8)
    >>> labels = np.repeat(np.arange(10), 4)
    >>> st = class_statistics(images, labels, classes=["Sneaker", "Bag"], weights=[0.25, 0.75])
    >>> st.names, st.counts, np.round(st.raw_variance, 4)
    (['Sneaker', 'Bag'], [4, 4], array([0.0615, 0.0641]))
    >>> round(float(np.dot(st.weights, st.variance + st.norms2)), 6)   # sum rule
    1.0
    >>> np.round(st.cosine, 4)           # two centroids about their weighted mean: antiparallel
    array([[ 1., -1.],
           [-1.,  1.]])
    """
    labels = np.asarray(labels)
    if len(images) != len(labels):
        raise ValueError(f"images/labels: {len(images)} images but {len(labels)} labels")
    cls = list(range(10)) if classes is None else [class_index(c) for c in classes]
    if len(set(cls)) != len(cls) or not cls:
        raise ValueError(f"classes: need distinct classes, got {cls}")
    if weights is None:
        w = np.full(len(cls), 1.0 / len(cls))
    else:
        w = np.asarray(weights, float)
        if w.shape != (len(cls),) or np.any(w <= 0) or abs(w.sum() - 1) > 1e-9:
            raise ValueError(f"weights: need {len(cls)} positive numbers summing to 1, got "
                             f"{list(weights)}")
    flat = images.reshape(len(images), -1)
    keep = np.isin(labels, cls)
    for c in cls:                       # named refusal before any work (the old message)
        k = int(np.count_nonzero(labels == c))
        if k < 2:
            raise ValueError(f"classes: class {CLASS_NAMES[c]!r} has {k} images; need >= 2")
    from classdyn.theory.class_stats import data_statistics

    # Same formulas (docstring above), computed by the general path: plug-in (ddof = 0)
    # estimators, no bootstrap, no eigenvalue spread; only the rows of ``classes`` are read.
    scale = 255.0 if flat.dtype == np.uint8 else 1.0
    st = data_statistics(flat[keep], labels[keep], normalise="dataset", classes=cls,
                         weights=w, bootstrap=0, blocks=2, debias=False, spectrum="none",
                         precision="float64")
    raw = st.raw_variance / scale ** 2
    return ClassStatistics(classes=cls, names=[CLASS_NAMES[c] for c in cls],
                           counts=[int(k) for k in st.counts], weights=w.tolist(),
                           raw_variance=raw, variance=np.asarray(st.variance, float),
                           norms2=np.asarray(st.norms2, float),
                           cosine=np.asarray(st.cosine, float),
                           norm_std=float(st.scale) / scale)
