"""Rules fed by pull request reviews: approvals per target stage, changes requested,
the guard on policy and workflow changes, and failing closed without review data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import Event, EventKind
from galfriday_gitops.findings import Finding
from galfriday_gitops.resources import Approvals
from galfriday_gitops.rules.context import Context
from galfriday_gitops.rules.reviews import Tally, tally
from galfriday_gitops.rules.stages import entering

GUARDED = (EventKind.POLICY_CHANGED, EventKind.TEAMS_CHANGED, EventKind.WORKFLOW_CHANGED)


@dataclass(frozen=True, slots=True)
class Need:
    """One approval this change needs; the line is looked up only if it is missing."""

    file: str
    event: Event | None  # the stage change (its stage line), or None for guarded paths
    what: str
    requirement: Approvals

    def line(self, ctx: Context) -> int:
        return ctx.line(self.event, "spec", "stage") if self.event is not None else 1


def _requirements(ctx: Context) -> list[Need]:
    needed = []
    for event, version, stage in entering(ctx):
        rules = ctx.stage_rules(version, stage)
        if rules is not None and rules.approvals is not None and rules.approvals.count > 0:
            needed.append(
                Need(event.path, event, f"{version.ref} -> {stage.value}", rules.approvals)
            )
    guarded = [e for e in ctx.events if e.kind in GUARDED]
    if guarded:
        owners = sorted({o for p in ctx.base.stage_policies() for o in p.spec.owners})
        requirement = Approvals.model_validate({"count": 1, "from": owners})
        paths = ", ".join(sorted({e.path for e in guarded}))
        needed.append(Need(guarded[0].path, None, f"change to {paths}", requirement))
    return needed


def requirements(ctx: Context) -> list[Need]:
    """Every approval this change needs (computed once per context: three rules ask)."""
    if "approvals" not in ctx.memo:
        ctx.memo["approvals"] = _requirements(ctx)
    return cast(list[Need], ctx.memo["approvals"])


def tallies(ctx: Context) -> list[tuple[str, Tally]]:
    """(what, tally) per needed approval; empty without review data."""
    if ctx.reviews is None:
        return []
    return [(n.what, tally(n.requirement, ctx.reviews, ctx.teams)) for n in requirements(ctx)]


def check_review_data(ctx: Context) -> list[Finding]:
    needs = requirements(ctx)
    if ctx.reviews is not None or not needs:
        return []
    first = needs[0]
    return [
        rule("GF217").finding(
            first.file,
            first.line(ctx),
            f"{first.what} needs approvals, but no review data was given",
            hint="run in GitHub Actions with GITHUB_TOKEN, or pass --event with "
            "--reviews and --commits",
        )
    ]


def check_approvals(ctx: Context) -> list[Finding]:
    findings = []
    for need, (what, count) in zip(requirements(ctx), tallies(ctx), strict=False):
        if count.missing:
            rule_id = "GF213" if need.event is None else "GF202"
            findings.append(
                rule(rule_id).finding(
                    need.file, need.line(ctx), f"{what}: {count.describe_missing()}"
                )
            )
    return findings


def check_changes_requested(ctx: Context) -> list[Finding]:
    if ctx.reviews is None or ctx.teams is None:
        return []
    members = {m.lower() for team in ctx.teams.spec.teams.values() for m in team}
    blocking = [
        v.login
        for v in ctx.reviews
        if v.state == "CHANGES_REQUESTED" and v.login and v.login.lower() in members
    ]
    if not blocking or not ctx.events:
        return []
    return [
        rule("GF203").finding(ctx.events[0].path, 1, f"changes requested by {', '.join(blocking)}")
    ]
