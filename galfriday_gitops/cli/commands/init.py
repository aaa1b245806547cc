"""``gfops init [DIR]``: scaffold a registry (git, DVC, policies, teams, schemas, workflows)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from galfriday_gitops.cli.output import add_format, print_json, request_from

HELP = "create a registry: git, DVC and its remote, policies, teams, schemas, workflows"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory", nargs="?", type=Path, default=Path(), help="new or empty folder (default: .)"
    )
    parser.add_argument(
        "--remote",
        metavar="URL",
        help="DVC remote (s3://, gs://, a path...); default: a local folder beside DIR",
    )
    parser.add_argument(
        "--team",
        action="append",
        default=[],
        metavar="NAME=LOGIN,LOGIN",
        help="a team of GitHub logins (repeatable); the first approves canary and production "
        "and owns the policies (default: a placeholder to edit)",
    )
    parser.add_argument(
        "--action",
        metavar="OWNER/NAME@SHA",
        help="the galfriday-gitops action the workflows run, pinned to a full commit",
    )
    parser.add_argument(
        "--allowed-signers",
        type=Path,
        metavar="FILE",
        help="SSH allowed-signers file: audit tags must be signed by a key in it",
    )
    parser.add_argument(
        "--existing",
        action="store_true",
        help="add a registry to a non-empty folder that is not one (nothing is overwritten)",
    )
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.report.scaffold import initialised
    from galfriday_gitops.scaffold.create import InitRequest, init_registry, parse_team

    request = request_from(args, InitRequest, team=[parse_team(t) for t in args.team])
    result = init_registry(args.repo, request)
    if args.format == "json":
        print_json(result.to_dict())
    else:
        sys.stdout.write(initialised(result, str(args.directory)))
    return 0
