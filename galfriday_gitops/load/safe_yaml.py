"""Safe YAML: bytes in, plain data with the line of every value out, or one clear error.

We read the parser's event stream ourselves instead of using a YAML loader, because:
- every value must keep its line and column so findings point at the exact line;
- duplicate keys, anchors/aliases, merge keys, explicit tags and extra documents must
  be refused, which the stock loaders silently accept (duplicates: last one wins);
- building nodes with an explicit stack never recurses, so deep input cannot crash us.

Limits (README, "What the loader refuses"): a file is at most ``MAX_BYTES`` (256 KiB) and
nests at most ``MAX_DEPTH`` (32) collections deep. Brackets are counted before the
parser sees the text, since libyaml slows down quadratically on deep flow nesting
(50,000 ``[`` take seconds) and the C composer overflows the stack on it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

MAX_BYTES = 256 * 1024
MAX_DEPTH = 32

# Trojan-source characters (bidi embeddings/overrides/isolates) and zero-width characters:
# they make a name or stage look like something it is not.
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]")
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")

Path = tuple[str | int, ...]


class _Yaml:
    """PyYAML's parts, imported on the first parse: a command that finds every file in
    the cache parses no YAML, and importing PyYAML is ~10 ms of its start-up."""

    def __init__(self) -> None:
        import yaml
        from yaml.constructor import SafeConstructor
        from yaml.nodes import ScalarNode
        from yaml.resolver import Resolver

        self.yaml: Any = yaml
        self.parser: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
        self.scalar_node: Any = ScalarNode
        # YAML 1.1 implicit resolvers, keyed by a plain scalar's first character (as
        # PyYAML does).
        self.implicit: dict[str, list[tuple[str, Any]]] = dict(Resolver.yaml_implicit_resolvers)
        constructor = SafeConstructor()
        self.construct: dict[str, Callable[[Any], Any]] = {
            "tag:yaml.org,2002:null": constructor.construct_yaml_null,
            "tag:yaml.org,2002:bool": constructor.construct_yaml_bool,
            "tag:yaml.org,2002:int": constructor.construct_yaml_int,
            "tag:yaml.org,2002:float": constructor.construct_yaml_float,
            "tag:yaml.org,2002:timestamp": constructor.construct_yaml_timestamp,
        }


@functools.cache
def _lib() -> _Yaml:
    return _Yaml()


class YamlError(Exception):
    """A file that is refused: which rule, where, and what was expected."""

    def __init__(self, rule_id: str, line: int, column: int, message: str) -> None:
        super().__init__(message)
        self.rule_id = rule_id
        self.line = line
        self.column = column
        self.message = message


@dataclass(frozen=True, slots=True)
class Document:
    """Plain data (dicts, lists, scalars) plus (line, column) of every key and item."""

    data: Any
    positions: dict[Path, tuple[int, int]]

    def line_of(self, path: Path) -> tuple[int, int]:
        """Position of the value at ``path``, or of its nearest ancestor that exists."""
        for end in range(len(path), 0, -1):
            pos = self.positions.get(path[:end])
            if pos is not None:
                return pos
        return (1, 1)


def _line_at(data: bytes | str, offset: int) -> tuple[int, int]:
    before = data[:offset]
    newline: Any = b"\n" if isinstance(before, bytes) else "\n"
    line = before.count(newline) + 1
    column = offset - (before.rfind(newline) + 1) + 1
    return line, column


def decode(raw: bytes) -> str:
    """UTF-8 without BOM, NUL or invisible characters, within the size limit."""
    if len(raw) > MAX_BYTES:
        raise YamlError(
            "GF107", 1, 1, f"file is {len(raw)} bytes; the limit is {MAX_BYTES} bytes (256 KiB)"
        )
    if raw.startswith(_BOMS):
        raise YamlError(
            "GF105", 1, 1, "file starts with a byte-order mark; save it as UTF-8 without BOM"
        )
    nul = raw.find(b"\x00")
    if nul >= 0:
        raise YamlError(
            "GF105", *_line_at(raw, nul), "file contains a NUL byte; expected UTF-8 text"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlError(
            "GF105", *_line_at(raw, exc.start), f"invalid UTF-8 byte 0x{raw[exc.start]:02x}"
        ) from None
    bad = _INVISIBLE.search(text)
    if bad:
        raise YamlError(
            "GF106",
            *_line_at(text, bad.start()),
            f"invisible character U+{ord(bad.group()):04X} (bidi control or zero-width); "
            "remove it: it can make a name or stage read as something else",
        )
    return text


def _check_flow_depth(text: str) -> None:
    # An over-estimate (brackets inside strings count too) is fine: it only has to stop
    # pathological input before libyaml sees it; real nesting is checked on the events.
    depth = 0
    limit = 2 * MAX_DEPTH
    for m in re.finditer(r"[\[\]{}]", text):
        depth = depth + 1 if m.group() in "[{" else max(0, depth - 1)
        if depth > limit:
            raise YamlError(
                "GF108", *_line_at(text, m.start()), f"nesting deeper than {MAX_DEPTH} levels"
            )


def plain_is_string(value: str) -> bool:
    """Whether YAML reads this plain (unquoted) scalar as a string, not a number, date,
    boolean or null."""
    implicit = _lib().implicit.get(value[:1], ())
    return not any(regexp.match(value) for _, regexp in implicit)


def _scalar(event: Any, lib: _Yaml) -> Any:
    if not event.implicit[0]:  # quoted: always a string
        return event.value
    value: str = event.value
    for tag, regexp in lib.implicit.get(value[:1], ()):
        if regexp.match(value):
            construct = lib.construct.get(tag)
            try:
                return construct(lib.scalar_node(tag, value)) if construct else value
            except ValueError:  # shaped like a date but not one: 2026-02-30, 2026-11-0T12:00
                raise YamlError(
                    "GF100",
                    *_mark(event),
                    f"{value!r} reads as a date or time but is not a valid one; "
                    "quote it if it is text",
                ) from None
    return value


def _mark(event: Any) -> tuple[int, int]:
    return event.start_mark.line + 1, event.start_mark.column + 1


class _Frame:
    __slots__ = ("container", "is_map", "key", "key_pos", "path", "start")

    def __init__(
        self, container: dict[str, Any] | list[Any], path: Path, start: tuple[int, int]
    ) -> None:
        self.container = container
        self.is_map = isinstance(container, dict)
        self.path = path
        self.start = start
        self.key: str | None = None
        self.key_pos: tuple[int, int] = (1, 1)


def _refuse_flags(event: Any) -> None:
    if event.anchor:
        raise YamlError("GF102", *_mark(event), f"anchor &{event.anchor} is not allowed")
    if event.tag is not None:
        shown = str(event.tag).replace("tag:yaml.org,2002:", "!!")
        raise YamlError(
            "GF103", *_mark(event), f"explicit tag {shown} is not allowed; plain YAML only"
        )


def _key(
    event: Any, top: _Frame, positions: dict[Path, tuple[int, int]] | None, lib: _Yaml
) -> None:
    """Consume a scalar event as the next key of the mapping on top of the stack."""
    key = _scalar(event, lib)
    if event.implicit[0] and event.value == "<<":
        raise YamlError(
            "GF102", *_mark(event), "merge keys (<<) are not allowed; write the keys out"
        )
    if not isinstance(key, str):
        raise YamlError(
            "GF109", *_mark(event), f"key {event.value!r} is read as {type(key).__name__}; quote it"
        )
    if key in top.container:
        first = positions.get((*top.path, key), (0, 0))[0] if positions is not None else 0
        where = f" (first defined on line {first})" if first else ""
        raise YamlError("GF101", *_mark(event), f"duplicate key {key!r}{where}")
    top.key = key
    if positions is not None:
        top.key_pos = _mark(event)


class _Builder:
    """Plain data from the parser's events, built on an explicit stack (deep input cannot
    recurse), refusing what the loader refuses as it goes."""

    __slots__ = ("documents", "have_root", "lib", "positions", "root", "stack")

    def __init__(self, with_positions: bool, lib: _Yaml) -> None:
        self.lib = lib
        self.positions: dict[Path, tuple[int, int]] | None = {} if with_positions else None
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.have_root = False
        self.documents = 0

    def place(self, value: Any, pos: tuple[int, int] | None) -> None:
        """Put a finished value where it belongs: the root, a mapping's key, a list's end."""
        positions = self.positions
        if not self.stack:
            self.root, self.have_root = value, True
            if positions is not None and pos is not None:
                positions[()] = pos
            return
        top = self.stack[-1]
        if top.is_map:
            key = top.key
            assert key is not None
            top.container[key] = value  # type: ignore[call-overload]
            if positions is not None:
                positions[(*top.path, key)] = top.key_pos
            top.key = None
        else:
            if positions is not None and pos is not None:
                positions[(*top.path, len(top.container))] = pos
            top.container.append(value)  # type: ignore[union-attr]

    def scalar(self, event: Any) -> None:
        _refuse_flags(event)
        stack = self.stack
        if stack and stack[-1].is_map and stack[-1].key is None:
            _key(event, stack[-1], self.positions, self.lib)
        else:
            self.place(
                _scalar(event, self.lib), _mark(event) if self.positions is not None else None
            )

    def start(self, event: Any) -> None:
        """A mapping or a sequence opens: one level deeper, under the pending key or item."""
        _refuse_flags(event)
        top = self.stack[-1] if self.stack else None
        if top is not None and top.is_map and top.key is None:
            raise YamlError(
                "GF109", *_mark(event), "a mapping key must be a plain string, not a collection"
            )
        if len(self.stack) >= MAX_DEPTH:
            raise YamlError("GF108", *_mark(event), f"nesting deeper than {MAX_DEPTH} levels")
        if top is None:
            path: Path = ()
        elif top.is_map:
            assert top.key is not None
            path = (*top.path, top.key)
        else:
            path = (*top.path, len(top.container))
        start = top.key_pos if top is not None and top.is_map else _mark(event)
        mapping = event.__class__ is self.lib.yaml.MappingStartEvent
        container: dict[str, Any] | list[Any] = {} if mapping else []
        self.stack.append(_Frame(container, path, start))

    def end(self, event: Any) -> None:
        done = self.stack.pop()
        self.place(done.container, done.start)

    def alias(self, event: Any) -> None:
        anchor = getattr(event, "anchor", "")
        raise YamlError("GF102", *_mark(event), f"alias *{anchor} is not allowed")

    def document(self, event: Any) -> None:
        self.documents += 1
        if self.documents > 1:
            raise YamlError(
                "GF104", *_mark(event), "a file holds exactly one YAML document; found a second"
            )


def parse(text: str, *, with_positions: bool = True) -> Document:
    """Parse one YAML document into plain data; raise YamlError on refusal.

    Positions (line, column of every key and item) cost a third of the time; callers
    that only need them for findings parse without, and again with them on failure.
    """
    _check_flow_depth(text)
    lib = _lib()
    yaml = lib.yaml
    builder = _Builder(with_positions, lib)
    handlers: dict[type, Callable[[Any], None]] = {
        yaml.ScalarEvent: builder.scalar,
        yaml.MappingStartEvent: builder.start,
        yaml.SequenceStartEvent: builder.start,
        yaml.MappingEndEvent: builder.end,
        yaml.SequenceEndEvent: builder.end,
        yaml.AliasEvent: builder.alias,
        yaml.DocumentStartEvent: builder.document,
    }
    scalar, scalar_event = builder.scalar, yaml.ScalarEvent  # most events are scalars
    try:
        for event in yaml.parse(text, Loader=lib.parser):
            if event.__class__ is scalar_event:
                scalar(event)
            elif (handler := handlers.get(event.__class__)) is not None:
                handler(event)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise YamlError("GF100", line, col, f"YAML syntax: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise YamlError("GF100", 1, 1, f"YAML syntax: {exc}") from None
    if not builder.have_root:
        raise YamlError("GF110", 1, 1, "empty file; expected a resource (apiVersion, kind, ...)")
    positions = builder.positions
    return Document(builder.root, positions if positions is not None else {})


def load(raw: bytes, *, with_positions: bool = True) -> Document:
    """Decode and parse; every refusal is a YamlError naming its rule and line."""
    text = decode(raw)
    try:
        return parse(text, with_positions=with_positions)
    except YamlError as exc:
        if with_positions or exc.rule_id != "GF101":
            raise
        return parse(text)  # again, for the duplicate's first line in the message
