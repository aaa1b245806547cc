"""DDSketch: every quantile within the relative-error bound of the order statistic it
stands for (numpy as the oracle), merges that are exact, grouping that changes nothing."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest

from galfriday_gitops.stats.quantiles import DDSketch, sketches_by_group

QS = (0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0)


def _within_bound(sketch: DDSketch, x: npt.NDArray[np.float64], alpha: float) -> float:
    """Assert the guarantee at every q; return the largest relative error seen."""
    worst = 0.0
    for q in QS:
        exact = float(np.percentile(x, 100 * q, method="lower"))  # rank floor(q (n - 1))
        est = sketch.quantile(q)
        assert est is not None
        assert abs(est - exact) <= alpha * abs(exact) + 1e-12, (q, est, exact)
        worst = max(worst, abs(est - exact) / abs(exact) if exact else 0.0)
    return worst


@pytest.mark.parametrize("alpha", [0.001, 0.01, 0.05])
@pytest.mark.parametrize(
    "draw",
    ["lognormal", "pareto", "uniform-wide", "with-zeros-and-negatives"],
)
def test_every_quantile_is_within_alpha(alpha: float, draw: str) -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    x: npt.NDArray[np.float64]
    if draw == "lognormal":
        x = 12 * np.exp(0.4 * rng.standard_normal(n))
    elif draw == "pareto":
        x = rng.pareto(1.2, n) + 1e-3  # heavy tail over many decades
    elif draw == "uniform-wide":
        x = 10 ** rng.uniform(-6, 6, n)
    else:
        x = np.concatenate(
            [rng.normal(0, 50, n // 2), np.zeros(n // 4), rng.exponential(3, n // 4)]
        )
    sketch = DDSketch(alpha).add(x)
    assert sketch.count == x.size
    worst = _within_bound(sketch, x, alpha)
    assert worst > alpha / 10  # control: the sketch really approximates (not exact by accident)


def test_a_coarser_sketch_breaks_the_finer_bound() -> None:
    # Positive control for the bound check itself: 5% buckets are not within 1%.
    x = 12 * np.exp(0.4 * np.random.default_rng(1).standard_normal(100_000))
    with pytest.raises(AssertionError):
        _within_bound(DDSketch(0.05).add(x), x, 0.01)


def test_merging_equals_sketching_the_union_in_any_order() -> None:
    rng = np.random.default_rng(3)
    parts = [rng.lognormal(2, 1, size) for size in (1, 10, 1_000, 50_000)] + [np.array([-4.0, 0])]
    whole = DDSketch().add(np.concatenate(parts))
    forward, backward = DDSketch(), DDSketch()
    for part in parts:
        forward.merge(DDSketch().add(part))
    for part in reversed(parts):
        backward.merge(DDSketch().add(part))
    for sketch in (forward, backward):
        for store in ("positive", "negative"):
            assert [a.tolist() for a in getattr(sketch, store)] == [
                a.tolist() for a in getattr(whole, store)
            ]
        assert sketch.zeros == whole.zeros
        assert [sketch.quantile(q) for q in QS] == [whole.quantile(q) for q in QS]


def test_grouped_sketches_equal_one_sketch_per_group() -> None:
    rng = np.random.default_rng(5)
    values = np.concatenate([rng.lognormal(2, 0.5, 30_000), [0.0, np.nan, 1e-12]])
    codes = rng.integers(0, 4, values.size)
    grouped = sketches_by_group(codes, values, 5)
    for g in range(5):
        alone = DDSketch().add(values[codes == g])
        assert grouped[g].count == alone.count
        assert [grouped[g].quantile(q) for q in QS] == [alone.quantile(q) for q in QS]
    assert grouped[4].count == 0 and grouped[4].quantile(0.5) is None  # an empty group


def test_what_it_refuses() -> None:
    with pytest.raises(ValueError, match="relative accuracy"):
        DDSketch(0)
    with pytest.raises(ValueError, match="cannot merge"):
        DDSketch(0.01).merge(DDSketch(0.02))
    with pytest.raises(ValueError, match="quantile must be"):
        DDSketch().add([1.0]).quantile(1.5)
    with pytest.raises(ValueError, match="non-negative"):
        sketches_by_group(np.array([0]), np.array([-1.0]), 1)
    assert DDSketch().quantile(0.5) is None


def test_memory_is_bounded_by_the_range_not_the_count() -> None:
    x = 10 ** np.random.default_rng(2).uniform(-2, 6, 1_000_000)  # 0.01 ms .. 1,000 s
    sketch = DDSketch(0.01).add(x)
    buckets = sketch.positive[0].size
    assert buckets <= math.ceil(math.log(1e8) / math.log(1.01 / 0.99)) + 1  # ~ 921
