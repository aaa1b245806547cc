"""Deprecate a model version: ``spec.stage: deprecated`` plus ``spec.deprecation``, as a PR.

The change is computed at the base revision, judged by the policies there (what the
reconciler will use): the StagePolicy must allow the transition into ``deprecated``, and
when the LifecyclePolicy sets ``requireReplacement`` the replacement must be another
version of the same model that is live (canary or production) at base. Both are refused
here, before a branch exists; the reconciler checks the replacement again on the pull
request (rule GF216), so a hand-written deprecation cannot skip it.

End of life is today + ``--grace-days`` (default: the policy's ``gracePeriodDays``). The
edit goes through the round-trip helpers: the stage line changes in place and the
deprecation block is added, every comment of the manifest kept.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pydantic import ValidationError

from galfriday_gitops.errors import UserError
from galfriday_gitops.load.safe_yaml import YamlError, load
from galfriday_gitops.resources import ModelStage, ModelVersion
from galfriday_gitops.write.edit import set_mapping, set_scalar
from galfriday_gitops.write.promote import (
    MARKER,
    Move,
    Plan,
    base_state,
    checks_for,
    checks_markdown,
    get_version,
    grace_days,
    moves_table,
    policy_for,
)

_ALREADY = (ModelStage.DEPRECATED, ModelStage.RETIRED, ModelStage.ARCHIVED)


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
    reason = reason.strip()
    if not reason:
        raise UserError("--reason must say why the version is deprecated")
    if len(reason) > 200:
        raise UserError(f"--reason is {len(reason)} characters; at most 200 fit the manifest")
    if grace is not None and grace < 1:
        raise UserError("--grace-days must be at least 1")
    state = base_state(repo, name, base)
    target = get_version(state, name, version, base)
    if target.stage in _ALREADY:
        raise UserError(f"{target.ref} is already {target.stage.value} at {base}")
    policy = policy_for(state, target)
    if policy is not None:
        allowed = policy.spec.transitions.get(target.stage, [])
        if ModelStage.DEPRECATED not in allowed:
            shown = ", ".join(s.value for s in allowed) or "nothing"
            raise UserError(
                f"policy {policy.metadata.name!r} does not allow {target.stage.value} -> "
                f"deprecated (from {target.stage.value}: {shown})"
            )
    lifecycle = state.lifecycle_policy()
    required = lifecycle is not None and lifecycle.spec.deprecation.require_replacement
    live = [v for v in state.versions_of(name) if v.stage.is_live and v.version != version]
    live_shown = ", ".join(f"{v.version} ({v.stage.value})" for v in live) or "none"
    if replacement is not None:
        found = get_version(state, name, replacement, base)
        if found.version == version:
            raise UserError("--replacement must be another version than the one deprecated")
        if required and not found.stage.is_live:
            raise UserError(
                f"the LifecyclePolicy requires a live replacement; {found.ref} is "
                f"{found.stage.value} at {base} (live versions: {live_shown})"
            )
    elif required:
        raise UserError(
            f"the LifecyclePolicy requires a live replacement: pass --replacement VERSION "
            f"(live versions of {name} at {base}: {live_shown})"
        )
    days = grace if grace is not None else grace_days(state)
    path = state.path_of(target)
    assert state.rev is not None
    raw = state.raw(path)
    if raw is None:
        raise UserError(f"{path} is missing at {base}")
    new = edit_deprecation(raw, reason, replacement, today + dt.timedelta(days=days), today)
    why = f"deprecated: {reason}" + (f" (replacement {replacement})" if replacement else "")
    move = Move(target, path, target.stage, ModelStage.DEPRECATED, why)
    plan = Plan(name, base, state.rev, [move], {path: new})
    head_stage_of = {v.version: v.stage for v in state.versions_of(name)}
    head_stage_of[version] = ModelStage.DEPRECATED
    plan.checks[version] = checks_for(state, move, head_stage_of, today)
    return plan


def edit_deprecation(
    raw: bytes, reason: str, replacement: str | None, end_of_life: dt.date, today: dt.date
) -> bytes:
    """The manifest with ``stage: deprecated`` and a fresh ``spec.deprecation``; validated."""
    new = set_scalar(raw, ("spec", "stage"), ModelStage.DEPRECATED.value)
    block: dict[str, object] = {"reason": reason}
    if replacement is not None:
        block["replacement"] = replacement
    block["endOfLife"] = end_of_life
    block["deprecatedOn"] = today
    new = set_mapping(new, ("spec", "deprecation"), block)
    try:
        ModelVersion.model_validate(load(new).data)
    except (YamlError, ValidationError) as exc:
        raise UserError(f"the deprecated manifest would be invalid: {exc}") from None
    return new


def branch_for_deprecation(plan: Plan) -> str:
    return f"galfriday/deprecate/{plan.name}-{plan.primary.version.version}"


def deprecation_title(plan: Plan) -> str:
    return f"Deprecate {plan.primary.version.ref}"


def deprecation_body(plan: Plan) -> str:
    move = plan.primary
    data = load(plan.files[move.path]).data
    block = data["spec"]["deprecation"]
    lines = [
        f"## {deprecation_title(plan)}",
        "",
        f"`{move.version.ref}`: {move.from_stage.value} → **deprecated**"
        f" (base `{plan.base_rev}` {plan.base_commit[:12]}).",
        "",
        "| field | value |",
        "| --- | --- |",
        f"| reason | {str(block['reason']).replace('|', '/')} |",
        f"| replacement | {block.get('replacement') or '—'} |",
        f"| end of life | {block['endOfLife']} |",
        "",
        "`gfops lifecycle` warns as the end of life approaches and, with `autoRetire`, "
        "opens the retirement pull request once it has passed.",
        "",
        moves_table(plan),
        "",
        checks_markdown(plan),
        "",
        "_Opened by `gfops deprecate`; the reconciler's comment gives the verdict._",
        MARKER,
    ]
    return "\n".join(lines)
