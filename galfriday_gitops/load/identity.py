"""A manifest's identity — kind, name, version, stage — read without a YAML parser.

``gfops status`` needs four fields of every manifest. Parsing 10,000 manifests in full
(libyaml's events in Python, then pydantic) costs ~0.4 ms each; reading the four fields
from the lines costs ~10 µs. This reader accepts only the plain block layout that
``gfops register`` writes and people keep: ``apiVersion``, ``kind``, ``metadata`` and
``spec`` at the top, each once; ``name``/``version`` under ``metadata`` and ``stage``
under ``spec`` at one consistent indentation, each once, with a plain or simply quoted
value. Anything else — flow style, anchors, tags, tabs, CR, document markers, a quote or
bracket not closed on its own line (which could hide a line from us), a duplicate, an
unknown stage, a value YAML would read as a number, date or boolean — returns None, and
the caller parses that file in full.

The promise (checked by a property test against PyYAML): when this returns an identity
and the file is valid YAML, YAML reads the same four values. It does not validate the
rest of the file; ``gfops validate`` and ``gfops check`` do.
"""

from __future__ import annotations

import re

from galfriday_gitops.load.safe_yaml import YamlError, decode, plain_is_string
from galfriday_gitops.paths import is_name
from galfriday_gitops.semver import is_semver
from galfriday_gitops.stages import STAGE_NAMES

Identity = tuple[str, str, str, str]  # (kind, name, version, stage), as load.cache's index

_TOP = frozenset({"apiVersion", "kind", "metadata", "spec"})
_WANTED = {"metadata": ("name", "version"), "spec": ("stage",)}
# A value we read: plain or quoted, from a safe charset (no escapes), then a comment.
_VALUE = re.compile(
    r"""(?:([A-Za-z0-9][A-Za-z0-9./_-]*)|'([A-Za-z0-9./_-]+)'|"([A-Za-z0-9./_-]+)")(?: +#.*| *)$"""
)
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


def _section(key: str, rest: str, seen: set[str], found: dict[str, str]) -> tuple[str, ...]:
    """A top-level key line: record a scalar, or open ``metadata``/``spec`` (what to read)."""
    if key not in _TOP or key in seen:
        raise _Unsure
    seen.add(key)
    wanted = _WANTED.get(key)
    if wanted is None:
        found[key] = _value(rest)
        return ()
    if rest.strip(" ") and not rest.lstrip(" ").startswith("#"):
        raise _Unsure  # flow style, an anchor or a tag
    return wanted


def _read(text: str) -> dict[str, str]:
    """The top-level scalars, and the wanted direct children of ``metadata`` and ``spec``
    (the lines at the first child's indentation; deeper lines are skipped unread)."""
    if "\t" in text or "\r" in text:
        raise _Unsure
    if text.startswith(("---", "...", "%")) or any(m in text for m in ("\n---", "\n...", "\n%")):
        raise _Unsure  # document markers and directives
    _check_openers(text)
    found: dict[str, str] = {}
    seen: set[str] = set()
    wanted: tuple[str, ...] = ()
    children: set[str] = set()
    child = ""  # the children's indentation, once known
    deeper = "\n"  # a prefix of every line nested below a child (none yet)
    just_read = False  # the last child line was a value we read
    for line in text.split("\n"):
        if just_read and line.strip(" ") and not line.lstrip(" ").startswith("#"):
            if line.startswith(deeper):
                raise _Unsure  # the value we read continues on this line
            just_read = False
        if not line or line[0] == "#" or line.startswith(deeper):
            continue
        if line[0] != " ":
            key, rest = _key_line(line)
            wanted = _section(key, rest, seen, found)
            children, child, deeper = set(), "", "\n"
            continue
        content = line.lstrip(" ")
        if not content or content[0] == "#":
            continue
        if not wanted:
            raise _Unsure  # a scalar continued on the next line, or content before any key
        if not child:
            child = line[: len(line) - len(content)]
            deeper = child + " "
        elif len(line) - len(content) != len(child):
            raise _Unsure  # less indented than its siblings (deeper lines never get here)
        if content[0] == "-" and (content == "-" or content[1] == " "):
            continue  # an item of the previous key's list, written at the same indent
        key, rest = _key_line(content)
        if key in children:
            raise _Unsure
        children.add(key)
        if key in wanted:
            found[key] = _value(rest)
            just_read = True
    return found


def identity_of(raw: bytes) -> Identity | None:
    """(kind, name, version, stage) of a ModelVersion manifest, or None when unsure."""
    try:
        found = _read(decode(raw))
    except (YamlError, _Unsure):
        return None
    if found.get("apiVersion") != "galfriday/v1" or found.get("kind") != "ModelVersion":
        return None
    name, version, stage = found.get("name"), found.get("version"), found.get("stage")
    if name is None or version is None or stage not in STAGE_NAMES:
        return None
    if not is_name(name) or not is_semver(version):
        return None
    return ("ModelVersion", name, version, stage)
