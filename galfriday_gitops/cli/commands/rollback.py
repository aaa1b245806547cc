"""``gfops rollback NAME [--to VERSION]``: a PR that restores the previous production version."""

from __future__ import annotations

import argparse

from galfriday_gitops.cli.output import add_pr_options

HELP = "open a PR that returns production to the previous production version"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name")
    parser.add_argument(
        "--to", metavar="VERSION", help="version to restore (default: the one before, by history)"
    )
    parser.add_argument("--base", default="main", help="branch to start from (default: main)")
    parser.add_argument("--reason", help="the evidence: why production is rolled back")
    parser.add_argument(
        "--demote-to",
        metavar="STAGE",
        help="where the current production version goes "
        "(default: the policy's previousHolder for production, else deprecated)",
    )
    add_pr_options(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.cli.commands.promote import submit_and_report
    from galfriday_gitops.write.promote import parse_stage
    from galfriday_gitops.write.rollback import (
        branch_for_rollback,
        plan_rollback,
        rollback_body,
        rollback_title,
    )

    plan, periods = plan_rollback(
        args.repo,
        args.name,
        to=args.to,
        base=args.base,
        reason=args.reason,
        demote_to=parse_stage(args.demote_to) if args.demote_to else None,
    )
    submit_and_report(
        args,
        plan,
        branch=branch_for_rollback(plan.name),
        title=rollback_title(plan),
        body=rollback_body(plan, periods, args.reason),
    )
    return 0
