"""Every commit of main, as a change and as state: what ``audit verify`` asks of each.

For each first-parent commit that touched an audited path:

- **as the gate would judge it**, offline: the reconciler on first parent -> commit
  (``apply.judge``, the one judgement apply records) and main's state after it. What fails
  whatever the reviews were is reported (GF308 naming the gate's rule, GF312); approval
  rules need the pull request's reviews, which verify has only as the records' claims;
- **its approvals**, from the records: a registration or stage change needs its GTO tags
  (GF300) and a stage change an approved PR (GF301); a governed path an approved commit
  record (GF309). A commit apply recorded as blocked has no tags by design: its stage
  changes are reported as unapproved (GF301), not as untagged.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from galfriday_gitops.apply.judge import audit_findings, governed_paths, judge_commit
from galfriday_gitops.apply.message import CommitRecord
from galfriday_gitops.apply.plan import Planned
from galfriday_gitops.audit.history import Change, CommitChanges
from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import EventKind
from galfriday_gitops.findings import Finding

# The rules that need the pull request's reviews (verify has only the records' claims).
REVIEW_RULES = frozenset({"GF202", "GF203", "GF213", "GF217", "GF301", "GF309"})


def describe(change: Change) -> str:
    e = change.event
    if e.kind is EventKind.STAGE_CHANGED:
        assert e.from_stage is not None and e.to_stage is not None
        what = f"{e.from_stage.value} -> {e.to_stage.value}"
    elif e.kind is EventKind.REGISTERED:
        what = f"registered in {e.to_stage.value if e.to_stage else '?'}"
    else:
        what = e.kind.value
    return f"{change.model}@{change.version} {what}"


def _where(cc: CommitChanges) -> str:
    return f"commit {cc.entry.sha[:12]} ({cc.entry.subject!r})"


def _recorded(cc: CommitChanges) -> CommitRecord | None:
    return cc.record.record if cc.record is not None else None


def _as_judged(repo: Path | str, cc: CommitChanges) -> list[Finding]:
    """What the reconciler and main's state invariants find on the commit, reviews aside."""
    judgement = judge_commit(repo, cc.entry, cc.base, cc.head, cc.events, None, cc.changed)
    return audit_findings(cc.entry, [f for f in judgement.findings if f.rule not in REVIEW_RULES])


def _line(cc: CommitChanges, path: str) -> int:
    return cc.head.line_of(path, ("spec", "stage")) if path in cc.head.entries else 1


def _approval_findings(cc: CommitChanges) -> list[Finding]:
    """Registrations and stage changes without their tags or their approved PR."""
    record = _recorded(cc)
    blocked = record is not None and record.verdict == "blocked"
    findings = []
    for change in cc.changes:
        stage_change = change.event.kind is EventKind.STAGE_CHANGED
        path = change.event.path
        if blocked and stage_change:
            why = record.findings[0]["rule"] if record and record.findings else "blocked"
            findings.append(
                rule("GF301").finding(
                    path,
                    _line(cc, path),
                    f"{describe(change)} in {_where(cc)} went in without an approved pull "
                    f"request: apply recorded the commit as blocked ({why}) and tagged nothing",
                )
            )
        elif not change.tagged and not blocked:
            missing = [p.action.value for p in change.planned if not _has(change, p)]
            findings.append(
                rule("GF300").finding(
                    path,
                    _line(cc, path),
                    f"{describe(change)} in {_where(cc)} has no audit tag "
                    f"({', '.join(missing)} missing): pushed without a reviewed PR, "
                    "or gfops apply did not run",
                )
            )
        elif stage_change and not change.approved and change.tagged:
            pr = change.pr
            why = "no pull request" if pr is None else f"PR #{pr} without the approvals"
            have = ", ".join(change.approvers) or "none"
            findings.append(
                rule("GF301").finding(
                    path,
                    _line(cc, path),
                    f"{describe(change)} in {_where(cc)} went in with {why} "
                    f"(counted approvers: {have})",
                )
            )
    return findings


def _has(change: Change, planned: Planned) -> bool:
    have = {t.record.identity() for t in change.tags if t.record is not None}
    return planned.identity(change.entry.sha) in have


def _governed_findings(cc: CommitChanges, paths: Iterable[str]) -> list[Finding]:
    """Governed paths changed without an approved pull request (per the commit record)."""
    record = _recorded(cc)
    if record is not None and record.approved:
        return []
    if record is None:
        why = "apply never recorded it"
    elif record.pr is None:
        why = "no pull request"
    else:
        why = f"PR #{record.pr}, recorded as {record.verdict} and not approved"
    return [
        rule("GF309").finding(path, 1, f"{path} changed in {_where(cc)} with {why}")
        for path in paths
    ]


def commit_findings(repo: Path | str, commits: Iterable[CommitChanges]) -> list[Finding]:
    """Every finding about main's commits as changes and states, oldest first."""
    findings = []
    for cc in commits:
        findings += _as_judged(repo, cc)
        if cc.entry.first_parent is None:
            continue  # genesis: nothing could have approved it, nothing needed to
        flagged = [c.event.path for c in cc.changes]
        cc.head.prefetch(flagged)  # line numbers cost a parse each: read them in one call
        findings += _approval_findings(cc)
        findings += _governed_findings(cc, governed_paths(cc.base, cc.changed))
    return findings
