"""DDSketch: quantiles with a relative-error guarantee, mergeable across partitions.

Masson, Rim and Lee, "DDSketch: a fast and fully-mergeable quantile sketch with
relative-error guarantees", VLDB 2019. With relative accuracy ``alpha`` and
``gamma = (1 + alpha) / (1 - alpha)``, a value ``x > 0`` is counted in bucket
``i = ceil(log_gamma(x))``, which holds ``(gamma^(i-1), gamma^i]``; the bucket's
representative ``2 gamma^i / (gamma + 1)`` is within ``alpha * x`` of every ``x`` in it.
Negative values mirror into a second store; values with ``|x| < MIN_VALUE`` are counted
as zero.

**The bound.** ``quantile(q)`` returns the representative of the bucket holding the
item of rank ``floor(q * (n - 1))`` (0-based) of the sorted values, so for that item
``x_k``: ``|quantile(q) - x_k| <= alpha * |x_k|``. numpy's default (linear) percentile
lies between ``x_k`` and ``x_(k+1)``, so the sketch is within ``alpha`` (relative) of an
order statistic that brackets it: ``(1 - alpha) x_k <= quantile(q) <= (1 + alpha) x_k``.

**Merging** adds bucket counts: a sketch of a union equals the merge of the sketches of
its parts, exactly, in any order — so partitions (Dask, processes, machines) are reduced
independently and merged at the end. Memory is one count per non-empty bucket: about
``ln(max/min) / ln(gamma)``, i.e. 920 buckets for 1% over eight orders of magnitude
(0.01 ms to 1,000 s), whatever the number of values. numpy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

MIN_VALUE = 1e-9  # smaller magnitudes are counted as zero (below any latency we report)

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def _empty() -> IntArray:
    return np.empty(0, dtype=np.int64)


def _add_counts(
    keys: IntArray, counts: IntArray, more_keys: IntArray, more: IntArray
) -> tuple[IntArray, IntArray]:
    """Two sparse stores (sorted unique keys, counts) summed into one."""
    if not more_keys.size:
        return keys, counts
    if not keys.size:
        return more_keys, more
    joined, inverse = np.unique(np.concatenate([keys, more_keys]), return_inverse=True)
    summed = np.bincount(inverse, weights=np.concatenate([counts, more]), minlength=joined.size)
    return joined, np.rint(summed).astype(np.int64)


@dataclass
class DDSketch:
    """Relative-error quantiles of a stream of numbers (see the module docstring)."""

    alpha: float = 0.01
    positive: tuple[IntArray, IntArray] = field(default_factory=lambda: (_empty(), _empty()))
    negative: tuple[IntArray, IntArray] = field(default_factory=lambda: (_empty(), _empty()))
    zeros: int = 0

    def __post_init__(self) -> None:
        if not 0 < self.alpha < 1:
            raise ValueError(f"relative accuracy must be in (0, 1), not {self.alpha}")
        self.gamma = (1 + self.alpha) / (1 - self.alpha)
        self._log_gamma = math.log(self.gamma)

    @property
    def count(self) -> int:
        return int(self.positive[1].sum() + self.negative[1].sum() + self.zeros)

    def keys_of(self, magnitudes: FloatArray) -> IntArray:
        """The bucket of each magnitude (all ``>= MIN_VALUE``)."""
        return np.ceil(np.log(magnitudes) / self._log_gamma).astype(np.int64)

    def add(self, values: npt.ArrayLike) -> DDSketch:
        """Count these values (NaN is skipped); returns the sketch itself."""
        x = np.asarray(values, dtype=np.float64).ravel()
        x = x[~np.isnan(x)]
        big = np.abs(x) >= MIN_VALUE
        self.zeros += int(np.count_nonzero(~big))
        for positive in (True, False):
            part = x[big & ((x > 0) if positive else (x < 0))]
            if not part.size:
                continue
            keys, counts = np.unique(self.keys_of(np.abs(part)), return_counts=True)
            if positive:
                self.positive = _add_counts(*self.positive, keys, counts.astype(np.int64))
            else:
                self.negative = _add_counts(*self.negative, keys, counts.astype(np.int64))
        return self

    def add_buckets(self, keys: IntArray, counts: IntArray, zeros: int = 0) -> DDSketch:
        """Count pre-bucketed positive values (``keys_of``): how grouped data is sketched
        without one ``add`` per group."""
        self.positive = _add_counts(*self.positive, keys, counts.astype(np.int64))
        self.zeros += zeros
        return self

    def merge(self, other: DDSketch) -> DDSketch:
        """This sketch plus ``other`` (same ``alpha``); returns the sketch itself."""
        if not math.isclose(other.alpha, self.alpha):
            raise ValueError(f"cannot merge sketches of accuracy {self.alpha} and {other.alpha}")
        self.positive = _add_counts(*self.positive, *other.positive)
        self.negative = _add_counts(*self.negative, *other.negative)
        self.zeros += other.zeros
        return self

    def _value(self, key: int) -> float:
        return 2 * self.gamma**key / (self.gamma + 1)

    def quantile(self, q: float) -> float | None:
        """The ``q``-quantile (0 <= q <= 1) within relative error ``alpha``; None if empty."""
        if not 0 <= q <= 1:
            raise ValueError(f"quantile must be in [0, 1], not {q}")
        n = self.count
        if n == 0:
            return None
        rank = math.floor(q * (n - 1))
        neg_keys, neg_counts = self.negative
        if rank < neg_counts.sum():  # most negative first: the largest magnitudes
            cumulative = np.cumsum(neg_counts[::-1])
            i = int(np.searchsorted(cumulative, rank, side="right"))
            return -self._value(int(neg_keys[::-1][i]))
        rank -= int(neg_counts.sum())
        if rank < self.zeros:
            return 0.0
        rank -= self.zeros
        pos_keys, pos_counts = self.positive
        i = int(np.searchsorted(np.cumsum(pos_counts), rank, side="right"))
        return self._value(int(pos_keys[i]))


def sketches_by_group(
    codes: npt.NDArray[np.integer], values: FloatArray, groups: int, alpha: float = 0.01
) -> list[DDSketch]:
    """One sketch per group code ``0..groups-1`` of non-negative values (latencies) in one
    pass: one ``unique`` over (group, bucket) pairs instead of one ``add`` per group.
    NaN values are skipped; negative ones are refused."""
    keep = ~np.isnan(values)
    codes, values = codes[keep], values[keep]
    if values.size and float(values.min()) < 0:
        raise ValueError("sketches_by_group takes non-negative values")
    out = [DDSketch(alpha) for _ in range(groups)]
    if not values.size:
        return out
    small = values < MIN_VALUE
    zeros = np.bincount(codes[small], minlength=groups)
    probe = out[0]
    keys = probe.keys_of(values[~small])
    shift = int(keys.min()) if keys.size else 0
    width = int(keys.max()) - shift + 1 if keys.size else 1
    pairs, counts = np.unique(
        codes[~small].astype(np.int64) * width + (keys - shift), return_counts=True
    )
    group_of, key_of = np.divmod(pairs, width)
    bounds = np.searchsorted(group_of, np.arange(groups + 1))
    for g, sketch in enumerate(out):
        lo, hi = int(bounds[g]), int(bounds[g + 1])
        sketch.add_buckets(key_of[lo:hi] + shift, counts[lo:hi].astype(np.int64), int(zeros[g]))
    return out
