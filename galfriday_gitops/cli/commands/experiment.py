"""``gfops experiment analyze|conclude``: analyse an A/B experiment, record its outcome by PR.

``analyze`` reads an Experiment resource (or ad hoc options) and the outcome data, and
prints the analysis as text, Markdown or JSON. ``conclude`` records the outcome on branch
``galfriday/conclude/<name>`` (:mod:`galfriday_gitops.write.conclude`) and, with
``--open-pr``, pushes it and opens or updates the pull request. Exit codes: 0 analysed /
proposed, 1 refused (sample-ratio mismatch), 2 could not run.

Only argument syntax lives here (``NAME:KIND[:DIRECTION]``, ``A=B,C=D``); what the values
may be is checked by the library. pandas and scipy are imported inside :func:`run`: the
CLI imports every command module to build its parser, and ``gfops --help`` must stay fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, cast

from galfriday_gitops.cli.output import (
    add_format,
    add_pr_options,
    print_json,
    print_proposal,
    request_from,
)
from galfriday_gitops.errors import UserError
from galfriday_gitops.stats.multitest import METHODS
from galfriday_gitops.write.conclude import BRANCH_PREFIX

if TYPE_CHECKING:
    from galfriday_gitops.experiments.adhoc import AdHocRequest
    from galfriday_gitops.stats.experiment import (
        Direction,
        ExperimentResult,
        MetricKind,
        MetricSpec,
        Role,
    )

HELP = "analyse an A/B experiment, or conclude it: record the result on a branch and open a PR"

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
_METRIC_SYNTAX = "NAME:mean|proportion[:higher|lower]"
_GUARDRAIL_SYNTAX = "NAME:mean|proportion:higher|lower:MAX_LOSS"


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
        choices=METHODS,
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
    add_format(conclude)


def run(args: argparse.Namespace) -> int:
    if args.action == "analyze":
        return _run_analyze(args)
    return _run_conclude(args)


def _metric(text: str, role: Role) -> MetricSpec:
    """``NAME:KIND[:DIRECTION]`` (a guardrail: ``NAME:KIND:DIRECTION:MAX_LOSS``)."""
    from galfriday_gitops.stats.experiment import MetricSpec

    guardrail = role == "guardrail"
    option, syntax = (
        ("--guardrail", _GUARDRAIL_SYNTAX) if guardrail else ("--metric", _METRIC_SYNTAX)
    )
    parts = text.split(":")
    if len(parts) not in ((4,) if guardrail else (2, 3)) or not parts[0]:
        raise UserError(f"{option} {text!r}: expected {syntax}")
    try:
        # MetricSpec checks kind and direction; the casts only name the types.
        return MetricSpec(
            parts[0],
            cast("MetricKind", parts[1]),
            cast("Direction", parts[2] if len(parts) > 2 else "higher"),
            max_loss=float(parts[3]) if guardrail else None,
            role=role,
        )
    except ValueError as exc:
        raise UserError(f"{option} {text!r}: {exc}") from None


def _pairs(text: str | None, option: str) -> dict[str, str]:
    """``A=B,C=D`` as a mapping."""
    out: dict[str, str] = {}
    for item in (text or "").split(",") if text else []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UserError(f"{option} {text!r}: expected NAME=VALUE[,NAME=VALUE]")
        out[key.strip()] = value.strip()
    return out


def _ad_hoc_request(args: argparse.Namespace) -> AdHocRequest:
    from galfriday_gitops.experiments.adhoc import AdHocRequest

    if not args.variant_column or args.control is None:
        raise UserError("--data needs --variant-column and --control")
    if not args.metric:
        raise UserError(f"--data needs at least one --metric {_METRIC_SYNTAX}")
    metrics = [
        _metric(text, "primary" if i == 0 else "secondary") for i, text in enumerate(args.metric)
    ]
    metrics += [_metric(text, "guardrail") for text in args.guardrail]
    covariates: dict[str, str] = {}
    for text in args.covariate:
        covariates.update(_pairs(text, "--covariate"))
    split = _pairs(args.split, "--split") if args.split is not None else None
    given = {
        "alpha": args.alpha,
        "power": args.power,
        "mde": args.mde,
        "min_samples": args.min_samples,
        "sequential": args.sequential,
        "correction": args.correction,
    }
    return AdHocRequest.parse(
        data=args.data,
        variant_column=args.variant_column,
        control=str(args.control),
        treatment=args.treatment,
        metrics=tuple(metrics),
        covariates=covariates,
        split=split,
        **{k: v for k, v in given.items() if v is not None},
    )


def _analysis(args: argparse.Namespace) -> ExperimentResult:
    from galfriday_gitops.experiments.analysis import analyze_data, analyze_experiment

    given = [name for name in _AD_HOC if getattr(args, name) not in (None, [])]
    if args.experiment is not None:
        if given:
            flags = ", ".join("--" + g.replace("_", "-") for g in given)
            raise UserError(
                f"{flags}: ad hoc options cannot be combined with EXPERIMENT "
                "(its YAML declares the metrics, design and data)"
            )
        return analyze_experiment(args.repo, args.experiment)
    if args.data is None:
        raise UserError("give EXPERIMENT (experiments/NAME.yaml) or --data FILE")
    return analyze_data(_ad_hoc_request(args))


def _run_analyze(args: argparse.Namespace) -> int:
    from galfriday_gitops.report.experiment import render_markdown, render_text

    result = _analysis(args)
    if args.format == "json":
        print_json(result.to_dict())
    else:
        render = render_markdown if args.format == "markdown" else render_text
        sys.stdout.write(render(result))
    return 0


def _run_conclude(args: argparse.Namespace) -> int:
    from galfriday_gitops.report.experiment import render_text
    from galfriday_gitops.write.conclude import ConcludeRequest, conclude

    done = conclude(args.repo, request_from(args, ConcludeRequest))
    if done.refused is not None:
        print(f"gfops: refusing to conclude {done.name}: {done.refused}", file=sys.stderr)
    if args.format == "json":
        print_json(done.to_dict())
    elif done.refused is not None:
        sys.stdout.write(render_text(done.result))
    else:
        print(f"{done.name}: {done.result.decision} (winner: {done.winner})")
        assert done.proposal is not None  # not refused: proposed
        print_proposal(done.proposal)
    return 1 if done.refused is not None else 0
