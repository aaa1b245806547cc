"""Seeded simulation checks of the experiment analysis; tolerances come from binomial/normal SEs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats
from scipy.special import betaln

from galfriday_gitops.stats.experiment import (
    VariantSummary,
    beta_chance_to_win,
    cuped_summaries,
    normal_chance_to_win,
    ratio_summary,
    relative_lift,
    required_sample_size,
    welch_test,
)
from galfriday_gitops.stats.suffstats import Moments


def _prob_b_beats_a_exact(a_a: int, b_a: int, a_b: int, b_b: int) -> float:
    """Closed-form P(p_B > p_A) for Beta posteriors with integer a_B (a finite sum)."""
    i = np.arange(a_b)
    terms = betaln(a_a + i, b_b + b_a) - np.log(b_b + i) - betaln(1 + i, b_b) - betaln(a_a, b_a)
    return float(np.exp(terms).sum())


def test_beta_chance_to_win_matches_exact_sum() -> None:
    ctw, _, _ = beta_chance_to_win(120, 1000, 145, 1000, "higher")
    exact = _prob_b_beats_a_exact(121, 881, 146, 856)
    assert ctw == pytest.approx(exact, abs=1e-8)
    lower, _, _ = beta_chance_to_win(120, 1000, 145, 1000, "lower")
    assert lower == pytest.approx(1 - exact, abs=1e-8)


def test_beta_chance_to_win_and_risk_match_monte_carlo() -> None:
    rng = np.random.default_rng(42)
    draws = 400_000
    pc = rng.beta(1 + 30, 1 + 970, draws)
    pt = rng.beta(1 + 42, 1 + 958, draws)
    ctw, risk_t, risk_c = beta_chance_to_win(30, 1000, 42, 1000, "higher")
    mc = float(np.mean(pt > pc))
    assert ctw == pytest.approx(mc, abs=4 * math.sqrt(mc * (1 - mc) / draws))
    control_mean = 31 / 1002
    loss_t = np.maximum(pc - pt, 0) / control_mean
    loss_c = np.maximum(pt - pc, 0) / control_mean
    assert risk_t == pytest.approx(loss_t.mean(), abs=4 * loss_t.std() / math.sqrt(draws))
    assert risk_c == pytest.approx(loss_c.mean(), abs=4 * loss_c.std() / math.sqrt(draws))


def test_normal_chance_to_win_matches_monte_carlo_on_posterior_means() -> None:
    # Flat prior on the means: mu_v ~ N(mean_v, var_v / n_v); the lift posterior is ~normal.
    c = VariantSummary(n=4000, mean=10.0, variance=25.0)
    t = VariantSummary(n=4000, mean=10.15, variance=25.0)
    rel = relative_lift(c, t)
    ctw, risk_t, _ = normal_chance_to_win(rel.estimate, rel.se)
    rng = np.random.default_rng(7)
    draws = 400_000
    mu_c = rng.normal(c.mean, math.sqrt(c.variance / c.n), draws)
    mu_t = rng.normal(t.mean, math.sqrt(t.variance / t.n), draws)
    lift = mu_t / mu_c - 1
    mc = float(np.mean(lift > 0))
    assert ctw == pytest.approx(mc, abs=4 * math.sqrt(mc * (1 - mc) / draws) + 2e-3)
    loss = np.maximum(-lift, 0)
    assert risk_t == pytest.approx(loss.mean(), rel=0.05)


def test_relative_ci_coverage() -> None:
    rng = np.random.default_rng(1)
    sims, n = 2000, 400
    covered = 0
    for _ in range(sims):
        a = rng.exponential(10.0, n)
        b = rng.exponential(10.5, n)
        res = relative_lift(
            VariantSummary(n, a.mean(), a.var(ddof=1)), VariantSummary(n, b.mean(), b.var(ddof=1))
        )
        covered += res.ci[0] <= 0.05 <= res.ci[1]
    rate = covered / sims
    assert abs(rate - 0.95) < 4 * math.sqrt(0.95 * 0.05 / sims) + 0.005


def test_ratio_delta_method_variance_matches_simulation() -> None:
    rng = np.random.default_rng(2)
    sims, n = 1500, 500
    ratios, predicted = [], []
    for _ in range(sims):
        den = rng.poisson(4, n) + 1.0
        num = den * rng.gamma(2.0, 1.0, n) + rng.normal(0, 1, n)
        summary = ratio_summary(Moments.from_values(num, den))
        ratios.append(summary.mean)
        predicted.append(summary.variance / n)
    empirical = float(np.var(ratios, ddof=1))
    # Sampling SE of a variance estimate from `sims` draws is ~ var * sqrt(2/(sims-1)).
    assert float(np.mean(predicted)) == pytest.approx(empirical, rel=4 * math.sqrt(2 / sims))
    assert float(np.mean(ratios)) == pytest.approx(2.0, abs=0.01)


def test_cuped_unbiased_and_lower_variance_by_simulation() -> None:
    rng = np.random.default_rng(3)
    sims, n, effect = 600, 500, 0.3
    plain_est, cuped_est = [], []
    for _ in range(sims):
        x_c, x_t = rng.normal(5, 2, n), rng.normal(5, 2, n)
        y_c = 1.5 * x_c + rng.normal(0, 1.5, n)
        y_t = 1.5 * x_t + rng.normal(0, 1.5, n) + effect
        mc, mt = Moments.from_values(y_c, x_c), Moments.from_values(y_t, x_t)
        c, t, _ = cuped_summaries(mc, mt)
        cuped_est.append(welch_test(c, t).estimate)
        plain_est.append(mt.mean_y - mc.mean_y)
    cuped_arr, plain_arr = np.array(cuped_est), np.array(plain_est)
    assert cuped_arr.mean() == pytest.approx(effect, abs=4 * cuped_arr.std() / math.sqrt(sims))
    # Theory: var ratio = 1 - rho^2 = 1 - 9/11.25 = 0.2; allow sampling noise of the variances.
    assert cuped_arr.var() / plain_arr.var() == pytest.approx(0.2, rel=0.25)


def test_achieved_power_by_simulation() -> None:
    mean, sd, mde, power = 10.0, 3.0, 0.03, 0.8
    n, _ = required_sample_size(mean, sd * sd, mde, alpha=0.05, power=power)
    rng = np.random.default_rng(4)
    sims = 2000
    a = rng.normal(mean, sd, (sims, n))
    b = rng.normal(mean * (1 + mde), sd, (sims, n))
    p = stats.ttest_ind(b, a, axis=1, equal_var=False).pvalue
    rate = float(np.mean(p < 0.05))
    assert rate == pytest.approx(power, abs=4 * math.sqrt(power * (1 - power) / sims))
