"""Categorical drift statistics: two-sample chi-square and Jensen-Shannon over the union of
categories.

Conventions are documented once, in :mod:`galfriday_gitops.stats.drift`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt


@dataclass(frozen=True)
class CategoricalStats:
    """Two-sample statistics of one categorical feature over the union of categories."""

    categories: list[Hashable]
    reference_counts: npt.NDArray[np.int64]
    current_counts: npt.NDArray[np.int64]
    chi2_statistic: float
    chi2_p_value: float
    chi2_dof: int
    jensenshannon: float
    unseen_in_reference: list[Hashable]
    missing_in_current: list[Hashable]


def chi2_two_sample(
    reference_counts: npt.ArrayLike, current_counts: npt.ArrayLike
) -> tuple[float, float, int]:
    """Pearson chi-square test of homogeneity on the 2 x k table, no continuity correction.

    Equal to ``scipy.stats.chi2_contingency([ref, cur], correction=False)[:3]``.
    Categories absent from both rows must be removed by the caller.
    """
    from scipy import stats as sps

    table = np.vstack([reference_counts, current_counts]).astype(np.float64)
    dof = table.shape[1] - 1
    if dof == 0:
        return 0.0, 1.0, 0
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    stat = float(np.sum((table - expected) ** 2 / expected))
    return stat, float(sps.chi2.sf(stat, dof)), dof


def jensenshannon_distance(p: npt.ArrayLike, q: npt.ArrayLike) -> float:
    """Base-2 Jensen-Shannon distance of two count (or probability) vectors, in [0, 1]."""
    from scipy import special

    pa = np.asarray(p, dtype=np.float64)
    qa = np.asarray(q, dtype=np.float64)
    pa = pa / pa.sum()
    qa = qa / qa.sum()
    m = (pa + qa) / 2.0
    js = (np.sum(special.rel_entr(pa, m)) + np.sum(special.rel_entr(qa, m))) / 2.0
    return float(np.sqrt(max(js, 0.0) / math.log(2.0)))


def _value_counts(values: Any) -> tuple[dict[Hashable, int], int]:
    import pandas as pd

    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values))
    counts = series.value_counts(dropna=True, sort=False)
    n_missing = int(series.isna().sum())
    # a pandas Categorical also lists unobserved categories (count 0): drop them, a
    # category absent from both samples would make an expected count of zero
    return {k: int(v) for k, v in counts.items() if v > 0}, n_missing


def categorical_stats(reference: Any, current: Any) -> CategoricalStats:
    """Chi-square and Jensen-Shannon over the union of categories (NaNs dropped).

    Categories only in the current data count 0 on the reference row (and vice versa);
    they are listed in ``unseen_in_reference`` / ``missing_in_current``.
    """
    ref, _ = _value_counts(reference)
    cur, _ = _value_counts(current)
    return _categorical_from_counts(ref, cur)


def _categorical_from_counts(
    ref: Mapping[Hashable, int], cur: Mapping[Hashable, int]
) -> CategoricalStats:
    categories = list(ref) + [c for c in cur if c not in ref]
    rc = np.array([ref.get(c, 0) for c in categories], dtype=np.int64)
    cc = np.array([cur.get(c, 0) for c in categories], dtype=np.int64)
    stat, p, dof = chi2_two_sample(rc, cc)
    return CategoricalStats(
        categories=categories,
        reference_counts=rc,
        current_counts=cc,
        chi2_statistic=stat,
        chi2_p_value=p,
        chi2_dof=dof,
        jensenshannon=jensenshannon_distance(rc, cc),
        unseen_in_reference=[c for c in cur if c not in ref],
        missing_in_current=[c for c in ref if c not in cur],
    )


def class_drift(reference_labels: Any, current_labels: Any) -> CategoricalStats:
    """Drift of predicted class frequencies (two-sample chi-square and Jensen-Shannon)."""
    return categorical_stats(reference_labels, current_labels)
