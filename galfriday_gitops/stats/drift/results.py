"""Result objects of a drift analysis: one test, one feature, the dataset."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from galfriday_gitops.stats.drift.config import Correction
    from galfriday_gitops.stats.drift.multivariate import MultivariateResult


@dataclass
class StatTestResult:
    """One test on one feature: the statistic compared with ``threshold``."""

    statistic: float
    threshold: float | None
    drifted: bool = False
    p_value: float | None = None
    p_value_adjusted: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"statistic": self.statistic}
        if self.p_value is not None:
            out["p_value"] = self.p_value
            out["p_value_adjusted"] = self.p_value_adjusted
        out["threshold"] = self.threshold
        out["drifted"] = self.drifted
        out.update(self.extra)
        return out


@dataclass
class FeatureResult:
    """Drift verdict of one feature."""

    name: str
    kind: Literal["numeric", "categorical"]
    tests: dict[str, StatTestResult]
    n_reference: int
    n_current: int
    missing_reference: int
    missing_current: int
    drifted: bool = False
    unseen_categories: list[str] | None = None
    missing_categories: list[str] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "drifted": self.drifted,
            "tests": {k: t.to_dict() for k, t in self.tests.items()},
            "n_reference": self.n_reference,
            "n_current": self.n_current,
            "missing": {"reference": self.missing_reference, "current": self.missing_current},
        }
        if self.kind == "categorical":
            out["unseen_categories"] = self.unseen_categories or []
            out["missing_categories"] = self.missing_categories or []
        return out


@dataclass
class DriftReport:
    """Result of :func:`analyze`; ``to_dict()`` is the JSON document the registry stores."""

    features: dict[str, FeatureResult]
    drift_share: float
    dataset_drift: bool
    correction: Correction
    dataset_drift_share: float
    multivariate: MultivariateResult | None = None

    def ordered_features(self) -> list[FeatureResult]:
        """Drifted features first, each group in the order the features were given."""
        feats = list(self.features.values())
        return [f for f in feats if f.drifted] + [f for f in feats if not f.drifted]

    @property
    def drifted_features(self) -> list[str]:
        return [f.name for f in self.features.values() if f.drifted]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "dataset_drift": self.dataset_drift,
            "drift_share": self.drift_share,
            "threshold_share": self.dataset_drift_share,
            "correction": self.correction,
            "n_features": len(self.features),
            "n_drifted": len(self.drifted_features),
            "features": {f.name: f.to_dict() for f in self.ordered_features()},
        }
        if self.multivariate is not None:
            out["multivariate"] = self.multivariate.to_dict()
        return out
