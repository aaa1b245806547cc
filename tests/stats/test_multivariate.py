"""PCA reconstruction-error drift: joint changes that marginal tests miss, and its size."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from galfriday_gitops.stats.drift import DriftConfig, DriftDataError, analyze
from galfriday_gitops.stats.drift.multivariate import MultivariateConfig, pca_reconstruction_drift


def _correlated(rng: np.random.Generator, n: int, rho: float) -> np.ndarray:
    cov = np.array([[1.0, rho], [rho, 1.0]])
    return rng.multivariate_normal([0.0, 0.0], cov, size=n)


def test_correlation_flip_missed_by_marginals_caught_jointly() -> None:
    rng = np.random.default_rng(0)
    ref = pd.DataFrame(_correlated(rng, 3000, 0.8), columns=["a", "b"])
    cur = pd.DataFrame(_correlated(rng, 3000, -0.8), columns=["a", "b"])  # same N(0,1) marginals
    cfg = DriftConfig(multivariate=MultivariateConfig())
    rep = analyze(ref, cur, numeric=["a", "b"], config=cfg)
    assert not rep.features["a"].drifted
    assert not rep.features["b"].drifted
    assert rep.drift_share == 0.0
    mv = rep.multivariate
    assert mv is not None
    assert mv.drifted
    assert mv.statistic > mv.threshold
    assert mv.n_components == 1
    assert rep.dataset_drift  # the multivariate verdict counts at dataset level
    doc = rep.to_dict()["multivariate"]
    assert doc["drifted"] is True
    assert doc["features"] == ["a", "b"]


def test_no_drift_false_positive_rate_is_nominal() -> None:
    rng = np.random.default_rng(1)
    mix = np.array([[1.0, 0.6, 0.0], [0.0, 1.0, 0.3], [0.0, 0.0, 1.0]])
    trials = 500
    flagged = 0
    for i in range(trials):
        ref = rng.normal(size=(200, 3)) @ mix
        cur = rng.normal(size=(100, 3)) @ mix
        cfg = MultivariateConfig(n_permutations=99, alpha=0.05, seed=i)
        res = pca_reconstruction_drift(ref, cur, config=cfg)
        flagged += res.drifted
        assert res.drifted == (res.statistic > res.threshold)
    assert stats.binomtest(flagged, trials, 0.05).pvalue > 1e-3, flagged / trials


def test_fixed_components_and_nan_rows() -> None:
    rng = np.random.default_rng(2)
    ref = rng.normal(size=(500, 4))
    ref[::50, 1] = np.nan
    res = pca_reconstruction_drift(
        ref, rng.normal(size=(300, 4)), config=MultivariateConfig(n_components=2)
    )
    assert res.n_components == 2
    assert res.n_reference == 490
    assert 0.0 < res.p_value <= 1.0


def test_bad_input() -> None:
    with pytest.raises(DriftDataError):
        pca_reconstruction_drift(np.ones((10, 1)), np.ones((10, 1)))
    with pytest.raises(DriftDataError):
        pca_reconstruction_drift(np.ones((10, 2)), np.ones((10, 3)))
    with pytest.raises(ValueError, match="n_permutations"):
        MultivariateConfig(n_permutations=5, alpha=0.05)


def test_too_few_rows_skip_the_test_with_a_note_not_an_error() -> None:
    rng = np.random.default_rng(9)
    ref = pd.DataFrame(_correlated(rng, 500, 0.8), columns=["a", "b"])
    cur = pd.DataFrame(_correlated(rng, 10, 0.8), columns=["a", "b"])
    rep = analyze(
        ref, cur, numeric=["a", "b"], config=DriftConfig(multivariate=MultivariateConfig())
    )
    assert rep.multivariate is None
    assert rep.notes == [
        "multivariate test: insufficient data (10 complete current rows, fewer than the "
        "minimum of 30)"
    ]
    assert rep.to_dict()["notes"] == rep.notes
    one = analyze(
        ref[["a"]], cur[["a"]], numeric=["a"], config=DriftConfig(multivariate=MultivariateConfig())
    )
    assert one.notes == ["multivariate test skipped: it needs two numeric features or more"]


def test_the_multivariate_p_value_is_corrected_with_the_features() -> None:
    rng = np.random.default_rng(3)
    ref = pd.DataFrame(_correlated(rng, 3000, 0.8), columns=["a", "b"])
    cur = pd.DataFrame(_correlated(rng, 3000, -0.8), columns=["a", "b"])  # marginals unchanged
    cfg = DriftConfig(multivariate=MultivariateConfig(), correction="bonferroni")
    rep = analyze(ref, cur, numeric=["a", "b"], config=cfg)
    mv = rep.multivariate
    assert mv is not None and mv.drifted and rep.dataset_drift
    assert mv.p_value_adjusted == pytest.approx(min(1.0, 3 * mv.p_value))  # a family of 3
    assert not rep.drifted_features  # the marginals did not move
