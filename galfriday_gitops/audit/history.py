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
from galfriday_gitops.apply.apply import Planned, Registrations, commit_events, plan, pr_number
from galfriday_gitops.apply.message import AuditTag, read_audit_tags
from galfriday_gitops.diff.events import Event, EventKind
from galfriday_gitops.load.history import History
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.paths import MODELS, POLICIES, model_dir


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
    """One first-parent commit: both states, all its events, its audited changes."""

    entry: gitio.LogEntry
    base: RegistryState
    head: RegistryState
    events: list[Event]
    changes: list[Change]


def audited_commits(
    repo: Path | str, rev: str, *, touching: Sequence[str] = (MODELS,)
) -> tuple[list[CommitChanges], list[AuditTag]]:
    """Every first-parent commit of ``rev`` touching ``touching``, with its audited changes
    joined to the audit tags (matched by the fact they record), and all audit tags."""
    found = read_audit_tags(repo)
    by_identity = {t.record.identity(): t for t in found if t.record is not None}
    regs = Registrations(repo)
    history = History(repo)
    out = []
    for entry in history.commits(rev, touching=touching):
        base, head, events = commit_events(repo, entry, history)
        planned = plan(events, entry.sha, entry.first_parent, regs, head)
        # Grouped once: a commit registering thousands of versions stays linear.
        by_event: dict[int, list[Planned]] = {}
        for p in planned:
            by_event.setdefault(id(p.event), []).append(p)
        changes: list[Change] = []
        for event in events:
            mine = by_event.get(id(event), [])
            if not mine:
                continue
            change = Change(entry, event, mine)
            for p in mine:
                tag = by_identity.get(p.identity(entry.sha))
                if tag is not None:
                    change.tags.append(tag)
            changes.append(change)
        out.append(CommitChanges(entry, base, head, events, changes))
    return out, found


def timeline(repo: Path | str, rev: str, model: str | None = None) -> list[Change]:
    """The audited changes on ``rev``, oldest first (of one model, when given)."""
    touching = (model_dir(model),) if model else (MODELS,)
    commits, _ = audited_commits(repo, rev, touching=touching)
    changes = [c for cc in commits for c in cc.changes]
    if model is not None:
        changes = [c for c in changes if any(p.model == model for p in c.planned)]
    return changes


@dataclass(frozen=True, slots=True)
class PolicyChange:
    """A first-parent commit that changed files under ``policies/``."""

    entry: gitio.LogEntry
    paths: tuple[str, ...]
    kinds: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "when": iso(self.entry.time),
            "commit": self.entry.sha,
            "subject": self.entry.subject,
            "pr": pr_number(self.entry.subject),
            "paths": list(self.paths),
            "events": list(self.kinds),
        }


def policy_changes(repo: Path | str, rev: str) -> list[PolicyChange]:
    """Commits on ``rev``'s first-parent line that changed ``policies/``."""
    history = History(repo, paths=(POLICIES,))  # policy events need no more than policies/
    out = []
    for entry in history.commits(rev, touching=(POLICIES,)):
        _, _, events = commit_events(repo, entry, history)
        guarded = [
            e
            for e in events
            if e.kind in (EventKind.POLICY_CHANGED, EventKind.TEAMS_CHANGED)
            and e.path.startswith(POLICIES + "/")
        ]
        if guarded:
            paths = tuple(sorted({e.path for e in guarded}))
            kinds = tuple(sorted({e.kind.value for e in guarded}))
            out.append(PolicyChange(entry, paths, kinds))
    return out
