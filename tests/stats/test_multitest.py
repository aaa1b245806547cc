"""The one multiple-testing function, checked against statsmodels' ``multipletests``."""

from __future__ import annotations

import math
from typing import cast

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from statsmodels.stats.multitest import multipletests

from galfriday_gitops.stats.multitest import METHODS, Method, adjust_p_values

STATSMODELS_METHODS: tuple[Method, ...] = ("holm", "fdr_bh", "bonferroni")


@pytest.mark.parametrize("method", STATSMODELS_METHODS)
def test_equals_statsmodels_on_random_families(method: Method) -> None:
    rng = np.random.default_rng(0)
    for size in (1, 2, 5, 20, 200):
        p = rng.random(size) ** 3  # many small p-values, so the corrections bite
        expected = multipletests(p, method=method)[1]
        got = adjust_p_values(list(p), method)
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=30),
    st.sampled_from(STATSMODELS_METHODS),
)
def test_equals_statsmodels_with_ties_and_edges(p: list[float], method: Method) -> None:
    expected = multipletests(np.array(p), method=method)[1]
    got = adjust_p_values(p, method)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-300)


def test_holm_closed_form() -> None:
    p = [0.01, 0.04, 0.03, 0.2]
    # sorted: 0.01*4=0.04, 0.03*3=0.09, 0.04*2=0.08->max 0.09, 0.2*1=0.2
    assert adjust_p_values(p, "holm") == pytest.approx([0.04, 0.09, 0.09, 0.2], rel=1e-12)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_missing_p_value_is_never_adjusted_into_significance(method: Method, bad: float) -> None:
    # Before: Holm's max(0.0, nan) turned a NaN p-value into an adjusted 0.0.
    p = [bad, 0.01, 0.5]
    got = adjust_p_values(p, method)
    assert math.isnan(got[0])
    # The others are adjusted as if the missing one were 1 (it stays in the family).
    as_if_one = adjust_p_values([1.0, 0.01, 0.5], method)
    assert got[1:] == as_if_one[1:]
    if method != "none":
        assert got[1:] == pytest.approx(list(multipletests([1.0, 0.01, 0.5], method=method)[1])[1:])


def test_rejects_unknown_method_and_out_of_range_p() -> None:
    with pytest.raises(ValueError, match="unknown multiple-testing method 'bh'"):
        adjust_p_values([0.1], cast(Method, "bh"))  # an unknown name, on purpose
    with pytest.raises(ValueError, match="outside"):
        adjust_p_values([1.5], "holm")
    assert adjust_p_values([], "holm") == []
    assert adjust_p_values([0.2, 0.01], "none") == [0.2, 0.01]
