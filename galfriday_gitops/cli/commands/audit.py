"""``gfops audit export|verify``: the compliance report, and the trail's integrity check.

``export`` exits 1 when a stage change or a governed change in the period went in without
an approved PR (that number must be zero). ``verify`` exits 0 when nothing is wrong (warnings
aside), 1 on any error finding (GF206, GF300-GF312), 3 when the only problem is that nobody
can verify the records (GF311: unsigned, no allowed signers); ``--summary`` appends its
report to the job summary, ``--issue`` also opens or updates the one ``audit`` issue when
it is not ok.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from galfriday_gitops import gitio
from galfriday_gitops.cli.output import print_json

if TYPE_CHECKING:
    from galfriday_gitops.findings import Finding

HELP = "audit trail: export a compliance report, or verify main's history against its tags"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    export = sub.add_parser("export", help="compliance report of a period (json or csv)")
    export.add_argument("--since", required=True, help="first day (YYYY-MM-DD or ISO, UTC)")
    export.add_argument("--until", required=True, help="last day, inclusive")
    export.add_argument("--rev", default="main", help="branch to read (default: main)")
    export.add_argument("--format", choices=("json", "csv"), default="json")
    verify = sub.add_parser("verify", help="main's history against its audit tags")
    verify.add_argument("--rev", default="main", help="branch to walk (default: main)")
    verify.add_argument("--format", choices=("text", "json"), default="text")
    verify.add_argument("--summary", action="store_true", help="append to the job summary")
    verify.add_argument(
        "--issue", action="store_true", help="when not ok: open or update the 'audit' issue"
    )


def run(args: argparse.Namespace) -> int:
    repo = gitio.toplevel(args.repo)
    if args.action == "export":
        from galfriday_gitops.audit.export import export

        report = export(repo, since=args.since, until=args.until, rev=args.rev)
        if args.format == "csv":
            sys.stdout.write(report.to_csv())
        else:
            print_json(report.to_dict())
        return 1 if report.unapproved else 0
    from galfriday_gitops.audit.verify import exit_status, verify
    from galfriday_gitops.report.audit import verified

    findings = verify(repo, args.rev)
    status = exit_status(findings)
    if args.format == "json":
        print_json([f.to_dict() for f in findings])
    else:
        sys.stdout.write(verified(args.rev, findings))
    if args.summary or (args.issue and status):
        _tell(args.rev, findings, issue=args.issue and status != 0)
    return status


def _tell(rev: str, findings: list[Finding], *, issue: bool) -> None:
    from galfriday_gitops.alert import notify
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.report.audit import verified_markdown

    env = ActionsEnv.read()
    markdown = verified_markdown(rev, findings, env.run_url)
    if issue:
        notify("audit", markdown, actions=env)  # writes the summary too
    else:
        env.append_summary(markdown)
