"""A DriftPolicy's ``spec`` becomes the statistics' ``DriftConfig``: one mapping, typed."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from galfriday_gitops.monitor.drift_run import config_from_policy
from galfriday_gitops.resources import DriftPolicySpec
from galfriday_gitops.stats.drift import (
    MIN_SAMPLES,
    CategoricalTestsConfig,
    DriftConfig,
    NumericTestsConfig,
)


def _spec(**extra: object) -> DriftPolicySpec:
    base = {
        "model": "m",
        "reference": "ref.parquet",
        "current": "cur.parquet",
        "features": {"numeric": ["x"]},
    }
    return DriftPolicySpec.model_validate({**base, **extra})


def test_policy_tests_correction_and_share_map_onto_the_config() -> None:
    cfg = config_from_policy(
        _spec(
            tests={
                "numeric": {"ks": {"alpha": 0.01}, "wasserstein": {"min": 0.3}, "psi": None},
                "categorical": {"chi2": {"alpha": 0.02}, "jensenshannon": {"min": 0.05}},
            },
            correction="bonferroni",
            datasetDrift={"share": 0.5},
            minSamples=100,
            multivariate={"alpha": 0.01, "permutations": 999},
        )
    )
    assert cfg.numeric == NumericTestsConfig(ks_alpha=0.01, wasserstein_min=0.3, psi_min=None)
    assert cfg.categorical == CategoricalTestsConfig(chi2_alpha=0.02, jensenshannon_min=0.05)
    assert cfg.correction == "bonferroni"
    assert cfg.dataset_drift_share == 0.5 and cfg.min_samples == 100
    assert cfg.multivariate is not None
    assert (cfg.multivariate.alpha, cfg.multivariate.n_permutations) == (0.01, 999)


def test_a_distance_given_as_max_is_refused_with_the_new_spelling() -> None:
    # A distance used to flag drift on its own; a policy written that way is refused loudly
    # rather than silently reread with the new meaning.
    with pytest.raises(ValidationError, match="write min: to require it on top"):
        _spec(tests={"numeric": {"psi": {"max": 0.2}}})
    with pytest.raises(ValidationError, match="errorStream needs adwin, pageHinkley or both"):
        _spec(errorStream={"logs": "data/inference"})
    with pytest.raises(ValidationError, match="permutations must be at least"):
        _spec(multivariate={"alpha": 0.01, "permutations": 50})


def test_defaults_of_the_policy_are_the_defaults_of_the_statistics() -> None:
    assert config_from_policy(_spec()) == DriftConfig()
    assert _spec().min_samples == MIN_SAMPLES
    # The policy's "benjamini-hochberg" is statsmodels' "fdr_bh" in the statistics.
    assert config_from_policy(_spec(correction="benjamini-hochberg")).correction == "fdr_bh"
