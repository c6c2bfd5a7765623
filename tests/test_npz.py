"""`save` writes as a careful editor does, and `load` reads any file `save` could have written."""

import os
import stat

import numpy as np
import pytest

import tinygraph as tg
from tinygraph.io import HEADER


def small():
    return tg.Sequential(tg.Dense(2, 3, rng=0), tg.Tanh(), tg.Dense(3, 1, rng=1))


@pytest.fixture
def umask():
    def set_umask(value):
        os.umask(value)

    old = os.umask(0o022)
    yield set_umask
    os.umask(old)


@pytest.mark.parametrize("mask, mode", [(0o077, 0o600), (0o022, 0o644), (0o002, 0o664)])
def test_a_new_file_gets_the_permissions_open_would_give_it(tmp_path, umask, mask, mode):
    umask(mask)
    tg.save(small(), tmp_path / "m.npz")
    np.savez(tmp_path / "plain.npz", x=np.ones(1))
    assert stat.S_IMODE((tmp_path / "m.npz").stat().st_mode) == mode == stat.S_IMODE((tmp_path / "plain.npz").stat().st_mode)


def test_a_file_that_exists_keeps_its_permissions(tmp_path, umask):
    path = tmp_path / "m.npz"
    tg.save(small(), path)
    os.chmod(path, 0o640)
    umask(0o000)  # would widen a new file to 0666: the old file's 0640 wins
    tg.save(small(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_a_read_only_file_is_refused_and_left_as_it_was(tmp_path):
    path = tmp_path / "m.npz"
    tg.save(small(), path)
    before = path.read_bytes()
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match=f"save: cannot write {path}: it is read-only"):
        tg.save(tg.Sequential(tg.Dense(2, 2)), path)
    assert path.read_bytes() == before and sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_a_symbolic_link_is_written_through_and_stays_a_link(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "m.npz"
    tg.save(small(), target)
    os.chmod(target, 0o600)
    link = tmp_path / "link.npz"
    link.symlink_to(target)
    tg.save(tg.Sequential(tg.Dense(2, 2, rng=3)), link)
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert repr(tg.load(target)) == "Sequential(Dense(2→2))" and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path / "real")) == ["m.npz"]


def test_a_dangling_link_gets_its_file_made(tmp_path):
    link = tmp_path / "link.npz"
    link.symlink_to(tmp_path / "made.npz")
    tg.save(small(), link)
    assert link.is_symlink() and repr(tg.load(tmp_path / "made.npz")) == repr(small())


@pytest.mark.parametrize("make, error, match", [
    (lambda p: p.mkdir(), IsADirectoryError, "it is a directory"),
    (lambda p: os.mkfifo(p), ValueError, "it is a FIFO, not a regular file"),
])
def test_saving_over_what_is_not_a_file_is_refused(tmp_path, make, error, match):
    path = tmp_path / "m.npz"
    make(path)
    with pytest.raises(error, match=match):
        tg.save(small(), path)
    assert sorted(os.listdir(tmp_path)) == ["m.npz"]


def test_paths_may_be_bytes_and_anything_else_is_a_clear_type_error(tmp_path):
    path = os.fsencode(tmp_path / "m.npz")
    tg.save(small(), path)
    assert repr(tg.load(path)) == repr(small())
    with pytest.raises(TypeError, match="save: path must be a file name .str, bytes or os.PathLike., got int 3"):
        tg.save(small(), 3)
    with pytest.raises(TypeError, match="load: path must be a file name"):
        tg.load(None)


def test_big_endian_weights_load_in_the_native_byte_order(tmp_path):
    model = small()
    tg.save(model, tmp_path / "m.npz")
    with np.load(tmp_path / "m.npz") as data:
        arrays = {name: data[name] if name == HEADER else data[name].astype(">f8") for name in data.files}
    np.savez(tmp_path / "big.npz", **arrays)
    loaded = tg.load(tmp_path / "big.npz")
    assert all(p.value.dtype == np.float64 and p.value.dtype.isnative for p in loaded.parameters())
    x = np.random.default_rng(0).standard_normal((4, 2))
    np.testing.assert_array_equal(loaded.predict(x), model.predict(x))


def test_load_state_dict_takes_big_endian_arrays_and_hints_only_real_conversions():
    dense = tg.Dense(2, 1, rng=0)
    dense.load_state_dict({"weight": np.ones((2, 1), dtype=">f8"), "bias": np.zeros(1, dtype=">f8")})
    np.testing.assert_array_equal(dense.weight.value, np.ones((2, 1)))
    with pytest.raises(ValueError, match=r"has dtype >f4, the model has float64 \(convert the model first with "
                                         r"\.astype\(np\.float32\)\)"):
        dense.load_state_dict({"weight": np.ones((2, 1), dtype=">f4"), "bias": np.zeros(1)})
    with pytest.raises(ValueError, match=r"has dtype int64, the model has float64 \(a model holds float32 or float64"):
        dense.load_state_dict({"weight": np.ones((2, 1), dtype=np.int64), "bias": np.zeros(1)})
