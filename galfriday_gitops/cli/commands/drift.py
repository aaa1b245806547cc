"""``gfops drift``: data and performance drift of a model, of every model, or of two files.

``--model NAME`` runs that model's DriftPolicy, ``--all`` every policy (``--act``
performs each policy's ``onDrift``), ``--reference PATH --current PATH`` compares two
files with the default tests. Exit 0 no drift, 1 drift, 2 could not run.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops.cli.output import add_format, print_json
from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    from galfriday_gitops.forge.base import Forge
    from galfriday_gitops.monitor.drift_run import ActionResult, DriftRun

HELP = "drift of a model's data against its reference (exit 0 none, 1 drift, 2 could not run)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument("--model", metavar="NAME", help="run this model's DriftPolicy")
    what.add_argument("--all", action="store_true", help="run every DriftPolicy")
    what.add_argument("--reference", type=Path, metavar="PATH", help="ad hoc: reference file")
    parser.add_argument("--current", type=Path, metavar="PATH", help="ad hoc: current file")
    parser.add_argument(
        "--categorical", action="append", default=[], metavar="COL",
        help="ad hoc: treat COL as categorical (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--numeric", action="append", default=[], metavar="COL",
        help="ad hoc: treat COL as numeric (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--rev",
        default="HEAD",
        help="revision to read policies and manifests from (data: work tree)",
    )
    add_format(parser)
    parser.add_argument(
        "--report", type=Path, metavar="DIR", help="write drift.md and drift.html into DIR"
    )
    progress = parser.add_mutually_exclusive_group()
    progress.add_argument(
        "--progress", action="store_true", default=None,
        help="progress lines on stderr (default: only for inputs over 1M rows)",
    )  # fmt: skip
    progress.add_argument("--no-progress", dest="progress", action="store_false")
    act = parser.add_argument_group("acting on drift (--all or --model)")
    act.add_argument("--act", action="store_true", help="perform each drifted policy's onDrift")
    act.add_argument("--base", default="main", help="base branch of retraining PRs (main)")
    act.add_argument("--remote", default="origin", help="git remote to push branches to")
    act.add_argument("--window-days", type=int, help="retraining data window (default: same)")


def _forge() -> Forge:
    from galfriday_gitops.forge import ForgeError, GitHubForge

    try:
        return GitHubForge.from_env()
    except ForgeError as exc:
        raise UserError(f"--act needs the forge: {exc}") from None


def _write_report(run: DriftRun, directory: Path) -> list[Path]:
    from galfriday_gitops.monitor.report import html_report, markdown_report

    try:
        directory.mkdir(parents=True, exist_ok=True)
        md, page = directory / "drift.md", directory / "drift.html"
        md.write_text(markdown_report(run), encoding="utf-8")
        page.write_text(html_report(run), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"--report {directory}: {exc.strerror or exc}") from None
    return [md, page]


def _runs(args: argparse.Namespace) -> tuple[Path | None, list[DriftRun], list[str]]:
    """Run what was asked; returns (repo root, runs, one-line errors of policies that failed)."""
    from galfriday_gitops.monitor.drift_run import Progress, run_adhoc, run_policy

    progress = Progress(args.progress)
    if args.reference is not None:
        if args.current is None:
            raise UserError("--reference needs --current")
        if args.act:
            raise UserError("--act needs a policy (--model or --all), not ad hoc files")
        run = run_adhoc(
            args.reference,
            args.current,
            numeric=args.numeric,
            categorical=args.categorical,
            progress=progress,
        )
        return None, [run], []
    if args.current is not None or args.numeric or args.categorical:
        raise UserError("--current/--numeric/--categorical are for ad hoc runs (--reference)")
    from galfriday_gitops import gitio
    from galfriday_gitops.load.state import load_state

    root = gitio.toplevel(args.repo)
    state = load_state(root, args.rev)
    policies = state.drift_policies()
    if args.model is not None:
        policies = [p for p in policies if p.spec.model == args.model]
        if not policies:
            raise UserError(f"no DriftPolicy for model {args.model!r} at {args.rev}")
    elif not policies:
        raise UserError(f"no DriftPolicy in policies/ at {args.rev}")
    runs: list[DriftRun] = []
    errors: list[str] = []
    for policy in policies:
        try:
            runs.append(run_policy(root, policy, state, progress=progress))
        except UserError as exc:
            if args.model is not None:
                raise
            # One model's bad data must not hide the others' drift.
            errors.append(f"{policy.spec.model}: {exc}")
    return root, runs, errors


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.forge import ForgeError
    from galfriday_gitops.monitor.drift_run import act
    from galfriday_gitops.monitor.report import text_table

    root, runs, errors = _runs(args)
    actions: dict[str, ActionResult] = {}
    if args.act:
        assert root is not None
        for r in runs:
            if not r.drifted:
                continue
            try:
                actions[r.name] = act(
                    root,
                    r,
                    forge=_forge,
                    base=args.base,
                    remote=args.remote,
                    window_days=args.window_days,
                )
            except (UserError, ForgeError) as exc:
                errors.append(f"{r.name}: onDrift {r.action.value} failed: {exc}")
    written: dict[str, list[Path]] = {}
    if args.report is not None:
        for r in runs:
            where = args.report if len(runs) == 1 and not args.all else args.report / r.name
            written[r.name] = _write_report(r, where)
    if args.format == "json":
        docs: list[dict[str, Any]] = []
        for r in runs:
            doc = r.to_dict()
            if r.name in actions:
                doc["action"] = actions[r.name].to_dict()
            docs.append(doc)
        if args.all:
            print_json({"models": {d["model"]: d for d in docs}, "errors": errors})
        elif docs:
            print_json(docs[0])
    else:
        for i, r in enumerate(runs):
            if i:
                print()
            print(text_table(r))
            if r.name in actions:
                print(f"action: {actions[r.name].summary}")
            for path in written.get(r.name, []):
                print(f"wrote {path}")
    for err in errors:
        print(f"gfops: error: {err}", file=sys.stderr)
    if errors:
        return 2
    return 1 if any(r.drifted for r in runs) else 0
