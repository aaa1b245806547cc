"""ADWIN and Page-Hinkley: false alarms without drift, delay after a planted change."""

from __future__ import annotations

import math

import numpy as np
import pytest

from galfriday_gitops.stats.streaming import ADWIN, PageHinkley

CHANGE_AT = 10_000


def _bernoulli(rng: np.random.Generator, n: int, p: float) -> np.ndarray:
    return (rng.random(n) < p).astype(np.float64)


def _changed_stream(seed: int, p0: float = 0.2, p1: float = 0.5) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return np.concatenate([_bernoulli(rng, CHANGE_AT, p0), _bernoulli(rng, 5_000, p1)])


@pytest.mark.parametrize("detector", [ADWIN, PageHinkley])
def test_few_false_alarms_on_long_no_drift_stream(detector: type[ADWIN | PageHinkley]) -> None:
    alarms = 0
    for seed in range(3):
        stream = _bernoulli(np.random.default_rng(seed), 100_000, 0.2)
        alarms += len(detector().detect(stream))
    assert alarms <= 1  # 300,000 elements in total


@pytest.mark.parametrize("detector", [ADWIN, PageHinkley])
def test_detects_planted_change_quickly(detector: type[ADWIN | PageHinkley]) -> None:
    delays = []
    for seed in range(5):
        alarms = detector().detect(_changed_stream(seed))
        before = [a for a in alarms if a < CHANGE_AT]
        after = [a for a in alarms if a >= CHANGE_AT]
        assert before == []
        assert after, "change 0.2 -> 0.5 not detected"
        delays.append(after[0] - CHANGE_AT)
    assert max(delays) < 600, delays


def test_adwin_detects_decrease_and_shrinks_window() -> None:
    rng = np.random.default_rng(1)
    stream = np.concatenate([_bernoulli(rng, 5000, 0.5), _bernoulli(rng, 3000, 0.1)])
    ad = ADWIN()
    alarms = ad.detect(stream)
    assert alarms
    assert 5000 <= alarms[0] < 5600
    assert ad.width < 3300  # the pre-change part was dropped (up to bucket granularity)
    assert ad.estimation == pytest.approx(0.1, abs=0.03)


def test_adwin_memory_is_logarithmic_and_statistics_exact() -> None:
    rng = np.random.default_rng(2)
    x = rng.normal(size=50_000)
    ad = ADWIN(max_buckets=5)
    assert ad.detect(x) == []
    assert ad.width == 50_000
    assert ad.n_buckets <= (5 + 1) * (math.floor(math.log2(50_000)) + 1)
    assert ad.estimation == pytest.approx(float(x.mean()), abs=1e-9)
    assert ad.m2 / ad.width == pytest.approx(float(x.var()), rel=1e-9)


def test_adwin_reset_and_validation() -> None:
    ad = ADWIN()
    ad.detect([1.0] * 100)
    ad.reset()
    assert ad.width == 0
    assert ad.estimation == 0.0
    with pytest.raises(ValueError, match="delta"):
        ADWIN(delta=0.0)


def test_page_hinkley_vectorised_detect_equals_update_loop() -> None:
    for seed, alpha in [(0, 1.0), (1, 1.0), (2, 0.999)]:
        stream = _changed_stream(seed, 0.2, 0.6)
        looped = PageHinkley(alpha=alpha)
        expected = [i for i, v in enumerate(stream) if looped.update(float(v))]
        vec = PageHinkley(alpha=alpha)
        assert vec.detect(stream) == expected
        assert expected
        # state after detect equals the state after the loop
        assert (vec.n, vec.m, vec.m_min) == (looped.n, looped.m, looped.m_min)
        assert vec.sum_x == looped.sum_x


def test_page_hinkley_ignores_decrease_and_respects_min_instances() -> None:
    rng = np.random.default_rng(3)
    down = np.concatenate([_bernoulli(rng, 5000, 0.5), _bernoulli(rng, 5000, 0.1)])
    up = np.concatenate([_bernoulli(rng, 5000, 0.1), _bernoulli(rng, 5000, 0.5)])
    assert PageHinkley().detect(down) == []
    assert PageHinkley().detect(up) != []  # the same detector does see the increase
    # A jump right after the start: min_instances holds the first alarm back to index 29.
    jump = np.concatenate([np.zeros(5), np.ones(95)])
    early = PageHinkley(threshold=0.5, min_instances=1).detect(jump)
    assert early and early[0] < 29  # without the minimum it fires earlier
    held = PageHinkley(threshold=0.5, min_instances=30).detect(jump)
    assert held and held[0] == 29
