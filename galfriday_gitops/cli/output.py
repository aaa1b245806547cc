"""Shared output helpers for commands: JSON to stdout, rich tables only when asked."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    from galfriday_gitops.write.propose import Proposal


def print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=False, default=str)
    sys.stdout.write("\n")


def add_format(parser: Any, choices: tuple[str, ...] = ("text", "json")) -> None:
    parser.add_argument("--format", choices=choices, default="text", help="output format")


def add_pr_options(parser: Any) -> None:
    """``--open-pr`` and ``--remote``: the same two options on every write command."""
    parser.add_argument(
        "--open-pr",
        action="store_true",
        help="push the branch and open or update the pull request "
        "(GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL)",
    )
    parser.add_argument("--remote", default="origin", help="git remote to push to (--open-pr)")


def load_json(path: Path, what: str) -> Any:
    """A JSON input file, or a one-line UserError naming it."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"{what} {path}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"{what} {path}: not JSON ({exc})") from None


def print_proposal(proposal: Proposal) -> None:
    """What a write command did: the branch, its commit, the pull request."""
    print(f"committed {proposal.commit[:12]} on branch {proposal.branch}")
    if proposal.pull is not None:
        verb = "opened" if proposal.created else "updated"
        print(f"{verb} pull request #{proposal.pull.number}: {proposal.pull.html_url}")
