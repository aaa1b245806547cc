"""Numeric drift statistics for data that does not fit one machine (Dask DataFrames).

Every partition is reduced to a fixed-edge histogram per column; histograms add, so
they merge in any order and the driver only ever holds ``n_bins + 1`` counts per
column and side.

Edges: the reference quantiles at levels ``i / n_bins`` (default 2000 bins), from
dask's approximate ``quantile``; bins are right-closed ``(a, b]`` and the outermost
are open-ended, as in :mod:`galfriday_gitops.stats.drift.numeric`.  Counting against the
edges is exact, so the ECDFs of both samples are known exactly AT the edges.

Error bounds (reported with each result):

* KS: the sketch statistic ``D_grid`` is the largest ECDF gap over the edges, a lower
  bound of the exact statistic ``D``.  Inside one bin each ECDF moves by at most that
  bin's mass, so ``D_grid <= D <= D_grid + max_j max(ref_mass_j, cur_mass_j)``;
  ``ks_error_bound`` is that maximum (about ``1 / n_bins`` for the reference when
  edges are near-exact quantiles; larger when the current data piles into a bin).
* PSI: computed exactly over the coarse bins formed by every ``n_bins / psi_bins``-th
  edge, i.e. at dask's approximate reference deciles instead of the exact ones.  How
  far they are from exact quantile bins is reported as ``psi_edge_error``, the
  largest ``|reference mass of a coarse bin - 1 / psi_bins|``; when it is 0 the PSI
  equals the in-memory value.

``dask`` is imported only inside this module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from galfriday_gitops.stats.drift.numeric import ks_p_value_asymptotic
from galfriday_gitops.stats.errors import DriftDataError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True)
class SketchNumericStats:
    """Per-column statistics from merged histograms (see the module docstring)."""

    ks_statistic: float
    ks_error_bound: float
    ks_p_value: float
    psi: float
    psi_edge_error: float
    n_reference: int
    n_current: int
    missing_reference: int
    missing_current: int

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def _partition_counts(
    part: Any, columns: Sequence[str], edges: dict[str, FloatArray]
) -> dict[str, tuple[IntArray, int]]:
    out: dict[str, tuple[IntArray, int]] = {}
    for col in columns:
        values = part[col].to_numpy(dtype=np.float64, na_value=np.nan)
        nan = np.isnan(values)
        n_missing = int(nan.sum())
        if n_missing:
            values = values[~nan]
        e = edges[col]
        # side="left": v lands in bin j iff e[j-1] < v <= e[j], the right-closed bins
        idx = np.searchsorted(e, values, side="left")
        out[col] = (np.bincount(idx, minlength=e.size + 1).astype(np.int64), n_missing)
    return out


def _merge(
    parts: Sequence[dict[str, tuple[IntArray, int]]],
) -> dict[str, tuple[IntArray, int]]:
    merged = dict(parts[0])
    for p in parts[1:]:
        for col, (counts, missing) in p.items():
            c0, m0 = merged[col]
            merged[col] = (c0 + counts, m0 + missing)
    return merged


def histograms(
    ddf: Any, columns: Sequence[str], edges: dict[str, FloatArray]
) -> dict[str, tuple[IntArray, int]]:
    """Merged fixed-edge histograms ``{column: (counts, n_missing)}`` of a Dask DataFrame."""
    from dask.delayed import delayed

    parts = ddf[list(columns)].to_delayed()
    tasks = [delayed(_partition_counts)(p, list(columns), edges) for p in parts]
    out: dict[str, tuple[IntArray, int]] = delayed(_merge)(tasks).compute()
    return out


def reference_edges(ddf: Any, columns: Sequence[str], n_bins: int = 2000) -> dict[str, FloatArray]:
    """Edges at the reference's (approximate) quantiles ``1/n_bins .. (n_bins-1)/n_bins``.

    Kept with duplicates so that every ``n_bins / psi_bins``-th edge is a decile edge;
    empty zero-width bins cost nothing.
    """
    levels = np.arange(1, n_bins, dtype=np.float64) / n_bins
    q = ddf[list(columns)].quantile(list(levels)).compute()
    out: dict[str, FloatArray] = {}
    for col in columns:
        e = np.asarray(q[col], dtype=np.float64)
        if not np.all(np.isfinite(e)):
            raise DriftDataError(f"numeric feature {col!r} in reference is all NaN or infinite")
        out[col] = np.maximum.accumulate(e)
    return out


def sketch_numeric_drift(
    reference: Any,
    current: Any,
    columns: Sequence[str],
    *,
    n_bins: int = 2000,
    psi_bins: int = 10,
    psi_epsilon: float = 1e-4,
) -> dict[str, SketchNumericStats]:
    """KS (with error bound) and PSI for each numeric column of two Dask DataFrames.

    ``n_bins`` must be a multiple of ``psi_bins``.  Two passes over the reference (edges,
    then counts) and one over the current data.
    """
    if n_bins % psi_bins:
        raise ValueError("n_bins must be a multiple of psi_bins")
    for col in columns:
        for ddf, side in ((reference, "reference"), (current, "current")):
            if col not in ddf.columns:
                raise DriftDataError(f"column {col!r} is missing from the {side} frame")
    edges = reference_edges(reference, columns, n_bins)
    ref_h = histograms(reference, columns, edges)
    cur_h = histograms(current, columns, edges)
    step = n_bins // psi_bins
    out: dict[str, SketchNumericStats] = {}
    for col in columns:
        rc, rmiss = ref_h[col]
        cc, cmiss = cur_h[col]
        n1, n2 = int(rc.sum()), int(cc.sum())
        for n, side in ((n1, "reference"), (n2, "current")):
            if n == 0:
                raise DriftDataError(f"numeric feature {col!r} in {side} has no non-NaN values")
        r_mass, c_mass = rc / n1, cc / n2
        gap = np.abs(np.cumsum(rc)[:-1] / n1 - np.cumsum(cc)[:-1] / n2)
        d = float(gap.max()) if gap.size else 0.0
        bound = float(np.max(np.maximum(r_mass, c_mass)))
        # coarse bins: boundaries after fine bins step-1, 2*step-1, ...
        cuts = np.arange(step, n_bins, step)
        r_coarse = np.add.reduceat(rc, np.concatenate([[0], cuts])) / n1
        c_coarse = np.add.reduceat(cc, np.concatenate([[0], cuts])) / n2
        edge_error = float(np.max(np.abs(r_coarse - 1.0 / psi_bins)))
        rp = np.maximum(r_coarse, psi_epsilon)
        cp = np.maximum(c_coarse, psi_epsilon)
        out[col] = SketchNumericStats(
            ks_statistic=d,
            ks_error_bound=bound,
            ks_p_value=ks_p_value_asymptotic(d, n1, n2),
            psi=float(np.sum((cp - rp) * np.log(cp / rp))),
            psi_edge_error=edge_error,
            n_reference=n1,
            n_current=n2,
            missing_reference=rmiss,
            missing_current=cmiss,
        )
    return out
