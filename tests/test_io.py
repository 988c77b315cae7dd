"""Atomic result I/O (classdyn.io)."""

import dataclasses
import json
import math
import os
from pathlib import Path

import numpy as np
import pytest

from classdyn.io import (atomic_save_npz, atomic_write_bytes, atomic_write_json,
                         atomic_write_text, atomic_write_with, dumps, read_json, to_jsonable)


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


# ---------------------------------------------------------------- special values, exactly
def _decode(x):
    """Inverse of the writer's documented encoding of non-finite floats (independent of it)."""
    if isinstance(x, str) and x in ("nan", "inf", "-inf"):
        return float(x)
    if isinstance(x, list):
        return [_decode(v) for v in x]
    if isinstance(x, dict):
        return {k: _decode(v) for k, v in x.items()}
    return x


def _same(a, b):
    """Exact equality with nan == nan and the sign of infinities and zeros checked."""
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return type(a) is type(b) and a == b


@pytest.mark.parametrize("value, text", [
    (float("nan"), '"nan"'), (float("inf"), '"inf"'), (float("-inf"), '"-inf"'),
    (np.float64(np.nan), '"nan"'), (np.float64(np.inf), '"inf"'), (np.float64(-np.inf), '"-inf"'),
    (np.float32(-np.inf), '"-inf"'), (np.float16(np.inf), '"inf"'),
])
def test_each_non_finite_float_is_its_own_string(value, text):
    # strict JSON: the exact token, never a bare NaN/Infinity, and the sign of inf kept
    assert dumps(value) == text
    assert dumps([value]) == f"[{text}]"


def test_roundtrip_of_every_special_value_is_exact(tmp_path):
    big = 2**62 + 1  # not representable as a float64: an int64 must stay an int
    obj = {
        "nan": np.nan, "inf": np.inf, "minf": -np.inf, "zero": -0.0,
        "f32": np.float32(0.1), "f16": np.float16(-2.5), "i8": np.int8(-7), "u64": np.uint64(big),
        "i64": np.int64(-big), "bools": [np.bool_(True), np.bool_(False), True],
        "arr": np.array([[1.5, -np.inf], [np.nan, np.inf]]),
        "iarr": np.arange(3, dtype=np.int32),
        "nested": {"t": (1, (np.float64(-np.inf), [np.nan])), 3: "key becomes str",
                   np.int64(4): "so does a numpy key"},
        "z": complex(-np.inf, np.nan), "nz": np.complex128(1.25 - 0.5j),
        "path": Path("a") / "b.json", "none": None, "s": "inf as text",
    }
    p = atomic_write_json(tmp_path / "r.json", obj)
    back = _decode(read_json(p))
    expect = {
        "nan": math.nan, "inf": math.inf, "minf": -math.inf, "zero": -0.0,
        "f32": float(np.float32(0.1)), "f16": -2.5, "i8": -7, "u64": big, "i64": -big,
        "bools": [True, False, True],
        "arr": [[1.5, -math.inf], [math.nan, math.inf]], "iarr": [0, 1, 2],
        "nested": {"t": [1, [-math.inf, [math.nan]]], "3": "key becomes str",
                   "4": "so does a numpy key"},
        "z": {"re": -math.inf, "im": math.nan}, "nz": {"re": 1.25, "im": -0.5},
        "path": str(Path("a") / "b.json"), "none": None, "s": "inf as text",
    }
    assert _same(back, expect), back
    # the file is strict JSON (no NaN/Infinity literals) ending with a newline, indented
    text = p.read_text(encoding="utf-8")
    assert text.endswith("}\n") and "\n  " in text
    json.loads(text, parse_constant=lambda c: pytest.fail(f"non-standard constant {c}"))


def test_dataclasses_use_to_dict_when_present():
    @dataclasses.dataclass
    class Plain:
        a: float
        b: np.ndarray

    @dataclasses.dataclass
    class Custom:
        a: float

        def to_dict(self):
            return {"renamed": self.a, "x": -np.inf}

    assert to_jsonable(Plain(np.inf, np.array([1, 2]))) == {"a": "inf", "b": [1, 2]}
    assert to_jsonable(Custom(1.0)) == {"renamed": 1.0, "x": "-inf"}
    assert to_jsonable(Plain) is Plain  # a class, not an instance, is left alone


def test_text_is_utf8_and_npz_is_compressed(tmp_path):
    p = atomic_write_text(tmp_path / "t.txt", "σ² → Δ_t")
    assert p.read_bytes() == "σ² → Δ_t".encode("utf-8")
    assert atomic_write_bytes(tmp_path / "b.bin", b"\x00\xff").read_bytes() == b"\x00\xff"
    # 10^5 zeros are 800 kB raw (np.savez: 800.5 kB); savez_compressed stores them in 1.2 kB
    # (measured): 20 kB is 17x the achieved size and 40x below the uncompressed one
    z = atomic_save_npz(tmp_path / "z.npz", a=np.zeros(100_000), b=np.arange(4))
    assert z.stat().st_size < 20_000
    with np.load(z) as f:
        assert np.array_equal(f["a"], np.zeros(100_000)) and f["b"].tolist() == [0, 1, 2, 3]


def test_interrupted_write_cleans_up_and_keeps_old_file(tmp_path):
    # KeyboardInterrupt is not an Exception: the temp file must still be removed (BaseException)
    p = atomic_write_bytes(tmp_path / "d" / "x.bin", b"old")

    def write(fh):
        fh.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write_with(p, write)
    assert p.read_bytes() == b"old" and sorted(os.listdir(p.parent)) == ["x.bin"]
