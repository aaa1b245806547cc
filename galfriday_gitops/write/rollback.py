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

The branch is ``galfriday/rollback/<name>``: a second run with another change replaces
its commit, and either way updates the same pull request. The PR body holds the
reconciler's own verdict on the proposed commit (a version that served before is exempt
from the experiment gate, GF212, so an emergency rollback is not blocked by it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops.errors import UserError
from galfriday_gitops.load.history import (
    ProductionPeriod,
    previous_production_version,
    production_periods,
)
from galfriday_gitops.resources import ModelStage, ModelVersion
from galfriday_gitops.write.plan import (
    Move,
    Plan,
    base_state,
    build_plan,
    get_version,
    parse_stage,
)
from galfriday_gitops.write.propose import Proposed, forge_for, propose_plan

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.forge.base import Forge
    from galfriday_gitops.load.state import RegistryState

_NOT_RESTORABLE = (ModelStage.RETIRED, ModelStage.ARCHIVED)


@dataclass(frozen=True)
class RollbackRequest:
    """``gfops rollback NAME``, by the CLI's own words."""

    name: str
    to: str | None = None  # default: the production version before, by history
    base: str = "main"
    reason: str | None = None  # the evidence (kept in the pulled version's deprecation)
    demote_to: ModelStage | str | None = None  # default: previousHolder, else deprecated
    open_pr: bool = False
    remote: str = "origin"


def _current(state: RegistryState, name: str, base: str) -> ModelVersion:
    live = state.in_stage(name, ModelStage.PRODUCTION)
    if not live:
        raise UserError(
            f"{name} has no version in production at {base}; "
            "nothing to roll back (use gfops promote)"
        )
    if len(live) > 1:
        shown = ", ".join(v.version for v in live)
        raise UserError(f"{name} has {len(live)} versions in production at {base} ({shown})")
    return live[0]


def _target(
    state: RegistryState,
    name: str,
    to: str | None,
    base: str,
    current: ModelVersion,
    periods: list[ProductionPeriod],
) -> ModelVersion:
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
    return target


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
    current = _current(state, name, base)
    periods = production_periods(repo, name, base)
    target = _target(state, name, to, base, current, periods)
    policy = state.policy_for(current)
    rules = policy.spec.stages.get(ModelStage.PRODUCTION) if policy is not None else None
    out_stage = demote_to or (rules.previous_holder if rules else None) or ModelStage.DEPRECATED
    if out_stage is ModelStage.PRODUCTION:
        raise UserError("--demote-to must be a stage other than production")
    evidence = f"rolled back to {target.version}" + (f": {reason}" if reason else "")
    why = "restored: production before it, per history" if to is None else "restored (--to)"
    moves = [
        Move(target, state.path_of(target), target.stage, ModelStage.PRODUCTION, why),
        Move(current, state.path_of(current), ModelStage.PRODUCTION, out_stage, "rolled back"),
    ]
    plan = build_plan(state, base, moves, today=today, reasons={current.version: evidence})
    return plan, periods


def branch_for_rollback(name: str) -> str:
    return f"galfriday/rollback/{name}"


def propose_rollback(
    repo: Path,
    plan: Plan,
    periods: list[ProductionPeriod],
    evidence: str | None,
    *,
    forge: Forge | None,
    remote: str | None,
    now: dt.datetime | None = None,
) -> Proposed:
    """Preview and propose a planned rollback (``gfops rollback``, the lifecycle job)."""
    from galfriday_gitops.report.proposal import rollback_body, rollback_title

    return propose_plan(
        repo,
        plan,
        branch=branch_for_rollback(plan.name),
        title=rollback_title(plan),
        body=lambda verdict: rollback_body(plan, periods, evidence, verdict),
        forge=forge,
        remote=remote,
        now=now,
    )


def rollback(
    repo: Path,
    request: RollbackRequest,
    *,
    forge: Forge | None = None,
    actions: ActionsEnv | None = None,
    now: dt.datetime | None = None,
) -> Proposed:
    """Plan the rollback at ``request.base``, preview it with the reconciler, propose it."""
    client = forge_for(request.open_pr, forge, actions)  # fail before anything is written
    plan, periods = plan_rollback(
        repo,
        request.name,
        to=request.to,
        base=request.base,
        reason=request.reason,
        demote_to=parse_stage(request.demote_to) if request.demote_to else None,
        today=now.date() if now else None,
    )
    remote = request.remote if request.open_pr else None
    return propose_rollback(
        repo, plan, periods, request.reason, forge=client, remote=remote, now=now
    )
