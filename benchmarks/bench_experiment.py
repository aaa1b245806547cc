"""Benchmarks: A/A peeking false-positive rates, and router assignment throughput.

Run: .venv/bin/python benchmarks/bench_experiment.py [--sims 4000] [--looks 30] [--ids 1000000]
"""

from __future__ import annotations

import argparse
import math
import time

from galfriday_gitops.experiments import Router
from galfriday_gitops.stats.sequential import simulate_aa_peeking


def bench_peeking(sims: int, looks: int, batch: int, alpha: float) -> None:
    start = time.perf_counter()
    fixed = seq = 0.0
    chunk = 500  # keep memory bounded: sims are run in chunks with distinct seeds
    done = 0
    while done < sims:
        k = min(chunk, sims - done)
        f, s = simulate_aa_peeking(
            n_sims=k, n_looks=looks, batch_per_look=batch, alpha=alpha, tau=0.1, seed=done
        )
        fixed += f * k
        seq += s * k
        done += k
    fixed, seq = fixed / sims, seq / sims
    se = math.sqrt(alpha * (1 - alpha) / sims)
    elapsed = time.perf_counter() - start
    print(f"A/A peeking: {sims} sims x {looks} looks x {batch}/arm/look, alpha={alpha}")
    print(f"  fixed-horizon test checked at every look: FPR = {fixed:.4f}")
    print(f"  mSPRT always-valid p-value (tau=0.1 sd):  FPR = {seq:.4f}")
    print(f"  binomial SE at alpha: {se:.4f}; elapsed {elapsed:.2f}s")


def bench_router(n_ids: int) -> None:
    router = Router("bench-exp", {"control": 0.9, "treatment": 0.1})
    ids = [f"user-{i}" for i in range(n_ids)]
    start = time.perf_counter()
    out = router.assign_many(ids)
    elapsed = time.perf_counter() - start
    share = float((out == "treatment").mean())
    print(
        f"assign_many: {n_ids} ids in {elapsed:.3f}s = {n_ids / elapsed:,.0f} ids/s "
        f"(treatment share {share:.4f})"
    )
    calls = min(n_ids, 200_000)
    start = time.perf_counter()
    for uid in ids[:calls]:
        router.assign(uid)
    elapsed = time.perf_counter() - start
    print(f"assign: {calls} single calls in {elapsed:.3f}s = {calls / elapsed:,.0f} calls/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sims", type=int, default=4000)
    parser.add_argument("--looks", type=int, default=30)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--ids", type=int, default=1_000_000)
    args = parser.parse_args()
    bench_peeking(args.sims, args.looks, args.batch, args.alpha)
    bench_router(args.ids)


if __name__ == "__main__":
    main()
