"""``gfops register ARTIFACT --name N (--version V | --bump PART)``: add a model version."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "track an artifact with DVC, push it, and write its version manifest"


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    return key, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("artifact", type=Path, help="the model file to register")
    parser.add_argument("--name", required=True, help="model name ([a-z0-9._-])")
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--version", help="explicit SemVer version")
    group.add_argument("--bump", choices=("major", "minor", "patch"), help="next version")
    parser.add_argument("--metrics", type=Path, help="JSON {validation: {...}, test: {...}}")
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
    parser.add_argument("--no-push", action="store_true", help="do not dvc push the artifact")
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress", action="store_true", default=None,
        help="progress lines on stderr (copy, hash, upload); default: only on a terminal",
    )  # fmt: skip
    progress.add_argument("--no-progress", dest="progress", action="store_false")


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.cli.output import request_from
    from galfriday_gitops.write.register import Registration, register

    registration = request_from(
        args,
        Registration,
        metrics_file=args.metrics,
        labels=dict(args.label),
        push=not args.no_push,
    )
    print(f"registered {register(args.repo, registration)}")
    return 0
