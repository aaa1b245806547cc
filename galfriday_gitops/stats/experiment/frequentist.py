"""Frequentist building blocks: tests, intervals, CUPED and the sample-ratio test.

The formulas are documented once, in :mod:`galfriday_gitops.stats.experiment`. Every one
is written so that finite inputs cannot overflow: differences of means come from
:meth:`VariantSummary.minus`, Welch's degrees of freedom and the relative lift's standard
error are computed from ratios and ``hypot`` rather than from squares of large numbers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from galfriday_gitops.stats.experiment.results import (
    SRM_THRESHOLD,
    Estimate,
    ExperimentDataError,
    SRMResult,
    VariantSummary,
)
from galfriday_gitops.stats.suffstats import Moments


def norm_ppf(q: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(q))


def norm_cdf(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def _two_sided_normal_p(z: float) -> float:
    if math.isnan(z):
        return math.nan
    return math.erfc(abs(z) / math.sqrt(2.0))


# ---------------------------------------------------------------------------
# Frequentist building blocks
# ---------------------------------------------------------------------------


def welch_test(control: VariantSummary, treatment: VariantSummary, alpha: float = 0.05) -> Estimate:
    """Welch's t-test for ``mean_t - mean_c`` with a Welch-Satterthwaite CI."""
    from scipy.stats import t as t_dist

    vc = control.variance / control.n
    vt = treatment.variance / treatment.n
    se = math.sqrt(vc + vt)
    diff = treatment.minus(control)
    if se == 0:
        return Estimate(diff, 0.0, (diff, diff), 1.0 if diff == 0 else 0.0, math.inf)
    # (vc + vt)^2 / (vc^2/(n_c-1) + vt^2/(n_t-1)), in shares of vc + vt (no squares to overflow)
    share_c, share_t = vc / (vc + vt), vt / (vc + vt)
    df = 1.0 / (share_c * share_c / (control.n - 1) + share_t * share_t / (treatment.n - 1))
    t_stat = diff / se
    p = float(2.0 * t_dist.sf(abs(t_stat), df))
    q = float(t_dist.ppf(1.0 - alpha / 2.0, df))
    return Estimate(diff, se, (diff - q * se, diff + q * se), p, df)


def normal_test(
    control: VariantSummary, treatment: VariantSummary, alpha: float = 0.05
) -> Estimate:
    """Large-sample z-test for ``mean_t - mean_c`` (used for ratio metrics)."""
    se = math.sqrt(control.variance / control.n + treatment.variance / treatment.n)
    diff = treatment.minus(control)
    q = norm_ppf(1.0 - alpha / 2.0)
    p = _two_sided_normal_p(diff / se) if se > 0 else (1.0 if diff == 0 else 0.0)
    return Estimate(diff, se, (diff - q * se, diff + q * se), p)


def two_proportion_test(
    n_c: int, successes_c: float, n_t: int, successes_t: float, alpha: float = 0.05
) -> Estimate:
    """Two-proportion z-test: pooled SE for the p-value, unpooled SE for the CI."""
    p_c = successes_c / n_c
    p_t = successes_t / n_t
    diff = p_t - p_c
    pooled = (successes_c + successes_t) / (n_c + n_t)
    se_pooled = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / n_t))
    se = math.sqrt(p_c * (1.0 - p_c) / n_c + p_t * (1.0 - p_t) / n_t)
    p = _two_sided_normal_p(diff / se_pooled) if se_pooled > 0 else (1.0 if diff == 0 else 0.0)
    q = norm_ppf(1.0 - alpha / 2.0)
    return Estimate(diff, se, (diff - q * se, diff + q * se), p)


def relative_lift(
    control: VariantSummary,
    treatment: VariantSummary,
    alpha: float = 0.05,
    df: float | None = None,
) -> Estimate:
    """Relative lift ``mu_t/mu_c - 1`` with the delta-method SE (see module docstring).

    With ``df`` (Welch's, for mean metrics) the interval and p-value use Student's t, as
    GrowthBook's frequentist engine does; without it, the normal distribution.
    """
    mu_c = control.mean
    if mu_c == 0:
        nan = math.nan
        return Estimate(nan, nan, (nan, nan), nan)
    est = treatment.minus(control) / mu_c
    ratio = treatment.mean / mu_c
    # sqrt(var_t/(n_t mu_c^2) + mu_t^2 var_c/(n_c mu_c^4)), without squaring mu_c
    se_t = math.sqrt(treatment.variance / treatment.n)
    se_c = math.sqrt(control.variance / control.n)
    se = math.hypot(se_t, ratio * se_c) / abs(mu_c)
    if df is not None and math.isfinite(df):
        from scipy.stats import t as t_dist

        q = float(t_dist.ppf(1.0 - alpha / 2.0, df))
        p = float(2.0 * t_dist.sf(abs(est / se), df)) if se > 0 else (1.0 if est == 0 else 0.0)
        return Estimate(est, se, (est - q * se, est + q * se), p, df)
    q = norm_ppf(1.0 - alpha / 2.0)
    p = _two_sided_normal_p(est / se) if se > 0 else (1.0 if est == 0 else 0.0)
    return Estimate(est, se, (est - q * se, est + q * se), p)


def ratio_summary(m: Moments) -> VariantSummary:
    """Ratio ``sum_y/sum_x`` with delta-method variance, as a per-unit-equivalent summary."""
    mean_x = m.mean_x
    if mean_x == 0:
        raise ExperimentDataError("ratio metric denominator sums to zero in a variant")
    r = m.mean_y / mean_x
    # (var_y - 2 r cov + r^2 var_x) / mean_x^2, each term divided first (no overflow)
    sy, sx = math.sqrt(m.var_y) / abs(mean_x), math.sqrt(m.var_x) / abs(mean_x)
    cov = m.cov_xy / mean_x / mean_x
    unit_var = sy * sy - 2.0 * r * cov + (r * sx) * (r * sx)
    return VariantSummary(n=m.n, mean=r, variance=max(unit_var, 0.0))


def cuped_summaries(
    control: Moments, treatment: Moments, theta: float | None = None
) -> tuple[VariantSummary, VariantSummary, float]:
    """CUPED-adjusted summaries; ``theta`` defaults to the pooled ``cov(y,x)/var(x)``."""
    pooled = control + treatment
    if theta is None:
        var_x = pooled.var_x
        theta = pooled.cov_xy / var_x if var_x > 0 else 0.0
    t = theta

    def adjust(m: Moments) -> VariantSummary:
        var = m.var_y - 2.0 * t * m.cov_xy + t * t * m.var_x
        # ybar_v - theta (xbar_v - xbar), with the means kept as offsets from the shift
        offset = m.offset_y - t * m.mean_x_minus(pooled)
        return VariantSummary(m.n, m.shift_y + offset, max(var, 0.0), m.shift_y, offset)

    return adjust(control), adjust(treatment), theta


def srm_test(
    observed: Mapping[str, int], split: Mapping[str, float], threshold: float = SRM_THRESHOLD
) -> SRMResult:
    """Chi-square goodness of fit of ``observed`` counts against the ``split`` weights."""
    from scipy.stats import chisquare

    names = list(split)
    total_w = sum(split[k] for k in names)
    if total_w <= 0 or any(split[k] < 0 for k in names):
        raise ValueError("split weights must be non-negative and not all zero")
    obs = [int(observed.get(k, 0)) for k in names]
    total = sum(obs)
    expected = [total * split[k] / total_w for k in names]
    if total == 0:
        return SRMResult(0.0, 1.0, False, dict(zip(names, obs, strict=True)), {})
    stat, p = chisquare(obs, expected)
    return SRMResult(
        statistic=float(stat),
        p_value=float(p),
        flagged=bool(p < threshold),
        observed=dict(zip(names, obs, strict=True)),
        expected=dict(zip(names, expected, strict=True)),
    )
