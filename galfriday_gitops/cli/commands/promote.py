"""``gfops promote NAME VERSION STAGE``: a one-line stage change on a branch, as a PR."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from galfriday_gitops.cli.output import add_pr_options, print_proposal
from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    from galfriday_gitops.forge.base import Forge
    from galfriday_gitops.write.promote import Plan

HELP = "change a version's stage on a new branch (one-line diff) and optionally open the PR"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name")
    parser.add_argument("version", help="version to move, e.g. 1.2.0")
    parser.add_argument("stage", help="target stage, e.g. production")
    parser.add_argument("--base", default="main", help="branch to start from (default: main)")
    parser.add_argument(
        "--also-move",
        action="append",
        default=[],
        metavar="VERSION=STAGE",
        help="move another version of the same model in the same commit (repeatable)",
    )
    parser.add_argument(
        "--keep-holder",
        action="store_true",
        help="do not move the target stage's current holder to the policy's previousHolder",
    )
    add_pr_options(parser)


def forge_from_env() -> Forge:
    """The GitHub forge from the environment; a missing variable is a one-line error."""
    from galfriday_gitops.forge import ForgeError, GitHubForge

    try:
        return GitHubForge.from_env()
    except ForgeError as exc:
        raise UserError(f"--open-pr: {exc}") from None


def submit_and_report(
    args: argparse.Namespace, plan: Plan, *, branch: str, title: str, body: str
) -> None:
    """Commit on ``branch``; with ``--open-pr`` push and open/update the PR; print the result."""
    from galfriday_gitops.forge import ForgeError
    from galfriday_gitops.write.promote import submit

    forge = forge_from_env() if args.open_pr else None
    try:
        proposal = submit(
            args.repo,
            plan,
            branch=branch,
            title=title,
            body=body,
            forge=forge,
            remote=args.remote if args.open_pr else None,
        )
    except ForgeError as exc:
        raise UserError(str(exc)) from None
    print_proposal(proposal)
    print()
    print(body)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.write.promote import (
        branch_for_promotion,
        parse_moves,
        parse_stage,
        plan_promotion,
        promotion_body,
        promotion_title,
    )

    stage = parse_stage(args.stage)
    plan = plan_promotion(
        args.repo,
        args.name,
        args.version,
        stage,
        base=args.base,
        also_move=parse_moves(args.also_move),
        move_previous_holder=not args.keep_holder,
    )
    submit_and_report(
        args,
        plan,
        branch=branch_for_promotion(plan),
        title=promotion_title(plan),
        body=promotion_body(plan),
    )
    return 0
