"""Roll production back: a pull request that restores the previous production version.

The previous version is read from history (the production version before the current
one along the base branch's first-parent history); ``--to`` overrides it. The current
production version moves to the production stage's ``previousHolder`` (``deprecated``
when the policy names none), not to ``staging``: a version pulled from production for
cause should stop being a promotion candidate, while ``deprecated -> production`` keeps
the rollback itself reversible by another rollback. It gets a ``spec.deprecation``
whose reason carries the evidence; the restored version loses its deprecation, so
lifecycle automation cannot retire the version that now serves. ``--demote-to``
chooses another stage (e.g. ``staging`` to iterate on a fix).

The branch is ``galfriday/rollback/<name>``: a second run replaces its commit and
updates the same pull request.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from galfriday_gitops.errors import UserError
from galfriday_gitops.load.history import (
    ProductionPeriod,
    previous_production_version,
)
from galfriday_gitops.load.history import production_periods as production_history_from_manifests
from galfriday_gitops.resources import ModelStage
from galfriday_gitops.write.promote import (
    MARKER,
    Move,
    Plan,
    base_state,
    build_plan,
    checks_markdown,
    get_version,
    moves_table,
    policy_for,
)

_NOT_RESTORABLE = (ModelStage.RETIRED, ModelStage.ARCHIVED)


def plan_rollback(
    repo: Path,
    name: str,
    *,
    to: str | None = None,
    base: str = "main",
    reason: str | None = None,
    demote_to: ModelStage | None = None,
    today: dt.date | None = None,
) -> tuple[Plan, list[ProductionPeriod]]:
    """The rollback change computed at ``base``, and the production history it was based on."""
    today = today or dt.datetime.now(dt.UTC).date()
    state = base_state(repo, name, base)
    live = state.in_stage(name, ModelStage.PRODUCTION)
    if not live:
        raise UserError(
            f"{name} has no version in production at {base}; "
            "nothing to roll back (use gfops promote)"
        )
    if len(live) > 1:
        shown = ", ".join(v.version for v in live)
        raise UserError(f"{name} has {len(live)} versions in production at {base} ({shown})")
    current = live[0]
    periods = production_history_from_manifests(repo, name, base)
    from_history = to is None
    if to is None:
        to = previous_production_version(periods, current.version)
        if to is None:
            raise UserError(
                f"no earlier production version of {name} in {base}'s first-parent history; "
                "pass --to VERSION"
            )
    target = get_version(state, name, to, base)
    if target.version == current.version:
        raise UserError(f"{target.ref} is the version in production now")
    if target.stage in _NOT_RESTORABLE:
        raise UserError(
            f"{target.ref} is {target.stage.value} at {base} and cannot be restored; "
            "pass --to with another version"
        )
    policy = policy_for(state, current)
    rules = policy.spec.stages.get(ModelStage.PRODUCTION) if policy is not None else None
    out_stage = demote_to or (rules.previous_holder if rules else None) or ModelStage.DEPRECATED
    if out_stage is ModelStage.PRODUCTION:
        raise UserError("--demote-to must be a stage other than production")
    evidence = f"rolled back to {target.version}" + (f": {reason}" if reason else "")
    moves = [
        Move(
            target,
            f"models/{name}/{target.version}.yaml",
            target.stage,
            ModelStage.PRODUCTION,
            "restored: production before it, per history" if from_history else "restored (--to)",
        ),
        Move(
            current,
            f"models/{name}/{current.version}.yaml",
            ModelStage.PRODUCTION,
            out_stage,
            "rolled back",
        ),
    ]
    plan = build_plan(state, base, moves, today=today, reasons={current.version: evidence})
    return plan, periods


def branch_for_rollback(name: str) -> str:
    return f"galfriday/rollback/{name}"


def rollback_title(plan: Plan) -> str:
    return f"Roll back {plan.name} to {plan.primary.version.version}"


def rollback_body(plan: Plan, periods: list[ProductionPeriod], reason: str | None) -> str:
    restored, pulled = plan.moves[0], plan.moves[1]
    lines = [
        f"## {rollback_title(plan)}",
        "",
        f"Production goes back from `{pulled.version.ref}` to `{restored.version.ref}`; "
        f"`{pulled.version.version}` moves to {pulled.to_stage.value} "
        f"(base `{plan.base_rev}` {plan.base_commit[:12]}).",
        "",
        "### Evidence",
        "",
        reason.strip() if reason and reason.strip() else "_No reason given (`--reason`)._",
        "",
        moves_table(plan),
        "",
        f"### Production history of `{plan.name}` (first-parent, from the manifests)",
        "",
        "| since | commit | in production | subject |",
        "| --- | --- | --- | --- |",
    ]
    for period in reversed(periods):
        shown = ", ".join(period.versions) or "none"
        subject = period.subject.replace("|", "\\|")
        lines.append(f"| {period.date} | {period.commit[:12]} | {shown} | {subject} |")
    lines += [
        "",
        checks_markdown(plan),
        "",
        "_Opened by `gfops rollback`; the reconciler's comment gives the verdict._",
        MARKER,
    ]
    return "\n".join(lines)
