"""``gfops apply``: write the audit trail of a pushed range as annotated tags.

For every first-parent commit in ``before..after`` the events of that commit against
its first parent are recomputed from git objects (never trusted from CI input), the
reconciler's rules are run on them with the base's policies (as ``gfops check`` did
on the pull request), and each registration, stage change and deletion becomes GTO
tags: ``name@vX.Y.Z`` + ``name#stage#N`` for a registration, ``name#from!#N`` +
``name#to#N`` for a stage change (GTO keeps every assignment active until it is
unassigned, so both are needed for ``gto show`` to agree with ``gfops status``),
``name@vX.Y.Z!`` for a deletion. A commit's unassignments are written before its
assignments, with strictly increasing tag times, so DVC (which serves a stage from its
newest tag) and GTO resolve what the manifests say (``plan``).

GTO finds the version of a stage tag by the commit it points to, so stage and
deregistration tags point at the version's registration commit; the commit that
made the change is named in the record. Idempotency is by the fact a tag records
(action, model, version, stage, commit), not by tag name, because the counter N
depends on what was written before.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.apply import tags
from galfriday_gitops.apply.message import (
    AuditRecord,
    AuditTag,
    Identity,
    policy_digest,
    read_audit_tags,
)
from galfriday_gitops.apply.tags import TagAction, TagName
from galfriday_gitops.catalogue import Phase, phase_of
from galfriday_gitops.diff.events import Event, EventKind, diff
from galfriday_gitops.errors import UserError
from galfriday_gitops.load.history import History
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.paths import MODELS, split_manifest_path
from galfriday_gitops.resources import ModelStage, Teams
from galfriday_gitops.rules import approvals
from galfriday_gitops.rules.engine import Verdict, context_for, judge
from galfriday_gitops.rules.reviews import PullRequestFacts

AUDITED = frozenset(
    {EventKind.REGISTERED, EventKind.STAGE_CHANGED, EventKind.DELETED, EventKind.RENAMED}
)

# The reconciler's rules that decide whether a PR was approved as its base policy asks.
APPROVAL_RULES = ("GF202", "GF213", "GF217")

_MERGE_PR = re.compile(r"^Merge pull request #(\d+)\b")
_SQUASH_PR = re.compile(r"\(#(\d+)\)\s*$")
_IDENT = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>]+)>\s*$")


def pr_number(subject: str) -> int | None:
    """The pull request a commit on main came from: GitHub's merge or squash subject."""
    m = _MERGE_PR.match(subject) or _SQUASH_PR.search(subject)
    return int(m[1]) if m else None


def parse_identity(text: str) -> tuple[str, str] | None:
    """``"galfriday-bot <bot@galfriday.dev>"`` -> (name, email)."""
    m = _IDENT.match(text)
    return (m["name"], m["email"]) if m else None


def automation(base: RegistryState, head: RegistryState) -> Teams | None:
    """The Teams that configure the automation for a change: the base's (the head's
    only for a root commit, which has no base)."""
    return base.teams() if base.rev is not None else head.teams()


# ---------------------------------------------------------------- planning


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
        if self.action is TagAction.ASSIGN:
            return self.to_stage
        if self.action is TagAction.UNASSIGN:
            return self.from_stage
        return None

    def identity(self, commit: str) -> Identity:
        return (self.action.value, self.model, self.version, self.stage, commit)


def _model_version(path: str) -> tuple[str, str]:
    """(name, version) of a renamed version's old manifest path."""
    found = split_manifest_path(path)
    assert found is not None, path  # only manifests are renamed (diff)
    return found


class Registrations:
    """Which commit registered each version: where GTO expects its stage tags to point."""

    def __init__(self, repo: Path | str) -> None:
        self.repo = repo
        self._known: dict[tuple[str, str], str] = {}

    def registered(self, model: str, version: str, commit: str) -> None:
        self._known[(model, version)] = commit

    def commit_of(self, model: str, version: str, path: str, at: str) -> str:
        key = (model, version)
        if key not in self._known:
            self._known[key] = gitio.last_added(self.repo, at, path) or at
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
        holders = head.in_stage(p.model, ModelStage(p.stage))
        if holders:
            keep = holders[-1]
            target = regs.commit_of(p.model, keep.version, head.path_of(keep), commit)
            out.append(
                Planned(TagAction.ASSIGN, p.event, p.model, keep.version, p.stage, p.stage, target)
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


def commit_events(
    repo: Path | str, entry: gitio.LogEntry, history: History | None = None
) -> tuple[RegistryState, RegistryState, list[Event]]:
    """Both states of a first-parent commit and the events between them (``history``:
    the walk's loader, whose states and blob cache the next commit reuses)."""
    history = history or History(repo)
    head = history.state(entry.sha)
    base = history.parent_state(entry)
    parent = entry.first_parent
    extra = gitio.changed_paths(repo, parent, entry.sha) if parent is not None else []
    return base, head, diff(base, head, extra)


# ---------------------------------------------------------------- judging


@dataclass(frozen=True, slots=True)
class Judgement:
    """The reconciler's view of one commit, as the records carry it."""

    pr: int | None
    verdict: str
    rules: dict[str, str]
    digest: str
    needed: dict[str, int]  # "name@version -> stage" -> approvals needed
    approvers: dict[str, tuple[str, ...]]  # same key -> counted approvers
    counted: tuple[str, ...]  # every counted approval of the PR
    approved: bool  # a PR, and every approval it needed (stages, policy guard) was given


def judge_commit(
    repo: Path | str,
    entry: gitio.LogEntry,
    base: RegistryState,
    head: RegistryState,
    events: list[Event],
    pull: PullRequestFacts | None,
) -> Judgement:
    """Run the rules on one commit with its base's policies, as of its commit time."""
    ctx = context_for(repo, base, head, events, pull, dt.datetime.fromtimestamp(entry.time, dt.UTC))
    findings = judge(ctx)
    tallies = approvals.tallies(ctx)
    verdict = Verdict(base.rev or "", entry.sha, events, findings, ctx.reviews, tallies)
    # Only the gate rules, each by id (the record has never carried the "schema" summary).
    rules = {k: v for k, v in verdict.rule_status().items() if phase_of(k) is Phase.GATE}
    return Judgement(
        pr=pr_number(entry.subject),
        verdict="allowed" if verdict.allowed else "blocked",
        rules=rules,
        digest=policy_digest(repo, base.rev),
        needed={n.what: n.requirement.count for n in approvals.requirements(ctx)},
        approvers={what: t.approvers for what, t in tallies},
        counted=tuple(v.login for v in ctx.reviews or () if v.approves and v.login),
        approved=pr_number(entry.subject) is not None
        and all(rules.get(r) == "passed" for r in APPROVAL_RULES),
    )


def make_record(p: Planned, entry: gitio.LogEntry, j: Judgement, actor: str | None) -> AuditRecord:
    """The record for one planned tag (chain fields filled in when it is written)."""
    what = f"{p.model}@{p.version} -> {p.to_stage}"
    needed = j.needed.get(what, 0)
    approvers = j.approvers.get(what, ()) if needed else j.counted
    return AuditRecord(
        action=p.action,
        event=p.event.kind.value,
        model=p.model,
        version=p.version,
        from_stage=p.from_stage,
        to_stage=p.to_stage,
        commit=entry.sha,
        parent=entry.first_parent,
        pr=j.pr,
        approvers=approvers,
        approvals_needed=needed,
        approved=j.approved,
        verdict=j.verdict,
        rules=j.rules,
        policy_digest=j.digest,
        actor=actor,
    )


# ---------------------------------------------------------------- writing


class ApplyConflict(UserError):
    """A tag name is taken by a different fact (another apply wrote another trail)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """One tag of the range: written by this run, or already there (same fact)."""

    name: str
    target: str
    record: AuditRecord
    status: str  # created | exists

    def to_dict(self) -> dict[str, object]:
        return {
            "tag": self.name,
            "target": self.target,
            "status": self.status,
            "record": self.record.to_dict(),
        }


@dataclass
class ApplyResult:
    """Every tag of the range, in write order, and what GTO will not be able to read."""

    outcomes: list[Outcome] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def created(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "created"]


FactsFor = Callable[[gitio.LogEntry, int | None], PullRequestFacts | None]


def _no_facts(entry: gitio.LogEntry, number: int | None) -> PullRequestFacts | None:
    return None


def signing_configured(repo: Path | str) -> bool:
    """git's SSH signing: ``gpg.format=ssh`` and a ``user.signingkey``."""
    return gitio.config_get(repo, "gpg.format") == "ssh" and bool(
        gitio.config_get(repo, "user.signingkey")
    )


def _describe(record: AuditRecord | None, target: str) -> str:
    if record is None:
        return f"a tag without an audit record [target {target[:12]}]"
    return f"{record.summary()} [commit {record.commit[:12]}, target {target[:12]}]"


class _Trail:
    """The audit tags as they stand, updated as this run writes (counters, chain, dates)."""

    def __init__(self, found: list[AuditTag]) -> None:
        self.by_identity: dict[Identity, AuditTag] = {}
        self.by_name: dict[str, AuditTag] = {}
        self.counter: dict[str, int] = {}
        self.head: dict[str, tuple[int, str]] = {}  # model -> (seq, tag object id)
        self.last_date = 0
        for tag in found:
            self.add(tag)

    def add(self, tag: AuditTag) -> None:
        self.by_name[tag.ref.name] = tag
        model = tag.name.model
        if tag.name.counter is not None:
            self.counter[model] = max(self.counter.get(model, 0), tag.name.counter)
        self.last_date = max(self.last_date, tag.ref.date)
        if tag.record is not None:
            self.by_identity.setdefault(tag.record.identity(), tag)
            if tag.record.seq > self.head.get(model, (0, ""))[0]:
                self.head[model] = (tag.record.seq, tag.ref.oid)

    def name_for(self, p: Planned) -> TagName:
        if p.action is TagAction.REGISTER:
            return tags.registration(p.model, p.version)
        if p.action is TagAction.DEREGISTER:
            return tags.deregistration(p.model, p.version)
        assert p.stage is not None
        n = self.counter.get(p.model, 0) + 1
        if p.action is TagAction.ASSIGN:
            return tags.assignment(p.model, p.stage, n)
        return tags.unassignment(p.model, p.stage, n)


def _adopt(
    trail: _Trail, existing: AuditTag, record: AuditRecord, target: str, name: str
) -> AuditTag:
    """A tag that already has this name: fine if it records the same fact on the same
    target (a concurrent run wrote it), a conflict naming both otherwise."""
    same = (
        existing.record is not None
        and existing.record.identity() == record.identity()
        and existing.ref.target == target
    )
    if not same:
        raise ApplyConflict(
            f"tag {name} already exists for {_describe(existing.record, existing.ref.target)}, "
            f"but this run needs it for {_describe(record, target)}: two applies wrote "
            "different trails (run apply one at a time: the workflow's concurrency group)"
        )
    trail.add(existing)
    return existing


def _read_one(repo: Path | str, name: str) -> AuditTag:
    found = [t for t in read_audit_tags(repo, f"refs/tags/{name}") if t.ref.name == name]
    if not found:
        raise gitio.GitError(f"tag {name} was reported to exist but cannot be read")
    return found[0]


def apply(
    repo: Path | str,
    before: str | None,
    after: str,
    *,
    actor: str | None = None,
    facts: FactsFor = _no_facts,
    clock: Callable[[], float] = time.time,
) -> ApplyResult:
    """Write the audit tags of ``before..after`` (None or all-zero ``before``: the whole
    first-parent history). Safe to repeat: facts already tagged are left alone."""
    after_sha = gitio.rev_parse(repo, after)
    before_sha = None if before is None or set(before) <= {"0"} else gitio.rev_parse(repo, before)
    entries = gitio.first_parent_log(repo, after_sha, exclude=before_sha, paths=(MODELS,))
    trail = _Trail(read_audit_tags(repo))
    regs = Registrations(repo)
    result = ApplyResult()
    sign = signing_configured(repo)
    for entry in entries:
        base, head, events = commit_events(repo, entry)
        planned = plan(events, entry.sha, entry.first_parent, regs, head)
        if not planned:
            continue
        _warn_gto(planned, result)
        teams = automation(base, head)
        auto = teams.spec.automation if teams is not None else None
        if auto is not None and auto.allowed_signers and not sign:
            raise UserError(
                f"policies/{auto.allowed_signers} lists the allowed signers, so audit tags "
                "must be signed: set git config gpg.format ssh and user.signingkey"
            )
        tagger = parse_identity(auto.tagger) if auto is not None else None
        judgement: Judgement | None = None
        for p in planned:
            done = trail.by_identity.get(p.identity(entry.sha))
            if done is not None and done.record is not None:
                result.outcomes.append(
                    Outcome(done.ref.name, done.ref.target, done.record, "exists")
                )
                continue
            if judgement is None:
                number = pr_number(entry.subject)
                pull = facts(entry, number)
                judgement = judge_commit(repo, entry, base, head, events, pull)
            record = make_record(p, entry, judgement, actor)
            seq, prev = trail.head.get(p.model, (0, None))
            record = replace(record, seq=seq + 1, prev=prev)
            name = str(trail.name_for(p))
            existing = trail.by_name.get(name)
            if existing is None:
                date = max(int(clock()), trail.last_date + 1, entry.time)
                try:
                    oid = gitio.create_tag(
                        repo, name, p.target, record.render(), tagger=tagger, date=date, sign=sign
                    )
                except gitio.TagExistsError:
                    existing = _read_one(repo, name)
                else:
                    written = _read_one(repo, name)
                    assert written.ref.oid == oid
                    trail.add(written)
                    result.outcomes.append(Outcome(name, p.target, record, "created"))
                    continue
            adopted = _adopt(trail, existing, record, p.target, name)
            assert adopted.record is not None
            result.outcomes.append(Outcome(name, p.target, adopted.record, "exists"))
    return result


def _warn_gto(planned: list[Planned], result: ApplyResult) -> None:
    """Say when GTO will not be able to read what we write (we still write it)."""
    for model in sorted({p.model for p in planned}):
        if not tags.gto_readable(model):
            msg = f"GTO cannot parse tags of {model!r} (GTO names allow no '.'): gto skips it"
            if msg not in result.warnings:
                result.warnings.append(msg)
    registered: dict[tuple[str, str], list[str]] = {}
    for p in planned:
        if p.action is TagAction.REGISTER:
            registered.setdefault((p.model, p.target), []).append(p.version)
    for (model, target), versions in sorted(registered.items()):
        if len(versions) > 1:
            result.warnings.append(
                f"{model} {', '.join(versions)} were registered by one commit ({target[:12]}): "
                "GTO allows one version per commit, so gto show will refuse this model"
            )
