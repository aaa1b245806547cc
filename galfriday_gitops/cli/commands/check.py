"""``gfops check --base REV --head REV``: judge a pull request (or a merge group).

Both revisions are read as git objects; nothing from the head is executed. Policies
and teams come from the base. Exit 0 allowed, 1 blocked, 2 could not run — and
anything that prevents a sound verdict (an API error, a truncated listing, missing
review data where approvals are needed) blocks rather than passes. The work is
:func:`galfriday_gitops.gate.check`; this module parses and prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from galfriday_gitops.cli.output import request_from, when
from galfriday_gitops.report.verdict import FORMATS

HELP = "judge a change: diff base..head, apply the base's policies (0 allowed, 1 blocked)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base", help="base revision (default: from --event)")
    parser.add_argument("--head", help="head revision (default: from --event)")
    parser.add_argument(
        "--event", type=Path, help="GitHub event payload (default: $GITHUB_EVENT_PATH)"
    )
    parser.add_argument("--event-name", help="pull_request | pull_request_review | merge_group")
    parser.add_argument(
        "--reviews",
        type=Path,
        help="offline: GitHub's list-reviews JSON, `gh api` output as is (docs/offline-reviews.md)",
    )
    parser.add_argument("--commits", type=Path, help="offline: JSON of GitHub's list-PR-commits")
    parser.add_argument("--pr-author", help="offline: the pull request's author login")
    parser.add_argument("--pr-head", help="offline: the PR's head sha (approvals must be on it)")
    parser.add_argument("--now", type=when, help="judge as of this UTC date/time (freeze windows)")
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--comment", action="store_true", help="create/update the PR comment")
    parser.add_argument("--summary", action="store_true", help="append to $GITHUB_STEP_SUMMARY")
    parser.add_argument(
        "--status",
        action="store_true",
        help="post commit status 'galfriday/reconciler' on the judged head (branch protection)",
    )


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.gate import CheckRequest, ReconcilerFailed, check
    from galfriday_gitops.report.verdict import failure, render

    try:
        result = check(args.repo, request_from(args, CheckRequest))
    except ReconcilerFailed as exc:
        if args.debug:
            raise
        sys.stdout.write(failure(exc.finding, args.format))
        print("gfops: the reconciler failed; the change is blocked (exit 2)", file=sys.stderr)
        return 2
    env = ActionsEnv.read()
    blob = env.blob_url(result.commit)
    sys.stdout.write(render(result.verdict, args.format, repository=env.repository_url, blob=blob))
    return 0 if result.allowed else 1
