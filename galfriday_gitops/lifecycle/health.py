"""Judging one version's inference figures against the LifecyclePolicy's thresholds.

A version with fewer than ``minSamples`` requests in the window is ``insufficient-data``
and never judged; otherwise every configured threshold is compared with its figure, and
a threshold without data (no confidence or cost recorded) is listed as unjudged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from galfriday_gitops.resources import InferenceRules, InferenceThresholds

if TYPE_CHECKING:
    from galfriday_gitops.lifecycle.inference import Key, VersionStats


@dataclass(frozen=True, slots=True)
class Violation:
    """One threshold a version breaks."""

    metric: str  # the policy's threshold name, e.g. maxErrorRate
    value: float
    limit: float

    def describe(self) -> str:
        sign = ">" if self.metric.startswith("max") else "<"
        return (
            f"{self.metric}: {_fmt(self.metric, self.value)} {sign} {_fmt(self.metric, self.limit)}"
        )


def _fmt(metric: str, value: float) -> str:
    if metric.endswith("Rate"):
        return f"{value:.2%}"
    if metric.endswith("LatencyMs"):
        return f"{value:.1f} ms"
    if metric == "maxCostPerRequest":
        return f"{value:.6g}"
    return f"{value:.3f}"


Status = Literal["ok", "violation", "insufficient-data"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """``ok``, ``violation`` (with what broke) or ``insufficient-data`` (never judged)."""

    status: Status
    requests: int
    violations: tuple[Violation, ...] = ()
    unjudged: tuple[str, ...] = ()  # thresholds without data (no confidence / cost recorded)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "requests": self.requests,
            "violations": [
                {"metric": v.metric, "value": v.value, "limit": v.limit} for v in self.violations
            ],
            "unjudged": list(self.unjudged),
        }


def threshold_checks(
    stats: VersionStats, limits: InferenceThresholds
) -> list[tuple[str, float | None, float | None, bool]]:
    """(threshold name, value, limit, is a maximum) for every configured threshold."""
    return [
        ("minSuccessRate", stats.success_rate, limits.min_success_rate, False),
        ("maxErrorRate", stats.error_rate, limits.max_error_rate, True),
        ("maxP95LatencyMs", stats.p95_ms, limits.max_p95_latency_ms, True),
        ("maxP99LatencyMs", stats.p99_ms, limits.max_p99_latency_ms, True),
        ("minMeanConfidence", stats.mean_confidence, limits.min_mean_confidence, False),
        ("maxCostPerRequest", stats.cost_per_request, limits.max_cost_per_request, True),
    ]


def judge(stats: VersionStats | None, rules: InferenceRules) -> Verdict:
    """Judge one version's figures; below ``minSamples`` requests it is never judged."""
    requests = stats.requests if stats is not None else 0
    if stats is None or requests < rules.min_samples:
        return Verdict("insufficient-data", requests)
    broken: list[Violation] = []
    unjudged: list[str] = []
    for metric, value, limit, is_max in threshold_checks(stats, rules.thresholds):
        if limit is None:
            continue
        if value is None:
            unjudged.append(metric)
        elif (value > limit) if is_max else (value < limit):
            broken.append(Violation(metric, value, limit))
    return Verdict("violation" if broken else "ok", requests, tuple(broken), tuple(unjudged))


def stats_by_version(
    stats: Mapping[Key, VersionStats], model: str, single_model: bool
) -> dict[str, VersionStats]:
    """One model's figures by version (records without a model belong to a lone model)."""
    return {
        key[1]: value
        for key, value in stats.items()
        if key[0] == model or (key[0] is None and single_model)
    }


def unattributed(stats: Mapping[Key, VersionStats]) -> bool:
    """True when some records carry no ``model`` (fine only in a one-model registry)."""
    return any(key[0] is None for key in stats)
