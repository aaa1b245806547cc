"""``gfops alert JOB``: report a failed job: the job summary, and its one issue.

Run by a workflow step ``if: failure()`` with the token the job acts with; a second
failure updates the same issue instead of opening another. With ``--missed FILE`` it watches
another workflow instead: it reports only when FILE has no successful run in ``--within``
hours (a run that failed, or never started). The work is
:func:`galfriday_gitops.alert.alert`.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from galfriday_gitops.cli.output import add_format, print_json, request_from

HELP = "report a failed job: append to the job summary, open or update its one issue"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from galfriday_gitops.alert import WITHIN_HOURS

    parser.add_argument("job", help="the job's name (e.g. drift, lifecycle, apply, audit)")
    parser.add_argument("--details", type=Path, help="a file (Markdown or text) to include")
    parser.add_argument(
        "--missed",
        metavar="WORKFLOW_FILE",
        help="report only if this workflow (e.g. drift.yml) has no successful run lately",
    )
    parser.add_argument(
        "--within",
        type=float,
        default=WITHIN_HOURS,
        metavar="HOURS",
        help=f"with --missed: how recent its last success must be (default: {WITHIN_HOURS:g})",
    )
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.alert import AlertRequest, alert

    result = alert(request_from(args, AlertRequest))
    if args.format == "json":
        print_json(result.to_dict())
    elif not result.alerted:
        sys.stdout.write(f"{result.job}: last succeeded {result.last_success}; nothing to report\n")
    else:
        verb = "opened" if result.opened else "updated"
        sys.stdout.write(f"{result.job}: issue #{result.issue} {verb}\n")
    return 0
