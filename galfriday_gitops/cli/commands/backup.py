"""``gfops backup --to DIR``: git bundle of every ref, manifest, check of live artifacts in DVC."""

from __future__ import annotations

import argparse
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

    root = gitio.toplevel(args.repo)
    manifest = backup(root, args.to, rev=args.rev)
    missing = [a for a in manifest["artifacts"] if a["status"] != "present"]
    if args.format == "json":
        print_json(manifest)
        return 1 if missing else 0
    counts = manifest["counts"]
    print(
        f"backup {args.to}: {len(manifest['refs'])} refs ({counts['branches']} branches, "
        f"{counts['tags']} tags, {counts['auditTags']} audit tags), "
        f"bundle sha256 {manifest['bundle']['sha256'][:16]}"
    )
    remote = manifest["dvcRemote"]
    print(f"DVC remote: {remote['name'] + ' ' + remote['url'] if remote else 'none'}")
    for item in manifest["artifacts"]:
        print(
            f"  {item['status']:9} {item['model']}@{item['version']} ({item['stage']}) "
            f"{item['path']} md5 {item['md5']}: {item['detail']}"
        )
    if missing:
        print(f"{len(missing)} live artifact(s) not confirmed in the DVC remote")
    return 1 if missing else 0
