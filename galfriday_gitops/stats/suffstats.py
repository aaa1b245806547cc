"""Sufficient statistics for experiment metrics, from pandas or Dask.

Every estimator in :mod:`galfriday_gitops.stats.experiment` is a function of a
handful of per-variant sums, so the analysis never needs raw rows in memory:

* ``n``       number of units with a non-missing value,
* ``sum_y``   and ``sum_y2`` of the metric ``y``,
* ``sum_x``, ``sum_x2`` and ``sum_xy`` of an optional second column ``x``
  (a CUPED pre-period covariate, or the denominator of a ratio metric),
* ``min_y`` / ``max_y`` (used only to validate proportion metrics).

All of them are additive across partitions, so a Dask DataFrame is reduced
partition by partition and the small per-partition tables are merged.

Rows where the metric (or its paired ``x`` column) is missing are left out of
that metric only; ``counts`` holds the number of rows per variant regardless of
missing values and is what the sample-ratio-mismatch test uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MetricColumns",
    "Moments",
    "SufficientStats",
    "sufficient_stats",
    "sufficient_stats_dask",
    "sufficient_stats_pandas",
]


@dataclass(frozen=True, slots=True)
class Moments:
    """Additive moments of a metric ``y`` (and optional paired column ``x``) in one variant."""

    n: int
    sum_y: float
    sum_y2: float
    sum_x: float = 0.0
    sum_x2: float = 0.0
    sum_xy: float = 0.0
    min_y: float = math.inf
    max_y: float = -math.inf

    def __add__(self, other: Moments) -> Moments:
        return Moments(
            n=self.n + other.n,
            sum_y=self.sum_y + other.sum_y,
            sum_y2=self.sum_y2 + other.sum_y2,
            sum_x=self.sum_x + other.sum_x,
            sum_x2=self.sum_x2 + other.sum_x2,
            sum_xy=self.sum_xy + other.sum_xy,
            min_y=min(self.min_y, other.min_y),
            max_y=max(self.max_y, other.max_y),
        )

    @classmethod
    def empty(cls) -> Moments:
        """The additive identity."""
        return cls(n=0, sum_y=0.0, sum_y2=0.0)

    @classmethod
    def from_values(cls, y: Iterable[float], x: Iterable[float] | None = None) -> Moments:
        """Moments of plain Python/NumPy sequences (``x`` paired element-wise with ``y``)."""
        ys = [float(v) for v in y]
        xs = [float(v) for v in x] if x is not None else [0.0] * len(ys)
        if len(xs) != len(ys):
            raise ValueError("x and y must have the same length")
        return cls(
            n=len(ys),
            sum_y=math.fsum(ys),
            sum_y2=math.fsum(v * v for v in ys),
            sum_x=math.fsum(xs),
            sum_x2=math.fsum(v * v for v in xs),
            sum_xy=math.fsum(a * b for a, b in zip(xs, ys, strict=True)),
            min_y=min(ys, default=math.inf),
            max_y=max(ys, default=-math.inf),
        )

    @property
    def mean_y(self) -> float:
        """Sample mean of ``y``."""
        return self.sum_y / self.n

    @property
    def mean_x(self) -> float:
        """Sample mean of ``x``."""
        return self.sum_x / self.n

    @property
    def var_y(self) -> float:
        """Unbiased (ddof=1) sample variance of ``y``."""
        return max(self.sum_y2 - self.sum_y * self.sum_y / self.n, 0.0) / (self.n - 1)

    @property
    def var_x(self) -> float:
        """Unbiased (ddof=1) sample variance of ``x``."""
        return max(self.sum_x2 - self.sum_x * self.sum_x / self.n, 0.0) / (self.n - 1)

    @property
    def cov_xy(self) -> float:
        """Unbiased (ddof=1) sample covariance of ``x`` and ``y``."""
        return (self.sum_xy - self.sum_x * self.sum_y / self.n) / (self.n - 1)


@dataclass(frozen=True, slots=True)
class MetricColumns:
    """Which columns make up one metric: the value ``y`` and an optional paired ``x``."""

    y: str
    x: str | None = None


@dataclass(frozen=True)
class SufficientStats:
    """Per-variant row counts and per-metric, per-variant :class:`Moments`."""

    counts: dict[str, int] = field(default_factory=dict)
    moments: dict[str, dict[str, Moments]] = field(default_factory=dict)

    def __add__(self, other: SufficientStats) -> SufficientStats:
        counts = dict(self.counts)
        for variant, n in other.counts.items():
            counts[variant] = counts.get(variant, 0) + n
        moments: dict[str, dict[str, Moments]] = {m: dict(v) for m, v in self.moments.items()}
        for metric, per_variant in other.moments.items():
            target = moments.setdefault(metric, {})
            for variant, mom in per_variant.items():
                target[variant] = target.get(variant, Moments.empty()) + mom
        return SufficientStats(counts=counts, moments=moments)


def _partition_stats(
    pdf: pd.DataFrame, variant_column: str, metrics: Mapping[str, MetricColumns]
) -> SufficientStats:
    """Reduce one in-memory partition to its sufficient statistics."""
    import pandas as pd

    variants = pdf[variant_column].astype(str)
    counts = {str(k): int(v) for k, v in variants.value_counts(sort=False).items()}
    moments: dict[str, dict[str, Moments]] = {}
    for name, cols in metrics.items():
        y = pdf[cols.y].astype("float64")
        x = pdf[cols.x].astype("float64") if cols.x is not None else pd.Series(0.0, index=pdf.index)
        keep = y.notna() & x.notna()
        frame = pd.DataFrame(
            {
                "variant": variants[keep],
                "y": y[keep],
                "y2": y[keep] ** 2,
                "x": x[keep],
                "x2": x[keep] ** 2,
                "xy": x[keep] * y[keep],
            }
        )
        agg = frame.groupby("variant", sort=True).agg(
            n=("y", "size"),
            sum_y=("y", "sum"),
            sum_y2=("y2", "sum"),
            sum_x=("x", "sum"),
            sum_x2=("x2", "sum"),
            sum_xy=("xy", "sum"),
            min_y=("y", "min"),
            max_y=("y", "max"),
        )
        per_variant: dict[str, Moments] = {}
        for variant, row in agg.iterrows():
            per_variant[str(variant)] = Moments(
                n=int(row["n"]),
                sum_y=float(row["sum_y"]),
                sum_y2=float(row["sum_y2"]),
                sum_x=float(row["sum_x"]),
                sum_x2=float(row["sum_x2"]),
                sum_xy=float(row["sum_xy"]),
                min_y=float(row["min_y"]),
                max_y=float(row["max_y"]),
            )
        moments[name] = per_variant
    return SufficientStats(counts=counts, moments=moments)


def sufficient_stats_pandas(
    df: pd.DataFrame, variant_column: str, metrics: Mapping[str, MetricColumns]
) -> SufficientStats:
    """Sufficient statistics of an in-memory pandas DataFrame."""
    return _partition_stats(df, variant_column, metrics)


def sufficient_stats_dask(
    ddf: Any, variant_column: str, metrics: Mapping[str, MetricColumns]
) -> SufficientStats:
    """Sufficient statistics of a Dask DataFrame: one reduction per partition, then merged.

    Dask is imported here only, so the rest of the package works without it.
    """
    import importlib

    # dask's own annotations are partial (untyped compute); treat the module as Any.
    dask: Any = importlib.import_module("dask")
    parts = ddf.to_delayed()
    reduce = dask.delayed(_partition_stats)
    partials = dask.compute(*[reduce(p, variant_column, dict(metrics)) for p in parts])
    total = SufficientStats()
    for partial in partials:
        total = total + partial
    return total


def _is_dask(frame: Any) -> bool:
    return type(frame).__module__.split(".")[0] in {"dask", "dask_expr"}


def sufficient_stats(
    frame: Any, variant_column: str, metrics: Mapping[str, MetricColumns]
) -> SufficientStats:
    """Dispatch to :func:`sufficient_stats_dask` or :func:`sufficient_stats_pandas`."""
    if _is_dask(frame):
        return sufficient_stats_dask(frame, variant_column, metrics)
    return sufficient_stats_pandas(frame, variant_column, metrics)
