"""Promote a model version: a one-line change of ``spec.stage`` on a branch, as a pull request.

The plan is computed from the base revision (manifests and the StagePolicy as they are
there, because that is what the reconciler will judge the pull request by): which files
change, and what the reconciler will check for each move. Writing goes through
``propose`` (private index, never the user's work tree or current branch).

When the target stage has ``capacity: 1`` and a ``previousHolder``, the version that
holds it now moves to the previous-holder stage in the same commit, so the head state
passes the capacity rule. A version moved to ``deprecated`` gets a ``spec.deprecation``
(replacement, end of life from the LifecyclePolicy's grace period); a version leaving
``deprecated`` for a live stage loses it, so lifecycle automation cannot retire it.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pydantic import ValidationError

from galfriday_gitops import gitio
from galfriday_gitops.errors import UserError
from galfriday_gitops.forge.base import Forge
from galfriday_gitops.load.safe_yaml import YamlError, load
from galfriday_gitops.load.state import RegistryState, load_state
from galfriday_gitops.resources import ExperimentStatus, ModelStage, ModelVersion, StagePolicy
from galfriday_gitops.write.edit import set_mapping, set_scalar
from galfriday_gitops.write.propose import Proposal, propose

Status = Literal["pass", "fail", "pending", "info"]
_ICON: dict[Status, str] = {"pass": "✅", "fail": "❌", "pending": "⏳", "info": "ℹ️"}
_OFF_DUTY = (ModelStage.DEPRECATED, ModelStage.RETIRED, ModelStage.ARCHIVED)
DEFAULT_GRACE_DAYS = 90


@dataclass(frozen=True, slots=True)
class Check:
    """One thing the reconciler will check, as far as it can be known before the PR."""

    name: str
    status: Status
    detail: str


@dataclass(frozen=True, slots=True)
class Move:
    version: ModelVersion
    path: str
    from_stage: ModelStage
    to_stage: ModelStage
    why: str


@dataclass
class Plan:
    """What a promotion or rollback changes, and what the reconciler will check."""

    name: str
    base_rev: str
    base_commit: str
    moves: list[Move]
    files: dict[str, bytes]
    checks: dict[str, list[Check]] = field(default_factory=dict)  # version -> checks

    @property
    def primary(self) -> Move:
        return self.moves[0]


# ---------------------------------------------------------------- parsing requests


def parse_stage(text: str) -> ModelStage:
    """``"production"`` -> ModelStage.PRODUCTION; a clear error listing the valid stages."""
    try:
        return ModelStage(text)
    except ValueError:
        valid = [s.value for s in ModelStage]
        close = difflib.get_close_matches(text.lower(), valid, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UserError(f"unknown stage {text!r}{hint}; valid stages: {', '.join(valid)}") from None


def parse_moves(items: list[str]) -> dict[str, ModelStage]:
    """``["1.1.0=staging"]`` -> {"1.1.0": STAGING}."""
    out: dict[str, ModelStage] = {}
    for item in items:
        version, sep, stage = item.partition("=")
        if not sep or not version or not stage:
            raise UserError(f"--also-move {item!r}: expected VERSION=STAGE, e.g. 1.1.0=staging")
        out[version] = parse_stage(stage)
    return out


def _describe_versions(state: RegistryState, name: str) -> str:
    return ", ".join(f"{v.version} ({v.stage.value})" for v in state.versions_of(name)) or "none"


def base_state(repo: Path, name: str, base: str) -> RegistryState:
    """The registry at ``base``; refuses when this model's files are broken there."""
    state = load_state(repo, base)
    if name not in state.models():
        known = ", ".join(state.models()) or "none"
        raise UserError(f"no model {name!r} at {base}; models: {known}")
    broken = [f for f in state.findings if f.file.startswith(f"models/{name}/")]
    if broken:
        first = broken[0]
        raise UserError(
            f"{first.file}:{first.line} is invalid at {base} ({first.message}); fix it first"
        )
    return state


def get_version(state: RegistryState, name: str, version: str, base: str) -> ModelVersion:
    found = state.get(name, version)
    if found is None:
        raise UserError(
            f"{name} has no version {version} at {base}; versions: "
            f"{_describe_versions(state, name)}"
        )
    return found


# ---------------------------------------------------------------- policy


def policy_for(state: RegistryState, version: ModelVersion) -> StagePolicy | None:
    """The stage policy that governs ``version`` at this state (the first that applies)."""
    policies = state.policies_for(version)
    return policies[0] if policies else None


def previous_holder_stage(policy: StagePolicy | None, stage: ModelStage) -> ModelStage | None:
    """Where the current holder goes: only for single-holder stages with a previousHolder."""
    rules = policy.spec.stages.get(stage) if policy is not None else None
    if rules is None or rules.previous_holder is None or rules.capacity != 1:
        return None
    return rules.previous_holder


def _has_field(version: ModelVersion, dotted: str) -> bool:
    node: object = version.model_dump(mode="json", by_alias=True)
    for part in dotted.split("."):
        if not isinstance(node, dict) or node.get(part) in (None, "", [], {}):
            return False
        node = node[part]
    return True


def checks_for(
    state: RegistryState,
    move: Move,
    head_stage_of: Mapping[str, ModelStage],
    today: dt.date,
) -> list[Check]:
    """What the reconciler will check for ``move``, judged by the policy at base."""
    version, to = move.version, move.to_stage
    policy = policy_for(state, version)
    if policy is None:
        return [Check("policy", "info", "no StagePolicy applies to this model")]
    checks: list[Check] = []
    allowed = policy.spec.transitions.get(move.from_stage, [])
    shown = ", ".join(s.value for s in allowed) or "nothing"
    checks.append(
        Check(
            "transition",
            "pass" if to in allowed else "fail",
            f"{move.from_stage.value} → {to.value} "
            + ("is allowed" if to in allowed else f"is not allowed (allowed: {shown})")
            + f" by policy `{policy.metadata.name}`",
        )
    )
    rules = policy.spec.stages.get(to)
    if rules is not None and rules.approvals is not None and rules.approvals.count > 0:
        teams = state.teams()
        members = teams.spec.teams if teams is not None else {}
        who = [
            f"{team} ({', '.join(members.get(team, [])) or 'unknown team'})"
            for team in rules.approvals.from_
        ]
        who += [f"@{user}" for user in rules.approvals.users]
        if rules.approvals.code_owners:
            who.append("code owners")
        checks.append(
            Check(
                "approvals",
                "pending",
                f"{rules.approvals.count} approval(s) from {' or '.join(who) or 'anyone'}; "
                "the author's own approval and stale approvals do not count",
            )
        )
    for ref, threshold in (rules.thresholds if rules is not None else {}).items():
        value = version.spec.metrics.get(ref)
        bounds = " and ".join(
            b
            for b in (
                f"≥ {threshold.min:g}" if threshold.min is not None else "",
                f"≤ {threshold.max:g}" if threshold.max is not None else "",
            )
            if b
        )
        ok = (
            value is not None
            and (threshold.min is None or value >= threshold.min)
            and (threshold.max is None or value <= threshold.max)
        )
        actual = "missing" if value is None else f"{value:g}"
        checks.append(Check(f"{ref} {bounds}", "pass" if ok else "fail", f"is {actual}"))
    for dotted in rules.required_fields if rules is not None else []:
        present = _has_field(version, dotted)
        checks.append(
            Check(
                f"required `{dotted}`",
                "pass" if present else "fail",
                "set" if present else "missing",
            )
        )
    if rules is not None and rules.capacity is not None:
        holders = sorted(v for v, s in head_stage_of.items() if s is to)
        checks.append(
            Check(
                f"capacity of {to.value}",
                "pass" if len(holders) <= rules.capacity else "fail",
                f"{len(holders)} of {rules.capacity} after this change ({', '.join(holders)})",
            )
        )
    if rules is not None and rules.rollout is not None and version.spec.rollout is not None:
        pct, limit = version.spec.rollout.traffic_percent, rules.rollout.max_traffic_percent
        checks.append(
            Check("rollout", "pass" if pct <= limit else "fail", f"{pct:g}% of at most {limit:g}%")
        )
    if rules is not None and rules.require_experiment_win:
        checks.append(_experiment_check(state, version))
    for window in policy.spec.freeze:
        if to not in window.stages or window.to < today:
            continue
        active = window.from_ <= today <= window.to
        checks.append(
            Check(
                "freeze window",
                "fail" if active else "info",
                f"{window.from_} to {window.to} ({window.reason})"
                + (": merging is blocked now" if active else ": upcoming"),
            )
        )
    return checks


def _experiment_check(state: RegistryState, version: ModelVersion) -> Check:
    name = version.spec.lineage.experiment
    experiment = state.experiment(name) if name else None
    if experiment is None:
        detail = f"experiment {name!r} not found" if name else "spec.lineage.experiment not set"
        return Check("experiment won", "fail", detail)
    spec = experiment.spec
    winner = spec.result.winner if spec.result is not None else None
    if spec.status is ExperimentStatus.CONCLUDED and winner == version.version:
        return Check("experiment won", "pass", f"`{name}` concluded, winner {winner}")
    return Check(
        "experiment won",
        "fail",
        f"`{name}` is {spec.status.value}" + (f", winner {winner}" if winner else ""),
    )


# ---------------------------------------------------------------- building the change


def grace_days(state: RegistryState) -> int:
    lifecycle = state.lifecycle_policy()
    return lifecycle.spec.deprecation.grace_period_days if lifecycle else DEFAULT_GRACE_DAYS


def edit_for(
    raw: bytes,
    move: Move,
    *,
    replacement: str | None,
    reason: str,
    today: dt.date,
    grace: int,
) -> bytes:
    """The new file for one move: the stage line, plus deprecation bookkeeping if needed."""
    new = set_scalar(raw, ("spec", "stage"), move.to_stage.value)
    spec = move.version.spec
    if move.to_stage is ModelStage.DEPRECATED and spec.deprecation is None:
        deprecation: dict[str, object] = {"reason": reason[:200]}
        if replacement is not None:
            deprecation["replacement"] = replacement
        deprecation["endOfLife"] = today + dt.timedelta(days=grace)
        deprecation["deprecatedOn"] = today
        new = set_mapping(new, ("spec", "deprecation"), deprecation)
    elif move.to_stage not in _OFF_DUTY and spec.deprecation is not None:
        new = set_mapping(new, ("spec", "deprecation"), None)
    return new


def build_plan(
    state: RegistryState,
    base: str,
    moves: list[Move],
    *,
    today: dt.date,
    reasons: Mapping[str, str] | None = None,
) -> Plan:
    """Files and checks for ``moves`` (the first is the requested one) at ``state``."""
    primary = moves[0]
    assert state.rev is not None
    grace = grace_days(state)
    files: dict[str, bytes] = {}
    for move in moves:
        raw = state.raw(move.path)
        if raw is None:
            raise UserError(f"{move.path} is missing at {base}")
        replacement = primary.version.version if move is not primary else None
        reason = (reasons or {}).get(move.version.version) or (
            f"replaced by {replacement}" if replacement else f"moved to {move.to_stage.value}"
        )
        new = edit_for(raw, move, replacement=replacement, reason=reason, today=today, grace=grace)
        try:  # the edit keeps everything else, but the result must still be a valid manifest
            ModelVersion.model_validate(load(new).data)
        except (YamlError, ValidationError) as exc:
            raise UserError(f"{move.path}: the edited manifest would be invalid: {exc}") from None
        files[move.path] = new
    head_stage_of = {v.version: v.stage for v in state.versions_of(primary.version.name)}
    head_stage_of.update({m.version.version: m.to_stage for m in moves})
    plan = Plan(primary.version.name, base, state.rev, moves, files)
    for move in moves:
        plan.checks[move.version.version] = checks_for(state, move, head_stage_of, today)
    return plan


def plan_promotion(
    repo: Path,
    name: str,
    version: str,
    stage: ModelStage,
    *,
    base: str = "main",
    also_move: Mapping[str, ModelStage] | None = None,
    move_previous_holder: bool = True,
    today: dt.date | None = None,
) -> Plan:
    """Everything ``gfops promote`` will change, computed from ``base``; refuses bad requests."""
    today = today or dt.datetime.now(dt.UTC).date()
    state = base_state(repo, name, base)
    target = get_version(state, name, version, base)
    if target.stage is stage:
        raise UserError(f"{target.ref} is already in {stage.value} at {base}")
    moves = [Move(target, f"models/{name}/{version}.yaml", target.stage, stage, "requested")]
    explicit = dict(also_move or {})
    if version in explicit:
        raise UserError(f"--also-move names {version}, the version being promoted")
    holder_stage = previous_holder_stage(policy_for(state, target), stage)
    if move_previous_holder and holder_stage is not None:
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
        moves.append(Move(found, f"models/{name}/{other}.yaml", found.stage, other_stage, why))
    return build_plan(state, base, moves, today=today)


# ---------------------------------------------------------------- presenting and proposing

MARKER = "<!-- galfriday:write -->"


def moves_table(plan: Plan) -> str:
    rows = ["| version | stage | why |", "| --- | --- | --- |"]
    rows += [
        f"| `{m.version.ref}` | {m.from_stage.value} → **{m.to_stage.value}** | {m.why} |"
        for m in plan.moves
    ]
    return "\n".join(rows)


def checks_markdown(plan: Plan) -> str:
    parts = [
        f"### What the reconciler will check (policy at `{plan.base_rev}` {plan.base_commit[:12]})"
    ]
    for move in plan.moves:
        parts.append(f"\n**`{move.version.ref}` → {move.to_stage.value}**\n")
        checks = plan.checks.get(move.version.version, [])
        if not checks:
            parts.append("No rules for this stage.")
            continue
        parts.append("| check | | detail |\n| --- | --- | --- |")
        parts += [f"| {c.name} | {_ICON[c.status]} | {c.detail} |" for c in checks]
    return "\n".join(parts)


def promotion_title(plan: Plan) -> str:
    m = plan.primary
    return f"Promote {m.version.ref} to {m.to_stage.value}"


def promotion_body(plan: Plan) -> str:
    m = plan.primary
    lines = [
        f"## {promotion_title(plan)}",
        "",
        f"`{m.version.ref}`: {m.from_stage.value} → **{m.to_stage.value}**"
        f" (base `{plan.base_rev}` {plan.base_commit[:12]}).",
        "",
        moves_table(plan),
        "",
        checks_markdown(plan),
        "",
        "_Opened by `gfops promote`; the reconciler's comment gives the verdict._",
        MARKER,
    ]
    return "\n".join(lines)


def branch_for_promotion(plan: Plan) -> str:
    m = plan.primary
    return f"galfriday/promote/{plan.name}-{m.version.version}-{m.to_stage.value}"


def commit_message(title: str, plan: Plan) -> str:
    details = [
        f"{m.version.ref}: {m.from_stage.value} -> {m.to_stage.value} ({m.why})" for m in plan.moves
    ]
    return title + "\n\n" + "\n".join(details) + "\n"


def submit(
    repo: Path,
    plan: Plan,
    *,
    branch: str,
    title: str,
    body: str,
    forge: Forge | None,
    remote: str | None,
) -> Proposal:
    """Commit the plan's files on ``branch`` from the base commit; push and open/update the PR."""
    # propose() resolves the base name again (it needs the name for the PR's base branch):
    # refuse if it moved since the plan was computed, so no newer change is overwritten.
    if gitio.rev_parse(repo, plan.base_rev) != plan.base_commit:
        raise UserError(f"{plan.base_rev} moved while the change was prepared; run again")
    return propose(
        repo,
        base=plan.base_rev,
        branch=branch,
        files=dict(plan.files),
        message=commit_message(title, plan),
        title=title,
        body=body,
        forge=forge,
        remote=remote,
    )
