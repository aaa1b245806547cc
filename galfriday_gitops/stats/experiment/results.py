"""Result objects of the experiment analysis: what one metric and one experiment yield.

Every object has ``to_dict()``, the JSON-ready form documented in the README; numbers
that are not finite become ``null`` there (JSON has no NaN or infinity).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from galfriday_gitops.stats.errors import ExperimentDataError
from galfriday_gitops.stats.multitest import Method

if TYPE_CHECKING:
    from galfriday_gitops.stats.suffstats import Moments

MetricKind = Literal["mean", "proportion", "ratio"]
Direction = Literal["higher", "lower"]
Role = Literal["primary", "guardrail", "secondary"]
Correction = Method

__all__ = [
    "DECISION_CONTROL_WINS",
    "DECISION_INCONCLUSIVE",
    "DECISION_NOT_COMPUTABLE",
    "DECISION_NO_DIFFERENCE",
    "DECISION_SRM",
    "DECISION_TREATMENT_WINS",
    "SRM_THRESHOLD",
    "Estimate",
    "ExperimentDataError",
    "ExperimentResult",
    "GuardrailResult",
    "MetricResult",
    "MetricSpec",
    "SRMResult",
    "VariantSummary",
]

DECISION_TREATMENT_WINS = "treatment wins"
DECISION_CONTROL_WINS = "control wins"
DECISION_NO_DIFFERENCE = "no significant difference"
DECISION_INCONCLUSIVE = "inconclusive: not enough samples"
DECISION_SRM = "invalid: SRM"
DECISION_NOT_COMPUTABLE = "inconclusive: p-value not computable"
SRM_THRESHOLD = 0.001


@dataclass(frozen=True)
class MetricSpec:
    """One metric of an experiment.

    ``name`` is also the data column unless ``column`` is given. ``denominator``
    is required for ratio metrics. ``max_loss`` (a relative fraction, e.g. 0.05)
    is required for guardrails.
    """

    name: str
    kind: MetricKind = "mean"
    direction: Direction = "higher"
    denominator: str | None = None
    max_loss: float | None = None
    role: Role = "primary"
    column: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("mean", "proportion", "ratio"):
            raise ValueError(f"metric {self.name!r}: unknown kind {self.kind!r}")
        if self.direction not in ("higher", "lower"):
            raise ValueError(f"metric {self.name!r}: unknown direction {self.direction!r}")
        if self.role not in ("primary", "guardrail", "secondary"):
            raise ValueError(f"metric {self.name!r}: unknown role {self.role!r}")
        if self.kind == "ratio" and not self.denominator:
            raise ValueError(f"ratio metric {self.name!r} needs a denominator column")
        if self.role == "guardrail" and (self.max_loss is None or self.max_loss < 0):
            raise ValueError(f"guardrail {self.name!r} needs a non-negative max_loss")

    @property
    def value_column(self) -> str:
        """The data column holding the metric (numerator for ratio metrics)."""
        return self.column or self.name


@dataclass(frozen=True)
class VariantSummary:
    """Per-variant summary. ``variance`` is per unit: ``variance / n`` is the mean's variance.

    ``mean = origin + offset``, with ``offset`` kept apart: two summaries with the same
    origin (a value of the column) subtract without losing the digits the origin would
    cancel (``1e9 + N(0, 1)`` data). Without them, ``origin`` is 0 and ``offset`` the mean.
    """

    n: int
    mean: float
    variance: float
    origin: float = 0.0
    offset: float | None = None

    @classmethod
    def of(cls, m: Moments) -> VariantSummary:
        """The summary of a metric's moments (mean, variance and exact offset)."""
        return cls(m.n, m.mean_y, m.var_y, m.shift_y, m.offset_y)

    def minus(self, other: VariantSummary) -> float:
        """``self.mean - other.mean``, from the offsets."""
        mine = self.mean - self.origin if self.offset is None else self.offset
        theirs = other.mean - other.origin if other.offset is None else other.offset
        return (self.origin - other.origin) + (mine - theirs)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"n": self.n, "mean": _num(self.mean), "variance": _num(self.variance)}


@dataclass(frozen=True)
class Estimate:
    """A point estimate with its standard error, two-sided CI and p-value."""

    estimate: float
    se: float
    ci: tuple[float, float]
    p_value: float
    df: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "estimate": _num(self.estimate),
            "se": _num(self.se),
            "ci": [_num(self.ci[0]), _num(self.ci[1])],
            "p_value": _num(self.p_value),
        }
        if not math.isfinite(self.p_value):
            out["reason"] = "not computable (the estimate or its standard error is not finite)"
        return out


@dataclass(frozen=True)
class SRMResult:
    """Sample-ratio-mismatch check."""

    statistic: float
    p_value: float
    flagged: bool
    observed: dict[str, int]
    expected: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "statistic": _num(self.statistic),
            "p_value": _num(self.p_value),
            "flagged": self.flagged,
            "observed": dict(self.observed),
            "expected": {k: _num(v) for k, v in self.expected.items()},
        }


@dataclass(frozen=True)
class GuardrailResult:
    """Non-inferiority check of one guardrail metric (see module docstring)."""

    name: str
    max_loss: float
    harm: float
    harm_upper: float
    passed: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "max_loss": self.max_loss,
            "harm": _num(self.harm),
            "harm_upper": _num(self.harm_upper),
            "passed": self.passed,
        }


@dataclass(frozen=True)
class MetricResult:
    """Everything computed for one metric."""

    spec: MetricSpec
    control: VariantSummary
    treatment: VariantSummary
    absolute: Estimate
    relative: Estimate
    chance_to_win: float
    risk_treatment: float
    risk_control: float
    adjusted_p_value: float | None = None
    cuped_theta: float | None = None
    variance_reduction: float | None = None
    required_n: tuple[int, int] | None = None
    achieved_power: float | None = None
    effect_size: float | None = None

    @property
    def effect_size_name(self) -> str:
        """``cohen_h`` for a proportion, ``cohen_d`` for a mean or ratio."""
        return "cohen_h" if self.spec.kind == "proportion" else "cohen_d"

    @property
    def better(self) -> bool:
        """Whether the point estimate favours treatment in the metric's direction."""
        d = self.absolute.estimate
        return d > 0 if self.spec.direction == "higher" else d < 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out: dict[str, Any] = {
            "kind": self.spec.kind,
            "direction": self.spec.direction,
            "role": self.spec.role,
            "control": self.control.to_dict(),
            "treatment": self.treatment.to_dict(),
            "absolute": self.absolute.to_dict(),
            "relative": self.relative.to_dict(),
            "adjusted_p_value": _num(self.adjusted_p_value),
            "chance_to_win": _num(self.chance_to_win),
            "risk": {"treatment": _num(self.risk_treatment), "control": _num(self.risk_control)},
            "effect_size": {self.effect_size_name: _num(self.effect_size)},
        }
        if self.cuped_theta is not None:
            out["cuped"] = {
                "theta": _num(self.cuped_theta),
                "variance_reduction": _num(self.variance_reduction),
            }
        if self.required_n is not None:
            out["power"] = {
                "required_n": {"control": self.required_n[0], "treatment": self.required_n[1]},
                "achieved_power": _num(self.achieved_power),
            }
        return out


@dataclass(frozen=True)
class ExperimentResult:
    """Result of :func:`analyze_frame` / :func:`analyze_stats`."""

    control: str
    treatment: str
    srm: SRMResult
    metrics: dict[str, MetricResult]
    guardrails: list[GuardrailResult]
    decision: str
    winner: str | None
    alpha: float
    power: float
    mde: float | None
    min_samples: int
    correction: Correction
    sequential: bool
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the shape documented in the project README)."""
        return {
            "control": self.control,
            "treatment": self.treatment,
            "decision": self.decision,
            "winner": self.winner,
            "srm": self.srm.to_dict(),
            "metrics": {name: m.to_dict() for name, m in self.metrics.items()},
            "guardrails": [g.to_dict() for g in self.guardrails],
            "design": {
                "alpha": self.alpha,
                "power": self.power,
                "mde": self.mde,
                "min_samples": self.min_samples,
                "correction": self.correction,
                "sequential": self.sequential,
            },
            "notes": list(self.notes),
        }


def _num(x: float | None) -> float | None:
    """JSON has no NaN/inf: map them to null."""
    if x is None or not math.isfinite(x):
        return None
    return float(x)
