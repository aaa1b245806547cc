"""Sample size and power with each arm's own variance, against statsmodels and simulation;
Cohen's d and h against their definitions and statsmodels."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from galfriday_gitops.stats.experiment import (
    MetricSpec,
    achieved_power,
    analyze_frame,
    cohen_d,
    cohen_h,
    proportion_sample_size,
    required_sample_size,
)
from galfriday_gitops.stats.experiment.power import _solve_units


def _statsmodels_units(delta: float, var_c: float, var_t: float, k: float, power: float) -> float:
    """statsmodels' n1 for the standardised effect that gives our difference's variance."""
    standardised = delta / math.sqrt((var_c + var_t / k) / (1.0 + 1.0 / k))
    return float(NormalIndPower().solve_power(standardised, alpha=0.05, power=power, ratio=k))


@pytest.mark.parametrize("k", [1.0, 0.25, 3.0])
@pytest.mark.parametrize(("var_c", "var_t"), [(9.0, 9.0), (9.0, 16.0), (4.0, 1.0)])
@pytest.mark.parametrize("power", [0.8, 0.9])
def test_means_with_unequal_variances_and_allocation_equal_statsmodels(
    k: float, var_c: float, var_t: float, power: float
) -> None:
    mean, mde = 10.0, 0.05
    expected = _statsmodels_units(mde * mean, var_c, var_t, k, power)
    sigma = math.sqrt(var_c + var_t / k)
    assert _solve_units(mde * mean, sigma, 0.05, power) == pytest.approx(expected, rel=1e-6)
    n_c, n_t = required_sample_size(mean, var_c, mde, 0.05, power, k, treatment_variance=var_t)
    assert n_c == math.ceil(expected) and n_t == math.ceil(expected * k)


def test_proportions_use_the_planned_rate_and_agree_with_cohens_h() -> None:
    # Before: control variance for both arms, 14,128 a side (78 % power) at p = 0.10, +10 %.
    n_c, n_t = proportion_sample_size(0.10, 0.10)
    assert (n_c, n_t) == (14_749, 14_749)
    by_h = NormalIndPower().solve_power(proportion_effectsize(0.11, 0.10), alpha=0.05, power=0.8)
    assert n_c == pytest.approx(by_h, rel=1e-3)  # 14,744.1: the arcsine approximation
    # Cohen's h treats both arms as equally variable: close with equal allocation, 1 % apart
    # at k = 2 with a falling rate (both plans reach 80 %: see the simulation below).
    for rate, mde, k, within in [
        (0.02, 0.2, 1.0, 3e-3),
        (0.1, 0.3, 1.0, 3e-3),
        (0.5, 0.05, 0.5, 3e-3),
        (0.3, -0.1, 2.0, 1.5e-2),
    ]:
        n_c, _ = proportion_sample_size(rate, mde, allocation_ratio=k)
        h = proportion_effectsize(rate * (1 + mde), rate)
        by_h = NormalIndPower().solve_power(h, alpha=0.05, ratio=k, power=0.8)
        assert n_c == pytest.approx(by_h, rel=within)


@pytest.mark.parametrize(("rate", "mde", "k"), [(0.10, 0.10, 1.0), (0.30, -0.10, 2.0)])
def test_simulated_power_of_the_real_test_at_the_planned_size_is_the_target(
    rate: float, mde: float, k: float
) -> None:
    # The two-proportion z-test the analysis runs, 20,000 times at the planned sizes.
    n_c, n_t = proportion_sample_size(rate, mde, allocation_ratio=k)
    rng = np.random.default_rng(8)
    ones_c = rng.binomial(n_c, rate, size=20_000)
    ones_t = rng.binomial(n_t, rate * (1 + mde), size=20_000)
    pooled = (ones_c + ones_t) / (n_c + n_t)
    se = np.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    z = (ones_t / n_t - ones_c / n_c) / se
    power = float(np.mean(2 * stats.norm.sf(np.abs(z)) < 0.05))
    assert 0.79 <= power <= 0.815, power  # 0.8 within ~3.5 standard errors (0.0028)


def test_power_at_the_required_size_is_the_target_and_extremes_are_refused() -> None:
    n, _ = required_sample_size(10.0, 9.0, 0.05, power=0.9, treatment_variance=16.0)
    assert achieved_power(0.5, math.sqrt(9.0 / n + 16.0 / n)) == pytest.approx(0.9, abs=1e-4)
    with pytest.raises(ValueError, match="non-zero"):
        required_sample_size(0.0, 1.0, 0.1)
    with pytest.raises(ValueError, match="units a side"):
        required_sample_size(1e-12, 1e12, 1e-6)  # no plan can be finite here
    with pytest.raises(ValueError, match="between 0 and 1"):
        proportion_sample_size(0.95, 0.1)


def test_cohens_d_and_h() -> None:
    rng = np.random.default_rng(2)
    c, t = rng.normal(0, 2, 300), rng.normal(0.5, 3, 500)
    pooled = math.sqrt(((299) * c.var(ddof=1) + 499 * t.var(ddof=1)) / 798)
    d = cohen_d(float(t.mean() - c.mean()), float(c.var(ddof=1)), 300, float(t.var(ddof=1)), 500)
    assert d == pytest.approx(float(t.mean() - c.mean()) / pooled, rel=1e-12)
    assert cohen_h(0.10, 0.11) == pytest.approx(float(proportion_effectsize(0.11, 0.10)), rel=1e-12)
    assert math.isnan(cohen_d(1.0, 0.0, 10, 0.0, 10))


def test_analysis_reports_standardised_effects_and_unpooled_plans() -> None:
    rng = np.random.default_rng(4)
    n = 4000
    df = {
        "variant": np.repeat(["control", "treatment"], n),
        "y": np.concatenate([rng.normal(10, 3, n), rng.normal(10.3, 4, n)]),
        "conv": np.concatenate([rng.random(n) < 0.10, rng.random(n) < 0.12]).astype(int),
    }
    res = analyze_frame(
        pd.DataFrame(df),
        variant_column="variant",
        control="control",
        metrics=[MetricSpec("y"), MetricSpec("conv", kind="proportion", role="secondary")],
        mde=0.05,
    )
    y, conv = res.to_dict()["metrics"]["y"], res.to_dict()["metrics"]["conv"]
    mc, mt = res.metrics["y"].control, res.metrics["y"].treatment
    expected_d = cohen_d(mt.mean - mc.mean, mc.variance, n, mt.variance, n)
    assert y["effect_size"] == {"cohen_d": pytest.approx(expected_d, rel=1e-12)}
    pc, pt = res.metrics["conv"].control.mean, res.metrics["conv"].treatment.mean
    assert conv["effect_size"] == {"cohen_h": pytest.approx(cohen_h(pc, pt), rel=1e-12)}
    # The plan uses the treatment's own (larger) variance, not the control's twice.
    planned = required_sample_size(mc.mean, mc.variance, 0.05, treatment_variance=mt.variance)
    assert tuple(y["power"]["required_n"].values()) == planned
    assert planned[0] > required_sample_size(mc.mean, mc.variance, 0.05)[0]
    assert tuple(conv["power"]["required_n"].values()) == proportion_sample_size(pc, 0.05)
