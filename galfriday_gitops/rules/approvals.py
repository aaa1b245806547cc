"""Rules fed by pull request reviews: approvals per target stage, changes requested,
the guard on policy and workflow changes, and failing closed without review data."""

from __future__ import annotations

from galfriday_gitops.diff.events import EventKind
from galfriday_gitops.findings import Finding
from galfriday_gitops.resources import Approvals
from galfriday_gitops.rules.catalogue import rule
from galfriday_gitops.rules.context import Context
from galfriday_gitops.rules.reviews import Tally, tally
from galfriday_gitops.rules.stages import entering

GUARDED = (EventKind.POLICY_CHANGED, EventKind.TEAMS_CHANGED, EventKind.WORKFLOW_CHANGED)


def requirements(ctx: Context) -> list[tuple[str, int, str, Approvals]]:
    """(file, line, what, requirement) for every approval this change needs."""
    needed = []
    for event, version, stage in entering(ctx):
        rules = ctx.stage_rules(version, stage)
        if rules is not None and rules.approvals is not None and rules.approvals.count > 0:
            line = ctx.line(event, "spec", "stage")
            needed.append((event.path, line, f"{version.ref} -> {stage.value}", rules.approvals))
    guarded = [e for e in ctx.events if e.kind in GUARDED]
    if guarded:
        owners = sorted({o for p in ctx.base.stage_policies() for o in p.spec.owners})
        requirement = Approvals.model_validate({"count": 1, "from": owners})
        paths = ", ".join(sorted({e.path for e in guarded}))
        needed.append((guarded[0].path, 1, f"change to {paths}", requirement))
    return needed


def tallies(ctx: Context) -> list[tuple[str, int, str, Tally]]:
    if ctx.reviews is None:
        return []
    return [
        (file, line, what, tally(req, ctx.reviews, ctx.teams))
        for file, line, what, req in requirements(ctx)
    ]


def check_review_data(ctx: Context) -> list[Finding]:
    if ctx.reviews is not None or not requirements(ctx):
        return []
    file, line, what, _ = requirements(ctx)[0]
    return [
        rule("GF217").finding(
            file,
            line,
            f"{what} needs approvals, but no review data was given",
            hint="run in GitHub Actions with GITHUB_TOKEN, or pass --event with "
            "--reviews and --commits",
        )
    ]


def check_approvals(ctx: Context) -> list[Finding]:
    findings = []
    for file, line, what, count in tallies(ctx):
        if count.missing:
            rule_id = "GF213" if what.startswith("change to ") else "GF202"
            findings.append(
                rule(rule_id).finding(file, line, f"{what}: {count.describe_missing()}")
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
