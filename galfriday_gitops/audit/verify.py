"""``gfops audit verify``: does main's history agree with its audit trail, and with the gate?

Walks main's first-parent history (every commit that touched an audited path) and reports:

- each commit as a change and as state (``audit.changes``): what the gate would block
  whatever the reviews (GF308, naming the gate's rule), main's state under its own
  policies (GF206 in GF308, GF312), changes without their tags or approved PR (GF300,
  GF301), governed paths without an approved PR (GF309);
- each audit tag (``TAG_CHECKS``) and each commit record: off main (GF302), tagger
  (GF303), signature (GF304), not matching the commit's events or claiming a pull request
  the commit does not name (GF305), a broken hash chain (GF306), backdated (GF307);
- tags GTO and DVC read for a registry model that apply never writes (GF310);
- records nobody can verify: unsigned, with no allowed signers configured (GF311, exit
  status 3 when it is the only error), and allowed signers that trust the demo key (GF313,
  a warning).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.apply.apply import automation, parse_identity
from galfriday_gitops.apply.message import (
    AuditRecord,
    AuditTag,
    CommitTag,
    Identity,
    commit_records,
)
from galfriday_gitops.apply.plan import Planned, pr_number
from galfriday_gitops.apply.signing import trusts_demo_key
from galfriday_gitops.apply.tags import TagAction
from galfriday_gitops.audit.changes import commit_findings
from galfriday_gitops.audit.history import CommitChanges, audited_commits, foreign_tags
from galfriday_gitops.catalogue import rule
from galfriday_gitops.findings import Finding, Severity
from galfriday_gitops.load.history import History
from galfriday_gitops.load.state import RegistryState, load_state
from galfriday_gitops.paths import POLICIES
from galfriday_gitops.resources import Automation

TEAMS_FILE = f"{POLICIES}/teams.yaml"  # where findings about the automation point by default


def _tag_finding(rule_id: str, tag: AuditTag, message: str) -> Finding:
    return _ref_finding(rule_id, tag.ref, message)


def _ref_finding(rule_id: str, ref: gitio.TagRef, message: str, *, hint: str = "") -> Finding:
    return rule(rule_id).finding(f"refs/tags/{ref.name}", 1, f"{ref.name}: {message}", hint=hint)


def signers_path(auto: Automation) -> str:
    """The allowed-signers file: a path under ``policies/`` (given with or without it)."""
    assert auto.allowed_signers is not None
    name = auto.allowed_signers
    return name if name.startswith(POLICIES + "/") else f"{POLICIES}/{name}"


def _name_matches(tag: AuditTag, r: AuditRecord) -> bool:
    n = tag.name
    if n.action is not r.action or n.model != r.model:
        return False
    if r.action in (TagAction.REGISTER, TagAction.DEREGISTER):
        return n.version == r.version
    return n.stage == r.stage


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
    main: dict[str, gitio.LogEntry]  # each first-parent commit of rev
    by_sha: dict[str, CommitChanges]  # the commits that touched an audited path
    expected: dict[Identity, Planned]  # every tag those changes call for
    seen: dict[Identity, AuditTag] = field(default_factory=dict)  # first tag per fact
    signers: dict[tuple[str, str], bytes | None] = field(default_factory=dict)
    unverifiable: dict[str, list[str]] = field(default_factory=dict)  # teams file -> commits

    def automation(self, commit: str) -> tuple[Automation | None, CommitChanges | None]:
        """The automation configured at ``commit``'s base (the root's own for a root)."""
        source = self.by_sha.get(commit)
        teams = automation(source.base, source.head) if source is not None else None
        return (teams.spec.automation if teams is not None else None), source


# A check of one audit tag (with its parsed record): the findings it adds.
TagCheck = Callable[[AuditTag, AuditRecord, _Facts], list[Finding]]


def _check_name(tag: AuditTag, r: AuditRecord, facts: _Facts) -> list[Finding]:
    if _name_matches(tag, r):
        return []
    return [_tag_finding("GF305", tag, f"the name does not match its record ({r.summary()})")]


def _off_main(ref: gitio.TagRef, commits: Iterable[str], facts: _Facts) -> list[Finding]:
    off = [c for c in commits if c not in facts.main]
    if not off:
        return []
    return [
        _ref_finding(
            "GF302",
            ref,
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


def _claimed_pr(ref: gitio.TagRef, pr: int | None, commit: str, facts: _Facts) -> list[Finding]:
    """A record may name only the pull request its commit names (GitHub's merge or squash
    subject): a record claiming a PR for a direct push is forged, signed or not."""
    entry = facts.main[commit]
    if pr is None or pr == pr_number(entry.subject):
        return []
    return [
        _ref_finding(
            "GF305",
            ref,
            f"claims PR #{pr} for commit {commit[:12]} ({entry.subject!r}), which no merge of "
            "that pull request made (forged or edited record)",
        )
    ]


def _check_pr(tag: AuditTag, r: AuditRecord, facts: _Facts) -> list[Finding]:
    return _claimed_pr(tag.ref, r.pr, r.commit, facts)


def _check_date(tag: AuditTag, r: AuditRecord, facts: _Facts) -> list[Finding]:
    return _dated(tag.ref, (tag.ref.target, r.commit), facts)


def _dated(ref: gitio.TagRef, commits: Iterable[str], facts: _Facts) -> list[Finding]:
    newest = max(facts.main[c].time for c in commits)
    if ref.date >= newest:
        return []
    return [
        _ref_finding(
            "GF307",
            ref,
            "is dated before the commit it records "
            f"(tagger date {ref.date} < commit date {newest})",
        )
    ]


def _check_automation(tag: AuditTag, r: AuditRecord, facts: _Facts) -> list[Finding]:
    return _automation_findings(tag.ref, r.commit, facts)


def _automation_findings(ref: gitio.TagRef, commit: str, facts: _Facts) -> list[Finding]:
    """Tagger and signature, as the automation configured at the change's base asks; a
    record no signature can vouch for is counted as unverifiable."""
    auto, source = facts.automation(commit)
    if source is None:
        return []
    findings = []
    if auto is not None:
        want = parse_identity(auto.tagger)
        if want is not None and (ref.tagger_name, ref.tagger_email) != want:
            findings.append(
                _ref_finding(
                    "GF303",
                    ref,
                    f"tagged by {ref.tagger_name} <{ref.tagger_email}>, "
                    f"not the automation identity {auto.tagger}",
                )
            )
    if auto is not None and auto.allowed_signers:
        findings += _signature(facts.repo, ref, auto, source, facts.signers)
    elif auto is None or not auto.accept_unsigned:
        teams = source.base if source.base.rev is not None else source.head
        path = next((p for p, e in teams.entries.items() if e.kind == "Teams"), TEAMS_FILE)
        facts.unverifiable.setdefault(path, []).append(commit)
    return findings


# In order; a tag off main is not judged further (its commit has no facts to compare).
TAG_CHECKS: tuple[TagCheck, ...] = (
    _check_recorded_change,
    _check_pr,
    _check_date,
    _check_automation,
)


def _tag_findings(tag: AuditTag, facts: _Facts) -> list[Finding]:
    r = tag.record
    if r is None:
        return [_tag_finding("GF305", tag, f"not an audit record: {tag.error}")]
    findings = _check_name(tag, r, facts)
    off_main = _off_main(tag.ref, (tag.ref.target, r.commit), facts)
    if off_main:
        return findings + off_main
    for check in TAG_CHECKS:
        findings += check(tag, r, facts)
    return findings


def _commit_record_findings(tag: CommitTag, facts: _Facts) -> list[Finding]:
    """A commit record: readable, on main, about the commit it names, honest about its PR,
    tagged and signed as the automation asks."""
    if tag.record is None:
        return [_ref_finding("GF305", tag.ref, f"not a commit record: {tag.error}")]
    r = tag.record
    off_main = _off_main(tag.ref, (tag.ref.target, r.commit, tag.commit), facts)
    if off_main:
        return off_main
    findings = []
    if not tag.commit == r.commit == tag.ref.target:
        findings.append(
            _ref_finding(
                "GF305",
                tag.ref,
                f"names commit {tag.commit[:12]}, points at {tag.ref.target[:12]} and records "
                f"{r.commit[:12]}: a record belongs to the commit it is on",
            )
        )
    findings += _claimed_pr(tag.ref, r.pr, r.commit, facts)
    findings += _dated(tag.ref, (r.commit,), facts)
    return findings + _automation_findings(tag.ref, r.commit, facts)


def _foreign_findings(facts: _Facts, models: set[str], refs: list[gitio.TagRef]) -> list[Finding]:
    """Tags GTO and DVC read for a registry model, in a form apply never writes."""
    findings = []
    for tag in foreign_tags(facts.repo, None, refs):
        if tag.name.model not in models:
            continue
        resolves = ", ".join(tag.versions) or f"commit {tag.ref.target[:12]}"
        findings.append(
            _ref_finding(
                "GF310",
                tag.ref,
                f"GTO and DVC read it: it {tag.name.describe()} ({resolves}), with no audit "
                "record; gfops apply never writes this form (gto assign --simple? by hand?)",
                hint="delete it once accounted for; stages change through a reviewed PR",
            )
        )
    return findings


def _signing_findings(facts: _Facts, head: RegistryState) -> list[Finding]:
    """Records nobody can verify (GF311), and allowed signers that trust the demo key."""
    findings = []
    for path, commits in sorted(facts.unverifiable.items()):
        unique = list(dict.fromkeys(commits))
        findings.append(
            rule("GF311").finding(
                path,
                head.line_of(path, ("spec", "automation")) if path in head.entries else 1,
                f"{len(commits)} audit record(s) of {len(unique)} commit(s) (from "
                f"{unique[0][:12]} to {unique[-1][:12]}) cannot be verified: {path} names no "
                "allowedSigners, so anyone who can push a tag could have written them",
                hint="sign with an SSH key (docs/github-setup.md, 'Signing the audit trail'), "
                "or accept unsigned records explicitly: automation.acceptUnsigned: true",
            )
        )
    teams = head.teams()
    auto = teams.spec.automation if teams is not None else None
    if auto is not None and auto.allowed_signers and head.rev is not None:
        path = signers_path(auto)
        signers = gitio.read_blob(facts.repo, head.rev, path)
        if signers is not None and trusts_demo_key(signers):
            findings.append(
                rule("GF313").finding(
                    path,
                    1,
                    f"{path} trusts the demo signing key, whose private half is published "
                    "with galfriday-gitops: a signature by it proves nothing",
                    hint="generate the registry's own key (docs/github-setup.md)",
                )
            )
    return findings


def verify(
    repo: Path | str,
    rev: str = "main",
    *,
    walked: tuple[list[CommitChanges], list[AuditTag]] | None = None,
) -> list[Finding]:
    """Every disagreement between ``rev``'s first-parent history, the gate and the audit
    trail, oldest commit first, then the tags by name.

    ``walked`` is ``audited_commits(repo, rev)`` when the caller already has it (the site
    shows the timeline and this verdict from one walk of the history).
    """
    # Every tag is listed once (with its message) for the walk, the records and GTO's forms.
    refs = gitio.list_tags(repo, "refs/tags")
    records = commit_records(refs)
    commits, found = (
        walked if walked is not None else audited_commits(repo, rev, tags=refs, records=records)
    )
    facts = _Facts(
        repo,
        rev,
        main={e.sha: e for e in History(repo).commits(rev)},
        by_sha={cc.entry.sha: cc for cc in commits},
        expected={
            p.identity(cc.entry.sha): p
            for cc in commits
            for change in cc.changes
            for p in change.planned
        },
    )
    findings = commit_findings(repo, commits)
    for tag in sorted(found, key=lambda t: t.ref.name):
        findings += _tag_findings(tag, facts)
    findings += _chain_findings(found)
    for record in sorted(records, key=lambda t: t.ref.name):
        findings += _commit_record_findings(record, facts)
    head = commits[-1].head if commits else load_state(repo, rev)
    models = set(head.models()) | {t.name.model for t in found}
    findings += _foreign_findings(facts, models, refs)
    return findings + _signing_findings(facts, head)


def exit_status(findings: Iterable[Finding]) -> int:
    """0 no error; 3 when the only errors are unverifiable records (GF311); 1 otherwise."""
    errors = {f.rule for f in findings if f.severity is Severity.ERROR}
    if not errors:
        return 0
    return 3 if errors == {"GF311"} else 1


def _signature(
    repo: Path | str,
    ref: gitio.TagRef,
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
        return [_ref_finding("GF304", ref, f"{path} does not exist at {rev[:12]}")]
    if not ref.signed:
        return [_ref_finding("GF304", ref, f"is not signed, but {path} lists allowed signers")]
    ok, said = gitio.verify_tag_signature(repo, ref.name, signers)
    if ok:
        return []
    return [_ref_finding("GF304", ref, f"signature does not verify against {path}: {said}")]
