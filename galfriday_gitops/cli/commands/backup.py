"""``gfops backup --to DIR``: git bundle of every ref, manifest, check of live artifacts in DVC."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from galfriday_gitops.cli.output import add_format, print_json

HELP = (
    "back up the registry (git bundle with all refs and audit tags, manifest) and check that "
    "live versions' artifacts are in the DVC remote (exit 1 if any is missing)"
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--to", required=True, type=Path, metavar="DIR", help="new or empty folder")
    parser.add_argument(
        "--rev", default="HEAD", help="revision whose live versions are checked (default: HEAD)"
    )
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops import gitio
    from galfriday_gitops.lifecycle.backup import backup
    from galfriday_gitops.report.lifecycle import backed_up

    manifest = backup(gitio.toplevel(args.repo), args.to, rev=args.rev)
    if args.format == "json":
        print_json(manifest)
    else:
        sys.stdout.write(backed_up(str(args.to), manifest))
    return 1 if any(a["status"] != "present" for a in manifest["artifacts"]) else 0
