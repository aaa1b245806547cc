"""``gfops ls``: the versions that match — stage, label, tag, metric expressions — sorted
by a metric, as text, JSON or CSV.

One call: :meth:`galfriday_gitops.registry.Registry.query` (the filters of
:class:`galfriday_gitops.query.Query`); the rows are rendered by ``report/registry.py``.
"""

from __future__ import annotations

import argparse
import sys

from galfriday_gitops import gitio
from galfriday_gitops.cli.output import add_format, print_json
from galfriday_gitops.errors import UserError

HELP = "list versions by stage, label, tag and metric (--where 'test.accuracy>=0.8')"


def _label(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE, e.g. team=quant")
    return key, value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("models", nargs="*", metavar="NAME", help="model names or globs")
    parser.add_argument("--rev", default="HEAD", help="git revision (default: HEAD)")
    parser.add_argument(
        "--stage", action="append", default=[], help="in this stage (repeat: any of them)"
    )
    parser.add_argument(
        "--label", action="append", type=_label, default=[], metavar="KEY=VALUE",
        help="with this label (repeat: all of them)",
    )  # fmt: skip
    parser.add_argument("--tag", action="append", default=[], help="with this tag (repeat: any)")
    parser.add_argument(
        "--where", action="append", default=[], metavar="EXPR",
        help="metric condition, e.g. 'test.accuracy>=0.8' (repeat: all of them)",
    )  # fmt: skip
    parser.add_argument("--sort", metavar="SPLIT.METRIC", help="sort by a metric, e.g. test.auc")
    parser.add_argument("--desc", action="store_true", help="with --sort: highest first")
    add_format(parser, ("text", "json", "csv"))


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.query import Query
    from galfriday_gitops.registry import Registry, RegistryError
    from galfriday_gitops.report import registry as render

    query = Query(
        models=args.models,
        stages=args.stage,
        labels=dict(args.label),
        tags=args.tag,
        where=args.where,
        sort=args.sort,
        descending=args.desc,
    )
    try:
        rows = Registry(gitio.toplevel(args.repo), args.rev).query(query)
    except RegistryError as exc:
        raise UserError(str(exc)) from None
    if args.format == "json":
        print_json(render.listing_json(rows))
    elif args.format == "csv":
        sys.stdout.write(render.listing_csv(rows))
    else:
        sys.stdout.write(render.listing_text(rows, query.metric_refs()))
    return 0
