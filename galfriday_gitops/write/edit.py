"""Minimal YAML edits: change exactly what was asked and leave every other byte alone.

A promotion must be a one-line diff a reviewer can read at a glance, so ``set_scalar``
does not re-serialise the file: it finds the value's token with the safe loader's
position of its key plus the YAML scanner's exact marks, and splices in the new token.
Comments, key order, quoting and indentation are untouched. ``set_mapping`` covers the
rare multi-line change (adding, replacing or removing ``spec.deprecation``) through
ruamel.yaml's round-trip mode, which keeps comments and order but may reflow the block
it writes. Both re-parse their result with the safe loader and refuse to return text
whose data differs from the original anywhere except at the edited path.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import itertools
import json
import re
from collections.abc import Mapping
from typing import Any

import yaml

from galfriday_gitops.errors import UserError
from galfriday_gitops.load.safe_yaml import Document, YamlError, load
from galfriday_gitops.load.safe_yaml import Path as DocPath

ScalarValue = str | int | float | bool

_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
_PADDING_BEFORE_COMMENT = re.compile(r"^( +)#")


class EditError(UserError):
    """The requested edit cannot be made safely (missing path, not a scalar, ...)."""


def _dotted(path: DocPath) -> str:
    return ".".join(str(p) for p in path)


def _lookup(data: Any, path: DocPath) -> Any:
    for part in path:
        data = data[part]
    return data


def _assign(data: Any, path: DocPath, value: Any) -> Any:
    """A deep copy of ``data`` with ``path`` set to ``value`` (None with a str key: removed)."""
    out = copy.deepcopy(data)
    parent = _lookup(out, path[:-1])
    if value is None and isinstance(path[-1], str):
        parent.pop(path[-1], None)
    else:
        parent[path[-1]] = value
    return out


def _load(raw: bytes) -> Document:
    try:
        return load(raw)
    except YamlError as exc:
        raise EditError(f"line {exc.line}: {exc.message}") from None


def _render(value: ScalarValue, style: str | None) -> str:
    """The token for ``value``: keep the old quoting style; plain only when it reads back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style is None and _PLAIN_SAFE.match(value) and yaml.safe_load(value) == value:
        return value
    return json.dumps(value, ensure_ascii=False)  # a valid YAML double-quoted scalar


def _value_token(text: str, doc: Document, path: DocPath) -> yaml.ScalarToken:
    """The scanner token of the scalar at ``path`` (located via the key's line and column)."""
    line, column = doc.positions[path]
    tokens = yaml.scan(text, Loader=yaml.SafeLoader)
    for token in tokens:
        mark = token.start_mark
        if (mark.line + 1, mark.column + 1) != (line, column) or not isinstance(
            token, yaml.ScalarToken
        ):
            continue
        if isinstance(path[-1], int):  # a sequence item: the position is the value itself
            return token
        # A mapping entry: the position is the key; the value follows its ':'.
        if isinstance(next(tokens, None), yaml.ValueToken):
            value = next(tokens, None)
            if isinstance(value, yaml.ScalarToken):
                return value
        break
    raise EditError(f"{_dotted(path)} has no scalar value to replace")


def set_scalar(raw: bytes, path: DocPath, value: ScalarValue) -> bytes:
    """Set the scalar at ``path`` by replacing only its token: a one-line diff."""
    doc = _load(raw)
    if path not in doc.positions:
        raise EditError(f"{_dotted(path)} is not in the file")
    current = _lookup(doc.data, path)
    if isinstance(current, dict | list):
        raise EditError(f"{_dotted(path)} is a {type(current).__name__}, not a scalar")
    text = raw.decode("utf-8")
    token = _value_token(text, doc, path)
    if token.start_mark.line != token.end_mark.line:
        raise EditError(f"{_dotted(path)} spans several lines; edit it with set_mapping")
    start, end = token.start_mark.index, token.end_mark.index
    new_token = _render(value, token.style)
    rest = text[end:]
    # Keep a trailing comment in its column when the padding allows (aligned comments).
    padding = _PADDING_BEFORE_COMMENT.match(rest)
    if padding:
        width = max(1, len(padding.group(1)) - (len(new_token) - (end - start)))
        rest = " " * width + rest[len(padding.group(1)) :]
    new_raw = (text[:start] + new_token + rest).encode("utf-8")
    _verify(doc, new_raw, path, value)
    return new_raw


def _verify(before: Document, new_raw: bytes, path: DocPath, value: Any) -> None:
    after = _load(new_raw)
    if after.data != _assign(before.data, path, value):
        raise EditError(f"editing {_dotted(path)} would change more than that value; not written")


def set_mapping(raw: bytes, path: DocPath, value: Mapping[str, Any] | None) -> bytes:
    """Add or replace the mapping at ``path`` (``None`` removes the key), round-trip.

    Comments and key order elsewhere survive; the indentation is guessed from the file.
    Values may be str, int, float, bool or ``datetime.date``.
    """
    from ruamel.yaml import YAML

    doc = _load(raw)
    if not path or not isinstance(path[-1], str):
        raise EditError("set_mapping needs a path that ends in a mapping key")
    try:
        parent = _lookup(doc.data, path[:-1])
    except (KeyError, IndexError, TypeError):
        raise EditError(f"{_dotted(path[:-1])} is not in the file") from None
    if not isinstance(parent, dict):
        raise EditError(f"{_dotted(path[:-1])} is not a mapping")
    if value is None and path[-1] not in parent:
        return raw  # nothing to remove
    text = raw.decode("utf-8")
    indent, offset = _guess_indent(text)
    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never re-wrap long lines we did not touch
    rt.indent(mapping=indent, sequence=offset + 2, offset=offset)
    data = rt.load(text)
    node = data
    for part in path[:-1]:
        node = node[part]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = dict(value)
    out = io.StringIO()
    rt.dump(data, out)
    new_raw = out.getvalue().encode("utf-8")
    expected = None if value is None else _plain(dict(value))
    _verify(doc, new_raw, path, expected)
    return new_raw


_KEY_OPENS_BLOCK = re.compile(r"^( *)[^\s#-][^:#]*:\s*(#.*)?$")
_INDENTED = re.compile(r"^( *)(- )?\S")


def _guess_indent(text: str) -> tuple[int, int]:
    """(mapping indent, dash offset) as this file uses them, measured separately.

    ruamel's own guess takes one number for both, which re-indents a file whose
    mappings step by 2 but whose list dashes sit 2 deeper than their key.
    """
    mapping: int | None = None
    offset: int | None = None
    lines = text.splitlines()
    for above, below in itertools.pairwise(lines):
        head, body = _KEY_OPENS_BLOCK.match(above), _INDENTED.match(below)
        if head is None or body is None:
            continue
        step = len(body.group(1)) - len(head.group(1))
        if body.group(2) and offset is None and step >= 0:
            offset = step
        elif not body.group(2) and mapping is None and step > 0:
            mapping = step
    return mapping or 2, offset or 0


def _plain(value: Any) -> Any:
    """What the safe loader returns for ``value`` (datetimes stay, nested dicts copied)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, dt.date | str | int | float | bool):
        return value
    raise EditError(f"cannot write a {type(value).__name__} into YAML")
