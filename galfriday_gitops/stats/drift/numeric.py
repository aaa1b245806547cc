"""Numeric drift statistics on sorted arrays: KS, Wasserstein-1 and PSI from one sort per side.

Conventions are documented once, in :mod:`galfriday_gitops.stats.drift`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from galfriday_gitops.stats.errors import DriftDataError

FloatArray = npt.NDArray[np.float64]

#: ``ks_2samp(method="auto")`` uses the exact distribution up to this sample size.
KS_EXACT_MAX_N = 10_000

# numeric statistics on sorted arrays


@dataclass(frozen=True)
class NumericStats:
    """Raw two-sample statistics of one numeric feature."""

    ks_statistic: float
    ks_p_value: float
    wasserstein: float
    wasserstein_normalised: float
    psi: float
    reference_std: float


class _Workspace:
    """Reusable scratch buffers, one per worker thread.

    Fresh multi-megabyte arrays are costly: every first touch of a page faults (on the
    benchmark machine about 20 ms per 16 MB with transparent huge pages), so a
    column's temporaries are views of buffers allocated once per thread and reused.
    """

    def __init__(self) -> None:
        self._bufs: dict[str, npt.NDArray[Any]] = {}

    def get(self, name: str, n: int, dtype: type[np.generic]) -> npt.NDArray[Any]:
        buf = self._bufs.get(name)
        if buf is None or buf.size < n or buf.dtype != dtype:
            buf = np.empty(n, dtype=dtype)
            self._bufs[name] = buf
        return buf[:n]

    def arange1(self, n: int) -> npt.NDArray[np.int64]:
        """``1, 2, ..., n`` (a prefix of a cached, longer range is the same range)."""
        buf = self._bufs.get("arange1")
        if buf is None or buf.size < n:
            buf = np.arange(1, n + 1, dtype=np.int64)
            self._bufs["arange1"] = buf
        return buf[:n]


def _ks_wasserstein_sorted(
    sx: FloatArray, sy: FloatArray, ws: _Workspace | None = None
) -> tuple[float, float]:
    """KS statistic and Wasserstein-1 distance of two sorted, finite, non-empty samples.

    A stable argsort of ``[sx, sy]`` is a linear-time merge (timsort finds the two
    runs) that puts ties from ``sx`` first.  Running counts of ``sx`` elements along
    the merged order are the ECDF numerators; within a run of ties they are partial,
    so KS only looks at the last element of each run, and the Wasserstein integral
    gives those positions zero width anyway.
    """
    ws = ws or _Workspace()
    n1, n2 = sx.size, sy.size
    total = n1 + n2
    both = ws.get("both", total, np.float64)
    both[:n1] = sx
    both[n1:] = sy
    order = np.argsort(both, kind="stable")
    merged = ws.get("merged", total, np.float64)
    np.take(both, order, out=merged)
    flags = ws.get("flags", total, np.bool_)
    np.less(order, n1, out=flags)
    del order
    counts = ws.get("counts", total, np.int64)
    np.cumsum(flags, out=counts)
    # Same expression as scipy (count / n) so the values agree bit for bit.
    cdf_diff = ws.get("cdf_diff", total, np.float64)
    np.divide(counts, n1, out=cdf_diff)
    np.subtract(ws.arange1(total), counts, out=counts)
    scratch = ws.get("scratch", total, np.float64)
    np.divide(counts, n2, out=scratch)
    np.subtract(cdf_diff, scratch, out=cdf_diff)
    np.abs(cdf_diff, out=cdf_diff)
    widths = scratch[:-1]
    np.subtract(merged[1:], merged[:-1], out=widths)
    run_end = flags
    np.not_equal(widths, 0.0, out=run_end[:-1])
    run_end[-1] = True
    ks = float(np.max(cdf_diff, where=run_end, initial=0.0))
    wasserstein = float(np.dot(cdf_diff[:-1], widths))
    return ks, wasserstein


def _smirnov_sf(n: int, x: float) -> float:
    """One-sided Smirnov tail ``P(D_n^+ >= x)`` by the Birnbaum-Tingey sum, in log space.

    The same exact sum scipy's ``special.smirnov`` evaluates term by term (about 0.5 s
    at n = 500000); vectorised it takes a few ms.  Against scipy the absolute difference
    is below 2e-11 for n <= 1e6 (``tests/stats/test_drift.py`` checks a grid).
    """
    from scipy import special

    j = np.arange(math.floor(n * (1.0 - x)) + 1, dtype=np.float64)
    log_binom = special.gammaln(n + 1.0) - special.gammaln(j + 1.0) - special.gammaln(n - j + 1.0)
    with np.errstate(divide="ignore"):
        log_terms = (
            log_binom + (n - j) * np.log((n * (1.0 - x) - j) / n) + (j - 1.0) * np.log(x + j / n)
        )
    top = float(np.max(log_terms))
    return float(x * math.exp(top) * np.sum(np.exp(log_terms - top)))


def _kstwo_sf(d: float, n: int) -> float:
    """``scipy.stats.kstwo.sf(d, n)`` without its slow branch.

    For n > 140 and ``2.2 <= n d^2 < 370`` scipy returns ``2 * special.smirnov(n, d)``,
    which is O(n) scalar work up to n = 1e6; that branch is replaced by
    :func:`_smirnov_sf` (identical up to 2e-11 absolute).  ``d >= 0.5`` or
    ``n d^2 >= 370`` underflows to 0 either way.  Everything else is scipy's own call.
    """
    from scipy import stats as sps

    nd2 = n * d * d
    if n >= KS_EXACT_MAX_N and 1.0 < n * d < n - 1 and nd2 >= 2.2:
        if d >= 0.5 or nd2 >= 370.0:
            return 0.0
        if n <= 1_000_000:
            return min(1.0, 2.0 * _smirnov_sf(n, d))
    return float(sps.kstwo.sf(d, n))


def ks_p_value_asymptotic(d: float, n1: int, n2: int) -> float:
    """The two-sided asymptotic p-value as ``ks_2samp(method="asymp")`` computes it."""
    m, n = sorted([float(n1), float(n2)], reverse=True)
    en = m * n / (m + n)
    return float(np.clip(_kstwo_sf(d, int(np.round(en))), 0.0, 1.0))


def _ks_sorted(sx: FloatArray, sy: FloatArray, d_merged: float) -> tuple[float, float]:
    from scipy import stats as sps

    if max(sx.size, sy.size) <= KS_EXACT_MAX_N:
        # scipy's exact path rounds d onto the 1/lcm(n1, n2) lattice and may fall back
        # to the asymptotic formula; delegating keeps every corner identical.
        res = sps.ks_2samp(sx, sy)
        return float(res.statistic), float(res.pvalue)
    return d_merged, ks_p_value_asymptotic(d_merged, sx.size, sy.size)


def _sorted_quantiles(s: FloatArray, q: FloatArray) -> FloatArray:
    """Linear-interpolation quantiles of an already sorted array (numpy's default method)."""
    h = (s.size - 1) * q
    lo = np.floor(h).astype(np.intp)
    hi = np.minimum(lo + 1, s.size - 1)
    frac = h - lo
    out: FloatArray = s[lo] + frac * (s[hi] - s[lo])
    return out


def _psi_sorted(sx: FloatArray, sy: FloatArray, bins: int, epsilon: float) -> float:
    levels = np.arange(1, bins, dtype=np.float64) / bins
    edges = np.unique(_sorted_quantiles(sx, levels))
    ref_le = np.searchsorted(sx, edges, side="right")
    cur_le = np.searchsorted(sy, edges, side="right")
    ref = np.diff(ref_le, prepend=0, append=sx.size) / sx.size
    cur = np.diff(cur_le, prepend=0, append=sy.size) / sy.size
    ref = np.maximum(ref, epsilon)
    cur = np.maximum(cur, epsilon)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def _std(values: FloatArray, largest: float) -> float:
    """Population std, computed on ``values / 2**k`` so squares cannot overflow (1e200 data).

    ``largest`` bounds ``|values|``; dividing by a power of two is exact.
    """
    if largest == 0.0:
        return 0.0
    scale = 2.0 ** math.floor(math.log2(largest))
    return float(np.std(values / scale)) * scale


def check_span(sx: FloatArray, sy: FloatArray, name: str) -> None:
    """Refuse two sorted samples whose joint range overflows (distances would be infinite)."""
    with np.errstate(over="ignore"):
        span = max(sx[-1], sy[-1]) - min(sx[0], sy[0])
    if not math.isfinite(span):
        raise DriftDataError(
            f"numeric feature {name!r}: values from {min(sx[0], sy[0]):.3g} to "
            f"{max(sx[-1], sy[-1]):.3g} span more than floating point can hold; rescale it"
        )


def numeric_stats_sorted(
    sx: FloatArray,
    sy: FloatArray,
    *,
    psi_bins: int = 10,
    psi_epsilon: float = 1e-4,
    _ws: _Workspace | None = None,
) -> NumericStats:
    """All numeric statistics from sorted, finite, non-empty reference ``sx`` and current ``sy``.

    Their joint range must be finite (:func:`check_span`).
    """
    d_merged, wasserstein = _ks_wasserstein_sorted(sx, sy, _ws)
    ks_stat, ks_p = _ks_sorted(sx, sy, d_merged)
    largest = max(abs(float(sx[0])), abs(float(sx[-1])), abs(float(sy[0])), abs(float(sy[-1])))
    std = _std(sx, largest)
    scale = std if std > 0.0 else _std(np.concatenate([sx, sy]), largest)
    with np.errstate(over="ignore"):
        normalised = wasserstein / scale if scale > 0.0 else 0.0
    return NumericStats(
        ks_statistic=ks_stat,
        ks_p_value=ks_p,
        wasserstein=wasserstein,
        wasserstein_normalised=normalised,
        psi=_psi_sorted(sx, sy, psi_bins, psi_epsilon),
        reference_std=std,
    )


def _sorted_finite(
    values: npt.ArrayLike,
    name: str,
    side: str,
    ws: _Workspace | None = None,
    slot: str = "sorted",
) -> tuple[FloatArray, int]:
    """Sort once; NaNs sort last, so they are counted and sliced off without another pass."""
    try:
        arr = np.asarray(values, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise DriftDataError(f"numeric feature {name!r} in {side} is not numeric: {exc}") from exc
    if arr.size == 0:
        raise DriftDataError(f"numeric feature {name!r} in {side} has no rows")
    if ws is None:
        s = np.sort(arr)
    else:
        s = ws.get(slot, arr.size, np.float64)
        s[...] = arr
        s.sort()
    n_valid = int(np.searchsorted(s, np.nan, side="left"))
    n_missing = s.size - n_valid
    if n_valid == 0:
        raise DriftDataError(f"numeric feature {name!r} in {side} is all NaN")
    s = s[:n_valid]
    if np.isinf(s[0]) or np.isinf(s[-1]):
        raise DriftDataError(f"numeric feature {name!r} in {side} contains infinite values")
    return s, n_missing


def numeric_stats(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    psi_bins: int = 10,
    psi_epsilon: float = 1e-4,
    name: str = "<array>",
) -> NumericStats:
    """KS, Wasserstein and PSI for two numeric samples (NaNs dropped); one sort per side."""
    sx, _ = _sorted_finite(reference, name, "reference")
    sy, _ = _sorted_finite(current, name, "current")
    check_span(sx, sy, name)
    return numeric_stats_sorted(sx, sy, psi_bins=psi_bins, psi_epsilon=psi_epsilon)


def ks_2samp(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[float, float]:
    """Two-sided two-sample KS ``(statistic, p_value)``, equal to ``scipy.stats.ks_2samp``."""
    sx, _ = _sorted_finite(x, "x", "first sample")
    sy, _ = _sorted_finite(y, "y", "second sample")
    check_span(sx, sy, "x")
    d, _ = _ks_wasserstein_sorted(sx, sy)
    return _ks_sorted(sx, sy, d)


def wasserstein_distance(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Wasserstein-1 distance, equal to ``scipy.stats.wasserstein_distance``."""
    sx, _ = _sorted_finite(x, "x", "first sample")
    sy, _ = _sorted_finite(y, "y", "second sample")
    check_span(sx, sy, "x")
    return _ks_wasserstein_sorted(sx, sy)[1]


def psi(
    reference: npt.ArrayLike, current: npt.ArrayLike, *, bins: int = 10, epsilon: float = 1e-4
) -> float:
    """Population stability index with reference-quantile bins (see module docstring)."""
    sx, _ = _sorted_finite(reference, "reference", "reference")
    sy, _ = _sorted_finite(current, "current", "current")
    return _psi_sorted(sx, sy, bins, epsilon)


def score_drift(reference_scores: npt.ArrayLike, current_scores: npt.ArrayLike) -> NumericStats:
    """Drift of a model's score distribution (KS, Wasserstein, PSI as for numeric features)."""
    return numeric_stats(reference_scores, current_scores, name="score")
