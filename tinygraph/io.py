"""`save` and `load`: a model as one plain `.npz` file, never pickled.

The file holds one array per parameter and buffer (named as in `state_dict()`, e.g. `"0.weight"`)
and, under the key `__tinygraph__`, a JSON text: the format version, the dtype and the architecture
as a flat list of layers, `{"type": "Dense", "in_features": 3, ...}`, children before the containers
that hold them (`{"type": "Sequential", "layers": [0, 1, 0]}` lists its children by their place in
the list; the model is the last). A layer used twice is listed once, so weight sharing survives the
round trip, and a model nested thousands deep is a list like any other. Only tinygraph's own layer
classes can be written or read, through the allow-list `LAYERS` below: nothing named in a file is
ever imported, and no array is ever unpickled (see `npz.py` for how the file itself is read).

A hostile file cannot make `load` allocate more memory than its own size: every layer it describes
must fit in the data left in the file (`SIZES` bounds a layer before it is made, its real parameter
count after), and every array must fit before it is read.
"""

import json
import zipfile

import numpy as np

from .containers import Parallel, Residual, Sequential
from .graph import Graph
from .graph_io import graph_from, json_object, wiring
from .header import FORMAT_VERSION, HEADER, flatten, read_header
from .layers import Add, Concat, Dense, Dropout, Identity, LeakyReLU, Multiply, ReLU, Sigmoid, Softmax, Tanh
from .io_layers import IMAGE_LAYERS, VALUES, _axis, _boolean, _count, _number, _probability
from .npz import Archive, as_path, open_regular, write_atomically
from .parameter import Parameter
from .text import capped

MAX_LAYERS = 100_000  # a file describing more layers is refused: each costs memory, whatever its size


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
    # graphs of layers: the merge layers, and a Graph's wiring (tinygraph/graph_io.py)
    "Add": (Add, {}, lambda c, children: Add()),
    "Multiply": (Multiply, {}, lambda c, children: Multiply()),
    "Concat": (Concat, {"axis": (lambda layer: layer.axis, _axis)}, lambda c, children: Concat(c["axis"])),
    "Graph": (Graph, {"wiring": (wiring, json_object)}, graph_from),
}

LAYERS.update(IMAGE_LAYERS)  # images, sequences, normalisation: io_layers.py
CONTAINERS = (Sequential, Residual, Parallel, Graph)
OPTIONAL_IN_V1 = {"axis"}
NAMES = {cls: name for name, (cls, *_) in LAYERS.items()}

# type name -> the number of values (parameters and buffers) a layer of that config holds, from the
# config alone: checked against what is left of the file *before* the layer is made. Every type whose
# layers hold values needs an entry (tests/test_io.py checks that each one is exact).
SIZES = {
    "Dense": lambda c: c["in_features"] * c["out_features"] + (c["out_features"] if c["bias"] else 0),
}
SIZES.update(VALUES)  # the image, sequence and norm layers: io_layers.py


def save(model, path):
    """Write `model` to `path` (exactly that name) as an `.npz` file, atomically.

    The file is written to a temporary file in the same directory and moved over `path` only once
    complete, so an error midway leaves any previous file untouched; permissions are those `open()`
    would give a new file, or those of the file replaced (see `npz.write_atomically`). Only
    tinygraph's own layers can be saved, in one dtype, without parameters tied between layers; for
    anything else, save `model.state_dict()` with `np.savez` instead.
    """
    path = as_path(path, "save")
    layers = _describe(model)
    _check_savable(model)
    header = json.dumps({"format": "tinygraph", "version": FORMAT_VERSION, "dtype": str(model.dtype), "layers": layers})
    arrays = {HEADER: np.array(header), **model.state_dict()}
    write_atomically(path, lambda file: np.savez(file, **arrays), "save")


def load(path):
    """Read a model written by `save`. A file that is not one raises `ValueError` naming the path.

    Only a regular file is read, and only as much of it as it holds: the header first, then each
    array the architecture needs, each checked against the layer's shape before its data is read.
    """
    path = as_path(path, "load")
    try:
        with open_regular(path) as file:
            archive = Archive(file)
            if HEADER not in archive.names:
                raise ValueError("it has no tinygraph header")
            header = read_header(archive.read(HEADER))
            itemsize = np.dtype(header["dtype"]).itemsize
            model = _build(header, archive.left // itemsize)
            model.astype(header["dtype"])
            arrays = _read_arrays(archive, model)
            model.load_state_dict(arrays)
    except (FileNotFoundError, PermissionError, IsADirectoryError):
        raise
    except (ValueError, KeyError, TypeError, OSError, EOFError, RecursionError, zipfile.BadZipFile) as error:
        raise ValueError(f"load: {path} is not a readable tinygraph model file: {error}") from error
    return model


def _read_arrays(archive, model):
    """Every array the model holds, read from `archive`; names and shapes checked before any data."""
    wanted = {name: p.value for name, p in model.named_parameters()}
    wanted.update(model.named_buffers())
    names = [name for name in archive.names if name != HEADER]
    missing = [name for name in wanted if name not in archive.members]
    unexpected = [name for name in names if name not in wanted]
    if missing or unexpected:
        raise ValueError(f"its arrays do not fit its architecture: missing {capped(missing)}, unexpected {capped(unexpected)}")

    def reader(name):
        def check(shape, dtype):
            target = wanted[name]
            if tuple(shape) != target.shape or dtype.newbyteorder("=") != target.dtype:
                raise ValueError(f"{name!r} has shape {tuple(shape)} and dtype {dtype}; the model needs {target.shape}, {target.dtype}")
        return check

    return {name: archive.read(name, reader(name)) for name in wanted}


def _describe(model):
    """The architecture of `model` as a flat list of nodes, children first (see the module docstring)."""
    nodes, index, open_layers = [], {}, set()
    stack = [(model, None)]
    while stack:  # depth first, without recursion: each layer is listed after its children
        layer, children = stack.pop()
        if children is None:
            if id(layer) in index:
                continue
            if id(layer) in open_layers:
                raise ValueError(f"save: {type(layer).__name__} contains itself")
            name = NAMES.get(type(layer))
            if name is None:
                raise TypeError(
                    f"save: cannot save {type(layer).__name__}: only tinygraph's own layers can be saved "
                    f"({', '.join(LAYERS)}); save model.state_dict() with np.savez instead"
                )
            children = [child for _, child in layer.named_members()] if isinstance(layer, CONTAINERS) else []
            open_layers.add(id(layer))
            stack.append((layer, children))
            stack.extend((child, None) for child in reversed(children))
            continue
        open_layers.discard(id(layer))
        if id(layer) in index:
            continue
        name = NAMES[type(layer)]
        node = {"type": name, **{key: getter(layer) for key, (getter, _) in LAYERS[name][1].items()}}
        if isinstance(layer, CONTAINERS):
            node["layers"] = [index[id(child)] for child in children]
        index[id(layer)] = len(nodes)
        nodes.append(node)
    return nodes


def _check_savable(model):
    """Refuse what `load` could not give back: a model of mixed dtypes, or a Parameter held by two layers."""
    owners = {}
    for path, layer in model.named_layers():
        where = f"layer {path!r}" if path else "the model"
        if layer.dtype != model.dtype:
            raise ValueError(
                f"save: {where} is {layer.dtype} but the model is {model.dtype}; one file holds one dtype: "
                f"convert the whole model first, model.astype(np.{model.dtype})"
            )
        for name, member in layer.named_members():
            if isinstance(member, Parameter):
                full = f"{path}.{name}" if path else name
                if member.value.dtype != model.dtype:
                    raise ValueError(
                        f"save: the parameter {full!r} is {member.value.dtype} but the model is {model.dtype}; one file "
                        f"holds one dtype: convert the whole model first, model.astype(np.{model.dtype})"
                    )
                if id(member) in owners:
                    raise ValueError(
                        f"save: the parameter {full!r} is the same Parameter as {owners[id(member)]!r}; parameters "
                        "tied between layers cannot be saved (use one layer twice instead, or give each its own copy)"
                    )
                owners[id(member)] = full


def _build(header, values_left):
    """The model the header describes; its layers may hold at most `values_left` values in all."""
    nodes = header.get("layers") if header["version"] >= 3 else flatten(header.get("model"))
    if not isinstance(nodes, list) or not nodes:
        raise ValueError("the header lists no layers")
    if len(nodes) > MAX_LAYERS:
        raise ValueError(f"the header lists {len(nodes):,} layers; at most {MAX_LAYERS:,} are read")
    optional = OPTIONAL_IN_V1 if header["version"] == 1 else set()
    built, unused = [], set()
    for place, node in enumerate(nodes):
        name, cls, make = _checked(node, optional)
        children = []
        if cls in CONTAINERS:
            refs = node["layers"]
            if not isinstance(refs, list) or not all(type(ref) is int and 0 <= ref < place for ref in refs):
                raise ValueError(f"layer {place} ({name}): layers must list earlier layers by their place, got {refs!r:.80}")
            children = [built[ref] for ref in refs]
            unused.difference_update(refs)
        elif SIZES.get(name, lambda c: 0)(node) > values_left:
            raise ValueError(f"layer {place} ({name}) needs more values than the file holds")
        layer = make(node, children)
        values_left -= _own_values(layer)
        if values_left < 0:
            raise ValueError(f"layer {place} ({name}) needs more values than the file holds")
        built.append(layer)
        unused.add(place)
    unused.discard(len(nodes) - 1)
    if unused:
        raise ValueError(f"layer {min(unused)} is not part of the model (the model is the last layer listed)")
    return built[-1]


def _checked(node, optional):
    """`(type name, class, make)` of a node whose keys and settings are all as its type requires."""
    if not isinstance(node, dict):
        raise ValueError(f"a layer description must be an object, got {node!r:.80}")
    name = node.get("type")
    if not isinstance(name, str) or name not in LAYERS:
        raise ValueError(f"unknown layer type {name!r:.80}; known: {', '.join(LAYERS)}")
    cls, config, make = LAYERS[name]
    expected = {"type", *config} | ({"layers"} if cls in CONTAINERS else set())
    if not set(node) <= expected or not expected - optional <= set(node):
        raise ValueError(f"{name} needs exactly the keys {sorted(expected)}, got {capped(sorted(node))}")
    for key, (_, check) in config.items():
        if key in node and not check(node[key]):
            raise ValueError(f"{name}.{key} has a bad value {node[key]!r:.80} ({check.__name__.strip('_')} expected)")
    return name, cls, make


def _own_values(layer):
    """How many values `layer` holds itself (its parameters and buffers), not counting its children."""
    own = sum(member.value.size for _, member in layer.named_members() if isinstance(member, Parameter))
    return own + sum(getattr(layer, name).size for name in layer.__dict__.get("_buffer_names", ()))
