"""``gfops show NAME[@VERSION]``: one model's versions, or one version in full."""

from __future__ import annotations

import argparse

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

    name, _, version = str(args.ref).partition("@")
    state = load_state(gitio.toplevel(args.repo), args.rev)
    versions = state.versions_of(name)
    if not versions:
        known = ", ".join(state.models()) or "none"
        raise UserError(f"no model named {name!r} at {args.rev} (models: {known})")
    if not version:
        if args.format == "json":
            print_json([{"version": v.version, "stage": v.stage.value} for v in versions])
        else:
            for v in versions:
                print(f"{v.ref:40} {v.stage.value}")
        return 0
    found = state.get(name, version.removeprefix("v"))
    if found is None:
        raise UserError(
            f"{name} has no version {version} (versions: {', '.join(v.version for v in versions)})"
        )
    data = found.model_dump(mode="json", by_alias=True, exclude_none=True)
    if args.format == "json":
        print_json(data)
        return 0
    spec = found.spec
    print(f"{found.ref}  stage: {spec.stage.value}  ({state.path_of(found)})")
    print(f"  type: {spec.model_type} ({spec.framework}); target: {spec.target or '-'}")
    print(f"  features: {', '.join(spec.features) or '-'}")
    for split, table in (("validation", spec.metrics.validation), ("test", spec.metrics.test)):
        if table:
            print(f"  {split}: " + ", ".join(f"{k}={v:g}" for k, v in table.items()))
    lineage = spec.lineage
    print(f"  lineage: parent={lineage.parent or '-'} experiment={lineage.experiment or '-'}")
    for artifact in spec.artifacts:
        print(f"  artifact: {artifact.path} md5={artifact.md5} size={artifact.size}")
    if spec.deprecation:
        d = spec.deprecation
        replacement = d.replacement or "-"
        print(f"  deprecated: {d.reason}; end of life {d.end_of_life}; replacement {replacement}")
    return 0
