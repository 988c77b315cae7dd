"""Atomic result I/O (classdyn.io)."""

import json
import os

import numpy as np
import pytest

from classdyn.io import atomic_save_npz, atomic_write_json, to_jsonable


def test_json_roundtrip_numpy_and_nonfinite(tmp_path):
    p = atomic_write_json(tmp_path / "a" / "r.json",
                          {"x": np.float64(1.5), "v": np.arange(3), "bad": float("nan"),
                           "z": 1 + 2j, "flag": np.bool_(True)})
    d = json.loads(p.read_text())
    assert d == {"x": 1.5, "v": [0, 1, 2], "bad": "nan", "z": {"re": 1.0, "im": 2.0},
                 "flag": True}


def test_atomic_write_leaves_no_temp_and_normal_permissions(tmp_path):
    p = atomic_save_npz(tmp_path / "r.npz", a=np.ones(3))
    assert sorted(os.listdir(tmp_path)) == ["r.npz"]
    umask = os.umask(0)
    os.umask(umask)
    assert (p.stat().st_mode & 0o777) == (0o666 & ~umask)
    assert np.load(p)["a"].tolist() == [1.0, 1.0, 1.0]


def test_failed_write_keeps_old_file(tmp_path):
    p = atomic_write_json(tmp_path / "r.json", {"v": 1})

    class Boom:
        pass

    with pytest.raises(TypeError):
        atomic_write_json(p, {"v": Boom()})
    assert json.loads(p.read_text()) == {"v": 1}
    assert sorted(os.listdir(tmp_path)) == ["r.json"]
    assert to_jsonable([np.int64(2)]) == [2]
