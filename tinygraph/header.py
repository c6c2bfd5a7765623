"""The JSON header of a tinygraph file: its checks, and the nested trees that versions 1 and 2 wrote.

Version 3 lists the layers flat, children before their containers (see `io.py`). Versions 1 and 2
nested each container's children inside it and wrote a layer used again as `{"same_as": id}`;
`flatten` turns such a tree into the flat list, without recursion, so that one builder reads all.
"""

import json

FORMAT_VERSION = 3  # 3: the architecture as a flat list; 2 added the axis of Softmax and Parallel
READABLE_VERSIONS = (1, 2, 3)
HEADER = "__tinygraph__"  # the name of the header in the file
DTYPES = ("float32", "float64")


def read_header(array):
    """The header (a dict) from its array in the file, or a `ValueError` saying what is wrong with it."""
    if array.shape != () or array.dtype.kind != "U":
        raise ValueError("the header is not a text")
    header = json.loads(str(array[()]))
    if not isinstance(header, dict) or header.get("format") != "tinygraph":
        raise ValueError("the header is not a tinygraph header")
    if header.get("version") not in READABLE_VERSIONS:
        raise ValueError(
            f"unknown format version {header.get('version')!r:.20} (this tinygraph reads versions 1 to {FORMAT_VERSION})"
        )
    if header.get("dtype") not in DTYPES:
        raise ValueError(f"unknown dtype {header.get('dtype')!r:.40}")
    return header


def flatten(tree):
    """A version 1 or 2 architecture (nested nodes, `{"same_as": id}` for a layer used again) as a flat list."""
    nodes, place_of = [], {}
    stack = [(tree, None)]
    while stack:
        node, children = stack.pop()
        if not isinstance(node, dict):
            raise ValueError(f"a layer description must be an object, got {node!r:.80}")
        if children is None and "same_as" in node:
            if set(node) != {"same_as"} or type(node["same_as"]) is not int or place_of.get(node["same_as"]) is None:
                raise ValueError(f"bad shared-layer reference {node!r:.80}")
            continue
        if children is None:
            if "id" not in node or not isinstance(node["id"], int) or isinstance(node["id"], bool) or node["id"] in place_of:
                raise ValueError(f"{node.get('type')!r:.40} has a bad or repeated id {node.get('id')!r:.80}")
            place_of[node["id"]] = None  # reserved: a child may not refer to its own container
            children = node.get("layers", [])
            if not isinstance(children, list):
                raise ValueError(f"{node.get('type')!r:.40}.layers must be a list")
            stack.append((node, children))
            stack.extend((child, None) for child in reversed(children))
            continue
        flat = {key: value for key, value in node.items() if key != "id"}
        if "layers" in node:
            flat["layers"] = [place_of[child.get("same_as", child.get("id"))] for child in children]
        place_of[node["id"]] = len(nodes)
        nodes.append(flat)
    return nodes
