"""``gfops drift``: data and performance drift of a model, of every model, or of two files.

``--model NAME`` runs that model's DriftPolicy, ``--all`` every policy (``--act``
performs each policy's ``onDrift``), ``--reference PATH --current PATH`` compares two
files with the default tests. Exit 0 no drift, 1 drift, 2 could not run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops.cli.output import add_format, add_progress, print_json, request_from

if TYPE_CHECKING:
    from galfriday_gitops.monitor.job import DriftOutcome

HELP = "drift of a model's data against its reference (exit 0 none, 1 drift, 2 could not run)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", metavar="NAME", help="run this model's DriftPolicy")
    what.add_argument("--all", action="store_true", help="run every DriftPolicy")
    what.add_argument("--reference", type=Path, metavar="PATH", help="ad hoc: reference file")
    parser.add_argument("--current", type=Path, metavar="PATH", help="ad hoc: current file")
    parser.add_argument(
        "--categorical", action="append", default=[], metavar="COL",
        help="ad hoc: treat COL as categorical (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--numeric", action="append", default=[], metavar="COL",
        help="ad hoc: treat COL as numeric (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--rev",
        default="HEAD",
        help="revision to read policies and manifests from (data: work tree)",
    )
    add_format(parser, ("text", "json", "github"))
    parser.add_argument(
        "--report", type=Path, metavar="DIR", help="write drift.md and drift.html into DIR"
    )
    add_progress(parser, "only for inputs over 1M rows")
    act = parser.add_argument_group("acting on drift (--all or --model)")
    act.add_argument("--act", action="store_true", help="perform each drifted policy's onDrift")
    act.add_argument(
        "--local",
        action="store_true",
        help="with --act: retraining branches are committed locally, issues skipped; no forge",
    )
    act.add_argument("--base", default="main", help="base branch of retraining PRs (main)")
    act.add_argument("--remote", default="origin", help="git remote to push branches to")
    act.add_argument("--window-days", type=int, help="retraining data window (default: same)")


def _print_text(outcome: DriftOutcome, fmt: str) -> None:
    from galfriday_gitops.report.drift import github_annotations, text_table

    for i, r in enumerate(outcome.runs):
        if fmt == "github":
            sys.stdout.write(github_annotations(r))
            continue
        if i:
            print()
        print(text_table(r))
        if r.name in outcome.actions:
            print(f"action: {outcome.actions[r.name].summary}")
        for path in outcome.written.get(r.name, []):
            print(f"wrote {path}")


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.monitor.job import DriftRequest, drift

    outcome = drift(args.repo, request_from(args, DriftRequest))
    if args.format == "json":
        print_json(outcome.to_dict())
    else:
        _print_text(outcome, args.format)
    for err in outcome.errors:
        print(f"gfops: error: {err}", file=sys.stderr)
    return outcome.exit_code
