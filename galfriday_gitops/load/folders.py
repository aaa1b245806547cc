"""A revision, folder by folder: what each model folder (and ``policies/``,
``experiments/``) holds, cached by the folder's git tree id.

A folder's tree id changes exactly when one of its files (or their names or modes)
changes, so everything the loader concluded about an unchanged folder — which files, which
blobs, each file's index line and findings — is reused without listing its files or
touching their blobs. A warm load of 10,000 manifests is then one shallow ``ls-tree`` and
one cache query for the ~1,000 folder records, where it was a recursive ``ls-tree``, 10,000
path checks and 10,000 cache rows. The files' parsed payloads stay in the blob cache and
are fetched only for the entries someone reads.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Container, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

from galfriday_gitops import gitio
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.cache import BlobCache
from galfriday_gitops.load.entry import Entry, Index
from galfriday_gitops.paths import MODELS

_LIST_ALL_FROM = 200  # more unlisted model folders than this: list all of models/ at once


@dataclass
class Listing:
    """The registry files of a revision: folders known from the cache (their entries), and
    the files of every other folder (to parse) with the folders they belong to."""

    cached: list[Entry] = field(default_factory=list)
    cached_findings: list[Finding] = field(default_factory=list)
    files: list[gitio.TreeEntry] = field(default_factory=list)
    fresh_units: dict[str, str] = field(default_factory=dict)  # folder -> tree id


def unit_key(folder: str, tree: str) -> str:
    return f"dir:{folder}:{tree}"


def _query(paths: Sequence[str]) -> list[str]:
    """ls-tree pathspecs that list model folders (not their files) and the other folders;
    ``models`` itself too, so a symlink in its place is seen (a tree is listed by its
    children only)."""
    out = []
    for path in paths:
        path = path.rstrip("/")
        out += [MODELS, MODELS + "/"] if path == MODELS else [path]
    return out


def list_units(
    repo: Path, commit: str, paths: Sequence[str], cache: BlobCache, fetch: Callable[[str], str]
) -> Listing:
    """Folders under ``paths`` at ``commit``: cached ones as entries, the rest as files."""
    top = gitio.ls_tree_shallow(repo, commit, _query(paths))
    units = {e.path: e.oid for e in top if e.type == "tree" and e.path != MODELS}
    listing = Listing(files=[e for e in top if e.path not in units])
    keys = {folder: unit_key(folder, tree) for folder, tree in units.items()}
    cached = cache.get_many(keys.values())
    for folder, tree in units.items():
        record = cached.get(keys[folder])
        if record is None:
            listing.fresh_units[folder] = tree
            continue
        entries, findings = _decoded(cache, keys[folder], record, fetch)
        listing.cached += entries
        listing.cached_findings += findings
    missing = list(listing.fresh_units)
    if missing:
        many = len(missing) > _LIST_ALL_FROM and all(m.startswith(MODELS + "/") for m in missing)
        listed = gitio.ls_tree(repo, commit, [MODELS] if many else missing)
        wanted = set(missing)
        listing.files += [e for e in listed if _unit_of(e.path, wanted) is not None]
    return listing


def _unit_of(path: str, units: Container[str]) -> str | None:
    """The folder (of ``units``) holding ``path``."""
    parts = path.split("/")
    for end in range(len(parts) - 1, 0, -1):
        folder = "/".join(parts[:end])
        if folder in units:
            return folder
    return None


def encode_unit(entries: Iterable[Entry], findings: Iterable[Finding]) -> str:
    """A folder's record: each file's path, blob, payload key, index and findings, and the
    findings of files that were refused before parsing (symlinks, misplaced files)."""
    return json.dumps(
        {
            "files": [
                [e.path, e.blob, e.key, e.index, [f.to_dict() for f in e.findings]] for e in entries
            ],
            "early": [f.to_dict() for f in findings],
        }
    )


def _decoded(
    cache: BlobCache, key: str, record: str, fetch: Callable[[str], str]
) -> tuple[list[Entry], list[Finding]]:
    """A folder's entries, decoded once per cache: two states loaded through one cache (a
    pull request's base and head) share the entries of every folder they have in common."""
    found = cache.decoded.get(key)
    if found is None:
        found = cache.decoded[key] = decode_unit(record, fetch)
    return cast(tuple[list[Entry], list[Finding]], found)  # the memo holds only what we put


def decode_unit(record: str, fetch: Callable[[str], str]) -> tuple[list[Entry], list[Finding]]:
    data = json.loads(record)
    finding = Finding.from_dict
    entries = [  # one comprehension: a warm load of 10,000 manifests decodes 10,000 of these
        Entry(
            path,
            blob,
            index=cast(Index, tuple(index)) if index else None,
            key=key,
            fetch=fetch,
            findings=tuple(map(finding, found)) if found else (),
        )
        for path, blob, key, index, found in data["files"]
    ]
    return entries, [finding(f) for f in data["early"]]


def store_units(
    cache: BlobCache, units: dict[str, str], entries: Iterable[Entry], early: Iterable[Finding]
) -> None:
    """Record each freshly loaded folder (files and early findings grouped by folder)."""
    by_unit: dict[str, tuple[list[Entry], list[Finding]]] = {f: ([], []) for f in units}
    for entry in entries:
        unit = _unit_of(entry.path, units)
        if unit is not None:
            by_unit[unit][0].append(entry)
    for finding in early:
        unit = _unit_of(finding.file, units)
        if unit is not None:
            by_unit[unit][1].append(finding)
    cache.put_many({unit_key(f, tree): encode_unit(*by_unit[f]) for f, tree in units.items()})
    for folder, tree in units.items():  # the next load through this cache shares them
        cache.decoded[unit_key(folder, tree)] = by_unit[folder]


def model_names(repo: Path, commit: str) -> list[str]:
    """The model folders at ``commit`` (names only: nothing is read)."""
    from galfriday_gitops.paths import is_name

    found = gitio.ls_tree_shallow(repo, commit, [MODELS + "/"])
    names = (e.path.removeprefix(MODELS + "/") for e in found if e.type == "tree")
    return sorted(n for n in names if is_name(n))
