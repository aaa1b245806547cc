"""Semantic versions (semver.org 2.0.0): parsing, ordering and bumping in one place."""

from __future__ import annotations

import re
from functools import lru_cache, total_ordering
from typing import Literal

SEMVER_PATTERN = (
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
_SEMVER = re.compile(SEMVER_PATTERN)

Bump = Literal["major", "minor", "patch"]


def is_semver(text: str) -> bool:
    return len(text) <= 64 and _SEMVER.fullmatch(text) is not None  # "$" allows a final "\n"


Precedence = tuple[int, int, int, int, tuple[tuple[int, int | str], ...]]


@lru_cache(maxsize=4096)
def precedence(text: str) -> Precedence:
    """The sort key of a version string: ``sorted(texts, key=precedence)`` orders as
    ``key=Version`` does. Cached: a registry repeats the same few version strings across its
    models (10,000 manifests of 1,000 models hold ten distinct ones)."""
    return Version(text)._key()


@total_ordering
class Version:
    """A parsed SemVer; ordered by precedence (build metadata ignored, as the spec says)."""

    __slots__ = ("build", "major", "minor", "patch", "prerelease", "text")

    def __init__(self, text: str) -> None:
        m = _SEMVER.fullmatch(text)
        if m is None or len(text) > 64:
            raise ValueError(f"{text!r} is not a SemVer version (MAJOR.MINOR.PATCH, e.g. 1.2.0)")
        self.text = text
        self.major, self.minor, self.patch = int(m[1]), int(m[2]), int(m[3])
        self.prerelease: tuple[str, ...] = tuple(m[4].split(".")) if m[4] else ()
        self.build = m[5] or ""

    def _key(self) -> Precedence:
        # A release sorts after its pre-releases; numeric identifiers sort before alphanumeric.
        pre = tuple((0, int(p)) if p.isdigit() else (1, p) for p in self.prerelease)
        return (self.major, self.minor, self.patch, 0 if self.prerelease else 1, pre)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Version) and self._key() == other._key()

    def __lt__(self, other: Version) -> bool:
        return self._key() < other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"Version({self.text!r})"

    def bump(self, part: Bump) -> Version:
        if part == "major":
            return Version(f"{self.major + 1}.0.0")
        if part == "minor":
            return Version(f"{self.major}.{self.minor + 1}.0")
        return Version(f"{self.major}.{self.minor}.{self.patch + 1}")
