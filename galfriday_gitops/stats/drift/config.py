"""What a drift analysis tests and with which thresholds (the statistics' side of a policy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from galfriday_gitops.stats.multitest import METHODS, Method

if TYPE_CHECKING:
    from galfriday_gitops.stats.drift.multivariate import MultivariateConfig

Correction = Method


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
    correction: Correction = "fdr_bh"
    dataset_drift_share: float = 0.3
    max_int_categories: int = 20
    n_jobs: int | None = None
    multivariate: MultivariateConfig | None = None

    def __post_init__(self) -> None:
        if self.correction not in METHODS:
            raise ValueError(f"unknown correction {self.correction!r}")
        if not 0.0 <= self.dataset_drift_share <= 1.0:
            raise ValueError("dataset_drift_share must lie in [0, 1]")
        if self.numeric.psi_bins < 2:
            raise ValueError("psi_bins must be at least 2")
