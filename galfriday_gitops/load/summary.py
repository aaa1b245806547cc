"""The models x stages table of a revision (or the work tree), fast, cold or warm.

``gfops status`` needs five fields of each manifest (kind, name, version, stage and a
canary's traffic share), so it reads only those:
:func:`~galfriday_gitops.load.identity.identity_and_traffic` takes them from the lines
(~30 µs a file, where a full parse with validation costs ~0.4 ms) and a file it is not
sure about is parsed in full. It checks where each file lives and that its path agrees
with its name and version; it does not validate the rest of the manifest (``gfops
validate`` and ``gfops check`` do), so a file whose only fault lies elsewhere is shown.
A refused file is left out of the table and counted.

Git content-addresses every folder: a model's folder keeps its tree id until one of its
files changes. Each model's row is cached by that tree id under ``.git/``, so a revision
where one manifest changed re-reads one folder, and a warm status on 10,000 manifests is
one ``ls-tree`` of ``models/`` and one cache query.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import NamedTuple

from galfriday_gitops import gitio
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.cache import open_cache
from galfriday_gitops.load.identity import Identity, identity_and_traffic
from galfriday_gitops.load.layout import Slot, check_placement, classify, read_nofollow
from galfriday_gitops.paths import MODELS
from galfriday_gitops.semver import precedence

Table = dict[str, dict[str, list[str]]]
Row = dict[str, list[str]]
Traffic = dict[str, dict[str, float]]  # model -> version -> share of traffic (percent)


class Summary(NamedTuple):
    """What ``gfops status`` shows of a revision (``rev`` None: the work tree)."""

    rev: str | None
    table: Table  # model -> stage -> versions (SemVer order)
    errors: int  # files refused (left out of the table)
    traffic: Traffic  # the versions whose manifest sets spec.rollout (a canary's share)


_LIST_ALL_FROM = 200  # more missing folders than this: one recursive ls-tree of models/


def _identity(raw: bytes, slot: Slot) -> tuple[Identity, float | None] | None:
    """The file's identity and canary share from its lines, else from a full parse; None
    when refused."""
    found = identity_and_traffic(raw)
    if found is not None:
        return found
    from galfriday_gitops.load.cache import index_for
    from galfriday_gitops.load.state import parse_blob  # pydantic: only for unusual files

    resource, _ = parse_blob(raw, slot)
    if resource is None:
        return None
    rollout = getattr(resource.spec, "rollout", None)
    return index_for(resource), rollout.traffic_percent if rollout is not None else None


_Unit = tuple[str | None, Row, int, dict[str, float]]


def _row(files: Iterable[tuple[str, bytes | Finding]]) -> _Unit:
    """One model folder's (path, bytes or why refused) -> (name, stage -> versions, errors,
    version -> traffic share)."""
    row: Row = {}
    shares: dict[str, float] = {}
    errors = 0
    name = None
    for path, raw in files:
        slot = classify(path)
        if slot is None:
            continue  # Markdown
        if isinstance(raw, Finding) or isinstance(slot, Finding):
            found = None
        else:
            found = _identity(raw, slot)
        identity, share = found or (None, None)
        if identity is None or check_placement(path, *identity[:3], lambda: 1):
            errors += 1
            continue
        _, name, version, stage = identity
        row.setdefault(stage, []).append(version)
        if share is not None:
            shares[version] = share
    for versions in row.values():
        versions.sort(key=precedence)
    return name, row, errors, shares


def _unit(unit: _Unit) -> str:
    name, row, errors, shares = unit
    return json.dumps({"model": name, "row": row, "errors": errors, "traffic": shares})


def _folder_of(path: str) -> str:
    """``models/<name>`` for a file in a model's folder (the file itself when in models/)."""
    return "/".join(path.split("/")[:2])


def _by_folder(items: Iterable[gitio.TreeEntry]) -> dict[str, list[gitio.TreeEntry]]:
    out: dict[str, list[gitio.TreeEntry]] = {}
    for item in items:
        out.setdefault(_folder_of(item.path), []).append(item)
    return out


def _fresh_units(repo: Path, commit: str, missing: list[str]) -> dict[str, str]:
    """Rows of the model folders not in the cache, reading their blobs in one batch."""
    paths = [MODELS] if len(missing) > _LIST_ALL_FROM else missing
    wanted = set(missing)
    listed = _by_folder(gitio.ls_tree(repo, commit, paths))
    folders = {folder: entries for folder, entries in listed.items() if folder in wanted}
    plain = [e.oid for es in folders.values() for e in es if e.mode not in _REFUSED_MODES]
    raws = gitio.read_blobs(repo, plain)
    out = {}
    for folder in missing:
        files = [(e.path, _content(e, raws)) for e in folders.get(folder, [])]
        out[folder] = _unit(_row(files))
    return out


_REFUSED_MODES = {gitio.MODE_SYMLINK: "GF122", gitio.MODE_SUBMODULE: "GF123"}


def _content(entry: gitio.TreeEntry, raws: dict[str, bytes]) -> bytes | Finding:
    refused = _REFUSED_MODES.get(entry.mode)
    if refused is not None:
        from galfriday_gitops.catalogue import rule

        return rule(refused).finding(entry.path, 1, "symlinks and submodules are refused")
    return raws[entry.oid]


def _units(repo: Path, commit: str) -> tuple[dict[str, str], int]:
    """Model folder -> tree id; plus the number of entries that are refused outright
    (``models`` not a folder, a file or symlink directly in ``models/``)."""
    units: dict[str, str] = {}
    stray = 0
    for item in gitio.ls_tree_shallow(repo, commit, [MODELS, MODELS + "/"]):
        if item.path == MODELS:
            stray += item.type != "tree"
        elif item.type == "tree" and item.mode not in _REFUSED_MODES:
            units[item.path] = item.oid
        elif not item.path.endswith(".md"):
            stray += 1
    return units, stray


def _assemble(units: Iterator[tuple[str, str]], errors: int, rev: str | None) -> Summary:
    table: Table = {}
    traffic: Traffic = {}
    for _folder, payload in sorted(units):
        unit = json.loads(payload)
        errors += int(unit["errors"])
        if unit["model"] and unit["row"]:
            table[unit["model"]] = unit["row"]
            if unit["traffic"]:
                traffic[unit["model"]] = unit["traffic"]
    return Summary(rev, table, errors, traffic)


def stage_summary(repo: Path, rev: str) -> Summary:
    """The models x stages table at ``rev`` (its commit, the refused files' count, the
    canary shares)."""
    commit = gitio.rev_parse(repo, rev)
    cache = open_cache(repo)
    units, stray = _units(repo, commit)
    keys = {folder: f"rows:{folder}:{oid}" for folder, oid in units.items()}
    cached = cache.get_many(keys.values())
    missing = [folder for folder in units if keys[folder] not in cached]
    fresh = _fresh_units(repo, commit, missing) if missing else {}
    cache.put_many({keys[folder]: payload for folder, payload in fresh.items()})
    found = ((f, fresh.get(f) or cached[keys[f]]) for f in units)
    return _assemble(found, stray, commit)


def worktree_summary(root: Path) -> Summary:
    """The same table from the files on disk (symlinks refused, never followed)."""
    from galfriday_gitops.load.layout import walk_worktree

    files, refused = walk_worktree(root, [root / MODELS] if (root / MODELS).exists() else [])
    by_folder: dict[str, list[tuple[str, bytes | Finding]]] = {}
    for finding in refused:
        by_folder.setdefault(_folder_of(finding.file), []).append((finding.file, finding))
    for path in files:
        try:
            content: bytes | Finding = read_nofollow(root / path)
        except OSError as exc:
            from galfriday_gitops.catalogue import rule

            content = rule("GF105").finding(path, 1, f"cannot read file: {exc.strerror}")
        by_folder.setdefault(_folder_of(path), []).append((path, content))
    units = ((folder, _unit(_row(entries))) for folder, entries in by_folder.items())
    return _assemble(units, 0, None)
