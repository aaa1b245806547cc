"""RegistryState: every resource of one revision (or the work tree), loaded once, queried often.

``load_state(repo, rev)`` reads git objects, never the work tree, so it judges exactly
what a revision holds; ``load_worktree(repo)`` reads the files on disk for editing
and pre-commit. Both share the parse pipeline (safe YAML -> schema -> placement) and
the blob cache, so a second load parses only what changed.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import partial
from pathlib import Path
from typing import TypeVar

from galfriday_gitops import gitio
from galfriday_gitops.catalogue import rule
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding
from galfriday_gitops.load import cache as cache_mod
from galfriday_gitops.load.conditions import parse_condition
from galfriday_gitops.load.layout import (
    Slot,
    check_placement,
    classify,
    read_nofollow,
    tree_files,
    walk_worktree,
)
from galfriday_gitops.load.safe_yaml import Document, YamlError, load
from galfriday_gitops.load.safe_yaml import Path as DocPath
from galfriday_gitops.load.validate import to_resource
from galfriday_gitops.paths import REGISTRY_DIRS
from galfriday_gitops.resources import (
    DriftPolicy,
    Experiment,
    LifecyclePolicy,
    ModelStage,
    ModelVersion,
    Resource,
    StagePolicy,
    Teams,
)
from galfriday_gitops.semver import Version

R = TypeVar("R", bound=Resource)


class Entry:
    """One file of the registry: where, which blob, what it parsed to (or why not).

    A resource from the blob cache is decoded on first use: ``index`` (kind, name,
    version, stage) answers the common questions without validating it again.
    """

    __slots__ = ("_payload", "_resource", "blob", "findings", "index", "path")

    def __init__(
        self,
        path: str,
        blob: str,
        *,
        resource: Resource | None = None,
        payload: str | None = None,
        findings: tuple[Finding, ...] = (),
    ) -> None:
        self.path = path
        self.blob = blob
        self.findings = findings
        self._resource = resource
        self._payload = payload
        if resource is not None:
            self.index: tuple[str, str, str, str] | None = cache_mod.index_for(resource)
        else:
            self.index = cache_mod.index_of(payload) if payload is not None else None

    @property
    def kind(self) -> str | None:
        return self.index[0] if self.index else None

    @property
    def resource(self) -> Resource | None:
        if self._resource is None and self._payload is not None and self.index is not None:
            self._resource = cache_mod.decode(self._payload)[0]
            self._payload = None
        return self._resource


def parse_blob(raw: bytes, slot: Slot) -> tuple[Resource | None, tuple[Finding, ...]]:
    """Bytes -> resource, or findings (with an empty file name, filled in by the caller)."""
    try:
        doc = load(raw, with_positions=False)
    except YamlError as exc:
        return None, (rule(exc.rule_id).finding("", exc.line, exc.message, column=exc.column),)
    resource, findings = to_resource(doc, "", slot.kinds)
    if findings:  # the lines are worth a second parse only when there is something to show
        resource, findings = to_resource(load(raw), "", slot.kinds)
    return resource, tuple(findings)


@dataclass
class RegistryState:
    """All resources of one revision, indexed for the questions the toolkit asks."""

    rev: str | None
    entries: dict[str, Entry]
    findings: list[Finding] = field(default_factory=list)
    source: Callable[[str], bytes | None] | None = field(default=None, repr=False)
    reader: gitio.BlobReader | None = field(default=None, repr=False)
    # blob ids -> bytes in one git call (git objects only): see ``prefetch``.
    read_many: Callable[[list[str]], dict[str, bytes]] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._index: dict[str, dict[str, Entry]] = defaultdict(dict)
        for entry in self.entries.values():
            if entry.index is not None and entry.index[0] == "ModelVersion":
                self._index[entry.index[1]][entry.index[2]] = entry
        self._documents: dict[str, Document] = {}
        self._raw: dict[str, bytes] = {}
        self._by_kind: dict[str, list[Resource]] = {}
        self._table: dict[str, dict[str, list[str]]] | None = None

    # -- raw access
    def resources(self, kind: type[R]) -> list[R]:
        wanted = kind.__name__
        if wanted not in self._by_kind:  # rules ask per version: index once, not per call
            found = (e.resource for e in self.entries.values() if e.kind == wanted)
            self._by_kind[wanted] = [r for r in found if r is not None]
        return [r for r in self._by_kind[wanted] if isinstance(r, kind)]

    def path_of(self, resource: Resource) -> str:
        if isinstance(resource, ModelVersion):  # by its index: diffs ask for every version
            found = self._index.get(resource.name, {}).get(resource.version)
            if found is not None and found._resource is resource:
                return found.path
        for entry in self.entries.values():
            if entry._resource is resource:
                return entry.path
        raise KeyError(f"{resource.kind} {resource.metadata.name} is not part of this state")

    def stage_table(self) -> dict[str, dict[str, list[str]]]:
        """model -> stage -> versions (oldest first), straight from the index."""
        if self._table is None:
            self._table = {name: self._row(name) for name in self.models()}
        return {name: {s: list(v) for s, v in row.items()} for name, row in self._table.items()}

    def _row(self, name: str) -> dict[str, list[str]]:
        row: dict[str, list[str]] = {}
        for version in sorted(self._index[name], key=Version):
            row.setdefault(self._index[name][version].index[3], []).append(version)  # type: ignore[index]
        return row

    def inherit_table(self, base: RegistryState, models: Iterable[str]) -> None:
        """Take ``base``'s stage table where it has one, recomputing only ``models`` (those
        whose files differ): a walk along history then never rebuilds the whole table."""
        if base._table is None:
            return
        table = dict(base._table)
        for name in models:
            table.pop(name, None)
            if name in self._index:
                table[name] = self._row(name)
        self._table = dict(sorted(table.items()))

    @property
    def ok(self) -> bool:
        """No file of this revision was refused."""
        return not self.findings

    def raw(self, path: str) -> bytes | None:
        """The bytes of one registry file at this revision (through the state's own reader)."""
        if path in self._raw:
            return self._raw[path]
        return self.source(path) if self.source is not None else None

    def prefetch(self, paths: Iterable[str]) -> None:
        """Read many files in one git call before asking each for line numbers: one
        request per file would wait on git thousands of times."""
        if self.read_many is None:
            return
        wanted = {
            p: self.entries[p].blob for p in paths if p in self.entries and p not in self._raw
        }
        if wanted:
            blobs = self.read_many(list(dict.fromkeys(wanted.values())))
            self._raw.update((path, blobs[oid]) for path, oid in wanted.items())

    def document(self, path: str) -> Document | None:
        """The parsed YAML (with positions) of one file, parsed on demand for line numbers."""
        if path not in self._documents:
            raw = self.raw(path)
            if raw is None:
                return None
            try:
                self._documents[path] = load(raw)
            except YamlError:
                return None
        return self._documents[path]

    def line_of(self, path: str, where: DocPath) -> int:
        doc = self.document(path)
        return doc.line_of(where)[0] if doc is not None else 1

    # -- models and versions
    def models(self) -> list[str]:
        return sorted(self._index)

    def versions_of(self, name: str) -> list[ModelVersion]:
        """All versions of a model, oldest first (SemVer precedence)."""
        found = self._index.get(name, {})
        out = [found[v].resource for v in sorted(found, key=Version)]
        return [v for v in out if isinstance(v, ModelVersion)]

    def all_versions(self) -> Iterator[ModelVersion]:
        for name in self.models():
            yield from self.versions_of(name)

    def get(self, name: str, version: str) -> ModelVersion | None:
        entry = self._index.get(name, {}).get(version)
        resource = entry.resource if entry is not None else None
        return resource if isinstance(resource, ModelVersion) else None

    def in_stage(self, name: str, stage: ModelStage) -> list[ModelVersion]:
        return [v for v in self.versions_of(name) if v.stage is stage]

    def latest(self, name: str, stage: ModelStage | None = None) -> ModelVersion | None:
        candidates = self.versions_of(name) if stage is None else self.in_stage(name, stage)
        return candidates[-1] if candidates else None

    def select(
        self,
        *,
        name: str | None = None,
        stage: ModelStage | None = None,
        labels: dict[str, str] | None = None,
        where: Iterable[str] = (),
    ) -> list[ModelVersion]:
        """Versions matching every filter: name glob, stage, labels, metric conditions."""
        predicates = [parse_condition(w) for w in where]
        out = []
        for version in self.all_versions():
            if name is not None and not fnmatchcase(version.name, name):
                continue
            if stage is not None and version.stage is not stage:
                continue
            if labels and any(version.metadata.labels.get(k) != v for k, v in labels.items()):
                continue
            if all(p(version) for p in predicates):
                out.append(version)
        return out

    # -- policies
    def stage_policies(self) -> list[StagePolicy]:
        return sorted(self.resources(StagePolicy), key=lambda p: p.metadata.name)

    def policies_for(self, version: ModelVersion) -> list[StagePolicy]:
        """Stage policies whose appliesTo matches this version (name glob and labels)."""
        out = []
        for policy in self.stage_policies():
            scope = policy.spec.applies_to
            if not any(fnmatchcase(version.name, g) for g in scope.models):
                continue
            if any(version.metadata.labels.get(k) != v for k, v in scope.labels.items()):
                continue
            out.append(policy)
        return out

    def teams(self) -> Teams | None:
        found = self.resources(Teams)
        return found[0] if found else None

    def experiments(self) -> list[Experiment]:
        return sorted(self.resources(Experiment), key=lambda e: e.metadata.name)

    def experiment(self, name: str) -> Experiment | None:
        return next((e for e in self.experiments() if e.metadata.name == name), None)

    def drift_policies(self) -> list[DriftPolicy]:
        return sorted(self.resources(DriftPolicy), key=lambda p: p.spec.model)

    def lifecycle_policy(self) -> LifecyclePolicy | None:
        found = self.resources(LifecyclePolicy)
        return found[0] if found else None


# ---------------------------------------------------------------- building a state


def _duplicates(entries: dict[str, Entry]) -> list[Finding]:
    """Two resources that claim the same identity (the second one is reported)."""
    seen: dict[tuple[str, str], str] = {}
    findings = []
    for path in sorted(entries):
        key: tuple[str, str]
        entry = entries[path]
        if entry.kind in (None, "ModelVersion"):
            continue  # refused, or name@version already unique by its path
        res = entry.resource
        if res is None:
            continue
        if isinstance(res, Teams | LifecyclePolicy):
            key = (res.kind, "")
        elif isinstance(res, DriftPolicy):
            key = (res.kind, res.spec.model)
        else:
            key = (res.kind, res.metadata.name)
        if key in seen:
            what = f"{res.kind} {key[1]!r}" if key[1] else f"a second {res.kind}"
            findings.append(
                rule("GF124").finding(path, 1, f"{what} is already defined in {seen[key]}")
            )
        else:
            seen[key] = path
    return findings


_PARALLEL_FROM = 2000  # below this, starting worker processes costs more than it saves


def _parse_job(job: tuple[bytes, Slot]) -> str:
    """Parse one blob into its cache payload (a string: cheap to send between processes,
    and what the cache stores anyway; resources are decoded only when asked for)."""
    return cache_mod.encode(parse_blob(*job))


def _parse_all(jobs: list[tuple[bytes, Slot]]) -> list[str]:
    """Parse many blobs; a cold load of a large registry uses every core (parsing is CPU-bound)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(jobs) < _PARALLEL_FROM or workers < 2 or "fork" not in mp.get_all_start_methods():
        return [_parse_job(job) for job in jobs]
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
        return list(pool.map(_parse_job, jobs, chunksize=max(1, len(jobs) // (workers * 4))))


def _assemble(
    rev: str | None,
    files: list[tuple[str, str, Slot]],
    early: list[Finding],
    read: Callable[[list[str]], dict[str, bytes]],
    blob_cache: cache_mod.BlobCache,
    source: Callable[[str], bytes | None],
) -> RegistryState:
    """Parse (or fetch from cache) each file, then add placement and uniqueness findings."""
    entries = _entries(files, read, blob_cache, source)
    return _combine(rev, entries, early, source)


def _entries(
    files: list[tuple[str, str, Slot]],
    read: Callable[[list[str]], dict[str, bytes]],
    blob_cache: cache_mod.BlobCache,
    source: Callable[[str], bytes | None],
) -> dict[str, Entry]:
    """One entry per file: its resource (parsed, or from the cache) and its own findings."""
    keys = {path: f"{slot.folder}:{blob}" for path, blob, slot in files}
    cached = blob_cache.get_many(keys.values())
    missing = [(path, blob, slot) for path, blob, slot in files if keys[path] not in cached]
    if missing:
        raws = read([blob for _, blob, _ in missing])
        jobs = [(raws[blob], slot) for _, blob, slot in missing]
        fresh = dict(zip((keys[path] for path, _, _ in missing), _parse_all(jobs), strict=True))
        blob_cache.put_many(fresh)
        cached.update(fresh)
    entries: dict[str, Entry] = {}
    docs: dict[str, Document] = {}

    def name_line(path: str) -> int:
        if path not in docs:
            raw = source(path)
            docs[path] = load(raw) if raw is not None else Document({}, {})
        return docs[path].line_of(("metadata", "name"))[0]

    for path, blob, _slot in files:
        payload = cached[keys[path]]
        entry = Entry(path, blob, payload=payload)
        file_findings = () if entry.index else cache_mod.decode(payload)[1]
        file_findings = tuple(f.at(path) for f in file_findings)
        if entry.index is not None:
            kind, name, version, _stage = entry.index
            file_findings += tuple(
                check_placement(path, kind, name, version, partial(name_line, path))
            )
        entry.findings = file_findings
        entries[path] = entry
    return entries


def _combine(
    rev: str | None,
    entries: dict[str, Entry],
    early: list[Finding],
    source: Callable[[str], bytes | None],
) -> RegistryState:
    """The state: findings of what may not be there, of each file, then duplicates."""
    findings = sorted(early, key=lambda f: f.file)  # in path order, however they were found
    for entry in entries.values():
        findings.extend(entry.findings)
    findings.extend(_duplicates(entries))
    return RegistryState(rev, entries, findings, source)


def open_cache(repo: Path, use_disk: bool = True) -> cache_mod.BlobCache:
    if not use_disk:
        return cache_mod.BlobCache(None)
    try:
        return cache_mod.BlobCache(cache_mod.default_path(gitio.git_dir(repo)))
    except UserError:
        return cache_mod.BlobCache(None)


def load_state(
    repo: Path | str,
    rev: str = "HEAD",
    *,
    blob_cache: cache_mod.BlobCache | None = None,
    paths: Sequence[str] = REGISTRY_DIRS,
) -> RegistryState:
    """The registry as committed at ``rev``, read from git objects (never the work tree).

    ``paths`` narrows the load to some folders (e.g. one model's), for incremental work.
    """
    repo = Path(repo)
    commit = gitio.rev_parse(repo, rev)
    files, early = tree_files(gitio.ls_tree(repo, commit, paths))
    return build_state(repo, commit, files, early, blob_cache or open_cache(repo))


def build_state(
    repo: Path,
    commit: str,
    files: list[tuple[str, str, Slot]],
    early: list[Finding],
    blob_cache: cache_mod.BlobCache,
    *,
    reader: gitio.BlobReader | None = None,
    kept: dict[str, Entry] | None = None,
) -> RegistryState:
    """The state of ``commit`` from its registry files (parsed, or from the cache) and the
    ``kept`` entries of another state that are the same at ``commit`` (reused as they are)."""
    kept = kept or {}
    blob_reader = reader or gitio.BlobReader(repo)
    blobs = {path: entry.blob for path, entry in kept.items()}
    blobs.update((path, blob) for path, blob, _ in files)

    def read(oids: list[str]) -> dict[str, bytes]:
        return gitio.read_blobs(repo, oids)

    def source(path: str) -> bytes | None:
        oid = blobs.get(path)
        return blob_reader.read(oid) if oid else None

    entries = _entries(files, read, blob_cache, source)
    if kept:  # in path order, as a full load lists them
        entries = {p: kept.get(p) or entries[p] for p in sorted(kept.keys() | entries.keys())}
    state = _combine(commit, entries, early, source)
    state.reader = blob_reader
    state.read_many = read
    return state


def load_worktree(
    repo: Path | str, only: list[Path] | None = None, *, use_disk_cache: bool = True
) -> RegistryState:
    """The registry as it is on disk (optionally restricted to some paths)."""
    root = Path(repo).resolve()
    try:
        blob_cache = open_cache(gitio.toplevel(root), use_disk_cache)
    except UserError:
        blob_cache = cache_mod.BlobCache(None)
    paths, early = walk_worktree(root, only)
    raw_by_path: dict[str, bytes] = {}
    files: list[tuple[str, str, Slot]] = []
    for rel in paths:
        slot = classify(rel)
        if isinstance(slot, Finding):
            early.append(slot)
            continue
        if slot is None:
            continue
        try:
            raw = read_nofollow(root / rel)
        except OSError as exc:
            early.append(rule("GF105").finding(rel, 1, f"cannot read file: {exc.strerror}"))
            continue
        raw_by_path[rel] = raw
        files.append((rel, gitio.blob_id(raw), slot))
    by_blob = {blob: raw_by_path[path] for path, blob, _ in files}

    def read(oids: list[str]) -> dict[str, bytes]:
        return {o: by_blob[o] for o in oids}

    return _assemble(None, files, early, read, blob_cache, raw_by_path.get)
