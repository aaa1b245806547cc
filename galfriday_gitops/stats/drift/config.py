"""What a drift analysis tests and with which thresholds (the statistics' side of a policy)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from galfriday_gitops.stats.multitest import METHODS, Method

if TYPE_CHECKING:
    from galfriday_gitops.stats.drift.multivariate import MultivariateConfig

Correction = Method

#: Fewest non-missing values per side for a feature to get a verdict (see the package doc).
MIN_SAMPLES = 30


@dataclass(frozen=True)
class NumericTestsConfig:
    """The KS level, and the effect sizes required on top of a significant KS (``None``:
    reported, not required). ``ks_alpha=None`` keeps every numeric feature undecided."""

    ks_alpha: float | None = 0.05
    wasserstein_min: float | None = None
    psi_min: float | None = None
    psi_bins: int = 10
    psi_epsilon: float = 1e-4


@dataclass(frozen=True)
class CategoricalTestsConfig:
    """The chi-square level, and the Jensen-Shannon distance required on top."""

    chi2_alpha: float | None = 0.05
    jensenshannon_min: float | None = None


@dataclass(frozen=True)
class DriftConfig:
    """Drift policy, mirroring the registry's ``DriftPolicy`` resource.

    ``min_samples`` is the fewest non-missing values per side a feature needs for a
    verdict. ``n_jobs`` is the number of worker threads for numeric columns (default: CPU
    count). ``multivariate`` enables the PCA reconstruction-error test on the numeric
    features (skipped when there are fewer than two).
    """

    numeric: NumericTestsConfig = field(default_factory=NumericTestsConfig)
    categorical: CategoricalTestsConfig = field(default_factory=CategoricalTestsConfig)
    correction: Correction = "fdr_bh"
    dataset_drift_share: float = 0.3
    min_samples: int = MIN_SAMPLES
    max_int_categories: int = 20
    n_jobs: int | None = None
    multivariate: MultivariateConfig | None = None

    def __post_init__(self) -> None:
        if self.correction not in METHODS:
            raise ValueError(f"unknown correction {self.correction!r} (one of {METHODS})")
        if not 0.0 < self.dataset_drift_share <= 1.0:
            raise ValueError("dataset_drift_share must lie in (0, 1]")
        if self.numeric.psi_bins < 2:
            raise ValueError("psi_bins must be at least 2")
        if self.min_samples < 1:
            raise ValueError("min_samples must be at least 1")
