"""Minimal YAML edits: change exactly what was asked and leave every other byte alone.

A promotion must be a one-line diff a reviewer can read at a glance, so ``set_scalar``
does not re-serialise the file: it finds the value's token with the safe loader's
position of its key plus the YAML scanner's exact marks, and splices in the new token.
Comments, key order, quoting and indentation are untouched. ``set_block`` writes a whole
mapping (``spec.result`` of a concluded experiment) as lines of its own, spliced in where
the key was (or after a named sibling): every other line keeps its bytes, line endings
included. ``set_mapping`` covers adding, replacing or removing ``spec.deprecation``
through ruamel.yaml's round-trip mode, which keeps comments and order but may reflow the
block it writes. All of them re-parse their result with the safe loader and refuse to
return text whose data differs from the original anywhere except at the edited path.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import itertools
import json
import math
import re
from collections.abc import Mapping
from typing import Any

import yaml

from galfriday_gitops.errors import UserError
from galfriday_gitops.load.safe_yaml import Document, YamlError, load
from galfriday_gitops.load.safe_yaml import Path as DocPath

ScalarValue = str | int | float | bool

_PLAIN_SAFE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")
# What a YAML 1.2 reader (yaml-language-server, GitHub) takes for a number: a string like
# an all-digit md5 is written quoted even where YAML 1.1 (PyYAML) would read it as text.
_YAML12_NUMBER = re.compile(
    r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+"
    r"|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)$"
)
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


def _float_token(value: float) -> str:
    """A float token that YAML 1.1 readers (PyYAML, our loader) read back as that float.

    ``repr`` gives ``1e-06``, which YAML 1.1 reads as a *string* (its float form needs a
    dot in the mantissa and a signed exponent).
    """
    if not math.isfinite(value):
        raise EditError(f"cannot write the non-finite number {value!r}")
    text = repr(value)
    if "e" not in text:
        return text if "." in text else text + ".0"
    mantissa, exponent = text.split("e")
    if "." not in mantissa:
        mantissa += ".0"
    return f"{mantissa}e{exponent if exponent[0] in '+-' else '+' + exponent}"


def _render(value: ScalarValue, style: str | None) -> str:
    """The token for ``value``: keep the old quoting style; plain only when it reads back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        return _float_token(value)
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    plain = _PLAIN_SAFE.match(value) and not _YAML12_NUMBER.match(value)
    if style is None and plain and yaml.safe_load(value) == value:
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
    if value is None or isinstance(value, dt.date | str | int | float | bool):
        return value
    raise EditError(f"cannot write a {type(value).__name__} into YAML")


def _token(value: Any) -> str:
    """A flow token for a scalar, or a flow collection of scalars, that reads back equal."""
    if value is None:
        return "null"
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            raise EditError("cannot write a datetime without a time zone")
        return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str | int | float | bool):
        return _render(value, None)
    if isinstance(value, Mapping):
        items = ", ".join(f"{_render(str(k), None)}: {_scalar_token(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_scalar_token(v) for v in value) + "]"
    raise EditError(f"cannot write a {type(value).__name__} into YAML")


def _scalar_token(value: Any) -> str:
    if isinstance(value, Mapping | list | tuple):
        raise EditError("set_block writes one level of nesting in flow style, not more")
    return _token(value)


def _block_end(lines: list[str], start: int, column: int) -> int:
    """One past the last line of the entry whose key is on line ``start`` at ``column``.

    The entry runs on while lines are blank or indented deeper than its key; blank lines
    at its end belong to what follows.
    """
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > column):
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def set_block(
    raw: bytes, path: DocPath, value: Mapping[str, Any], *, after: str | None = None
) -> bytes:
    """Write the mapping ``value`` at ``path`` as a block of its own lines.

    An existing entry at ``path`` is replaced where it is; a new one goes after the
    sibling key ``after`` (else after the parent's last entry). Values are scalars
    (str, int, float, bool, None, date, aware datetime) or one level of mapping or list,
    written in flow style (``{control: 10, treatment: 12}``, ``[0.1, 0.2]``). The
    file's indentation step and line endings are kept; nothing else changes.
    """
    doc = _load(raw)
    parent_path, key = path[:-1], path[-1]
    if not isinstance(key, str) or not parent_path:
        raise EditError("set_block needs a path to a key inside a mapping")
    parent = doc.data
    for part in parent_path:
        parent = parent.get(part) if isinstance(parent, dict) else None
    if not isinstance(parent, dict) or not parent:
        raise EditError(f"{_dotted(parent_path)} is not a non-empty mapping")
    text = raw.decode("utf-8")
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"
    siblings = [k for k in parent if k != key]
    anchor = key
    if key not in parent:
        anchor = after if after is not None and after in parent else siblings[-1]
    row, col = (n - 1 for n in doc.positions[(*parent_path, anchor)])
    if lines[row][col:].lstrip().startswith(("{", "[")) or _indent(lines[row]) != col:
        raise EditError(f"{_dotted(parent_path)} must be a block mapping to add {key}")
    outer_row, outer_col = (n - 1 for n in doc.positions[parent_path])
    step = col - outer_col if outer_row < row and col > outer_col else _guess_indent(text)[0]
    block = [" " * col + f"{key}:" + newline]
    block += [
        " " * (col + step) + f"{_render(str(k), None)}: {_token(v)}" + newline
        for k, v in value.items()
    ]
    end = _block_end(lines, row, col)
    if key in parent:
        lines[row:end] = block
    else:
        if not lines[end - 1].endswith("\n"):
            lines[end - 1] += newline
        lines[end:end] = block
    new_raw = "".join(lines).encode("utf-8")
    _verify(doc, new_raw, path, _plain(dict(value)))
    return new_raw
