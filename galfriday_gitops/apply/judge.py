"""The audit's judgement of one first-parent commit: what the gate would say, and more.

Three questions, each asked of the one engine (no rule is re-derived here):

1. **The change**, as the gate judges a pull request: the reconciler on first parent ->
   commit with the reviews of the pull request that made it (none for a direct push, so
   any approval it needed fails closed), the base's policies, the commit's time.
2. **Main's state** after it, under the policies now in force (``rules.state``): capacity
   and the stage graph, for the models the commit touched (all of them when it changed
   the policies). A lowered capacity or a dropped stage is caught where it lands.
3. **Governed paths** (``paths.governed``, a registered version's ``.dvc`` files): changed
   without any pull request, which no approval can have covered (GF309).

A root commit is the registry's *genesis*: there was no main to protect, nothing to judge
it by. It is recorded as such, never as approved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.apply.message import policy_digest
from galfriday_gitops.catalogue import RULES, Phase, phase_of, rule
from galfriday_gitops.diff.events import Event, EventKind
from galfriday_gitops.diff.governed import why_governed
from galfriday_gitops.findings import Finding, Severity
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.paths import governed, split_artifact_path
from galfriday_gitops.rules import approvals
from galfriday_gitops.rules.context import Context
from galfriday_gitops.rules.engine import Verdict, context_for, judge
from galfriday_gitops.rules.reviews import PullRequestFacts
from galfriday_gitops.rules.state import state_findings

# The reconciler's rules that decide whether a PR was approved as its base policy asks.
APPROVAL_RULES = ("GF202", "GF213", "GF217")
_POLICY_EVENTS = (EventKind.POLICY_CHANGED, EventKind.TEAMS_CHANGED)


@dataclass(frozen=True, slots=True)
class Judgement:
    """The audit's view of one commit, as its records carry it."""

    pr: int | None
    verdict: str  # allowed | blocked | genesis
    rules: dict[str, str]
    digest: str
    needed: dict[str, int]  # "name@version -> stage" (or "change to <paths>") -> approvals
    approvers: dict[str, tuple[str, ...]]  # same key -> counted approvers
    counted: tuple[str, ...]  # every counted approval of the PR
    approved: bool  # a PR, every approval it needed was given, and nothing blocks it
    findings: tuple[Finding, ...] = ()  # the errors that block it
    governed: tuple[str, ...] = ()  # governed paths it changed

    @property
    def blocked(self) -> bool:
        return self.verdict == "blocked"


def governed_paths(base: RegistryState, changed: Iterable[str]) -> list[str]:
    """The governed paths among ``changed``: policies, experiments, workflows, git
    attributes, and the ``.dvc`` files of versions registered before the commit."""
    out = []
    for path in changed:
        artifact = split_artifact_path(path)
        registered = (
            artifact is not None and path.endswith(".dvc") and base.get(*artifact) is not None
        )
        if _governed(path) or registered:
            out.append(path)
    return out


def _governed(path: str) -> bool:
    """The paths GF213 governs in a pull request (``diff.governed``: CODEOWNERS, ``.dvc/``,
    ``.dvcignore``, ``.gto``, the toolkit's code, besides ``paths.governed``'s folders), so
    a direct push to one is GF309 as a pull request changing it needs the owners."""
    return governed(path) or why_governed(path) is not None


def touched_models(base: RegistryState, head: RegistryState, events: Sequence[Event]) -> set[str]:
    """The models whose state a commit may have changed: those of its events, or every
    model when it changed the policies or teams."""
    if any(e.kind in _POLICY_EVENTS for e in events):
        return set(head.models()) | set(base.models())
    return {e.name for e in events if e.name is not None}


def genesis(
    repo: Path | str, entry: gitio.LogEntry, head: RegistryState, changed: Sequence[str]
) -> Judgement:
    """A root commit: recorded, never approved, not judged as a change (there was no base);
    its state must still hold under its own policies (reported, its tags still written)."""
    state = [f for f in state_findings(head, head.models()) if f.severity is Severity.ERROR]
    return Judgement(
        pr=None,
        verdict="genesis",
        rules={},
        digest=policy_digest(repo, entry.sha),
        needed={},
        approvers={},
        counted=(),
        approved=False,
        findings=tuple(state),
        governed=tuple(p for p in changed if _governed(p)),
    )


def judge_commit(
    repo: Path | str,
    entry: gitio.LogEntry,
    base: RegistryState,
    head: RegistryState,
    events: list[Event],
    pull: PullRequestFacts | None,
    changed: Sequence[str] = (),
) -> Judgement:
    """Judge one first-parent commit: the gate's rules with its base's policies as of its
    commit time, main's state after it, and its governed paths (``changed``: every path
    it changed)."""
    if entry.first_parent is None:
        return genesis(repo, entry, head, changed)
    when = dt.datetime.fromtimestamp(entry.time, dt.UTC)
    ctx = context_for(repo, base, head, events, pull, when, changed or None)
    gate = judge(ctx)
    tallies = approvals.tallies(ctx)
    verdict = Verdict(base.rev or "", entry.sha, events, gate, ctx.reviews, tallies)
    # Only the gate rules, each by id (the record has never carried the "schema" summary).
    rules = {k: v for k, v in verdict.rule_status().items() if phase_of(k) is Phase.GATE}
    paths = governed_paths(base, changed)
    errors = [f for f in gate if f.severity is Severity.ERROR]
    if pull is None:  # no merged pull request made it: say that, not "no review data"
        errors = [f for f in errors if f.rule != "GF217"] + _direct_push(ctx, paths)
    errors += state_findings(head, touched_models(base, head, events))
    errors = list(dict.fromkeys(errors))  # the state's GF206 may repeat the gate's
    approved = pull is not None and all(rules.get(r) == "passed" for r in APPROVAL_RULES)
    return Judgement(
        pr=pull.number if pull is not None else None,
        verdict="blocked" if errors else "allowed",
        rules=rules,
        digest=policy_digest(repo, base.rev),
        needed={n.what: n.requirement.count for n in approvals.requirements(ctx)},
        approvers={what: t.approvers for what, t in tallies},
        counted=tuple(v.login for v in ctx.reviews or () if v.approves and v.login),
        approved=approved and not errors,
        findings=tuple(errors),
        governed=tuple(paths),
    )


def _direct_push(ctx: Context, paths: Sequence[str]) -> list[Finding]:
    """What a commit no pull request made cannot have: the approvals its stage changes
    needed (GF301), any change to a governed path (GF309)."""
    out = [
        rule("GF301").finding(
            need.file,
            need.line(ctx),
            f"{need.what} needs {need.requirement.count} approval(s), and no merged pull "
            "request made this commit (a direct push): nothing approved it",
        )
        for need in approvals.requirements(ctx)
        if need.event is not None
    ]
    return out + [rule("GF309").finding(p, 1, f"{p} changed without a pull request") for p in paths]


def audit_findings(entry: gitio.LogEntry, findings: Iterable[Finding]) -> list[Finding]:
    """The findings that block a commit, as the audit reports them: each names the commit;
    a rule of the gate becomes GF308 (blocked-change) naming that rule."""
    where = f"commit {entry.sha[:12]} ({entry.subject!r})"
    why = "landed on main, but the gate blocks it" if entry.first_parent else (
        "is the registry's genesis, and main's state after it fails"
    )  # fmt: skip
    out = []
    for f in findings:
        if phase_of(f.rule) is Phase.AUDIT:
            out.append(rule(f.rule).finding(f.file, f.line, f"{where}: {f.message}", hint=f.hint))
        else:
            name = RULES[f.rule].name if f.rule in RULES else "schema"
            out.append(
                rule("GF308").finding(
                    f.file,
                    f.line,
                    f"{where} {why}: {f.rule} {name}: {f.message}",
                    hint=f.hint,
                )
            )
    return out
