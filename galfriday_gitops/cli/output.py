"""Shared argument types and output helpers for commands: parsing in, printing out."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import fields
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

if TYPE_CHECKING:
    from galfriday_gitops.write.propose import Proposal, Proposed


class _Dataclass(Protocol):
    __dataclass_fields__: ClassVar[dict[str, Any]]


T = TypeVar("T", bound=_Dataclass)


def request_from(args: argparse.Namespace, cls: type[T], **extra: Any) -> T:
    """A library request dataclass filled from the options of the same names."""
    names = {f.name for f in fields(cls)}
    return cls(
        **{n: getattr(args, n) for n in names if n not in extra and hasattr(args, n)}, **extra
    )


def print_json(data: Any) -> None:
    # RFC 8259 has no NaN or Infinity: a non-finite number is a bug to fail on, not to print.
    # One write: json.dump to a stream makes a call per token (0.1 s for a 5,000-row table).
    text = json.dumps(data, indent=2, sort_keys=False, default=str, allow_nan=False)
    sys.stdout.write(text + "\n")


def add_format(parser: Any, choices: tuple[str, ...] = ("text", "json")) -> None:
    parser.add_argument("--format", choices=choices, default="text", help="output format")


def add_progress(parser: Any, default: str) -> None:
    """``--progress``/``--no-progress`` (None when neither: the command decides, ``default``
    says how)."""
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress", action="store_true", default=None,
        help=f"progress lines on stderr (default: {default})",
    )  # fmt: skip
    progress.add_argument("--no-progress", dest="progress", action="store_false")


def add_pr_options(parser: Any) -> None:
    """``--open-pr`` and ``--remote``: the same two options on every write command."""
    parser.add_argument(
        "--open-pr",
        action="store_true",
        help="push the branch and open or update the pull request "
        "(GITHUB_TOKEN, GITHUB_REPOSITORY, GITHUB_API_URL)",
    )
    parser.add_argument("--remote", default="origin", help="git remote to push to (--open-pr)")


def when(text: str) -> dt.datetime:
    """``--now``: an ISO date or date-time, UTC unless it names an offset."""
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r}: expected YYYY-MM-DD[THH:MM[:SS]]") from None
    return parsed.replace(tzinfo=dt.UTC) if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


def day(text: str) -> dt.date:
    """A ``YYYY-MM-DD`` option."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def print_proposal(proposal: Proposal) -> None:
    """What a write command did: the branch, its commit, the pull request."""
    from galfriday_gitops.report.proposal import proposal_lines

    sys.stdout.write(proposal_lines(proposal))


def print_proposed(result: Proposed, fmt: str) -> None:
    """A plan-based write verb's result: JSON, or the proposal and the PR body."""
    from galfriday_gitops.report.proposal import proposed

    if fmt == "json":
        print_json(result.to_dict())
    else:
        sys.stdout.write(proposed(result))
