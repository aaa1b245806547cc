"""``gfops status``: which version of each model is in which stage."""

from __future__ import annotations

import argparse
import sys

from galfriday_gitops import gitio
from galfriday_gitops.cli.output import add_format, print_json

HELP = "models x stages table of the registry at a revision (default HEAD)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rev", default="HEAD", help="git revision (default: HEAD)")
    parser.add_argument("--worktree", action="store_true", help="read the files on disk instead")
    parser.add_argument("--all", action="store_true", help="also show retired and archived stages")
    add_format(parser, ("text", "json", "gto"))


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.load.summary import stage_summary, worktree_summary

    root = gitio.toplevel(args.repo)
    summary = worktree_summary(root) if args.worktree else stage_summary(root, args.rev)
    from galfriday_gitops.apply import readers

    view = readers.read_tags_cached(root)
    if args.format == "gto":  # gto show --json's shape exactly: no field of ours
        print_json(readers.gto_show(view, summary.table, readers.gto_stages(root, summary.table)))
        return 0
    warnings = readers.misreadings(view, summary.table)
    if args.format == "json":
        print_json(
            {
                "rev": summary.rev,
                "models": summary.table,
                "errors": summary.errors,
                "warnings": warnings,
                "trafficPercent": summary.traffic,  # added last: older readers ignore it
            }
        )
    else:
        from galfriday_gitops.report.registry import status_text

        sys.stdout.write(status_text(summary, show_all=args.all, warnings=warnings))
    return 0
