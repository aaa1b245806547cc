"""Parsed resources cached by git blob id, in memory and on disk under ``.git/``.

Blobs are content-addressed, so a cached result can never be stale for its blob:
loading another revision parses only the files that changed. The key also holds the
folder (what kinds the file may be) and a fingerprint of the loader's own source, so
an upgraded toolkit never trusts results computed by an older one. Values are JSON
(never pickle): a validated resource re-enters through pydantic's JSON validation.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops import gitio
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding

if TYPE_CHECKING:  # resources (pydantic) load lazily: a warm `status` never needs them
    from galfriday_gitops.resources import Resource

_SOURCES = (
    "resources.py",
    "load/safe_yaml.py",
    "load/validate.py",
    "load/identity.py",
    "load/layout.py",
    "load/summary.py",
    "load/entry.py",
    "load/folders.py",
    "load/state.py",
    "semver.py",
    "stages.py",  # the stage names identity.py and validation accept
    "paths.py",
    "catalogue.py",
)


def _fingerprint() -> str:
    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for name in _SOURCES:
        digest.update((root / name).read_bytes())
    return digest.hexdigest()[:16]


Parsed = tuple["Resource | None", tuple[Finding, ...]]


def encode(parsed: Parsed) -> str:
    """One line of index (kind, name, version, stage), then the JSON of the resource.

    The index lets ``status`` answer without validating 10,000 resources again.
    """
    resource, findings = parsed
    if resource is not None:
        # A manifest's JSON without its unset (None) fields is what `gfops show` prints, so
        # show reads it as data; every optional field of ModelVersion defaults to None
        # (tests/load/test_cache.py), so decoding gives back the same object.
        lean = resource.kind == "ModelVersion"
        body = resource.model_dump_json(by_alias=True, exclude_none=lean)
        return "\t".join(index_for(resource)) + "\n" + body
    return "!\n" + json.dumps([f.to_dict() for f in findings])


def index_for(resource: Resource) -> tuple[str, str, str, str]:
    version = getattr(resource.metadata, "version", "")
    stage = getattr(resource.spec, "stage", "")
    return resource.kind, resource.metadata.name, version, str(stage)


def index_of(payload: str) -> tuple[str, str, str, str] | None:
    """(kind, name, version, stage) from a payload's first line; None for a refused file."""
    head = payload[: payload.index("\n")]
    if head == "!":
        return None
    kind, name, version, stage = head.split("\t")
    return kind, name, version, stage


def decode(payload: str) -> Parsed:
    head, _, body = payload.partition("\n")
    if head == "!":
        return None, tuple(Finding.from_dict(d) for d in json.loads(body))
    from galfriday_gitops.resources import KINDS

    kind = head.split("\t", 1)[0]
    return KINDS[kind].model_validate_json(body), ()  # type: ignore[return-value]


class BlobCache:
    """``key -> payload`` with an optional SQLite file; every disk failure is non-fatal."""

    def __init__(self, path: Path | None) -> None:
        self._memory: dict[str, str] = {}
        self.decoded: dict[str, object] = {}  # memo of what callers built from payloads
        self._db: sqlite3.Connection | None = None
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, timeout=5)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._table = f"parsed_{_fingerprint()}"
            self._db.execute(
                f"CREATE TABLE IF NOT EXISTS {self._table} (key TEXT PRIMARY KEY, payload TEXT)"
            )
        except (OSError, sqlite3.Error):
            self._db = None

    def get_many(self, keys: Iterable[str]) -> dict[str, str]:
        wanted = [k for k in keys if k not in self._memory]
        if self._db is not None and wanted:
            with contextlib.suppress(sqlite3.Error):
                for start in range(0, len(wanted), 900):
                    chunk = wanted[start : start + 900]
                    marks = ",".join("?" * len(chunk))
                    rows = self._db.execute(
                        f"SELECT key, payload FROM {self._table} WHERE key IN ({marks})",  # noqa: S608
                        chunk,
                    )
                    self._memory.update(rows)
        return {k: self._memory[k] for k in keys if k in self._memory}

    def put_many(self, items: dict[str, str]) -> None:
        self._memory.update(items)
        if self._db is not None and items:
            with contextlib.suppress(sqlite3.Error), self._db:
                self._db.executemany(
                    f"INSERT OR REPLACE INTO {self._table} VALUES (?, ?)",  # noqa: S608
                    items.items(),
                )

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def default_path(git_dir: Path) -> Path:
    return git_dir / "galfriday" / "cache.sqlite"


_OPEN = threading.local()  # per thread: a SQLite connection serves the thread that made it


def open_cache(repo: Path | str, use_disk: bool = True) -> BlobCache:
    """The blob cache of ``repo`` (``.git/galfriday/cache.sqlite``), one per repository and
    thread: every load of a command shares what the others fetched and decoded (a promote
    loads its base three times). Memory only when there is no git directory to write to."""
    if not use_disk:
        return BlobCache(None)
    try:
        path = default_path(gitio.git_dir(repo)).resolve()
    except UserError:
        return BlobCache(None)
    caches: dict[Path, BlobCache] = _OPEN.__dict__.setdefault("caches", {})
    if path not in caches:
        caches[path] = BlobCache(path)
    return caches[path]
