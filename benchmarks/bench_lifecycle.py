"""Inference-log evaluation at scale: 1M / 3M / 10M records across 20 versions.

Run: ``.venv/bin/python benchmarks/bench_lifecycle.py [--sizes 1000000,3000000,10000000]``.
Each size is generated once as Parquet in a temp dir (seeded), then read and evaluated in
a fresh subprocess that reports its wall time and its own peak RSS. Targets at 10M:
< 10 s and < 2 GB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

VERSIONS = 20
CHILD = r"""
import datetime as dt, json, resource, sys, time
from pathlib import Path
start = time.perf_counter()
from galfriday_gitops.lifecycle.health import judge
from galfriday_gitops.lifecycle.inference import evaluate, read_logs
from galfriday_gitops.resources import InferenceRules
log = read_logs([Path(sys.argv[1])])
read = time.perf_counter() - start
stats = evaluate(log, window=dt.timedelta(days=7))
rules = InferenceRules.model_validate({"logs": "x", "minSamples": 500,
    "thresholds": {"maxErrorRate": 0.01, "maxP99LatencyMs": 80}})
verdicts = {k[1]: judge(s, rules).status for k, s in stats.items()}
total = time.perf_counter() - start
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"read_s": read, "total_s": total, "rss": rss, "versions": len(stats),
                  "violations": sum(v == "violation" for v in verdicts.values())}))
"""


def generate(path: Path, n: int, seed: int = 20240401) -> None:
    """n records over 7 days, 20 versions, Parquet (dictionary-encoded versions)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    start = np.datetime64("2027-01-01T00:00:00", "ms")
    stamps = start + rng.integers(0, 7 * 86_400_000, size=n).astype("timedelta64[ms]")
    codes = rng.integers(0, VERSIONS, size=n).astype(np.int32)
    names = pa.array([f"1.{i}.0" for i in range(VERSIONS)])
    error = np.where(np.arange(VERSIONS) == 7, 0.05, 0.005)  # one bad version
    success = rng.uniform(size=n) >= error[codes]
    table = pa.table(
        {
            "timestamp": pa.array(stamps, type=pa.timestamp("ms", tz="UTC")),
            "version": pa.DictionaryArray.from_arrays(pa.array(codes), names),
            "success": success,
            "latency_ms": 12.0 * np.exp(0.35 * rng.standard_normal(n)),
            "confidence": np.where(success, rng.uniform(0.5, 1.0, size=n), np.nan),
            "cost": np.full(n, 0.0004),
        }
    )
    pq.write_table(table, path, row_group_size=1_000_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="1000000,3000000,10000000")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"log-{n}.parquet"
            t0 = time.perf_counter()
            generate(path, n)
            gen = time.perf_counter() - t0
            wall0 = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-c", CHILD, str(path)],
                check=True, capture_output=True, text=True,
            ).stdout  # fmt: skip
            wall = time.perf_counter() - wall0
            r = json.loads(out)
            print(
                f"{n:>11,} records: wall {wall:5.2f} s (read {r['read_s']:.2f} s, "
                f"read+evaluate {r['total_s']:.2f} s in-process), peak RSS "
                f"{r['rss'] / 2**20:,.0f} MiB, {r['versions']} versions, "
                f"{r['violations']} violating; generated in {gen:.1f} s "
                f"({path.stat().st_size / 2**20:.0f} MiB Parquet)",
                flush=True,
            )


if __name__ == "__main__":
    main()
