"""``gfops audit export|verify``: the compliance report, and the trail's integrity check.

``export`` exits 1 when a stage change in the period went in without an approved PR
(that number must be zero); ``verify`` exits 1 on any finding (GF300-GF307).
"""

from __future__ import annotations

import argparse
import sys

from galfriday_gitops import gitio
from galfriday_gitops.cli.output import print_json

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
    from galfriday_gitops.audit.verify import verify
    from galfriday_gitops.report.audit import verified

    findings = verify(repo, args.rev)
    if args.format == "json":
        print_json([f.to_dict() for f in findings])
    else:
        sys.stdout.write(verified(args.rev, findings))
    return 1 if findings else 0
