"""``gfops history NAME``: registrations and stage changes of a model, oldest first.

Built from main's history (what changed, when, in which commit) joined with the audit
tags (PR, approvers, tag name). A change that has no tag is shown as ``untagged``.
"""

from __future__ import annotations

import argparse
import re

from galfriday_gitops import gitio
from galfriday_gitops.cli.output import add_format, print_json
from galfriday_gitops.errors import UserError

HELP = "timeline of a model's registrations and stage changes (from git log and audit tags)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("name", help="model name")
    parser.add_argument("--rev", default="HEAD", help="branch to read (default: HEAD)")
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.audit.history import timeline
    from galfriday_gitops.paths import NAME_PATTERN

    if not re.match(NAME_PATTERN, args.name):
        raise UserError(f"{args.name!r} is not a model name ([a-z0-9][a-z0-9._-]*)")
    repo = gitio.toplevel(args.repo)
    changes = timeline(repo, args.rev, args.name)
    rows = [c.to_dict() for c in changes]
    if args.format == "json":
        print_json({"model": args.name, "rev": args.rev, "history": rows})
        return 0
    if not rows:
        print(f"{args.name}: no registrations or stage changes on {args.rev}")
        return 0
    for row in rows:
        move = f"{row['from'] or '-'} -> {row['to'] or '-'}"
        pr = f"PR #{row['pr']}" if row["pr"] is not None else "no PR"
        approvers = ", ".join(row["approvers"]) or "-"
        tags = " ".join(row["tags"]) or "UNTAGGED"
        print(
            f"{row['when']}  {row['version']:<10} {row['event']:<14} {move:<26} "
            f"{pr:<8} approvers: {approvers:<16} {row['commit'][:12]}  {tags}"
        )
    return 0
