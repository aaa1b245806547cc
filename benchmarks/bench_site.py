"""The registry site: `gfops site` on 1,000 models x 5 versions (5,000 manifests).

    python benchmarks/bench_site.py [--models 1000] [--versions 5] [--repeat 3]

The registry comes from gen_registry (one commit, no audit trail, so `audit verify` reports
every registration: the most the audit page ever has to say). Cold = no blob cache under
.git/ (a fresh checkout: what the Pages workflow builds from); warm = the next build. Times
are medians of whole CLI processes, start-up included: wall clock, and CPU (user + sys,
git children included) because this machine's two cores are shared and wall time depends
on who else is running. The load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import row
from gen_registry import generate

GFOPS = [sys.executable, "-m", "galfriday_gitops"]
TARGET_S = 5.0


def timed(cmd: list[str], cwd: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its children)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd} failed: {proc.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def median(runs: list[tuple[float, float]]) -> tuple[float, float]:
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo, out = Path(tmp) / "big", Path(tmp) / "site"
        generate(repo, args.models, args.versions)
        n = args.models * args.versions
        build = [*GFOPS, "site", "--out", str(out)]
        cold = []
        for _ in range(args.repeat):
            shutil.rmtree(repo / ".git" / "galfriday", ignore_errors=True)
            cold.append(timed(build, repo))
        warm = [timed(build, repo) for _ in range(args.repeat)]
        pages = sum(1 for _ in out.rglob("*.html"))
        size = sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) / 1e6
        load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        print(f"gfops site, {args.models} models x {args.versions} versions ({n} manifests): "
              f"{pages} pages, {size:.1f} MB")  # fmt: skip
        for label, runs in (("cold (no blob cache)", cold), ("warm", warm)):
            wall, cpu = median(runs)
            print(f"  {label:<22} {wall:6.2f} s wall  {cpu:6.2f} s CPU  (target < {TARGET_S:g} s)")
            row(f"site build, {label.split()[0]}", f"{args.models:,} x {args.versions}",
                (wall, cpu), target=f"< {TARGET_S:g} s", met=wall < TARGET_S,
                note=f"{pages} pages, {size:.1f} MB")  # fmt: skip
        print(f"  load average {load} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
