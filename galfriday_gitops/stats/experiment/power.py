"""Sample size, power and standardised effect sizes (Cohen's d and h).

Each arm keeps its own variance (unpooled): to detect an absolute difference ``delta``
with ``n_t = k n_c`` units, the difference of means has standard error
``se(n_c) = sqrt((var_c + var_t / k) / n_c)`` and the two-sided level-``alpha`` z-test
has power ``Phi(delta/se - z) + Phi(-delta/se - z)`` with ``z = z_{1-alpha/2}``.
:func:`required_sample_size` solves ``power(n_c) = target`` exactly (both tails, as
statsmodels' ``NormalIndPower.solve_power`` does) and rounds up. For a proportion the
treatment's variance is that of the rate the MDE plans for, ``p_t (1 - p_t)`` with
``p_t = p_c (1 + mde)`` -- not the control's: at ``p = 0.10`` and +10 % the pooled
shortcut asks for 14,128 units a side (78 % power) where 14,749 are needed.

Agreement with statsmodels (``tests/stats/test_power.py``): the same ``n`` as
``NormalIndPower`` given the standardised effect ``delta / sqrt((var_c + var_t/k)/(1+1/k))``
(exact), within 0.1 % of its Cohen's-h answer for proportions, and a simulation of the
real two-proportion test at the planned ``n`` hits the target power.
"""

from __future__ import annotations

import math

from galfriday_gitops.stats.experiment.frequentist import norm_cdf, norm_ppf

__all__ = [
    "achieved_power",
    "cohen_d",
    "cohen_h",
    "proportion_sample_size",
    "required_sample_size",
]

#: Above this many units a side the plan is reported as not computable.
MAX_UNITS = 1e15


def achieved_power(effect: float, se: float, alpha: float = 0.05) -> float:
    """Power of the two-sided z-test to detect ``effect`` when the estimate has ``se``."""
    if se <= 0:
        return 1.0
    z = norm_ppf(1.0 - alpha / 2.0)
    d = abs(effect) / se
    return norm_cdf(d - z) + norm_cdf(-d - z)


def _solve_units(delta: float, sigma: float, alpha: float, power: float) -> float:
    """Control units (real-valued) at which ``achieved_power`` reaches ``power``."""
    from scipy.optimize import brentq

    z_alpha, z_power = norm_ppf(1.0 - alpha / 2.0), norm_ppf(power)
    ratio = (z_alpha + z_power) * (sigma / delta)  # the one-tail answer's square root
    one_tail = ratio * ratio
    if not math.isfinite(one_tail) or one_tail > MAX_UNITS:
        raise ValueError(f"more than {MAX_UNITS:.0e} units a side would be needed")

    def gap(n: float) -> float:
        return achieved_power(delta, sigma / math.sqrt(n), alpha) - power

    # The other tail only adds power, so the answer lies just below the one-tail one.
    if one_tail <= 1e-9 or gap(one_tail * 0.5) >= 0:
        return one_tail
    return float(brentq(gap, one_tail * 0.5, one_tail, xtol=1e-10, rtol=1e-14))


def required_sample_size(
    mean: float,
    variance: float,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    allocation_ratio: float = 1.0,
    *,
    treatment_variance: float | None = None,
) -> tuple[int, int]:
    """Units needed in (control, treatment) to detect a relative change ``mde`` of ``mean``.

    ``variance`` is the control's per-unit variance and ``treatment_variance`` the
    treatment's (default: the same); ``allocation_ratio = n_treatment / n_control``.
    Raises ``ValueError`` when no finite plan exists (a zero effect, or more than
    :data:`MAX_UNITS` units).
    """
    delta = abs(mde) * abs(mean)
    if not delta > 0 or not math.isfinite(delta):
        raise ValueError("mde * mean must be a non-zero finite number")
    var_t = variance if treatment_variance is None else treatment_variance
    k = allocation_ratio
    sigma = math.sqrt(variance + var_t / k)
    n_c = _solve_units(delta, sigma, alpha, power)
    return math.ceil(n_c - 1e-9), math.ceil(n_c * k - 1e-9)


def proportion_sample_size(
    rate: float,
    mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    allocation_ratio: float = 1.0,
) -> tuple[int, int]:
    """:func:`required_sample_size` for a conversion ``rate`` and its planned ``rate (1+mde)``."""
    planned = rate * (1.0 + mde)
    if not 0.0 < rate < 1.0 or not 0.0 < planned < 1.0:
        raise ValueError("rates must lie strictly between 0 and 1")
    return required_sample_size(
        rate,
        rate * (1.0 - rate),
        mde,
        alpha,
        power,
        allocation_ratio,
        treatment_variance=planned * (1.0 - planned),
    )


def cohen_d(diff: float, var_c: float, n_c: int, var_t: float, n_t: int) -> float:
    """Cohen's d: the difference over the pooled standard deviation (``n - 1`` weights)."""
    pooled = ((n_c - 1) * var_c + (n_t - 1) * var_t) / (n_c + n_t - 2)
    if not pooled > 0:
        return math.nan
    return diff / math.sqrt(pooled)


def cohen_h(rate_c: float, rate_t: float) -> float:
    """Cohen's h, ``2 asin(sqrt(p_t)) - 2 asin(sqrt(p_c))`` (statsmodels' proportion_effectsize)."""
    return 2.0 * math.asin(math.sqrt(rate_t)) - 2.0 * math.asin(math.sqrt(rate_c))
