"""An ad hoc analysis: a data file and a design given directly instead of an Experiment.

:class:`AdHocRequest` is validated by pydantic like every resource (ranges of alpha,
power and the MDE, a non-negative split that is not all zero, distinct metric names, a
covariate only on a mean metric, sequential analysis only with an MDE), so a script and
the CLI get the same one-line errors. :func:`plan_for_data` then turns it into the
:class:`~galfriday_gitops.experiments.spec.AnalysisPlan` the analysis runs.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

from pydantic import AllowInfNan, BaseModel, ConfigDict, Field, ValidationError, model_validator

from galfriday_gitops.errors import UserError
from galfriday_gitops.experiments.spec import AnalysisPlan
from galfriday_gitops.stats.experiment.results import MetricSpec
from galfriday_gitops.stats.multitest import Method

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["AdHocRequest", "plan_for_data"]

Weight = Annotated[float, AllowInfNan(False), Field(ge=0)]


class AdHocRequest(BaseModel):
    """Data file, variants, metrics (the first primary, later ones secondary; guardrails
    by role) and the design. ``split`` may name the arms ``control``/``treatment`` (roles)
    or by their labels in the data."""

    model_config = ConfigDict(frozen=True, extra="forbid", arbitrary_types_allowed=True)

    data: Path
    variant_column: Annotated[str, Field(min_length=1)]
    control: str
    treatment: str | None = None
    metrics: Annotated[tuple[MetricSpec, ...], Field(min_length=1)]
    covariates: dict[str, str] = Field(default_factory=dict)
    split: dict[str, Weight] | None = None
    alpha: Annotated[float, AllowInfNan(False), Field(gt=0, lt=0.5)] = 0.05
    power: Annotated[float, AllowInfNan(False), Field(gt=0, lt=1)] = 0.8
    mde: Annotated[float, AllowInfNan(False), Field(gt=0)] | None = None
    min_samples: Annotated[int, Field(ge=0)] = 0
    sequential: bool = False
    correction: Method = "holm"

    @model_validator(mode="after")
    def _consistent(self) -> AdHocRequest:
        names = [m.name for m in self.metrics]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"metric(s) given twice: {', '.join(twice)}")
        kinds = {m.name: m.kind for m in self.metrics}
        for metric in self.covariates:
            if metric not in kinds:
                raise ValueError(f"covariate for {metric!r}: no metric {metric!r} was given")
            if kinds[metric] != "mean":
                raise ValueError(f"covariate for {metric!r}: CUPED applies to mean metrics only")
        if self.split is not None and sum(self.split.values()) <= 0:
            raise ValueError("split weights must not all be zero")
        if self.sequential and self.mde is None:
            raise ValueError("sequential analysis needs mde (the always-valid test's scale)")
        return self

    @classmethod
    def parse(cls, **fields: object) -> AdHocRequest:
        """Validate ``fields``; the first problem becomes a one-line :class:`UserError`."""
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            message = str(first["msg"]).removeprefix("Value error, ")
            raise UserError(f"{where}: {message}" if where else message) from None

    def plan(self) -> AnalysisPlan:
        """The analysis plan (the treatment is named once the data is read)."""
        return AnalysisPlan(
            variant_column=self.variant_column,
            control=self.control,
            treatment=self.treatment,
            metrics=self.metrics,
            covariates=dict(self.covariates),
            split=dict(self.split) if self.split is not None else None,
            alpha=self.alpha,
            power=self.power,
            mde=self.mde,
            min_samples=self.min_samples,
            sequential=self.sequential,
            correction=self.correction,
        )


def plan_for_data(request: AdHocRequest, frame: pd.DataFrame) -> AnalysisPlan:
    """Name the treatment and map a ``control``/``treatment`` split onto the real labels."""
    plan = request.plan()
    labels = sorted({str(v) for v in frame[plan.variant_column].dropna().unique()})
    if plan.control not in labels:
        raise UserError(
            f"control {plan.control!r} not found in column {plan.variant_column!r} "
            f"(values: {', '.join(labels[:10]) or 'none'})"
        )
    treatment = plan.treatment
    if treatment is None:
        others = [v for v in labels if v != plan.control]
        if len(others) != 1:
            raise UserError(
                f"cannot tell the treatment from column {plan.variant_column!r} "
                f"(values besides control: {', '.join(others[:10]) or 'none'}); name it"
            )
        treatment = others[0]
    split = plan.split
    if split is not None:
        # "control"/"treatment" are roles; the data may label the arms anything ("A", "B", 0, 1).
        roles = {"control": plan.control, "treatment": treatment}
        split = {(roles[k] if k in roles and k not in labels else k): w for k, w in split.items()}
        missing = [v for v in (plan.control, treatment) if v not in split]
        if missing:
            raise UserError(f"the split gives no weight for variant(s) {', '.join(missing)}")
    return dataclasses.replace(plan, treatment=treatment, split=split)
