"""Sufficient statistics for experiment metrics, from pandas or Dask, without losing digits.

Every estimator in :mod:`galfriday_gitops.stats.experiment` is a function of a few
per-variant moments of the metric ``y`` (and of an optional second column ``x``, a CUPED
pre-period covariate or the denominator of a ratio metric):

* ``n``, the number of units with a value;
* the mean, kept as ``shift + offset``: ``shift`` is one value of the column (the same
  for every variant and partition) and ``offset`` the mean of ``value - shift``;
* ``m2`` = sum of squared deviations from the mean, and ``c_xy`` = sum of cross
  deviations (Welford's and Chan's notation);
* ``min_y`` / ``max_y`` and the count of values other than 0 and 1 (to validate
  proportion metrics).

Why not ``sum(y)`` and ``sum(y^2)``: ``(sum y^2 - (sum y)^2 / n) / (n - 1)`` subtracts two
numbers of size ``n mean^2``; at ``1e9 + N(0, 1)`` both are ~1e21 and their difference
(~1e3) is below their rounding error, so the variance comes out 0 or a multiple of the
truth. Here deviations are taken from the partition's own mean first (two passes over
each partition), and partitions are merged with Chan et al.'s update::

    delta = mean_b - mean_a
    mean  = mean_a + delta * n_b / n
    m2    = m2_a + m2_b + delta^2 n_a n_b / n          (c_xy likewise, delta_x delta_y)

which is exact in exact arithmetic and keeps the rounding error relative to the spread,
not to the mean. Differences of means between variants are taken between the offsets
(same shift), so they keep their digits too: results match scipy to 1e-9 relative on
data offset by 1e9 (``tests/stats/test_suffstats.py``), on pandas and on Dask.

Rows where the metric (or its paired ``x``) is missing are left out of that metric only;
``counts`` holds the rows per variant regardless and is what the sample-ratio test uses.
An infinite value is refused with the column named; a sum of squares that overflows
(values around 1e154 and beyond) is refused with a request to rescale the column.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from galfriday_gitops.stats.errors import ExperimentDataError

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
    """Centred moments of a metric ``y`` (and optional paired ``x``) in one variant.

    ``offset_y`` is the mean of ``y - shift_y`` (likewise for ``x``); ``m2_y``, ``m2_x``
    and ``c_xy`` are sums of squared and cross deviations from the means.
    """

    n: int
    shift_y: float = 0.0
    offset_y: float = 0.0
    m2_y: float = 0.0
    shift_x: float = 0.0
    offset_x: float = 0.0
    m2_x: float = 0.0
    c_xy: float = 0.0
    min_y: float = math.inf
    max_y: float = -math.inf
    non_binary: int = 0

    def __add__(self, other: Moments) -> Moments:
        """Chan et al.'s merge (see the module docstring), in this side's shift."""
        if other.n == 0:
            return self
        if self.n == 0:
            return other
        n = self.n + other.n
        wb = other.n / n
        # other's means in this side's frame (exact when the shifts are equal)
        dy = (other.shift_y - self.shift_y) + other.offset_y - self.offset_y
        dx = (other.shift_x - self.shift_x) + other.offset_x - self.offset_x
        weight = self.n * wb  # n_a n_b / n
        return Moments(
            n=n,
            shift_y=self.shift_y,
            offset_y=self.offset_y + dy * wb,
            m2_y=self.m2_y + other.m2_y + dy * dy * weight,
            shift_x=self.shift_x,
            offset_x=self.offset_x + dx * wb,
            m2_x=self.m2_x + other.m2_x + dx * dx * weight,
            c_xy=self.c_xy + other.c_xy + dx * dy * weight,
            min_y=min(self.min_y, other.min_y),
            max_y=max(self.max_y, other.max_y),
            non_binary=self.non_binary + other.non_binary,
        )

    @classmethod
    def empty(cls) -> Moments:
        """The identity of ``+``."""
        return cls(n=0)

    @classmethod
    def from_values(cls, y: Iterable[float], x: Iterable[float] | None = None) -> Moments:
        """Moments of plain Python/NumPy sequences (``x`` paired element-wise with ``y``)."""
        ys = [float(v) for v in y]
        xs = [float(v) for v in x] if x is not None else [0.0] * len(ys)
        if len(xs) != len(ys):
            raise ValueError("x and y must have the same length")
        if not ys:
            return cls.empty()
        ky, kx = ys[0], xs[0]
        oy = math.fsum(v - ky for v in ys) / len(ys)
        ox = math.fsum(v - kx for v in xs) / len(xs)
        dev_y = [(v - ky) - oy for v in ys]
        dev_x = [(v - kx) - ox for v in xs]
        return cls(
            n=len(ys),
            shift_y=ky,
            offset_y=oy,
            m2_y=math.fsum(d * d for d in dev_y),
            shift_x=kx,
            offset_x=ox,
            m2_x=math.fsum(d * d for d in dev_x),
            c_xy=math.fsum(a * b for a, b in zip(dev_x, dev_y, strict=True)),
            min_y=min(ys),
            max_y=max(ys),
            non_binary=sum(v not in (0.0, 1.0) for v in ys),
        )

    @property
    def mean_y(self) -> float:
        """Sample mean of ``y``."""
        return self.shift_y + self.offset_y

    @property
    def mean_x(self) -> float:
        """Sample mean of ``x``."""
        return self.shift_x + self.offset_x

    @property
    def sum_y(self) -> float:
        """Sum of ``y`` (the number of successes of a 0/1 metric)."""
        return self.n * self.mean_y

    @property
    def var_y(self) -> float:
        """Unbiased (ddof=1) sample variance of ``y``."""
        return max(self.m2_y, 0.0) / (self.n - 1)

    @property
    def var_x(self) -> float:
        """Unbiased (ddof=1) sample variance of ``x``."""
        return max(self.m2_x, 0.0) / (self.n - 1)

    @property
    def cov_xy(self) -> float:
        """Unbiased (ddof=1) sample covariance of ``x`` and ``y``."""
        return self.c_xy / (self.n - 1)

    def mean_y_minus(self, other: Moments) -> float:
        """``self.mean_y - other.mean_y`` from the offsets: no cancellation of the shift."""
        return (self.shift_y - other.shift_y) + (self.offset_y - other.offset_y)

    def mean_x_minus(self, other: Moments) -> float:
        """``self.mean_x - other.mean_x`` from the offsets."""
        return (self.shift_x - other.shift_x) + (self.offset_x - other.offset_x)


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


Shifts = dict[str, tuple[float, float]]


def _column(pdf: pd.DataFrame, name: str) -> pd.Series[float]:
    import numpy as np

    values = pdf[name].astype("float64")
    if np.isinf(values.to_numpy()).any():
        raise ExperimentDataError(f"column {name!r} contains infinite values")
    return values


def _metric_moments(
    pdf: pd.DataFrame,
    variants: pd.Series[str],
    cols: MetricColumns,
    shift: tuple[float, float],
) -> dict[str, Moments]:
    """One metric of one partition: two passes (means, then deviations) per variant."""
    import pandas as pd

    y = _column(pdf, cols.y)
    x = _column(pdf, cols.x) if cols.x is not None else pd.Series(0.0, index=pdf.index)
    keep = y.notna() & x.notna()
    frame = pd.DataFrame(
        {"variant": variants[keep], "y": y[keep] - shift[0], "x": x[keep] - shift[1]}
    )
    groups = frame.groupby("variant", sort=True)
    means = groups[["y", "x"]].transform("mean")
    dev_y, dev_x = frame["y"] - means["y"], frame["x"] - means["x"]
    frame = frame.assign(
        yy=dev_y * dev_y,
        xx=dev_x * dev_x,
        xy=dev_x * dev_y,
        other=~y[keep].isin((0.0, 1.0)),
        raw=y[keep],
    )
    agg = frame.groupby("variant", sort=True).agg(
        n=("y", "size"),
        oy=("y", "mean"),
        ox=("x", "mean"),
        m2y=("yy", "sum"),
        m2x=("xx", "sum"),
        cxy=("xy", "sum"),
        lo=("raw", "min"),
        hi=("raw", "max"),
        other=("other", "sum"),
    )
    out: dict[str, Moments] = {}
    for variant, row in agg.iterrows():
        m = Moments(
            n=int(row["n"]),
            shift_y=shift[0],
            offset_y=float(row["oy"]),
            m2_y=float(row["m2y"]),
            shift_x=shift[1],
            offset_x=float(row["ox"]),
            m2_x=float(row["m2x"]),
            c_xy=float(row["cxy"]),
            min_y=float(row["lo"]),
            max_y=float(row["hi"]),
            non_binary=int(row["other"]),
        )
        _check_finite(m, cols)
        out[str(variant)] = m
    return out


def _check_finite(m: Moments, cols: MetricColumns) -> None:
    for value, column in ((m.m2_y, cols.y), (m.m2_x, cols.x), (m.c_xy, cols.x)):
        if not math.isfinite(value) and column is not None:
            raise ExperimentDataError(
                f"column {column!r}: its sum of squares overflows floating point (values up "
                f"to {max(abs(m.min_y), abs(m.max_y)):.3g}); rescale the column, e.g. divide "
                "it by a power of ten"
            )


def _partition_stats(
    pdf: pd.DataFrame, variant_column: str, metrics: Mapping[str, MetricColumns], shifts: Shifts
) -> SufficientStats:
    """Reduce one in-memory partition to its sufficient statistics."""
    variants = pdf[variant_column].astype(str)
    counts = {str(k): int(v) for k, v in variants.value_counts(sort=False).items()}
    moments = {
        name: _metric_moments(pdf, variants, cols, shifts[name]) for name, cols in metrics.items()
    }
    return SufficientStats(counts=counts, moments=moments)


def _first_value(values: Any) -> float:
    """A value of the column to shift by (any one does; 0 when it has none)."""
    import numpy as np

    finite = values[np.isfinite(values)]
    return float(finite[0]) if finite.size else 0.0


def _shifts_pandas(df: pd.DataFrame, metrics: Mapping[str, MetricColumns]) -> Shifts:
    out: Shifts = {}
    for name, cols in metrics.items():
        y = _first_value(df[cols.y].to_numpy(dtype="float64", na_value=float("nan")))
        x = 0.0
        if cols.x is not None:
            x = _first_value(df[cols.x].to_numpy(dtype="float64", na_value=float("nan")))
        out[name] = (y, x)
    return out


def sufficient_stats_pandas(
    df: pd.DataFrame, variant_column: str, metrics: Mapping[str, MetricColumns]
) -> SufficientStats:
    """Sufficient statistics of an in-memory pandas DataFrame."""
    return _partition_stats(df, variant_column, metrics, _shifts_pandas(df, metrics))


def sufficient_stats_dask(
    ddf: Any, variant_column: str, metrics: Mapping[str, MetricColumns]
) -> SufficientStats:
    """Sufficient statistics of a Dask DataFrame: one reduction per partition, then merged.

    The shifts come from the first rows that have values, so every partition uses the
    same ones. Dask is imported here only, so the rest of the package works without it.
    """
    import importlib

    # dask's own annotations are partial (untyped compute); treat the module as Any.
    dask: Any = importlib.import_module("dask")
    columns = sorted({c for cols in metrics.values() for c in (cols.y, cols.x) if c is not None})
    head = ddf[columns].dropna(how="all").head(1000, npartitions=-1)
    shifts = _shifts_pandas(head, metrics)
    parts = ddf.to_delayed()
    reduce = dask.delayed(_partition_stats)
    partials = dask.compute(*[reduce(p, variant_column, dict(metrics), shifts) for p in parts])
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
