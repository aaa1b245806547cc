"""Rules fed by pull request reviews: approvals per target stage, changes requested,
the guard on governed paths (policies, experiments, workflows, the files that change how
registry files are read), and failing closed without review data.

Who may approve a stage change is the stage's ``approvals`` (teams, users) and, when it
says ``codeOwners: true``, the owners of the changed manifest in the base's CODEOWNERS.
A protected stage whose policy waives approvals is reported (GF222), never silently open.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import Event, EventKind
from galfriday_gitops.findings import Finding
from galfriday_gitops.paths import split_experiment_path
from galfriday_gitops.resources import Approvals, Experiment, ModelStage, StagePolicy
from galfriday_gitops.rules.context import Context
from galfriday_gitops.rules.owners import code_owner_findings, eligible_owners
from galfriday_gitops.rules.reviews import Tally, tally
from galfriday_gitops.rules.stages import entering

GUARDED = (
    EventKind.POLICY_CHANGED,
    EventKind.TEAMS_CHANGED,
    EventKind.WORKFLOW_CHANGED,
    EventKind.REPO_CONFIG_CHANGED,
)


@dataclass(frozen=True, slots=True)
class Need:
    """One approval this change needs; the line is looked up only if it is missing."""

    file: str
    event: Event | None  # the stage change (its stage line), or None for guarded paths
    what: str
    requirement: Approvals

    def line(self, ctx: Context) -> int:
        return ctx.line(self.event, "spec", "stage") if self.event is not None else 1


def _owners(policies: list[StagePolicy]) -> Approvals:
    """One approval from the owners of ``policies`` (nobody's, when there is none)."""
    owners = sorted({o for p in policies for o in p.spec.owners})
    return Approvals.model_construct(count=1, from_=owners, users=[], code_owners=False)


def _experiment_requirement(ctx: Context, experiment: Experiment | None) -> Approvals:
    """The approvers of a change to an experiment: its model's policy's experimentApprovals,
    else that policy's owners; the owners of every policy when the model has no one policy."""
    policies: list[StagePolicy] = []
    if experiment is not None:
        for version in ctx.base.versions_of(experiment.spec.model):
            policies += [p for p in ctx.policies(version) if p not in policies]
    if len(policies) != 1:
        return _owners(ctx.base.stage_policies())
    return policies[0].spec.experiment_approvals or _owners(policies)


def _experiment_needs(ctx: Context) -> list[Need]:
    needs = []
    for event in ctx.events:
        if event.kind is not EventKind.EXPERIMENT_CHANGED:
            continue
        name = event.name or split_experiment_path(event.path)
        experiment = (ctx.base.experiment(name) or ctx.head.experiment(name)) if name else None
        requirement = _experiment_requirement(ctx, experiment)
        needs.append(Need(event.path, None, f"change to {event.path}", requirement))
    return needs


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
        paths = ", ".join(sorted({e.path for e in guarded}))
        needed.append(
            Need(guarded[0].path, None, f"change to {paths}", _owners(ctx.base.stage_policies()))
        )
    return needed + _experiment_needs(ctx)


def requirements(ctx: Context) -> list[Need]:
    """Every approval this change needs (computed once per context: three rules ask)."""
    if "approvals" not in ctx.memo:
        ctx.memo["approvals"] = _requirements(ctx)
    return cast(list[Need], ctx.memo["approvals"])


def tallies(ctx: Context) -> list[tuple[str, Tally]]:
    """(what, tally) per needed approval; empty without review data."""
    if ctx.reviews is None:
        return []
    out = []
    for need in requirements(ctx):
        extra = eligible_owners(ctx, need.file) if need.requirement.code_owners else None
        out.append((need.what, tally(need.requirement, ctx.reviews, ctx.teams, extra)))
    return out


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


# Entering these is always reported when it needs no approval, even by a policy that no
# longer lists them in protectedStages.
ALWAYS_REPORTED = (ModelStage.CANARY, ModelStage.PRODUCTION)


def check_waived(ctx: Context) -> list[Finding]:
    """A note for every entry into a protected stage that needs no approval, saying why."""
    findings = []
    for event, version, stage in entering(ctx):
        policy = ctx.policy(version)
        if policy is None or event.kind is EventKind.REGISTERED:
            continue
        rules = ctx.stage_rules(version, stage)
        if rules is not None and rules.approvals is not None:
            continue
        if rules is not None and rules.approvals_waived is not None:
            why = f"approvalsWaived: {rules.approvals_waived}"
        elif stage in ALWAYS_REPORTED and stage not in policy.spec.protected_stages:
            why = "the policy's protectedStages leaves it out"
        else:
            continue
        findings.append(
            rule("GF222").finding(
                event.path,
                ctx.line(event, "spec", "stage"),
                f"{version.ref} enters {stage.value} with no approval: policy "
                f"{policy.metadata.name} waives them ({why})",
            )
        )
    return findings


def check_code_owners(ctx: Context) -> list[Finding]:
    """CODEOWNERS problems that matter to this change (see :mod:`rules.owners`)."""
    wanted = any(n.requirement.code_owners for n in requirements(ctx))
    return code_owner_findings(ctx, used=wanted)


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
