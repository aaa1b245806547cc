"""The DataFrame front end: report shape, verdicts, kinds, config and bad data."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from galfriday_gitops.stats import drift
from galfriday_gitops.stats.drift import (
    DriftConfig,
    DriftDataError,
    NumericTestsConfig,
    analyze,
    infer_kinds,
)


def _frames(n: int = 2000, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame(
        {
            "stable": rng.normal(size=n),
            "shifted": rng.normal(size=n),
            "color": rng.choice(["red", "green", "blue"], size=n, p=[0.5, 0.3, 0.2]),
            "flag": rng.random(n) < 0.3,
        }
    )
    # "stable" and "flag" are reshuffled reference values: same distribution exactly
    cur = pd.DataFrame(
        {
            "stable": rng.permutation(ref["stable"].to_numpy()),
            "shifted": rng.normal(1.0, 1.0, size=n),
            "color": rng.choice(["red", "green", "violet"], size=n, p=[0.2, 0.3, 0.5]),
            "flag": rng.permutation(ref["flag"].to_numpy()),
        }
    )
    return ref, cur


def test_report_shape_and_values() -> None:
    ref, cur = _frames()
    ref.loc[:9, "stable"] = np.nan
    rep = analyze(ref, cur, numeric=["stable", "shifted"], categorical=["color", "flag"])
    doc = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert set(doc) >= {"dataset_drift", "drift_share", "features"}
    assert doc["dataset_drift"] is True
    assert doc["drift_share"] == pytest.approx(0.5)
    assert list(doc["features"]) == ["shifted", "color", "stable", "flag"]  # drifted first
    for name in ("stable", "shifted"):
        f = doc["features"][name]
        assert f["kind"] == "numeric"
        assert set(f["tests"]) == {"ks", "wasserstein", "psi"}
        assert {"statistic", "p_value"} <= set(f["tests"]["ks"])
        assert "statistic" in f["tests"]["wasserstein"]
        assert "statistic" in f["tests"]["psi"]
    for name in ("color", "flag"):
        f = doc["features"][name]
        assert f["kind"] == "categorical"
        assert set(f["tests"]) == {"chi2", "jensenshannon"}
        assert {"statistic", "p_value"} <= set(f["tests"]["chi2"])
    assert doc["features"]["shifted"]["drifted"] is True
    assert doc["features"]["stable"]["drifted"] is False
    assert doc["features"]["color"]["unseen_categories"] == ["violet"]
    assert doc["features"]["color"]["missing_categories"] == ["blue"]
    assert doc["features"]["stable"]["missing"] == {"reference": 10, "current": 0}
    assert doc["features"]["flag"]["tests"]["chi2"]["statistic"] == pytest.approx(0.0, abs=1e-9)
    assert doc["features"]["stable"]["n_reference"] == 1990
    ks = doc["features"]["stable"]["tests"]["ks"]
    expected = stats.ks_2samp(ref["stable"].dropna(), cur["stable"])
    assert ks["statistic"] == pytest.approx(float(expected.statistic), abs=1e-12)
    assert ks["p_value"] == pytest.approx(float(expected.pvalue), abs=1e-12)
    w = doc["features"]["shifted"]["tests"]["wasserstein"]
    assert w["raw"] == pytest.approx(stats.wasserstein_distance(ref["shifted"], cur["shifted"]))
    assert w["statistic"] == pytest.approx(w["raw"] / np.std(ref["shifted"]))
    assert [f.name for f in rep.ordered_features()] == list(doc["features"])


def test_p_values_are_adjusted_across_features() -> None:
    ref, cur = _frames(seed=4)
    cfg = DriftConfig(correction="bonferroni")
    rep = analyze(
        ref, cur, numeric=["stable", "shifted"], categorical=["color", "flag"], config=cfg
    )
    for f in rep.features.values():
        test = f.tests["ks" if f.kind == "numeric" else "chi2"]
        assert test.p_value is not None
        assert test.p_value_adjusted == pytest.approx(min(1.0, 4 * test.p_value))
    rep_bh = analyze(ref, cur, numeric=["stable", "shifted"], categorical=["color", "flag"])
    raw = [
        rep_bh.features[c].tests[t].p_value
        for c, t in [("stable", "ks"), ("shifted", "ks"), ("color", "chi2"), ("flag", "chi2")]
    ]
    adj = [
        rep_bh.features[c].tests[t].p_value_adjusted
        for c, t in [("stable", "ks"), ("shifted", "ks"), ("color", "chi2"), ("flag", "chi2")]
    ]
    np.testing.assert_allclose(adj, stats.false_discovery_control(raw), atol=1e-12)


def test_feature_drifts_on_distance_alone() -> None:
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(size=300)})
    cur = pd.DataFrame({"x": rng.normal(0.15, 1.0, size=300)})
    strict = DriftConfig(
        numeric=NumericTestsConfig(ks_alpha=None, wasserstein_max=0.01, psi_max=None)
    )
    rep = analyze(ref, cur, numeric=["x"], config=strict)
    assert rep.features["x"].drifted
    assert rep.features["x"].tests["wasserstein"].drifted
    assert not rep.features["x"].tests["ks"].drifted  # disabled test never decides
    lax = DriftConfig(numeric=NumericTestsConfig(ks_alpha=None, wasserstein_max=10.0, psi_max=10.0))
    assert not analyze(ref, cur, numeric=["x"], config=lax).features["x"].drifted


def test_dataset_share_threshold() -> None:
    ref, cur = _frames()
    cols: dict[str, list[str]] = {
        "numeric": ["stable", "shifted"],
        "categorical": ["color", "flag"],
    }
    assert analyze(ref, cur, **cols, config=DriftConfig(dataset_drift_share=0.5)).dataset_drift
    assert not analyze(ref, cur, **cols, config=DriftConfig(dataset_drift_share=0.6)).dataset_drift


def test_infer_kinds() -> None:
    n = 100
    df = pd.DataFrame(
        {
            "f": np.linspace(0, 1, n),
            "i_low": np.arange(n) % 5,
            "i_high": np.arange(n),
            "s": ["a", "b"] * (n // 2),
            "b": [True, False] * (n // 2),
            "c": pd.Categorical(["x", "y"] * (n // 2)),
            "t": pd.date_range("2024-01-01", periods=n),
        }
    )
    k = infer_kinds(df)
    assert k.numeric == ["f", "i_high"]
    assert k.categorical == ["i_low", "s", "b", "c"]
    assert k.ignored == ["t"]
    assert infer_kinds(df, max_int_categories=3).numeric == ["f", "i_low", "i_high"]
    assert "i_low" in infer_kinds(df, numeric=["i_low"]).numeric
    rep = analyze(df, df)
    assert set(rep.features) == {"f", "i_high", "i_low", "s", "b", "c"}
    assert rep.features["i_low"].kind == "categorical"
    assert not rep.dataset_drift


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r, c: (r.drop(columns=["x"]), c), "'x' is missing from the reference"),
        (lambda r, c: (r, c.drop(columns=["x"])), "'x' is missing from the current"),
        (lambda r, c: (r, c.assign(x=["a"] * len(c))), "'x' in current has non-numeric dtype"),
        (lambda r, c: (r.iloc[:0], c), "reference frame is empty"),
        (lambda r, c: (r.assign(x=np.nan), c), "'x' in reference is all NaN"),
        (lambda r, c: (r, c.assign(cat=None)), "'cat' in current is all NaN"),
        (lambda r, c: (r.assign(x=np.inf), c), "'x' in reference contains infinite"),
    ],
)
def test_bad_data_raises_one_error_type(
    mutate: Callable[[pd.DataFrame, pd.DataFrame], tuple[pd.DataFrame, pd.DataFrame]],
    message: str,
) -> None:
    ref = pd.DataFrame({"x": [1.0, 2.0, 3.0], "cat": ["a", "b", "a"]})
    cur = pd.DataFrame({"x": [1.0, 2.5, 3.0], "cat": ["a", "b", "b"]})
    r, c = mutate(ref, cur)
    with pytest.raises(DriftDataError, match=message):
        analyze(r, c, numeric=["x"], categorical=["cat"])
    assert issubclass(DriftDataError, ValueError)


def test_categorical_dtype_with_unobserved_categories() -> None:
    levels = ["a", "b", "c", "never"]
    ref = pd.DataFrame({"c": pd.Categorical(["a"] * 30 + ["b"] * 20, categories=levels)})
    cur = pd.DataFrame(
        {"c": pd.Categorical(["a"] * 20 + ["c"] * 5 + [None] * 3, categories=levels)}
    )
    rep = analyze(ref, cur, categorical=["c"])
    f = rep.features["c"]
    table = np.array([[30, 20, 0], [20, 0, 5]])
    res = stats.chi2_contingency(table, correction=False)
    assert f.tests["chi2"].statistic == pytest.approx(float(res.statistic), rel=1e-12)
    assert f.unseen_categories == ["c"]
    assert f.missing_categories == ["b"]
    assert (f.n_current, f.missing_current) == (25, 3)


def test_conflicting_kinds_rejected() -> None:
    df = pd.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(DriftDataError, match="both numeric and categorical"):
        analyze(df, df, numeric=["x"], categorical=["x"])


def test_prediction_drift_helpers() -> None:
    rng = np.random.default_rng(2)
    s = drift.score_drift(rng.beta(2, 5, 3000), rng.beta(2, 3, 3000))
    assert s.ks_p_value < 1e-6
    c = drift.class_drift(["a"] * 70 + ["b"] * 30, ["a"] * 40 + ["b"] * 60)
    assert c.chi2_p_value < 1e-3


def test_importing_drift_does_not_import_pandas_or_dask() -> None:
    code = (
        "import sys, galfriday_gitops.stats.drift; "
        "print('pandas' in sys.modules, 'dask' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]
