"""RegistryState: every resource of one revision (or the work tree), loaded once, queried often.

``load_state(repo, rev)`` reads git objects, never the work tree, so it judges exactly
what a revision holds; ``load_worktree(repo)`` reads the files on disk for editing
and pre-commit. Both share the parse pipeline (safe YAML -> schema -> placement) and
the blob cache, so a second load parses only what changed.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from galfriday_gitops import gitio
from galfriday_gitops.catalogue import rule
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding
from galfriday_gitops.load import cache as cache_mod
from galfriday_gitops.load import folders
from galfriday_gitops.load.cache import open_cache as open_cache  # re-exported
from galfriday_gitops.load.entry import Entry as Entry  # re-exported: its old home
from galfriday_gitops.load.entry import parse_blob as parse_blob
from galfriday_gitops.load.layout import (
    SLOTS,
    Slot,
    check_placement,
    classify,
    read_nofollow,
    tree_files,
    walk_worktree,
)
from galfriday_gitops.load.safe_yaml import Document, YamlError, load
from galfriday_gitops.load.safe_yaml import Path as DocPath
from galfriday_gitops.paths import REGISTRY_DIRS
from galfriday_gitops.semver import precedence
from galfriday_gitops.stages import ModelStage

if TYPE_CHECKING:  # the schema (pydantic) loads when a resource is first asked for
    from galfriday_gitops.resources import (
        DriftPolicy,
        Experiment,
        LifecyclePolicy,
        ModelVersion,
        Resource,
        StagePolicy,
        Teams,
    )

R = TypeVar("R", bound="Resource")


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
    # entries -> their cached payloads in one cache query: see ``fetch_payloads``.
    payloads: Callable[[Iterable[Entry]], None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._index: dict[str, dict[str, Entry]] = defaultdict(dict)
        self._other: dict[str, list[Entry]] = defaultdict(list)  # the other kinds' files
        for entry in self.entries.values():
            if (index := entry.index) is not None and index[0] == "ModelVersion":
                self._index[index[1]][index[2]] = entry
            elif index is not None:
                self._other[index[0]].append(entry)
        self._documents: dict[str, Document] = {}
        self._raw: dict[str, bytes] = {}
        self._by_kind: dict[str, list[Resource]] = {}
        self._table: dict[str, dict[str, list[str]]] | None = None

    def fetch_payloads(self, entries: Iterable[Entry]) -> None:
        """Fetch these entries' payloads in one cache query before they are read one by one."""
        if self.payloads is not None:
            self.payloads(entries)

    # -- raw access
    def resources(self, kind: type[R]) -> list[R]:
        wanted = kind.__name__
        if wanted not in self._by_kind:  # rules ask per version: index once, not per call
            of_kind = (  # versions are indexed by name and version, the others by kind
                [e for e in self.entries.values() if e.kind == wanted]
                if wanted == "ModelVersion"
                else self._other[wanted]
            )
            self.fetch_payloads(of_kind)
            found = (e.resource for e in of_kind)
            self._by_kind[wanted] = [r for r in found if r is not None]
        return [r for r in self._by_kind[wanted] if isinstance(r, kind)]

    def path_of(self, resource: Resource) -> str:
        name = resource.metadata.name
        if resource.kind == "ModelVersion":  # by its index: diffs ask for every version
            found = self._index.get(name, {}).get(resource.metadata.version)
            if found is not None and found.holds(resource):
                return found.path
        for entry in self.entries.values():
            if entry.holds(resource):
                return entry.path
        raise KeyError(f"{resource.kind} {name} is not part of this state")

    def entry(self, name: str, version: str) -> Entry | None:
        """The file of one version (its index, data and resource), without decoding others."""
        return self._index.get(name, {}).get(version)

    def entries_of(self, name: str) -> list[Entry]:
        """The files of one model's versions, oldest first (SemVer precedence)."""
        found = self._index.get(name, {})
        return [found[v] for v in sorted(found, key=precedence)]

    def paths_in_stage(self, name: str, stage: str) -> list[tuple[str, str]]:
        """(version, path) of one model's versions in ``stage``, oldest first, from the
        index alone (:meth:`in_stage` without validating anything)."""
        return [
            (e.index[2], e.path)
            for e in self.entries_of(name)
            if e.index is not None and e.index[3] == stage
        ]

    def stage_table(self) -> dict[str, dict[str, list[str]]]:
        """model -> stage -> versions (oldest first), straight from the index."""
        if self._table is None:
            self._table = {name: self.stage_row(name) for name in self.models()}
        return {name: {s: list(v) for s, v in row.items()} for name, row in self._table.items()}

    def stage_row(self, name: str) -> dict[str, list[str]]:
        """One model's stage -> versions (oldest first), from the index."""
        row: dict[str, list[str]] = {}
        for entry in self.entries_of(name):
            assert entry.index is not None
            row.setdefault(entry.index[3], []).append(entry.index[2])
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
                table[name] = self.stage_row(name)
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
        from galfriday_gitops.resources import ModelVersion

        entries = self.entries_of(name)
        self.fetch_payloads(entries)
        out = [e.resource for e in entries]
        return [v for v in out if isinstance(v, ModelVersion)]

    def all_versions(self) -> Iterator[ModelVersion]:
        self.fetch_payloads(e for e in self.entries.values() if e.kind == "ModelVersion")
        for name in self.models():
            yield from self.versions_of(name)

    def get(self, name: str, version: str) -> ModelVersion | None:
        from galfriday_gitops.resources import ModelVersion

        entry = self.entry(name, version)
        resource = entry.resource if entry is not None else None
        return resource if isinstance(resource, ModelVersion) else None

    def in_stage(self, name: str, stage: ModelStage) -> list[ModelVersion]:
        return [v for v in self.versions_of(name) if v.stage is stage]

    def latest(self, name: str, stage: ModelStage | None = None) -> ModelVersion | None:
        candidates = self.versions_of(name) if stage is None else self.in_stage(name, stage)
        return candidates[-1] if candidates else None

    # -- policies
    def stage_policies(self) -> list[StagePolicy]:
        from galfriday_gitops.resources import StagePolicy

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

    def policy_for(self, version: ModelVersion) -> StagePolicy | None:
        """The one stage policy that governs ``version``; None for none or several (GF214)."""
        return found[0] if len(found := self.policies_for(version)) == 1 else None

    def teams(self) -> Teams | None:
        from galfriday_gitops.resources import Teams

        found = self.resources(Teams)
        return found[0] if found else None

    def experiments(self) -> list[Experiment]:
        from galfriday_gitops.resources import Experiment

        return sorted(self.resources(Experiment), key=lambda e: e.metadata.name)

    def experiment(self, name: str) -> Experiment | None:
        return next((e for e in self.experiments() if e.metadata.name == name), None)

    def drift_policies(self) -> list[DriftPolicy]:
        from galfriday_gitops.resources import DriftPolicy

        return sorted(self.resources(DriftPolicy), key=lambda p: p.spec.model)

    def lifecycle_policy(self) -> LifecyclePolicy | None:
        from galfriday_gitops.resources import LifecyclePolicy

        found = self.resources(LifecyclePolicy)
        return found[0] if found else None


# ---------------------------------------------------------------- building a state


def _duplicates(entries: dict[str, Entry]) -> list[Finding]:
    """Two resources that claim the same identity (the second one is reported)."""
    seen: dict[tuple[str, str], str] = {}
    findings = []
    # Refused files, and versions (name@version is unique by its path), are skipped first:
    # at 10,000 manifests, sorting every path for a dozen policy files was most of the cost.
    # Keys come from the index and the validated data: no validator is built for a kind that
    # nothing else asks for (a check of three manifests never reads an Experiment).
    others = sorted(
        (p, e.index) for p, e in entries.items() if e.index and e.index[0] != "ModelVersion"
    )
    for path, (kind, name, _, _) in others:
        key = (kind, "" if kind in ("Teams", "LifecyclePolicy") else name)
        data = entries[path].data if kind == "DriftPolicy" else None
        if data is not None:
            key = (kind, str(data["spec"]["model"]))
        if key in seen:
            what = f"{kind} {key[1]!r}" if key[1] else f"a second {kind}"
            findings.append(
                rule("GF124").finding(path, 1, f"{what} is already defined in {seen[key]}")
            )
        else:
            seen[key] = path
    return findings


_PARALLEL_FROM = 2000  # below this, starting worker processes costs more than it saves


def _parse_all(jobs: list[tuple[bytes, Slot]]) -> list[str]:
    """Each blob's cache payload; a large cold load parses on every core."""
    if len(jobs) < _PARALLEL_FROM:
        return [cache_mod.encode(parse_blob(*job)) for job in jobs]
    from galfriday_gitops.load.parallel import parse_all

    return parse_all(jobs)


def _payload_key(slot: Slot, blob: str) -> str:
    return f"{slot.folder}:{blob}"


def _parse_files(
    files: list[tuple[str, str, Slot]],
    read: Callable[[list[str]], dict[str, bytes]],
    blob_cache: cache_mod.BlobCache,
    source: Callable[[str], bytes | None],
) -> list[Entry]:
    """Entries for these files: parsed (or fetched from the blob cache), with their load
    findings (refusals, and a path that disagrees with the file's name or version)."""
    keys = {path: _payload_key(slot, blob) for path, blob, slot in files}
    cached = blob_cache.get_many(keys.values())
    missing = [(path, blob, slot) for path, blob, slot in files if keys[path] not in cached]
    if missing:
        raws = read([blob for _, blob, _ in missing])
        jobs = [(raws[blob], slot) for _, blob, slot in missing]
        fresh = dict(zip((keys[path] for path, _, _ in missing), _parse_all(jobs), strict=True))
        blob_cache.put_many(fresh)
        cached.update(fresh)
    docs: dict[str, Document] = {}

    def name_line(path: str) -> int:
        if path not in docs:
            raw = source(path)
            docs[path] = load(raw) if raw is not None else Document({}, {})
        return docs[path].line_of(("metadata", "name"))[0]

    entries = []
    for path, blob, _slot in files:
        payload = cached[keys[path]]
        entry = Entry(path, blob, payload=payload, key=keys[path])
        file_findings = () if entry.index else cache_mod.decode(payload)[1]
        file_findings = tuple(f.at(path) for f in file_findings)
        if entry.index is not None:
            kind, name, version, _stage = entry.index
            file_findings += tuple(
                check_placement(path, kind, name, version, partial(name_line, path))
            )
        entry.findings = file_findings
        entries.append(entry)
    return entries


def _assemble(
    rev: str | None,
    entries: Iterable[Entry],
    early: list[Finding],
    source: Callable[[str], bytes | None],
) -> RegistryState:
    """The state: every entry, the early findings, each file's findings, duplicates."""
    by_path = {e.path: e for e in sorted(entries, key=lambda e: e.path)}
    findings = sorted(early, key=lambda f: f.file)  # in path order, however they were found
    for entry in by_path.values():
        findings.extend(entry.findings)
    findings.extend(_duplicates(by_path))
    return RegistryState(rev, by_path, findings, source)


def load_state(
    repo: Path | str,
    rev: str = "HEAD",
    *,
    blob_cache: cache_mod.BlobCache | None = None,
    paths: Sequence[str] = REGISTRY_DIRS,
) -> RegistryState:
    """The registry as committed at ``rev``, read from git objects (never the work tree).

    ``paths`` narrows the load to some folders (e.g. one model's), for incremental work.
    Folders unchanged since any earlier load come from the folder cache
    (:mod:`galfriday_gitops.load.folders`); their files' payloads are fetched when read.
    """
    repo = Path(repo)
    commit = gitio.rev_parse(repo, rev)
    blobs = blob_cache or open_cache(repo, use_disk=True)
    reader = gitio.BlobReader(repo)

    def fetch(key: str) -> str:
        found = blobs.get_many([key]).get(key)
        if found is None:  # the payload is gone from the cache: parse that blob again
            slot_folder, _, blob = key.partition(":")
            found = cache_mod.encode(parse_blob(reader.read(blob), SLOTS[slot_folder]))
            blobs.put_many({key: found})
        return found

    listing = folders.list_units(repo, commit, paths, blobs, fetch)
    files, early = tree_files(listing.files, reader.read)
    kept = {e.path: e for e in listing.cached}
    state, fresh = _build(repo, commit, files, early + listing.cached_findings, blobs, reader, kept)
    folders.store_units(blobs, listing.fresh_units, fresh, early)
    return state


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
    blob_reader = reader or gitio.BlobReader(repo)
    return _build(repo, commit, files, early, blob_cache, blob_reader, kept or {})[0]


def _build(
    repo: Path,
    commit: str,
    files: list[tuple[str, str, Slot]],
    early: list[Finding],
    blobs: cache_mod.BlobCache,
    reader: gitio.BlobReader,
    kept: dict[str, Entry],
) -> tuple[RegistryState, list[Entry]]:
    """The state, and the entries parsed (or fetched) for ``files``."""
    blobs_by_path = {path: entry.blob for path, entry in kept.items()}
    blobs_by_path.update((path, blob) for path, blob, _ in files)

    def read(oids: list[str]) -> dict[str, bytes]:
        return gitio.read_blobs(repo, oids)

    def source(path: str) -> bytes | None:
        oid = blobs_by_path.get(path)
        return reader.read(oid) if oid else None

    fresh = _parse_files(files, read, blobs, source)
    state = _assemble(commit, [*kept.values(), *fresh], early, source)
    state.reader = reader
    state.read_many = read
    state.payloads = partial(_prefetch, blobs)
    return state, fresh


def _prefetch(blobs: cache_mod.BlobCache, entries: Iterable[Entry]) -> None:
    blobs.get_many([e.key for e in entries if not e.fetched and e.key])


def load_worktree(
    repo: Path | str, only: list[Path] | None = None, *, use_disk_cache: bool = True
) -> RegistryState:
    """The registry as it is on disk (optionally restricted to some paths)."""
    root = Path(repo).resolve()
    try:
        blob_cache = open_cache(gitio.toplevel(root), use_disk_cache)
    except UserError:  # not in a git repository: nowhere to keep a cache
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

    entries = _parse_files(files, read, blob_cache, raw_by_path.get)
    return _assemble(None, entries, early, raw_by_path.get)
