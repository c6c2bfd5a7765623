"""Hostile files: `load` refuses each with a `ValueError`, within the file's own size in memory and quickly.

Every file is made here, byte by byte where zipfile would not write it (a size the data does not
have), and loaded in a fresh Python whose memory is limited (`limits.run_limited`): a loader that
believes a size written in the file fails there with `MemoryError`, one that blocks with a timeout.
"""

import io
import json
import os
import struct
import zlib

import numpy as np
import pytest

import tinygraph as tg
from limits import run_limited


def npy(array, header=None):
    """The bytes of `array` as a `.npy` file; with `header`, that `.npy` header and no data at all."""
    buffer = io.BytesIO()
    if header is None:
        np.lib.format.write_array(buffer, array)
    else:
        np.lib.format.write_array_header_1_0(buffer, header)
    return buffer.getvalue()


def tinygraph_header(model, version=1):
    return npy(np.array(json.dumps({"format": "tinygraph", "version": version, "dtype": "float64", "model": model})))


def raw_zip(members):
    """A zip archive of stored `(name, data, claimed)` members, written by hand: where `claimed` is not
    None, the central directory says (as a zip64 size) that the member holds `claimed` bytes."""
    out, central = bytearray(), bytearray()
    for name, data, claimed in members:
        name = name.encode()
        crc, offset = zlib.crc32(data), len(out)
        out += struct.pack("<4s5H3L2H", b"PK\x03\x04", 45, 0, 0, 0, 0, crc, len(data), len(data), len(name), 0) + name + data
        sizes, extra = (len(data), len(data)), b""
        if claimed is not None:
            sizes, extra = (0xFFFFFFFF, 0xFFFFFFFF), struct.pack("<2H2Q", 1, 16, claimed, claimed)
        central += struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 45, 45, 0, 0, 0, 0, crc, *sizes, len(name), len(extra),
                               0, 0, 0, 0, offset) + name + extra
    count = min(len(members), 0xFFFF)  # zipfile reads the directory by its size; the count may wrap
    return bytes(out + central + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, len(central), len(out), 0))


def load_limited(path, **limits):
    return run_limited(f"tg.load({str(path)!r})", **limits)


def test_layers_that_all_claim_the_same_array_are_refused_within_the_files_size(tmp_path):
    """400 layers of 512x512 each need the one 2 MiB array the file holds: 800 MB if each were believed."""
    layers = [{"type": "Dense", "id": i + 1, "in_features": 512, "out_features": 512, "bias": False} for i in range(400)]
    path = tmp_path / "same.npz"
    path.write_bytes(raw_zip([("__tinygraph__.npy", tinygraph_header({"type": "Sequential", "id": 0, "layers": layers}), None),
                              ("0.weight.npy", npy(np.ones((512, 512))), None)]))
    assert path.stat().st_size < 2.2 * 2**20
    result = load_limited(path)
    assert result["outcome"].startswith(f"ValueError: load: {path}"), result
    assert "layer 1 (Dense) needs more values than the file holds" in result["outcome"]
    assert result["extra_mb"] < 3 * path.stat().st_size / 2**20 + 10, result


@pytest.mark.parametrize("member, data, claimed", [
    ("weight.npy", npy(None, {"descr": "<f8", "fortran_order": False, "shape": (2**37,)}), 2**40 + 128),  # 1 TiB
    ("__tinygraph__.npy", npy(None, {"descr": "<U1", "fortran_order": False, "shape": (2**32,)}), 2**34 + 128),  # 16 GiB
], ids=["weight claims 1 TiB", "header claims 16 GiB"])
def test_a_size_the_zip_directory_claims_is_not_believed(tmp_path, member, data, claimed):
    dense = {"type": "Dense", "id": 0, "in_features": 2, "out_features": 1, "bias": False}
    members = [(member, data, claimed)]
    if member != "__tinygraph__.npy":
        members.insert(0, ("__tinygraph__.npy", tinygraph_header(dense), None))
    path = tmp_path / "claims.npz"
    path.write_bytes(raw_zip(members))
    assert path.stat().st_size < 1500
    result = load_limited(path)
    assert result["outcome"].startswith(f"ValueError: load: {path} is not a readable tinygraph model file"), result
    assert result["extra_mb"] < 10 and result["seconds"] < 10, result


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_what_is_not_a_regular_file_is_refused_without_reading_it(tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "model.npz"
        os.mkfifo(path)  # nobody ever writes: opening it to read would wait forever
    else:
        path = "/dev/zero"  # reading it never ends
    result = load_limited(path, timeout=30)
    expected = "a FIFO" if kind == "fifo" else "a character device"
    assert result["outcome"] == f"ValueError: load: {path} is not a readable tinygraph model file: it is not a regular file but {expected}"
    assert result["seconds"] < 5 and result["extra_mb"] < 10, result


def test_a_file_of_80000_members_is_refused_quickly_with_a_short_message(tmp_path):
    empty = npy(np.zeros(0))
    members = [("__tinygraph__.npy", tinygraph_header({"type": "Identity", "id": 0}), None)]
    members += [(f"{i}.npy", empty, None) for i in range(80_000)]
    path = tmp_path / "many.npz"
    path.write_bytes(raw_zip(members))
    result = load_limited(path)
    assert result["outcome"].startswith(f"ValueError: load: {path} is not a readable tinygraph model file: its arrays "
                                        "do not fit its architecture: missing nothing, unexpected ['0', '1', '2', '3', "
                                        "'4', ... and 79,995 more]"), result
    assert len(result["outcome"]) < 300 and result["seconds"] < 10 and result["extra_mb"] < 200, result


def test_the_zip_writer_here_writes_what_zipfile_reads(tmp_path):
    """The generator above is itself checked: an honest archive it writes loads as the model it describes."""
    dense = {"type": "Dense", "id": 0, "in_features": 2, "out_features": 1, "bias": False}
    weight = np.array([[0.5], [-2.0]])
    path = tmp_path / "honest.npz"
    path.write_bytes(raw_zip([("__tinygraph__.npy", tinygraph_header(dense), None), ("weight.npy", npy(weight), None)]))
    np.testing.assert_array_equal(tg.load(path).weight.value, weight)
    path.write_bytes(raw_zip([("__tinygraph__.npy", tinygraph_header(dense), None), ("weight.npy", npy(weight), 10**6)]))
    with pytest.raises(ValueError, match="not a readable"):  # the claim is read: the data ends before it
        tg.load(path)
