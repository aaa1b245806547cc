"""Registry scale: cold and warm `gfops status`, and `gfops validate`, on 10,000 manifests.

    python benchmarks/bench_registry.py [--models 1000] [--versions 10] [--repeat 3]

Cold = a fresh clone's first run (no blob cache under .git/); warm = the next run
after one manifest changed in a new commit (only that blob is parsed). Times are
wall-clock medians of whole CLI processes, start-up included.
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

from gen_registry import generate

GFOPS = [sys.executable, "-m", "galfriday_gitops"]


def timed(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{cmd} failed: {proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "big"
        start = time.perf_counter()
        generate(repo, args.models, args.versions)
        n = args.models * args.versions
        print(f"generated {n} manifests in {time.perf_counter() - start:.1f} s")
        cache = repo / ".git" / "galfriday"
        cold = []
        for _ in range(args.repeat):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed([*GFOPS, "status", "--format", "json"], repo))
        warm = []
        target = repo / "models" / "model-0000" / "1.0.0.yaml"
        for i in range(args.repeat):
            text = target.read_text().replace("trainedBy: ci", f"trainedBy: ci{i}")
            target.write_text(text)
            subprocess.run(["git", "-C", str(repo), "commit", "-qam", f"edit {i}"], check=True)
            warm.append(timed([*GFOPS, "status", "--format", "json"], repo))
        validate_cold = []
        for _ in range(args.repeat):
            shutil.rmtree(cache, ignore_errors=True)
            validate_cold.append(timed([*GFOPS, "validate"], repo))
        validate_warm = [timed([*GFOPS, "validate"], repo) for _ in range(args.repeat)]
        noop = [timed([*GFOPS, "--help"], repo) for _ in range(args.repeat)]
        print(f"gfops --help (start-up)            {statistics.median(noop):6.2f} s")
        print(
            f"gfops status, cold ({n} manifests)  {statistics.median(cold):6.2f} s  (target < 3 s)"
        )
        warm_s = statistics.median(warm)
        print(f"gfops status, warm, 1 changed       {warm_s:6.2f} s  (target < 0.5 s)")
        print(f"gfops validate, cold (whole tree)   {statistics.median(validate_cold):6.2f} s")
        print(f"gfops validate, warm (whole tree)   {statistics.median(validate_warm):6.2f} s")


if __name__ == "__main__":
    main()
