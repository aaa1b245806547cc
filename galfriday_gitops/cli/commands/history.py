"""``gfops history NAME``: registrations and stage changes of a model, oldest first.

Built from main's history (what changed, when, in which commit) joined with the audit
tags (PR, approvers, tag name). A change that has no tag is shown as ``untagged``.
"""

from __future__ import annotations

import argparse
import sys

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
    from galfriday_gitops.load.folders import model_names
    from galfriday_gitops.paths import is_name
    from galfriday_gitops.query import unknown_model
    from galfriday_gitops.report.audit import history

    if not is_name(args.name):
        raise UserError(f"{args.name!r} is not a model name ([a-z0-9][a-z0-9._-]*)")
    root = gitio.toplevel(args.repo)
    changes = timeline(root, args.rev, args.name)
    if not changes:  # a typo is an error, not an empty history (deleted models keep theirs)
        known = model_names(root, gitio.rev_parse(root, args.rev))
        if args.name not in known:
            raise UserError(unknown_model(args.name, known, args.rev))
    if args.format == "json":
        rows = [c.to_dict() for c in changes]
        print_json({"model": args.name, "rev": args.rev, "history": rows})
    else:
        sys.stdout.write(history(args.name, args.rev, changes))
    return 0
