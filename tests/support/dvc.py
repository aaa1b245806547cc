"""The one way tests run DVC: the real ``dvc`` of this interpreter, in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path


def dvc_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment, analytics off, this interpreter first on PATH (pipeline
    stages run ``python -m galfriday_gitops...``), then ``extra``."""
    env = {**os.environ, "DVC_NO_ANALYTICS": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **(extra or {})}


def dvc(cwd: Path, *args: str, env: Mapping[str, str] | None = None) -> str:
    """Run ``dvc *args`` in ``cwd``; its stdout. A failure fails the test with DVC's output."""
    proc = subprocess.run(
        [sys.executable, "-m", "dvc", *args],
        cwd=cwd,
        env=dvc_env(env),
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise AssertionError(
            f"dvc {' '.join(args)} failed ({proc.returncode}) in {cwd}\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout.strip()
