"""``gfops site --out DIR``: the registry as a static HTML site, from git alone."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from galfriday_gitops.cli.output import add_format, print_json, request_from

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
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.report.site import built
    from galfriday_gitops.site import SiteRequest, build_site

    result = build_site(args.repo, request_from(args, SiteRequest))
    if args.format == "json":
        print_json(result.to_dict())
    else:
        sys.stdout.write(built(result))
    return 0
