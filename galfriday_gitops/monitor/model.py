"""The model format monitoring can score: a logistic regression stored as plain JSON.

``galfriday-logreg`` version 1: a format tag and version, the feature names, the
standardisation (mean and std of each numeric feature), the one-hot categories, the
weights and the bias. It is read with ``json`` alone -- never pickle -- and validated
before use, so ``gfops drift`` can score a production artifact (after its md5 matched the
manifest) without executing anything from it. The demo pipeline writes this format.

Floats are written rounded at a fixed absolute resolution per block (see
:meth:`Model.to_json`), so floating-point noise from the BLAS build or the thread count
does not reach the bytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from scipy.special import expit

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "DECISION_THRESHOLD",
    "MODEL_FORMAT",
    "MODEL_FORMAT_VERSION",
    "Model",
    "ModelFormatError",
    "load_model",
]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int8]

MODEL_FORMAT = "galfriday-logreg"
MODEL_FORMAT_VERSION = 1
DECISION_THRESHOLD = 0.5
# Significant digits written for the weights and bias (relative to the largest of them) and
# for each mean/std (relative to that std); see Model.to_json.
COEF_DIGITS = 10
SCALING_DIGITS = 12


def _require_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    """Fail with the list of missing columns rather than a bare ``KeyError``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"model input: missing columns {missing}")


def _round_to_scale(values: Sequence[float], scale: float, digits: int) -> list[float]:
    """Round ``values`` to ``digits`` significant digits of ``scale`` (not of each value).

    Floating-point noise from summation order (BLAS build, threads) is absolute, about 1e-14
    of the largest weight of a fit, so rounding each value to its own significant digits would
    still expose it in small values such as a bias near zero. Rounding every value at the same
    absolute resolution, ``10 ** (floor(log10(scale)) - digits + 1)``, hides it.
    """
    if scale <= 0.0 or not math.isfinite(scale):
        raise ValueError(f"scale must be positive and finite, got {scale}")
    decimals = digits - 1 - math.floor(math.log10(scale))
    return [round(float(v), decimals) + 0.0 for v in values]  # + 0.0 turns -0.0 into 0.0


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
        _require_columns(frame, self.features)
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
        """Probability of the positive class, one value per row."""
        result: FloatArray = expit(self.design(frame) @ self.weights + self.bias)
        return result

    def predict(self, frame: pd.DataFrame) -> IntArray:
        """Predicted class (1 = positive) at the 0.5 threshold."""
        return (self.predict_proba(frame) >= DECISION_THRESHOLD).astype(np.int8)

    def to_json(self, *, name: str, target: str) -> dict[str, Any]:
        """The model-file payload with floats rounded to hide floating-point noise.

        Each mean and std is rounded to 12 significant digits of its feature's std, the
        weights and bias to 10 significant digits of the largest of them: fitting the same
        rows in another order moves the optimum by about 4e-14, which 12 digits of a bias
        near zero would expose.
        """
        coefs = [*self.weights.tolist(), self.bias]
        coef_scale = max((abs(v) for v in coefs), default=0.0) or 1.0
        coefs = _round_to_scale(coefs, coef_scale, COEF_DIGITS)
        scaled = [
            _round_to_scale([mean, std], std, SCALING_DIGITS)
            for mean, std in zip(self.means.tolist(), self.stds.tolist(), strict=True)
        ]
        return {
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "model": name,
            "target": target,
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
    """Load and validate a model file written from :meth:`Model.to_json`.

    Raises :class:`ModelFormatError` naming the file and the first problem found: not JSON
    (or not text at all), another format or version, or shapes that do not line up.
    """
    path = Path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:  # a binary file (a pickle, an ONNX graph, ...)
        raise _fail(path, f"not UTF-8 JSON (byte {exc.start}: {exc.reason})") from exc
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
