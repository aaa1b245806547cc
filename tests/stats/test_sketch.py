"""Dask histogram sketches agree with the in-memory statistics within their bounds."""

from __future__ import annotations

import dask.dataframe as dd
import numpy as np
import pandas as pd
import pytest

from galfriday_gitops.stats.drift import DriftDataError, analyze, sketch


@pytest.fixture(scope="module")
def frames() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    n = 120_000
    ref = pd.DataFrame(
        {
            "same": rng.normal(size=n),
            "shift": rng.normal(size=n),
            "skewed": rng.exponential(size=n),
            "ties": np.round(rng.normal(size=n), 1),
        }
    )
    cur = pd.DataFrame(
        {
            "same": rng.normal(size=n),
            "shift": rng.normal(0.1, 1.0, size=n),
            "skewed": rng.exponential(1.2, size=n),
            "ties": np.round(rng.normal(0.05, 1.0, size=n), 1),
        }
    )
    ref.loc[::97, "shift"] = np.nan
    return ref, cur


def test_sketch_matches_in_memory_within_bound(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ref, cur = frames
    cols = list(ref.columns)
    res = sketch.sketch_numeric_drift(
        dd.from_pandas(ref, npartitions=4), dd.from_pandas(cur, npartitions=6), cols
    )
    exact = analyze(ref, cur, numeric=cols)
    for col in cols:
        s = res[col]
        f = exact.features[col]
        d = f.test.statistic
        # the grid statistic is a lower bound and misses by at most the largest bin mass
        assert s.ks_statistic <= d + 1e-12
        assert d - s.ks_statistic <= s.ks_error_bound
        assert s.n_reference == f.n_reference
        assert s.n_current == f.n_current
        assert s.missing_reference == f.missing_reference
        psi = f.effects["psi"].value
        assert abs(s.psi - psi) <= 0.1 * psi + 1e-3
        if col != "ties":  # tied values make exact 10% bins impossible even in memory
            assert s.psi_edge_error < 0.01
    assert res["same"].ks_error_bound < 0.002  # about 1/n_bins away from tied values
    assert res["shift"].ks_p_value < 1e-10
    assert res["same"].ks_p_value > 1e-3


def test_histograms_merge_exactly(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ref, _ = frames
    edges = {"skewed": np.array([0.1, 0.5, 1.0, 2.0])}
    merged = sketch.histograms(dd.from_pandas(ref, npartitions=5), ["skewed"], edges)
    counts, missing = merged["skewed"]
    x = ref["skewed"].to_numpy()
    expected = np.histogram(x, bins=[-np.inf, 0.1, 0.5, 1.0, 2.0, np.inf])[0]
    # np.histogram bins are [a, b); exact ties have probability 0 for a continuous sample
    np.testing.assert_array_equal(counts, expected)
    assert missing == 0


def test_sketch_rejects_missing_column(frames: tuple[pd.DataFrame, pd.DataFrame]) -> None:
    ref, cur = frames
    with pytest.raises(DriftDataError, match="'nope' is missing from the reference"):
        sketch.sketch_numeric_drift(
            dd.from_pandas(ref, npartitions=2), dd.from_pandas(cur, npartitions=2), ["nope"]
        )
    with pytest.raises(ValueError, match="multiple"):
        sketch.sketch_numeric_drift(ref, cur, ["same"], n_bins=1005)
