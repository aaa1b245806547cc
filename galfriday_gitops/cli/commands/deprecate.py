"""``gfops deprecate NAME VERSION --reason ...``: a PR that deprecates a version."""

from __future__ import annotations

import argparse

from galfriday_gitops.cli.output import add_format, add_pr_options, print_proposed, request_from

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
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.write.deprecate import DeprecateRequest, deprecate

    print_proposed(deprecate(args.repo, request_from(args, DeprecateRequest)), args.format)
    return 0
