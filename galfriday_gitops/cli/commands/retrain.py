"""``gfops retrain NAME --reason TEXT``: new data window, ``dvc repro``, register, propose.

Runs in a temporary git worktree of ``--base``; see :mod:`galfriday_gitops.write.retrain`
(including why the scheduled workflow needs a GitHub App or fine-grained token).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from galfriday_gitops.cli.output import add_format, add_pr_options, print_json
from galfriday_gitops.errors import UserError

HELP = "retrain a model on a new data window and propose it as a PR (version in development)"


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name")
    parser.add_argument("--reason", required=True, help="why (stored in spec.lineage.retraining)")
    parser.add_argument("--base", default="main", help="branch to start from (default: main)")
    add_pr_options(parser)
    parser.add_argument(
        "--window-days", type=int, help="length of the data window (default: the current one)"
    )
    parser.add_argument(
        "--end", type=_date, help="last day of the data window (default: today, UTC)"
    )
    parser.add_argument(
        "--body-file", type=Path, help="Markdown for the PR body (e.g. drift.md of gfops drift)"
    )
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.forge import ForgeError, GitHubForge
    from galfriday_gitops.write.retrain import RetrainRequest, retrain

    body = None
    if args.body_file is not None:
        try:
            body = args.body_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"--body-file {args.body_file}: {exc}") from None
    forge = None
    if args.open_pr:
        try:
            forge = GitHubForge.from_env()
        except ForgeError as exc:
            raise UserError(f"--open-pr needs the forge: {exc}") from None

    def log(message: str) -> None:
        if args.format == "text":
            print(f"retrain: {message}", file=sys.stderr, flush=True)

    request = RetrainRequest(
        name=args.name,
        reason=args.reason,
        base=args.base,
        remote=args.remote,
        open_pr=args.open_pr,
        window_days=args.window_days,
        end=args.end,
        body=body,
    )
    try:
        result = retrain(args.repo, request, forge=forge, log=log)
    except ForgeError as exc:
        raise UserError(str(exc)) from None
    pull = result.pull
    if args.format == "json":
        print_json(
            {
                "name": result.name,
                "version": result.version,
                "parent": result.parent,
                "branch": result.branch,
                "commit": result.commit,
                "window": {"start": result.window[0], "end": result.window[1]},
                "files": result.files,
                "pull": {"number": pull.number, "url": pull.html_url} if pull else None,
                "created": result.created,
            }
        )
        return 0
    print(f"{result.name} {result.version} (development, parent {result.parent or 'none'})")
    print(f"branch {result.branch} at {result.commit[:12]}: {', '.join(result.files)}")
    if pull is not None:
        print(f"{'opened' if result.created else 'updated'} PR #{pull.number}: {pull.html_url}")
    return 0
