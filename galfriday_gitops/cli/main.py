"""Parse the command line and dispatch to ``commands/<verb>.py``; nothing else lives here.

Exit codes: 0 ok / allowed, 1 invalid / blocked, 2 could not run. A UserError (bad
input, unreadable repository) or a ForgeError (GitHub unreachable, refused, not configured)
is one line on stderr and exit 2 — caught here and nowhere else, so a gate that cannot
reach GitHub fails closed; a traceback is only shown for the toolkit's own bugs, and only
with ``--debug``.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol, cast

from galfriday_gitops.errors import UserError, missing_extra

COMMANDS = (
    "init",
    "validate",
    "status",
    "show",
    "ls",
    "check",
    "schema",
    "rules",
    "register",
    "promote",
    "rollback",
    "experiment",
    "drift",
    "retrain",
    "apply",
    "history",
    "audit",
    "alert",
    "deprecate",
    "lifecycle",
    "backup",
    "restore",
    "site",
)


class Command(Protocol):
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace) -> int: ...


def _command(name: str) -> Command:
    module = importlib.import_module(f"galfriday_gitops.cli.commands.{name}")
    return cast(Command, module)


def requested_command(argv: Sequence[str]) -> str | None:
    """The command ``argv`` names, past the global options; None when there is none."""
    args = iter(argv)
    for arg in args:
        if arg in ("-C", "--repo"):
            next(args, None)
        elif arg != "--debug" and not arg.startswith(("--repo=", "-C")):
            return arg if arg in COMMANDS else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The whole command line, or with ``only`` just that command's (each command's options
    cost an import and ~2 ms to declare: a run needs one of them, ``--help`` all)."""
    parser = argparse.ArgumentParser(
        prog="gfops",
        description="galfriday-gitops: a git repository as an ML model registry.",
    )
    parser.add_argument(
        "-C", "--repo", type=Path, default=Path(), help="registry repository (default: .)"
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS if only is None else (only,):
        command = _command(name)
        command.add_arguments(sub.add_parser(name, help=command.HELP, description=command.HELP))
    return parser


def _is_forge_error(exc: BaseException) -> bool:
    # The forge package is imported lazily (only commands that talk to GitHub load it):
    # a ForgeError can only have been raised if its module is loaded.
    base = sys.modules.get("galfriday_gitops.forge.base")
    return base is not None and isinstance(exc, base.ForgeError)


# A gfops run is short, and what it allocates mostly lives to its end: the loaded registry
# (a few objects per manifest), the schema validators. At CPython's default first threshold
# (700 allocations) the cycle collector runs hundreds of times over those survivors —
# about a tenth of a `check` at 10,000 manifests (docs/design-notes.md, issue 16). Cycles
# are still collected, in batches of this many allocations.
_GC_FIRST_THRESHOLD = 50_000


def collect_less() -> None:
    """Raise the collector's thresholds for this process (never lower them)."""
    first, second, third = gc.get_threshold()
    if first < _GC_FIRST_THRESHOLD:
        gc.set_threshold(_GC_FIRST_THRESHOLD, max(second, 10), max(third, 10))


def without_pydantic_plugins() -> None:
    """Validate with pydantic alone: plugins that other packages register (entry point group
    ``pydantic``) are not loaded, as ``PYDANTIC_DISABLE_PLUGINS`` says — unless the variable
    is already set (an empty value loads them all). The gate's validation is a trust
    boundary that runs no code it does not need, and finding plugins means reading every
    installed package's metadata: ~10-20 ms of each validating command."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def main(argv: Sequence[str] | None = None) -> int:
    collect_less()
    without_pydantic_plugins()
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(requested_command(argv))
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help is 0, a usage error is 2
        return int(exc.code or 0)
    try:
        return _command(args.command).run(args)
    except UserError as exc:
        print(f"gfops: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `gfops ... | head`: the reader left, nothing to report
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print("gfops: interrupted", file=sys.stderr)
        return 2
    except Exception as exc:
        missing = missing_extra(exc) if isinstance(exc, ImportError) else None
        if missing is not None:  # an optional extra that is not installed: say which
            print(f"gfops: error: {missing}", file=sys.stderr)
            return 2
        if _is_forge_error(exc):
            print(f"gfops: error: {exc}", file=sys.stderr)
            return 2
        if args.debug:
            raise
        print(
            f"gfops: internal error: {type(exc).__name__}: {exc} "
            "(this is a bug in gfops; re-run with --debug for the traceback)",
            file=sys.stderr,
        )
        return 2
