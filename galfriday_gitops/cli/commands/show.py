"""``gfops show NAME[@VERSION]``: one model's versions, or one version in full."""

from __future__ import annotations

import argparse
import sys

from galfriday_gitops import gitio
from galfriday_gitops.cli.output import add_format, print_json
from galfriday_gitops.errors import UserError

HELP = "show a model's versions, or one version's manifest"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="NAME[@VERSION]")
    parser.add_argument("--rev", default="HEAD", help="git revision (default: HEAD)")
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.load.state import load_state
    from galfriday_gitops.report import registry

    name, _, version = str(args.ref).partition("@")
    state = load_state(gitio.toplevel(args.repo), args.rev)
    versions = state.versions_of(name)
    if not versions:
        known = ", ".join(state.models()) or "none"
        raise UserError(f"no model named {name!r} at {args.rev} (models: {known})")
    found = state.get(name, version.removeprefix("v")) if version else None
    if version and found is None:
        shown = ", ".join(v.version for v in versions)
        raise UserError(f"{name} has no version {version} (versions: {shown})")
    if args.format == "json":
        print_json(
            found.model_dump(mode="json", by_alias=True, exclude_none=True)
            if found
            else [{"version": v.version, "stage": v.stage.value} for v in versions]
        )
    elif found is not None:
        sys.stdout.write(registry.version(found, state.path_of(found)))
    else:
        sys.stdout.write(registry.versions(versions))
        from galfriday_gitops.apply import readers

        view = readers.read_tags(gitio.toplevel(args.repo))
        for warning in readers.misreadings(view, state.stage_table(), name):
            print(f"warning: {warning}", file=sys.stderr)
    return 0
