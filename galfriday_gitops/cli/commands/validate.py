"""``gfops validate [PATH...]``: check registry files (work tree or --rev); report all errors."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.catalogue import rule
from galfriday_gitops.cli.output import add_format, print_json
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding, blocking
from galfriday_gitops.paths import REGISTRY_DIRS

HELP = "validate manifests, policies and experiments (exit 0 valid, 1 invalid, 2 could not run)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", type=Path, help="files or folders (default: all)")
    parser.add_argument("--rev", help="validate a git revision instead of the work tree")
    add_format(parser)


def _outside_registry(root: Path, paths: list[Path]) -> list[Finding]:
    findings = []
    for p in paths:
        if not p.exists() and not p.is_symlink():
            raise UserError(f"{p}: no such file or folder")
        try:
            rel = p.absolute().relative_to(root)
        except ValueError:
            raise UserError(f"{p} is outside the repository {root}") from None
        if rel.parts and rel.parts[0] not in REGISTRY_DIRS:
            findings.append(
                rule("GF121").finding(
                    rel.as_posix(), 1, "not in a registry folder (models/, policies/, experiments/)"
                )
            )
    return findings


def run(args: argparse.Namespace) -> int:
    from galfriday_gitops.load.gates import gate_findings
    from galfriday_gitops.load.state import load_state, load_worktree

    repo: Path = args.repo
    if args.rev:
        if args.paths:
            raise UserError("give either PATHs (work tree) or --rev, not both")
        state = load_state(gitio.toplevel(repo), args.rev)
        early: list[Finding] = []
    else:
        # Outside a repository there is no registry to check: "0 files checked, all valid"
        # with exit 0 told a newcomer in the wrong folder that all was well.
        root = gitio.toplevel(repo).resolve()
        targets = [p if p.is_absolute() else Path.cwd() / p for p in args.paths]
        early = _outside_registry(root, targets)
        state = load_worktree(root, targets or None)
    gates = gate_findings(state, complete=args.rev is not None or not args.paths)
    findings = early + state.findings + gates
    errors = blocking(findings)
    if args.format == "json":
        print_json(
            {
                "valid": not errors,
                "files": len(state.entries),
                "findings": [f.to_dict() for f in findings],
            }
        )
    else:
        for f in findings:
            print(f.one_line())
        summary = f"{len(state.entries)} files checked, {len(errors)} errors"
        print(summary if findings else f"{summary}: all valid", file=sys.stderr)
    return 1 if errors else 0
