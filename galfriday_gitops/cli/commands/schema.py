"""``gfops schema``: print or write the JSON Schemas generated from the resource models."""

from __future__ import annotations

import argparse
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.apply.readers import GTO_CONFIG
from galfriday_gitops.errors import UserError
from galfriday_gitops.fsutil import atomic_write
from galfriday_gitops.schema_files import gto_text, schema_texts

HELP = "print a kind's JSON Schema, or --write/--check all of them in schemas/"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("kind", nargs="?", help="print one kind's schema (e.g. ModelVersion)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="write schemas/*.schema.json")
    group.add_argument("--check", action="store_true", help="exit 1 if schemas/ is out of date")
    parser.add_argument(
        "--dir", type=Path, help="schema folder (default: <repo>/schemas, and <repo>/.gto)"
    )


def _gto_config(path: Path) -> str:
    """``.gto`` with ModelStage as GTO's allowed stages (other settings kept)."""
    existing = path.read_text(encoding="utf-8") if path.exists() else None
    return gto_text(existing)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.resources import KINDS, SCHEMA_FILES

    if args.kind and args.kind not in KINDS:
        raise UserError(f"unknown kind {args.kind!r}; expected one of {', '.join(KINDS)}")
    if args.kind and (args.write or args.check):
        raise UserError("--write and --check act on all kinds; drop the KIND argument")
    if not (args.write or args.check):
        if args.kind:
            print(schema_texts()[SCHEMA_FILES[args.kind]], end="")
        else:
            for kind in KINDS:
                print(f"{kind}: schemas/{SCHEMA_FILES[kind]}")
        return 0
    folder: Path = args.dir or gitio.toplevel(args.repo) / "schemas"
    targets = {folder / name: text for name, text in schema_texts().items()}
    if args.dir is None:  # the repository's own schemas: GTO's stage list beside them
        targets[folder.parent / GTO_CONFIG] = _gto_config(folder.parent / GTO_CONFIG)
    stale = []
    for target, text in targets.items():
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current != text:
            stale.append(target)
            if args.write:
                atomic_write(target, text)
    verb = "wrote" if args.write else "out of date"
    for target in stale:
        print(f"{verb}: {target}")
    if args.check and stale:
        print("run `gfops schema --write` and commit the result")
        return 1
    return 0
