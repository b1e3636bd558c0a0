"""Model files: exact round trips, atomic writes, and a readable error for every broken file."""

from __future__ import annotations

import json
import os
import pickle
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from safetensors.numpy import save_file

from memograd.nn._fileformat import FORMAT_VERSION, load_model_file, save_model_file


def sample_tensors() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    special = np.array([np.nan, -np.nan, np.inf, -np.inf, -0.0, 1e-45, 3.4e38], np.float32)
    return {
        "dense/kernel": rng.standard_normal((5, 3)).astype(np.float32),
        "dense/bias": rng.standard_normal(3),  # float64
        "special": special,
        "steps": np.array([0, -1, 2**62], dtype=np.int64),
        "scalar": np.array(7.25),
        "empty": np.zeros((0, 4), dtype=np.float32),
        "mask": np.array([True, False]),
        "u8": np.arange(5, dtype=np.uint8),
        "half": np.array([1.5, -2.0], dtype=np.float16),
    }


def craft(header: dict[str, Any], data: bytes) -> bytes:
    """A safetensors file assembled by hand, for headers safetensors itself would not write."""
    h = json.dumps(header).encode()
    return len(h).to_bytes(8, "little") + h + data


def memograd_meta(**document: Any) -> dict[str, str]:
    return {"memograd": json.dumps({"format_version": FORMAT_VERSION, "metadata": {}, **document})}


@pytest.fixture
def model_file(tmp_path: Path) -> Path:
    path = tmp_path / "m.safetensors"
    save_model_file(path, sample_tensors(), {"layers": [{"units": 3}], "classes": ["a", "é"]})
    return path


def test_round_trip_is_bit_exact(model_file: Path) -> None:
    original = sample_tensors()
    tensors, metadata = load_model_file(model_file)
    assert metadata == {"layers": [{"units": 3}], "classes": ["a", "é"]}
    assert tensors.keys() == original.keys()
    for name, arr in original.items():
        got = tensors[name]
        assert got.dtype == arr.dtype and got.shape == arr.shape, name
        assert got.tobytes() == arr.tobytes(), name  # NaN payloads, -0.0 and all
        assert got.flags.writeable and got.flags.owndata, name


def test_round_trip_of_non_contiguous_and_big_endian_arrays(tmp_path: Path) -> None:
    base = np.arange(12, dtype=np.float64).reshape(3, 4)
    tensors: dict[str, np.ndarray | np.generic] = {
        "t": base.T,
        "strided": base[:, ::2],
        "be": base.astype(">f4"),
        "np_scalar": np.int64(-3),
    }
    save_model_file(tmp_path / "x.safetensors", tensors, {})
    loaded, _ = load_model_file(tmp_path / "x.safetensors")
    np.testing.assert_array_equal(loaded["t"], base.T)
    np.testing.assert_array_equal(loaded["strided"], base[:, ::2])
    np.testing.assert_array_equal(loaded["be"], base.astype(np.float32))
    assert loaded["be"].dtype == np.float32
    assert loaded["np_scalar"].shape == () and loaded["np_scalar"] == -3


def test_document_layout(model_file: Path) -> None:
    from safetensors import safe_open

    with safe_open(str(model_file), framework="np") as f:
        document = json.loads(f.metadata()["memograd"])
    assert document["format_version"] == FORMAT_VERSION == 2
    assert len(document["sha256"]) == 64
    assert document["metadata"]["layers"] == [{"units": 3}]


def test_save_replaces_atomically_and_leaves_old_file_on_failure(
    model_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_model_file(model_file, {"w": np.ones(2, np.float32)}, {"v": 2})
    assert load_model_file(model_file)[1] == {"v": 2}
    before = model_file.read_bytes()

    def crash(self: Path, data: bytes) -> None:
        with open(self, "wb") as f:
            f.write(data[: len(data) // 2])
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_bytes", crash)
    with pytest.raises(OSError, match="disk full"):
        save_model_file(model_file, {"w": np.zeros(2, np.float32)}, {"v": 3})
    assert model_file.read_bytes() == before
    assert [p.name for p in model_file.parent.iterdir()] == [model_file.name]


@pytest.mark.parametrize(
    ("tensors", "metadata", "error", "match"),
    [
        ({"w": [1.0, 2.0]}, {}, TypeError, "Tensor 'w' must be a numpy array, got list"),
        ({"w": np.array(["a"])}, {}, TypeError, "Tensor 'w' has dtype <U1"),
        ({"w": np.zeros(2, complex)}, {}, TypeError, "has dtype complex128"),
        ({"": np.zeros(2)}, {}, ValueError, "Received: ''"),
        ({"__metadata__": np.zeros(2)}, {}, ValueError, "Received: '__metadata__'"),
        ([np.zeros(2)], {}, TypeError, "expected a dict of name -> numpy array"),
        ({"w": np.zeros(2)}, {"f": object()}, TypeError, "not JSON-serializable"),
        ({"w": np.zeros(2)}, {"loss": float("nan")}, ValueError, "NaN or infinity"),
        ({"w": np.zeros(2)}, [("a", 1)], TypeError, "expected a dict"),
    ],
)
def test_save_rejects_bad_input(
    tmp_path: Path, tensors: Any, metadata: Any, error: type[Exception], match: str
) -> None:
    path = tmp_path / "bad.safetensors"
    with pytest.raises(error, match=match):
        save_model_file(path, tensors, metadata)
    assert not path.exists() and list(tmp_path.iterdir()) == []


def test_save_into_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save_model_file(tmp_path / "no" / "m.safetensors", {}, {})


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"'.*gone\.safetensors' does not exist"):
        load_model_file(tmp_path / "gone.safetensors")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        load_model_file(tmp_path)


def test_truncation_at_every_offset_is_a_value_error(model_file: Path, tmp_path: Path) -> None:
    data = model_file.read_bytes()
    cut = tmp_path / "cut.safetensors"
    explanations = {
        "before the header": "fewer than the 8-byte header length",
        "inside the header": "its header length says",
        "inside the data": "bytes of tensor data, but only",
    }
    seen = set()
    for n in range(len(data)):
        cut.write_bytes(data[:n])
        with pytest.raises(ValueError, match=r"'.*cut\.safetensors' is truncated") as info:
            load_model_file(cut)
        kinds = [k for k, text in explanations.items() if text in str(info.value)]
        assert len(kinds) == 1, (n, str(info.value))
        seen.add(kinds[0])
    assert seen == set(explanations)


@pytest.mark.parametrize(
    ("offset", "match"),
    [
        (0, "fewer than the 8-byte header length"),
        (5, "fewer than the 8-byte header length"),
        (8, "header length says"),
        (60, "header length says"),
        (-1, "header describes .* bytes of tensor data, but only"),
        (-40, "is truncated: its header describes"),
    ],
)
def test_truncation_messages(model_file: Path, offset: int, match: str) -> None:
    data = model_file.read_bytes()
    model_file.write_bytes(data[:offset])
    with pytest.raises(ValueError, match=match):
        load_model_file(model_file)


def test_flipping_any_byte_is_detected(model_file: Path, tmp_path: Path) -> None:
    data = model_file.read_bytes()
    bad = tmp_path / "flip.safetensors"
    for i in range(len(data)):
        flipped = bytearray(data)
        flipped[i] ^= 0xFF
        bad.write_bytes(bytes(flipped))
        with pytest.raises(ValueError, match=r"'.*flip\.safetensors'"):
            load_model_file(bad)


def test_data_corruption_fails_the_checksum(model_file: Path) -> None:
    data = bytearray(model_file.read_bytes())
    data[-3] ^= 0x01  # one bit of the last tensor's data
    model_file.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="does not match its sha256 checksum"):
        load_model_file(model_file)
    tensors, _ = load_model_file(model_file, verify=False)  # the explicit opt-out
    changed = [k for k, v in sample_tensors().items() if tensors[k].tobytes() != v.tobytes()]
    assert len(changed) == 1


@settings(max_examples=25, deadline=None)
@given(
    shape=st.lists(st.integers(0, 4), min_size=0, max_size=3),
    dtype=st.sampled_from(["float32", "float64", "int64"]),
    fraction=st.floats(0.0, 1.0, exclude_max=True),
)
def test_truncated_random_models(
    tmp_path_factory: pytest.TempPathFactory, shape: list[int], dtype: str, fraction: float
) -> None:
    folder = tmp_path_factory.mktemp("h")
    arr = np.arange(int(np.prod(shape)), dtype=dtype).reshape(shape)
    path = folder / "r.safetensors"
    save_model_file(path, {"a": arr, "b": np.float32(2) * arr}, {"shape": shape})
    tensors, metadata = load_model_file(path)
    assert tensors["a"].tobytes() == arr.tobytes() and metadata == {"shape": shape}
    data = path.read_bytes()
    path.write_bytes(data[: int(fraction * len(data))])
    with pytest.raises(ValueError, match=r"r\.safetensors"):
        load_model_file(path)


def test_header_garbage_and_non_object(tmp_path: Path) -> None:
    path = tmp_path / "g.safetensors"
    path.write_bytes((10).to_bytes(8, "little") + b"{not json!")
    with pytest.raises(ValueError, match="header is not valid JSON"):
        load_model_file(path)
    path.write_bytes(craft([1, 2], b""))  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="header is a list, not a JSON object"):
        load_model_file(path)


@pytest.mark.parametrize(
    ("entry", "data", "match"),
    [
        ({"dtype": "F32", "shape": [2], "data_offsets": [0, 16]}, bytes(8), "describes 16 bytes"),
        ({"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}, bytes(8), "is corrupted"),
        ({"dtype": "F32", "shape": [2], "data_offsets": [4, 8]}, bytes(8), "is corrupted"),
        ({"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}, bytes(12), "is corrupted"),
        ({"dtype": "F32", "shape": [2], "data_offsets": "x"}, bytes(8), "is corrupted"),
        ({"dtype": "XX", "shape": [2], "data_offsets": [0, 8]}, bytes(8), "is corrupted"),
        ({"dtype": "BF16", "shape": [2], "data_offsets": [0, 4]}, bytes(4), "is corrupted"),
    ],
)
def test_tampered_tensor_entries(
    tmp_path: Path, entry: dict[str, Any], data: bytes, match: str
) -> None:
    path = tmp_path / "t.safetensors"
    path.write_bytes(craft({"__metadata__": memograd_meta(), "w": entry}, data))
    with pytest.raises(ValueError, match=match) as info:
        load_model_file(path)
    assert "t.safetensors" in str(info.value)


def test_file_without_checksum_is_refused_unless_verify_is_false(tmp_path: Path) -> None:
    path = tmp_path / "ok.safetensors"
    value = np.array([1.0, -2.0], np.float32)
    path.write_bytes(
        craft(
            {
                "__metadata__": memograd_meta(metadata={"k": 1}),
                "w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
            },
            value.tobytes(),
        )
    )
    with pytest.raises(
        ValueError, match=r"'.*ok\.safetensors' has no sha256 checksum.*verify=False"
    ):
        load_model_file(path)
    tensors, metadata = load_model_file(path, verify=False)
    np.testing.assert_array_equal(tensors["w"], value)
    assert metadata == {"k": 1}


def _rewrite_document(path: Path, edit: Any) -> None:
    """Change the memograd document inside `path`, keeping the tensors' bytes as they are."""
    data = path.read_bytes()
    n = int.from_bytes(data[:8], "little")
    header = json.loads(data[8 : 8 + n])
    document = json.loads(header["__metadata__"]["memograd"])
    edit(document)
    header["__metadata__"]["memograd"] = json.dumps(document)
    path.write_bytes(craft(header, data[8 + n :]))


@pytest.mark.parametrize(
    "edit",
    [
        lambda d: d["metadata"]["layers"][0].update(units=4),
        lambda d: d["metadata"].update(classes=["a", "b"]),
        lambda d: d["metadata"].pop("classes"),
        lambda d: d.update(memograd_version="9.9.9"),
    ],
    ids=["nested value", "value", "deleted field", "document field"],
)
def test_checksum_covers_the_metadata(model_file: Path, edit: Any) -> None:
    _rewrite_document(model_file, edit)
    with pytest.raises(ValueError, match=r"'.*m\.safetensors' does not match its sha256 checksum"):
        load_model_file(model_file)
    load_model_file(model_file, verify=False)  # the explicit opt-out loads the edited file


def test_deleting_the_checksum_does_not_turn_verification_off(model_file: Path) -> None:
    _rewrite_document(model_file, lambda d: d.pop("sha256"))
    with pytest.raises(ValueError, match="has no sha256 checksum"):
        load_model_file(model_file)
    _rewrite_document(model_file, lambda d: d.update(sha256="not hex"))
    with pytest.raises(ValueError, match="sha256 field is not 64 hex digits"):
        load_model_file(model_file)


def test_format_1_files_load_only_with_verify_false_and_save_again(model_file: Path) -> None:
    # Format 1 hashed the tensors only; such a file cannot prove its metadata is intact.
    _rewrite_document(model_file, lambda d: d.update(format_version=1))
    with pytest.raises(ValueError, match=r"format_version 1.*verify=False\) and save it again"):
        load_model_file(model_file)
    tensors, metadata = load_model_file(model_file, verify=False)
    save_model_file(model_file, tensors, metadata)
    assert load_model_file(model_file)[1] == metadata


def test_plain_safetensors_file_is_not_a_memograd_model(tmp_path: Path) -> None:
    path = tmp_path / "plain.safetensors"
    save_file({"w": np.zeros(2, np.float32)}, str(path))
    with pytest.raises(ValueError, match="safetensors file but not a memograd model"):
        load_model_file(path)
    save_file({"w": np.zeros(2, np.float32)}, str(path), metadata={"format": "pt"})
    with pytest.raises(ValueError, match="has no 'memograd' entry"):
        load_model_file(path)


@pytest.mark.parametrize(
    ("meta", "error_match"),
    [
        ({"memograd": "{not json"}, "'memograd' metadata is not valid JSON"),
        ({"memograd": "[1, 2]"}, "'memograd' metadata is not a JSON object"),
        ({"memograd": '{"metadata": {}}'}, "format_version is None, expected an integer"),
        (memograd_meta(format_version="1"), "format_version is '1', expected an integer"),
        (memograd_meta(format_version=True), "format_version is True"),
        (memograd_meta(format_version=3), "format_version 3 \\(written by a newer memograd"),
        (memograd_meta(format_version=0), "has format_version 0; this memograd reads"),
        (memograd_meta(metadata=[1]), "its metadata is missing"),
    ],
)
def test_bad_memograd_document(tmp_path: Path, meta: dict[str, str], error_match: str) -> None:
    path = tmp_path / "doc.safetensors"
    save_file({"w": np.zeros(2, np.float32)}, str(path), metadata=meta)
    with pytest.raises(ValueError, match=error_match) as info:
        load_model_file(path)
    assert "doc.safetensors" in str(info.value)


class _Boom:
    """Unpickling this object would run `_record`: the loader must never get that far."""

    def __reduce__(self) -> tuple[Any, tuple[()]]:
        return (_record, ())


CALLED: list[bool] = []


def _record() -> None:
    CALLED.append(True)


def test_pickle_file_is_never_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "evil.safetensors"
    path.write_bytes(pickle.dumps({"w": _Boom()}))
    with pytest.raises(ValueError, match=r"evil\.safetensors"):
        load_model_file(path)
    assert CALLED == []


# -- bounded reading: the header first, sizes checked before anything is allocated ----------


def test_header_length_is_checked_before_the_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from memograd.nn import _fileheader

    # A 20 GB sparse file whose length field says "everything is header".
    path = tmp_path / "sparse.safetensors"
    with open(path, "wb") as f:
        f.write((20 * 2**30 - 8).to_bytes(8, "little"))
        f.truncate(20 * 2**30)
    reads: list[int] = []
    real_open = open

    class Spy:
        def __init__(self, f: Any) -> None:
            self.f = f

        def read(self, n: int = -1) -> bytes:
            reads.append(n)
            return self.f.read(n)  # type: ignore[no-any-return]

        def __getattr__(self, name: str) -> Any:
            return getattr(self.f, name)

        def __enter__(self) -> Spy:
            return self

        def __exit__(self, *exc: object) -> None:
            self.f.close()

    monkeypatch.setattr("builtins.open", lambda *a, **k: Spy(real_open(*a, **k)))
    with pytest.raises(ValueError, match=r"'.*sparse\.safetensors' is corrupted .* header length"):
        load_model_file(path)
    assert reads == [8]  # only the length field was read
    assert _fileheader.MAX_HEADER_BYTES < 20 * 2**30


def test_zero_filled_sparse_file_and_devices_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "zeros.safetensors"
    with open(path, "wb") as f:
        f.truncate(20 * 2**30)
    with pytest.raises(ValueError, match=r"'.*zeros\.safetensors' is corrupted.*not valid JSON"):
        load_model_file(path)
    with pytest.raises(ValueError, match=r"'/dev/zero' is not a regular file"):
        load_model_file("/dev/zero")


@pytest.mark.parametrize("where", ["header", "document"])
def test_deep_nesting_is_a_value_error_not_a_recursion_error(tmp_path: Path, where: str) -> None:
    deep = "[" * 200_000 + "]" * 200_000
    path = tmp_path / "deep.safetensors"
    if where == "header":
        h = ('{"__metadata__": {"memograd": "{}"}, "x": ' + deep + "}").encode()
        path.write_bytes(len(h).to_bytes(8, "little") + h)
    else:
        text = json.dumps({"format_version": FORMAT_VERSION, "metadata": {"k": "DEEP"}})
        save_file({}, str(path), metadata={"memograd": text.replace('"DEEP"', deep)})
    with pytest.raises(ValueError, match=r"'.*deep\.safetensors' is corrupted: .* nested more"):
        load_model_file(path, verify=False)


def test_header_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "u.safetensors"
    h = '{"__metadata__": {}}'.encode("utf-16")
    path.write_bytes(len(h).to_bytes(8, "little") + h)
    with pytest.raises(ValueError, match="header is not UTF-8"):
        load_model_file(path)


# -- writing: our atomic writer, the umask's mode, and no leftovers after a kill -------------


def test_model_file_gets_the_umask_mode_like_other_outputs(tmp_path: Path) -> None:
    old_mask = os.umask(0o022)
    try:
        save_model_file(tmp_path / "m.safetensors", sample_tensors(), {})
        (tmp_path / "plain.txt").write_text("x")
    finally:
        os.umask(old_mask)
    mode = stat.S_IMODE((tmp_path / "m.safetensors").stat().st_mode)
    assert mode == stat.S_IMODE((tmp_path / "plain.txt").stat().st_mode) == 0o644


_KILLED_SAVE = """
import os, signal, sys
import numpy as np
from memograd.nn._fileformat import save_model_file

def die(*args):  # SIGKILL after the data is written, before the rename
    os.kill(os.getpid(), signal.SIGKILL)

os.replace = die
save_model_file(sys.argv[1], {"w": np.ones(250_000, np.float32)}, {"v": 2})
"""


def test_a_save_killed_midway_leaves_one_recognisable_temp_that_the_next_save_removes(
    tmp_path: Path,
) -> None:
    target = tmp_path / "m.safetensors"
    save_model_file(target, {"w": np.zeros(3, np.float32)}, {"v": 1})
    other = tmp_path / ".other.memograd-tmp-1-0123456789ab.safetensors"  # another target's
    other.write_bytes(b"x")
    done = subprocess.run([sys.executable, "-c", _KILLED_SAVE, str(target)], check=False)
    assert done.returncode == -signal.SIGKILL
    leftovers = sorted(
        p.name for p in tmp_path.iterdir() if p.name not in (target.name, other.name)
    )
    assert len(leftovers) == 1 and re.fullmatch(
        r"\.m\.memograd-tmp-\d+-[0-9a-f]{12}\.safetensors", leftovers[0]
    ), leftovers
    assert (tmp_path / leftovers[0]).stat().st_size > 1_000_000  # the full file, never renamed
    assert load_model_file(target)[1] == {"v": 1}  # the old file is intact
    save_model_file(target, {"w": np.zeros(3, np.float32)}, {"v": 3})
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, other.name])
