"""Result objects of a drift analysis: the test and effect sizes of a feature, the dataset.

``to_dict()`` gives the JSON document; a number that is not finite is written as ``null``
(JSON has no NaN or infinity) and the entry says why.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final, Literal

if TYPE_CHECKING:
    from galfriday_gitops.stats.drift.config import Correction
    from galfriday_gitops.stats.drift.multivariate import MultivariateResult

#: A feature's verdict.
DRIFTED: Final = "drifted"
NOT_DRIFTED: Final = "no drift"
INSUFFICIENT: Final = "insufficient data"
NOT_COMPUTABLE: Final = "not computable"
#: The dataset's verdict (besides NOT_DRIFTED and INSUFFICIENT).
DATASET_DRIFT: Final = "drift"

Status = Literal["drifted", "no drift", "insufficient data", "not computable"]


def finite(x: float | None) -> float | None:
    """``x`` when it is a finite number, else None (what JSON can hold)."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)


@dataclass
class SignificanceTest:
    """The test that decides a feature (KS or chi-square), its p-value before and after the
    correction across features, and its level (``alpha=None``: reported, never decides)."""

    name: str
    statistic: float
    p_value: float
    alpha: float | None
    p_value_adjusted: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def computable(self) -> bool:
        return math.isfinite(self.p_value) and math.isfinite(self.statistic)

    @property
    def significant(self) -> bool:
        p = self.p_value_adjusted
        return self.alpha is not None and p is not None and math.isfinite(p) and p < self.alpha

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "statistic": finite(self.statistic),
            "p_value": finite(self.p_value),
            "p_value_adjusted": finite(self.p_value_adjusted),
            "alpha": self.alpha,
            "significant": self.significant,
        }
        if not self.computable:
            out["reason"] = "not computable (the statistic or its p-value is not a finite number)"
        out.update({k: finite(v) if isinstance(v, float) else v for k, v in self.extra.items()})
        return out


@dataclass
class EffectSize:
    """A distance reported as the size of a change; ``minimum`` (if set) must be reached
    for a significant feature to count as drifted."""

    name: str
    value: float
    minimum: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def reached(self) -> bool:
        """No minimum, or a finite value at least that large."""
        return self.minimum is None or (math.isfinite(self.value) and self.value >= self.minimum)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "value": finite(self.value),
            "min": self.minimum,
            "reached": self.reached,
        }
        if not math.isfinite(self.value):
            out["reason"] = "not computable (not a finite number)"
        out.update({k: finite(v) if isinstance(v, float) else v for k, v in self.extra.items()})
        return out


@dataclass
class FeatureResult:
    """Verdict of one feature: its test, its effect sizes, counts and why (``reason``)."""

    name: str
    kind: Literal["numeric", "categorical"]
    test: SignificanceTest
    effects: dict[str, EffectSize]
    n_reference: int
    n_current: int
    missing_reference: int
    missing_current: int
    status: Status = NOT_DRIFTED
    reason: str | None = None
    unseen_categories: list[str] | None = None
    missing_categories: list[str] | None = None

    @property
    def drifted(self) -> bool:
        return self.status == DRIFTED

    @property
    def tested(self) -> bool:
        """Whether the feature belongs to the family of tests (it had enough data)."""
        return self.status != INSUFFICIENT

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "kind": self.kind,
            "status": self.status,
            "drifted": self.drifted,
            "reason": self.reason,
            "test": {self.test.name: self.test.to_dict()},
            "effect_sizes": {k: e.to_dict() for k, e in self.effects.items()},
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
    """Result of :func:`analyze`; ``to_dict()`` is the JSON document the registry stores.

    ``verdict`` is ``drift``, ``no drift`` or ``insufficient data`` (no feature had
    enough values); ``global_p_value`` is the family's test of "nothing drifted" that
    keeps the dataset verdict at its level (see the package docstring).
    """

    features: dict[str, FeatureResult]
    drift_share: float
    dataset_drift: bool
    verdict: str
    correction: Correction
    dataset_drift_share: float
    global_p_value: float | None
    min_samples: int
    multivariate: MultivariateResult | None = None
    notes: list[str] = field(default_factory=list)

    def ordered_features(self) -> list[FeatureResult]:
        """Drifted features first, each group in the order the features were given."""
        feats = list(self.features.values())
        return [f for f in feats if f.drifted] + [f for f in feats if not f.drifted]

    @property
    def drifted_features(self) -> list[str]:
        return [f.name for f in self.features.values() if f.drifted]

    @property
    def n_tested(self) -> int:
        return sum(f.tested for f in self.features.values())

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "verdict": self.verdict,
            "dataset_drift": self.dataset_drift,
            "drift_share": finite(self.drift_share),
            "threshold_share": self.dataset_drift_share,
            "global_p_value": finite(self.global_p_value),
            "correction": self.correction,
            "min_samples": self.min_samples,
            "n_features": len(self.features),
            "n_tested": self.n_tested,
            "n_drifted": len(self.drifted_features),
            "features": {f.name: f.to_dict() for f in self.ordered_features()},
        }
        if self.multivariate is not None:
            out["multivariate"] = self.multivariate.to_dict()
        out["notes"] = list(self.notes)
        return out
