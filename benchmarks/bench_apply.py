"""`gfops apply` of a one-commit range on a large registry with a long audit trail.

    python benchmarks/bench_apply.py [--models 1000] [--versions 10] [--tags 50000]

The registry of ``gen_registry`` (10,000 manifests) with the trail of ``gen_trail`` (50,000
tags: GTO's and one commit record per commit), then one merged pull request promoting a
version: apply finds where the trail ends, judges that commit (the reconciler, main's state,
governed paths), writes and signs its tags and its record. Whole CLI processes, start-up
included, median of ``--runs``; the blob cache warm for main (as after the previous push) and,
separately, cold (a fresh clone: the CI runner's first apply).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gen_trail import generate_trail

ROOT = Path(__file__).resolve().parent.parent
GFOPS = [sys.executable, "-P", "-m", "galfriday_gitops"]
DEMO_KEY = ROOT / "galfriday_gitops" / "demo" / "signing" / "demo_signing_key"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def promote_one(repo: Path, number: int) -> None:
    """A merged pull request moving one development version to testing."""
    path = next(
        p
        for p in sorted((repo / "models").rglob("*.yaml"))
        if "  stage: development\n" in p.read_text()
    )
    git(repo, "checkout", "-q", "-b", f"pr-{number}", "main")
    path.write_text(path.read_text().replace("  stage: development\n", "  stage: testing\n"))
    git(repo, "commit", "-qam", f"promote {path.parent.name} {path.stem}")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", f"pr-{number}", "-m", f"Merge pull request #{number}")


def timed_apply(repo: Path) -> tuple[float, str]:
    start = time.perf_counter()
    proc = subprocess.run(
        [*GFOPS, "apply", "--after", "main", "--no-reviews"],
        cwd=repo, capture_output=True, text=True, check=False,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(proc.stdout + proc.stderr)
    return elapsed, proc.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--tags", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "big"
        generate_trail(repo, args.models, args.versions, args.tags)
        key = repo / ".git" / "signing_key"
        shutil.copyfile(DEMO_KEY, key)
        key.chmod(0o600)
        git(repo, "config", "gpg.format", "ssh")
        git(repo, "config", "user.signingkey", str(key))
        tags = len(git(repo, "tag").split())
        manifests = args.models * args.versions
        subprocess.run([*GFOPS, "status"], cwd=repo, check=True, capture_output=True)  # warm
        warm = []
        for run in range(args.runs):
            promote_one(repo, 90_000 + run)
            elapsed, said = timed_apply(repo)
            warm.append(elapsed)
        print(f"gfops apply, one-commit range, {manifests} manifests, {tags}+ tags, warm cache: "
              f"median {statistics.median(warm):.2f} s (runs: "
              f"{', '.join(f'{t:.2f}' for t in warm)}); {said}")  # fmt: skip
        shutil.rmtree(repo / ".git" / "galfriday", ignore_errors=True)  # a fresh clone's cache
        promote_one(repo, 99_999)
        elapsed, said = timed_apply(repo)
        print(f"gfops apply, one-commit range, cold cache (fresh clone): {elapsed:.2f} s; {said}")


if __name__ == "__main__":
    main()
