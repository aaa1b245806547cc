"""The analysis of one experiment: data -> sufficient statistics -> metrics -> decision.

The statistical choices and the decision order are documented in
:mod:`galfriday_gitops.stats.experiment`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from galfriday_gitops.stats.experiment.bayesian import beta_chance_to_win, normal_chance_to_win
from galfriday_gitops.stats.experiment.frequentist import (
    cuped_summaries,
    normal_test,
    ratio_summary,
    relative_lift,
    srm_test,
    two_proportion_test,
    welch_test,
)
from galfriday_gitops.stats.experiment.power import (
    achieved_power,
    cohen_d,
    cohen_h,
    proportion_sample_size,
    required_sample_size,
)
from galfriday_gitops.stats.experiment.results import (
    DECISION_CONTROL_WINS,
    DECISION_INCONCLUSIVE,
    DECISION_NO_DIFFERENCE,
    DECISION_NOT_COMPUTABLE,
    DECISION_SRM,
    DECISION_TREATMENT_WINS,
    Correction,
    Estimate,
    ExperimentDataError,
    ExperimentResult,
    GuardrailResult,
    MetricResult,
    MetricSpec,
    SRMResult,
    VariantSummary,
)
from galfriday_gitops.stats.multitest import adjust_p_values
from galfriday_gitops.stats.sequential import msprt
from galfriday_gitops.stats.suffstats import (
    MetricColumns,
    Moments,
    SufficientStats,
    sufficient_stats,
)

if TYPE_CHECKING:
    import pandas as pd


def _check_columns(
    df: Any, variant_column: str, metrics: Sequence[MetricSpec], covariates: Mapping[str, str]
) -> None:
    from pandas.api.types import is_bool_dtype, is_numeric_dtype

    columns = set(map(str, df.columns))
    if variant_column not in columns:
        raise ExperimentDataError(f"missing variant column {variant_column!r}")
    for spec in metrics:
        needed = [("metric", spec.value_column)]
        if spec.denominator:
            needed.append(("denominator", spec.denominator))
        if spec.name in covariates:
            needed.append(("covariate", covariates[spec.name]))
        for role, col in needed:
            if col not in columns:
                raise ExperimentDataError(f"missing {role} column {col!r} for metric {spec.name!r}")
            dtype = df.dtypes[col]
            if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype)):
                raise ExperimentDataError(
                    f"{role} column {col!r} for metric {spec.name!r} is not numeric (dtype {dtype})"
                )


def analyze_frame(
    df: pd.DataFrame | Any,
    *,
    variant_column: str,
    control: str,
    treatment: str | None = None,
    metrics: Sequence[MetricSpec],
    covariates: Mapping[str, str] | None = None,
    split: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    mde: float | None = None,
    min_samples: int = 0,
    sequential: bool = False,
    correction: Correction = "holm",
    sequential_tau: Mapping[str, float] | None = None,
) -> ExperimentResult:
    """Analyse a pandas or Dask DataFrame of units (one row per unit).

    ``covariates`` maps a mean metric's name to its pre-period column (CUPED).
    ``split`` is the declared allocation (weights need not sum to 1); when
    omitted an equal split between control and treatment is assumed for SRM.
    ``sequential_tau`` overrides the mSPRT mixing scale per metric.
    Raises :class:`ExperimentDataError` on unusable data.
    """
    covariates = dict(covariates or {})
    if not metrics:
        raise ValueError("at least one metric is required")
    _check_columns(df, variant_column, metrics, covariates)
    columns: dict[str, MetricColumns] = {}
    for spec in metrics:
        x = spec.denominator if spec.kind == "ratio" else covariates.get(spec.name)
        if spec.name in covariates and spec.kind != "mean":
            raise ValueError(f"CUPED covariate given for non-mean metric {spec.name!r}")
        columns[spec.name] = MetricColumns(y=spec.value_column, x=x)
    stats = sufficient_stats(df, variant_column, columns)
    return analyze_stats(
        stats,
        variant_column=variant_column,
        control=control,
        treatment=treatment,
        metrics=metrics,
        cuped=set(covariates),
        split=split,
        alpha=alpha,
        power=power,
        mde=mde,
        min_samples=min_samples,
        sequential=sequential,
        correction=correction,
        sequential_tau=sequential_tau,
    )


def _pick_treatment(
    stats: SufficientStats, variant_column: str, control: str, treatment: str | None
) -> str:
    present = set(stats.counts)
    if control not in present:
        raise ExperimentDataError(
            f"control variant {control!r} not found in column {variant_column!r} "
            f"(found {sorted(present)})"
        )
    if treatment is None:
        others = sorted(present - {control})
        if len(others) != 1:
            raise ExperimentDataError(
                f"cannot infer the treatment variant from column {variant_column!r}: "
                f"found {others}; pass treatment="
            )
        return others[0]
    if treatment not in present:
        raise ExperimentDataError(
            f"treatment variant {treatment!r} not found in column {variant_column!r} "
            f"(found {sorted(present)})"
        )
    return treatment


def _metric_moments(
    stats: SufficientStats, spec: MetricSpec, variant: str, variant_column: str
) -> Moments:
    m = stats.moments.get(spec.name, {}).get(variant)
    if m is None or m.n < 2:
        raise ExperimentDataError(
            f"metric {spec.value_column!r} has fewer than 2 values for {variant_column}={variant!r}"
        )
    return m


def _proportion(
    mc: Moments, mt: Moments, spec: MetricSpec, names: tuple[str, str, str], alpha: float
) -> tuple[VariantSummary, VariantSummary, Estimate, tuple[float, float, float]]:
    """Two-proportion test and Beta posteriors of a 0/1 metric."""
    variant_column, control, treatment = names
    for m, v in ((mc, control), (mt, treatment)):
        if m.non_binary:
            raise ExperimentDataError(
                f"proportion metric column {spec.value_column!r} has values other "
                f"than 0/1 for {variant_column}={v!r}"
            )
    # 0/1 values: the sum is a count, rounding only removes floating-point noise
    ones_c, ones_t = round(mc.sum_y), round(mt.sum_y)
    sc = VariantSummary(mc.n, mc.mean_y, mc.mean_y * (1.0 - mc.mean_y))
    st = VariantSummary(mt.n, mt.mean_y, mt.mean_y * (1.0 - mt.mean_y))
    absolute = two_proportion_test(mc.n, ones_c, mt.n, ones_t, alpha)
    bayes = beta_chance_to_win(ones_c, mc.n, ones_t, mt.n, spec.direction)
    return sc, st, absolute, bayes


def _continuous(
    mc: Moments, mt: Moments, spec: MetricSpec, cuped: bool, alpha: float
) -> tuple[VariantSummary, VariantSummary, Estimate, float | None, float | None]:
    """Welch (means, optionally CUPED-adjusted) or the z-test of a ratio metric."""
    if spec.kind == "ratio":
        sc, st = ratio_summary(mc), ratio_summary(mt)
        return sc, st, normal_test(sc, st, alpha), None, None
    if not cuped:
        sc, st = VariantSummary.of(mc), VariantSummary.of(mt)
        return sc, st, welch_test(sc, st, alpha), None, None
    sc, st, theta = cuped_summaries(mc, mt)
    absolute = welch_test(sc, st, alpha)
    plain_var = mc.var_y / mc.n + mt.var_y / mt.n
    reduction = 1.0 - absolute.se * absolute.se / plain_var if plain_var > 0 else 0.0
    return sc, st, absolute, theta, reduction


def _effect_size(spec: MetricSpec, sc: VariantSummary, st: VariantSummary, diff: float) -> float:
    """Cohen's h for a proportion, Cohen's d otherwise."""
    if spec.kind == "proportion":
        return cohen_h(sc.mean, st.mean)
    return cohen_d(diff, sc.variance, sc.n, st.variance, st.n)


def _plan(
    spec: MetricSpec,
    sc: VariantSummary,
    st: VariantSummary,
    se: float,
    design: tuple[float, float, float | None, float],
) -> tuple[tuple[int, int] | None, float | None]:
    """(units needed per arm, power now) for the design's MDE; None when not computable."""
    alpha, power, mde, ratio = design
    if mde is None or sc.mean == 0 or not sc.variance > 0:
        return None, None
    try:
        if spec.kind == "proportion":
            required = proportion_sample_size(sc.mean, mde, alpha, power, ratio)
        else:
            required = required_sample_size(
                sc.mean, sc.variance, mde, alpha, power, ratio, treatment_variance=st.variance
            )
    except ValueError:
        required = None
    return required, achieved_power(mde * sc.mean, se, alpha)


def _analyze_metric(
    stats: SufficientStats,
    spec: MetricSpec,
    *,
    variant_column: str,
    control: str,
    treatment: str,
    cuped: bool,
    alpha: float,
    power: float,
    mde: float | None,
    allocation_ratio: float,
) -> MetricResult:
    mc = _metric_moments(stats, spec, control, variant_column)
    mt = _metric_moments(stats, spec, treatment, variant_column)
    theta: float | None = None
    reduction: float | None = None
    if spec.kind == "proportion":
        names = (variant_column, control, treatment)
        sc, st, absolute, (ctw, risk_t, risk_c) = _proportion(mc, mt, spec, names, alpha)
        relative = relative_lift(sc, st, alpha, absolute.df)
    else:
        sc, st, absolute, theta, reduction = _continuous(mc, mt, spec, cuped, alpha)
        relative = relative_lift(sc, st, alpha, absolute.df)
        ctw, risk_t, risk_c = normal_chance_to_win(relative.estimate, relative.se, spec.direction)
    required, power_now = _plan(spec, sc, st, absolute.se, (alpha, power, mde, allocation_ratio))
    return MetricResult(
        spec=spec,
        control=sc,
        treatment=st,
        absolute=absolute,
        relative=relative,
        chance_to_win=ctw,
        risk_treatment=risk_t,
        risk_control=risk_c,
        cuped_theta=theta,
        variance_reduction=reduction,
        required_n=required,
        achieved_power=power_now,
        effect_size=_effect_size(spec, sc, st, absolute.estimate),
    )


def _sequentialize(
    result: MetricResult, alpha: float, mde: float | None, tau: float | None
) -> MetricResult:
    """Replace fixed-horizon p-values/CIs by always-valid ones (mSPRT)."""
    if tau is None:
        if mde is None or result.control.mean == 0:
            raise ValueError(
                f"sequential analysis of {result.spec.name!r} needs mde with a non-zero "
                "control mean, or an explicit sequential_tau"
            )
        tau = abs(mde * result.control.mean)
    abs_est = result.absolute
    if abs_est.se == 0:
        return result
    seq = msprt(abs_est.estimate, abs_est.se**2, tau * tau, alpha)
    widen = (seq.ci[1] - seq.estimate) / abs_est.se
    rel = result.relative
    rel_ci = (rel.estimate - widen * rel.se, rel.estimate + widen * rel.se)
    return MetricResult(
        **{
            **result.__dict__,
            "absolute": Estimate(abs_est.estimate, abs_est.se, seq.ci, seq.p_value),
            "relative": Estimate(rel.estimate, rel.se, rel_ci, seq.p_value),
        }
    )


def _with_adjusted(result: MetricResult, p: float | None) -> MetricResult:
    return MetricResult(**{**result.__dict__, "adjusted_p_value": p})


def analyze_stats(
    stats: SufficientStats,
    *,
    variant_column: str = "variant",
    control: str,
    treatment: str | None = None,
    metrics: Sequence[MetricSpec],
    cuped: set[str] | frozenset[str] = frozenset(),
    split: Mapping[str, float] | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
    mde: float | None = None,
    min_samples: int = 0,
    sequential: bool = False,
    correction: Correction = "holm",
    sequential_tau: Mapping[str, float] | None = None,
) -> ExperimentResult:
    """Analyse precomputed sufficient statistics (see :func:`analyze_frame`)."""
    if not 0 < alpha < 1 or not 0 < power < 1:
        raise ValueError("alpha and power must be in (0, 1)")
    treatment = _pick_treatment(stats, variant_column, control, treatment)
    declared = dict(split) if split is not None else {control: 0.5, treatment: 0.5}
    for name in (control, treatment):
        if name not in declared:
            raise ValueError(f"split does not declare variant {name!r}")
    srm = srm_test(stats.counts, declared)
    allocation_ratio = declared[treatment] / declared[control] if declared[control] > 0 else 1.0
    taus = dict(sequential_tau or {})

    results: dict[str, MetricResult] = {}
    for spec in metrics:
        res = _analyze_metric(
            stats,
            spec,
            variant_column=variant_column,
            control=control,
            treatment=treatment,
            cuped=spec.name in cuped,
            alpha=alpha,
            power=power,
            mde=mde,
            allocation_ratio=allocation_ratio,
        )
        # Guardrails keep fixed-horizon intervals: the mixing scale comes from the primary
        # MDE, and applied to a rare-event guardrail it makes the interval unpassable.
        if sequential and spec.role in ("primary", "secondary"):
            res = _sequentialize(res, alpha, mde, taus.get(spec.name))
        results[spec.name] = res

    family = [n for n, r in results.items() if r.spec.role in ("primary", "secondary")]
    adjusted = adjust_p_values([results[n].absolute.p_value for n in family], correction)
    for name, p in zip(family, adjusted, strict=True):
        results[name] = _with_adjusted(results[name], p)

    guardrails: list[GuardrailResult] = []
    for res in results.values():
        if res.spec.role != "guardrail" or res.spec.max_loss is None:
            continue
        rel = res.relative
        sign = 1.0 if res.spec.direction == "lower" else -1.0
        harm = sign * rel.estimate
        harm_upper = max(sign * rel.ci[0], sign * rel.ci[1])
        passed = bool(math.isfinite(harm_upper) and harm_upper <= res.spec.max_loss)
        guardrails.append(
            GuardrailResult(res.spec.name, res.spec.max_loss, harm, harm_upper, passed)
        )

    n_c = stats.counts.get(control, 0)
    n_t = stats.counts.get(treatment, 0)
    decision, winner = _decide(srm, n_c, n_t, min_samples, guardrails, results, alpha)
    notes: list[str] = []
    if sequential:
        notes.append("p-values and intervals of primary/secondary metrics are always-valid (mSPRT)")
    return ExperimentResult(
        control=control,
        treatment=treatment,
        srm=srm,
        metrics=results,
        guardrails=guardrails,
        decision=decision,
        winner=winner,
        alpha=alpha,
        power=power,
        mde=mde,
        min_samples=min_samples,
        correction=correction,
        sequential=sequential,
        notes=notes,
    )


def _decide(
    srm: SRMResult,
    n_c: int,
    n_t: int,
    min_samples: int,
    guardrails: Sequence[GuardrailResult],
    results: Mapping[str, MetricResult],
    alpha: float,
) -> tuple[str, str | None]:
    if srm.flagged:
        return DECISION_SRM, None
    if min(n_c, n_t) < min_samples:
        return DECISION_INCONCLUSIVE, None
    failed = [g.name for g in guardrails if not g.passed]
    if failed:
        return f"guardrail failed: {failed[0]}", None
    primaries = [r for r in results.values() if r.spec.role == "primary"]
    broken = [r.spec.name for r in primaries if not math.isfinite(r.absolute.p_value)]
    if broken:
        return f"{DECISION_NOT_COMPUTABLE}: {broken[0]}", None
    wins = losses = 0
    for res in primaries:
        if res.adjusted_p_value is None:
            continue
        if res.adjusted_p_value < alpha:
            if res.better:
                wins += 1
            else:
                losses += 1
    if losses:
        return DECISION_CONTROL_WINS, "control"
    if wins:
        return DECISION_TREATMENT_WINS, "treatment"
    return DECISION_NO_DIFFERENCE, None
