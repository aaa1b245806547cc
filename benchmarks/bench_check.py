"""Reconciler scale: `gfops check` on the 10,000-manifest registry.

    python benchmarks/bench_check.py [--models 1000] [--versions 10]

A pull request touching 3 manifests (target <= 0.5 s) and one touching all of them
(< 15 s), plus points in between to show how time grows with the size of the change.
Whole CLI processes, start-up included; the blob cache is warm for the base (as in CI
after the first run on main) and cold for the changed blobs, which is what a PR costs.
The small PR, where start-up dominates and the machine's noise shows most, is timed as
seven pull requests, each with blobs of its own (so each run is cold for them): the
median and the quartiles.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ENV, row
from gen_registry import generate

GFOPS = [sys.executable, "-P", "-m", "galfriday_gitops"]
SMALL_RUNS = 7  # pull requests of 3 manifests timed (median and quartiles)


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)


def touch(repo: Path, count: int, models: int, versions: int, mark: str = "") -> None:
    """Change a label of `count` manifests (labels may change after merge: allowed);
    ``mark`` makes the new blobs differ from another PR's."""
    done = 0
    for m in range(models):
        for v in range(versions):
            if done == count:
                return
            path = repo / "models" / f"model-{m:04d}" / f"1.{v}.0.yaml"
            text = path.read_text()
            label = f"labels: {{reviewed: yes-2026{mark}, team:"
            path.write_text(text.replace("labels: {team:", label))
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
        subprocess.run([*GFOPS, "check", "--base", "main", "--head", "main"],
                       cwd=repo, check=True, capture_output=True, env=ENV)  # fmt: skip
        check = [*GFOPS, "check", "--base", "main", "--head", "HEAD", "--format", "json"]
        for count in (3, 100, 1000, total):
            runs = []
            for k in range(SMALL_RUNS if count == 3 else 1):
                git(repo, "checkout", "-q", "-B", f"pr-{count}-{k}", "main")
                touch(repo, count, args.models, args.versions, mark=f"-{k}")
                git(repo, "commit", "-qam", f"touch {count} ({k})")
                runs.append(timed(check, repo))
            wall, cpu = median(runs)
            verdict = "allowed" if all(ok for *_, ok in runs) else "blocked"
            what = f"PR touching {count:6d} of {total} manifests"
            spread = ""
            if len(runs) > 1:
                q1, _, q3 = statistics.quantiles(sorted(w for w, _, _ in runs), n=4)
                spread = f", quartiles {q1:.2f}-{q3:.2f} s of {len(runs)} PRs"
            print(f"gfops check, {what}: {wall:6.2f} s ({verdict}{spread})")
            target = "<= 0.5 s" if count == 3 else "< 15 s" if count == total else ""
            met = wall <= 0.5 if count == 3 else wall < 15 if count == total else None
            row(f"check, PR of {count:,} manifests", f"{total:,} manifests", (wall, cpu),
                target=target, met=met, note=verdict + spread)  # fmt: skip


def timed(cmd: list[str], cwd: Path) -> tuple[float, float, bool]:
    """(wall, CPU with children, allowed) of one whole ``gfops check``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, env=ENV)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in (0, 1):
        raise SystemExit(proc.stderr)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.returncode == 0


def median(runs: list[tuple[float, float, bool]]) -> tuple[float, float]:
    return statistics.median(w for w, _, _ in runs), statistics.median(c for _, c, _ in runs)


if __name__ == "__main__":
    main()
