"""Where a resource may live, and whether its path agrees with what it says it is.

``models/<name>/<version>.yaml``   ModelVersion (name and version as in metadata)
``policies/<any>.yaml``            StagePolicy, Teams, DriftPolicy, LifecyclePolicy
``experiments/<name>.yaml``        Experiment (name as in metadata)
Markdown files are ignored anywhere; other files under ``policies/`` are allowed
(e.g. the ``allowed_signers`` list), anything else is a misplaced file. In a work tree,
symlinks and submodules under the registry folders are findings, never followed.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from galfriday_gitops import gitio, paths
from galfriday_gitops.catalogue import rule
from galfriday_gitops.findings import Finding
from galfriday_gitops.semver import is_semver

POLICY_KINDS = frozenset({"StagePolicy", "Teams", "DriftPolicy", "LifecyclePolicy"})


@dataclass(frozen=True, slots=True)
class Slot:
    """What a registry path is allowed to hold."""

    folder: str  # models | policies | experiments
    kinds: frozenset[str]


SLOTS = {
    paths.MODELS: Slot(paths.MODELS, frozenset({"ModelVersion"})),
    paths.POLICIES: Slot(paths.POLICIES, POLICY_KINDS),
    paths.EXPERIMENTS: Slot(paths.EXPERIMENTS, frozenset({"Experiment"})),
}


def classify(path: str) -> Slot | Finding | None:
    """The slot for a registry file; a finding if it does not belong; None to ignore it."""
    parts = path.split("/")
    if parts[-1].endswith(".md"):
        return None
    top = parts[0]
    if top == paths.MODELS:
        found = paths.split_manifest_path(path)
        if found is None:
            return rule("GF121").finding(
                path, 1, "expected models/<name>/<version>.yaml (one manifest per version)"
            )
        name, version = found
        if not paths.is_name(name):
            return rule("GF112").finding(path, 1, f"model folder {name!r} is not a valid name")
        if not is_semver(version):
            return rule("GF113").finding(
                path, 1, f"file name {version!r} is not a SemVer version (e.g. 1.2.0.yaml)"
            )
        return SLOTS[paths.MODELS]
    if top == paths.POLICIES:
        if len(parts) != 2:
            return rule("GF121").finding(path, 1, "policies/ holds files, not folders")
        if parts[1].endswith(".yml"):
            return rule("GF121").finding(path, 1, "use the .yaml extension")
        if not parts[1].endswith(".yaml"):
            return None
        return SLOTS[paths.POLICIES]
    if top == paths.EXPERIMENTS:
        if paths.split_experiment_path(path) is None:
            return rule("GF121").finding(path, 1, "expected experiments/<name>.yaml")
        return SLOTS[paths.EXPERIMENTS]
    return None


def check_placement(
    path: str, kind: str, name: str, version: str, name_line: Callable[[], int]
) -> list[Finding]:
    """The path must agree with metadata (name, version) of what the file holds.

    ``name_line`` finds the line of metadata.name lazily: only a mismatch needs it.
    """
    if kind == "ModelVersion":
        if path != paths.manifest_path(name, version):
            return [
                rule("GF120").finding(
                    path,
                    name_line(),
                    f"metadata says {name}@{version} but the file is {path}",
                    hint=f"move it to {paths.manifest_path(name, version)}",
                )
            ]
    elif (stem := paths.split_experiment_path(path)) is not None and name != stem:
        return [
            rule("GF120").finding(
                path, name_line(), f"metadata.name {name!r} differs from the file name {stem!r}"
            )
        ]
    return []


def tree_files(
    items: Iterable[gitio.TreeEntry],
) -> tuple[list[tuple[str, str, Slot]], list[Finding]]:
    """Tree entries -> registry files (path, blob, slot), and findings for what may not be
    there (symlinks, submodules, misplaced files)."""
    files: list[tuple[str, str, Slot]] = []
    early: list[Finding] = []
    for item in items:
        if item.mode in _REFUSED_MODES:
            rule_id, what = _REFUSED_MODES[item.mode]
            early.append(
                rule(rule_id).finding(item.path, 1, f"{what} are refused in registry folders")
            )
            continue
        slot = classify(item.path)
        if isinstance(slot, Finding):
            early.append(slot)
        elif slot is not None:
            files.append((item.path, item.oid, slot))
    return files, early


_REFUSED_MODES = {
    gitio.MODE_SYMLINK: ("GF122", "symlinks"),
    gitio.MODE_SUBMODULE: ("GF123", "submodules"),
}


# ---------------------------------------------------------------- the work tree


def read_nofollow(path: Path) -> bytes:
    """A file's bytes; an OSError instead of following a symlink swapped in meanwhile."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as fh:
        return fh.read()


def walk_worktree(root: Path, only: list[Path] | None) -> tuple[list[str], list[Finding]]:
    """Registry files in the work tree; symlinks and submodules are findings, not followed."""
    files: list[str] = []
    findings: list[Finding] = []
    for top in paths.REGISTRY_DIRS:
        base = root / top
        if base.is_symlink():
            findings.append(
                rule("GF122").finding(top, 1, "symlinks are refused in registry folders")
            )
            continue
        if not base.is_dir():
            continue
        for dirpath, dirnames, filenames in os.walk(base, followlinks=False):
            here = Path(dirpath)
            for d in list(dirnames):
                rel = (here / d).relative_to(root).as_posix()
                if (here / d).is_symlink():
                    findings.append(
                        rule("GF122").finding(rel, 1, "symlinks are refused in registry folders")
                    )
                    dirnames.remove(d)
                elif (here / d / ".git").exists():
                    findings.append(
                        rule("GF123").finding(rel, 1, "submodules are refused in registry folders")
                    )
                    dirnames.remove(d)
            for f in filenames:
                full = here / f
                rel = full.relative_to(root).as_posix()
                if full.is_symlink():
                    findings.append(
                        rule("GF122").finding(rel, 1, "symlinks are refused in registry folders")
                    )
                else:
                    files.append(rel)
    if only is not None:
        wanted = [p.resolve().relative_to(root.resolve()).as_posix() for p in only]
        files = [
            f for f in files if any(f == w or f.startswith(w.rstrip("/") + "/") for w in wanted)
        ]
        findings = [
            f
            for f in findings
            if any(f.file == w or f.file.startswith(w.rstrip("/") + "/") for w in wanted)
        ]
    return sorted(files), findings
