"""History of a branch: the registry at each commit along its first parents.

The one walker of history: production periods (``gfops rollback``, the experiment gate's
exemptions, lifecycle), the audit timeline, ``gfops audit verify`` and ``audit export``
are built on it. Each commit is read with :func:`~galfriday_gitops.load.state.load_state`
through one shared blob cache: neighbouring commits share almost every blob, so a step
costs an ``ls-tree`` and a cache lookup, and only changed files are parsed.

First parents are the branch's own line: on ``main`` one commit per merged pull request,
whatever the merged branches did in between.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.gitio import LogEntry
from galfriday_gitops.load.cache import BlobCache
from galfriday_gitops.load.layout import tree_files
from galfriday_gitops.load.state import RegistryState, build_state, load_state, open_cache
from galfriday_gitops.paths import REGISTRY_DIRS, model_dir, split_manifest_path
from galfriday_gitops.stages import ModelStage

_KEEP = 4  # states kept for reuse: a walk asks for a commit's parent right after it


class History:
    """States of one repository's commits, loaded through one blob cache.

    ``paths`` narrows what each state holds (e.g. one model's folder) for walks that need
    no more: a narrower load reads and indexes less at every step.
    """

    def __init__(
        self,
        repo: Path | str,
        *,
        paths: Sequence[str] = REGISTRY_DIRS,
        blob_cache: BlobCache | None = None,
    ) -> None:
        self.repo = Path(repo)
        self.paths = tuple(paths)
        self.blobs = blob_cache or open_cache(self.repo)
        self._recent: OrderedDict[str, RegistryState] = OrderedDict()
        # Of each derived state in ``_recent``: the paths (within ``paths``) its commit
        # changed, as the step's diff-tree listed them.
        self._changed: dict[str, list[str]] = {}

    def commits(
        self, rev: str, *, touching: Sequence[str] = (), after: str | None = None
    ) -> list[LogEntry]:
        """``rev``'s first-parent commits, oldest first: only those whose change touches
        ``touching`` (all when empty), only those after ``after`` (exclusive) when given."""
        head = gitio.rev_parse(self.repo, rev)
        return gitio.first_parent_log(self.repo, head, exclude=after, paths=touching)

    def state(self, commit: str) -> RegistryState:
        """The registry at ``commit`` (a full commit id)."""
        found = self._recent.get(commit)
        if found is None:
            found = load_state(self.repo, commit, blob_cache=self.blobs, paths=self.paths)
            self._remember(commit, found)
        else:
            self._recent.move_to_end(commit)
        return found

    def parent_state(self, entry: LogEntry) -> RegistryState:
        """The registry before ``entry``: its first parent's, empty for a root commit."""
        parent = entry.first_parent
        return self.state(parent) if parent is not None else RegistryState(None, {})

    def child_state(self, base: RegistryState, entry: LogEntry) -> RegistryState:
        """The registry at ``entry``, derived from ``base`` (its first parent's state)
        through the files the commit changed: one step of a walk, not a full load."""
        found = self._recent.get(entry.sha)
        if found is None:
            if base.rev is None or base.rev != entry.first_parent:
                return self.state(entry.sha)
            # entry.sha is a commit id from git's log: no rev-parse to resolve it again.
            found, changed = _derive(self.repo, base, entry.sha, self.blobs, self.paths)
            self._remember(entry.sha, found)
            self._changed[entry.sha] = changed
        return found

    def changed_by(self, entry: LogEntry) -> list[str] | None:
        """The paths within this history's ``paths`` that ``entry`` changed since its first
        parent, when :meth:`child_state` derived its state (the step listed them); else None."""
        return self._changed.get(entry.sha)

    def _remember(self, commit: str, state: RegistryState) -> None:
        self._recent[commit] = state
        if len(self._recent) > _KEEP:
            gone, _ = self._recent.popitem(last=False)
            self._changed.pop(gone, None)

    def walk(
        self, rev: str, *, touching: Sequence[str] = (), after: str | None = None
    ) -> Iterator[tuple[LogEntry, RegistryState]]:
        """Each first-parent commit of ``rev`` (as :meth:`commits` selects them), oldest
        first, with the registry it holds."""
        for entry in self.commits(rev, touching=touching, after=after):
            yield entry, self.state(entry.sha)


def derive_state(
    repo: Path | str,
    base: RegistryState,
    rev: str,
    *,
    blob_cache: BlobCache | None = None,
    paths: Sequence[str] = REGISTRY_DIRS,
) -> RegistryState:
    """The registry at ``rev``, built from ``base`` (loaded from git objects over the same
    ``paths``) and the files that differ between the two commits.

    Equal to ``load_state(repo, rev, paths=paths)``, but a step along history costs one
    ``diff-tree`` and the changed files instead of the whole tree: at 10,000 manifests that
    is what makes judging main commit by commit affordable (``apply``, ``audit verify``).
    """
    commit = gitio.rev_parse(repo, rev)
    return _derive(Path(repo), base, commit, blob_cache or open_cache(Path(repo)), paths)[0]


def _derive(
    repo: Path, base: RegistryState, commit: str, cache: BlobCache, paths: Sequence[str]
) -> tuple[RegistryState, list[str]]:
    """:func:`derive_state` of a full commit id, and the paths the step changed."""
    assert base.rev is not None, "derive from a state loaded from git objects"
    changes = gitio.diff_tree(repo, base.rev, commit, paths)
    changed = {c.path for c in changes}
    files, early = tree_files(
        (c for c in changes if c.oid != gitio.NULL_OID),
        lambda oid: gitio.read_blobs(repo, [oid])[oid],
    )
    early += [f for f in base.findings if f.file not in base.entries and f.file not in changed]
    kept = {path: e for path, e in base.entries.items() if path not in changed}
    state = build_state(repo, commit, files, early, cache, reader=base.reader, kept=kept)
    state.inherit_table(base, {m[0] for p in changed if (m := split_manifest_path(p))})
    return state, [c.path for c in changes]


def walk(
    repo: Path | str,
    rev: str,
    *,
    touching: Sequence[str] = (),
    after: str | None = None,
    paths: Sequence[str] = REGISTRY_DIRS,
) -> Iterator[tuple[LogEntry, RegistryState]]:
    """(commit, registry) along ``rev``'s first parents, oldest first; see :class:`History`."""
    return History(repo, paths=paths).walk(rev, touching=touching, after=after)


# ---------------------------------------------------------------- production periods


@dataclass(frozen=True, slots=True)
class ProductionPeriod:
    """From ``commit`` on (until the next period), ``versions`` were in production."""

    commit: str
    date: str  # committer date, ISO 8601
    subject: str
    versions: tuple[str, ...]  # usually one; empty when nothing was in production


def production_periods(repo: Path | str, name: str, rev: str = "main") -> list[ProductionPeriod]:
    """Periods of production versions of ``name`` along ``rev``'s first parents, oldest first.

    This is what the manifests of each commit say (the audit tags are a separate, richer
    source). Only commits that touched ``models/<name>/`` are read, and of each only that
    folder; consecutive commits with the same production set are merged into one period.
    """
    folder = model_dir(name) + "/"
    periods: list[ProductionPeriod] = []
    for entry, state in walk(repo, rev, touching=[folder], paths=[folder]):
        versions = tuple(v.version for v in state.in_stage(name, ModelStage.PRODUCTION))
        if periods and periods[-1].versions == versions:
            continue
        periods.append(ProductionPeriod(entry.sha, entry.date, entry.subject, versions))
    return periods


def previous_production_version(periods: list[ProductionPeriod], current: str) -> str | None:
    """The last version other than ``current`` that was (alone) in production before it."""
    for period in reversed(periods):
        others = [v for v in period.versions if v != current]
        if len(others) == 1:  # a period with two other versions is ambiguous: skipped
            return others[0]
    return None
