"""Parsing many blobs on every core: a cold load of a large registry is CPU-bound.

Its own module so that the process pool (``multiprocessing``, ``concurrent.futures``) is
imported only by a load that has enough to parse; a warm or small one never starts it.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

from galfriday_gitops.load import cache as cache_mod
from galfriday_gitops.load.entry import parse_blob
from galfriday_gitops.load.layout import Slot


def _parse_job(job: tuple[bytes, Slot]) -> str:
    """Parse one blob into its cache payload (a string: cheap to send between processes,
    and what the cache stores anyway; resources are decoded only when asked for)."""
    return cache_mod.encode(parse_blob(*job))


def parse_all(jobs: list[tuple[bytes, Slot]]) -> list[str]:
    """Each job's cache payload, in order; in worker processes when there are many."""
    workers = min(os.cpu_count() or 1, 8)
    if workers < 2 or "fork" not in mp.get_all_start_methods():
        return [_parse_job(job) for job in jobs]
    with ProcessPoolExecutor(workers, mp_context=mp.get_context("fork")) as pool:
        return list(pool.map(_parse_job, jobs, chunksize=max(1, len(jobs) // (workers * 4))))
