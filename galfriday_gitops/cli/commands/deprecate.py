"""``gfops deprecate NAME VERSION --reason ...``: a PR that deprecates a version."""

from __future__ import annotations

import argparse

from galfriday_gitops.cli.output import add_pr_options

HELP = "open a PR that moves a version to deprecated, with reason, replacement and end of life"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name")
    parser.add_argument("version", help="version to deprecate, e.g. 1.0.0")
    parser.add_argument("--reason", required=True, help="why (kept in spec.deprecation.reason)")
    parser.add_argument(
        "--replacement",
        metavar="VERSION",
        help="the version that replaces it (must be live when the LifecyclePolicy requires one)",
    )
    parser.add_argument(
        "--grace-days",
        type=int,
        metavar="N",
        help="days until end of life (default: the LifecyclePolicy's gracePeriodDays)",
    )
    parser.add_argument("--base", default="main", help="branch to start from (default: main)")
    add_pr_options(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.cli.commands.promote import submit_and_report
    from galfriday_gitops.write.deprecate import (
        branch_for_deprecation,
        deprecation_body,
        deprecation_title,
        plan_deprecation,
    )

    plan = plan_deprecation(
        args.repo,
        args.name,
        args.version,
        reason=args.reason,
        replacement=args.replacement,
        grace=args.grace_days,
        base=args.base,
    )
    submit_and_report(
        args,
        plan,
        branch=branch_for_deprecation(plan),
        title=deprecation_title(plan),
        body=deprecation_body(plan),
    )
    return 0
