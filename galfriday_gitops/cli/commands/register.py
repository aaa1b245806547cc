"""``gfops register ARTIFACT --name N (--version V | --bump PART)``: add a model version."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from galfriday_gitops.cli.output import add_progress, day

HELP = "track an artifact with DVC, push it, and write its version manifest"


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    return key, value


def _scalar(text: str) -> str | int | float | bool | None:
    """A hyperparameter value as YAML would read it: 3, 0.5, true, null, else text."""
    lowered = text.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered in ("null", "~"):
        return None
    for kind in (int, float):
        try:
            value = kind(text)
        except ValueError:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            break  # NaN/inf: not a number a manifest holds; kept as text
        return value
    return text


def _hyperparameter(text: str) -> tuple[str, str | int | float | bool | None]:
    key, value = _label(text)
    return key, _scalar(value)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("artifact", type=Path, help="the model file to register")
    parser.add_argument("--name", required=True, help="model name ([a-z0-9._-])")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--version", help="explicit SemVer version")
    group.add_argument("--bump", choices=("major", "minor", "patch"), help="next version")
    parser.add_argument(
        "--metrics", type=Path,
        help="JSON metrics: {validation: {...}, test: {...}}, `dvc metrics show --json` output, "
        "or DVCLive's metrics.json (default: the metrics files dvc.yaml declares)",
    )  # fmt: skip
    parser.add_argument(
        "--metrics-split", choices=("validation", "test"), default="test",
        help="where metrics outside a validation/test block go (default: test)",
    )  # fmt: skip
    parser.add_argument("--model-type", default="unknown")
    parser.add_argument("--framework", default="unknown")
    parser.add_argument("--target")
    parser.add_argument(
        "--features", default=[], type=lambda s: [f for f in s.split(",") if f],
        help="comma-separated feature names",
    )  # fmt: skip
    parser.add_argument("--parent", help="parent version (default: current production)")
    parser.add_argument("--experiment")
    parser.add_argument("--description")
    parser.add_argument("--label", action="append", default=[], type=_label, metavar="KEY=VALUE")
    parser.add_argument("--tag", action="append", default=[], dest="tags", help="free-form tag")
    parser.add_argument(
        "--hyperparameter", action="append", type=_hyperparameter, metavar="KEY=VALUE",
        help="a hyperparameter (repeat; default: dvc.lock's params of the stage that made "
        "the artifact, else params.yaml's train section)",
    )  # fmt: skip
    parser.add_argument(
        "--data-start", type=day, metavar="YYYY-MM-DD",
        help="first day of the training data (with --data-end; default: params.yaml data.start)",
    )  # fmt: skip
    parser.add_argument("--data-end", type=day, metavar="YYYY-MM-DD", help="last day of it")
    parser.add_argument(
        "--no-push", action="store_true",
        help="do not dvc push (the default remote is then not required)",
    )  # fmt: skip
    add_progress(parser, "only on a terminal; for the copy, the hashes and the upload")


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.cli.output import request_from
    from galfriday_gitops.write.register import Registration, register

    registration = request_from(
        args,
        Registration,
        metrics_file=args.metrics,
        labels=dict(args.label),
        hyperparameters=dict(args.hyperparameter) if args.hyperparameter else None,
        push=not args.no_push,
    )
    print(f"registered {register(args.repo, registration)}")
    return 0
