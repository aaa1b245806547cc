"""Per-feature data drift between a reference and a current dataset.

Numeric features get a two-sample Kolmogorov-Smirnov test, the Wasserstein-1 distance
and the population stability index (PSI); categorical features get a two-sample
chi-square test on the 2 x k contingency table and the Jensen-Shannon distance.
Per-feature p-values are corrected for multiple testing across features and the
dataset-level verdict compares the share of drifted features with a threshold.

Every numeric statistic is computed from ONE sort per column and per side: the sorted
reference and current arrays are merged in linear time and the merged ECDFs give the
KS statistic and the Wasserstein integral; PSI bin edges are read off the sorted
reference and bin counts are binary searches.  Columns are processed in a thread pool
(``DriftConfig.n_jobs``; numpy releases the GIL while sorting and merging) and every
worker reuses its scratch buffers across columns.

Conventions (all documented here once):

* KS: statistic and p-value equal ``scipy.stats.ks_2samp(x, y)`` with its default
  ``method="auto"``.  When ``max(n1, n2) <= 10000`` scipy's exact path is used by
  calling ``ks_2samp`` on the already sorted arrays (cheap at that size); above it
  the statistic comes from the merged ECDFs and the p-value from the same
  asymptotic formula scipy uses, ``kstwo.sf(d, round(n1 n2 / (n1 + n2)))``, with
  scipy's O(n) ``smirnov`` branch replaced by a vectorised sum of the same series
  (:func:`_kstwo_sf`; absolute difference below 2e-11).  scipy's warning when its
  exact computation falls back to the asymptotic one is passed through.
* Wasserstein: equals ``scipy.stats.wasserstein_distance(x, y)`` (``raw``); the
  ``statistic`` compared with ``wasserstein.max`` is normalised by the reference
  standard deviation (ddof=0).  If that is zero (constant reference) the pooled
  standard deviation of both samples is used instead, which is zero only when both
  samples are the same constant, in which case the distance is 0.
* PSI: ``sum((c - r) * ln(c / r))`` over ``bins`` (default 10) bins whose inner edges
  are the reference quantiles at ``1/bins, ..., (bins-1)/bins`` (linear
  interpolation, numpy's default), tied edges removed; bins are right-closed
  ``(a, b]`` and open-ended at both ends.  Bin proportions below ``epsilon``
  (default 1e-4) are raised to ``epsilon`` so empty bins give a finite value.
* Chi-square: two-sample test of homogeneity on the 2 x k table of reference vs
  current counts over the union of categories, WITHOUT Yates' continuity correction
  for every k (equal to ``scipy.stats.chi2_contingency(table, correction=False)``);
  a single shared category gives statistic 0 and p-value 1.
* Jensen-Shannon: distance (square root of the divergence) in base 2, so it lies in
  [0, 1]; equal to ``scipy.spatial.distance.jensenshannon(p, q, base=2)``.
* A feature is *drifted* when its p-value test rejects after the multiple-testing
  correction (adjusted p-value < alpha) OR any distance exceeds its ``max``.  A test
  configured with ``None`` is still reported but never decides.
* The dataset is drifted when ``drift_share >= dataset_drift_share`` (or when the
  optional multivariate test flags).
* NaNs are dropped per column and counted; bad input raises :class:`DriftDataError`.
"""

from __future__ import annotations

import math
import os
import queue
from collections.abc import Hashable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import pandas as pd

    from galfriday_gitops.stats.multivariate import MultivariateConfig, MultivariateResult

FloatArray = npt.NDArray[np.float64]
Correction = Literal["benjamini-hochberg", "bonferroni", "none"]

#: ``ks_2samp(method="auto")`` uses the exact distribution up to this sample size.
KS_EXACT_MAX_N = 10_000


class DriftDataError(ValueError):
    """Input data that drift statistics cannot be computed on (the message names the column)."""


# ---------------------------------------------------------------------------
# configuration


@dataclass(frozen=True)
class NumericTestsConfig:
    """Thresholds for numeric features; ``None`` keeps a test informative only."""

    ks_alpha: float | None = 0.05
    wasserstein_max: float | None = 0.1
    psi_max: float | None = 0.2
    psi_bins: int = 10
    psi_epsilon: float = 1e-4


@dataclass(frozen=True)
class CategoricalTestsConfig:
    """Thresholds for categorical features; ``None`` keeps a test informative only."""

    chi2_alpha: float | None = 0.05
    jensenshannon_max: float | None = 0.1


@dataclass(frozen=True)
class DriftConfig:
    """Drift policy, mirroring the registry's ``DriftPolicy`` resource.

    ``n_jobs`` is the number of worker threads for numeric columns (default: CPU count).
    ``multivariate`` enables the PCA reconstruction-error test on the numeric features
    (skipped when there are fewer than two).
    """

    numeric: NumericTestsConfig = field(default_factory=NumericTestsConfig)
    categorical: CategoricalTestsConfig = field(default_factory=CategoricalTestsConfig)
    correction: Correction = "benjamini-hochberg"
    dataset_drift_share: float = 0.3
    max_int_categories: int = 20
    n_jobs: int | None = None
    multivariate: MultivariateConfig | None = None

    def __post_init__(self) -> None:
        if self.correction not in ("benjamini-hochberg", "bonferroni", "none"):
            raise ValueError(f"unknown correction {self.correction!r}")
        if not 0.0 <= self.dataset_drift_share <= 1.0:
            raise ValueError("dataset_drift_share must lie in [0, 1]")
        if self.numeric.psi_bins < 2:
            raise ValueError("psi_bins must be at least 2")

    @classmethod
    def from_policy(cls, policy: Mapping[str, Any]) -> DriftConfig:
        """Build a config from the policy mapping (``tests:``/``correction:``/``datasetDrift:``).

        Missing keys keep their defaults; a test given as ``null`` is disabled.
        """
        tests = policy.get("tests") or {}
        num = tests.get("numeric") or {}
        cat = tests.get("categorical") or {}
        dflt_n, dflt_c = NumericTestsConfig(), CategoricalTestsConfig()

        def pick(block: Mapping[str, Any], test: str, key: str, default: float | None) -> Any:
            if test not in block:
                return default
            sub = block[test]
            return None if sub is None else sub.get(key, default)

        numeric = NumericTestsConfig(
            ks_alpha=pick(num, "ks", "alpha", dflt_n.ks_alpha),
            wasserstein_max=pick(num, "wasserstein", "max", dflt_n.wasserstein_max),
            psi_max=pick(num, "psi", "max", dflt_n.psi_max),
            psi_bins=int(pick(num, "psi", "bins", dflt_n.psi_bins) or dflt_n.psi_bins),
        )
        categorical = CategoricalTestsConfig(
            chi2_alpha=pick(cat, "chi2", "alpha", dflt_c.chi2_alpha),
            jensenshannon_max=pick(cat, "jensenshannon", "max", dflt_c.jensenshannon_max),
        )
        share = (policy.get("datasetDrift") or {}).get("share", 0.3)
        return cls(
            numeric=numeric,
            categorical=categorical,
            correction=policy.get("correction", "benjamini-hochberg"),
            dataset_drift_share=float(share),
        )


# ---------------------------------------------------------------------------
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


def _ks_p_value_asymptotic(d: float, n1: int, n2: int) -> float:
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
    return d_merged, _ks_p_value_asymptotic(d_merged, sx.size, sy.size)


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


def numeric_stats_sorted(
    sx: FloatArray,
    sy: FloatArray,
    *,
    psi_bins: int = 10,
    psi_epsilon: float = 1e-4,
    _ws: _Workspace | None = None,
) -> NumericStats:
    """All numeric statistics from sorted, finite, non-empty reference ``sx`` and current ``sy``."""
    d_merged, wasserstein = _ks_wasserstein_sorted(sx, sy, _ws)
    ks_stat, ks_p = _ks_sorted(sx, sy, d_merged)
    std = float(np.std(sx))
    scale = std if std > 0.0 else float(np.std(np.concatenate([sx, sy])))
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
    return numeric_stats_sorted(sx, sy, psi_bins=psi_bins, psi_epsilon=psi_epsilon)


def ks_2samp(x: npt.ArrayLike, y: npt.ArrayLike) -> tuple[float, float]:
    """Two-sided two-sample KS ``(statistic, p_value)``, equal to ``scipy.stats.ks_2samp``."""
    sx, _ = _sorted_finite(x, "x", "first sample")
    sy, _ = _sorted_finite(y, "y", "second sample")
    d, _ = _ks_wasserstein_sorted(sx, sy)
    return _ks_sorted(sx, sy, d)


def wasserstein_distance(x: npt.ArrayLike, y: npt.ArrayLike) -> float:
    """Wasserstein-1 distance, equal to ``scipy.stats.wasserstein_distance``."""
    sx, _ = _sorted_finite(x, "x", "first sample")
    sy, _ = _sorted_finite(y, "y", "second sample")
    return _ks_wasserstein_sorted(sx, sy)[1]


def psi(
    reference: npt.ArrayLike, current: npt.ArrayLike, *, bins: int = 10, epsilon: float = 1e-4
) -> float:
    """Population stability index with reference-quantile bins (see module docstring)."""
    sx, _ = _sorted_finite(reference, "reference", "reference")
    sy, _ = _sorted_finite(current, "current", "current")
    return _psi_sorted(sx, sy, bins, epsilon)


# ---------------------------------------------------------------------------
# categorical statistics


@dataclass(frozen=True)
class CategoricalStats:
    """Two-sample statistics of one categorical feature over the union of categories."""

    categories: list[Hashable]
    reference_counts: npt.NDArray[np.int64]
    current_counts: npt.NDArray[np.int64]
    chi2_statistic: float
    chi2_p_value: float
    chi2_dof: int
    jensenshannon: float
    unseen_in_reference: list[Hashable]
    missing_in_current: list[Hashable]


def chi2_two_sample(
    reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike
) -> tuple[float, float, int]:
    """Pearson chi-square test of homogeneity on the 2 x k table, no continuity correction.

    Equal to ``scipy.stats.chi2_contingency([ref, cur], correction=False)[:3]``.
    Categories absent from both rows must be removed by the caller.
    """
    from scipy import stats as sps

    table = np.vstack([reference_counts, current_counts]).astype(np.float64)
    dof = table.shape[1] - 1
    if dof == 0:
        return 0.0, 1.0, 0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    stat = float(np.sum((table - expected) ** 2 / expected))
    return stat, float(sps.chi2.sf(stat, dof)), dof


def jensenshannon_distance(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    """Base-2 Jensen-Shannon distance of two count (or probability) vectors, in [0, 1]."""
    from scipy import special

    pa = np.asarray(p, dtype=np.float64)
    qa = np.asarray(q, dtype=np.float64)
    pa = pa / pa.sum()
    qa = qa / qa.sum()
    m = (pa + qa) / 2.0
    js = (np.sum(special.rel_entr(pa, m)) + np.sum(special.rel_entr(qa, m))) / 2.0
    return float(np.sqrt(max(js, 0.0) / math.log(2.0)))


def _value_counts(values: Any) -> tuple[dict[Hashable, int], int]:
    import pandas as pd

    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    counts = series.value_counts(dropna=True, sort=False)
    n_missing = int(series.isna().sum())
    # a pandas Categorical also lists unobserved categories (count 0): drop them, a
    # category absent from both samples would make an expected count of zero
    return {k: int(v) for k, v in counts.items() if v > 0}, n_missing


def categorical_stats(reference: Any, current: Any) -> CategoricalStats:
    """Chi-square and Jensen-Shannon over the union of categories (NaNs dropped).

    Categories only in the current data count 0 on the reference row (and vice versa);
    they are listed in ``unseen_in_reference`` / ``missing_in_current``.
    """
    ref, _ = _value_counts(reference)
    cur, _ = _value_counts(current)
    return _categorical_from_counts(ref, cur)


def _categorical_from_counts(
    ref: Mapping[Hashable, int], cur: Mapping[Hashable, int]
) -> CategoricalStats:
    categories = list(ref) + [c for c in cur if c not in ref]
    rc = np.array([ref.get(c, 0) for c in categories], dtype=np.int64)
    cc = np.array([cur.get(c, 0) for c in categories], dtype=np.int64)
    stat, p, dof = chi2_two_sample(rc, cc)
    return CategoricalStats(
        categories=categories,
        reference_counts=rc,
        current_counts=cc,
        chi2_statistic=stat,
        chi2_p_value=p,
        chi2_dof=dof,
        jensenshannon=jensenshannon_distance(rc, cc),
        unseen_in_reference=[c for c in cur if c not in ref],
        missing_in_current=[c for c in ref if c not in cur],
    )


# ---------------------------------------------------------------------------
# multiple testing


def adjust_pvalues(
    p_values: npt.ArrayLike, method: Correction = "benjamini-hochberg"
) -> FloatArray:
    """Adjusted p-values across features.

    ``benjamini-hochberg`` equals ``scipy.stats.false_discovery_control(p, method="bh")``;
    ``bonferroni`` is ``min(1, m p)``; ``none`` returns the input.
    """
    p = np.asarray(p_values, dtype=np.float64)
    m = p.size
    if m == 0 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(p * m, 1.0)
    if method != "benjamini-hochberg":
        raise ValueError(f"unknown correction {method!r}")
    order = np.argsort(p)
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    out = np.empty(m, dtype=np.float64)
    out[order] = np.clip(stepped, 0.0, 1.0)
    return out


# ---------------------------------------------------------------------------
# report


@dataclass
class StatTestResult:
    """One test on one feature: the statistic compared with ``threshold``."""

    statistic: float
    threshold: float | None
    drifted: bool = False
    p_value: float | None = None
    p_value_adjusted: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"statistic": self.statistic}
        if self.p_value is not None:
            out["p_value"] = self.p_value
            out["p_value_adjusted"] = self.p_value_adjusted
        out["threshold"] = self.threshold
        out["drifted"] = self.drifted
        out.update(self.extra)
        return out


@dataclass
class FeatureResult:
    """Drift verdict of one feature."""

    name: str
    kind: Literal["numeric", "categorical"]
    tests: dict[str, StatTestResult]
    n_reference: int
    n_current: int
    missing_reference: int
    missing_current: int
    drifted: bool = False
    unseen_categories: list[str] | None = None
    missing_categories: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "drifted": self.drifted,
            "tests": {k: t.to_dict() for k, t in self.tests.items()},
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "missing": {"reference": self.missing_reference, "current": self.missing_current},
        }
        if self.kind == "categorical":
            out["unseen_categories"] = self.unseen_categories or []
            out["missing_categories"] = self.missing_categories or []
        return out


@dataclass
class DriftReport:
    """Result of :func:`analyze`; ``to_dict()`` is the JSON document the registry stores."""

    features: dict[str, FeatureResult]
    drift_share: float
    dataset_drift: bool
    correction: Correction
    dataset_drift_share: float
    multivariate: MultivariateResult | None = None

    def ordered_features(self) -> list[FeatureResult]:
        """Drifted features first, each group in the order the features were given."""
        feats = list(self.features.values())
        return [f for f in feats if f.drifted] + [f for f in feats if not f.drifted]

    @property
    def drifted_features(self) -> list[str]:
        return [f.name for f in self.features.values() if f.drifted]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "threshold_share": self.dataset_drift_share,
            "correction": self.correction,
            "n_features": len(self.features),
            "n_drifted": len(self.drifted_features),
            "features": {f.name: f.to_dict() for f in self.ordered_features()},
        }
        if self.multivariate is not None:
            out["multivariate"] = self.multivariate.to_dict()
        return out


# ---------------------------------------------------------------------------
# DataFrame front end


@dataclass(frozen=True)
class FeatureKinds:
    """Columns split by kind; ``ignored`` holds columns of unsupported dtype (e.g. datetimes)."""

    numeric: list[str]
    categorical: list[str]
    ignored: list[str]


def infer_kinds(
    df: pd.DataFrame,
    *,
    max_int_categories: int = 20,
    numeric: Iterable[str] = (),
    categorical: Iterable[str] = (),
) -> FeatureKinds:
    """Classify columns: strings, bools, ``category`` dtype and integers with at most
    ``max_int_categories`` distinct values are categorical, other numbers numeric.

    Columns named in ``numeric`` / ``categorical`` are taken as told.
    """
    import pandas as pd
    from pandas.api import types as pdt

    forced_num, forced_cat = set(numeric), set(categorical)
    num: list[str] = []
    cat: list[str] = []
    ignored: list[str] = []
    for col in df.columns:
        name = str(col)
        dtype = df[col].dtype
        if name in forced_num:
            num.append(name)
        elif name in forced_cat or (
            pdt.is_bool_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
            or pdt.is_string_dtype(dtype)
            or pdt.is_object_dtype(dtype)
        ):
            cat.append(name)
        elif pdt.is_integer_dtype(dtype):
            nunique = int(df[col].nunique(dropna=True))
            (cat if nunique <= max_int_categories else num).append(name)
        elif pdt.is_float_dtype(dtype):
            num.append(name)
        else:
            ignored.append(name)
    return FeatureKinds(numeric=num, categorical=cat, ignored=ignored)


def _check_frame(df: Any, side: str) -> None:
    if not hasattr(df, "columns") or not hasattr(df, "__getitem__"):
        raise DriftDataError(f"{side} is not a DataFrame (got {type(df).__name__})")
    if len(df) == 0:
        raise DriftDataError(f"{side} frame is empty")


def _numeric_column(df: pd.DataFrame, col: str, side: str) -> npt.NDArray[np.float64]:
    from pandas.api import types as pdt

    if col not in df.columns:
        raise DriftDataError(f"column {col!r} is missing from the {side} frame")
    series = df[col]
    dtype = series.dtype
    if pdt.is_bool_dtype(dtype) or not pdt.is_numeric_dtype(dtype):
        raise DriftDataError(
            f"numeric feature {col!r} in {side} has non-numeric dtype {dtype}; "
            "convert it or declare it categorical"
        )
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _numeric_feature(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    col: str,
    cfg: NumericTestsConfig,
    workspaces: queue.SimpleQueue[_Workspace],
) -> tuple[NumericStats, int, int, int, int]:
    ws = workspaces.get()
    try:
        x = _numeric_column(reference, col, "reference")
        sx, miss_x = _sorted_finite(x, col, "reference", ws, "sorted_x")
        y = _numeric_column(current, col, "current")
        sy, miss_y = _sorted_finite(y, col, "current", ws, "sorted_y")
        st = numeric_stats_sorted(
            sx, sy, psi_bins=cfg.psi_bins, psi_epsilon=cfg.psi_epsilon, _ws=ws
        )
        return st, sx.size, sy.size, miss_x, miss_y
    finally:
        workspaces.put(ws)


def _exceeds(value: float, limit: float | None) -> bool:
    return limit is not None and value > limit


def analyze(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    numeric: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    config: DriftConfig | None = None,
) -> DriftReport:
    """Compare ``current`` with ``reference`` feature by feature.

    If neither ``numeric`` nor ``categorical`` is given, kinds come from
    :func:`infer_kinds` on the reference frame; otherwise exactly the listed columns
    are analysed.  Raises :class:`DriftDataError` for a missing column, a non-numeric
    numeric feature, an empty frame or an all-NaN column.
    """
    cfg = config or DriftConfig()
    _check_frame(reference, "reference")
    _check_frame(current, "current")
    if numeric is None and categorical is None:
        kinds = infer_kinds(reference, max_int_categories=cfg.max_int_categories)
        num_cols, cat_cols = kinds.numeric, kinds.categorical
    else:
        num_cols, cat_cols = list(numeric or ()), list(categorical or ())
    both = set(num_cols) & set(cat_cols)
    if both:
        raise DriftDataError(f"columns declared both numeric and categorical: {sorted(both)}")
    if not num_cols and not cat_cols:
        raise DriftDataError("no features to analyse")
    for col in [*num_cols, *cat_cols]:
        for df, side in ((reference, "reference"), (current, "current")):
            if col not in df.columns:
                raise DriftDataError(f"column {col!r} is missing from the {side} frame")
    for col in num_cols:
        _numeric_column(reference, col, "reference")
        _numeric_column(current, col, "current")

    results: dict[str, FeatureResult] = {}
    p_values: list[tuple[str, str, float]] = []  # (feature, test, p)

    n_jobs = cfg.n_jobs or os.cpu_count() or 1
    ncfg = cfg.numeric
    if num_cols:
        workers = max(1, min(n_jobs, len(num_cols)))
        workspaces: queue.SimpleQueue[_Workspace] = queue.SimpleQueue()
        for _ in range(workers):
            workspaces.put(_Workspace())
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [
                pool.submit(_numeric_feature, reference, current, c, ncfg, workspaces)
                for c in num_cols
            ]
            numeric_out = [f.result() for f in futures]
        del workspaces
        for col, (st, nx, ny, mx, my) in zip(num_cols, numeric_out, strict=True):
            tests = {
                "ks": StatTestResult(st.ks_statistic, ncfg.ks_alpha, p_value=st.ks_p_value),
                "wasserstein": StatTestResult(
                    st.wasserstein_normalised,
                    ncfg.wasserstein_max,
                    drifted=_exceeds(st.wasserstein_normalised, ncfg.wasserstein_max),
                    extra={"raw": st.wasserstein, "reference_std": st.reference_std},
                ),
                "psi": StatTestResult(
                    st.psi,
                    ncfg.psi_max,
                    drifted=_exceeds(st.psi, ncfg.psi_max),
                    extra={"bins": ncfg.psi_bins, "epsilon": ncfg.psi_epsilon},
                ),
            }
            results[col] = FeatureResult(col, "numeric", tests, nx, ny, mx, my)
            p_values.append((col, "ks", st.ks_p_value))

    ccfg = cfg.categorical
    for col in cat_cols:
        ref_counts, mx = _value_counts(reference[col])
        cur_counts, my = _value_counts(current[col])
        for counts, side in ((ref_counts, "reference"), (cur_counts, "current")):
            if not counts:
                raise DriftDataError(f"categorical feature {col!r} in {side} is all NaN")
        cs = _categorical_from_counts(ref_counts, cur_counts)
        tests = {
            "chi2": StatTestResult(
                cs.chi2_statistic,
                ccfg.chi2_alpha,
                p_value=cs.chi2_p_value,
                extra={"dof": cs.chi2_dof},
            ),
            "jensenshannon": StatTestResult(
                cs.jensenshannon,
                ccfg.jensenshannon_max,
                drifted=_exceeds(cs.jensenshannon, ccfg.jensenshannon_max),
                extra={"base": 2},
            ),
        }
        results[col] = FeatureResult(
            col,
            "categorical",
            tests,
            int(cs.reference_counts.sum()),
            int(cs.current_counts.sum()),
            mx,
            my,
            unseen_categories=[str(c) for c in cs.unseen_in_reference],
            missing_categories=[str(c) for c in cs.missing_in_current],
        )
        p_values.append((col, "chi2", cs.chi2_p_value))

    adjusted = adjust_pvalues([p for _, _, p in p_values], cfg.correction)
    for (col, test, _), p_adj in zip(p_values, adjusted, strict=True):
        tr = results[col].tests[test]
        tr.p_value_adjusted = float(p_adj)
        tr.drifted = tr.threshold is not None and tr.p_value_adjusted < tr.threshold
    for fr in results.values():
        fr.drifted = any(t.drifted for t in fr.tests.values())

    ordered = {c: results[c] for c in [*num_cols, *cat_cols]}
    share = sum(f.drifted for f in ordered.values()) / len(ordered)
    mv: MultivariateResult | None = None
    if cfg.multivariate is not None and len(num_cols) >= 2:
        from galfriday_gitops.stats.multivariate import pca_reconstruction_drift

        mv = pca_reconstruction_drift(
            np.column_stack([_numeric_column(reference, c, "reference") for c in num_cols]),
            np.column_stack([_numeric_column(current, c, "current") for c in num_cols]),
            config=cfg.multivariate,
            features=num_cols,
        )
    dataset_drift = share >= cfg.dataset_drift_share or (mv is not None and mv.drifted)
    return DriftReport(
        features=ordered,
        drift_share=share,
        dataset_drift=dataset_drift,
        correction=cfg.correction,
        dataset_drift_share=cfg.dataset_drift_share,
        multivariate=mv,
    )


# ---------------------------------------------------------------------------
# prediction and performance drift


def score_drift(reference_scores: npt.ArrayLike, current_scores: npt.ArrayLike) -> NumericStats:
    """Drift of a model's score distribution (KS, Wasserstein, PSI as for numeric features)."""
    return numeric_stats(reference_scores, current_scores, name="score")


def class_drift(reference_labels: Any, current_labels: Any) -> CategoricalStats:
    """Drift of predicted class frequencies (two-sample chi-square and Jensen-Shannon)."""
    return categorical_stats(reference_labels, current_labels)


def accuracy(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Fraction of exact matches."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape or t.size == 0:
        raise DriftDataError("y_true and y_pred must be non-empty and of equal length")
    return float(np.mean(t == p))


def f1_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, pos_label: Any = 1) -> float:
    """Binary F1 of ``pos_label``; 0 when there are no true or predicted positives."""
    t, p = np.asarray(y_true) == pos_label, np.asarray(y_pred) == pos_label
    tp = int(np.sum(t & p))
    denom = int(np.sum(t)) + int(np.sum(p))
    return 2.0 * tp / denom if denom else 0.0


def roc_auc(y_true: npt.ArrayLike, scores: npt.ArrayLike, *, pos_label: Any = 1) -> float:
    """ROC AUC via the Mann-Whitney rank sum (average ranks, so ties count one half)."""
    from scipy import stats as sps

    pos = np.asarray(y_true) == pos_label
    s = np.asarray(scores, dtype=np.float64)
    n_pos = int(pos.sum())
    n_neg = pos.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise DriftDataError("roc_auc needs both classes in y_true")
    ranks = sps.rankdata(s)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


@dataclass(frozen=True)
class MetricDrift:
    """Baseline vs current value of one metric; ``drop = baseline - current``."""

    baseline: float
    current: float
    drop: float
    drifted: bool


@dataclass(frozen=True)
class PerformanceDrift:
    """Per-metric drops; ``drifted`` if any metric dropped by more than ``max_drop``."""

    metrics: dict[str, MetricDrift]
    max_drop: float
    drifted: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "drifted": self.drifted,
            "max_drop": self.max_drop,
            "metrics": {k: vars(v).copy() for k, v in self.metrics.items()},
        }


def performance_drift(
    y_true: npt.ArrayLike,
    *,
    baseline: Mapping[str, float],
    max_drop: float,
    y_pred: npt.ArrayLike | None = None,
    scores: npt.ArrayLike | None = None,
    threshold: float = 0.5,
    pos_label: Any = 1,
) -> PerformanceDrift:
    """Compare current ``accuracy`` / ``f1`` / ``auc`` with baseline values.

    ``max_drop`` is an absolute drop (0.05 = five points of accuracy).  Without
    ``y_pred``, predictions are ``scores >= threshold`` mapped to ``pos_label`` / not.
    """
    if y_pred is None and scores is None:
        raise DriftDataError("performance_drift needs y_pred or scores")
    if y_pred is None:
        s = np.asarray(scores, dtype=np.float64)
        t = np.asarray(y_true)
        neg = [v for v in np.unique(t) if v != pos_label]
        y_pred = np.where(s >= threshold, pos_label, neg[0] if neg else 0)
    metrics: dict[str, MetricDrift] = {}
    for name, base in baseline.items():
        if name == "accuracy":
            value = accuracy(y_true, y_pred)
        elif name == "f1":
            value = f1_score(y_true, y_pred, pos_label=pos_label)
        elif name == "auc":
            if scores is None:
                raise DriftDataError("metric 'auc' needs scores")
            value = roc_auc(y_true, scores, pos_label=pos_label)
        else:
            raise DriftDataError(f"unknown metric {name!r}; expected accuracy, f1 or auc")
        drop = float(base) - value
        metrics[name] = MetricDrift(float(base), value, drop, drop > max_drop)
    return PerformanceDrift(metrics, max_drop, any(m.drifted for m in metrics.values()))
