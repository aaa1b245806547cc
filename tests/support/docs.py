"""Runnable examples in the README and docs/: find the fenced block after a marker, and run a
shell block as a user would (the real ``gfops``, ``git`` and ``dvc`` on PATH)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.repo import IDENTITY, ROOT


def fenced_block(path: Path, marker: str, lang: str = "sh") -> str:
    """The first ```` ```lang ```` block after the line holding ``marker`` in ``path``."""
    text = path.read_text(encoding="utf-8")
    assert marker in text, f"{path.name}: no {marker!r}"
    after = text.split(marker, 1)[1]
    opening = f"```{lang}\n"
    assert opening in after, f"{path.name}: no ```{lang} block after {marker!r}"
    return after.split(opening, 1)[1].split("\n```", 1)[0] + "\n"


def user_env(home: Path) -> dict[str, str]:
    """A user's shell: this interpreter's scripts (gfops, dvc) first on PATH, a git identity,
    an empty home (no user config), DVC analytics off."""
    home.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **IDENTITY, "HOME": str(home), "DVC_NO_ANALYTICS": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    for key in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GITHUB_TOKEN"):
        env.pop(key, None)
    return env


@dataclass
class ShellRun:
    code: int
    out: str
    err: str
    seconds: float


def run_shell(block: str, cwd: Path, env: dict[str, str], timeout: float = 1800) -> ShellRun:
    """``bash -euo pipefail`` on ``block`` in ``cwd``; the first failing line stops it."""
    started = time.monotonic()
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", block],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,  # hang guard only
        check=False,
    )
    return ShellRun(proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)


README = ROOT / "README.md"
DOCS = ROOT / "docs"
