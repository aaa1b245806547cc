"""Exact agreement of the drift statistics with scipy and with closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.spatial.distance import jensenshannon

from galfriday_gitops.stats import drift
from galfriday_gitops.stats.drift import numeric

TOL = 1e-9


def _sample(rng: np.random.Generator, n: int, shift: float, ties: bool) -> np.ndarray:
    x = rng.normal(shift, 1.0, size=n)
    return np.round(x, 1) if ties else x


# (n1, n2, ties, shift): exact path (max n <= 10000) and asymptotic path, equal and
# unequal sizes; shifts chosen so the asymptotic cases cover p ~ 0.5, the
# 2.2 <= n d^2 < 370 branch (p between 1e-160 and 0.02) and p == 0.
KS_CASES = [
    (3, 4, False, 0.0),
    (10, 15, False, 1.0),
    (40, 40, True, 0.3),
    (100, 37, False, 0.0),
    (1000, 1000, True, 0.1),
    (2500, 10000, False, 0.05),
    (10000, 10000, True, 0.0),
    (10001, 500, False, 0.1),
    (20000, 15000, True, 0.0),
    (30000, 25000, False, 0.03),
    (50000, 50000, True, 0.05),
    (40000, 60000, False, 0.2),
    (12000, 11000, False, 3.0),
]


@pytest.mark.parametrize(("n1", "n2", "ties", "shift"), KS_CASES)
def test_ks_and_wasserstein_equal_scipy(n1: int, n2: int, ties: bool, shift: float) -> None:
    rng = np.random.default_rng(n1 * 7 + n2)
    x = _sample(rng, n1, 0.0, ties)
    y = _sample(rng, n2, shift, ties)
    d, p = drift.ks_2samp(x, y)
    ref = stats.ks_2samp(x, y)
    assert d == pytest.approx(float(ref.statistic), abs=TOL)
    assert p == pytest.approx(float(ref.pvalue), abs=TOL)
    w = drift.wasserstein_distance(x, y)
    assert w == pytest.approx(stats.wasserstein_distance(x, y), abs=TOL, rel=TOL)


def test_ks_cases_cover_both_paths_and_the_fast_branch() -> None:
    exact = [c for c in KS_CASES if max(c[0], c[1]) <= drift.KS_EXACT_MAX_N]
    asymp = [c for c in KS_CASES if max(c[0], c[1]) > drift.KS_EXACT_MAX_N]
    assert len(exact) >= 5
    assert len(asymp) >= 5


@pytest.mark.parametrize("n", [10000, 40000, 300000])
@pytest.mark.parametrize("z", [1.4833, 2.0, 3.5, 9.0])
def test_kstwo_sf_fast_branch_matches_scipy(n: int, z: float) -> None:
    d = z / math.sqrt(n)
    assert 2.2 <= n * d * d < 370
    assert numeric._kstwo_sf(d, n) == pytest.approx(
        float(stats.kstwo.sf(d, n)), abs=1e-10, rel=1e-7
    )


def test_ks_statistic_of_identical_samples_is_zero() -> None:
    x = np.arange(20000, dtype=float)
    assert drift.ks_2samp(x, x) == (0.0, 1.0)


def test_numeric_stats_nan_dropped_and_wasserstein_normalised() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(0, 2.0, size=3000)
    y = rng.normal(0.5, 2.0, size=2000)
    x_nan = np.concatenate([x, [np.nan] * 7])
    st_ = drift.numeric_stats(x_nan, y)
    assert st_.ks_statistic == pytest.approx(float(stats.ks_2samp(x, y).statistic), abs=TOL)
    assert st_.reference_std == pytest.approx(float(np.std(x)), rel=1e-12)
    assert st_.wasserstein_normalised == pytest.approx(st_.wasserstein / np.std(x), rel=1e-12)


def test_wasserstein_zero_std_reference_uses_pooled_std() -> None:
    x = np.full(100, 3.0)
    y = np.full(100, 5.0)
    st_ = drift.numeric_stats(x, y)
    assert st_.wasserstein == pytest.approx(2.0)
    # pooled std of half 3s and half 5s is 1, so the normalised distance is 2
    assert st_.wasserstein_normalised == pytest.approx(2.0)
    same = drift.numeric_stats(x, x)
    assert same.wasserstein_normalised == 0.0


def _psi_reference(x: np.ndarray, y: np.ndarray, bins: int, eps: float) -> float:
    edges = np.unique(np.quantile(x, np.arange(1, bins) / bins))
    ref = np.array([np.sum(x <= e) for e in edges] + [x.size])
    cur = np.array([np.sum(y <= e) for e in edges] + [y.size])
    r = np.maximum(np.diff(ref, prepend=0) / x.size, eps)
    c = np.maximum(np.diff(cur, prepend=0) / y.size, eps)
    return float(np.sum((c - r) * np.log(c / r)))


@pytest.mark.parametrize(("bins", "ties"), [(10, False), (10, True), (4, False), (20, True)])
def test_psi_matches_direct_definition(bins: int, ties: bool) -> None:
    rng = np.random.default_rng(bins)
    x = rng.normal(size=5000)
    y = rng.normal(0.3, 1.2, size=4000)
    if ties:
        x, y = np.round(x), np.round(y)
    got = drift.psi(x, y, bins=bins)
    assert got == pytest.approx(_psi_reference(x, y, bins, 1e-4), rel=1e-12, abs=1e-15)


def test_psi_known_value_and_empty_bins() -> None:
    x = np.arange(1, 101, dtype=float)  # deciles at 10.9, 20.8, ...
    assert drift.psi(x, x) == 0.0
    y = np.full(50, 1000.0)  # everything in the top bin: nine bins at epsilon
    r = 0.1
    expected = 9 * (1e-4 - r) * math.log(1e-4 / r) + (1.0 - r) * math.log(1.0 / r)
    assert drift.psi(x, y) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("k", [2, 3, 7])
def test_chi2_two_sample_equals_chi2_contingency_without_correction(k: int) -> None:
    rng = np.random.default_rng(k)
    ref = rng.integers(5, 200, size=k)
    cur = rng.integers(5, 200, size=k)
    stat, p, dof = drift.chi2_two_sample(ref, cur)
    res = stats.chi2_contingency(np.vstack([ref, cur]), correction=False)
    assert stat == pytest.approx(float(res.statistic), rel=TOL, abs=TOL)
    assert p == pytest.approx(float(res.pvalue), abs=TOL)
    assert dof == res.dof == k - 1


def test_chi2_2x2_is_not_yates_corrected() -> None:
    ref, cur = np.array([30, 10]), np.array([18, 22])
    stat, p, _ = drift.chi2_two_sample(ref, cur)
    yates = stats.chi2_contingency(np.vstack([ref, cur]))  # scipy default corrects 2x2
    plain = stats.chi2_contingency(np.vstack([ref, cur]), correction=False)
    assert stat == pytest.approx(float(plain.statistic), rel=TOL)
    assert p == pytest.approx(float(plain.pvalue), abs=TOL)
    assert abs(stat - float(yates.statistic)) > 0.5


def test_chi2_single_category() -> None:
    assert drift.chi2_two_sample([10], [20]) == (0.0, 1.0, 0)


def test_jensenshannon_equals_scipy_base2() -> None:
    p = np.array([10, 0, 30, 5])
    q = np.array([3, 8, 30, 0])
    assert drift.jensenshannon_distance(p, q) == pytest.approx(
        float(jensenshannon(p, q, base=2)), abs=TOL
    )
    assert drift.jensenshannon_distance([1, 0], [0, 1]) == pytest.approx(1.0)
    assert drift.jensenshannon_distance([2, 3], [4, 6]) == pytest.approx(0.0, abs=1e-12)


def test_categorical_stats_unseen_categories() -> None:
    ref = ["a"] * 50 + ["b"] * 30 + ["c"] * 20 + [None] * 4
    cur = ["a"] * 40 + ["b"] * 35 + ["d"] * 25
    cs = drift.categorical_stats(ref, cur)
    assert cs.categories == ["a", "b", "c", "d"]
    assert cs.unseen_in_reference == ["d"]
    assert cs.missing_in_current == ["c"]
    table = np.array([[50, 30, 20, 0], [40, 35, 0, 25]])
    res = stats.chi2_contingency(table, correction=False)
    assert cs.chi2_statistic == pytest.approx(float(res.statistic), rel=TOL)
    assert cs.chi2_p_value == pytest.approx(float(res.pvalue), abs=TOL)
    assert cs.jensenshannon == pytest.approx(
        float(jensenshannon(table[0], table[1], base=2)), abs=TOL
    )


# scipy's own "exact calculation unsuccessful, switching to asymp" warning passes through
@pytest.mark.filterwarnings("ignore:ks_2samp. Exact calculation unsuccessful:RuntimeWarning")
@settings(max_examples=80, deadline=None)
@given(
    st.lists(st.integers(-5, 5), min_size=1, max_size=60),
    st.lists(st.integers(-5, 5), min_size=1, max_size=60),
)
def test_ks_wasserstein_equal_scipy_on_heavily_tied_small_samples(
    xs: list[int], ys: list[int]
) -> None:
    x, y = np.array(xs, dtype=float), np.array(ys, dtype=float)
    ref = stats.ks_2samp(x, y)
    d, p = drift.ks_2samp(x, y)
    assert d == pytest.approx(float(ref.statistic), abs=TOL)
    assert p == pytest.approx(float(ref.pvalue), abs=TOL)
    w = drift.wasserstein_distance(x, y)
    assert w == pytest.approx(stats.wasserstein_distance(x, y), abs=TOL)
    merged_d, _ = numeric._ks_wasserstein_sorted(np.sort(x), np.sort(y))
    assert merged_d == pytest.approx(float(ref.statistic), abs=TOL)
