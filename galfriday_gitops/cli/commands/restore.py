"""``gfops restore --from DIR --to NEWDIR``: a fresh repository from a ``gfops backup``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HELP = "restore a gfops backup into a new repository (all refs, audit tags, HEAD checked out)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from", dest="source", required=True, type=Path, metavar="DIR", help="backup folder"
    )
    parser.add_argument(
        "--to", required=True, type=Path, metavar="NEWDIR", help="new or empty folder"
    )


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.lifecycle.backup import restore
    from galfriday_gitops.report.lifecycle import restored

    sys.stdout.write(restored(str(args.to), restore(args.source, args.to)))
    return 0
