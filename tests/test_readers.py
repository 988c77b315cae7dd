"""classdyn.readers (issue 15): every format from files made here, and the refusals."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from classdyn.readers import read_dataset


def _pngs(root, colour=False, sizes=((8, 6), (8, 6))):
    from PIL import Image

    rng = np.random.default_rng(0)
    for k, (cls, n) in enumerate((("boot", 5), ("shirt", 7))):
        (root / cls).mkdir(parents=True)
        for i in range(n):
            shape = sizes[k][::-1] + ((3,) if colour else ())
            a = (rng.uniform(0, 1, shape) * 100 + 120 * k).astype(np.uint8)
            Image.fromarray(a).save(root / cls / f"{i}.png")
    return root


def test_image_folder_grayscale_and_colour(tmp_path):
    ds = read_dataset(_pngs(tmp_path / "g"))
    assert ds.kind == "images" and ds.n == 12 and ds.sample_shape == (6, 8) and ds.d == 48
    assert ds.classes == ["boot", "shirt"] and list(ds.y).count("shirt") == 7
    assert ds.X.dtype == np.uint8 and ds.X.shape == (12, 48)
    dc = read_dataset(_pngs(tmp_path / "c", colour=True))
    assert dc.sample_shape == (6, 8, 3) and dc.X.shape == (12, 144)


def test_image_folder_refusals(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no class sub-folders"):
        read_dataset(tmp_path / "empty")
    root = _pngs(tmp_path / "a")
    (root / "coat").mkdir()
    with pytest.raises(ValueError, match="coat holds no images"):
        read_dataset(root)
    (root / "coat" / "bad.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="cannot read image .*bad.png"):
        read_dataset(root)
    with pytest.raises(ValueError, match="one size"):
        read_dataset(_pngs(tmp_path / "s", sizes=((8, 6), (5, 5))))
    with pytest.raises(ValueError, match="does not exist"):
        read_dataset(tmp_path / "nowhere")


def test_npz_npy_and_text_labels(tmp_path):
    X = np.arange(60, dtype=np.float32).reshape(10, 2, 3)
    y = np.repeat([3, 4], 5)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    ds = read_dataset(tmp_path / "d.npz")
    assert ds.kind == "npz" and ds.sample_shape == (2, 3) and np.array_equal(ds.y, y)
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "y.npy", y)
    dn = read_dataset(tmp_path / "X.npy", labels=tmp_path / "y.npy")
    assert isinstance(dn.X, np.memmap) and np.array_equal(np.asarray(dn.X), X)
    (tmp_path / "y.txt").write_text("\n".join(["cat"] * 5 + ["dog"] * 5))
    assert read_dataset(tmp_path / "X.npy", labels=tmp_path / "y.txt").classes == ["cat", "dog"]
    with pytest.raises(ValueError, match="10 samples but 9 labels"):
        np.save(tmp_path / "y9.npy", y[:9])
        read_dataset(tmp_path / "X.npy", labels=tmp_path / "y9.npy")
    with pytest.raises(ValueError, match="give a labels file"):
        read_dataset(tmp_path / "X.npy")
    np.savez(tmp_path / "bad.npz", images=X)
    with pytest.raises(ValueError, match="needs arrays 'X' and 'y'"):
        read_dataset(tmp_path / "bad.npz")
    (tmp_path / "d.csv").write_text("1,2")
    with pytest.raises(ValueError, match="unknown format"):
        read_dataset(tmp_path / "d.csv")


def _idx(path, arr):
    head = bytes([0, 0, 8, arr.ndim]) + b"".join(int(s).to_bytes(4, "big") for s in arr.shape)
    path.write_bytes(gzip.compress(head + arr.astype(np.uint8).tobytes()))


def test_idx_pair(tmp_path):
    imgs = np.random.default_rng(0).integers(0, 256, (20, 28, 28))
    labs = np.arange(20) % 4
    _idx(tmp_path / "train-images-idx3-ubyte.gz", imgs)
    _idx(tmp_path / "train-labels-idx1-ubyte.gz", labs)
    ds = read_dataset(tmp_path / "train-images-idx3-ubyte.gz")   # labels file found beside it
    assert ds.kind == "idx" and ds.sample_shape == (28, 28) and np.array_equal(ds.y, labs)
    assert np.array_equal(ds.X, imgs)


def test_idx_class_names_only_for_fashion_mnist(tmp_path, monkeypatch):
    """Fashion-MNIST IDX files get the class names; the same files elsewhere (MNIST digits
    share names, shape and labels) and other IDX pairs keep integer labels."""
    from classdyn.ddpm.data import CLASS_NAMES

    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "elsewhere"))
    imgs = np.random.default_rng(0).integers(0, 256, (20, 28, 28))
    labs = np.arange(20) % 10
    for folder, base, lab, named in (("Fashion-MNIST", "t10k", labs, True),
                                     ("mnist", "t10k", labs, False),       # digits: no names
                                     ("fashion2", "t10k", labs % 4, False),  # 4 classes
                                     ("fashion3", "my", labs, False)):     # other file name
        (tmp_path / folder).mkdir()
        _idx(tmp_path / folder / f"{base}-images-idx3-ubyte.gz", imgs)
        _idx(tmp_path / folder / f"{base}-labels-idx1-ubyte.gz", lab)
        ds = read_dataset(tmp_path / folder / f"{base}-images-idx3-ubyte.gz")
        assert (ds.class_names is not None) == named, folder
        if named:
            assert [ds.name_of(c) for c in ds.classes] == list(CLASS_NAMES)
            assert ds.labels_of(["sneaker", "Ankle boot", 3, "0"]) == [7, 9, 3, 0]
            with pytest.raises(ValueError, match="class 'Boot' does not exist; give a name"):
                ds.labels_of(["Boot"])
        else:
            assert ds.name_of(3) == 3 and ds.labels_of(["3"]) == ["3"]
    # The Fashion-MNIST folder of classdyn.ddpm.data counts without "fashion" in the path.
    monkeypatch.setenv("FASHION_MNIST_DIR", str(tmp_path / "mnist"))
    assert read_dataset(tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz").class_names


def test_zarr_group_and_array(tmp_path):
    zarr = pytest.importorskip("zarr")
    X = np.random.default_rng(1).normal(size=(12, 5))
    y = np.repeat([0, 1, 2], 4)
    g = zarr.open_group(str(tmp_path / "g.zarr"), mode="w")
    make = getattr(g, "create_array", None) or g.create_dataset       # zarr 3 or 2
    make("X", shape=X.shape, dtype=X.dtype)[:] = X
    make("y", shape=y.shape, dtype=y.dtype)[:] = y
    ds = read_dataset(tmp_path / "g.zarr")
    assert ds.kind == "zarr" and ds.n == 12 and np.array_equal(ds.y, y)
    assert np.array_equal(ds.X[:], X)
    a = zarr.open(str(tmp_path / "a.zarr"), mode="w", shape=X.shape, dtype=X.dtype)
    a[:] = X
    np.save(tmp_path / "y.npy", y)
    assert read_dataset(tmp_path / "a.zarr", labels=tmp_path / "y.npy").n == 12
