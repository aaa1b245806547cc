"""``gfops apply``: judge each commit that landed on main, and record it as annotated tags.

For every first-parent commit not yet recorded (from the newest one with a commit record
on, whatever ``--before`` says: a cancelled run is harmless) the events of that commit
against its first parent are recomputed from git objects (never trusted from CI input)
and the commit is judged (``apply.judge``: the reconciler with its pull request's
reviews, main's state invariants, governed paths). A commit the gate would allow gets
GTO tags: ``name@vX.Y.Z`` + ``name#stage#N`` for a registration, ``name#from!#N`` +
``name#to#N`` for a stage change (GTO keeps every assignment active until it is
unassigned, so both are needed for ``gto show`` to agree with ``gfops status``),
``name@vX.Y.Z!`` for a deletion. A commit it would block gets none -- GTO, DVC and a
deploy on a production tag would read any stage tag as the stage, whatever its record
says -- and the run reports it (exit 1). Either way the commit's record
``gfops/commit/<sha>`` is written last: its verdict, PR, approvals and findings.
A commit's unassignments are written before its assignments, with strictly increasing
tag times, so DVC (which serves a stage from its newest tag) and GTO resolve what the
manifests say (``plan``).

GTO finds the version of a stage tag by the commit it points to, so stage and
deregistration tags point at the version's registration commit; the commit that
made the change is named in the record. Idempotency is by the fact a tag records
(action, model, version, stage, commit), not by tag name, because the counter N
depends on what was written before.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.apply import tags
from galfriday_gitops.apply.judge import Judgement, audit_findings, judge_commit
from galfriday_gitops.apply.message import AuditRecord, CommitRecord
from galfriday_gitops.apply.plan import (
    CommitChange,
    Planned,
    Registrations,
    commit_events,
    plan,
)
from galfriday_gitops.apply.signing import signing_configured
from galfriday_gitops.apply.tags import TagAction
from galfriday_gitops.apply.trail import (
    ApplyConflict,
    Judged,
    Outcome,
    TagWriter,
    Trail,
    first_parents,
    main_line,
    newest_recorded,
    off_main,
)
from galfriday_gitops.catalogue import rule
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.history import History
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.resources import Automation, Teams
from galfriday_gitops.rules.reviews import PullRequestFacts

_IDENT = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>]+)>\s*$")


def parse_identity(text: str) -> tuple[str, str] | None:
    """``"galfriday-bot <bot@galfriday.dev>"`` -> (name, email)."""
    m = _IDENT.match(text)
    return (m["name"], m["email"]) if m else None


def automation(base: RegistryState, head: RegistryState) -> Teams | None:
    """The Teams that configure the automation for a change: the base's (the head's
    only for a root commit, which has no base)."""
    return base.teams() if base.rev is not None else head.teams()


# ---------------------------------------------------------------- records


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


def commit_record(
    entry: gitio.LogEntry, j: Judgement, names: Iterable[str], actor: str | None
) -> CommitRecord:
    """The record of what apply judged of one commit."""
    approvers = tuple(dict.fromkeys(a for who in j.approvers.values() for a in who))
    return CommitRecord(
        commit=entry.sha,
        parent=entry.first_parent,
        verdict=j.verdict,
        pr=j.pr,
        approved=j.approved,
        approvers=approvers or j.counted,
        needed=j.needed,
        rules=j.rules,
        findings=tuple(
            {"rule": f.rule, "file": f.file, "line": f.line, "message": f.message}
            for f in j.findings
        ),
        governed=j.governed,
        tags=tuple(names),
        policy_digest=j.digest,
        actor=actor,
    )


# ---------------------------------------------------------------- writing


@dataclass
class ApplyResult:
    """Every tag of the range in write order, each commit's verdict, what is wrong (the
    run is red when ``findings`` holds any), and what GTO will not be able to read."""

    start: str | None = None  # the newest commit already recorded (None: from the root)
    outcomes: list[Outcome] = field(default_factory=list)
    judged: list[Judged] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def created(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "created"]


FactsFor = Callable[[gitio.LogEntry], PullRequestFacts | None]


def no_facts(entry: gitio.LogEntry) -> PullRequestFacts | None:
    return None


def _automation(change: CommitChange) -> Automation | None:
    teams = automation(change.base, change.head)
    return teams.spec.automation if teams is not None else None


def apply(
    repo: Path | str,
    after: str,
    *,
    before: str | None = None,
    actor: str | None = None,
    facts: FactsFor = no_facts,
    clock: Callable[[], float] = time.time,
) -> ApplyResult:
    """Judge and record every first-parent commit of ``after`` not yet recorded. Safe to
    repeat and to cancel: facts already tagged are left alone, and the next run starts
    after the newest commit with a record. ``before`` (the tip before the push) is only
    used to notice a rewritten range."""
    after_sha = gitio.rev_parse(repo, after)
    trail = Trail(repo)
    line = main_line(repo, after_sha)
    start = newest_recorded(line, trail.recorded)
    result = ApplyResult(start=start)
    old = None if before is None or set(before) <= {"0"} else before
    result.findings += off_main(repo, after_sha, line, trail.recorded, old)
    writer = TagWriter(repo, trail, signing_configured(repo), clock)
    regs = Registrations(repo, trail)
    history = History(repo)
    for entry in first_parents(repo, after_sha, start):
        change = commit_events(repo, entry, history)
        if not _record(entry, change, writer, regs, facts, actor, result, after_sha):
            break  # a commit that cannot be recorded: nothing after it may be
    return result


def _record(
    entry: gitio.LogEntry,
    change: CommitChange,
    writer: TagWriter,
    regs: Registrations,
    facts: FactsFor,
    actor: str | None,
    result: ApplyResult,
    after: str,
) -> bool:
    """Judge one commit and write its tags (when allowed) and its record; False when its
    tags cannot be written (a name taken off main), so the walk stops there."""
    auto = _automation(change)
    if auto is not None and auto.allowed_signers and not writer.sign:
        raise UserError(
            f"policies/{auto.allowed_signers} lists the allowed signers, so audit tags "
            "must be signed: set git config gpg.format ssh and user.signingkey"
        )
    writer.tagger = parse_identity(auto.tagger) if auto is not None else None
    pull = facts(entry) if entry.first_parent is not None else None
    judgement = judge_commit(
        writer.repo, entry, change.base, change.head, change.events, pull, change.changed
    )
    names: list[str] = []
    result.findings += audit_findings(entry, judgement.findings)  # none when allowed
    if not judgement.blocked:
        planned = plan(change.events, entry.sha, entry.first_parent, regs, change.head)
        _warn_gto(planned, result)
        for p in planned:
            done = writer.trail.model(p.model).by_identity.get(p.identity(entry.sha))
            if done is not None and done.record is not None:
                outcome = Outcome(done.ref.name, done.ref.target, done.record, "exists")
            else:
                try:
                    tagged = make_record(p, entry, judgement, actor)
                    outcome = writer.tag(entry, p.action, p.stage, p.target, tagged)
                except ApplyConflict as exc:
                    if _on_main(writer.repo, exc, after):
                        raise
                    result.findings.append(_taken_off_main(entry, p, exc))
                    return False
            result.outcomes.append(outcome)
            names.append(outcome.name)
    if entry.sha not in writer.trail.recorded:
        record = commit_record(entry, judgement, names, actor)
        result.judged.append(writer.record(entry, record))
    return True


def _on_main(repo: Path | str, exc: ApplyConflict, after: str) -> bool:
    """Whether the tag that took the name points into main's history (a real conflict
    between two trails) rather than at what a rewrite of main left behind."""
    target = gitio.git_text(repo, "rev-parse", f"refs/tags/{exc.name}^{{commit}}")
    return gitio.is_ancestor(repo, target, after)


def _taken_off_main(entry: gitio.LogEntry, p: Planned, exc: ApplyConflict) -> Finding:
    return rule("GF302").finding(
        p.event.path,
        1,
        f"commit {entry.sha[:12]} ({entry.subject!r}) cannot be recorded: {exc}; that tag "
        "points off main (history was rewritten)",
        hint="review the rewritten range, delete the stale tags, and run apply again",
    )


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
