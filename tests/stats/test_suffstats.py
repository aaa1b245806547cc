"""Sufficient statistics: merging, pandas vs numpy, Dask vs in-memory."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from galfriday_gitops.stats.errors import ExperimentDataError
from galfriday_gitops.stats.experiment import MetricSpec, analyze_frame
from galfriday_gitops.stats.suffstats import (
    MetricColumns,
    Moments,
    sufficient_stats,
    sufficient_stats_pandas,
)


def frame(n: int = 4000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "variant": rng.choice(["control", "treatment"], n),
            "y": rng.normal(5, 2, n),
            "x": rng.normal(1, 1, n),
            "conv": (rng.random(n) < 0.1).astype(int),
            "den": rng.poisson(3, n) + 1.0,
        }
    )
    df.loc[::97, "y"] = np.nan  # missing values are dropped per metric
    return df


COLUMNS = {
    "y": MetricColumns("y", "x"),
    "conv": MetricColumns("conv"),
    "r": MetricColumns("y", "den"),
}


def test_moments_merge_is_concatenation() -> None:
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=50), rng.normal(size=70)
    xa, xb = rng.normal(size=50), rng.normal(size=70)
    merged = Moments.from_values(a, xa) + Moments.from_values(b, xb)
    whole = Moments.from_values(np.concatenate([a, b]), np.concatenate([xa, xb]))
    for name in ("n", "mean_y", "mean_x", "var_y", "var_x", "cov_xy", "min_y", "max_y"):
        assert getattr(merged, name) == pytest.approx(getattr(whole, name), rel=1e-12)
    assert merged.var_y == pytest.approx(np.var(np.concatenate([a, b]), ddof=1), rel=1e-12)
    assert merged.cov_xy == pytest.approx(
        np.cov(np.concatenate([a, b]), np.concatenate([xa, xb]))[0, 1], rel=1e-12
    )
    assert Moments.empty() + merged == merged and merged + Moments.empty() == merged


def test_pandas_stats_match_numpy() -> None:
    df = frame()
    s = sufficient_stats_pandas(df, "variant", COLUMNS)
    ctrl = df[df.variant == "control"]
    assert s.counts["control"] == len(ctrl)
    m = s.moments["y"]["control"]
    keep = ctrl.dropna(subset=["y"])
    assert m.n == len(keep)
    assert m.mean_y == pytest.approx(keep.y.mean(), rel=1e-12)
    assert m.var_y == pytest.approx(keep.y.var(), rel=1e-9)
    assert m.cov_xy == pytest.approx(keep.y.cov(keep.x), rel=1e-9)
    assert s.moments["conv"]["control"].n == len(ctrl)


def test_dask_equals_in_memory() -> None:
    dd = pytest.importorskip("dask.dataframe")
    df = frame()
    ddf = dd.from_pandas(df, npartitions=5)
    assert ddf.npartitions >= 4
    mem = sufficient_stats(df, "variant", COLUMNS)
    dsk = sufficient_stats(ddf, "variant", COLUMNS)
    assert dsk.counts == mem.counts
    for metric, per_variant in mem.moments.items():
        for variant, m in per_variant.items():
            d = dsk.moments[metric][variant]
            assert d.n == m.n
            for name in ("mean_y", "mean_x", "var_y", "var_x", "cov_xy", "min_y", "max_y"):
                assert getattr(d, name) == pytest.approx(getattr(m, name), rel=1e-9)

    metrics = [
        MetricSpec("y"),
        MetricSpec("conv", kind="proportion"),
        MetricSpec("r", kind="ratio", denominator="den", column="y", role="secondary"),
    ]
    kw: dict[str, Any] = {
        "variant_column": "variant",
        "control": "control",
        "metrics": metrics,
        "covariates": {"y": "x"},
    }
    a = analyze_frame(df, **kw).to_dict()
    b = analyze_frame(ddf, **kw).to_dict()
    for name in ("y", "conv", "r"):
        for part in ("absolute", "relative"):
            assert b["metrics"][name][part]["p_value"] == pytest.approx(
                a["metrics"][name][part]["p_value"], rel=1e-9
            )
            assert b["metrics"][name][part]["ci"] == pytest.approx(
                a["metrics"][name][part]["ci"], rel=1e-9
            )
    assert b["decision"] == a["decision"]


# --- offset data: the digits the old sums lost -----------------------------------------

OFFSET = 1e9


def _offset_frame(n: int = 1500, seed: int = 11) -> pd.DataFrame:
    """``1e9 + N(0, 1)`` outcomes with a 0.1 lift, a covariate and a denominator."""
    rng = np.random.default_rng(seed)
    variant = np.repeat(["control", "treatment"], n)
    pre = rng.normal(size=2 * n)
    y = pre + rng.normal(size=2 * n) + 0.1 * (variant == "treatment")
    return pd.DataFrame(
        {
            "variant": variant,
            "y": OFFSET + y,
            "pre": OFFSET + pre,
            "den": rng.poisson(3, 2 * n) + 1.0,
        }
    )


def _unshifted(df: pd.DataFrame) -> pd.DataFrame:
    # 1e9 + z - 1e9 is exact (both within a factor 2): the same numbers, without the offset.
    return df.assign(y=df.y - OFFSET, pre=df.pre - OFFSET)


def test_variance_at_an_offset_of_1e9_keeps_its_digits() -> None:
    # Before: (sum y^2 - (sum y)^2 / n) / (n - 1) gave 0 or 131 for a true variance near 1.
    df = _offset_frame()
    stats_ = sufficient_stats(df, "variant", {"y": MetricColumns("y", "pre")})
    for variant in ("control", "treatment"):
        m = stats_.moments["y"][variant]
        ref = _unshifted(df)[df.variant == variant]
        assert m.var_y == pytest.approx(float(np.var(ref.y, ddof=1)), rel=1e-9)
        assert m.var_x == pytest.approx(float(np.var(ref.pre, ddof=1)), rel=1e-9)
        assert m.cov_xy == pytest.approx(float(np.cov(ref.y, ref.pre)[0, 1]), rel=1e-9)
        assert m.mean_y - OFFSET == pytest.approx(float(ref.y.mean()), rel=1e-6)


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_welch_at_an_offset_of_1e9_equals_scipy(engine: str) -> None:
    # Before: at 1e9 + N(0,1) one seed gave p = 0 and "treatment wins" (scipy: 0.019).
    df = _offset_frame()
    data: Any = df
    if engine == "dask":
        dd = pytest.importorskip("dask.dataframe")
        data = dd.from_pandas(df, npartitions=4)
    res = analyze_frame(
        data, variant_column="variant", control="control", metrics=[MetricSpec("y")]
    )
    m = res.metrics["y"]
    ref = _unshifted(df)
    c, t = ref.y[ref.variant == "control"], ref.y[ref.variant == "treatment"]
    expected = stats.ttest_ind(t, c, equal_var=False)
    assert m.absolute.estimate / m.absolute.se == pytest.approx(float(expected.statistic), rel=1e-9)
    assert m.absolute.p_value == pytest.approx(float(expected.pvalue), rel=1e-9)
    assert m.absolute.df == pytest.approx(float(expected.df), rel=1e-9)
    lo, hi = expected.confidence_interval(0.95)
    assert m.absolute.ci == pytest.approx((float(lo), float(hi)), rel=1e-9)
    diff = float(t.mean() - c.mean())
    assert m.relative.estimate == pytest.approx(diff / (OFFSET + float(c.mean())), rel=1e-9)


@pytest.mark.parametrize("engine", ["pandas", "dask"])
def test_cuped_and_ratio_at_an_offset_of_1e9_equal_the_unshifted_analysis(engine: str) -> None:
    df = _offset_frame()
    metrics = [
        MetricSpec("y"),
        MetricSpec("r", kind="ratio", denominator="den", column="pre", role="secondary"),
    ]
    kw: dict[str, Any] = {"variant_column": "variant", "control": "control", "metrics": metrics}
    data: Any = df
    if engine == "dask":
        dd = pytest.importorskip("dask.dataframe")
        data = dd.from_pandas(df, npartitions=4)
    shifted = analyze_frame(data, covariates={"y": "pre"}, **kw)
    plain = analyze_frame(_unshifted(df), covariates={"y": "pre"}, **kw)
    # CUPED is shift-invariant: the same estimate, interval and p-value to 1e-9.
    a, b = shifted.metrics["y"], plain.metrics["y"]
    assert a.cuped_theta == pytest.approx(b.cuped_theta, rel=1e-9)
    for part in ("absolute",):
        x, y = getattr(a, part), getattr(b, part)
        assert x.estimate == pytest.approx(y.estimate, rel=1e-9)
        assert x.se == pytest.approx(y.se, rel=1e-9)
        assert x.p_value == pytest.approx(y.p_value, rel=1e-9)
    # The reference for CUPED itself: numpy on the unshifted data.
    ref = _unshifted(df)
    theta = float(np.cov(ref.y, ref.pre)[0, 1] / np.var(ref.pre, ddof=1))
    assert b.cuped_theta == pytest.approx(theta, rel=1e-9)
    # A ratio of offset numerators: the delta-method variance against exact rationals.
    r = shifted.metrics["r"]
    exact = _exact_ratio_variance(df[df.variant == "control"])
    assert r.control.variance == pytest.approx(exact, rel=1e-9)


def _exact_ratio_variance(part: pd.DataFrame) -> float:
    """The ratio's per-unit delta-method variance, in exact rational arithmetic."""
    from fractions import Fraction

    ys = [Fraction(v) for v in part.pre]
    xs = [Fraction(v) for v in part.den]
    n = len(ys)
    my, mx = sum(ys) / n, sum(xs) / n
    vy = sum((v - my) ** 2 for v in ys) / (n - 1)
    vx = sum((v - mx) ** 2 for v in xs) / (n - 1)
    cxy = sum((a - my) * (b - mx) for a, b in zip(ys, xs, strict=True)) / (n - 1)
    r = my / mx
    return float((vy - 2 * r * cxy + r * r * vx) / (mx * mx))


def test_an_infinite_value_is_refused_naming_the_column() -> None:
    df = _offset_frame(50)
    df.loc[3, "y"] = np.inf
    with pytest.raises(ExperimentDataError, match="column 'y' contains infinite values"):
        sufficient_stats(df, "variant", {"y": MetricColumns("y")})


def test_huge_means_are_analysed_and_overflowing_squares_refused() -> None:
    # Before: means above ~1e77 raised OverflowError in the relative lift's variance.
    rng = np.random.default_rng(3)
    base = pd.DataFrame(
        {
            "variant": np.repeat(["control", "treatment"], 200),
            "y": 1.0 + 0.01 * rng.normal(size=400),
        }
    )
    kw: dict[str, Any] = {"variant_column": "variant", "control": "control"}
    small = analyze_frame(base, metrics=[MetricSpec("y")], **kw)
    for scale in (1e78, 1e150):
        big = analyze_frame(base.assign(y=base.y * scale), metrics=[MetricSpec("y")], **kw)
        a, b = small.metrics["y"], big.metrics["y"]
        assert b.absolute.p_value == pytest.approx(a.absolute.p_value, rel=1e-9)
        assert b.relative.estimate == pytest.approx(a.relative.estimate, rel=1e-9)
        assert b.relative.se == pytest.approx(a.relative.se, rel=1e-9)
        assert big.decision == small.decision
    wild = base.assign(y=np.where(base.index % 2 == 0, 1e300, -1e300))
    with pytest.raises(ExperimentDataError, match=r"column 'y'.*overflows.*rescale"):
        analyze_frame(wild, metrics=[MetricSpec("y")], **kw)
