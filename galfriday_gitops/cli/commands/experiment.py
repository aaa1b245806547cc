"""``gfops experiment analyze|conclude``: analyse an A/B experiment, record its outcome by PR.

``analyze`` reads an Experiment resource (or ad hoc options) and the outcome data, and
prints the analysis as text, Markdown or JSON. ``conclude`` analyses the experiment as
committed at ``--rev``, writes ``status: concluded`` and the ``result:`` block into its
YAML (only those lines change: comments and layout are kept), commits that on branch
``galfriday/conclude/<name>`` without touching the work tree and, with ``--open-pr``,
pushes the branch and opens or updates the pull request.

A sample-ratio mismatch refuses the conclusion (exit 1): the assignment is broken, so
every number is suspect, and recording "no winner" would hide a bug that must be fixed
and the experiment re-run. Exit codes: 0 analysed / proposed, 1 refused (SRM), 2 could
not run (bad input, unknown experiment, missing data).

pandas and scipy are imported inside :func:`run` only: the CLI imports every command
module to build its parser, and ``gfops --help`` must stay fast.
"""

from __future__ import annotations

import argparse
import datetime as dt
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops.cli.output import add_format, add_pr_options, print_json, print_proposal
from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

    from galfriday_gitops.experiments.spec import AnalysisPlan
    from galfriday_gitops.resources import Experiment, ExperimentOutcome
    from galfriday_gitops.stats.experiment import ExperimentResult

HELP = "analyse an A/B experiment, or conclude it: record the result on a branch and open a PR"

BRANCH_PREFIX = "galfriday/conclude/"
PR_MARKER = "<!-- galfriday:experiment-conclusion -->"
_METRIC_KINDS = ("mean", "proportion")
_DIRECTIONS = ("higher", "lower")
_AD_HOC = (
    "data",
    "variant_column",
    "control",
    "treatment",
    "metric",
    "guardrail",
    "covariate",
    "split",
    "alpha",
    "power",
    "mde",
    "min_samples",
    "correction",
    "sequential",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

    analyze = sub.add_parser(
        "analyze",
        help="analyse an experiment's outcome data (exit 0 when the analysis ran)",
        description="Analyse experiments/NAME.yaml (its metrics, design, split and data), "
        "or a data file described by the ad hoc options.",
    )
    analyze.add_argument(
        "experiment", nargs="?", metavar="EXPERIMENT", help="experiments/NAME.yaml, or NAME"
    )
    adhoc = analyze.add_argument_group("ad hoc analysis (instead of EXPERIMENT)")
    adhoc.add_argument("--data", type=Path, help="CSV (.csv, .csv.gz) or Parquet file")
    adhoc.add_argument("--variant-column", help="column holding each unit's variant")
    adhoc.add_argument("--control", help="the control variant's value in that column")
    adhoc.add_argument("--treatment", help="the treatment's value (default: the other one)")
    adhoc.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME:mean|proportion[:higher|lower]",
        help="metric column; the first is primary, later ones secondary (repeatable)",
    )
    adhoc.add_argument(
        "--guardrail",
        action="append",
        default=[],
        metavar="NAME:mean|proportion:higher|lower:MAX_LOSS",
        help="guardrail metric with its largest tolerated relative loss, e.g. 0.05",
    )
    adhoc.add_argument(
        "--covariate",
        action="append",
        default=[],
        metavar="METRIC=COLUMN",
        help="pre-period covariate of a mean metric (CUPED)",
    )
    adhoc.add_argument(
        "--split", metavar="control=W,treatment=W", help="declared allocation (default: equal)"
    )
    adhoc.add_argument("--alpha", type=float, help="significance level (default 0.05)")
    adhoc.add_argument("--power", type=float, help="target power for sample sizes (default 0.8)")
    adhoc.add_argument("--mde", type=float, help="relative minimum detectable effect, e.g. 0.02")
    adhoc.add_argument("--min-samples", type=int, help="minimum units per variant (default 0)")
    adhoc.add_argument(
        "--correction",
        choices=("holm", "fdr_bh", "bonferroni", "none"),
        help="multiple-testing correction across metrics (default holm)",
    )
    adhoc.add_argument(
        "--sequential", action="store_true", default=None, help="always-valid (mSPRT) p-values"
    )
    add_format(analyze, ("text", "markdown", "json"))

    conclude = sub.add_parser(
        "conclude",
        help="record the result in the Experiment YAML on a branch; --open-pr opens the PR",
        description="Analyse experiments/NAME.yaml as committed at --rev, write status: "
        f"concluded and the result on branch {BRANCH_PREFIX}NAME (the work tree is not "
        "touched). A sample-ratio mismatch refuses the conclusion (exit 1).",
    )
    conclude.add_argument("name", metavar="NAME", help="experiment name (metadata.name)")
    conclude.add_argument("--rev", default="main", help="base revision (default: main)")
    add_pr_options(conclude)


def run(args: argparse.Namespace) -> int:
    if args.action == "analyze":
        return _run_analyze(args)
    return _run_conclude(args)


# ------------------------------------------------------------------------------ analyze


def _run_analyze(args: argparse.Namespace) -> int:
    from galfriday_gitops.data import read_table

    given = [name for name in _AD_HOC if getattr(args, name) not in (None, [])]
    if args.experiment is not None:
        if given:
            flags = ", ".join("--" + g.replace("_", "-") for g in given)
            raise UserError(
                f"{flags}: ad hoc options cannot be combined with EXPERIMENT "
                "(its YAML declares the metrics, design and data)"
            )
        root, experiment = _experiment_from_worktree(args.repo, args.experiment)
        plan = _plan(experiment)
        frame = read_table(experiment.spec.data, repo=root, columns=plan.columns())
    else:
        if args.data is None:
            raise UserError("give EXPERIMENT (experiments/NAME.yaml) or --data FILE")
        plan = _ad_hoc_plan(args)
        frame = read_table(args.data, columns=plan.columns())
        plan = _with_treatment(plan, frame)
    result = _analyze(frame, plan)
    if args.format == "json":
        print_json(result.to_dict())
    elif args.format == "markdown":
        from galfriday_gitops.report.experiment import render_markdown

        sys.stdout.write(render_markdown(result))
    else:
        from galfriday_gitops.report.experiment import render_text

        sys.stdout.write(render_text(result))
    return 0


def _experiment_from_worktree(repo: Path, ref: str) -> tuple[Path, Experiment]:
    """(registry root, resource) for ``experiments/NAME.yaml`` or ``NAME``."""
    from galfriday_gitops import gitio
    from galfriday_gitops.findings import blocking
    from galfriday_gitops.load.state import load_worktree
    from galfriday_gitops.resources import Experiment

    root = gitio.toplevel(repo).resolve()
    if ref.endswith((".yaml", ".yml")) or "/" in ref:
        path = Path(ref)
        path = (path if path.is_absolute() else Path.cwd() / path).resolve()
    else:
        path = root / "experiments" / f"{ref}.yaml"
    if not path.is_file():
        raise UserError(f"{ref}: no such experiment file ({path})")
    try:
        rel = path.relative_to(root).as_posix()
    except ValueError:
        raise UserError(f"{path} is outside the registry {root}") from None
    state = load_worktree(root, [path])
    errors = blocking(state.findings)
    if errors:
        raise UserError(f"invalid experiment: {errors[0].one_line()}")
    found = [e for e in state.experiments() if state.path_of(e) == rel]
    if not found:
        raise UserError(f"{rel}: not an Experiment")
    experiment = found[0]
    if not isinstance(experiment, Experiment):  # pragma: no cover - narrowing for mypy
        raise UserError(f"{rel}: not an Experiment")
    return root, experiment


def _plan(experiment: Experiment) -> AnalysisPlan:
    from galfriday_gitops.experiments.spec import plan_for

    try:
        return plan_for(experiment)
    except ValueError as exc:
        raise UserError(f"experiment {experiment.metadata.name}: {exc}") from None


def _parse_metric(text: str, *, guardrail: bool) -> tuple[str, str, str, float | None]:
    """``NAME:KIND[:DIRECTION]`` (or ``NAME:KIND:DIRECTION:MAX_LOSS`` for a guardrail)."""
    option = "--guardrail" if guardrail else "--metric"
    parts = text.split(":")
    expected = (
        "NAME:mean|proportion:higher|lower:MAX_LOSS"
        if guardrail
        else "NAME:mean|proportion[:higher|lower]"
    )
    if len(parts) not in ((4,) if guardrail else (2, 3)) or not parts[0]:
        raise UserError(f"{option} {text!r}: expected {expected}")
    name, kind = parts[0], parts[1]
    direction = parts[2] if len(parts) > 2 else "higher"
    if kind not in _METRIC_KINDS:
        raise UserError(f"{option} {text!r}: kind must be one of {', '.join(_METRIC_KINDS)}")
    if direction not in _DIRECTIONS:
        raise UserError(f"{option} {text!r}: direction must be higher or lower")
    max_loss: float | None = None
    if guardrail:
        try:
            max_loss = float(parts[3])
        except ValueError:
            raise UserError(f"{option} {text!r}: MAX_LOSS must be a number") from None
        if not math.isfinite(max_loss) or max_loss < 0:
            raise UserError(f"{option} {text!r}: MAX_LOSS must be a non-negative number")
    return name, kind, direction, max_loss


def _parse_pairs(text: str, option: str, what: str) -> list[tuple[str, str]]:
    pairs = []
    for item in text.split(","):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UserError(f"{option} {text!r}: expected {what}")
        pairs.append((key.strip(), value.strip()))
    return pairs


def _ad_hoc_plan(args: argparse.Namespace) -> AnalysisPlan:
    from galfriday_gitops.experiments.spec import AnalysisPlan
    from galfriday_gitops.stats.experiment import MetricSpec

    if not args.variant_column or args.control is None:
        raise UserError("--data needs --variant-column and --control")
    if not args.metric:
        raise UserError("--data needs at least one --metric NAME:mean|proportion[:higher|lower]")
    metrics: list[MetricSpec] = []
    for i, text in enumerate(args.metric):
        name, kind, direction, _ = _parse_metric(text, guardrail=False)
        role = "primary" if i == 0 else "secondary"
        metrics.append(MetricSpec(name, kind, direction, role=role))  # type: ignore[arg-type]
    for text in args.guardrail:
        name, kind, direction, loss = _parse_metric(text, guardrail=True)
        metrics.append(MetricSpec(name, kind, direction, max_loss=loss, role="guardrail"))  # type: ignore[arg-type]
    names = [m.name for m in metrics]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UserError(f"metric(s) given twice: {', '.join(twice)}")
    kinds = {m.name: m.kind for m in metrics}
    covariates: dict[str, str] = {}
    for text in args.covariate:
        for metric, column in _parse_pairs(text, "--covariate", "METRIC=COLUMN"):
            if metric not in kinds:
                raise UserError(f"--covariate {text!r}: no metric {metric!r} was given")
            if kinds[metric] != "mean":
                raise UserError(f"--covariate {text!r}: CUPED applies to mean metrics only")
            covariates[metric] = column
    split: dict[str, float] | None = None
    if args.split is not None:
        split = {}
        for key, value in _parse_pairs(args.split, "--split", "VARIANT=WEIGHT,VARIANT=WEIGHT"):
            try:
                weight = float(value)
            except ValueError:
                raise UserError(f"--split {args.split!r}: {value!r} is not a number") from None
            if not math.isfinite(weight) or weight < 0:
                raise UserError(f"--split {args.split!r}: weights must be non-negative")
            split[key] = weight
        if sum(split.values()) <= 0:
            raise UserError(f"--split {args.split!r}: weights must not all be zero")
    alpha = 0.05 if args.alpha is None else args.alpha
    power = 0.8 if args.power is None else args.power
    if not 0 < alpha < 0.5:
        raise UserError(f"--alpha {alpha}: expected a number in (0, 0.5)")
    if not 0 < power < 1:
        raise UserError(f"--power {power}: expected a number in (0, 1)")
    if args.mde is not None and not (math.isfinite(args.mde) and args.mde > 0):
        raise UserError(f"--mde {args.mde}: expected a positive relative effect, e.g. 0.02")
    if args.min_samples is not None and args.min_samples < 0:
        raise UserError("--min-samples must not be negative")
    if args.sequential and args.mde is None:
        raise UserError("--sequential needs --mde (it sets the always-valid test's mixing scale)")
    return AnalysisPlan(
        variant_column=args.variant_column,
        control=str(args.control),
        treatment=None if args.treatment is None else str(args.treatment),
        metrics=tuple(metrics),
        covariates=covariates,
        split=split,
        alpha=alpha,
        power=power,
        mde=args.mde,
        min_samples=args.min_samples or 0,
        sequential=bool(args.sequential),
        correction=args.correction or "holm",
    )


def _with_treatment(plan: AnalysisPlan, frame: pd.DataFrame) -> AnalysisPlan:
    """Name the treatment and map ``--split control=..,treatment=..`` onto the real labels."""
    import dataclasses

    labels = sorted({str(v) for v in frame[plan.variant_column].dropna().unique()})
    if plan.control not in labels:
        raise UserError(
            f"control {plan.control!r} not found in column {plan.variant_column!r} "
            f"(values: {', '.join(labels[:10]) or 'none'})"
        )
    treatment = plan.treatment
    if treatment is None:
        others = [v for v in labels if v != plan.control]
        if len(others) != 1:
            raise UserError(
                f"cannot tell the treatment from column {plan.variant_column!r} "
                f"(values besides control: {', '.join(others[:10]) or 'none'}); pass --treatment"
            )
        treatment = others[0]
    split = plan.split
    if split is not None:
        # "control"/"treatment" are roles; the data may label the arms anything ("A", "B", 0, 1).
        roles = {"control": plan.control, "treatment": treatment}
        split = {(roles[k] if k in roles and k not in labels else k): w for k, w in split.items()}
        missing = [v for v in (plan.control, treatment) if v not in split]
        if missing:
            raise UserError(f"--split does not give a weight for variant(s) {', '.join(missing)}")
    return dataclasses.replace(plan, treatment=treatment, split=split)


def _analyze(frame: pd.DataFrame, plan: AnalysisPlan) -> ExperimentResult:
    from galfriday_gitops.experiments.spec import analyze
    from galfriday_gitops.stats.experiment import ExperimentDataError

    try:
        return analyze(frame, plan)
    except (ExperimentDataError, ValueError) as exc:
        raise UserError(str(exc)) from None


# ------------------------------------------------------------------------------ conclude


@dataclass(frozen=True)
class _Committed:
    """The experiment at the base revision: resource, file, raw YAML."""

    experiment: Experiment
    path: str
    text: str


def _committed_experiment(root: Path, rev: str, name: str) -> _Committed:
    from galfriday_gitops import gitio
    from galfriday_gitops.load.state import load_state
    from galfriday_gitops.resources import ExperimentStatus

    state = load_state(root, rev)
    experiment = state.experiment(name)
    if experiment is None:
        known = ", ".join(e.metadata.name for e in state.experiments()) or "none"
        raise UserError(f"no experiment named {name!r} at {rev} (experiments: {known})")
    if experiment.spec.status is ExperimentStatus.CONCLUDED:
        raise UserError(f"experiment {name} is already concluded at {rev}")
    path = state.path_of(experiment)
    raw = gitio.read_blob(root, gitio.rev_parse(root, rev), path)
    if raw is None:  # pragma: no cover - the state was just read from this revision
        raise UserError(f"{path} is missing at {rev}")
    return _Committed(experiment, path, raw.decode("utf-8"))


def _previous_conclusion(root: Path, branch: str, path: str) -> ExperimentOutcome | None:
    """The ``result`` on our branch from an earlier run, if there is a valid one."""
    from galfriday_gitops import gitio
    from galfriday_gitops.load.layout import Slot, classify
    from galfriday_gitops.load.state import parse_blob
    from galfriday_gitops.resources import Experiment

    raw = gitio.read_blob(root, f"refs/heads/{branch}", path)
    slot = classify(path)
    if raw is None or not isinstance(slot, Slot):
        return None
    resource, _ = parse_blob(raw, slot)
    return resource.spec.result if isinstance(resource, Experiment) else None


def _run_conclude(args: argparse.Namespace) -> int:
    from galfriday_gitops import dvcio, gitio
    from galfriday_gitops.data import read_table
    from galfriday_gitops.experiments.spec import outcome_of
    from galfriday_gitops.forge.base import ForgeError
    from galfriday_gitops.paths import NAME_PATTERN
    from galfriday_gitops.report.experiment import render_markdown, render_text
    from galfriday_gitops.write.propose import propose

    name: str = args.name
    if not re.match(NAME_PATTERN, name):
        raise UserError(f"{name!r} is not a valid experiment name")
    root = gitio.toplevel(args.repo).resolve()
    committed = _committed_experiment(root, args.rev, name)
    experiment = committed.experiment
    plan = _plan(experiment)
    data_path = root / experiment.spec.data
    frame = read_table(data_path, repo=root, columns=plan.columns())
    result = _analyze(frame, plan)
    if result.srm.flagged:
        sys.stdout.write(render_text(result))
        print(
            f"gfops: refusing to conclude {name}: sample-ratio mismatch "
            f"(p = {result.srm.p_value:.3g} < 0.001, observed {result.srm.observed} against "
            "the declared split). The assignment is broken: fix it and re-run the experiment.",
            file=sys.stderr,
        )
        return 1

    branch = BRANCH_PREFIX + name
    data_md5 = dvcio.md5_of(data_path)
    concluded_at = dt.datetime.now(dt.UTC)
    outcome = outcome_of(experiment, result, data_md5=data_md5, concluded_at=concluded_at)
    previous = _previous_conclusion(root, branch, committed.path)
    stamp = {"concluded_at": outcome.concluded_at}
    if previous is not None and previous.model_copy(update=stamp) == outcome:
        # Same data, same numbers: keep the earlier time so a re-run changes nothing.
        outcome = previous
    new_text = record_outcome(committed.text, outcome)
    _check_recorded(committed.path, new_text, outcome)

    forge = None
    if args.open_pr:
        from galfriday_gitops.forge.github import GitHubForge

        try:
            forge = GitHubForge.from_env()
        except ForgeError as exc:
            raise UserError(f"--open-pr: {exc}") from None
    winner = outcome.winner or "none"
    title = f"Conclude experiment {name}: {result.decision} (winner: {winner})"
    body = _pr_body(experiment, committed.path, outcome, render_markdown(result))
    try:
        proposal = propose(
            root,
            base=args.rev,
            branch=branch,
            files={committed.path: new_text.encode("utf-8")},
            message=f"{title}\n\nData: {experiment.spec.data} (md5 {data_md5})",
            title=title,
            body=body,
            forge=forge,
            remote=args.remote if args.open_pr else None,
        )
    except ForgeError as exc:
        raise UserError(str(exc)) from None
    print(f"{name}: {result.decision} (winner: {winner})")
    print_proposal(proposal)
    return 0


def _pr_body(experiment: Experiment, path: str, outcome: ExperimentOutcome, report: str) -> str:
    spec = experiment.spec
    return "\n".join(
        [
            PR_MARKER,
            f"Concludes `{experiment.metadata.name}` ({spec.model} {spec.treatment} vs "
            f"{spec.control}) in `{path}`.",
            "",
            report.rstrip("\n"),
            "",
            f"Data: `{spec.data}` (md5 `{outcome.data_md5}`), concluded at "
            f"{outcome.concluded_at.isoformat()}.",
            "",
        ]
    )


def _check_recorded(path: str, text: str, outcome: ExperimentOutcome) -> None:
    """Re-read the edited file with the registry's own loader: it must say what we meant."""
    from galfriday_gitops.load.layout import Slot, classify
    from galfriday_gitops.load.state import parse_blob
    from galfriday_gitops.resources import Experiment, ExperimentStatus

    slot = classify(path)
    if not isinstance(slot, Slot):
        raise RuntimeError(f"{path} is not an experiment file")
    resource, findings = parse_blob(text.encode("utf-8"), slot)
    if (
        not isinstance(resource, Experiment)
        or resource.spec.status is not ExperimentStatus.CONCLUDED
        or resource.spec.result != outcome
    ):
        detail = findings[0].one_line() if findings else "the result read back differs"
        raise RuntimeError(f"edited {path} does not validate: {detail}")


# ------------------------------------------------------------------------------ YAML edit


def _yaml11_float(value: float) -> str:
    """A float that YAML 1.1 readers (PyYAML, our loader) also read as a float.

    ``repr`` gives ``1e-06``, which YAML 1.1 reads as a *string* (its float form needs a
    dot), so the mantissa gets one.
    """
    text = repr(value)
    if "e" in text:
        mantissa, exponent = text.split("e")
        if "." not in mantissa:
            mantissa += ".0"
        if exponent[0] not in "+-":
            exponent = "+" + exponent
        return f"{mantissa}e{exponent}"
    return text if "." in text else text + ".0"


def _dump_result(outcome: ExperimentOutcome, step: int) -> list[str]:
    """``result:`` and its block, as YAML lines at column 0 (mapping indent ``step``)."""
    import io

    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq
    from ruamel.yaml.representer import RoundTripRepresenter
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    class Representer(RoundTripRepresenter):
        """Explicit ``null``, YAML-1.1-safe floats, ``...T...Z`` timestamps."""

    def _none(rep: Any, _: None) -> Any:
        return rep.represent_scalar("tag:yaml.org,2002:null", "null")

    def _float(rep: Any, value: float) -> Any:
        return rep.represent_scalar("tag:yaml.org,2002:float", _yaml11_float(value))

    def _datetime(rep: Any, value: dt.datetime) -> Any:
        text = value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return rep.represent_scalar("tag:yaml.org,2002:timestamp", text)

    # Registered on a subclass: ruamel's representer tables are class attributes.
    Representer.add_representer(type(None), _none)
    Representer.add_representer(float, _float)
    Representer.add_representer(dt.datetime, _datetime)

    data = outcome.model_dump(mode="python", by_alias=True)
    block = CommentedMap()
    for key, value in data.items():
        if key in ("samples", "ci"):
            value = CommentedMap(value) if key == "samples" else CommentedSeq(value)
            value.fa.set_flow_style()
        elif key == "dataMd5":
            value = DoubleQuotedScalarString(value)  # an all-digit md5 would be an integer
        block[key] = value
    yaml = YAML(typ="rt")
    yaml.Representer = Representer
    yaml.width = 4096
    yaml.indent(mapping=step, sequence=step + 2, offset=step)
    out = io.StringIO()
    yaml.dump(CommentedMap([("result", block)]), out)
    return out.getvalue().splitlines(keepends=True)


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def record_outcome(text: str, outcome: ExperimentOutcome) -> str:
    """``text`` with ``spec.status: concluded`` and ``spec.result`` set to ``outcome``.

    ruamel's round-trip parser locates the lines; only the status value and the result
    block are rewritten, so every other byte (comments, flow mappings, spacing, key
    order) stays as the author wrote it. The status line's end-of-line comment keeps its
    column when there is room.
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.error import YAMLError

    try:
        doc = YAML(typ="rt").load(text)
    except YAMLError as exc:
        raise UserError(f"cannot edit the experiment YAML: {exc}") from None
    spec = doc.get("spec") if isinstance(doc, CommentedMap) else None
    if not isinstance(spec, CommentedMap) or spec.fa.flow_style() or "status" not in spec:
        raise UserError("cannot edit the experiment YAML: spec must be a block mapping with status")
    lines = text.splitlines(keepends=True)
    newline = "\r\n" if lines and lines[0].endswith("\r\n") else "\n"

    # 1. The status value, in place.
    row, col = spec.lc.value("status")
    line = lines[row]
    token = re.match(r"\"[^\"]*\"|'[^']*'|[^\s#]+", line[col:])
    if token is None:  # pragma: no cover - ruamel just parsed a value here
        raise UserError("cannot edit the experiment YAML: no status value found")
    rest = line[col + token.end() :]
    grow = len("concluded") - token.end()
    gap = re.match(r" +(?=#)", rest)
    if gap is not None and grow != 0:
        width = max(1, len(gap.group()) - grow)
        rest = " " * width + rest[gap.end() :]
    lines[row] = line[:col] + "concluded" + rest

    # 2. The result block: replaced where it was, else inserted after the status line.
    key_col = spec.lc.key("status")[1]
    step = max(1, key_col - doc.lc.key("spec")[1])
    block = [" " * key_col + ln.rstrip("\r\n") + newline for ln in _dump_result(outcome, step)]
    if "result" in spec:
        start, result_col = spec.lc.key("result")
        end = start + 1
        while end < len(lines) and (not lines[end].strip() or _indent_of(lines[end]) > result_col):
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1  # blank lines after the block belong to what follows
        lines[start:end] = block
    else:
        at = row + 1
        if not lines[row].endswith(("\n", "\r")):
            lines[row] += newline
        lines[at:at] = block
    return "".join(lines)
