"""Stage ``train``: L2-regularised logistic regression in numpy/scipy, saved as JSON.

Numeric features are standardised with the training means and standard deviations, each
categorical feature is one-hot encoded over its known categories, and the weights minimise the
summed log-loss plus ``0.5 * train.l2 * |w|^2`` (the bias is not penalised). The fit runs on
the head of ``data/prepared/train.parquet``; the tail (``train.validation_fraction``) is left
for ``evaluate``.

The model file ``build/model/model.json`` is plain JSON, never pickle: a format tag and version,
the feature names, the standardisation, the one-hot categories, the weights and the bias.
The optimiser is a Newton-type method that converges far below the written precision, and
floats are rounded at a fixed absolute resolution per block (see :meth:`Model.to_json`), so
floating-point noise from the BLAS build or thread count does not reach the bytes.

``load_model`` reads the file back with ``json`` alone, validates it and returns a
:class:`Model` whose ``predict_proba`` scores a data frame, for the prediction-service demo.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
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
    round_to_scale,
    validation_split,
    write_json,
)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int8]

MODEL_FORMAT = "galfriday-logreg"
MODEL_FORMAT_VERSION = 1
DECISION_THRESHOLD = 0.5
# Stop when the gradient norm is this small: far tighter than the digits written out.
GRADIENT_TOLERANCE = 1e-10
# Significant digits written for the weights and bias (relative to the largest of them) and
# for each mean/std (relative to that std); see Model.to_json.
COEF_DIGITS = 10
SCALING_DIGITS = 12


class ModelFormatError(ValueError):
    """A model file is not a valid ``galfriday-logreg`` model."""


@dataclass(frozen=True)
class Model:
    """A fitted logistic regression over standardised numeric and one-hot categorical inputs."""

    features: tuple[str, ...]
    numeric: tuple[str, ...]
    means: FloatArray
    stds: FloatArray
    categories: dict[str, tuple[str, ...]]
    weights: FloatArray
    bias: float
    meta: dict[str, Any]

    @property
    def columns(self) -> tuple[str, ...]:
        """Names of the design-matrix columns, in weight order."""
        one_hot = [
            f"{name}={level}" for name, levels in self.categories.items() for level in levels
        ]
        return (*self.numeric, *one_hot)

    def design(self, frame: pd.DataFrame) -> FloatArray:
        """Build the standardised, one-hot design matrix for ``frame``."""
        require_columns(frame, self.features, "model input")
        numeric = frame[list(self.numeric)].to_numpy(dtype=np.float64)
        if not np.isfinite(numeric).all():
            raise ValueError("model input: numeric features contain NaN or infinite values")
        blocks = [(numeric - self.means) / self.stds]
        for name, levels in self.categories.items():
            values = frame[name].astype(str).to_numpy()
            unknown = sorted(set(values.tolist()) - set(levels))
            if unknown:
                raise ValueError(f"model input: unknown {name} values {unknown}")
            blocks.append((values[:, None] == np.array(levels)[None, :]).astype(np.float64))
        return np.hstack(blocks) if blocks else np.empty((len(frame), 0))

    def predict_proba(self, frame: pd.DataFrame) -> FloatArray:
        """Probability that the mid price is higher in one hour, one value per row."""
        result: FloatArray = expit(self.design(frame) @ self.weights + self.bias)
        return result

    def predict(self, frame: pd.DataFrame) -> IntArray:
        """Predicted ``direction_1h`` (1 = up) at the 0.5 threshold."""
        return (self.predict_proba(frame) >= DECISION_THRESHOLD).astype(np.int8)

    def to_json(self) -> dict[str, Any]:
        """The model-file payload with floats rounded to hide floating-point noise.

        Each mean and std is rounded to 12 significant digits of its feature's std, the
        weights and bias to 10 significant digits of the largest of them: fitting the same
        rows in another order moves the optimum by about 4e-14, which 12 digits of a bias
        near zero would expose.
        """
        coefs = [*self.weights.tolist(), self.bias]
        coef_scale = max((abs(v) for v in coefs), default=0.0) or 1.0
        coefs = round_to_scale(coefs, coef_scale, COEF_DIGITS)
        scaled = [
            round_to_scale([mean, std], std, SCALING_DIGITS)
            for mean, std in zip(self.means.tolist(), self.stds.tolist(), strict=True)
        ]
        return {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "model": MODEL_NAME,
            "target": TARGET,
            "features": list(self.features),
            "standardisation": {
                "features": list(self.numeric),
                "mean": [pair[0] for pair in scaled],
                "std": [pair[1] for pair in scaled],
            },
            "categories": {name: list(levels) for name, levels in self.categories.items()},
            "columns": list(self.columns),
            "weights": coefs[:-1],
            "bias": coefs[-1],
            "threshold": DECISION_THRESHOLD,
            "training": self.meta,
        }


def _fail(path: Path, message: str) -> ModelFormatError:
    return ModelFormatError(f"{path}: invalid model file: {message}")


def _float_list(path: Path, value: Any, field: str, length: int) -> FloatArray:
    if not isinstance(value, list) or len(value) != length:
        raise _fail(path, f"'{field}' must be a list of {length} numbers")
    if not all(
        isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value
    ):
        raise _fail(path, f"'{field}' must hold finite numbers only")
    return np.asarray(value, dtype=np.float64)


def _str_list(path: Path, value: Any, field: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise _fail(path, f"'{field}' must be a list of non-empty strings")
    if len(set(value)) != len(value):
        raise _fail(path, f"'{field}' has duplicates")
    return tuple(value)


def load_model(path: Path | str) -> Model:
    """Load and validate a model file written by :func:`main`.

    Raises :class:`ModelFormatError` naming the file and the first problem found: not JSON,
    another format or version, or shapes that do not line up.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise _fail(path, f"not JSON ({exc})") from exc
    if not isinstance(raw, dict):
        raise _fail(path, "top level must be an object")
    if raw.get("format") != MODEL_FORMAT:
        raise _fail(path, f"'format' must be {MODEL_FORMAT!r}, got {raw.get('format')!r}")
    if raw.get("format_version") != MODEL_FORMAT_VERSION:
        raise _fail(
            path,
            f"unsupported 'format_version' {raw.get('format_version')!r}; "
            f"this reader supports {MODEL_FORMAT_VERSION}",
        )
    features = _str_list(path, raw.get("features"), "features")
    scaling = raw.get("standardisation")
    if not isinstance(scaling, dict):
        raise _fail(path, "'standardisation' must be an object")
    numeric = _str_list(path, scaling.get("features"), "standardisation.features")
    means = _float_list(path, scaling.get("mean"), "standardisation.mean", len(numeric))
    stds = _float_list(path, scaling.get("std"), "standardisation.std", len(numeric))
    if (stds <= 0).any():
        raise _fail(path, "'standardisation.std' must be positive")
    raw_categories = raw.get("categories")
    if not isinstance(raw_categories, dict):
        raise _fail(path, "'categories' must be an object")
    categories = {
        str(name): _str_list(path, levels, f"categories.{name}")
        for name, levels in raw_categories.items()
    }
    if set(features) != set(numeric) | set(categories) or set(numeric) & set(categories):
        raise _fail(path, "'features' must be the standardised plus the categorical features")
    n_columns = len(numeric) + sum(len(levels) for levels in categories.values())
    weights = _float_list(path, raw.get("weights"), "weights", n_columns)
    bias = _float_list(path, [raw.get("bias")], "bias", 1)[0]
    meta = raw.get("training", {})
    if not isinstance(meta, dict):
        raise _fail(path, "'training' must be an object")
    model = Model(features, numeric, means, stds, categories, weights, float(bias), meta)
    if raw.get("columns") != list(model.columns):
        raise _fail(path, "'columns' do not match the features and categories")
    return model


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
    write_json(model.to_json(), MODEL_FILE)
    print(f"train: {len(model.columns)} columns, {model.meta['rows']} rows -> {MODEL_FILE}")


if __name__ == "__main__":
    main()
