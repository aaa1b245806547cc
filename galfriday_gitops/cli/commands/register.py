"""``gfops register ARTIFACT --name N (--version V | --bump PART)``: add a model version."""

from __future__ import annotations

import argparse
from pathlib import Path

from galfriday_gitops.errors import UserError

HELP = "track an artifact with DVC, push it, and write its version manifest"


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
    parser.add_argument("--features", default="", help="comma-separated feature names")
    parser.add_argument("--parent", help="parent version (default: current production)")
    parser.add_argument("--experiment")
    parser.add_argument("--description")
    parser.add_argument("--label", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--no-push", action="store_true", help="do not dvc push the artifact")


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.write.register import Registration, register

    labels = {}
    for item in args.label:
        key, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"--label {item!r}: expected KEY=VALUE")
        labels[key] = value
    reg = Registration(
        artifact=args.artifact,
        name=args.name,
        version=args.version,
        bump=args.bump,
        metrics_file=args.metrics,
        model_type=args.model_type,
        framework=args.framework,
        target=args.target,
        features=[f for f in args.features.split(",") if f],
        parent=args.parent,
        experiment=args.experiment,
        description=args.description,
        labels=labels,
        push=not args.no_push,
    )
    path = register(args.repo, reg)
    print(f"registered {path}")
    return 0
