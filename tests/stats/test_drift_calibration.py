"""Calibration: false-positive rates under no drift, power against planted shifts.

Tolerance: the observed number of rejections in N independent no-drift trials is
Binomial(N, 0.05) if the test is calibrated; we require a two-sided binomial test
p-value above 0.001 (for KS, whose exact discrete distribution is slightly
conservative, the rate may also be lower, so only the upper side is tested there).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from galfriday_gitops.stats import drift
from galfriday_gitops.stats.drift import DriftConfig, NumericTestsConfig, analyze

ALPHA = 0.05
TRIALS = 1000


def _binom_p(k: int, n: int, alternative: str = "two-sided") -> float:
    return float(stats.binomtest(k, n, ALPHA, alternative=alternative).pvalue)


def test_ks_false_positive_rate_small_samples() -> None:
    rng = np.random.default_rng(2024)
    rejections = 0
    for _ in range(TRIALS):
        n1, n2 = rng.integers(30, 300, size=2)
        _, p = drift.ks_2samp(rng.normal(size=n1), rng.normal(size=n2))
        rejections += p < ALPHA
    rate = rejections / TRIALS
    assert 0.02 <= rate <= 0.08, rate
    assert _binom_p(rejections, TRIALS, "greater") > 1e-3


def test_ks_false_positive_rate_asymptotic_path() -> None:
    rng = np.random.default_rng(7)
    rejections = 0
    trials = 200
    for _ in range(trials):
        _, p = drift.ks_2samp(rng.normal(size=12000), rng.normal(size=11000))
        rejections += p < ALPHA
    assert _binom_p(rejections, trials) > 1e-3, rejections / trials


def test_chi2_false_positive_rate_through_analyze() -> None:
    rng = np.random.default_rng(11)
    probs = [0.4, 0.3, 0.2, 0.1]
    cats = np.array(["a", "b", "c", "d"])
    cfg = DriftConfig(correction="none")
    rejections = 0
    for _ in range(TRIALS):
        ref = pd.DataFrame({"c": rng.choice(cats, size=200, p=probs)})
        cur = pd.DataFrame({"c": rng.choice(cats, size=150, p=probs)})
        rep = analyze(ref, cur, categorical=["c"], config=cfg)
        rejections += rep.features["c"].tests["chi2"].drifted
    assert _binom_p(rejections, TRIALS) > 1e-3, rejections / TRIALS


def test_two_sample_chi2_keeps_nominal_rate_where_goodness_of_fit_inflates() -> None:
    """Small reference: treating its proportions as the truth (GOF) ignores their noise."""
    rng = np.random.default_rng(5)
    probs = [0.4, 0.3, 0.2, 0.1]
    ours = gof = done = 0
    while done < TRIALS:
        ref = rng.multinomial(60, probs)
        cur = rng.multinomial(60, probs)
        if np.any(ref == 0):  # GOF is undefined with a zero expected count
            continue
        done += 1
        _, p, _ = drift.chi2_two_sample(ref, cur)
        ours += p < ALPHA
        p_gof = stats.chisquare(cur, f_exp=ref / ref.sum() * cur.sum()).pvalue
        gof += p_gof < ALPHA
    assert _binom_p(ours, TRIALS) > 1e-3, ours / TRIALS
    assert gof / TRIALS > 0.12, gof / TRIALS  # about 0.2 with equal sample sizes
    assert gof > 2 * ours


def test_planted_mean_shift_is_detected() -> None:
    rng = np.random.default_rng(99)
    n = 5000
    cfg_ks_only = DriftConfig(
        numeric=NumericTestsConfig(ks_alpha=ALPHA, wasserstein_max=None, psi_max=None)
    )
    detected = 0
    for _ in range(10):
        ref = pd.DataFrame({"x": rng.normal(size=n)})
        cur = pd.DataFrame({"x": rng.normal(0.2, 1.0, size=n)})
        rep = analyze(ref, cur, numeric=["x"], config=cfg_ks_only)
        detected += rep.features["x"].drifted
        assert 0.15 <= rep.features["x"].tests["wasserstein"].statistic <= 0.25
    assert detected == 10


def test_planted_category_shift_is_detected() -> None:
    rng = np.random.default_rng(3)
    cats = np.array(["a", "b", "c"])
    ref = pd.DataFrame({"c": rng.choice(cats, size=3000, p=[0.5, 0.3, 0.2])})
    cur = pd.DataFrame({"c": rng.choice(cats, size=3000, p=[0.45, 0.3, 0.25])})
    cfg = DriftConfig(numeric=NumericTestsConfig(), correction="none")
    rep = analyze(ref, cur, categorical=["c"], config=cfg)
    assert rep.features["c"].tests["chi2"].drifted
    assert not rep.features["c"].tests["jensenshannon"].drifted  # a small distance
