"""Bayesian building blocks: chance to beat control and expected loss (risk).

The priors and posteriors are documented in :mod:`galfriday_gitops.stats.experiment`.
"""

from __future__ import annotations

import math

from galfriday_gitops.stats.experiment.frequentist import norm_cdf
from galfriday_gitops.stats.experiment.results import Direction


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
    return norm_cdf(z), se * pdf - m * norm_cdf(-z), se * pdf + m * norm_cdf(z)


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
