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
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    root = gitio.toplevel(args.repo)
    if args.worktree:
        from galfriday_gitops.load.state import load_worktree

        state = load_worktree(root)
        rev, table, errors = None, state.stage_table(), len(state.findings)
    else:
        from galfriday_gitops.load.summary import stage_summary

        rev, table, errors = stage_summary(root, args.rev)
    if args.format == "json":
        print_json({"rev": rev, "models": table, "errors": errors})
        return 0
    from rich.console import Console
    from rich.table import Table

    from galfriday_gitops.resources import ModelStage

    hidden = set() if args.all else {ModelStage.RETIRED, ModelStage.ARCHIVED}
    stages = [s for s in ModelStage if s not in hidden]
    grid = Table(title=f"registry at {rev[:12] if rev else 'work tree'}")
    grid.add_column("model", style="bold")
    for stage in stages:
        grid.add_column(stage.value)
    for name, row in table.items():
        grid.add_row(name, *(", ".join(row.get(s.value, [])) for s in stages))
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(grid)
    if errors:
        console.print(f"[red]{errors} invalid file(s) were left out; run gfops validate[/red]")
    return 0
