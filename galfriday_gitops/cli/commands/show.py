"""``gfops show NAME[@STAGE|@VERSION]``: a model's versions, or one version in full.

Reads only that model's folder, and renders the cached manifest as data: no pydantic object
is built. ``NAME@STAGE``, ``NAME@VERSION`` and ``models:/NAME@STAGE`` name one version
(:mod:`galfriday_gitops.uri`), as ``Registry.resolve`` reads them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from galfriday_gitops import gitio
from galfriday_gitops.cli.output import add_format, print_json
from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    from galfriday_gitops.stages import ModelStage

HELP = "show a model's versions, or one version (NAME@STAGE or NAME@VERSION) in full"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("ref", metavar="NAME[@STAGE|@VERSION]")
    parser.add_argument("--rev", default="HEAD", help="git revision (default: HEAD)")
    add_format(parser)


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.registry import Registry, RegistryError
    from galfriday_gitops.report import registry as render
    from galfriday_gitops.uri import InvalidModelURI, parse_uri

    try:
        uri = parse_uri(args.ref)
        reg = Registry(gitio.toplevel(args.repo), args.rev)
        if uri.version is None and uri.stage is None:
            found = reg.stages(uri.name)
            if args.format == "json":
                print_json([{"version": v, "stage": s.value} for v, s in found])
            else:
                sys.stdout.write(render.versions(uri.name, found))
                _dvc_warnings(reg.git_dir, uri.name, found)
            return 0
        path, manifest = reg.manifest(args.ref)
    except (InvalidModelURI, RegistryError) as exc:
        raise UserError(str(exc)) from None
    if args.format == "json":
        print_json(manifest)
    else:
        sys.stdout.write(render.version(manifest, path))
    return 0


def _dvc_warnings(root: Path, name: str, found: list[tuple[str, ModelStage]]) -> None:
    """A stage DVC resolves to a version that is not in it (``apply.readers``), from this
    model's tags only."""
    from galfriday_gitops.apply import readers

    row: dict[str, list[str]] = {}
    for version, stage in found:
        row.setdefault(stage.value, []).append(version)
    view = readers.read_tags(root, patterns=(f"refs/tags/{name}@*", f"refs/tags/{name}#*"))
    for warning in readers.misreadings(view, {name: row}, name):
        print(f"warning: {warning}", file=sys.stderr)
