"""``gfops restore --from DIR --to NEWDIR``: a fresh repository from a ``gfops backup``."""

from __future__ import annotations

import argparse
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

    manifest = restore(args.source, args.to)
    print(
        f"restored {len(manifest['refs'])} refs into {args.to} "
        f"(HEAD {manifest.get('head') or 'detached'}, commit {manifest['commit'][:12]} "
        f"at backup time)"
    )
    print("artifacts come from the DVC remote named in .dvc/config: `dvc pull` fetches them")
    return 0
