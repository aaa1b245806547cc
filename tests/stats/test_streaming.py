"""ADWIN and Page-Hinkley: the same alarms as river's on fixed streams, one alarm per change,
both directions, few false alarms without drift, short delays after a planted change."""

from __future__ import annotations

import math
from typing import Any, Literal, cast

import numpy as np
import numpy.typing as npt
import pytest
from river import drift as river_drift

from galfriday_gitops.stats.streaming import ADWIN, PageHinkley

CHANGE_AT = 10_000
Direction = Literal["both", "up", "down"]
Stream = npt.NDArray[np.float64]


def _bernoulli(rng: np.random.Generator, n: int, p: float) -> Stream:
    return (rng.random(n) < p).astype(np.float64)


def _changed_stream(seed: int, p0: float = 0.2, p1: float = 0.5) -> Stream:
    rng = np.random.default_rng(seed)
    return np.concatenate([_bernoulli(rng, CHANGE_AT, p0), _bernoulli(rng, 5_000, p1)])


def _fixed_streams() -> dict[str, Stream]:
    """Seeded error streams with changes up and down, and real-valued ones."""
    rng = np.random.default_rng(2024)
    return {
        "errors up then down": np.concatenate(
            [_bernoulli(rng, 3000, 0.2), _bernoulli(rng, 3000, 0.5), _bernoulli(rng, 3000, 0.1)]
        ),
        "rare errors doubling": np.concatenate(
            [_bernoulli(rng, 8000, 0.02), _bernoulli(rng, 8000, 0.04)]
        ),
        "gaussian shifts": np.concatenate(
            [rng.normal(0, 1, 4000), rng.normal(1, 1, 4000), rng.normal(-0.5, 2, 4000)]
        ),
        "stable": _bernoulli(rng, 30_000, 0.2),
    }


def _river_alarms(detector: Any, stream: Stream) -> list[int]:
    alarms = []
    for i, x in enumerate(stream):
        detector.update(float(x))
        if detector.drift_detected:
            alarms.append(i)
    return alarms


@pytest.mark.parametrize("name", list(_fixed_streams()))
def test_adwin_raises_the_alarms_river_raises(name: str) -> None:
    stream = _fixed_streams()[name]
    for delta, clock in ((0.002, 32), (0.05, 8)):
        ours = ADWIN(delta, clock=clock).detect(stream)
        theirs = _river_alarms(river_drift.ADWIN(delta=delta, clock=clock), stream)
        assert ours == theirs, (delta, clock)
    if name != "stable":
        assert ours  # the comparison is not between two empty lists


@pytest.mark.parametrize("name", list(_fixed_streams()))
@pytest.mark.parametrize("direction", ["both", "up", "down"])
def test_page_hinkley_raises_the_alarms_river_raises(name: str, direction: Direction) -> None:
    stream = _fixed_streams()[name]
    for delta, threshold, alpha, least in (
        (0.005, 50.0, 1 - 1e-4, 30),  # river's defaults
        (0.01, 50.0, 1.0, 30),  # ours
        (0.0, 20.0, 0.999, 100),
    ):
        ours = PageHinkley(delta, threshold, alpha, min_instances=least, direction=direction)
        theirs = river_drift.PageHinkley(least, delta, threshold, alpha, mode=direction)
        assert ours.detect(stream) == _river_alarms(theirs, stream), (delta, alpha)


def test_adwin_raises_one_alarm_per_change() -> None:
    # Before the fix ADWIN kept its shrunk window and alarmed 2-8 times per change.
    for seed in range(5):
        rng = np.random.default_rng(seed)
        stream = np.concatenate(
            [_bernoulli(rng, 5000, 0.1), _bernoulli(rng, 5000, 0.4), _bernoulli(rng, 5000, 0.1)]
        )
        alarms = ADWIN().detect(stream)
        assert len(alarms) == 2, alarms
        assert 5000 <= alarms[0] < 5600 and 10_000 <= alarms[1] < 10_600, alarms


def test_adwin_starts_afresh_after_an_alarm() -> None:
    rng = np.random.default_rng(1)
    stream = np.concatenate([_bernoulli(rng, 5000, 0.5), _bernoulli(rng, 3000, 0.1)])
    ad = ADWIN()
    alarms = ad.detect(stream)
    assert len(alarms) == 1 and 5000 <= alarms[0] < 5600
    assert ad.width == len(stream) - alarms[0] - 1  # only what came after the alarm
    assert ad.estimation == pytest.approx(0.1, abs=0.03)


@pytest.mark.parametrize("detector", [ADWIN, PageHinkley])
def test_few_false_alarms_on_long_no_drift_stream(detector: type[ADWIN | PageHinkley]) -> None:
    alarms = 0
    for seed in range(3):
        stream = _bernoulli(np.random.default_rng(seed), 100_000, 0.2)
        alarms += len(detector().detect(stream))
    assert alarms <= 1  # 300,000 elements in total


def test_river_page_hinkley_defaults_alarm_on_a_stable_stream_ours_do_not() -> None:
    # Why our defaults differ from river's (documented in PageHinkley's docstring).
    stream = _bernoulli(np.random.default_rng(7), 60_000, 0.2)
    theirs = _river_alarms(river_drift.PageHinkley(), stream)
    assert len(theirs) >= 2
    assert PageHinkley().detect(stream) == []


@pytest.mark.parametrize("detector", [ADWIN, PageHinkley])
def test_detects_planted_increase_quickly(detector: type[ADWIN | PageHinkley]) -> None:
    delays = []
    for seed in range(5):
        alarms = detector().detect(_changed_stream(seed))
        before = [a for a in alarms if a < CHANGE_AT]
        after = [a for a in alarms if a >= CHANGE_AT]
        assert before == []
        assert after, "change 0.2 -> 0.5 not detected"
        delays.append(after[0] - CHANGE_AT)
    assert max(delays) < 600, delays


def test_page_hinkley_detects_a_decrease_by_default_and_can_be_one_sided() -> None:
    rng = np.random.default_rng(3)
    down = np.concatenate([_bernoulli(rng, 5000, 0.5), _bernoulli(rng, 5000, 0.1)])
    alarms = PageHinkley().detect(down)
    assert alarms and 5000 <= alarms[0] < 5600
    assert PageHinkley(direction="up").detect(down) == []
    assert PageHinkley(direction="down").detect(down) == alarms
    with pytest.raises(ValueError, match="direction"):
        PageHinkley(direction=cast(Direction, "sideways"))


def test_page_hinkley_respects_min_instances() -> None:
    # A jump right after the start: min_instances holds the first alarm back to index 29.
    jump = np.concatenate([np.zeros(5), np.ones(95)])
    early = PageHinkley(threshold=0.5, min_instances=1).detect(jump)
    assert early and early[0] < 29  # without the minimum it fires earlier
    held = PageHinkley(threshold=0.5, min_instances=30).detect(jump)
    assert held and held[0] == 29


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
    assert ad.width == 100
    ad.reset()
    assert ad.width == 0
    assert ad.estimation == 0.0
    with pytest.raises(ValueError, match="delta"):
        ADWIN(delta=0.0)


def test_page_hinkley_vectorised_detect_equals_update_loop() -> None:
    cases: list[tuple[int, float, Direction]] = [
        (0, 1.0, "both"),
        (1, 1.0, "up"),
        (2, 0.999, "down"),
    ]
    for seed, alpha, direction in cases:
        stream = _changed_stream(seed, 0.6, 0.2) if direction == "down" else _changed_stream(seed)
        looped = PageHinkley(alpha=alpha, direction=direction)
        expected = [i for i, v in enumerate(stream) if looped.update(float(v))]
        vec = PageHinkley(alpha=alpha, direction=direction)
        assert vec.detect(stream) == expected
        assert expected
        # state after detect equals the state after the loop
        assert (vec.n, vec.sum_x) == (looped.n, looped.sum_x)
        assert (vec.up, vec.down) == pytest.approx((looped.up, looped.down), rel=1e-12)
        assert (vec.up_min, vec.down_max) == pytest.approx(
            (looped.up_min, looped.down_max), rel=1e-12
        )
