"""Stage ``evaluate``: score the saved model and write ``build/metrics.json``.

``validation`` scores the held-out tail of ``train.parquet`` (the part ``train`` did not fit
on) and ``test`` scores ``test.parquet``; each has ``accuracy``, ``f1``, ``auc`` (rank-based,
ties averaged) and ``rows``, and ``test`` adds ``latency_ms``.

``latency_ms`` is a modelled serving latency, not a wall-clock timing: a timing would differ on
every run and break byte-for-byte reproducibility. It is
``evaluate.latency_base_ms + evaluate.latency_per_column_ms * <design columns>``, so a model
with more inputs is slower and the knobs can plant a latency regression. Floats are rounded to
6 decimals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from galfriday_gitops.demo.pipeline import (
    METRICS_FILE,
    MODEL_FILE,
    TARGET,
    TEST_FILE,
    TRAIN_FILE,
    load_params,
    param_float,
    validation_split,
    write_json,
)
from galfriday_gitops.monitor.model import Model, load_model

DECIMALS = 6


def auc_score(y_true: npt.NDArray[np.int_], scores: npt.NDArray[np.float64]) -> float:
    """ROC AUC via the Mann-Whitney U statistic; 0.5 when only one class is present."""
    n_pos = int(y_true.sum())
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        return 0.5
    # pandas ranks with averaged ties like scipy.stats.rankdata, without scipy.stats' import.
    ranks = pd.Series(scores).rank(method="average").to_numpy()
    u = float(ranks[y_true == 1].sum()) - n_pos * (n_pos + 1) / 2.0
    return u / (n_pos * n_neg)


def classification_metrics(model: Model, frame: pd.DataFrame) -> dict[str, float | int]:
    """Accuracy, F1 of the "up" class, AUC and row count of ``model`` on ``frame``."""
    y = frame[TARGET].to_numpy(dtype=np.int_)
    proba = model.predict_proba(frame)
    pred = model.predict(frame).astype(np.int_)
    tp = int(((pred == 1) & (y == 1)).sum())
    fp = int(((pred == 1) & (y == 0)).sum())
    fn = int(((pred == 0) & (y == 1)).sum())
    f1 = 2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0
    return {
        "accuracy": round(float((pred == y).mean()), DECIMALS),
        "f1": round(f1, DECIMALS),
        "auc": round(auc_score(y, proba), DECIMALS),
        "rows": len(frame),
    }


def modelled_latency_ms(params: Mapping[str, Any], model: Model) -> float:
    """Deterministic serving latency from the model size (see the module docstring)."""
    base = param_float(params, "evaluate.latency_base_ms", low=0.0)
    per_column = param_float(params, "evaluate.latency_per_column_ms", low=0.0)
    return round(base + per_column * len(model.columns), DECIMALS)


def evaluate(
    params: Mapping[str, Any], model: Model, train: pd.DataFrame, test: pd.DataFrame
) -> dict[str, dict[str, float | int]]:
    """The metrics document for ``model``."""
    fraction = param_float(params, "train.validation_fraction", low=0.0, high=1.0)
    _, validation = validation_split(train, fraction)
    test_metrics = classification_metrics(model, test)
    test_metrics["latency_ms"] = modelled_latency_ms(params, model)
    return {"validation": classification_metrics(model, validation), "test": test_metrics}


def main() -> None:
    """Write ``build/metrics.json``."""
    params = load_params()
    metrics = evaluate(
        params, load_model(MODEL_FILE), pd.read_parquet(TRAIN_FILE), pd.read_parquet(TEST_FILE)
    )
    write_json(metrics, METRICS_FILE)
    print(f"evaluate: test accuracy {metrics['test']['accuracy']} -> {METRICS_FILE}")


if __name__ == "__main__":
    main()
