"""``make demo``: the whole story on a throw-away registry, with no network.

A temp git repo, ``dvc init`` with a local-directory remote, the demo pipeline run by
``dvc repro``, the first version registered through the real ``gfops`` CLI, then
validated and shown. Everything happens in a temp dir that is removed at the end
(``--keep`` leaves it for a look around).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]
TEMPLATE = PROJECT  # dvc.yaml and params.yaml of this repo, itself a registry
FEATURES = "spread_bps,imbalance_l5,ret_5m,ret_1h,vol_1h,session"
IDENTITY = {
    "GIT_AUTHOR_NAME": "Dana Scientist",
    "GIT_AUTHOR_EMAIL": "dana@example.com",
    "GIT_COMMITTER_NAME": "Dana Scientist",
    "GIT_COMMITTER_EMAIL": "dana@example.com",
}


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(IDENTITY)
    # dvc.yaml runs `python -m ...`: make that this interpreter, with this package.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.setdefault("DVC_NO_ANALYTICS", "1")
    return env


def step(title: str) -> None:
    print(f"\n\033[1m==> {title}\033[0m", flush=True)


def sh(cwd: Path, *cmd: str, show: bool = True, ok: tuple[int, ...] = (0,)) -> str:
    if show:
        print("$ " + " ".join(cmd).replace(sys.executable, "python"), flush=True)
    proc = subprocess.run(cmd, cwd=cwd, env=_env(), capture_output=True, text=True, check=False)
    if show and proc.stdout.strip():
        print(proc.stdout.rstrip())
    if proc.returncode not in ok:
        sys.stderr.write(proc.stdout + proc.stderr)
        raise SystemExit(f"demo step failed (exit {proc.returncode}): {' '.join(cmd)}")
    if show and proc.stderr.strip() and proc.returncode != 0:
        print(proc.stderr.rstrip())
    return proc.stdout


def gfops(cwd: Path, *args: str, ok: tuple[int, ...] = (0,)) -> str:
    return sh(cwd, sys.executable, "-m", "galfriday_gitops", *args, ok=ok)


def build_registry(root: Path) -> Path:
    """git + DVC + the project's policies and experiment + the pipeline template."""
    repo = root / "registry"
    remote = root / "dvc-remote"
    repo.mkdir()
    remote.mkdir()
    sh(repo, "git", "init", "-q", "-b", "main")
    sh(repo, sys.executable, "-m", "dvc", "init", "-q")
    sh(repo, sys.executable, "-m", "dvc", "remote", "add", "-d", "local", str(remote))
    for part in ("policies", "experiments", "schemas"):
        shutil.copytree(PROJECT / part, repo / part)
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copyfile(TEMPLATE / name, repo / name)
    sh(repo, "git", "add", "-A")
    sh(repo, "git", "commit", "-q", "-m", "Registry skeleton: policies, experiment, pipeline")
    return repo


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the temp registry")
    args = parser.parse_args(argv)
    root = Path(tempfile.mkdtemp(prefix="galfriday-demo-"))
    try:
        step("A fresh registry: git repo, DVC with a local remote, policies")
        repo = build_registry(root)
        step("Train: dvc repro (synthetic order-book data -> logistic regression -> metrics)")
        sh(repo, sys.executable, "-m", "dvc", "repro", "--quiet")
        print((repo / "build/metrics.json").read_text().strip())
        step("Register the first version (dvc add + dvc push + manifest)")
        gfops(
            repo, "register", "build/model/model.json", "--name", "price-direction",
            "--version", "1.0.0", "--metrics", "build/metrics.json",
            "--model-type", "logistic-regression", "--framework", "numpy",
            "--target", "direction_1h", "--features", FEATURES,
        )  # fmt: skip
        sh(repo, "git", "add", "-A")
        sh(repo, "git", "commit", "-q", "-m", "Register price-direction 1.0.0")
        step("Validate, then show the registry")
        gfops(repo, "validate")
        gfops(repo, "status")
        gfops(repo, "show", "price-direction@1.0.0")
        print(f"\nDemo registry: {repo}" + ("" if args.keep else " (removed; --keep keeps it)"))
        return 0
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
