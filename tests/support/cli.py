"""The real ``gfops`` CLI in a subprocess, exactly as a user runs it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

# -P: never import a package from the cwd (a registry checkout may carry a
# galfriday_gitops/ of its own: the attack the trust model is about).
GFOPS = (sys.executable, "-P", "-m", "galfriday_gitops")


@dataclass
class Result:
    code: int
    out: str
    err: str


def gfops(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Result:
    """Run the real CLI in a subprocess; ``env`` is added to this process's environment."""
    proc = subprocess.run(
        [*GFOPS, *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def imported_top_level(*args: str, cwd: Path | None = None) -> set[str]:
    """Top-level packages a real ``gfops`` process imports (``python -X importtime``)."""
    proc = subprocess.run(
        [*GFOPS[:1], "-X", "importtime", *GFOPS[1:], *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    rows = [line for line in proc.stderr.splitlines() if line.startswith("import time:")]
    return {row.split("|")[-1].strip().split(".")[0] for row in rows}
