"""The explain page: one self-contained HTML file made of `template.html`, `style.css` and the `*.js` files.

Everything is inline, so the page opens from disk with no network, and a Content-Security-Policy in
the page allows only its own script and style (by their SHA-256) and no request of any kind. Nothing
from the model or the data is ever pasted into HTML as markup: the title is escaped, and the run is
JSON in a `<script type="application/json">` element, with every `<`, `>` and `&` written as a `\\u`
escape so that no text in it can close the element. The script reads it with `JSON.parse` and shows
every text with `textContent`, never as HTML.
"""

import base64
import hashlib
import html
import json
import os
import re
import tempfile
from importlib import resources

SCRIPTS = ["util.js", "network.js", "info.js", "charts.js", "boundary.js", "controls.js"]  # in this order, one scope


def source(name):
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def script_json(data):
    """`data` as JSON that is safe inside a `<script>` element: no `<`, `>` or `&` is left as is."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    for char in "<>&\u2028\u2029":
        text = text.replace(char, f"\\u{ord(char):04x}")
    return text


def sha256(text):
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii") + "'"


def build(run):
    """The page's HTML for `run` (the dict of `Run.describe`)."""
    style = source("style.css")
    script = "(function () {\n\"use strict\";\n" + "\n".join(source(name) for name in SCRIPTS) + "\n})();\n"
    policy = f"default-src 'none'; script-src {sha256(script)}; style-src {sha256(style)}; img-src data:"
    parts = {
        "title": html.escape(run["title"]),
        "policy": html.escape(policy),
        "style": style,
        "data": script_json(run),
        "script": script,
    }
    return re.sub(r"\{\{(\w+)\}\}", lambda match: parts[match.group(1)], source("template.html"))


def write(path, text):
    """Write `text` to `path` atomically: an error midway leaves any previous file as it was."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
