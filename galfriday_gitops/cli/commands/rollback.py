"""``gfops rollback NAME [--to VERSION]``: a PR that restores the previous production version."""

from __future__ import annotations

import argparse

from galfriday_gitops.cli.output import add_format, add_pr_options, print_proposed, request_from

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
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.write.rollback import RollbackRequest, rollback

    print_proposed(rollback(args.repo, request_from(args, RollbackRequest)), args.format)
    return 0
