"""Stage ``train``: L2-regularised logistic regression in numpy/scipy, saved as JSON.

Numeric features are standardised with the training means and standard deviations, each
categorical feature is one-hot encoded over its known categories, and the weights minimise the
summed log-loss plus ``0.5 * train.l2 * |w|^2`` (the bias is not penalised). The fit runs on
the head of ``data/prepared/train.parquet``; the tail (``train.validation_fraction``) is left
for ``evaluate``.

The model file ``build/model/model.json`` is in the format monitoring scores,
:mod:`galfriday_gitops.monitor.model` (plain JSON, never pickle). The optimiser is a
Newton-type method that converges far below the precision that format writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from galfriday_gitops.demo.pipeline import (
    ALL_FEATURES,
    CATEGORICAL_FEATURES,
    MODEL_FILE,
    MODEL_NAME,
    NUMERIC_FEATURES,
    TARGET,
    TRAIN_FILE,
    ParamsError,
    load_params,
    param_float,
    param_int,
    param_str_list,
    require_columns,
    validation_split,
    write_json,
)
from galfriday_gitops.monitor.model import Model

FloatArray = npt.NDArray[np.float64]

# Stop when the gradient norm is this small: far tighter than the digits written out.
GRADIENT_TOLERANCE = 1e-10


def model_json(model: Model) -> dict[str, Any]:
    """The payload of ``build/model/model.json`` for the demo's model."""
    return model.to_json(name=MODEL_NAME, target=TARGET)


def fit(frame: pd.DataFrame, features: Sequence[str], l2: float, max_iter: int) -> Model:
    """Fit the model on ``frame`` using ``features`` (any subset of the known features)."""
    unknown = [f for f in features if f not in ALL_FEATURES]
    if unknown or len(set(features)) != len(features):
        raise ParamsError(f"train.features: unknown or repeated features {unknown or features}")
    require_columns(frame, [*features, TARGET], "training data")
    numeric = tuple(f for f in NUMERIC_FEATURES if f in features)
    categories = {n: levels for n, levels in CATEGORICAL_FEATURES.items() if n in features}
    values = frame[list(numeric)].to_numpy(dtype=np.float64)
    means = values.mean(axis=0)
    stds = values.std(axis=0)
    if (stds == 0).any():
        raise ValueError("training data: a numeric feature is constant")
    draft = Model(
        tuple(f for f in ALL_FEATURES if f in features),
        numeric,
        means,
        stds,
        categories,
        np.zeros(0),
        0.0,
        {},
    )
    x = np.hstack([draft.design(frame), np.ones((len(frame), 1))])
    y = frame[TARGET].to_numpy(dtype=np.float64)
    penalty = np.full(x.shape[1], l2)
    penalty[-1] = 0.0  # the bias is not shrunk

    def loss(w: FloatArray) -> tuple[float, FloatArray]:
        z = x @ w
        value = float(np.sum(np.logaddexp(0.0, z) - y * z) + 0.5 * np.sum(penalty * w * w))
        grad: FloatArray = x.T @ (expit(z) - y) + penalty * w
        return value, grad

    def hessian(w: FloatArray) -> FloatArray:
        p = expit(x @ w)
        hess: FloatArray = (x * (p * (1.0 - p))[:, None]).T @ x + np.diag(penalty)
        return hess

    result = minimize(
        loss,
        np.zeros(x.shape[1]),
        jac=True,
        hess=hessian,
        method="trust-exact",
        options={"maxiter": max_iter, "gtol": GRADIENT_TOLERANCE},
    )
    w = np.asarray(result.x, dtype=np.float64)
    meta: dict[str, Any] = {
        "converged": bool(result.success),
        "l2": l2,
        "rows": len(frame),
    }
    return Model(draft.features, numeric, means, stds, categories, w[:-1], float(w[-1]), meta)


def train_from_params(params: Mapping[str, Any], train: pd.DataFrame) -> Model:
    """Fit on the head of ``train`` with the ``train.*`` knobs."""
    fraction = param_float(params, "train.validation_fraction", low=0.0, high=1.0)
    head, _ = validation_split(train, fraction)
    return fit(
        head,
        param_str_list(params, "train.features"),
        param_float(params, "train.l2", low=0.0),
        param_int(params, "train.max_iter", low=1),
    )


def main() -> None:
    """Fit the model and write ``build/model/model.json``."""
    params = load_params()
    model = train_from_params(params, pd.read_parquet(TRAIN_FILE))
    if not model.meta["converged"]:
        print("train: warning: optimiser stopped at train.max_iter before converging")
    write_json(model_json(model), MODEL_FILE)
    print(f"train: {len(model.columns)} columns, {model.meta['rows']} rows -> {MODEL_FILE}")


if __name__ == "__main__":
    main()
