"""Deprecate a model version: ``spec.stage: deprecated`` plus ``spec.deprecation``, as a PR.

The change is computed at the base revision, judged by the policies there (what the
reconciler will use): the StagePolicy must allow the transition into ``deprecated``, and
when the LifecyclePolicy sets ``requireReplacement`` the replacement must be another
version of the same model that is live (canary or production) at base. Both are refused
here, before a branch exists; the reconciler checks the replacement again on the pull
request (rule GF216), so a hand-written deprecation cannot skip it, and the PR body shows
the reconciler's own verdict on the proposed commit.

End of life is today + ``--grace-days`` (default: the policy's ``gracePeriodDays``). The
edit goes through the round-trip helpers: the stage line changes in place and the
deprecation block is added, every comment of the manifest kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops.errors import UserError
from galfriday_gitops.resources import ModelStage, ModelVersion
from galfriday_gitops.write.edit import set_mapping, set_scalar
from galfriday_gitops.write.plan import (
    Move,
    Plan,
    base_state,
    checked,
    deprecation_block,
    get_version,
    grace_days,
)
from galfriday_gitops.write.propose import Proposed, forge_for, propose_plan

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.forge.base import Forge
    from galfriday_gitops.load.state import RegistryState

_ALREADY = (ModelStage.DEPRECATED, ModelStage.RETIRED, ModelStage.ARCHIVED)


@dataclass(frozen=True)
class DeprecateRequest:
    """``gfops deprecate NAME VERSION --reason ...``, by the CLI's own words."""

    name: str
    version: str
    reason: str
    replacement: str | None = None
    grace_days: int | None = None  # default: the LifecyclePolicy's gracePeriodDays
    base: str = "main"
    open_pr: bool = False
    remote: str = "origin"


def _checked_reason(reason: str, grace: int | None) -> str:
    reason = reason.strip()
    if not reason:
        raise UserError("--reason must say why the version is deprecated")
    if len(reason) > 200:
        raise UserError(f"--reason is {len(reason)} characters; at most 200 fit the manifest")
    if grace is not None and grace < 1:
        raise UserError("--grace-days must be at least 1")
    return reason


def _check_transition(state: RegistryState, target: ModelVersion, base: str) -> None:
    if target.stage in _ALREADY:
        raise UserError(f"{target.ref} is already {target.stage.value} at {base}")
    policy = state.policy_for(target)
    allowed = policy.spec.transitions.get(target.stage, []) if policy is not None else None
    if allowed is not None and ModelStage.DEPRECATED not in allowed:
        assert policy is not None
        shown = ", ".join(s.value for s in allowed) or "nothing"
        raise UserError(
            f"policy {policy.metadata.name!r} does not allow {target.stage.value} -> "
            f"deprecated (from {target.stage.value}: {shown})"
        )


def _check_replacement(
    state: RegistryState, target: ModelVersion, replacement: str | None, base: str
) -> None:
    lifecycle = state.lifecycle_policy()
    required = lifecycle is not None and lifecycle.spec.deprecation.require_replacement
    live = [
        v for v in state.versions_of(target.name) if v.stage.is_live and v.version != target.version
    ]
    live_shown = ", ".join(f"{v.version} ({v.stage.value})" for v in live) or "none"
    if replacement is None:
        if required:
            raise UserError(
                f"the LifecyclePolicy requires a live replacement: pass --replacement VERSION "
                f"(live versions of {target.name} at {base}: {live_shown})"
            )
        return
    found = get_version(state, target.name, replacement, base)
    if found.version == target.version:
        raise UserError("--replacement must be another version than the one deprecated")
    if required and not found.stage.is_live:
        raise UserError(
            f"the LifecyclePolicy requires a live replacement; {found.ref} is "
            f"{found.stage.value} at {base} (live versions: {live_shown})"
        )


def plan_deprecation(
    repo: Path,
    name: str,
    version: str,
    *,
    reason: str,
    replacement: str | None = None,
    grace: int | None = None,
    base: str = "main",
    today: dt.date | None = None,
) -> Plan:
    """Everything ``gfops deprecate`` changes, computed at ``base``; refuses bad requests."""
    today = today or dt.datetime.now(dt.UTC).date()
    reason = _checked_reason(reason, grace)
    state = base_state(repo, name, base)
    target = get_version(state, name, version, base)
    _check_transition(state, target, base)
    _check_replacement(state, target, replacement, base)
    days = grace if grace is not None else grace_days(state)
    path = state.path_of(target)
    assert state.rev is not None
    raw = state.raw(path)
    if raw is None:
        raise UserError(f"{path} is missing at {base}")
    new = edit_deprecation(raw, reason, replacement, today + dt.timedelta(days=days), today)
    why = f"deprecated: {reason}" + (f" (replacement {replacement})" if replacement else "")
    move = Move(target, path, target.stage, ModelStage.DEPRECATED, why)
    return Plan(name, base, state.rev, [move], {path: checked(path, new)})


def edit_deprecation(
    raw: bytes, reason: str, replacement: str | None, end_of_life: dt.date, today: dt.date
) -> bytes:
    """The manifest with ``stage: deprecated`` and a fresh ``spec.deprecation``."""
    new = set_scalar(raw, ("spec", "stage"), ModelStage.DEPRECATED.value)
    block = deprecation_block(reason, replacement, end_of_life, today)
    return set_mapping(new, ("spec", "deprecation"), block)


def branch_for_deprecation(plan: Plan) -> str:
    return f"galfriday/deprecate/{plan.name}-{plan.primary.version.version}"


def deprecate(
    repo: Path,
    request: DeprecateRequest,
    *,
    forge: Forge | None = None,
    actions: ActionsEnv | None = None,
    now: dt.datetime | None = None,
) -> Proposed:
    """Plan the deprecation at ``request.base``, preview it with the reconciler, propose it."""
    from galfriday_gitops.report.proposal import deprecation_body, deprecation_title

    client = forge_for(request.open_pr, forge, actions)  # fail before anything is written
    plan = plan_deprecation(
        repo,
        request.name,
        request.version,
        reason=request.reason,
        replacement=request.replacement,
        grace=request.grace_days,
        base=request.base,
        today=now.date() if now else None,
    )
    return propose_plan(
        repo,
        plan,
        branch=branch_for_deprecation(plan),
        title=deprecation_title(plan),
        body=lambda verdict: deprecation_body(plan, verdict),
        forge=client,
        remote=request.remote if request.open_pr else None,
        now=now,
    )
