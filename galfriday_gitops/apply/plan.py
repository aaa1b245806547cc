"""What a commit on main calls for: its events, and the audit tags they plan.

The part of ``apply`` that reads and decides, without judging or writing: ``gfops
history`` and ``audit verify`` replay it over main to join each change to its tags, and
need none of the judge's imports (reviews, forge clients) to do so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.apply.message import Identity
from galfriday_gitops.apply.tags import TagAction, stage_of
from galfriday_gitops.apply.trail import Trail
from galfriday_gitops.diff.events import Event, EventKind, diff
from galfriday_gitops.load.history import History
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.paths import split_manifest_path

AUDITED = frozenset(
    {EventKind.REGISTERED, EventKind.STAGE_CHANGED, EventKind.DELETED, EventKind.RENAMED}
)

_MERGE_PR = re.compile(r"^Merge pull request #(\d+)\b")
_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")


def pr_number(subject: str) -> int | None:
    """The pull request a commit on main claims to come from: GitHub's merge or squash
    subject (a claim: ``apply`` asks the forge which pull request made the commit)."""
    m = _MERGE_PR.match(subject) or _SQUASH_PR.search(subject)
    return int(m[1]) if m else None


@dataclass(frozen=True, slots=True)
class Planned:
    """One tag that one event of one commit calls for."""

    action: TagAction
    event: Event
    model: str
    version: str
    from_stage: str | None
    to_stage: str | None
    target: str  # the commit the tag points to (GTO: the version's registration commit)

    @property
    def stage(self) -> str | None:
        return stage_of(self.action, self.from_stage, self.to_stage)

    def identity(self, commit: str) -> Identity:
        return (self.action.value, self.model, self.version, self.stage, commit)


def _model_version(path: str) -> tuple[str, str]:
    """(name, version) of a renamed version's old manifest path."""
    found = split_manifest_path(path)
    assert found is not None, path  # only manifests are renamed (diff)
    return found


class Registrations:
    """Which commit registered each version: where GTO expects its stage tags to point
    (the registration tag's commit when the trail has one; else main's history says)."""

    def __init__(self, repo: Path | str, trail: Trail | None = None) -> None:
        self.repo = repo
        self.trail = trail
        self._known: dict[tuple[str, str], str] = {}

    def registered(self, model: str, version: str, commit: str) -> None:
        self._known[(model, version)] = commit

    def commit_of(self, model: str, version: str, path: str, at: str) -> str:
        key = (model, version)
        if key not in self._known:
            tagged = self.trail.registration_target(model, version) if self.trail else None
            self._known[key] = tagged or gitio.last_added(self.repo, at, path) or at
        return self._known[key]


# The order of a commit's tags. DVC resolves ``--stage S`` to the target of the newest
# tag naming S, assignment or unassignment alike (``dvc/repo/artifacts.py`` ``get_rev``:
# ``find(name=, stage=)`` sorted by tag time, ``tags[-1].target``). Writing every
# unassignment of a commit before any assignment makes the newest tag of a stage that
# gains a version an assignment, so a hand-over or a rollback ends on the incoming version.
_WRITE_ORDER = {
    TagAction.REGISTER: 0,
    TagAction.DEREGISTER: 0,
    TagAction.UNASSIGN: 1,
    TagAction.ASSIGN: 2,
}


def _stays(
    planned: list[Planned], head: RegistryState, commit: str, regs: Registrations
) -> list[Planned]:
    """For each stage a commit takes a version out of and puts none into, while other
    versions stay in it: the greatest of them assigned again. Otherwise the stage's newest
    tag is the unassignment, and DVC would serve the version that left. (A stage left
    empty has no version to assign: DVC cannot represent it, and ``gfops status`` says so.)"""
    gained = {(p.model, p.stage) for p in planned if p.action is TagAction.ASSIGN}
    out: list[Planned] = []
    for p in planned:
        key = (p.model, p.stage)
        if p.action is not TagAction.UNASSIGN or p.stage is None or key in gained:
            continue
        gained.add(key)
        holders = head.paths_in_stage(p.model, p.stage)
        if holders:
            version, path = holders[-1]
            target = regs.commit_of(p.model, version, path, commit)
            out.append(
                Planned(TagAction.ASSIGN, p.event, p.model, version, p.stage, p.stage, target)
            )
    return out


def plan(
    events: Iterable[Event],
    commit: str,
    parent: str | None,
    regs: Registrations,
    head: RegistryState,
) -> list[Planned]:
    """The tags a commit's audited events call for, in write order: registrations and
    deregistrations, then every unassignment, then every assignment (stable within each),
    including those that keep a stage's newest tag on a version still in it at ``head``
    (the commit's state; :func:`_stays`)."""
    out: list[Planned] = []
    for e in events:
        if e.kind not in AUDITED or e.name is None or e.version is None:
            continue
        to = e.to_stage.value if e.to_stage else None
        frm = e.from_stage.value if e.from_stage else None
        if e.kind is EventKind.REGISTERED:
            regs.registered(e.name, e.version, commit)
            out.append(Planned(TagAction.REGISTER, e, e.name, e.version, None, to, commit))
            out.append(Planned(TagAction.ASSIGN, e, e.name, e.version, None, to, commit))
        elif e.kind is EventKind.STAGE_CHANGED:
            target = regs.commit_of(e.name, e.version, e.path, commit)
            out.append(Planned(TagAction.UNASSIGN, e, e.name, e.version, frm, to, target))
            out.append(Planned(TagAction.ASSIGN, e, e.name, e.version, frm, to, target))
        elif e.kind is EventKind.DELETED and parent is not None:
            target = regs.commit_of(e.name, e.version, e.path, parent)
            out.append(Planned(TagAction.DEREGISTER, e, e.name, e.version, frm, None, target))
        elif e.kind is EventKind.RENAMED and e.old_path is not None and parent is not None:
            old_model, old_version = _model_version(e.old_path)
            old_target = regs.commit_of(old_model, old_version, e.old_path, parent)
            out.append(
                Planned(TagAction.DEREGISTER, e, old_model, old_version, frm, None, old_target)
            )
            regs.registered(e.name, e.version, commit)
            out.append(Planned(TagAction.REGISTER, e, e.name, e.version, None, to, commit))
            out.append(Planned(TagAction.ASSIGN, e, e.name, e.version, None, to, commit))
    out += _stays(out, head, commit, regs)
    return sorted(out, key=lambda p: _WRITE_ORDER[p.action])


@dataclass(frozen=True, slots=True)
class CommitChange:
    """A first-parent commit's two states, the events between them, every path it changed."""

    base: RegistryState
    head: RegistryState
    events: list[Event]
    changed: list[str]


def commit_events(
    repo: Path | str,
    entry: gitio.LogEntry,
    history: History | None = None,
    *,
    within: Sequence[str] = (),
) -> CommitChange:
    """Both states of a first-parent commit and what changed between them (``history``:
    the walk's loader; the head is derived from the base through the changed files).
    ``within`` (pathspecs; empty: the whole tree) narrows the changed paths listed, for a
    walk whose states hold no more (one model's folder): at 10,000 manifests the whole
    list of a commit registering 1,000 versions costs more than the rest of the step."""
    history = history or History(repo)
    base = history.parent_state(entry)
    head = history.child_state(base, entry)
    parent = entry.first_parent
    listed = history.changed_by(entry) if tuple(within) == history.paths else None
    if listed is not None:  # the step's own diff listed exactly these paths
        changed = listed
    elif parent is not None:
        changed = gitio.changed_paths(repo, parent, entry.sha, within)
    else:
        changed = [e.path for e in gitio.ls_tree(repo, entry.sha, within)]
    events = diff(base, head, changed if parent else [], changed=changed if parent else None)
    return CommitChange(base, head, events, changed)
