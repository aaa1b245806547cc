"""``gfops promote NAME VERSION STAGE``: a one-line stage change on a branch, as a PR."""

from __future__ import annotations

import argparse

from galfriday_gitops.cli.output import add_format, add_pr_options, print_proposed, request_from

HELP = "change a version's stage on a new branch (one-line diff) and optionally open the PR"


def _move(text: str) -> tuple[str, str]:
    version, sep, stage = text.partition("=")
    if not sep or not version or not stage:
        raise argparse.ArgumentTypeError(f"{text!r}: expected VERSION=STAGE, e.g. 1.1.0=staging")
    return version, stage


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name")
    parser.add_argument("version", help="version to move, e.g. 1.2.0")
    parser.add_argument("stage", help="target stage, e.g. production")
    parser.add_argument("--base", default="main", help="branch to start from (default: main)")
    parser.add_argument(
        "--also-move",
        action="append",
        default=[],
        type=_move,
        metavar="VERSION=STAGE",
        help="move another version of the same model in the same commit (repeatable)",
    )
    parser.add_argument(
        "--traffic",
        type=float,
        metavar="PERCENT",
        help="canary only: the share of traffic it serves (spec.rollout.trafficPercent); "
        "required to enter canary, and with a version already in canary it ramps the share",
    )
    parser.add_argument(
        "--keep-holder",
        action="store_true",
        help="do not move the target stage's current holder to the policy's previousHolder",
    )
    add_pr_options(parser)
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.write.promote import PromoteRequest, promote

    request = request_from(args, PromoteRequest, also_move=dict(args.also_move))
    print_proposed(promote(args.repo, request), args.format)
    return 0
