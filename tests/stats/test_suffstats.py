"""Sufficient statistics: merging, pandas vs numpy, Dask vs in-memory."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

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
    for name in ("n", "sum_y", "sum_y2", "sum_x", "sum_x2", "sum_xy", "min_y", "max_y"):
        assert getattr(merged, name) == pytest.approx(getattr(whole, name), rel=1e-12)
    assert merged.var_y == pytest.approx(np.var(np.concatenate([a, b]), ddof=1), rel=1e-9)
    assert merged.cov_xy == pytest.approx(
        np.cov(np.concatenate([a, b]), np.concatenate([xa, xb]))[0, 1], rel=1e-9
    )


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
            for name in ("sum_y", "sum_y2", "sum_x", "sum_x2", "sum_xy", "min_y", "max_y"):
                assert getattr(d, name) == pytest.approx(getattr(m, name), rel=1e-9)

    metrics = [
        MetricSpec("y"),
        MetricSpec("conv", kind="proportion"),
        MetricSpec("r", kind="ratio", denominator="den", column="y", role="secondary"),
    ]
    kw = {
        "variant_column": "variant",
        "control": "control",
        "metrics": metrics,
        "covariates": {"y": "x"},
    }
    a = analyze_frame(df, **kw).to_dict()  # type: ignore[arg-type]
    b = analyze_frame(ddf, **kw).to_dict()  # type: ignore[arg-type]
    for name in ("y", "conv", "r"):
        for part in ("absolute", "relative"):
            assert b["metrics"][name][part]["p_value"] == pytest.approx(
                a["metrics"][name][part]["p_value"], rel=1e-9
            )
            assert b["metrics"][name][part]["ci"] == pytest.approx(
                a["metrics"][name][part]["ci"], rel=1e-9
            )
    assert b["decision"] == a["decision"]
