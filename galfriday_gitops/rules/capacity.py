"""Whole-state rules, checked on the head (the merge result): capacity per stage, where
the replaced holder of a stage goes, and a model whose production is left empty.
Checking the merged state is what stops two pull requests that are each fine alone from
both landing through a merge queue."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Set

from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import EventKind
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.paths import manifest_path, model_dir
from galfriday_gitops.resources import ModelStage
from galfriday_gitops.rules.context import Context


def check_capacity(ctx: Context) -> list[Finding]:
    changed = {e.path for e in ctx.events}
    return capacity_findings(ctx.head, ctx.base, ctx.head.models(), changed)


def capacity_findings(
    head: RegistryState, policies: RegistryState, names: Iterable[str], changed: set[str]
) -> list[Finding]:
    """Stages of ``names`` at ``head`` holding more versions than the policies of
    ``policies`` (a revision) allow; each reported at a changed manifest when there is one."""
    findings = []
    limited = {
        stage.value
        for policy in policies.stage_policies()
        for stage, rules in policy.spec.stages.items()
        if rules.capacity is not None
    }
    table = _crowded(head, limited)
    for name in names:
        for stage_name, versions in table.get(name, {}).items():
            stage = ModelStage(stage_name)
            probe = head.get(name, versions[0])
            policy = policies.policy_for(probe) if probe else None
            rules = policy.spec.stages.get(stage) if policy is not None else None
            if rules is None or rules.capacity is None or len(versions) <= rules.capacity:
                continue
            candidates = [manifest_path(name, v) for v in versions]
            path = next((p for p in candidates if p in changed), candidates[-1])
            findings.append(
                rule("GF206").finding(
                    path,
                    head.line_of(path, ("spec", "stage")),
                    f"{name} would have {len(versions)} versions in {stage.value} "
                    f"({', '.join(versions)}); the policy allows {rules.capacity}",
                    hint="move the current holder out in the same pull request",
                )
            )
    return findings


def _crowded(state: RegistryState, limited: Set[str]) -> dict[str, dict[str, list[str]]]:
    """model -> stage -> versions (oldest first) of the ``limited`` stages that hold two or
    more versions of a model: the only rows a capacity can be exceeded in. Counted from the
    index in one pass; only those models' versions are sorted (at 10,000 manifests, sorting
    every model's was most of this rule's time)."""
    held = Counter(
        (index[1], index[3])
        for entry in state.entries.values()
        if (index := entry.index) is not None and index[0] == "ModelVersion" and index[3] in limited
    )
    crowded: dict[str, set[str]] = {}
    for (name, stage), count in held.items():
        if count >= 2:
            crowded.setdefault(name, set()).add(stage)
    return {  # each row in stage_table's order, only its crowded stages
        name: {s: v for s, v in state.stage_row(name).items() if s in stages}
        for name, stages in crowded.items()
    }


def check_previous_holder(ctx: Context) -> list[Finding]:
    findings = []
    for event in ctx.events:
        if event.kind is not EventKind.STAGE_CHANGED or event.from_stage is None:
            continue
        version = ctx.head_version(event)
        if version is None:
            continue
        # This version left a stage; was it the holder some other version replaced?
        replaced_by = [
            e for e in ctx.events
            if e.kind is EventKind.STAGE_CHANGED and e.name == event.name
            and e.to_stage is event.from_stage and e.version != event.version
        ]  # fmt: skip
        if not replaced_by:
            continue
        rules = ctx.stage_rules(version, event.from_stage)
        target = rules.previous_holder if rules else None
        if target is not None and event.to_stage is not target:
            findings.append(
                rule("GF207").finding(
                    event.path,
                    ctx.line(event, "spec", "stage"),
                    f"{event.ref} was replaced in {event.from_stage.value} and moves to "
                    f"{event.to_stage.value if event.to_stage else '?'}; the policy says "
                    f"{target.value}",
                )
            )
    return findings


def check_production_emptied(ctx: Context) -> list[Finding]:
    """A warning, not a block: emptying production can be meant (retiring a model), but a
    consumer resolving ``NAME@production`` fails from the merge on, and deprecating the
    only production version used to pass without a word."""
    findings = []
    for name in sorted({e.name for e in ctx.events if e.name}):
        before = ctx.base.in_stage(name, ModelStage.PRODUCTION)
        if not before or ctx.head.in_stage(name, ModelStage.PRODUCTION):
            continue
        if any(f.file.startswith(model_dir(name) + "/") for f in ctx.head.findings):
            continue  # an invalid manifest at head: its load finding says what is wrong
        leaving = [
            e for e in ctx.events if e.name == name and e.from_stage is ModelStage.PRODUCTION
        ]
        event = (leaving or [e for e in ctx.events if e.name == name])[0]
        shown = ", ".join(v.version for v in before)
        findings.append(
            rule("GF218").finding(
                event.path,
                ctx.line(event, "spec", "stage"),
                f"{name} has no production version after this change ({shown} leaves "
                f"production): {name}@production resolves to nothing from the merge on",
                hint="promote a replacement in the same pull request, unless the model is "
                "meant to stop serving",
            )
        )
    return findings
