"""``gfops apply [--after SHA]``: judge and record every commit of main not yet recorded.

Run on push to main and on a schedule (a backfill): it starts after the newest commit with
a record, whatever ``--before`` says (GitHub's ``before`` only helps notice a force push),
so a cancelled or skipped run is harmless. Review data comes from the forge when
GITHUB_TOKEN is set (the pull request GitHub merged as each commit), offline from
``--reviews/--commits`` for one PR, or nowhere with ``--no-reviews``. Exit 0 recorded (or
nothing to do), 1 something landed that the gate would block or main was rewritten (its
findings are printed; no approved record is written for it), 2 could not run. The work
is :func:`galfriday_gitops.apply.push.apply_push`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from galfriday_gitops.cli.output import add_format, print_json, request_from

HELP = "write the audit trail of a pushed range as GTO-compatible annotated tags"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--before", help="the previous tip (only to notice a force push; not where apply starts)"
    )
    parser.add_argument("--after", default="HEAD", help="the new tip (default: HEAD)")
    parser.add_argument("--push", action="store_true", help="push the range's tags to --remote")
    parser.add_argument("--remote", default="origin", help="remote for --push (default: origin)")
    parser.add_argument(
        "--push-batch",
        type=int,
        metavar="N",
        help="tags per git push (default 3: GitHub starts no workflow for the tags of a push "
        "of more; raise it only for a one-off backfill of a long history)",
    )
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
    parser.add_argument(
        "--no-reviews",
        action="store_true",
        help="no review data at all: judge every commit as a direct push",
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
    return 1 if result.failed else 0
