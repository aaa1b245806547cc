"""GitHub's CODEOWNERS file: who owns which path, with GitHub's syntax and precedence.

What GitHub documents ("About code owners", docs.github.com/en/repositories/
managing-your-repositorys-settings-and-features/customizing-your-repository/about-code-owners),
and what this module does:

* The file is ``.github/CODEOWNERS``, ``CODEOWNERS`` or ``docs/CODEOWNERS``; when several
  exist GitHub uses the first in that order (:data:`LOCATIONS`). It is read from the pull
  request's base branch, and must be under 3 MB.
* Each line is a pattern followed by owners: ``@username``, ``@org/team-name`` or an email
  address. ``#`` starts a comment (a line, or the rest of a line after whitespace). A
  pattern without owners makes the path unowned.
* "Order is important; the last matching pattern takes the most precedence."
* Patterns follow gitignore's rules (git-scm.com/docs/gitignore, "PATTERN FORMAT"), except
  three that GitHub says do not work: escaping a leading ``#`` with ``\\``, negation with
  ``!`` and ``[ ]`` character ranges. Lines using them are invalid (GitHub skips them and
  flags the file); here they are errors naming the line.
* Matching follows gitignore: a pattern without a slash (but a trailing one) matches a name
  at any depth, otherwise it is anchored at the root; a match on a directory owns
  everything below it; ``*`` and ``?`` stay within one path segment, ``**`` spans any;
  a trailing ``/`` matches directories only. GitHub's documented difference: ``docs/*``
  owns ``docs/getting-started.md`` but not ``docs/build-app/troubleshooting.md`` (a final
  lone ``*`` does not own what is below the directories it matches).
* Paths are case sensitive.

Standard library only: the forge package stands alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

LOCATIONS = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")
MAX_BYTES = 3 * 1024 * 1024

OwnerKind = Literal["user", "team", "email"]

_USER = re.compile(r"@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))")
_TEAM = re.compile(r"@([A-Za-z0-9](?:[A-Za-z0-9-]{0,38}))/([A-Za-z0-9][A-Za-z0-9._-]{0,99})")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True, slots=True)
class Owner:
    kind: OwnerKind
    name: str  # login, team slug, or email address
    org: str | None = None  # teams only

    def __str__(self) -> str:
        if self.kind == "team":
            return f"@{self.org}/{self.name}"
        return f"@{self.name}" if self.kind == "user" else self.name


@dataclass(frozen=True, slots=True)
class Entry:
    line: int
    pattern: str
    owners: tuple[Owner, ...]
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class LineError:
    line: int
    message: str


@dataclass(frozen=True, slots=True)
class CodeOwners:
    """One parsed CODEOWNERS file: its valid entries, in order, and its invalid lines."""

    path: str
    entries: tuple[Entry, ...]
    errors: tuple[LineError, ...]

    def match(self, path: str) -> Entry | None:
        """The entry that decides ``path``'s owners: the last one whose pattern matches."""
        for entry in reversed(self.entries):
            if entry.regex.fullmatch(path):
                return entry
        return None

    def owners_of(self, path: str) -> tuple[Owner, ...]:
        """The owners of a repository path (``models/x/1.0.0.yaml``); () when unowned."""
        found = self.match(path)
        return found.owners if found is not None else ()


def _segment(text: str) -> str:
    """One gitignore path segment as a regular expression (``*``, ``?``, ``\\`` escapes)."""
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            out.append(re.escape(text[i + 1]))
            i += 2
            continue
        out.append("[^/]*" if char == "*" else "[^/]" if char == "?" else re.escape(char))
        i += 1
    return "".join(out)


def pattern_regex(pattern: str) -> re.Pattern[str]:
    """A CODEOWNERS pattern as a regex that must match a whole file path."""
    directory_only = pattern.endswith("/")
    body = pattern.strip("/")
    anchored = pattern.startswith("/") or "/" in body
    parts = body.split("/")
    pieces: list[str] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if part == "**":
            # leading: any directories before; inside: zero or more; final: everything below
            pieces.append("(?:.*/)?" if not last else ".*")
            continue
        pieces.append(_segment(part) + ("" if last else "/"))
    regex = "".join(pieces)
    prefix = "" if anchored else "(?:.*/)?"
    if parts[-1] == "**":
        below = ""  # already spans everything under it
    elif directory_only:
        below = "/.+"  # a directory's contents, never a file of that name
    elif parts[-1] == "*" and anchored:
        below = ""  # GitHub: `docs/*` owns docs' files, not what is further below
    else:
        below = "(?:/.+)?"  # the file itself, or everything below the directory
    return re.compile(prefix + regex + below)


def _owner(token: str) -> Owner | None:
    if m := _TEAM.fullmatch(token):
        return Owner("team", m.group(2), m.group(1))
    if m := _USER.fullmatch(token):
        return Owner("user", m.group(1))
    if _EMAIL.fullmatch(token):
        return Owner("email", token)
    return None


def _split(line: str) -> list[str]:
    """Whitespace-separated tokens; ``\\ `` keeps a space in a pattern; `` #`` ends the line."""
    tokens: list[str] = []
    current = ""
    i = 0
    while i < len(line):
        char = line[i]
        if char == "\\" and i + 1 < len(line):
            current += line[i : i + 2]
            i += 2
            continue
        if char.isspace():
            if current:
                tokens.append(current)
                current = ""
        elif char == "#" and not current:
            break  # a comment, after whitespace (a pattern or owner never starts with #)
        else:
            current += char
        i += 1
    if current:
        tokens.append(current)
    return tokens


def _parse_line(number: int, text: str) -> Entry | LineError | None:
    stripped = text.strip()
    if not stripped or stripped.startswith("#"):
        return None
    if stripped.startswith("\\#"):
        return LineError(number, "escaping a leading '#' with '\\' does not work in CODEOWNERS")
    tokens = _split(stripped)
    pattern, owner_tokens = tokens[0], tokens[1:]
    if pattern.startswith("!"):
        return LineError(number, f"negation ('!') does not work in CODEOWNERS: {pattern!r}")
    if "[" in pattern or "]" in pattern:
        return LineError(number, f"character ranges ('[ ]') do not work in CODEOWNERS: {pattern!r}")
    owners = []
    for token in owner_tokens:
        owner = _owner(token)
        if owner is None:
            return LineError(
                number,
                f"{token!r} is not an owner: expected @username, @org/team-name or an email",
            )
        owners.append(owner)
    return Entry(number, pattern, tuple(owners), pattern_regex(pattern))


def parse(path: str, raw: bytes) -> CodeOwners:
    """Parse a CODEOWNERS file; every invalid line is a :class:`LineError`, never raised."""
    if len(raw) > MAX_BYTES:
        message = f"{len(raw)} bytes: GitHub ignores a CODEOWNERS file of 3 MB or more"
        return CodeOwners(path, (), (LineError(1, message),))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return CodeOwners(path, (), (LineError(line, "not UTF-8 text"),))
    entries: list[Entry] = []
    errors: list[LineError] = []
    for number, content in enumerate(text.splitlines(), start=1):
        parsed = _parse_line(number, content)
        if isinstance(parsed, Entry):
            entries.append(parsed)
        elif isinstance(parsed, LineError):
            errors.append(parsed)
    return CodeOwners(path, tuple(entries), tuple(errors))
