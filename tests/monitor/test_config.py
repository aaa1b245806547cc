"""A DriftPolicy's ``spec`` becomes the statistics' ``DriftConfig``: one mapping, typed."""

from __future__ import annotations

from galfriday_gitops.monitor.drift_run import config_from_policy
from galfriday_gitops.resources import DriftPolicySpec
from galfriday_gitops.stats.drift import CategoricalTestsConfig, DriftConfig, NumericTestsConfig


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
                "numeric": {"ks": {"alpha": 0.01}, "wasserstein": {"max": 0.3}, "psi": None},
                "categorical": {"chi2": {"alpha": 0.02}},
            },
            correction="bonferroni",
            datasetDrift={"share": 0.5},
        )
    )
    assert cfg.numeric == NumericTestsConfig(ks_alpha=0.01, wasserstein_max=0.3, psi_max=None)
    assert cfg.categorical == CategoricalTestsConfig(chi2_alpha=0.02, jensenshannon_max=0.1)
    assert cfg.correction == "bonferroni"
    assert cfg.dataset_drift_share == 0.5


def test_defaults_of_the_policy_are_the_defaults_of_the_statistics() -> None:
    assert config_from_policy(_spec()) == DriftConfig()
    # The policy's "benjamini-hochberg" is statsmodels' "fdr_bh" in the statistics.
    assert config_from_policy(_spec(correction="benjamini-hochberg")).correction == "fdr_bh"
