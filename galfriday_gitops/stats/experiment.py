"""Fixed-horizon (and optionally sequential) analysis of a control-vs-treatment experiment.

Everything is computed from per-variant sufficient statistics
(:mod:`galfriday_gitops.stats.suffstats`), so a pandas or a Dask DataFrame gives
the same answer.

Statistical choices (all two-sided at level ``alpha`` unless noted):

* **Mean metrics** -- Welch's unequal-variance t-test; the absolute CI uses the
  Welch-Satterthwaite degrees of freedom (identical to
  ``scipy.stats.ttest_ind(treatment, control, equal_var=False)``).
* **Proportion metrics** (0/1 values) -- two-proportion z-test. The p-value uses
  the *pooled* standard error ``sqrt(p(1-p)(1/n_c + 1/n_t))`` with ``p`` the
  pooled rate (the null hypothesis says the rates are equal); the CI uses the
  *unpooled* standard error ``sqrt(p_c(1-p_c)/n_c + p_t(1-p_t)/n_t)`` (a CI is not
  computed under the null).
* **Ratio metrics** -- ``R = sum(y)/sum(x)`` per variant with the delta-method
  variance ``var(R) = (var_y - 2 R cov_xy + R^2 var_x) / (n mean_x^2)``;
  z-test/normal CI on the difference.
* **Relative lift** ``mu_t/mu_c - 1`` -- delta method,
  ``var(rel) = var_t/(n_t mu_c^2) + mu_t^2 var_c/(n_c mu_c^4)`` (``var_v`` is the
  per-unit variance, so ``var_v/n_v`` is the variance of the mean); for mean metrics
  the CI and p-value use Student's t with Welch's df (GrowthBook's frequentist engine:
  its published test case is reproduced to 5 decimals in the tests), else the normal.
* **CUPED** (mean metrics with a declared pre-period covariate ``x``) --
  ``theta = cov(y, x) / var(x)`` computed on the pooled data of both variants;
  adjusted mean ``ybar_v - theta (xbar_v - xbar)`` and adjusted per-unit variance
  ``var_y - 2 theta cov_xy + theta^2 var_x`` within each variant. The reported
  ``variance_reduction`` is ``1 - var(adjusted diff) / var(plain diff)``. With a
  constant covariate ``theta`` is 0 and the analysis equals the plain one.
* **Bayesian chance to win / risk** -- for mean and ratio metrics the posterior
  of the relative lift is ``N(rel, se_rel^2)``: GrowthBook's Bayesian engine with
  its default flat (improper) prior on the lift. Chance to win is
  ``Phi(rel/se_rel)`` (``Phi(-rel/se_rel)`` for a lower-is-better metric). For
  proportion metrics each rate has a ``Beta(1, 1)`` prior, hence a
  ``Beta(1 + successes, 1 + failures)`` posterior, and chance to win is the exact
  ``P(p_t > p_c)`` (or ``<``) by one-dimensional quadrature. **Risk** is the
  expected loss of a choice, as a fraction of the control mean:
  ``E[max(0, harm)]`` where harm is the (relative) amount by which the chosen arm
  is worse.
* **Sample-ratio mismatch** -- chi-square goodness of fit of the per-variant row
  counts against the declared split (``scipy.stats.chisquare``), flagged at
  ``p < 0.001``. A flagged SRM makes the decision ``"invalid: SRM"``.
* **Sample size** -- per variant for a relative MDE ``m`` at baseline mean ``mu``
  and per-unit variance ``s^2``, with allocation ratio ``k = n_t/n_c``:
  ``n_c = (z_{1-alpha/2} + z_{power})^2 s^2 (1 + 1/k) / (m mu)^2``, ``n_t = k n_c``.
  Achieved power at the observed ``n``:
  ``Phi(delta/se - z_{1-alpha/2}) + Phi(-delta/se - z_{1-alpha/2})`` with
  ``delta = m |mu_c|``.
* **Guardrails** (non-inferiority) -- ``harm`` is the relative change in the
  harmful direction (``rel`` for lower-is-better, ``-rel`` for higher-is-better).
  A guardrail **fails when the upper bound of the two-sided ``1 - alpha``
  interval for harm exceeds ``max_loss``**, i.e. unless the data rule out a loss
  larger than ``max_loss``. Guardrails are not part of the multiple-testing family.
* **Multiple testing** -- Holm (default) or Benjamini-Hochberg adjustment of the
  primary and secondary metrics' p-values; decisions use adjusted p-values.
* **Sequential** -- with ``sequential=True`` the p-values and CIs of primary and
  secondary metrics are the always-valid ones of
  :mod:`galfriday_gitops.stats.sequential` (mixing scale ``tau = mde |mu_c|``);
  the relative interval is widened by the same factor as the absolute one.

Decision order: SRM -> minimum samples -> guardrails -> primary metrics
(treatment wins if some primary metric is significantly better and none is
significantly worse; control wins if some primary is significantly worse).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from galfriday_gitops.stats.sequential import msprt
from galfriday_gitops.stats.suffstats import (
    MetricColumns,
    Moments,
    SufficientStats,
    sufficient_stats,
)

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DECISION_CONTROL_WINS",
    "DECISION_INCONCLUSIVE",
    "DECISION_NO_DIFFERENCE",
    "DECISION_SRM",
    "DECISION_TREATMENT_WINS",
    "Estimate",
    "ExperimentDataError",
    "ExperimentResult",
    "GuardrailResult",
    "MetricResult",
    "MetricSpec",
    "SRMResult",
    "VariantSummary",
    "achieved_power",
    "adjust_p_values",
    "analyze_frame",
    "analyze_stats",
    "beta_chance_to_win",
    "normal_chance_to_win",
    "relative_lift",
    "render_markdown",
    "render_text",
    "required_sample_size",
    "srm_test",
    "two_proportion_test",
    "welch_test",
]

MetricKind = Literal["mean", "proportion", "ratio"]
Direction = Literal["higher", "lower"]
Role = Literal["primary", "guardrail", "secondary"]
Correction = Literal["holm", "bh", "none"]

DECISION_TREATMENT_WINS = "treatment wins"
DECISION_CONTROL_WINS = "control wins"
DECISION_NO_DIFFERENCE = "no significant difference"
DECISION_INCONCLUSIVE = "inconclusive: not enough samples"
DECISION_SRM = "invalid: SRM"
SRM_THRESHOLD = 0.001


class ExperimentDataError(ValueError):
    """The experiment data cannot be analysed (missing column, bad values, absent variant)."""


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
    """Per-variant summary. ``variance`` is per unit: ``variance / n`` is the mean's variance."""

    n: int
    mean: float
    variance: float

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
        return {
            "estimate": _num(self.estimate),
            "se": _num(self.se),
            "ci": [_num(self.ci[0]), _num(self.ci[1])],
            "p_value": _num(self.p_value),
        }


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


def _norm_ppf(q: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(q))


def _norm_cdf(x: float) -> float:
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
    diff = treatment.mean - control.mean
    if se == 0:
        return Estimate(diff, 0.0, (diff, diff), 1.0 if diff == 0 else 0.0, math.inf)
    df = (vc + vt) ** 2 / (vc**2 / (control.n - 1) + vt**2 / (treatment.n - 1))
    t_stat = diff / se
    p = float(2.0 * t_dist.sf(abs(t_stat), df))
    q = float(t_dist.ppf(1.0 - alpha / 2.0, df))
    return Estimate(diff, se, (diff - q * se, diff + q * se), p, df)


def normal_test(
    control: VariantSummary, treatment: VariantSummary, alpha: float = 0.05
) -> Estimate:
    """Large-sample z-test for ``mean_t - mean_c`` (used for ratio metrics)."""
    se = math.sqrt(control.variance / control.n + treatment.variance / treatment.n)
    diff = treatment.mean - control.mean
    q = _norm_ppf(1.0 - alpha / 2.0)
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
    q = _norm_ppf(1.0 - alpha / 2.0)
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
    mu_c, mu_t = control.mean, treatment.mean
    if mu_c == 0:
        nan = math.nan
        return Estimate(nan, nan, (nan, nan), nan)
    est = mu_t / mu_c - 1.0
    var = treatment.variance / (treatment.n * mu_c**2) + mu_t**2 * control.variance / (
        control.n * mu_c**4
    )
    se = math.sqrt(var)
    if df is not None and math.isfinite(df):
        from scipy.stats import t as t_dist

        q = float(t_dist.ppf(1.0 - alpha / 2.0, df))
        p = float(2.0 * t_dist.sf(abs(est / se), df)) if se > 0 else (1.0 if est == 0 else 0.0)
        return Estimate(est, se, (est - q * se, est + q * se), p, df)
    q = _norm_ppf(1.0 - alpha / 2.0)
    p = _two_sided_normal_p(est / se) if se > 0 else (1.0 if est == 0 else 0.0)
    return Estimate(est, se, (est - q * se, est + q * se), p)


def ratio_summary(m: Moments) -> VariantSummary:
    """Ratio ``sum_y/sum_x`` with delta-method variance, as a per-unit-equivalent summary."""
    mean_x = m.mean_x
    if mean_x == 0:
        raise ExperimentDataError("ratio metric denominator sums to zero in a variant")
    r = m.sum_y / m.sum_x
    unit_var = (m.var_y - 2.0 * r * m.cov_xy + r * r * m.var_x) / (mean_x * mean_x)
    return VariantSummary(n=m.n, mean=r, variance=max(unit_var, 0.0))


def cuped_summaries(
    control: Moments, treatment: Moments, theta: float | None = None
) -> tuple[VariantSummary, VariantSummary, float]:
    """CUPED-adjusted summaries; ``theta`` defaults to the pooled ``cov(y,x)/var(x)``."""
    pooled = control + treatment
    if theta is None:
        var_x = pooled.var_x
        theta = pooled.cov_xy / var_x if var_x > 0 else 0.0
    xbar = pooled.mean_x

    def adjust(m: Moments) -> VariantSummary:
        var = m.var_y - 2.0 * theta * m.cov_xy + theta * theta * m.var_x
        return VariantSummary(m.n, m.mean_y - theta * (m.mean_x - xbar), max(var, 0.0))

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


def required_sample_size(
    mean: float,
    variance: float,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    allocation_ratio: float = 1.0,
) -> tuple[int, int]:
    """Units needed in (control, treatment) to detect a relative change ``mde``.

    Two-sided normal approximation, per-unit ``variance`` assumed equal in both arms,
    ``allocation_ratio = n_treatment / n_control``.
    """
    delta = abs(mde * mean)
    if delta == 0:
        raise ValueError("mde * mean must be non-zero")
    z = _norm_ppf(1.0 - alpha / 2.0) + _norm_ppf(power)
    n_c = z * z * variance * (1.0 + 1.0 / allocation_ratio) / (delta * delta)
    return math.ceil(n_c), math.ceil(n_c * allocation_ratio)


def achieved_power(effect: float, se: float, alpha: float = 0.05) -> float:
    """Power of the two-sided z-test to detect ``effect`` when the estimate has ``se``."""
    if se <= 0:
        return 1.0
    z = _norm_ppf(1.0 - alpha / 2.0)
    d = abs(effect) / se
    return _norm_cdf(d - z) + _norm_cdf(-d - z)


def adjust_p_values(p_values: Sequence[float], method: Correction = "holm") -> list[float]:
    """Holm step-down or Benjamini-Hochberg adjusted p-values (``"none"`` returns them)."""
    m = len(p_values)
    if method == "none" or m == 0:
        return list(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    if method == "holm":
        running = 0.0
        for rank, i in enumerate(order):
            running = max(running, (m - rank) * p_values[i])
            adjusted[i] = min(1.0, running)
        return adjusted
    if method == "bh":
        running = 1.0
        for rank in range(m - 1, -1, -1):
            i = order[rank]
            running = min(running, p_values[i] * m / (rank + 1))
            adjusted[i] = running
        return adjusted
    raise ValueError(f"unknown correction {method!r}")


# ---------------------------------------------------------------------------
# Bayesian building blocks
# ---------------------------------------------------------------------------


def normal_chance_to_win(
    mean: float, se: float, direction: Direction = "higher"
) -> tuple[float, float, float]:
    """(chance to win, risk of treatment, risk of control) for a ``N(mean, se^2)`` lift posterior.

    With ``g`` the gain in the metric's direction, ``g ~ N(m, s^2)``:
    ``P(g > 0) = Phi(m/s)``, ``E[max(0, -g)] = s phi(m/s) - m Phi(-m/s)`` and
    ``E[max(0, g)] = s phi(m/s) + m Phi(m/s)``.
    """
    m = mean if direction == "higher" else -mean
    if not math.isfinite(m) or not math.isfinite(se):
        return math.nan, math.nan, math.nan
    if se <= 0:
        return (1.0 if m > 0 else 0.0), max(-m, 0.0), max(m, 0.0)
    z = m / se
    pdf = math.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
    return _norm_cdf(z), se * pdf - m * _norm_cdf(-z), se * pdf + m * _norm_cdf(z)


def _expected_excess(a_hi: float, b_hi: float, a_lo: float, b_lo: float) -> float:
    """``E[max(0, P_hi - P_lo)]`` for independent ``P_hi ~ Beta(a_hi, b_hi)``, ``P_lo ~ Beta``."""
    from scipy import integrate
    from scipy.stats import beta as beta_dist

    m_hi = a_hi / (a_hi + b_hi)

    def integrand(y: float) -> float:
        tail_mean = m_hi * float(beta_dist.sf(y, a_hi + 1, b_hi)) - y * float(
            beta_dist.sf(y, a_hi, b_hi)
        )
        return float(beta_dist.pdf(y, a_lo, b_lo)) * tail_mean

    lo, hi = _beta_support(a_lo, b_lo)
    value, _ = integrate.quad(integrand, lo, hi, limit=200, epsabs=1e-13, epsrel=1e-10)
    return float(value)


def _beta_support(a: float, b: float) -> tuple[float, float]:
    from scipy.stats import beta as beta_dist

    return float(beta_dist.ppf(1e-13, a, b)), float(beta_dist.isf(1e-13, a, b))


def beta_chance_to_win(
    successes_c: float,
    n_c: int,
    successes_t: float,
    n_t: int,
    direction: Direction = "higher",
) -> tuple[float, float, float]:
    """(chance to win, risk of treatment, risk of control) under ``Beta(1, 1)`` priors.

    Chance to win is ``P(p_t > p_c)`` (``P(p_t < p_c)`` if lower is better),
    computed as ``integral f_c(y) P(p_t > y) dy``. Risks are expected absolute
    losses divided by the posterior mean of the control rate.
    """
    from scipy import integrate
    from scipy.stats import beta as beta_dist

    a_c, b_c = 1.0 + successes_c, 1.0 + n_c - successes_c
    a_t, b_t = 1.0 + successes_t, 1.0 + n_t - successes_t

    def integrand(y: float) -> float:
        return float(beta_dist.pdf(y, a_c, b_c)) * float(beta_dist.sf(y, a_t, b_t))

    lo, hi = _beta_support(a_c, b_c)
    p_t_higher, _ = integrate.quad(integrand, lo, hi, limit=200, epsabs=1e-13, epsrel=1e-10)
    p_t_higher = min(max(float(p_t_higher), 0.0), 1.0)
    control_mean = a_c / (a_c + b_c)
    t_excess = _expected_excess(a_t, b_t, a_c, b_c)  # E[max(0, p_t - p_c)]
    c_excess = _expected_excess(a_c, b_c, a_t, b_t)  # E[max(0, p_c - p_t)]
    if direction == "higher":
        return p_t_higher, c_excess / control_mean, t_excess / control_mean
    return 1.0 - p_t_higher, t_excess / control_mean, c_excess / control_mean


# ---------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------


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
        for m, v in ((mc, control), (mt, treatment)):
            # y(1-y) >= 0 on [0, 1], so sum(y) == sum(y^2) there means every y is 0 or 1.
            if m.min_y < 0 or m.max_y > 1 or abs(m.sum_y - m.sum_y2) > 1e-9 * max(m.n, 1):
                raise ExperimentDataError(
                    f"proportion metric column {spec.value_column!r} has values other "
                    f"than 0/1 for {variant_column}={v!r}"
                )
        sc = VariantSummary(mc.n, mc.mean_y, mc.mean_y * (1.0 - mc.mean_y))
        st = VariantSummary(mt.n, mt.mean_y, mt.mean_y * (1.0 - mt.mean_y))
        absolute = two_proportion_test(mc.n, mc.sum_y, mt.n, mt.sum_y, alpha)
        ctw, risk_t, risk_c = beta_chance_to_win(mc.sum_y, mc.n, mt.sum_y, mt.n, spec.direction)
    else:
        if spec.kind == "ratio":
            sc, st = ratio_summary(mc), ratio_summary(mt)
            absolute = normal_test(sc, st, alpha)
        elif cuped:
            plain_c = VariantSummary(mc.n, mc.mean_y, mc.var_y)
            plain_t = VariantSummary(mt.n, mt.mean_y, mt.var_y)
            sc, st, theta = cuped_summaries(mc, mt)
            absolute = welch_test(sc, st, alpha)
            plain_var = plain_c.variance / plain_c.n + plain_t.variance / plain_t.n
            reduction = 1.0 - absolute.se**2 / plain_var if plain_var > 0 else 0.0
        else:
            sc = VariantSummary(mc.n, mc.mean_y, mc.var_y)
            st = VariantSummary(mt.n, mt.mean_y, mt.var_y)
            absolute = welch_test(sc, st, alpha)
    relative = relative_lift(sc, st, alpha, absolute.df)
    if spec.kind != "proportion":
        ctw, risk_t, risk_c = normal_chance_to_win(relative.estimate, relative.se, spec.direction)
    required: tuple[int, int] | None = None
    power_now: float | None = None
    if mde is not None and sc.mean != 0 and sc.variance > 0:
        required = required_sample_size(sc.mean, sc.variance, mde, alpha, power, allocation_ratio)
        power_now = achieved_power(mde * sc.mean, absolute.se, alpha)
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
    wins = losses = 0
    for res in results.values():
        if res.spec.role != "primary" or res.adjusted_p_value is None:
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


# ---------------------------------------------------------------------------
# Renderers
# ---------------------------------------------------------------------------


def _fmt(x: float | None, spec: str = ".4g") -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return format(x, spec)


def _pct(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100.0 * x:+.2f}%"


def render_text(result: ExperimentResult) -> str:
    """Plain-text report."""
    lines = [
        f"Experiment: {result.treatment} vs {result.control}",
        f"Decision: {result.decision}" + (f" (winner: {result.winner})" if result.winner else ""),
        f"SRM: p={_fmt(result.srm.p_value)} flagged={result.srm.flagged} "
        f"observed={result.srm.observed}",
    ]
    for name, m in result.metrics.items():
        lo, hi = m.relative.ci
        lines.append(
            f"- {name} [{m.spec.role}, {m.spec.kind}, {m.spec.direction} is better]: "
            f"control={_fmt(m.control.mean)} (n={m.control.n}) "
            f"treatment={_fmt(m.treatment.mean)} (n={m.treatment.n}) "
            f"lift={_pct(m.relative.estimate)} CI [{_pct(lo)}, {_pct(hi)}] "
            f"p={_fmt(m.absolute.p_value)} adj_p={_fmt(m.adjusted_p_value)} "
            f"chance_to_win={_fmt(m.chance_to_win, '.3f')}"
        )
    for g in result.guardrails:
        status = "pass" if g.passed else "FAIL"
        lines.append(
            f"guardrail {g.name}: {status} harm={_pct(g.harm)} upper={_pct(g.harm_upper)} "
            f"max_loss={_pct(g.max_loss)}"
        )
    lines.extend(f"note: {n}" for n in result.notes)
    return "\n".join(lines) + "\n"


def render_markdown(result: ExperimentResult) -> str:
    """Markdown report (a summary line, an SRM line and a metrics table)."""
    out = [
        f"### Experiment: `{result.treatment}` vs `{result.control}`",
        "",
        f"**Decision:** {result.decision}"
        + (f" (winner: `{result.winner}`)" if result.winner else ""),
        "",
        f"**SRM:** p = {_fmt(result.srm.p_value)}"
        + (" -- **sample-ratio mismatch**" if result.srm.flagged else " (ok)"),
        "",
        "| metric | role | control | treatment | lift | CI | p (adj.) | chance to win |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in result.metrics.items():
        lo, hi = m.relative.ci
        shown_p = m.absolute.p_value if m.adjusted_p_value is None else m.adjusted_p_value
        out.append(
            f"| {name} | {m.spec.role} | {_fmt(m.control.mean)} (n={m.control.n}) | "
            f"{_fmt(m.treatment.mean)} (n={m.treatment.n}) | {_pct(m.relative.estimate)} | "
            f"[{_pct(lo)}, {_pct(hi)}] | {_fmt(shown_p)} | "
            f"{_fmt(m.chance_to_win, '.3f')} |"
        )
    if result.guardrails:
        out += [
            "",
            "| guardrail | harm | upper bound | max loss | status |",
            "|---|---|---|---|---|",
        ]
        out.extend(
            f"| {g.name} | {_pct(g.harm)} | {_pct(g.harm_upper)} | {_pct(g.max_loss)} | "
            f"{'pass' if g.passed else '**fail**'} |"
            for g in result.guardrails
        )
    return "\n".join(out) + "\n"
