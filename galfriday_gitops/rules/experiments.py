"""Rules on experiments: what they compare (GF221) and what they claim to have found
(GF220).

An experiment's conclusion is a production gate (GF212), so it is evidence, not a claim:
when a change concludes an experiment (or edits a concluded one), the reconciler recomputes
the result from the outcome data at the recorded hash with the declared design, through the
context's ``experiment_evidence`` source (the engine fetches the data from DVC by its hash,
objects only, and runs the base's analysis code); the recorded winner, key numbers and data
hash must be what the data says. Data that cannot be read blocks (fail closed).
"""

from __future__ import annotations

import math

from pydantic.alias_generators import to_camel

from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import Event, EventKind
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding
from galfriday_gitops.paths import split_experiment_path, split_manifest_path
from galfriday_gitops.resources import Experiment, ExperimentOutcome, ExperimentStatus, ModelStage
from galfriday_gitops.rules.context import IN_TRACKED_FOLDER, Context

_ACTIVE = (ExperimentStatus.PLANNED, ExperimentStatus.RUNNING)


def _changed_experiments(ctx: Context) -> list[tuple[Event, Experiment]]:
    out = []
    for event in ctx.events:
        if event.kind is not EventKind.EXPERIMENT_CHANGED:
            continue
        name = event.name or split_experiment_path(event.path)
        experiment = ctx.head.experiment(name) if name else None
        if experiment is not None and ctx.head.path_of(experiment) == event.path:
            out.append((event, experiment))
    return out


def _reference_problems(ctx: Context, event: Event, experiment: Experiment) -> list[Finding]:
    spec = experiment.spec
    findings = []
    for role in ("control", "treatment"):
        version = spec.control if role == "control" else spec.treatment
        found = ctx.head.get(spec.model, version)
        if found is None:
            problem = "does not exist"
        elif found.stage is ModelStage.ARCHIVED:
            problem = "is archived"
        else:
            continue
        findings.append(
            rule("GF221").finding(
                event.path,
                ctx.head.line_of(event.path, ("spec", role)),
                f"experiment {experiment.metadata.name}: its {role} {spec.model}@{version} "
                f"{problem} after this change",
                hint="compare registered versions that are not archived",
            )
        )
    return findings


def _leaving(ctx: Context) -> list[tuple[Event, str, str, str]]:
    """(event, model, version, what happens) for versions archived, deleted or renamed."""
    out = []
    for event in ctx.events:
        if event.name is None or event.version is None:
            continue
        if event.kind is EventKind.STAGE_CHANGED and event.to_stage is ModelStage.ARCHIVED:
            out.append((event, event.name, event.version, "archived"))
        elif event.kind is EventKind.DELETED:
            out.append((event, event.name, event.version, "deleted"))
        elif event.kind is EventKind.RENAMED and event.old_path is not None:
            old = split_manifest_path(event.old_path)
            if old is not None:
                out.append((event, old[0], old[1], f"renamed to {event.ref}"))
    return out


def _in_use(ctx: Context) -> list[Finding]:
    findings = []
    active = [e for e in ctx.head.experiments() if e.spec.status in _ACTIVE]
    for event, model, version, what in _leaving(ctx):
        for experiment in active:
            spec = experiment.spec
            roles = [
                role
                for role, v in (("control", spec.control), ("treatment", spec.treatment))
                if spec.model == model and v == version
            ]
            if not roles:
                continue
            path = event.old_path or event.path
            findings.append(
                rule("GF221").finding(
                    path,
                    ctx.line(event, "spec", "stage") if what == "archived" else 1,
                    f"{model}@{version} is {what}, but it is the {roles[0]} of "
                    f"{spec.status.value} experiment {experiment.metadata.name}",
                    hint="conclude or stop the experiment first",
                )
            )
    return findings


def check_experiment_versions(ctx: Context) -> list[Finding]:
    findings = []
    for event, experiment in _changed_experiments(ctx):
        if experiment.spec.status is not ExperimentStatus.STOPPED:
            findings += _reference_problems(ctx, event, experiment)
    return findings + _in_use(ctx)


# ---------------------------------------------------------------- evidence (GF220)

_EXACT = ("winner", "decision", "data_md5", "samples")
_NUMBERS = ("relative_lift", "p_value", "chance_to_win", "srm_p_value")


def _same_number(a: float | None, b: float | None) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-5, abs_tol=1e-9)


def _mismatches(recorded: ExperimentOutcome, computed: ExperimentOutcome) -> list[str]:
    """``field: recorded X, the data says Y`` for every key result that differs."""
    out = []
    for name in _EXACT:
        mine, theirs = getattr(recorded, name), getattr(computed, name)
        if mine != theirs:
            out.append((name, mine, theirs))
    for name in _NUMBERS:
        mine, theirs = getattr(recorded, name), getattr(computed, name)
        if not _same_number(mine, theirs):
            out.append((name, mine, theirs))
    ci_differs = len(recorded.ci) != len(computed.ci) or not all(
        _same_number(a, b) for a, b in zip(recorded.ci, computed.ci, strict=False)
    )
    if ci_differs:
        out.append(("ci", recorded.ci, computed.ci))
    return [
        f"{to_camel(name)}: recorded {mine}, the data says {theirs}" for name, mine, theirs in out
    ]


def _declaration(experiment: Experiment) -> dict[str, object]:
    """What an experiment declares before it runs: everything but its status and result."""
    return experiment.spec.model_dump(mode="json", exclude={"status", "result"})


def _evidence_problem(ctx: Context, event: Event, experiment: Experiment) -> Finding | None:
    spec = experiment.spec
    assert spec.result is not None
    name = experiment.metadata.name
    before = ctx.base.experiment(name)
    if before is not None and before.spec == spec:
        return None  # its result is the base's, judged when it was concluded
    finding = rule("GF220")
    if before is not None and _declaration(before) != _declaration(experiment):
        moved = sorted(
            k for k, v in _declaration(experiment).items() if _declaration(before).get(k) != v
        )
        return finding.finding(
            event.path,
            ctx.head.line_of(event.path, ("spec", to_camel(moved[0]))),
            f"experiment {name} is concluded in the same change that edits its declaration "
            f"({', '.join(to_camel(m) for m in moved)}): a result is judged against the "
            "design declared before the data was seen",
            hint="revert the declaration, or change it in a pull request of its own",
        )
    tracked = _tracking_problem(ctx, event, experiment)
    if tracked is not None:
        return tracked
    evidence = ctx.experiment_evidence(experiment)
    result_line = ctx.head.line_of(event.path, ("spec", "result"))
    if evidence.outcome is None:
        return finding.finding(
            event.path,
            ctx.head.line_of(event.path, ("spec", "result", "dataMd5")),
            f"experiment {name}: the result cannot be recomputed, so it is not evidence: "
            f"{evidence.problem}",
            hint="push the outcome data to the DVC remote (dvc push), then conclude it with "
            "gfops experiment conclude",
        )
    differences = _mismatches(spec.result, evidence.outcome)
    if not differences:
        return None
    return finding.finding(
        event.path,
        result_line,
        f"experiment {name}: the recorded result is not what its data says "
        f"({'; '.join(differences)})",
        hint="record what gfops experiment conclude computes; never edit a result by hand",
    )


def _tracking_problem(ctx: Context, event: Event, experiment: Experiment) -> Finding | None:
    """The recorded data must be the data the repository tracks at ``spec.data`` (a file
    inside a tracked folder is left to the recomputation): a result computed on other or
    untracked bytes is not this experiment's, whatever its numbers."""
    spec = experiment.spec
    assert spec.result is not None
    line = ctx.head.line_of(event.path, ("spec", "result", "dataMd5"))
    try:
        tracked = ctx.tracked_md5(spec.data)
    except UserError as exc:
        message = f"cannot tell which data DVC tracks at {spec.data}: {exc}"
    else:
        if tracked in (IN_TRACKED_FOLDER, spec.result.data_md5):
            return None
        if tracked is None:
            message = (
                f"DVC does not track {spec.data} (no .dvc file, no dvc.lock output): a result "
                "is evidence only of data the repository tracks"
            )
        else:
            message = (
                f"the result's dataMd5 {spec.result.data_md5} is not the data DVC tracks at "
                f"{spec.data} ({tracked})"
            )
    return rule("GF220").finding(
        event.path,
        line,
        f"experiment {experiment.metadata.name}: {message}",
        hint="conclude on the data the repository tracks (gfops experiment conclude)",
    )


def check_experiment_evidence(ctx: Context) -> list[Finding]:
    findings = []
    for event, experiment in _changed_experiments(ctx):
        spec = experiment.spec
        if spec.status is ExperimentStatus.CONCLUDED and spec.result is not None:
            problem = _evidence_problem(ctx, event, experiment)
            if problem is not None:
                findings.append(problem)
    return findings
