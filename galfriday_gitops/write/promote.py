"""Promote a model version: a one-line change of ``spec.stage`` on a branch, as a pull request.

The plan is computed from the base revision (:mod:`galfriday_gitops.write.plan`); the PR
body shows the reconciler's own verdict on the proposed commit
(:mod:`galfriday_gitops.write.preview`); writing goes through the one idempotent PR upsert
(:func:`galfriday_gitops.write.propose.propose`: private index, never the user's work tree
or current branch).

When the target stage has ``capacity: 1`` and a ``previousHolder`` in the one policy that
governs the model, the version that holds it now moves to the previous-holder stage in the
same commit, so the head state passes the capacity rule.

Canary: ``--traffic PERCENT`` sets the share the canary serves (``spec.rollout``); it is
required to enter canary, and with a version already in canary it ramps the share (the
same stage, a new percentage). Leaving canary removes the share (:mod:`.plan`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops.errors import UserError
from galfriday_gitops.resources import ModelStage, ModelVersion
from galfriday_gitops.write.plan import (
    Move,
    Plan,
    base_state,
    build_plan,
    check_traffic,
    get_version,
    parse_stage,
    previous_holder_stage,
)
from galfriday_gitops.write.propose import Proposed, forge_for, propose_plan

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.forge.base import Forge


@dataclass(frozen=True)
class PromoteRequest:
    """``gfops promote NAME VERSION STAGE``, by the CLI's own words."""

    name: str
    version: str
    stage: ModelStage | str
    base: str = "main"
    also_move: Mapping[str, ModelStage | str] = field(default_factory=dict)
    keep_holder: bool = False  # do not move the stage's current holder (previousHolder)
    traffic: float | None = None  # canary share in percent (spec.rollout.trafficPercent)
    open_pr: bool = False  # push the branch and open or update the pull request
    remote: str = "origin"


def plan_promotion(
    repo: Path,
    name: str,
    version: str,
    stage: ModelStage,
    *,
    base: str = "main",
    also_move: Mapping[str, ModelStage | str] | None = None,
    move_previous_holder: bool = True,
    today: dt.date | None = None,
    traffic: float | None = None,
) -> Plan:
    """Everything ``gfops promote`` will change, computed from ``base``; refuses bad requests."""
    today = today or dt.datetime.now(dt.UTC).date()
    if traffic is not None:
        check_traffic(traffic)
        if stage is not ModelStage.CANARY:
            raise UserError(f"--traffic is the canary's share; {stage.value} takes none")
    state = base_state(repo, name, base)
    target = get_version(state, name, version, base)
    why = _why(target, stage, traffic, base)
    moves = [Move(target, state.path_of(target), target.stage, stage, why)]
    explicit = {v: parse_stage(s) for v, s in (also_move or {}).items()}
    if version in explicit:
        raise UserError(f"--also-move names {version}, the version being promoted")
    holder_stage = previous_holder_stage(state.policy_for(target), stage)
    ramp = target.stage is stage  # a canary's new share: the stage's holder is itself
    if move_previous_holder and holder_stage is not None and not ramp:
        for holder in state.in_stage(name, stage):
            explicit.setdefault(holder.version, holder_stage)
    for other, other_stage in sorted(explicit.items()):
        found = get_version(state, name, other, base)
        if found.stage is other_stage:
            raise UserError(f"{found.ref} is already in {other_stage.value} at {base}")
        why = (
            f"previous holder of {stage.value} (policy: previousHolder {holder_stage.value})"
            if holder_stage is other_stage and found.stage is stage
            else "requested with --also-move"
        )
        moves.append(Move(found, state.path_of(found), found.stage, other_stage, why))
    return build_plan(state, base, moves, today=today, traffic=traffic)


def _why(target: ModelVersion, stage: ModelStage, traffic: float | None, base: str) -> str:
    """Why the requested move is made; refuses one that changes nothing."""
    if target.stage is not stage:
        return "requested" if traffic is None else f"requested, {traffic:g}% of traffic"
    rollout = target.spec.rollout
    if stage is not ModelStage.CANARY or traffic is None:
        raise UserError(f"{target.ref} is already in {stage.value} at {base}")
    if rollout is not None and rollout.traffic_percent == traffic:
        raise UserError(f"{target.ref} already serves {traffic:g}% as canary at {base}")
    before = f"{rollout.traffic_percent:g}%" if rollout is not None else "no share"
    return f"canary traffic {before} -> {traffic:g}%"


def branch_for_promotion(plan: Plan) -> str:
    m = plan.primary
    return f"galfriday/promote/{plan.name}-{m.version.version}-{m.to_stage.value}"


def promote(
    repo: Path,
    request: PromoteRequest,
    *,
    forge: Forge | None = None,
    actions: ActionsEnv | None = None,
    now: dt.datetime | None = None,
) -> Proposed:
    """Plan the promotion at ``request.base``, preview it with the reconciler, propose it."""
    from galfriday_gitops.report.proposal import promotion_body, promotion_title

    client = forge_for(request.open_pr, forge, actions)  # fail before anything is written
    plan = plan_promotion(
        repo,
        request.name,
        request.version,
        parse_stage(request.stage),
        base=request.base,
        also_move=request.also_move,
        move_previous_holder=not request.keep_holder,
        today=now.date() if now else None,
        traffic=request.traffic,
    )
    return propose_plan(
        repo,
        plan,
        branch=branch_for_promotion(plan),
        title=promotion_title(plan),
        body=lambda verdict: promotion_body(plan, verdict),
        forge=client,
        remote=request.remote if request.open_pr else None,
        now=now,
    )
