"""The timeline of a registry: every audited change on main, joined with its tags.

Changes come from git (main's first-parent history, walked by
:class:`~galfriday_gitops.load.history.History` and diffed commit by commit exactly as
``gfops apply`` does), approvals and PRs from the audit tags that record them. A change
without its tags still shows up (``tags`` empty): the history never hides a gap.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from galfriday_gitops import gitio
from galfriday_gitops.apply.message import (
    AuditTag,
    CommitRecord,
    CommitTag,
    audit_tags,
    read_commit_records,
)
from galfriday_gitops.apply.plan import Planned, Registrations, commit_events, plan, pr_number
from galfriday_gitops.apply.tags import TagAction, TagName, commit_record
from galfriday_gitops.apply.tags import parse as parse_tag
from galfriday_gitops.apply.trail import AUDITED_PATHSPECS
from galfriday_gitops.diff.events import Event
from galfriday_gitops.load.history import History
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.paths import EXPERIMENTS, MODELS, POLICIES, REGISTRY_DIRS, model_dir


def iso(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).isoformat().replace("+00:00", "Z")


@dataclass
class Change:
    """One audited event of one commit on main, with the tags that record it."""

    entry: gitio.LogEntry
    event: Event
    planned: list[Planned]
    tags: list[AuditTag] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.event.kind.value

    @property
    def model(self) -> str:
        return self.planned[0].model

    @property
    def version(self) -> str:
        return self.planned[0].version

    @property
    def tagged(self) -> bool:
        """Every tag the change calls for exists."""
        return len(self.tags) == len(self.planned)

    def _main_record(self) -> Any:
        records = [t.record for t in self.tags if t.record is not None]
        return records[-1] if records else None  # the assign/register tag carries the approvals

    @property
    def pr(self) -> int | None:
        record = self._main_record()
        return record.pr if record is not None else pr_number(self.entry.subject)

    @property
    def approvers(self) -> tuple[str, ...]:
        record = self._main_record()
        return tuple(record.approvers) if record is not None else ()

    @property
    def approved(self) -> bool:
        """Tagged, and the tag records a PR whose approvals the base policy accepted."""
        record = self._main_record()
        return self.tagged and record is not None and bool(record.approved)

    def to_dict(self) -> dict[str, Any]:
        e = self.event
        return {
            "when": iso(self.entry.time),
            "event": self.kind,
            "model": self.model,
            "version": self.version,
            "from": e.from_stage.value if e.from_stage else None,
            "to": e.to_stage.value if e.to_stage else None,
            "pr": self.pr,
            "approvers": list(self.approvers),
            "approved": self.approved,
            "commit": self.entry.sha,
            "subject": self.entry.subject,
            "tags": [t.ref.name for t in self.tags],
            "tagged": self.tagged,
        }


@dataclass
class CommitChanges:
    """One first-parent commit: both states, all its events and changed paths, its audited
    changes, and the record apply wrote of it (None: never recorded)."""

    entry: gitio.LogEntry
    base: RegistryState
    head: RegistryState
    events: list[Event]
    changes: list[Change]
    changed: list[str] = field(default_factory=list)
    record: CommitTag | None = None


def audited_commits(
    repo: Path | str,
    rev: str,
    *,
    touching: Sequence[str] = AUDITED_PATHSPECS,
    paths: Sequence[str] = REGISTRY_DIRS,
    tags: Sequence[gitio.TagRef] | None = None,
    changed_in: Sequence[str] = (),
    records: Sequence[CommitTag] | None = None,
) -> tuple[list[CommitChanges], list[AuditTag]]:
    """Every first-parent commit of ``rev`` touching ``touching``, with its audited changes
    joined to the audit tags among ``tags`` (listed by the caller; None: every tag) matched
    by the fact they record, and its commit record, and those tags. ``paths``: what each
    commit's states hold (one model's folder, for its timeline); ``changed_in``: where each
    commit's changed paths are listed (empty: everywhere, as governed changes need);
    ``records``: every commit record, when the caller listed them already."""
    found = audit_tags(gitio.list_tags(repo, "refs/tags") if tags is None else tags)
    by_identity = {t.record.identity(): t for t in found if t.record is not None}
    regs = Registrations(repo)
    history = History(repo, paths=paths)
    entries = history.commits(rev, touching=touching)
    by_commit = (
        {t.commit: t for t in records} if records is not None else _commit_records(repo, entries)
    )
    out = []
    for entry in entries:
        change = commit_events(repo, entry, history, within=changed_in)
        planned = plan(change.events, entry.sha, entry.first_parent, regs, change.head)
        # Grouped once: a commit registering thousands of versions stays linear.
        by_event: dict[int, list[Planned]] = {}
        for p in planned:
            by_event.setdefault(id(p.event), []).append(p)
        changes: list[Change] = []
        for event in change.events:
            mine = by_event.get(id(event), [])
            if not mine:
                continue
            audited = Change(entry, event, mine)
            for p in mine:
                tag = by_identity.get(p.identity(entry.sha))
                if tag is not None:
                    audited.tags.append(tag)
            changes.append(audited)
        out.append(
            CommitChanges(
                entry, change.base, change.head, change.events, changes, change.changed,
                by_commit.get(entry.sha),
            )
        )  # fmt: skip
    return out, found


_BY_NAME = 256  # up to this many commits, their records are listed by name


def _commit_records(repo: Path | str, entries: Sequence[gitio.LogEntry]) -> dict[str, CommitTag]:
    """The commit records of ``entries``, by commit: listed by name when they are few (a
    model's timeline does not read the record of every commit main ever had), all at once
    when they are many (one listing either way)."""
    if not entries:
        return {}
    names = [f"refs/tags/{commit_record(e.sha)}" for e in entries]
    found = read_commit_records(repo, *(names if len(names) <= _BY_NAME else ()))
    return {t.commit: t for t in found}


@dataclass(frozen=True, slots=True)
class ForeignTag:
    """A tag GTO and DVC read for a registry model that apply did not write: GTO's simple
    ``name#stage``, ``name@deprecated``, ... It changes what they report, with no record."""

    ref: gitio.TagRef
    name: TagName
    versions: tuple[str, ...]  # versions registered at its target: what GTO resolves it to

    def to_dict(self) -> dict[str, Any]:
        stage = self.name.stage
        cancel = self.name.action is TagAction.UNASSIGN
        return {
            "when": iso(self.ref.date),
            "event": f"tag-{self.name.action.value}",
            "model": self.name.model,
            "version": ", ".join(self.versions) or None,
            "from": stage if cancel else None,
            "to": None if cancel else stage,
            "pr": None,
            "approvers": [],
            "approved": False,
            "commit": self.ref.target,
            "subject": f"{self.ref.name}: {self.name.describe()}",
            "tags": [self.ref.name],
            "tagged": False,
            "foreign": True,
        }


def foreign_tags(
    repo: Path | str,
    models: set[str] | None = None,
    refs: Sequence[gitio.TagRef] | None = None,
) -> list[ForeignTag]:
    """Tags of ``models`` (all models when None) in a form GTO reads that apply never
    writes, oldest first, each with the versions GTO resolves it to. ``refs``: the tags,
    when the caller listed them already (at least those of ``models``)."""
    if refs is None:
        patterns = _patterns(models) if models is not None else ["refs/tags"]
        if not patterns:
            return []
        refs = gitio.list_tags(repo, *patterns)
    registered: dict[tuple[str, str], list[str]] = {}
    parsed = [(ref, tag_name) for ref in refs if (tag_name := parse_tag(ref.name)) is not None]
    for ref, name in parsed:
        if name.ours and name.action is TagAction.REGISTER and name.version is not None:
            registered.setdefault((name.model, ref.target), []).append(name.version)
    out = [
        ForeignTag(ref, name, tuple(registered.get((name.model, ref.target), [])))
        for ref, name in parsed
        if not name.ours and (models is None or name.model in models)
    ]
    return sorted(out, key=lambda t: (t.ref.date, t.ref.name))


def _patterns(models: set[str]) -> list[str]:
    """The ``for-each-ref`` patterns of the tags GTO reads for ``models``."""
    return [p for m in sorted(models) for p in (f"refs/tags/{m}@*", f"refs/tags/{m}#*")]


def timeline(repo: Path | str, rev: str, model: str | None = None) -> list[Change | ForeignTag]:
    """The audited changes on ``rev`` and the foreign tags of the same models, oldest first
    (of one model, when given: that model's folder and tags only, as fast for 10 models as
    for 10,000). The tags are listed once, for both."""
    if model is None:
        refs = gitio.list_tags(repo, "refs/tags")
        commits, _ = audited_commits(repo, rev, touching=(MODELS,), tags=refs)
    else:
        folder = (model_dir(model),)
        refs = gitio.list_tags(repo, *_patterns({model}))
        commits, _ = audited_commits(
            repo, rev, touching=folder, paths=folder, tags=refs, changed_in=folder
        )
    changes = [c for cc in commits for c in cc.changes]
    if model is not None:
        changes = [c for c in changes if any(p.model == model for p in c.planned)]
    models = {model} if model is not None else {c.model for c in changes}
    rows: list[Change | ForeignTag] = [*changes, *foreign_tags(repo, models, refs)]
    return sorted(rows, key=_when)


def _when(row: Change | ForeignTag) -> int:
    return row.ref.date if isinstance(row, ForeignTag) else row.entry.time


@dataclass(frozen=True, slots=True)
class GovernedChange:
    """A first-parent commit that changed governed paths (policies, teams, experiments,
    workflows, git attributes, registered versions' .dvc files), with what apply recorded."""

    entry: gitio.LogEntry
    paths: tuple[str, ...]
    kinds: tuple[str, ...]
    record: CommitRecord | None

    @property
    def approved(self) -> bool:
        return self.record is not None and self.record.approved

    def to_dict(self) -> dict[str, Any]:
        record = self.record
        return {
            "when": iso(self.entry.time),
            "commit": self.entry.sha,
            "subject": self.entry.subject,
            "pr": record.pr if record is not None else None,
            "approvers": list(record.approvers) if record is not None else [],
            "approved": self.approved,
            "verdict": record.verdict if record is not None else "unrecorded",
            "paths": list(self.paths),
            "events": list(self.kinds),
        }


def _kind(path: str) -> str:
    if path.startswith(POLICIES + "/"):
        return "policy-changed"
    if path.startswith(EXPERIMENTS + "/"):
        return "experiment-changed"
    if path.startswith(".github/"):
        return "workflow-changed"
    if path.endswith(".dvc"):
        return "artifact-changed"
    return "attributes-changed"


def governed_changes(commits: Sequence[CommitChanges]) -> list[GovernedChange]:
    """The commits among ``commits`` that changed governed paths, oldest first."""
    # Here, not at the top: the judge imports the review rules and forge clients, which
    # a model's timeline (this module's other reader) never needs.
    from galfriday_gitops.apply.judge import governed_paths

    out = []
    for cc in commits:
        paths = governed_paths(cc.base, cc.changed)
        if paths:
            record = cc.record.record if cc.record is not None else None
            by_path = {e.path: e.kind.value for e in cc.events}
            kinds = tuple(sorted({by_path.get(p) or _kind(p) for p in paths}))
            out.append(GovernedChange(cc.entry, tuple(sorted(paths)), kinds, record))
    return out
