"""Classification metrics and performance drift against a baseline (not data drift).

``accuracy``, ``f1_score`` (binary) and ``roc_auc`` (Mann-Whitney, ties count one half);
:func:`performance_drift` compares them with the values a model version recorded when it
was registered.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from galfriday_gitops.stats.errors import DriftDataError


def accuracy(y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> float:
    """Fraction of exact matches."""
    t, p = np.asarray(y_true), np.asarray(y_pred)
    if t.shape != p.shape or t.size == 0:
        raise DriftDataError("y_true and y_pred must be non-empty and of equal length")
    return float(np.mean(t == p))


def f1_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, pos_label: Any = 1) -> float:
    """Binary F1 of ``pos_label``; 0 when there are no true or predicted positives."""
    t, p = np.asarray(y_true) == pos_label, np.asarray(y_pred) == pos_label
    tp = int(np.sum(t & p))
    denom = int(np.sum(t)) + int(np.sum(p))
    return 2.0 * tp / denom if denom else 0.0


def roc_auc(y_true: npt.ArrayLike, scores: npt.ArrayLike, *, pos_label: Any = 1) -> float:
    """ROC AUC via the Mann-Whitney rank sum (average ranks, so ties count one half)."""
    from scipy import stats as sps

    pos = np.asarray(y_true) == pos_label
    s = np.asarray(scores, dtype=np.float64)
    n_pos = int(pos.sum())
    n_neg = pos.size - n_pos
    if n_pos == 0 or n_neg == 0:
        raise DriftDataError("roc_auc needs both classes in y_true")
    ranks = sps.rankdata(s)
    return float((ranks[pos].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


@dataclass(frozen=True)
class MetricDrift:
    """Baseline vs current value of one metric; ``drop = baseline - current``."""

    baseline: float
    current: float
    drop: float
    drifted: bool


@dataclass(frozen=True)
class PerformanceDrift:
    """Per-metric drops; ``drifted`` if any metric dropped by more than ``max_drop``."""

    metrics: dict[str, MetricDrift]
    max_drop: float
    drifted: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "drifted": self.drifted,
            "max_drop": self.max_drop,
            "metrics": {k: vars(v).copy() for k, v in self.metrics.items()},
        }


def performance_drift(
    y_true: npt.ArrayLike,
    *,
    baseline: Mapping[str, float],
    max_drop: float,
    y_pred: npt.ArrayLike | None = None,
    scores: npt.ArrayLike | None = None,
    threshold: float = 0.5,
    pos_label: Any = 1,
) -> PerformanceDrift:
    """Compare current ``accuracy`` / ``f1`` / ``auc`` with baseline values.

    ``max_drop`` is an absolute drop (0.05 = five points of accuracy).  Without
    ``y_pred``, predictions are ``scores >= threshold`` mapped to ``pos_label`` / not.
    """
    if y_pred is None and scores is None:
        raise DriftDataError("performance_drift needs y_pred or scores")
    if y_pred is None:
        s = np.asarray(scores, dtype=np.float64)
        t = np.asarray(y_true)
        neg = [v for v in np.unique(t) if v != pos_label]
        y_pred = np.where(s >= threshold, pos_label, neg[0] if neg else 0)
    metrics: dict[str, MetricDrift] = {}
    for name, base in baseline.items():
        if name == "accuracy":
            value = accuracy(y_true, y_pred)
        elif name == "f1":
            value = f1_score(y_true, y_pred, pos_label=pos_label)
        elif name == "auc":
            if scores is None:
                raise DriftDataError("metric 'auc' needs scores")
            value = roc_auc(y_true, scores, pos_label=pos_label)
        else:
            raise DriftDataError(f"unknown metric {name!r}; expected accuracy, f1 or auc")
        drop = float(base) - value
        metrics[name] = MetricDrift(float(base), value, drop, drop > max_drop)
    return PerformanceDrift(metrics, max_drop, any(m.drifted for m in metrics.values()))
