"""``gfops apply --before SHA --after SHA``: write the audit tags of a pushed range.

Run on push to main (GitHub's ``before``/``after``; an all-zero or missing
``--before`` means the whole history, which is also how an existing registry is
backfilled). Review data comes from the forge when GITHUB_TOKEN is set, or offline
from ``--reviews/--commits`` as for ``gfops check``. Exit 0 written or nothing to do,
2 could not run (including a tag name taken by a different fact). The work is
:func:`galfriday_gitops.apply.push.apply_push`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from galfriday_gitops.cli.output import add_format, print_json, request_from

HELP = "write the audit trail of a pushed range as GTO-compatible annotated tags"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--before", help="the previous tip (default / all zeros: from the root)")
    parser.add_argument("--after", default="HEAD", help="the new tip (default: HEAD)")
    parser.add_argument("--push", action="store_true", help="push the range's tags to --remote")
    parser.add_argument("--remote", default="origin", help="remote for --push (default: origin)")
    parser.add_argument("--actor", help="who pushed (default: $GITHUB_ACTOR)")
    parser.add_argument("--reviews", type=Path, help="offline: JSON of GitHub's list-reviews")
    parser.add_argument("--commits", type=Path, help="offline: JSON of GitHub's list-PR-commits")
    parser.add_argument("--pr-author", help="offline: the pull request's author login")
    parser.add_argument(
        "--pr", type=int, help="offline: the PR the review data is for (default: newest commit's)"
    )
    parser.add_argument(
        "--pr-head", help="offline: the PR's head sha (default: the merge's second parent)"
    )
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.apply.push import ApplyRequest, apply_push
    from galfriday_gitops.report.audit import applied

    result = apply_push(args.repo, request_from(args, ApplyRequest))
    for warning in result.result.warnings:
        print(f"gfops: warning: {warning}", file=sys.stderr)
    if args.format == "json":
        print_json(result.to_dict())
    else:
        sys.stdout.write(applied(result))
    return 0
