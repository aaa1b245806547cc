"""``gfops site --out DIR``: the registry as a static HTML site, from git alone."""

from __future__ import annotations

import argparse
from pathlib import Path

from galfriday_gitops.findings import printable

HELP = "build a static HTML site of the registry at a revision (works from file:// and Pages)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DIR",
        help="folder to build into: new, empty, or a site built before (replaced as a whole)",
    )  # fmt: skip
    parser.add_argument("--rev", default="HEAD", help="git revision to show (default: HEAD)")
    parser.add_argument(
        "--reports", type=Path, metavar="DIR",
        help="folder with drift.json (gfops drift --all --format json) and lifecycle.json "
        "(gfops lifecycle --format json), shown on the drift and lifecycle page",
    )  # fmt: skip


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.site import build_site

    result = build_site(args.repo, args.rev, args.out, reports=args.reports)
    print(
        printable(
            f"wrote {result.pages} pages ({result.models} models) to {result.out} "
            f"from {args.rev} = {result.commit[:12]}"
        )
    )
    if result.audit_findings:
        print(f"audit: {result.audit_findings} finding(s) on this history; see audit.html")
    return 0
