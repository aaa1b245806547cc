"""A manifest's identity — kind, name, version, stage — and a canary's traffic share, read
without a YAML parser.

``gfops status`` needs five fields of every manifest. Parsing 10,000 manifests in full
(libyaml's events in Python, then pydantic) costs ~0.4 ms each; reading the five fields
from the lines costs ~30 µs. This reader accepts only the plain block layout that
``gfops register`` and ``gfops promote`` write and people keep: ``apiVersion``, ``kind``,
``metadata`` and ``spec`` at the top, each once; ``name``/``version`` under ``metadata``,
``stage`` under ``spec`` and ``trafficPercent`` under ``spec.rollout``, each mapping's keys
at one consistent indentation, each once, with a plain or simply quoted value (the share:
a plain decimal from 0 to 100). Anything else — flow style, anchors, tags, tabs, CR,
document markers, a quote or bracket not closed on its own line (which could hide a line
from us), a duplicate, an empty ``rollout:``, an unknown stage, a value YAML would read as
a number, date or boolean (or, for the share, as anything but that decimal) — returns
None, and the caller parses that file in full.

The promise (checked by a property test against PyYAML): when this returns an answer and
the file is valid YAML, YAML reads the same five values. It does not validate the rest of
the file; ``gfops validate`` and ``gfops check`` do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from galfriday_gitops.load.safe_yaml import YamlError, decode, plain_is_string
from galfriday_gitops.paths import is_name
from galfriday_gitops.semver import is_semver
from galfriday_gitops.stages import STAGE_NAMES

Identity = tuple[str, str, str, str]  # (kind, name, version, stage), as load.cache's index

# A value we read: plain or quoted, from a safe charset (no escapes), then a comment.
_VALUE = re.compile(
    r"""(?:([A-Za-z0-9][A-Za-z0-9./_-]*)|'([A-Za-z0-9./_-]+)'|"([A-Za-z0-9./_-]+)")(?: +#.*| *)$"""
)
_PERCENT = re.compile(r"((?:0|[1-9][0-9]{0,2})(?:\.[0-9]+)?)(?: +#.*| *)$")
_OPENER = re.compile(r"""["'\[{]""")
# The usual one-line shapes: a flat flow collection, a quoted scalar.
_CLOSED = re.compile(
    r"""\[[^\[\]{}'"#\n]*\]|\{[^\[\]{}'"#\n]*\}|"[^"\\\n]*"|'(?:[^'\n]|'')*'(?!')"""
)


class _Unsure(Exception):
    """Not certain: the file is parsed in full instead."""


def _value(rest: str) -> str:
    """The scalar a ``key: rest`` line gives, when it is one we can read for certain."""
    m = _VALUE.match(rest.lstrip(" "))
    if m is None:
        raise _Unsure
    if m[1] is not None:
        if not plain_is_string(m[1]):
            raise _Unsure  # YAML reads it as a number, a date, a boolean or null
        return m[1]
    return m[2] if m[2] is not None else m[3]


def _share(rest: str) -> str:
    """A canary share as YAML 1.1 reads a plain decimal (``10``, ``7.5``), within 0..100."""
    m = _PERCENT.match(rest.lstrip(" "))
    if m is None or float(m[1]) > 100:
        raise _Unsure  # quoted (a string), 010 (octal), 1_0, 1e2, .5, out of range
    return m[1]


Leaf = Callable[[str], str]  # reads the value of a ``key: rest`` line, or raises _Unsure
Tree = dict[str, "Leaf | Tree"]
# What is read: every top-level key (a manifest has no others), and these children.
_WANTED: Tree = {
    "apiVersion": _value,
    "kind": _value,
    "metadata": {"name": _value, "version": _value},
    "spec": {"stage": _value, "rollout": {"trafficPercent": _share}},
}


def _closes_on_line(text: str) -> bool:
    """Whether a quoted scalar or flow collection starting ``text`` ends on this line."""
    if _CLOSED.match(text):
        return True
    depth = 0
    quote = ""
    i = 0
    while i < len(text):
        c = text[i]
        if quote == "'":
            if c == "'":
                if text[i + 1 : i + 2] == "'":
                    i += 1  # '' is an escaped quote
                else:
                    quote = ""
        elif quote == '"':
            if c == "\\":
                i += 1
            elif c == '"':
                quote = ""
        elif c in "'\"":
            quote = c
        elif c in "[{":
            depth += 1
        elif c in "]}":
            depth -= 1
        elif c == "#" and text[i - 1] == " ":
            return False  # a comment: whatever is open stays open
        if not quote and depth <= 0:
            return True
        i += 1
    return False


def _check_openers(text: str) -> None:
    """Every quote or bracket where a node may begin (line start, or after ':', '-', '?')
    closes on its own line: otherwise it could run on over the lines we read. (A quote
    inside a plain scalar is just a character; checking it too only costs a full parse.)"""
    pos = 0
    while (m := _OPENER.search(text, pos)) is not None:
        i = m.start()
        before = text[text.rfind("\n", 0, i) + 1 : i].rstrip(" ")
        if before and before[-1] not in ":-?":
            pos = i + 1
            continue
        end = text.find("\n", i)
        end = len(text) if end < 0 else end
        if not _closes_on_line(text[i:end]):
            raise _Unsure
        pos = end


def _key_line(content: str) -> tuple[str, str]:
    """``key: rest`` with a simple key, else unsure."""
    key, sep, rest = content.partition(":")
    if not sep or not key.isidentifier() or (rest and rest[0] != " "):
        raise _Unsure
    return key, rest


@dataclass(slots=True)
class _Level:
    """One block mapping we read: its wanted keys, and its lines' indentation."""

    wanted: Tree
    path: str  # the dotted prefix of its keys: "", "spec.", "spec.rollout."
    floor: int  # its key's indentation: its own lines are indented more (-1: the top)
    indent: int = -1  # its keys' indentation, once its first line is seen
    keys: set[str] = field(default_factory=set)


class _Reader:
    """The wanted scalars of a block layout, line by line; lines nested under a key we do
    not want are skipped unread."""

    def __init__(self) -> None:
        self.levels = [_Level(_WANTED, "", -1, 0)]
        self.found: dict[str, str] = {}
        self.read_at = -1  # the indentation of the value just read: a deeper line continues it

    def read(self, text: str) -> dict[str, str]:
        """Feed every line; the wanted values by dotted path."""
        levels = self.levels
        for line in text.split("\n"):
            content = line.lstrip(" ")
            if not content or content[0] == "#":
                continue
            indent = len(line) - len(content)
            if self.read_at >= 0:
                if indent > self.read_at:
                    raise _Unsure  # the value we read continues on this line
                self.read_at = -1
            top = levels[-1]
            if indent == top.indent:
                self._key(top, indent, content)  # a sibling: the usual line
            elif indent > top.indent >= 0 and top.floor >= 0:
                continue  # nested under a key we skip
            else:
                level = self._level_of(indent)
                if level is not None:
                    self._key(level, indent, content)
        while len(levels) > 1:
            self._close()
        return self.found

    def _level_of(self, indent: int) -> _Level | None:
        """The mapping whose key this line holds; None for a line nested under a key we skip."""
        while indent <= self.levels[-1].floor:
            self._close()
        level = self.levels[-1]
        if level.indent < 0:
            level.indent = indent
        if indent == level.indent:
            return level
        if indent < level.indent or level.floor < 0:
            raise _Unsure  # less indented than its siblings, or an indented line at the top
        return None

    def _close(self) -> None:
        if self.levels.pop().indent < 0:
            raise _Unsure  # ``key:`` with nothing under it: null, or a list at its indentation

    def _key(self, level: _Level, indent: int, content: str) -> None:
        item = content[0] == "-" and (content == "-" or content[1] == " ")
        if item and level.keys and level.floor >= 0:
            return  # an item of the previous key's list, written at the same indent
        key, rest = _key_line(content)
        if key in level.keys or (level.floor < 0 and key not in level.wanted):
            raise _Unsure  # a duplicate, or a top-level key a manifest does not have
        level.keys.add(key)
        wanted = level.wanted.get(key)
        if wanted is None:
            return
        if isinstance(wanted, dict):
            if rest.strip(" ") and not rest.lstrip(" ").startswith("#"):
                raise _Unsure  # flow style, an anchor, a tag or a scalar where we read a mapping
            self.levels.append(_Level(wanted, f"{level.path}{key}.", indent))
            return
        self.found[level.path + key] = wanted(rest)
        self.read_at = indent


def _read(text: str) -> dict[str, str]:
    """The wanted scalars by dotted path (``spec.stage``): top-level keys, and the wanted
    children of ``metadata``, ``spec`` and ``spec.rollout`` at their first child's
    indentation (deeper lines are skipped unread)."""
    if "\t" in text or "\r" in text:
        raise _Unsure
    if text.startswith(("---", "...", "%")) or any(m in text for m in ("\n---", "\n...", "\n%")):
        raise _Unsure  # document markers and directives
    _check_openers(text)
    return _Reader().read(text)


def identity_and_traffic(raw: bytes) -> tuple[Identity, float | None] | None:
    """(kind, name, version, stage) of a ModelVersion manifest and its canary share
    (``spec.rollout.trafficPercent``, None when it has none), or None when unsure."""
    try:
        found = _read(decode(raw))
    except (YamlError, _Unsure):
        return None
    if found.get("apiVersion") != "galfriday/v1" or found.get("kind") != "ModelVersion":
        return None
    name, version = found.get("metadata.name"), found.get("metadata.version")
    stage = found.get("spec.stage")
    if name is None or version is None or stage not in STAGE_NAMES:
        return None
    if not is_name(name) or not is_semver(version):
        return None
    share = found.get("spec.rollout.trafficPercent")
    return ("ModelVersion", name, version, stage), float(share) if share is not None else None


def identity_of(raw: bytes) -> Identity | None:
    """(kind, name, version, stage) of a ModelVersion manifest, or None when unsure."""
    read = identity_and_traffic(raw)
    return read[0] if read is not None else None
