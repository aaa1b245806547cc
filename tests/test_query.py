"""Queries over a registry state: filters that all must hold, a metric sort, clear errors."""

from __future__ import annotations

from typing import Any

import pytest

from galfriday_gitops.load.state import load_state
from galfriday_gitops.query import Query, QueryError, parse_sort, parse_where, run
from tests.support.factories import manifest
from tests.support.repo import Repo, fill_registry


@pytest.fixture
def reg(empty_repo: Repo) -> Repo:
    fill_registry(empty_repo, 6)
    tagged = manifest("m05", "2.0.0", "staging", accuracy=0.99).replace(
        "  framework: numpy\n", "  framework: numpy\n  tags: [nightly, gpu]\n"
    )
    empty_repo.write("models/m05/2.0.0.yaml", tagged)
    no_metric = manifest("m04", "2.0.0", "staging").replace("accuracy: 0.9, ", "")
    empty_repo.write("models/m04/2.0.0.yaml", no_metric)
    empty_repo.commit("a tagged version and one without accuracy")
    return empty_repo


def refs(reg: Repo, **kwargs: Any) -> list[str]:
    rows = run(load_state(reg.path, "HEAD"), Query(**kwargs))
    return [f"{r.name}@{r.version}" for r in rows]


def test_every_filter_must_hold(reg: Repo) -> None:
    assert refs(reg, stages=["production"], labels={"team": "b"}) == [
        "m01@1.1.0", "m03@1.1.0", "m05@1.1.0",
    ]  # fmt: skip
    assert refs(reg, stages=["canary", "staging"], where=["test.accuracy>=0.76"]) == [
        "m04@1.2.0", "m05@1.2.0", "m05@2.0.0",
    ]  # fmt: skip
    assert refs(reg, tags=["gpu"]) == ["m05@2.0.0"]
    assert refs(reg, models=["m0[12]"], stages=["deprecated"]) == ["m01@1.0.0", "m02@1.0.0"]
    assert refs(reg, where=["test.accuracy >= 0.74", "test.accuracy < 0.745"]) == [
        "m02@1.2.0", "m03@1.1.0", "m04@1.0.0",
    ]  # fmt: skip
    assert refs(reg, where=["test.accuracy > 0.74", "test.accuracy < 0.745"]) == []
    assert len(refs(reg)) == 20  # control: no filter, every version


def test_a_metric_sort_puts_versions_without_it_last(reg: Repo) -> None:
    found = refs(reg, stages=["staging"], sort="test.accuracy", descending=True)
    assert found == ["m05@2.0.0", "m04@2.0.0"]
    assert refs(reg, stages=["staging"], sort="test.accuracy") == ["m05@2.0.0", "m04@2.0.0"]
    up = refs(reg, stages=["production"], sort="test.accuracy")
    assert up == [f"m0{m}@1.1.0" for m in range(6)]
    assert refs(reg, stages=["production"], sort="test.accuracy", descending=True) == up[::-1]


@pytest.mark.parametrize(
    "text", ["test.accuracy=>0.8", "accuracy>=0.8", "test.accuracy>=high", "__import__('os')"]
)
def test_a_bad_expression_is_named(text: str) -> None:
    with pytest.raises(QueryError) as caught:
        parse_where(text)
    assert repr(text) in str(caught.value) and "SPLIT.METRIC OP NUMBER" in str(caught.value)


def test_expressions_and_sort_keys_that_read() -> None:
    c = parse_where(" validation.f1 != 1e-3 ")
    assert (c.split, c.metric, c.op, c.value) == ("validation", "f1", "!=", 0.001)
    assert parse_sort("test.latency_ms") == ("test", "latency_ms")
    with pytest.raises(QueryError, match="bad sort key 'latency'"):
        parse_sort("latency")


def test_an_unknown_stage_is_an_error(reg: Repo) -> None:
    with pytest.raises(QueryError, match="did you mean 'production'"):
        refs(reg, stages=["prodution"])
