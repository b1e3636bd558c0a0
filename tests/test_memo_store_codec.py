"""The stored value format: round trips, refusals, and loading never running code."""

from __future__ import annotations

import pickle
from typing import Any

import numpy as np
import pytest

from memograd.memo.store import CorruptEntry, PickleSerializer, UntrustedEntry, decode, encode

VALUES: list[Any] = [
    None,
    True,
    False,
    0,
    -(2**100),
    255,
    1.5,
    float("inf"),
    -0.0,
    2 - 3j,
    "",
    "héllo \U0001f600",
    b"\x00\xff",
    [1, [2, (3, None)]],
    (),
    {"a": 1, 2: "b", (1, "t"): [None], None: 0.5},
    np.float32(0.1),
    np.int64(-7),
    np.bool_(True),
]


@pytest.mark.parametrize("value", VALUES, ids=[repr(v)[:30] for v in VALUES])
def test_round_trip_keeps_value_and_type(value: Any) -> None:
    out = decode(encode(value, None), None)
    assert type(out) is type(value)
    assert out == value or (out != out and value != value)
    if isinstance(value, dict):
        assert list(out) == list(value)  # insertion order kept


@pytest.mark.parametrize(
    "array",
    [
        np.arange(12, dtype=np.float32).reshape(3, 4),
        np.asfortranarray(np.arange(6.0).reshape(2, 3)),
        np.arange(24, dtype=">i4").reshape(2, 3, 4)[:, ::2],
        np.zeros((0, 5), dtype=np.complex64),
        np.array(3.5),
        np.array(["ab", "c"]),
        np.array([True, False]),
        np.array(["2026-01-01", "2026-12-31"], dtype="datetime64[D]"),
    ],
)
def test_arrays_round_trip_writable(array: np.ndarray) -> None:
    out = decode(encode(array, None), None)
    assert out.dtype == array.dtype and out.shape == array.shape
    np.testing.assert_array_equal(out, array)
    assert out.flags.writeable and out.flags.owndata  # a copy of read-only bytes


def test_bytearray_entries_give_aligned_writable_views() -> None:
    # Stores hand large entries over as a bytearray: arrays become views into it.
    a, b = np.arange(5, dtype=np.int16), np.arange(7.0).reshape(7, 1)
    blob = encode({"a": a, "text": "x" * 3, "b": b, "raw": b"\x01"}, None)
    out = decode(bytearray(blob), None)
    for name, original in (("a", a), ("b", b)):
        view = out[name]
        np.testing.assert_array_equal(view, original)
        assert view.flags.writeable and view.ctypes.data % 16 == 0  # 64-byte offsets
    out["a"][:] = -1  # views of one buffer do not overlap
    np.testing.assert_array_equal(out["b"], b)
    assert type(out["raw"]) is bytes and out["text"] == "xxx"


def test_unsupported_types_need_a_serializer() -> None:
    with pytest.raises(TypeError, match=r"result\['model'\] of type .*Model.*serializer="):
        encode({"model": type("Model", (), {})()}, None)
    with pytest.raises(TypeError, match="object and structured dtypes"):
        encode(np.array([object()]), None)
    with pytest.raises(TypeError, match=r"result\[0\] of type builtins.set"):
        encode([{1, 2}], None)


def test_truncated_or_padded_entries_are_refused() -> None:
    blob = encode({"w": np.arange(100.0), "s": "text"}, None)
    for cut in (5, 20, len(blob) // 2, len(blob) - 1):
        with pytest.raises(CorruptEntry):
            decode(blob[:cut], None)
    with pytest.raises(CorruptEntry, match="after its value"):
        decode(blob + b"\x00", None)
    with pytest.raises(CorruptEntry, match="header"):
        decode(b"garbage", None)


class _Boom:
    def __reduce__(self) -> Any:
        return (exec, ("raise SystemExit('code ran while loading')",))


def test_pickle_in_the_store_is_never_run() -> None:
    # An attacker writes a pickle that runs code where an entry is expected.
    payload = pickle.dumps(_Boom())
    for forged in (b"MGS1N" + payload, b"MGS1P" + b"\x00" * 32 + payload, payload):
        with pytest.raises((CorruptEntry, UntrustedEntry)):
            decode(forged, None)
    signed = PickleSerializer(b"k" * 16)
    for forged in (b"MGS1P" + b"\x00" * 32 + payload, b"MGS1N0", b"MGS1P" + payload):
        with pytest.raises(UntrustedEntry):
            decode(forged, signed)


def test_object_dtype_in_a_forged_entry_is_refused() -> None:
    blob = bytearray(encode(np.zeros(2, dtype=np.int64), None))
    at = blob.index(b"<i8")
    blob[at : at + 3] = b"|O8"[:3]
    with pytest.raises((UntrustedEntry, CorruptEntry)):
        decode(bytes(blob), None)


def test_signed_pickle_round_trip_and_tampering() -> None:
    serializer = PickleSerializer(b"secret-key-16-bytes")
    value = {"set": {1, 2}, "obj": range(3)}
    blob = encode(value, serializer)
    assert decode(blob, serializer) == value
    tampered = bytearray(blob)
    tampered[-2] ^= 1
    with pytest.raises(UntrustedEntry, match="signature"):
        decode(bytes(tampered), serializer)
    with pytest.raises(UntrustedEntry):  # another key
        decode(blob, PickleSerializer(b"another-key-16-bytes"))
    with pytest.raises(UntrustedEntry):  # a reader without the serializer never unpickles
        decode(blob, None)
    assert "secret" not in repr(serializer)
    with pytest.raises(ValueError, match="at least 16 secret bytes"):
        PickleSerializer(b"short")


class _JSONish:
    name = "jsonish-v1"

    def dumps(self, value: Any) -> bytes:
        return repr(sorted(value)).encode()

    def loads(self, data: bytes) -> Any:
        return set(eval(data.decode()))  # test serializer: only reads what it wrote


def test_user_serializer_name_is_checked() -> None:
    blob = encode({3, 1}, _JSONish())
    assert decode(blob, _JSONish()) == {1, 3}
    other = _JSONish()
    other.name = "other"
    with pytest.raises(UntrustedEntry, match="not written by serializer 'other'"):
        decode(blob, other)
