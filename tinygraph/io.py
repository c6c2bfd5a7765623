"""`save` and `load`: a model as one plain `.npz` file, never pickled.

The file holds one array per parameter (named as in `state_dict()`, e.g. `"0.weight"`) and, under the
key `__tinygraph__`, a JSON text: the format version, the dtype and the architecture as a tree of
`{"type": "Dense", "id": 0, ...}` nodes. A layer used twice is written once and then referred to as
`{"same_as": id}`, so weight sharing survives the round trip. Only tinygraph's own layer classes can
be written or read, through the allow-list `LAYERS` below: nothing named in a file is ever imported,
and `np.load` runs with `allow_pickle=False`.
"""

import json
import math
import os
import tempfile
import zipfile

import numpy as np

from .containers import Parallel, Residual, Sequential
from .layers import Dense, Dropout, Identity, LeakyReLU, ReLU, Sigmoid, Softmax, Tanh
from .io_layers import IMAGE_LAYERS, VALUES, _axis, _boolean, _count, _number, _probability

FORMAT_VERSION = 2  # 2 added the axis of Softmax and Parallel; version 1 files read with axis=-1
READABLE_VERSIONS = (1, 2)
HEADER = "__tinygraph__"
DTYPES = ("float32", "float64")


def _merge(value):
    return value in Parallel.MERGES


def _one_child(config, children):
    if len(children) != 1:
        raise ValueError(f"Residual wraps exactly one layer, got {len(children)}")
    return Residual(children[0])


# type name -> (class, {config key: (attribute getter, check)}, layer from (config, children)).
# A container's children are its named_members(), written as "layers". Keys that version 1 did not
# write (OPTIONAL_IN_V1) may be missing from a version 1 file.
LAYERS = {
    "Dense": (
        Dense,
        {
            "in_features": (lambda layer: layer.in_features, _count),
            "out_features": (lambda layer: layer.out_features, _count),
            "bias": (lambda layer: layer.bias is not None, _boolean),
        },
        lambda c, children: Dense(c["in_features"], c["out_features"], bias=c["bias"], init="zeros"),
    ),
    "Sigmoid": (Sigmoid, {}, lambda c, children: Sigmoid()),
    "Tanh": (Tanh, {}, lambda c, children: Tanh()),
    "ReLU": (ReLU, {}, lambda c, children: ReLU()),
    "LeakyReLU": (LeakyReLU, {"alpha": (lambda layer: layer.alpha, _number)}, lambda c, children: LeakyReLU(c["alpha"])),
    "Softmax": (Softmax, {"axis": (lambda layer: layer.axis, _axis)}, lambda c, children: Softmax(c.get("axis", -1))),
    "Dropout": (Dropout, {"p": (lambda layer: layer.p, _probability)}, lambda c, children: Dropout(c["p"])),
    "Identity": (Identity, {}, lambda c, children: Identity()),
    "Sequential": (Sequential, {}, lambda c, children: Sequential(*children)),
    "Residual": (Residual, {}, _one_child),
    "Parallel": (
        Parallel,
        {"merge": (lambda layer: layer.merge, _merge), "axis": (lambda layer: layer.axis, _axis)},
        lambda c, children: Parallel(*children, merge=c["merge"], axis=c.get("axis", -1)),
    ),
}

LAYERS.update(IMAGE_LAYERS)  # images, sequences, normalisation: io_layers.py
CONTAINERS = (Sequential, Residual, Parallel)
OPTIONAL_IN_V1 = {"axis"}
NAMES = {cls: name for name, (cls, *_) in LAYERS.items()}


def save(model, path):
    """Write `model` to `path` (exactly that name) as an `.npz` file, atomically.

    The file is written to a temporary file in the same directory and moved over `path` only once
    complete, so an error midway leaves any previous file untouched. Only tinygraph's own layers can
    be saved; for a layer of your own, save `model.state_dict()` with `np.savez` instead.
    """
    path = os.fspath(path)
    architecture = _describe(model, {})
    header = json.dumps({"format": "tinygraph", "version": FORMAT_VERSION, "dtype": str(model.dtype), "model": architecture})
    arrays = {HEADER: np.array(header), **model.state_dict()}
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"save: cannot write {path}: the directory {directory} does not exist")
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as file:
            np.savez(file, **arrays)
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, os.stat(path).st_mode if os.path.exists(path) else 0o644)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def load(path):
    """Read a model written by `save`. A file that is not one raises `ValueError` naming the path.

    The archive is read member by member with each array's header checked first: only uncompressed
    `.npy` members, float arrays (and the one text header), no more data claimed than stored. So a
    hostile file can neither run code nor make `load` allocate more memory than the file's size.
    """
    path = os.fspath(path)
    try:
        with zipfile.ZipFile(path) as archive:
            arrays = dict(_read_members(archive))
        if HEADER not in arrays:
            raise ValueError("it has no tinygraph header")
        header = _read_header(arrays.pop(HEADER))
        optional = OPTIONAL_IN_V1 if header["version"] == 1 else set()
        model = _build(header["model"], {}, sum(a.size for a in arrays.values()), optional)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except (ValueError, KeyError, TypeError, OSError, EOFError, RecursionError, zipfile.BadZipFile) as error:
        raise ValueError(f"load: {path} is not a readable tinygraph model file: {error}") from error
    model.astype(header["dtype"])
    try:
        model.load_state_dict(arrays)
    except ValueError as error:
        raise ValueError(f"load: {path}: {error}") from error
    return model


def _read_members(archive):
    """Yield `(name, array)` for each member, refusing anything `save` would not have written."""
    seen = set()
    for info in archive.infolist():
        name = info.filename[: -len(".npy")]
        if not info.filename.endswith(".npy") or name in seen:
            raise ValueError(f"unexpected member {info.filename!r:.80}")
        seen.add(name)
        if info.compress_type != zipfile.ZIP_STORED or info.flag_bits & 0x1:
            raise ValueError(f"member {info.filename!r:.80} is compressed or encrypted")
        with archive.open(info) as file:
            version = np.lib.format.read_magic(file)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"member {info.filename!r:.80} has .npy version {version}")
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(file)
        if dtype.kind != ("U" if name == HEADER else "f"):
            raise ValueError(f"{name!r:.80} has dtype {dtype}; expected {'text' if name == HEADER else 'floats'}")
        if math.prod(shape) * dtype.itemsize > info.file_size:
            raise ValueError(f"{name!r:.80} claims more data than the file holds")
        with archive.open(info) as file:
            yield name, np.lib.format.read_array(file, allow_pickle=False)


def _describe(layer, ids):
    if id(layer) in ids:
        return {"same_as": ids[id(layer)]}
    name = NAMES.get(type(layer))
    if name is None:
        raise TypeError(
            f"save: cannot save {type(layer).__name__}: only tinygraph's own layers can be saved "
            f"({', '.join(LAYERS)}); save model.state_dict() with np.savez instead"
        )
    ids[id(layer)] = len(ids)
    node = {"type": name, "id": ids[id(layer)]}
    for key, (getter, _) in LAYERS[name][1].items():
        node[key] = getter(layer)
    if isinstance(layer, CONTAINERS):
        node["layers"] = [_describe(child, ids) for _, child in layer.named_members()]
    return node


def _read_header(array):
    if array.shape != () or array.dtype.kind != "U":
        raise ValueError("the header is not a text")
    header = json.loads(str(array[()]))
    if not isinstance(header, dict) or header.get("format") != "tinygraph":
        raise ValueError("the header is not a tinygraph header")
    if header.get("version") not in READABLE_VERSIONS:
        raise ValueError(
            f"unknown format version {header.get('version')!r:.20} (this tinygraph reads versions 1 and {FORMAT_VERSION})"
        )
    if header.get("dtype") not in DTYPES:
        raise ValueError(f"unknown dtype {header.get('dtype')!r}")
    return header


def _build(node, built, n_values, optional):
    """The layer a node describes; `built` maps ids to layers already made (for `same_as`).

    `n_values`, the number of parameter values in the file, bounds what a layer may allocate, so a
    hostile header cannot ask for a huge weight matrix.
    """
    if not isinstance(node, dict):
        raise ValueError(f"a layer description must be an object, got {node!r:.80}")
    if "same_as" in node:
        if set(node) != {"same_as"} or built.get(node["same_as"]) is None:
            raise ValueError(f"bad shared-layer reference {node!r:.80}")
        return built[node["same_as"]]
    name = node.get("type")
    if name not in LAYERS:
        raise ValueError(f"unknown layer type {name!r:.80}; known: {', '.join(LAYERS)}")
    cls, config, make = LAYERS[name]
    expected = {"type", "id", *config} | ({"layers"} if cls in CONTAINERS else set())
    if not set(node) <= expected or not expected - optional <= set(node):
        raise ValueError(f"{name} needs exactly the keys {sorted(expected)}, got {sorted(node)}")
    if not isinstance(node["id"], int) or isinstance(node["id"], bool) or node["id"] in built:
        raise ValueError(f"{name} has a bad or repeated id {node['id']!r:.80}")
    for key, (_, check) in config.items():
        if key in node and not check(node[key]):
            raise ValueError(f"{name}.{key} has a bad value {node[key]!r:.80} ({check.__name__.strip('_')} expected)")
    if name == "Dense" and node["in_features"] * node["out_features"] > n_values:
        raise ValueError(f"Dense({node['in_features']}→{node['out_features']}) needs more values than the file holds")
    if name in VALUES and VALUES[name](node) > n_values:
        raise ValueError(f"{name} needs {VALUES[name](node)} values, more than the file holds")
    built[node["id"]] = None  # reserve the id: a child may not refer to its own container
    children = []
    if cls in CONTAINERS:
        if not isinstance(node["layers"], list):
            raise ValueError(f"{name}.layers must be a list")
        children = [_build(child, built, n_values, optional) for child in node["layers"]]
    layer = make(node, children)
    built[node["id"]] = layer
    return layer
