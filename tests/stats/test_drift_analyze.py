"""The DataFrame front end: report shape, verdicts, kinds, config and bad data."""

from __future__ import annotations

import json
import math
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
    assert set(doc) >= {"verdict", "dataset_drift", "drift_share", "global_p_value", "features"}
    assert doc["verdict"] == "drift" and doc["dataset_drift"] is True
    assert doc["drift_share"] == pytest.approx(0.5)
    assert doc["min_samples"] == 30 and doc["n_tested"] == 4
    assert list(doc["features"]) == ["shifted", "color", "stable", "flag"]  # drifted first
    for name in ("stable", "shifted"):
        f = doc["features"][name]
        assert f["kind"] == "numeric"
        assert set(f["test"]) == {"ks"}
        assert {"statistic", "p_value", "p_value_adjusted", "alpha", "significant"} <= set(
            f["test"]["ks"]
        )
        assert set(f["effect_sizes"]) == {"wasserstein", "psi"}
        assert {"value", "min", "reached"} <= set(f["effect_sizes"]["psi"])
    for name in ("color", "flag"):
        f = doc["features"][name]
        assert f["kind"] == "categorical"
        assert set(f["test"]) == {"chi2"} and set(f["effect_sizes"]) == {"jensenshannon"}
    assert doc["features"]["shifted"]["drifted"] is True
    assert doc["features"]["shifted"]["status"] == "drifted"
    assert doc["features"]["stable"]["drifted"] is False
    assert doc["features"]["stable"]["status"] == "no drift"
    assert doc["features"]["color"]["unseen_categories"] == ["violet"]
    assert doc["features"]["color"]["missing_categories"] == ["blue"]
    assert doc["features"]["stable"]["missing"] == {"reference": 10, "current": 0}
    assert doc["features"]["flag"]["test"]["chi2"]["statistic"] == pytest.approx(0.0, abs=1e-9)
    assert doc["features"]["stable"]["n_reference"] == 1990
    ks = doc["features"]["stable"]["test"]["ks"]
    expected = stats.ks_2samp(ref["stable"].dropna(), cur["stable"])
    assert ks["statistic"] == pytest.approx(float(expected.statistic), abs=1e-12)
    assert ks["p_value"] == pytest.approx(float(expected.pvalue), abs=1e-12)
    w = doc["features"]["shifted"]["effect_sizes"]["wasserstein"]
    assert w["raw"] == pytest.approx(stats.wasserstein_distance(ref["shifted"], cur["shifted"]))
    assert w["value"] == pytest.approx(w["raw"] / np.std(ref["shifted"]))
    assert [f.name for f in rep.ordered_features()] == list(doc["features"])


FOUR = [("stable", "ks"), ("shifted", "ks"), ("color", "chi2"), ("flag", "chi2")]


def test_p_values_are_adjusted_across_features() -> None:
    ref, cur = _frames(seed=4)
    cfg = DriftConfig(correction="bonferroni")
    rep = analyze(
        ref, cur, numeric=["stable", "shifted"], categorical=["color", "flag"], config=cfg
    )
    for f in rep.features.values():
        assert f.test.name == ("ks" if f.kind == "numeric" else "chi2")
        assert f.test.p_value_adjusted == pytest.approx(min(1.0, 4 * f.test.p_value))
    rep_bh = analyze(ref, cur, numeric=["stable", "shifted"], categorical=["color", "flag"])
    raw = [rep_bh.features[c].test.p_value for c, _ in FOUR]
    adj = [rep_bh.features[c].test.p_value_adjusted for c, _ in FOUR]
    assert None not in adj
    np.testing.assert_allclose(
        [float(p) for p in adj if p is not None], stats.false_discovery_control(raw), atol=1e-12
    )


def test_a_distance_never_flags_drift_on_its_own() -> None:
    # Before: normalised Wasserstein > 0.1 flagged drift whatever the sample size.
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": rng.normal(size=60)})
    cur = pd.DataFrame({"x": rng.normal(size=60)})
    rep = analyze(ref, cur, numeric=["x"])
    f = rep.features["x"]
    assert f.effects["wasserstein"].value > 0.1  # the old threshold fires on this noise
    assert f.test.p_value_adjusted is not None and f.test.p_value_adjusted > 0.05
    assert not f.drifted and not rep.dataset_drift
    # With the test disabled nothing decides, however large the distance.
    off = DriftConfig(numeric=NumericTestsConfig(ks_alpha=None, wasserstein_min=0.01))
    shifted = pd.DataFrame({"x": rng.normal(3.0, 1.0, size=60)})
    g = analyze(ref, shifted, numeric=["x"], config=off).features["x"]
    assert not g.drifted and g.reason is not None and "disabled" in g.reason


def test_an_effect_size_minimum_qualifies_a_significant_test() -> None:
    rng = np.random.default_rng(2)
    ref = pd.DataFrame({"x": rng.normal(size=20_000)})
    cur = pd.DataFrame({"x": rng.normal(0.08, 1.0, size=20_000)})  # real but small
    plain = analyze(ref, cur, numeric=["x"]).features["x"]
    assert plain.drifted and plain.test.significant
    required = DriftConfig(numeric=NumericTestsConfig(wasserstein_min=0.2))
    small = analyze(ref, cur, numeric=["x"], config=required).features["x"]
    assert small.test.significant and not small.drifted
    assert small.reason is not None and "below the required 0.2" in small.reason
    big = pd.DataFrame({"x": rng.normal(0.5, 1.0, size=20_000)})
    assert analyze(ref, big, numeric=["x"], config=required).features["x"].drifted


def test_too_few_values_is_insufficient_data_not_a_verdict() -> None:
    # Before: 1 current row against 500 reference rows was "drifted" (KS p = 0.76).
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(["a", "b"], 500)})
    one = pd.DataFrame({"x": [0.3], "c": ["a"]})
    rep = analyze(ref, one, numeric=["x"], categorical=["c"])
    for f in rep.features.values():
        assert f.status == "insufficient data" and not f.drifted
        assert f.reason == "1 current value(s), fewer than the minimum of 30"
        assert f.test.p_value_adjusted is None  # not part of the family
    assert rep.verdict == "insufficient data" and not rep.dataset_drift
    doc = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert doc["verdict"] == "insufficient data" and doc["n_tested"] == 0
    # The minimum is a setting, and at exactly the minimum the feature is tested.
    thirty = pd.DataFrame({"x": rng.normal(size=30)})
    assert analyze(ref[["x"]], thirty, numeric=["x"]).features["x"].tested
    strict = DriftConfig(min_samples=31)
    f = analyze(ref[["x"]], thirty, numeric=["x"], config=strict).features["x"]
    assert f.status == "insufficient data"


def test_other_features_are_judged_when_one_has_too_few_values() -> None:
    rng = np.random.default_rng(3)
    ref = pd.DataFrame({"x": rng.normal(size=500), "y": rng.normal(size=500)})
    cur = pd.DataFrame({"x": rng.normal(2.0, 1.0, size=500), "y": [np.nan] * 490 + [0.0] * 10})
    rep = analyze(ref, cur, numeric=["x", "y"])
    assert rep.features["x"].drifted and rep.features["y"].status == "insufficient data"
    assert rep.n_tested == 1 and rep.drift_share == 1.0 and rep.dataset_drift


def test_a_p_value_that_is_not_a_number_is_never_significant() -> None:
    from galfriday_gitops.stats.drift import EffectSize, FeatureResult, SignificanceTest
    from galfriday_gitops.stats.drift.verdict import decide

    def feature(name: str, p: float) -> FeatureResult:
        test = SignificanceTest("ks", 0.5, p, 0.05)
        return FeatureResult(name, "numeric", test, {"psi": EffectSize("psi", 1.0)}, 99, 99, 0, 0)

    rep = decide([feature("broken", math.nan), feature("fine", 0.001)], None, DriftConfig())
    broken = rep.features["broken"]
    assert broken.status == "not computable" and not broken.drifted
    assert broken.test.p_value_adjusted is None
    assert rep.features["fine"].drifted  # adjusted as if the missing one were 1: 0.002
    assert rep.features["fine"].test.p_value_adjusted == pytest.approx(0.002)
    doc = json.loads(json.dumps(rep.to_dict(), allow_nan=False))
    assert doc["features"]["broken"]["test"]["ks"]["p_value"] is None
    assert "not computable" in doc["features"]["broken"]["test"]["ks"]["reason"]


def test_without_correction_the_dataset_verdict_still_needs_the_family_test() -> None:
    # Each feature at its own 5 %, but "drift" for the dataset only when Simes' test of
    # "nothing drifted" rejects: one p = 0.04 among 20 features is not dataset drift.
    from galfriday_gitops.stats.drift import EffectSize, FeatureResult, SignificanceTest
    from galfriday_gitops.stats.drift.verdict import decide

    def feature(i: int, p: float) -> FeatureResult:
        test = SignificanceTest("ks", 0.1, p, 0.05)
        return FeatureResult(
            f"x{i}", "numeric", test, {"psi": EffectSize("psi", 0.1)}, 99, 99, 0, 0
        )

    none = DriftConfig(correction="none", dataset_drift_share=0.05)
    rep = decide([feature(0, 0.04)] + [feature(i, 0.5) for i in range(1, 20)], None, none)
    assert rep.features["x0"].drifted and rep.drift_share == pytest.approx(0.05)
    assert rep.global_p_value == pytest.approx(0.5) and not rep.dataset_drift  # Simes
    rep = decide([feature(0, 0.001)] + [feature(i, 0.5) for i in range(1, 20)], None, none)
    assert rep.global_p_value == pytest.approx(0.02) and rep.dataset_drift


def test_huge_values_keep_their_scale_and_json_stays_json() -> None:
    # Before: at 1e200 the reference std overflowed, the normalised Wasserstein read 0.0
    # and the JSON held a bare Infinity.
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=300), rng.normal(1.0, 1.0, size=300)
    small = analyze(pd.DataFrame({"v": x}), pd.DataFrame({"v": y}), numeric=["v"])
    huge = analyze(pd.DataFrame({"v": 1e200 * x}), pd.DataFrame({"v": 1e200 * y}), numeric=["v"])
    w_small = small.features["v"].effects["wasserstein"]
    w_huge = huge.features["v"].effects["wasserstein"]
    assert w_huge.value == pytest.approx(w_small.value, rel=1e-12)
    assert w_huge.extra["reference_std"] == pytest.approx(1e200 * np.std(x), rel=1e-12)
    assert huge.features["v"].drifted
    doc = json.dumps(huge.to_dict(), allow_nan=False)  # raises on NaN or Infinity
    assert "Infinity" not in doc


def test_a_range_beyond_floating_point_is_refused_naming_the_column() -> None:
    ref = pd.DataFrame({"v": [-1e308, 0.0, 1e308]})
    with pytest.raises(DriftDataError, match=r"numeric feature 'v'.*rescale"):
        analyze(ref, ref, numeric=["v"])


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
    assert f.test.statistic == pytest.approx(float(res.statistic), rel=1e-12)
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
