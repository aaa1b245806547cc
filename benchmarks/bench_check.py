"""Reconciler scale: `gfops check` on the 10,000-manifest registry.

    python benchmarks/bench_check.py [--models 1000] [--versions 10]

A pull request touching 3 manifests (targets < 1 s) and one touching all of them
(< 15 s), plus points in between to show how time grows with the size of the change.
Whole CLI processes, start-up included; the blob cache is warm for the base (as in CI
after the first run on main) and cold for the changed blobs, which is what a PR costs.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gen_registry import generate

GFOPS = [sys.executable, "-P", "-m", "galfriday_gitops"]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def touch(repo: Path, count: int, models: int, versions: int) -> None:
    """Change a label of `count` manifests (labels may change after merge: allowed)."""
    done = 0
    for m in range(models):
        for v in range(versions):
            if done == count:
                return
            path = repo / "models" / f"model-{m:04d}" / f"1.{v}.0.yaml"
            text = path.read_text()
            path.write_text(text.replace("labels: {team:", "labels: {reviewed: yes-2026, team:"))
            done += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    args = parser.parse_args()
    total = args.models * args.versions
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "big"
        generate(repo, args.models, args.versions)
        subprocess.run(
            [*GFOPS, "status", "--format", "json"], cwd=repo, check=True, capture_output=True
        )
        for count in (3, 100, 1000, total):
            git(repo, "checkout", "-q", "-B", f"pr-{count}", "main")
            touch(repo, count, args.models, args.versions)
            git(repo, "commit", "-qam", f"touch {count}")
            start = time.perf_counter()
            proc = subprocess.run(
                [*GFOPS, "check", "--base", "main", "--head", "HEAD", "--format", "json"],
                cwd=repo, capture_output=True, text=True, check=False,
            )  # fmt: skip
            elapsed = time.perf_counter() - start
            if proc.returncode not in (0, 1):
                raise SystemExit(proc.stderr)
            verdict = "allowed" if proc.returncode == 0 else "blocked"
            what = f"PR touching {count:6d} of {total} manifests"
            print(f"gfops check, {what}: {elapsed:6.2f} s ({verdict})")


if __name__ == "__main__":
    main()
