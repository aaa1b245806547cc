"""Always-valid inference: formulas, and A/A peeking simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest

from galfriday_gitops.stats.sequential import (
    SequentialMonitor,
    always_valid_p_value,
    confidence_sequence_halfwidth,
    msprt,
    simulate_aa_peeking,
)


def test_msprt_closed_form() -> None:
    d, v, tau2, alpha = 0.3, 0.01, 0.04, 0.05
    lam = math.sqrt(v / (v + tau2)) * math.exp(tau2 * d * d / (2 * v * (v + tau2)))
    half = math.sqrt(
        2 * v * (v + tau2) / tau2 * (math.log(1 / alpha) + 0.5 * math.log((v + tau2) / v))
    )
    res = msprt(d, v, tau2, alpha)
    assert res.p_value == pytest.approx(1 / lam, rel=1e-12)
    assert res.ci == pytest.approx((d - half, d + half), rel=1e-12)


def test_p_value_below_alpha_iff_zero_outside_sequence() -> None:
    rng = np.random.default_rng(0)
    d = rng.normal(0, 0.2, 500)
    v = rng.uniform(0.001, 0.02, 500)
    p = always_valid_p_value(d, v, 0.01)
    half = confidence_sequence_halfwidth(v, 0.01, 0.05)
    assert np.array_equal(p < 0.05, np.abs(d) > half)


def test_sequence_wider_than_fixed_interval() -> None:
    v = np.array([1e-4, 1e-3, 1e-2])
    assert np.all(confidence_sequence_halfwidth(v, 1e-3, 0.05) > 1.96 * np.sqrt(v))


def test_invalid_arguments() -> None:
    with pytest.raises(ValueError, match="tau2"):
        msprt(0.1, 0.01, 0.0)
    with pytest.raises(ValueError, match="alpha"):
        confidence_sequence_halfwidth(0.01, 0.01, 1.5)


def test_monitor_keeps_running_minimum_and_intersection() -> None:
    mon = SequentialMonitor(tau2=0.01)
    first = mon.update(0.2, 0.004)
    second = mon.update(0.05, 0.002)
    assert second.p_value == min(first.p_value, mon.looks[1].p_value)
    assert second.ci == (
        max(mon.looks[0].ci[0], mon.looks[1].ci[0]),
        min(mon.looks[0].ci[1], mon.looks[1].ci[1]),
    )
    assert len(mon.looks) == 2


def test_aa_peeking_fixed_inflates_sequential_controls() -> None:
    sims, alpha = 400, 0.05
    fpr_fixed, fpr_seq = simulate_aa_peeking(
        n_sims=sims, n_looks=20, batch_per_look=100, alpha=alpha, tau=0.1, seed=2024
    )
    se = math.sqrt(alpha * (1 - alpha) / sims)
    assert fpr_fixed > alpha + 4 * se  # peeking at a fixed-horizon test: well above alpha
    assert fpr_seq <= alpha + 2 * se  # always-valid: stays at or below alpha


def test_confidence_sequence_coverage_over_all_looks() -> None:
    rng = np.random.default_rng(5)
    sims, looks, batch, effect, tau2 = 300, 25, 50, 0.2, 0.01
    x = rng.normal(effect, 1.0, (sims, looks * batch))
    y = rng.normal(0.0, 1.0, (sims, looks * batch))
    n = batch * np.arange(1, looks + 1)
    idx = n - 1
    mx = np.cumsum(x, axis=1)[:, idx] / n
    my = np.cumsum(y, axis=1)[:, idx] / n
    v = 2.0 / n  # known unit variances
    half = confidence_sequence_halfwidth(v, tau2, 0.05)
    miss = (np.abs(mx - my - effect) > half).any(axis=1).mean()
    assert miss <= 0.05 + 2 * math.sqrt(0.05 * 0.95 / sims)
