"""Every DVC call goes through here: the ``dvc`` CLI of this interpreter, as a subprocess.

A subprocess keeps ``import dvc`` (0.5 s) out of every command that does not need it,
and DVC's own errors come back as one readable line.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

from galfriday_gitops.errors import UserError


@dataclass(frozen=True, slots=True)
class Tracked:
    """What a ``.dvc`` file says about the one output it tracks."""

    md5: str
    size: int
    path: str


def dvc(repo: Path, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        lines = [ln for ln in (proc.stderr or proc.stdout).strip().splitlines() if ln.strip()]
        raise UserError(f"dvc {args[0]} failed: {lines[-1] if lines else proc.returncode}")
    return proc.stdout


def read_dvc_file(path: Path) -> Tracked:
    """Parse a single-output ``.dvc`` file (plain YAML written by DVC)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        out = data["outs"][0]
        return Tracked(md5=str(out["md5"]), size=int(out["size"]), path=str(out["path"]))
    except FileNotFoundError:
        raise UserError(f"{path}: no such .dvc file") from None
    except (yaml.YAMLError, KeyError, IndexError, TypeError, ValueError):
        raise UserError(f"{path}: not a single-output .dvc file (outs[0].md5/size)") from None


def add(repo: Path, path: Path) -> Tracked:
    """``dvc add`` one file; returns what its new ``.dvc`` file records."""
    dvc(repo, "add", "--quiet", str(path.relative_to(repo)))
    return read_dvc_file(path.with_name(path.name + ".dvc"))


def push(repo: Path, targets: list[Path]) -> None:
    dvc(repo, "push", "--quiet", *(str(t.relative_to(repo)) for t in targets))


def has_remote(repo: Path) -> bool:
    try:
        return bool(dvc(repo, "remote", "list").strip())
    except UserError:
        return False


def md5_of(path: Path) -> str:
    digest = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
