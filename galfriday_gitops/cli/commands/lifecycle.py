"""``gfops lifecycle``: end-of-life warnings, retirement PRs, inference health and rollback PRs.

Exit codes: 0 nothing critical; 1 critical findings (a version past or within
``criticalDaysBeforeEol`` of its end of life, a live version breaking an inference
threshold with enough samples); 2 could not run. With ``$GITHUB_STEP_SUMMARY`` set, the
Markdown report is appended to the job summary as well. The work is
:func:`galfriday_gitops.lifecycle.run.lifecycle`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from galfriday_gitops.cli.output import add_format, print_json, request_from, when

HELP = (
    "deprecation warnings, retirement PRs past end of life, inference-log health and rollback "
    "PRs (exit 0 ok, 1 critical, 2 could not run)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rev", default="main", help="branch to judge and base PRs on (main)")
    add_format(parser, ("text", "markdown", "json"))
    parser.add_argument(
        "--act",
        action="store_true",
        help="open or update the retirement/rollback PRs and issues "
        "(GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL); without it, only report",
    )
    parser.add_argument(
        "--local", action="store_true", help="with --act: write local branches only, no forge"
    )
    parser.add_argument("--remote", default="origin", help="git remote to push to (--act)")
    parser.add_argument(
        "--logs",
        type=Path,
        help="inference logs: a file, a folder, or a Parquet glob read through Dask "
        "(default: the policy's logs)",
    )
    parser.add_argument(
        "--now",
        type=when,
        help="judge as of this UTC date/time, also the end of the inference window "
        "(default: today, and the newest log record)",
    )


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.lifecycle.run import LifecycleRequest, lifecycle
    from galfriday_gitops.report.lifecycle import markdown, text

    result = lifecycle(args.repo, request_from(args, LifecycleRequest))
    ActionsEnv.read().append_summary(markdown(result))
    if args.format == "json":
        print_json(result.as_json())
    else:
        print(markdown(result) if args.format == "markdown" else text(result))
    return 1 if result.critical else 0
