"""Classification metrics and performance drift: closed forms and a brute-force AUC."""

from __future__ import annotations

import json

import numpy as np
import pytest

from galfriday_gitops.stats import metrics
from galfriday_gitops.stats.errors import DriftDataError


def test_roc_auc_matches_pairwise_count() -> None:
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, size=300)
    s = np.round(rng.normal(y * 0.7, 1.0), 1)  # rounding makes ties
    pos, neg = s[y == 1], s[y == 0]
    diff = pos[:, None] - neg[None, :]
    brute = (np.sum(diff > 0) + 0.5 * np.sum(diff == 0)) / diff.size
    assert metrics.roc_auc(y, s) == pytest.approx(brute, abs=1e-12)
    assert metrics.roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]) == 1.0
    with pytest.raises(DriftDataError):
        metrics.roc_auc([1, 1], [0.1, 0.2])


def test_accuracy_f1_and_performance_drift() -> None:
    y_true = np.array([1, 1, 1, 0, 0, 0, 1, 0])
    y_pred = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    assert metrics.accuracy(y_true, y_pred) == pytest.approx(6 / 8)
    # tp=3, fn=1, fp=1 -> 2*3 / (2*3 + 1 + 1)
    assert metrics.f1_score(y_true, y_pred) == pytest.approx(6 / 8)
    scores = np.array([0.9, 0.4, 0.8, 0.1, 0.6, 0.2, 0.7, 0.3])
    res = metrics.performance_drift(
        y_true, scores=scores, baseline={"accuracy": 0.87, "auc": 0.9}, max_drop=0.05
    )
    assert res.metrics["accuracy"].current == pytest.approx(0.75)
    assert res.metrics["accuracy"].drop == pytest.approx(0.12)
    assert res.metrics["accuracy"].drifted
    assert res.metrics["auc"].current == pytest.approx(15 / 16)
    assert not res.metrics["auc"].drifted
    assert res.drifted
    assert json.dumps(res.to_dict())
    with pytest.raises(DriftDataError, match="unknown metric"):
        metrics.performance_drift(y_true, y_pred=y_pred, baseline={"mape": 1.0}, max_drop=0.1)
