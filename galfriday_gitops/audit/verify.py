"""``gfops audit verify``: does main's history agree with its audit tags?

Walks main's first-parent history, recomputes every audited change exactly as
``gfops apply`` would, and reports (rule ids GF300-GF307):

- a change without its tags (a direct push, or apply never ran)            GF300
- a stage change whose tag records no PR, or a PR without its approvals     GF301
- a tag pointing at, or recording, a commit that is not on main             GF302
- a tagger that is not the automation identity of the change's base         GF303
- a missing or unverifiable signature when the base lists allowed signers   GF304
- a tag whose name, target or record does not match the commit's events     GF305
- a broken hash chain: a position missing, a ``prev`` that does not match   GF306
- a tag dated before the commit it points to or records                     GF307
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.apply.apply import Planned, automation, parse_identity
from galfriday_gitops.apply.message import AuditRecord, AuditTag, Identity
from galfriday_gitops.apply.tags import TagAction
from galfriday_gitops.audit.history import Change, CommitChanges, audited_commits
from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import EventKind
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.history import History
from galfriday_gitops.paths import POLICIES
from galfriday_gitops.resources import Automation


def _ref(tag: AuditTag) -> str:
    return f"refs/tags/{tag.ref.name}"


def _tag_finding(rule_id: str, tag: AuditTag, message: str) -> Finding:
    return rule(rule_id).finding(_ref(tag), 1, f"{tag.ref.name}: {message}")


def signers_path(auto: Automation) -> str:
    """The allowed-signers file: a path under ``policies/`` (given with or without it)."""
    assert auto.allowed_signers is not None
    name = auto.allowed_signers
    return name if name.startswith(POLICIES + "/") else f"{POLICIES}/{name}"


def _describe(change: Change) -> str:
    e = change.event
    if e.kind is EventKind.STAGE_CHANGED:
        assert e.from_stage is not None and e.to_stage is not None
        what = f"{e.from_stage.value} -> {e.to_stage.value}"
    elif e.kind is EventKind.REGISTERED:
        what = f"registered in {e.to_stage.value if e.to_stage else '?'}"
    else:
        what = e.kind.value
    return f"{change.model}@{change.version} {what}"


def _name_matches(tag: AuditTag, r: AuditRecord) -> bool:
    n = tag.name
    if n.action is not r.action or n.model != r.model:
        return False
    if r.action in (TagAction.REGISTER, TagAction.DEREGISTER):
        return n.version == r.version
    return n.stage == r.stage


def _unaudited(change: Change) -> bool:
    """No tags, or a stage change whose tags record no approved PR."""
    stage_change = change.event.kind is EventKind.STAGE_CHANGED
    return not change.tagged or (stage_change and not change.approved)


def _change_findings(commits: list[CommitChanges]) -> list[Finding]:
    findings = []
    for cc in commits:
        flagged = [c for c in cc.changes if _unaudited(c)]
        # Lines cost a parse each: only for findings, their files read in one git call.
        cc.head.prefetch(c.event.path for c in flagged)
        for change in flagged:
            path = change.event.path
            line = cc.head.line_of(path, ("spec", "stage")) if path in cc.head.entries else 1
            where = f"commit {cc.entry.sha[:12]} ({cc.entry.subject!r})"
            if not change.tagged:
                missing = [p.action.value for p in change.planned if p not in _tagged(change)]
                findings.append(
                    rule("GF300").finding(
                        path,
                        line,
                        f"{_describe(change)} in {where} has no audit tag "
                        f"({', '.join(missing)} missing): pushed without a reviewed PR, "
                        "or gfops apply did not run",
                    )
                )
            else:
                pr = change.pr
                why = "no pull request" if pr is None else f"PR #{pr} without the approvals"
                have = ", ".join(change.approvers) or "none"
                findings.append(
                    rule("GF301").finding(
                        path,
                        line,
                        f"{_describe(change)} in {where} went in with {why} "
                        f"(counted approvers: {have})",
                    )
                )
    return findings


def _tagged(change: Change) -> list[Planned]:
    have = {t.record.identity() for t in change.tags if t.record is not None}
    return [p for p in change.planned if p.identity(change.entry.sha) in have]


def _chain_findings(found: list[AuditTag]) -> list[Finding]:
    findings = []
    per_model: dict[str, list[AuditTag]] = defaultdict(list)
    for tag in found:
        if tag.record is not None:
            per_model[tag.record.model].append(tag)
    for model, chain in sorted(per_model.items()):
        at: dict[int, list[AuditTag]] = defaultdict(list)
        for tag in chain:
            assert tag.record is not None
            at[tag.record.seq].append(tag)
        top = max(at)
        for seq in range(1, top + 1):
            here = at.get(seq, [])
            if not here:
                after = next(at[s][0] for s in range(seq + 1, top + 1) if s in at)
                findings.append(
                    _tag_finding(
                        "GF306",
                        after,
                        f"{model}'s audit chain has no tag at position {seq} "
                        "(deleted?): the trail before this tag is incomplete",
                    )
                )
                continue
            if len(here) > 1:
                names = ", ".join(sorted(t.ref.name for t in here))
                findings.append(
                    _tag_finding(
                        "GF306",
                        here[0],
                        f"{model}'s audit chain forks at position {seq}: {names} "
                        "(concurrent applies, or a re-created tag)",
                    )
                )
            for tag in here:
                assert tag.record is not None
                prev = at.get(seq - 1, [])
                if seq == 1 and tag.record.prev is not None:
                    findings.append(
                        _tag_finding(
                            "GF306", tag, "the first tag of the chain names a previous tag"
                        )
                    )
                elif len(prev) == 1 and tag.record.prev != prev[0].ref.oid:
                    findings.append(
                        _tag_finding(
                            "GF306",
                            tag,
                            f"chains to {str(tag.record.prev)[:12]}, but the tag before it, "
                            f"{prev[0].ref.name}, is object {prev[0].ref.oid[:12]}: "
                            "that tag was re-created or replaced",
                        )
                    )
    return findings


@dataclass
class _Facts:
    """What the checks of every tag consult: main's history and the changes it made."""

    repo: Path | str
    rev: str
    main: dict[str, int]  # each first-parent commit of rev -> its committer time
    by_sha: dict[str, CommitChanges]  # the commits that made audited changes
    expected: dict[Identity, Planned]  # every tag those changes call for
    seen: dict[Identity, AuditTag] = field(default_factory=dict)  # first tag per fact
    signers: dict[tuple[str, str], bytes | None] = field(default_factory=dict)


# A check of one audit tag (with its parsed record): the findings it adds.
TagCheck = Callable[[AuditTag, AuditRecord, _Facts], list[Finding]]


def _check_name(tag: AuditTag, r: AuditRecord, facts: _Facts) -> list[Finding]:
    if _name_matches(tag, r):
        return []
    return [_tag_finding("GF305", tag, f"the name does not match its record ({r.summary()})")]


def _check_on_main(tag: AuditTag, r: AuditRecord, facts: _Facts) -> list[Finding]:
    off = [c for c in (tag.ref.target, r.commit) if c not in facts.main]
    if not off:
        return []
    return [
        _tag_finding(
            "GF302",
            tag,
            f"points at or records {', '.join(c[:12] for c in dict.fromkeys(off))}, "
            f"which is not on {facts.rev}'s first-parent history (rewritten or force-pushed)",
        )
    ]


def _check_recorded_change(tag: AuditTag, r: AuditRecord, facts: _Facts) -> list[Finding]:
    """The record names a change main really made, on the right target, once."""
    findings = []
    identity = r.identity()
    planned = facts.expected.get(identity)
    if planned is None:
        recorded = facts.by_sha.get(r.commit)
        changes = recorded.changes if recorded is not None else []
        actual = "; ".join(c.event.describe() for c in changes)
        findings.append(
            _tag_finding(
                "GF305",
                tag,
                f"records {r.summary()} at {r.commit[:12]}, but that commit's changes are: "
                f"{actual or 'none'} (forged or edited message)",
            )
        )
    elif planned.target != tag.ref.target:
        findings.append(
            _tag_finding(
                "GF305",
                tag,
                f"points at {tag.ref.target[:12]}, but {r.model}@{r.version} was registered "
                f"at {planned.target[:12]}",
            )
        )
    if identity in facts.seen:
        findings.append(
            _tag_finding(
                "GF305", tag, f"records the same change as {facts.seen[identity].ref.name}"
            )
        )
    facts.seen.setdefault(identity, tag)
    return findings


def _check_date(tag: AuditTag, r: AuditRecord, facts: _Facts) -> list[Finding]:
    if tag.ref.date >= max(facts.main[tag.ref.target], facts.main[r.commit]):
        return []
    return [
        _tag_finding(
            "GF307",
            tag,
            "is dated before the commit it records "
            f"(tagger date {tag.ref.date} < commit date {facts.main[r.commit]})",
        )
    ]


def _check_automation(tag: AuditTag, r: AuditRecord, facts: _Facts) -> list[Finding]:
    """Tagger and signature, as the automation configured at the change's base asks."""
    source = facts.by_sha.get(r.commit)
    teams = automation(source.base, source.head) if source is not None else None
    auto = teams.spec.automation if teams is not None else None
    if source is None or auto is None:
        return []
    findings = []
    want = parse_identity(auto.tagger)
    if want is not None and (tag.ref.tagger_name, tag.ref.tagger_email) != want:
        findings.append(
            _tag_finding(
                "GF303",
                tag,
                f"tagged by {tag.ref.tagger_name} <{tag.ref.tagger_email}>, "
                f"not the automation identity {auto.tagger}",
            )
        )
    if auto.allowed_signers:
        findings += _signature(facts.repo, tag, auto, source, facts.signers)
    return findings


# In order; a tag off main is not judged further (its commit has no facts to compare).
TAG_CHECKS: tuple[TagCheck, ...] = (_check_recorded_change, _check_date, _check_automation)


def _tag_findings(tag: AuditTag, facts: _Facts) -> list[Finding]:
    r = tag.record
    if r is None:
        return [_tag_finding("GF305", tag, f"not an audit record: {tag.error}")]
    findings = _check_name(tag, r, facts)
    off_main = _check_on_main(tag, r, facts)
    if off_main:
        return findings + off_main
    for check in TAG_CHECKS:
        findings += check(tag, r, facts)
    return findings


def verify(
    repo: Path | str,
    rev: str = "main",
    *,
    walked: tuple[list[CommitChanges], list[AuditTag]] | None = None,
) -> list[Finding]:
    """Every disagreement between ``rev``'s first-parent history and the audit tags.

    ``walked`` is ``audited_commits(repo, rev)`` when the caller already has it (the site
    shows the timeline and this verdict from one walk of the history).
    """
    commits, found = walked if walked is not None else audited_commits(repo, rev)
    facts = _Facts(
        repo,
        rev,
        main={e.sha: e.time for e in History(repo).commits(rev)},
        by_sha={cc.entry.sha: cc for cc in commits},
        expected={
            p.identity(cc.entry.sha): p
            for cc in commits
            for change in cc.changes
            for p in change.planned
        },
    )
    findings = _change_findings(commits)
    for tag in sorted(found, key=lambda t: t.ref.name):
        findings += _tag_findings(tag, facts)
    return findings + _chain_findings(found)


def _signature(
    repo: Path | str,
    tag: AuditTag,
    auto: Automation,
    cc: CommitChanges,
    cache: dict[tuple[str, str], bytes | None],
) -> list[Finding]:
    """The signature against the allowed signers of the change's base revision."""
    path = signers_path(auto)
    rev = cc.entry.first_parent or cc.entry.sha
    if (rev, path) not in cache:
        cache[(rev, path)] = gitio.read_blob(repo, rev, path)
    signers = cache[(rev, path)]
    if signers is None:
        return [_tag_finding("GF304", tag, f"{path} does not exist at {rev[:12]}")]
    if not tag.ref.signed:
        return [_tag_finding("GF304", tag, f"is not signed, but {path} lists allowed signers")]
    ok, said = gitio.verify_tag_signature(repo, tag.ref.name, signers)
    if ok:
        return []
    return [_tag_finding("GF304", tag, f"signature does not verify against {path}: {said}")]
