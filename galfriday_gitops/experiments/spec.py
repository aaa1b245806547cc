"""From an Experiment resource to an analysis, and from an analysis to its recorded outcome.

Conventions of the outcome data an Experiment points at (``spec.data``): one row per unit,
a ``variant`` column whose values are ``control`` and ``treatment`` (what the router's
outcome log and the demo pipeline write), and one column per metric named after it. A
ratio metric's denominator and a CUPED covariate are columns too.

Mapping of the declaration onto :func:`galfriday_gitops.stats.experiment.analyze_frame`:

* ``metrics.primary`` -> role ``primary``; ``secondary`` -> ``secondary``;
  ``guardrails`` -> ``guardrail`` with their ``maxLoss``.
* ``design`` gives alpha, power, the relative MDE, the minimum samples per variant,
  sequential (always-valid) monitoring and the multiple-testing correction.
  ``bonferroni`` is analysed with Holm: the same family-wise guarantee, never less power.
* The sample-ratio-mismatch test uses ``allocation.split`` for a ``weighted`` allocation.
  Bandits (epsilon-greedy, Thompson) move traffic on purpose and shadow mode serves
  control to everyone, so for them there is no fixed split to test against; the report
  says so in a note.

This module imports no pandas or scipy itself; :func:`analyze` pulls them in.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from galfriday_gitops.resources import (
    AllocationStrategy,
    Correction,
    Experiment,
    ExperimentOutcome,
    MetricDecl,
)
from galfriday_gitops.stats.experiment import MetricSpec

if TYPE_CHECKING:
    import pandas as pd

    from galfriday_gitops.stats.experiment import Correction as StatsCorrection
    from galfriday_gitops.stats.experiment import ExperimentResult

__all__ = [
    "CONTROL",
    "TREATMENT",
    "VARIANT_COLUMN",
    "AnalysisPlan",
    "analyze",
    "outcome_of",
    "plan_for",
]

VARIANT_COLUMN = "variant"
CONTROL = "control"
TREATMENT = "treatment"


@dataclass(frozen=True)
class AnalysisPlan:
    """Everything :func:`analyze` needs besides the data: columns, metrics, design."""

    variant_column: str
    control: str
    treatment: str | None
    metrics: tuple[MetricSpec, ...]
    covariates: Mapping[str, str] = field(default_factory=dict)
    split: Mapping[str, float] | None = None
    alpha: float = 0.05
    power: float = 0.8
    mde: float | None = None
    min_samples: int = 0
    sequential: bool = False
    correction: StatsCorrection = "holm"
    test_srm: bool = True
    notes: tuple[str, ...] = ()

    def columns(self) -> list[str]:
        """The data columns the analysis reads (so only those are loaded)."""
        cols = [self.variant_column]
        for m in self.metrics:
            cols.append(m.value_column)
            if m.denominator:
                cols.append(m.denominator)
        cols.extend(self.covariates.values())
        return list(dict.fromkeys(cols))


def _metric(decl: MetricDecl, role: str, max_loss: float | None = None) -> MetricSpec:
    return MetricSpec(
        name=decl.name,
        kind=decl.kind.value,
        direction=decl.direction.value,
        denominator=decl.denominator,
        max_loss=max_loss,
        role=role,  # type: ignore[arg-type]
    )


def _method(correction: Correction) -> StatsCorrection:
    """Holm for bonferroni: the same family-wise guarantee, never less power (see notes)."""
    return "holm" if correction is Correction.BONFERRONI else correction.method


def plan_for(experiment: Experiment) -> AnalysisPlan:
    """The analysis an Experiment resource declares (see the module docstring)."""
    spec = experiment.spec
    declared = spec.metrics
    metrics = [_metric(declared.primary, "primary")]
    metrics += [_metric(m, "secondary") for m in declared.secondary]
    metrics += [_metric(g, "guardrail", g.max_loss) for g in declared.guardrails]
    names = [m.name for m in metrics]
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise ValueError(f"metric(s) declared twice: {', '.join(duplicated)}")
    covariates = {
        m.name: m.covariate
        for m in (declared.primary, *declared.secondary, *declared.guardrails)
        if m.covariate
    }
    notes: list[str] = []
    weighted = spec.allocation.strategy is AllocationStrategy.WEIGHTED
    split = {
        CONTROL: spec.allocation.split["control"],
        TREATMENT: spec.allocation.split["treatment"],
    }
    if not weighted:
        notes.append(
            f"SRM not tested: a {spec.allocation.strategy.value} allocation has no fixed split"
        )
    design = spec.design
    if design.correction is Correction.BONFERRONI:
        notes.append("bonferroni declared; Holm used (same family-wise error, never less power)")
    return AnalysisPlan(
        variant_column=VARIANT_COLUMN,
        control=CONTROL,
        treatment=TREATMENT,
        metrics=tuple(metrics),
        covariates=covariates,
        split=split if weighted else None,
        alpha=design.alpha,
        power=design.power,
        mde=design.minimum_detectable_effect,
        min_samples=design.min_samples_per_variant,
        sequential=design.sequential,
        correction=_method(design.correction),
        test_srm=weighted,
        notes=tuple(notes),
    )


def analyze(frame: pd.DataFrame, plan: AnalysisPlan) -> ExperimentResult:
    """Run :func:`~galfriday_gitops.stats.experiment.analyze_frame` as ``plan`` says.

    The variant column is compared as text, so ``0``/``1`` labels read from a CSV match
    ``--control 0``. Raises ``ExperimentDataError`` (bad data) or ``ValueError`` (bad plan).
    """
    from pandas.api.types import is_object_dtype, is_string_dtype

    from galfriday_gitops.stats.experiment import analyze_frame

    col = plan.variant_column
    if col in frame.columns and not (is_object_dtype(frame[col]) or is_string_dtype(frame[col])):
        frame = frame.assign(**{col: frame[col].astype(str)})
    split = plan.split
    if not plan.test_srm and col in frame.columns:
        # The observed shares as the "declared" split: chi-square 0, p = 1, never flagged.
        # The plan's note tells the reader that nothing was tested.
        counts = frame[col].value_counts()
        split = {str(k): float(v) for k, v in counts.items()}
    result = analyze_frame(
        frame,
        variant_column=col,
        control=plan.control,
        treatment=plan.treatment,
        metrics=list(plan.metrics),
        covariates=dict(plan.covariates),
        split=split,
        alpha=plan.alpha,
        power=plan.power,
        mde=plan.mde,
        min_samples=plan.min_samples,
        sequential=plan.sequential,
        correction=plan.correction,
    )
    if not plan.notes:
        return result
    return dataclasses.replace(result, notes=[*result.notes, *plan.notes])


def _finite(x: float | None, digits: int = 6) -> float | None:
    """Round for a readable YAML diff; NaN/inf (undefined lift) become None."""
    if x is None or not math.isfinite(x):
        return None
    return float(f"{x:.{digits}g}")


def _fraction(x: float | None) -> float | None:
    value = _finite(x)
    return None if value is None else min(1.0, max(0.0, value))


def outcome_of(
    experiment: Experiment,
    result: ExperimentResult,
    *,
    data_md5: str,
    concluded_at: dt.datetime,
) -> ExperimentOutcome:
    """The ``spec.result`` block recording ``result`` (key numbers of the primary metric).

    ``winner`` is the winning *version* (control's or treatment's), or None. The p-value is
    the one the decision used: multiplicity-adjusted, and always-valid when sequential.
    """
    spec = experiment.spec
    primary = spec.metrics.primary.name
    metric = result.metrics[primary]
    winner = {CONTROL: spec.control, TREATMENT: spec.treatment}.get(result.winner or "")
    lo, hi = (_finite(v) for v in metric.relative.ci)
    p_value = metric.adjusted_p_value
    if p_value is None:
        p_value = metric.absolute.p_value
    payload: dict[str, Any] = {
        "winner": winner,
        "decision": result.decision[:200],
        "concludedAt": concluded_at.astimezone(dt.UTC).replace(microsecond=0),
        "dataMd5": data_md5,
        "samples": {
            "control": int(result.srm.observed.get(result.control, 0)),
            "treatment": int(result.srm.observed.get(result.treatment, 0)),
        },
        "relativeLift": _finite(metric.relative.estimate),
        "ci": [lo, hi] if lo is not None and hi is not None else [],
        "pValue": _fraction(p_value),
        "chanceToWin": _fraction(metric.chance_to_win),
        "srmPValue": _fraction(result.srm.p_value),
    }
    return ExperimentOutcome.model_validate(payload)
