"""Benchmark: numeric drift (KS + Wasserstein + PSI) on 1,000,000 rows x 20 features.

Usage::

    .venv/bin/python benchmarks/bench_drift.py [--rows N] [--features K] [--skip-scipy]

Every phase runs in a fresh subprocess so its peak RSS (``ru_maxrss``) is its own:

* ``generate``: only builds the two frames (the memory baseline);

The peak of the phase alone is read from ``VmHWM`` after resetting it once the data
exists (``/proc/self/clear_refs``); ``ru_maxrss`` is the whole process's peak.
* ``analyze``: ``galfriday_gitops.stats.drift.analyze`` on all features;
* ``sort``: ``np.sort`` of every column of both frames, the floor for an exact KS;
* ``scipy``: a plain loop of ``scipy.stats.ks_2samp`` + ``wasserstein_distance``.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

import numpy as np
import pandas as pd


def make_frames(rows: int, features: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current frames; current has planted shifts in the first 3 columns.

    Each frame wraps one Fortran-ordered array without copying, so generation itself
    needs no more than the data (2 x rows x features x 8 bytes).
    """
    rng = np.random.default_rng(seed)
    frames = []
    for _ in range(2):
        arr = np.empty((rows, features), dtype=np.float64, order="F")
        for j in range(features):
            rng.standard_normal(out=arr[:, j])
        frames.append(pd.DataFrame(arr, columns=[f"f{i:02d}" for i in range(features)], copy=False))
    ref, cur = frames
    cur["f00"] += 0.05  # small mean shift: KS p-value in the slow scipy branch
    cur["f01"] *= 1.1  # scale change
    cur["f02"] += 0.5  # large mean shift
    return ref, cur


def _vm(field: str) -> float:
    """A /proc/self/status field in MB (Linux)."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def _reset_peak_rss() -> None:
    """Reset VmHWM to the current RSS (Linux >= 4.0: write 5 to clear_refs)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def run_phase(phase: str, rows: int, features: int) -> dict[str, float]:
    ref, cur = make_frames(rows, features)
    cols = list(ref.columns)
    out: dict[str, float] = {"data_rss_mb": _vm("VmRSS")}
    _reset_peak_rss()
    t0 = time.perf_counter()
    if phase == "analyze":
        from galfriday_gitops.stats.drift import analyze

        rep = analyze(ref, cur, numeric=cols)
        out["n_drifted"] = len(rep.drifted_features)
    elif phase == "sort":
        for c in cols:
            np.sort(ref[c].to_numpy())
            np.sort(cur[c].to_numpy())
    elif phase == "scipy":
        from scipy import stats

        for c in cols:
            x, y = ref[c].to_numpy(), cur[c].to_numpy()
            stats.ks_2samp(x, y)
            stats.wasserstein_distance(x, y)
    out["seconds"] = time.perf_counter() - t0
    out["phase_peak_rss_mb"] = _vm("VmHWM")
    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--features", type=int, default=20)
    ap.add_argument("--skip-scipy", action="store_true")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(json.dumps(run_phase(args.phase, args.rows, args.features)))
        return

    phases = ["generate", "analyze", "sort"] + ([] if args.skip_scipy else ["scipy"])
    res: dict[str, dict[str, float]] = {}
    for phase in phases:
        cmd = [sys.executable, __file__, "--phase", phase, "--rows", str(args.rows)]
        cmd += ["--features", str(args.features)]
        proc = subprocess.run(cmd, capture_output=True, text=True, check=True)
        res[phase] = json.loads(proc.stdout.strip().splitlines()[-1])

    print(f"rows={args.rows:,} features={args.features} (float64, 3 planted shifts)")
    for phase in phases:
        r = res[phase]
        extra = f"  drifted={int(r['n_drifted'])}" if "n_drifted" in r else ""
        print(
            f"{phase:>9}: {r['seconds']:7.3f} s   peak RSS {r['peak_rss_mb']:7.1f} MB"
            f" (ru_maxrss; data alone {r['data_rss_mb']:.0f} MB, peak during phase"
            f" {r['phase_peak_rss_mb']:.0f} MB){extra}"
        )
    ratio = res["analyze"]["seconds"] / res["sort"]["seconds"]
    print(f"analyze / sort-floor ratio: {ratio:.2f}")
    if "scipy" in res:
        speed_up = res["scipy"]["seconds"] / res["analyze"]["seconds"]
        print(f"scipy loop / analyze speed-up: {speed_up:.1f}x")


if __name__ == "__main__":
    main()
