"""What a drift report plots: per-feature proportions per bin (numbers) or category.

Computed once per run from the raw data (which the report itself never sees), rendered
anywhere. numpy and pandas are imported at module level: the CLI imports this lazily.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from galfriday_gitops.stats.drift import DriftReport

#: Histogram bins of a numeric feature's plot (common edges for both samples).
PLOT_BINS = 30
#: The plot range is the 0.5 %..99.5 % quantile range of both samples, so one outlier
#: does not squeeze everything into one bar; values outside land in the edge bins.
PLOT_QUANTILES = (0.005, 0.995)
PLOT_RANGE_SAMPLE = 200_000
#: Categorical plots show the most frequent categories; the rest are summed as "other".
PLOT_MAX_CATEGORIES = 12


@dataclass(frozen=True)
class Distribution:
    """What a feature's plot shows: proportions per bin (numeric) or category."""

    kind: Literal["numeric", "categorical"]
    labels: list[str]  # bin edges (len + 1 of the proportions) or category names
    reference: list[float]
    current: list[float]
    # numeric: the plotted range, and how many values a side lie outside it (drawn in the
    # edge bins): one outlier must not squeeze the histogram into a single bar
    low: float | None = None
    high: float | None = None
    outside: tuple[int, int] = (0, 0)


def _numeric_distribution(ref: pd.Series[Any], cur: pd.Series[Any]) -> Distribution:
    x = ref.to_numpy(dtype=np.float64, na_value=np.nan)
    y = cur.to_numpy(dtype=np.float64, na_value=np.nan)
    x, y = x[np.isfinite(x)], y[np.isfinite(y)]
    # The plot range need not be exact: a strided sample keeps large inputs cheap.
    step = max(1, (x.size + y.size) // PLOT_RANGE_SAMPLE)
    both = np.concatenate([x[::step], y[::step]])
    lo, hi = (float(v) for v in np.quantile(both, PLOT_QUANTILES))
    if not hi > lo:  # (near) constant data: widen so there is something to draw
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, PLOT_BINS + 1)

    def props(v: np.ndarray[Any, np.dtype[np.float64]]) -> list[float]:
        # bins + range (not an edge array) takes numpy's fast equal-width path.
        counts, _ = np.histogram(np.clip(v, lo, hi), bins=PLOT_BINS, range=(lo, hi))
        return [float(c) / max(v.size, 1) for c in counts]

    def beyond(v: np.ndarray[Any, np.dtype[np.float64]]) -> int:
        return int(np.count_nonzero((v < lo) | (v > hi)))

    return Distribution(
        "numeric",
        [f"{e:.6g}" for e in edges],
        props(x),
        props(y),
        low=lo,
        high=hi,
        outside=(beyond(x), beyond(y)),
    )


def _categorical_distribution(ref: pd.Series[Any], cur: pd.Series[Any]) -> Distribution:
    rc = ref.dropna().astype(str).value_counts()
    cc = cur.dropna().astype(str).value_counts()
    total = rc.add(cc, fill_value=0).sort_values(ascending=False, kind="stable")
    top = [str(c) for c in total.index[:PLOT_MAX_CATEGORIES]]
    rest = [str(c) for c in total.index[PLOT_MAX_CATEGORIES:]]
    n_ref, n_cur = max(int(rc.sum()), 1), max(int(cc.sum()), 1)
    ref_p = [float(rc.get(c, 0)) / n_ref for c in top]
    cur_p = [float(cc.get(c, 0)) / n_cur for c in top]
    if rest:
        top.append(f"other ({len(rest)})")
        ref_p.append(float(rc.reindex(rest, fill_value=0).sum()) / n_ref)
        cur_p.append(float(cc.reindex(rest, fill_value=0).sum()) / n_cur)
    return Distribution("categorical", top, ref_p, cur_p)


def distributions(
    reference: pd.DataFrame, current: pd.DataFrame, report: DriftReport
) -> dict[str, Distribution]:
    """The plot data of every analysed feature (computed once, rendered anywhere)."""
    out: dict[str, Distribution] = {}
    for feat in report.features.values():
        ref, cur = reference[feat.name], current[feat.name]
        if feat.kind == "numeric":
            out[feat.name] = _numeric_distribution(ref, cur)
        else:
            out[feat.name] = _categorical_distribution(ref, cur)
    return out
