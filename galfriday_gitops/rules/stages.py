"""Rules about the stage a version moves into: graph, entry stage, thresholds, fields,
rollout, freeze windows, experiment gate, deprecation replacement."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import Event, EventKind
from galfriday_gitops.findings import Finding, Severity
from galfriday_gitops.paths import POLICIES
from galfriday_gitops.resources import ExperimentStatus, ModelStage, ModelVersion
from galfriday_gitops.rules.context import Context


def entering(ctx: Context) -> Iterator[tuple[Event, ModelVersion, ModelStage]]:
    """(event, head version, stage it enters) for stage changes and registrations."""
    for event in ctx.events:
        if event.kind in (EventKind.STAGE_CHANGED, EventKind.REGISTERED, EventKind.RENAMED):
            version = ctx.head_version(event)
            if version is not None and event.to_stage is not None:
                yield event, version, event.to_stage


def check_policy_applies(ctx: Context) -> list[Finding]:
    findings = []
    refused = [
        f
        for f in (*ctx.base.findings, *ctx.policy_findings("base"))
        if f.file.startswith(POLICIES + "/") and f.severity is Severity.ERROR
    ]
    if refused:
        bad = sorted({f.file for f in refused})
        findings.append(
            rule("GF214").finding(
                bad[0],
                1,
                f"the base revision's policies are invalid ({', '.join(bad)}): fix main first",
            )
        )
    seen: set[str] = set()
    for event in ctx.events:
        version = ctx.head_version(event) or (
            ctx.base.get(event.name, event.version) if event.name and event.version else None
        )
        if version is None or version.ref in seen:
            continue
        seen.add(version.ref)
        found = ctx.policies(version)
        if len(found) != 1:
            what = "no stage policy" if not found else f"{len(found)} stage policies"
            names = f" ({', '.join(p.metadata.name for p in found)})" if found else ""
            findings.append(
                rule("GF214").finding(
                    event.path,
                    1,
                    f"{what}{names} at base apply to {version.ref}; exactly one must",
                    hint="narrow appliesTo so each model has one policy",
                )
            )
    return findings


def check_transition(ctx: Context) -> list[Finding]:
    findings = []
    for event in ctx.events:
        if event.kind is not EventKind.STAGE_CHANGED:
            continue
        version = ctx.head_version(event)
        policy = ctx.policy(version) if version else None
        if policy is None or event.from_stage is None or event.to_stage is None:
            continue
        allowed = policy.spec.transitions.get(event.from_stage, [])
        if event.to_stage not in allowed:
            options = ", ".join(s.value for s in allowed) or "nothing"
            findings.append(
                rule("GF200").finding(
                    event.path,
                    ctx.line(event, "spec", "stage"),
                    f"{event.ref}: {event.from_stage.value} -> {event.to_stage.value} is not "
                    f"allowed; from {event.from_stage.value} the policy allows: {options}",
                )
            )
    return findings


def check_initial_stage(ctx: Context) -> list[Finding]:
    findings = []
    for event in ctx.events:
        if event.kind not in (EventKind.REGISTERED, EventKind.RENAMED):
            continue
        version = ctx.head_version(event)
        policy = ctx.policy(version) if version else None
        if policy is None or version is None:
            continue
        if version.stage is not policy.spec.initial_stage:
            findings.append(
                rule("GF201").finding(
                    event.path,
                    ctx.line(event, "spec", "stage"),
                    f"{version.ref} is registered in {version.stage.value}; new versions enter "
                    f"at {policy.spec.initial_stage.value}",
                )
            )
    return findings


def _lookup(data: Any, dotted: str) -> Any:
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def check_thresholds(ctx: Context) -> list[Finding]:
    findings = []
    for event, version, stage in entering(ctx):
        rules = ctx.stage_rules(version, stage)
        if rules is None:
            continue
        for ref, bound in rules.thresholds.items():
            value = version.spec.metrics.get(ref)
            low = bound.min is not None and value is not None and value < bound.min
            high = bound.max is not None and value is not None and value > bound.max
            missing = value is None or not math.isfinite(value)
            if not (low or high or missing):
                continue
            line = ctx.line(event, "spec", "metrics", *ref.split(".", 1))
            if missing:
                findings.append(
                    rule("GF204").finding(
                        event.path, line, f"{version.ref}: {ref} is missing; {stage.value} needs it"
                    )
                )
                continue
            if low:
                findings.append(
                    rule("GF204").finding(
                        event.path, line, f"{version.ref}: {ref} = {value:g} is below the "
                        f"{stage.value} minimum {bound.min:g}",
                    )
                )  # fmt: skip
            if high:
                findings.append(
                    rule("GF204").finding(
                        event.path, line, f"{version.ref}: {ref} = {value:g} is above the "
                        f"{stage.value} maximum {bound.max:g}",
                    )
                )  # fmt: skip
    return findings


def check_required_fields(ctx: Context) -> list[Finding]:
    findings = []
    for event, version, stage in entering(ctx):
        rules = ctx.stage_rules(version, stage)
        if rules is None or not rules.required_fields:
            continue
        data = version.model_dump(mode="json", by_alias=True, exclude_none=True)
        for dotted in rules.required_fields:
            if _lookup(data, dotted) in (None, "", [], {}):
                findings.append(
                    rule("GF205").finding(
                        event.path,
                        ctx.line(event, *dotted.split(".")),
                        f"{version.ref}: {stage.value} requires {dotted}",
                    )
                )
    return findings


def check_rollout(ctx: Context) -> list[Finding]:
    """The canary share: only a canary has one, every canary the change touches has one,
    and it stays within the stage's limit. ``gfops promote`` writes it this way (--traffic
    on entry, removed on leaving); a hand-written change is held to the same."""
    findings = []
    touched = {v.ref: v for e in ctx.events if (v := ctx.head_version(e)) is not None}
    for version in touched.values():
        path = ctx.head.path_of(version)
        problem = _rollout_problem(ctx, version)
        if problem is not None:
            where = ("spec", "rollout") if version.spec.rollout is not None else ("spec", "stage")
            message, hint = problem
            findings.append(
                rule("GF215").finding(
                    path, ctx.head.line_of(path, where), f"{version.ref}: {message}", hint=hint
                )
            )
    return findings


def _rollout_problem(ctx: Context, version: ModelVersion) -> tuple[str, str] | None:
    rollout = version.spec.rollout
    if version.stage is not ModelStage.CANARY:
        if rollout is None:
            return None
        return (
            f"spec.rollout is a canary's traffic share, and {version.stage.value} takes none",
            "remove spec.rollout (gfops promote removes it when a version leaves canary)",
        )
    if rollout is None:
        return (
            "a canary needs the share of traffic it serves (spec.rollout.trafficPercent)",
            "gfops promote NAME VERSION canary --traffic PERCENT",
        )
    rules = ctx.stage_rules(version, version.stage)
    limit = rules.rollout.max_traffic_percent if rules and rules.rollout else None
    if limit is not None and rollout.traffic_percent > limit:
        return (
            f"{rollout.traffic_percent:g}% of traffic exceeds the {version.stage.value} limit "
            f"of {limit:g}%",
            "lower spec.rollout.trafficPercent",
        )
    return None


def check_freeze(ctx: Context) -> list[Finding]:
    findings = []
    today = ctx.now.date()
    for event, version, stage in entering(ctx):
        policy = ctx.policy(version)
        if policy is None or event.kind is EventKind.REGISTERED:
            continue
        for window in policy.spec.freeze:
            if stage in window.stages and window.from_ <= today <= window.to:
                findings.append(
                    rule("GF211").finding(
                        event.path,
                        ctx.line(event, "spec", "stage"),
                        f"{version.ref}: {stage.value} is frozen from {window.from_} to "
                        f"{window.to} ({window.reason})",
                    )
                )
    return findings


def check_experiment_win(ctx: Context) -> list[Finding]:
    findings = []
    for event, version, stage in entering(ctx):
        rules = ctx.stage_rules(version, stage)
        if rules is None or not rules.require_experiment_win:
            continue
        line = ctx.line(event, "spec", "lineage", "experiment")
        name = version.spec.lineage.experiment
        experiment = ctx.base.experiment(name) if name else None
        problem = None
        if name is None:
            problem = "names no experiment (spec.lineage.experiment)"
        elif experiment is None:
            problem = f"names experiment {name!r}, which is not on the base branch"
        elif experiment.spec.model != version.name or experiment.spec.treatment != version.version:
            problem = f"is not the treatment of experiment {name!r}"
        elif experiment.spec.status is not ExperimentStatus.CONCLUDED or not experiment.spec.result:
            problem = f"experiment {name!r} is {experiment.spec.status.value}, not concluded"
        elif experiment.spec.result.winner != version.version:
            winner = experiment.spec.result.winner or "no version"
            problem = f"experiment {name!r} was won by {winner}"
        if problem and not _served_before_or_first(ctx, version, stage):
            findings.append(
                rule("GF212").finding(
                    event.path,
                    line,
                    f"{version.ref} {problem}; {stage.value} requires a concluded experiment "
                    "won by this version",
                )
            )
    return findings


def _served_before_or_first(ctx: Context, version: ModelVersion, stage: ModelStage) -> bool:
    """The production experiment gate compares a candidate with what serves. Two entries
    are exempt: the model's first production version (there is no baseline to compare
    with), and a version that was in production before along the base branch (a rollback
    restores a version judged then; gating it would make an emergency rollback
    impossible). History is read only when the gate would otherwise fail."""
    if stage is not ModelStage.PRODUCTION or ctx.base.rev is None:
        return False
    served = {v for period in ctx.production_periods(version.name) for v in period.versions}
    return not served or version.version in served


def check_replacement(ctx: Context) -> list[Finding]:
    lifecycle = ctx.base.lifecycle_policy()
    if lifecycle is None or not lifecycle.spec.deprecation.require_replacement:
        return []
    findings = []
    for event, version, stage in entering(ctx):
        if stage is not ModelStage.DEPRECATED:
            continue
        deprecation = version.spec.deprecation
        replacement = deprecation.replacement if deprecation else None
        live = ctx.head.get(version.name, replacement) if replacement else None
        if live is None or not live.stage.is_live:
            what = (
                "names no replacement"
                if replacement is None
                else f"names replacement {replacement}, which is not live after this change"
            )
            findings.append(
                rule("GF216").finding(
                    event.path,
                    ctx.line(event, "spec", "deprecation"),
                    f"{version.ref} is deprecated but {what}",
                    hint="set spec.deprecation.replacement to a canary/production version",
                )
            )
    return findings
