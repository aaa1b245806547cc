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
