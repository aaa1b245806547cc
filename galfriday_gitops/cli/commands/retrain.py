"""``gfops retrain NAME --reason TEXT``: new data window, ``dvc repro``, register, propose.

Runs in a temporary git worktree of ``--base``; see :mod:`galfriday_gitops.write.retrain`
(including why the scheduled workflow needs a GitHub App or fine-grained token).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from galfriday_gitops.cli.output import add_format, add_pr_options, day, print_json, request_from
from galfriday_gitops.errors import UserError

HELP = "retrain a model on a new data window and propose it as a PR (version in development)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name")
    parser.add_argument("--reason", required=True, help="why (stored in spec.lineage.retraining)")
    parser.add_argument("--base", default="main", help="branch to start from (default: main)")
    add_pr_options(parser)
    parser.add_argument(
        "--window-days", type=int, help="length of the data window (default: the current one)"
    )
    parser.add_argument("--end", type=day, help="last day of the data window (default: today, UTC)")
    parser.add_argument(
        "--body-file", type=Path, help="Markdown for the PR body (e.g. drift.md of gfops drift)"
    )
    parser.add_argument(
        "--experiment",
        metavar="NAME",
        help="make the new version the treatment of experiment NAME against production: a "
        "planned one, or a new one with the design of the model's last experiment (needed "
        "to reach a stage that requires an experiment win)",
    )
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.report.proposal import retrained
    from galfriday_gitops.write.retrain import RetrainRequest, retrain

    try:
        body = args.body_file.read_text(encoding="utf-8") if args.body_file else None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--body-file {args.body_file}: {exc}") from None

    def log(message: str) -> None:
        if args.format == "text":
            print(f"retrain: {message}", file=sys.stderr, flush=True)

    result = retrain(args.repo, request_from(args, RetrainRequest, body=body), log=log)
    if args.format == "json":
        print_json(result.to_dict())
    else:
        sys.stdout.write(retrained(result))
    return 0
