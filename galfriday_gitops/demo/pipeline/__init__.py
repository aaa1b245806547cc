"""Deterministic demo pipeline for the ``price-direction`` model.

Each stage is a module run from the root of a registry repository, reading ``params.yaml``
there: ``python -m galfriday_gitops.demo.pipeline.<stage>`` for ``prepare``, ``train``,
``evaluate`` and ``simulate``. Same params give byte-identical outputs: all randomness comes
from seeded numpy generators, floats written to JSON are rounded, and parquet files are written
without any run-dependent metadata.

This module holds what the stages share: the dataset schema, typed access to params, the
train/validation split and the deterministic writers.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

MODEL_NAME = "price-direction"
TARGET = "direction_1h"
TIMESTAMP = "timestamp"
NUMERIC_FEATURES: tuple[str, ...] = ("spread_bps", "imbalance_l5", "ret_5m", "ret_1h", "vol_1h")
CATEGORICAL_FEATURES: dict[str, tuple[str, ...]] = {"session": ("asia", "europe", "us")}
ALL_FEATURES: tuple[str, ...] = (*NUMERIC_FEATURES, *CATEGORICAL_FEATURES)

PARAMS_FILE = Path("params.yaml")
PREPARED_DIR = Path("data/prepared")
TRAIN_FILE = PREPARED_DIR / "train.parquet"
TEST_FILE = PREPARED_DIR / "test.parquet"
REFERENCE_FILE = Path("data/reference") / f"{MODEL_NAME}.parquet"
MODEL_FILE = Path("build/model/model.json")
METRICS_FILE = Path("build/metrics.json")
LIVE_FILE = Path("data/live") / MODEL_NAME / "last-7d.parquet"
EXPERIMENTS_DIR = Path("data/experiments")
INFERENCE_DIR = Path("data/inference")

# Independent random streams per purpose, so changing one knob (e.g. experiment size) never
# changes the bytes of an unrelated output (e.g. the training data).
STREAM_MARKET = 1
STREAM_REFERENCE = 2
STREAM_LIVE = 3
STREAM_EXPERIMENT = 4
STREAM_INFERENCE = 5


class ParamsError(ValueError):
    """``params.yaml`` is missing a knob or holds a value of the wrong type or range."""


def load_params(path: Path = PARAMS_FILE) -> dict[str, Any]:
    """Read ``params.yaml`` with ``yaml.safe_load``; the top level must be a mapping."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ParamsError(f"{path} not found; run the stage from the registry root") from exc
    data = yaml.safe_load(text)
    if not isinstance(data, dict):
        raise ParamsError(f"{path}: top level must be a mapping")
    return data


def param(params: Mapping[str, Any], dotted: str) -> Any:
    """Return the value at a dotted key such as ``"train.l2"``; fail clearly when absent."""
    node: Any = params
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            raise ParamsError(f"params.yaml: missing '{dotted}'")
        node = node[part]
    return node


def param_float(
    params: Mapping[str, Any], dotted: str, *, low: float | None = None, high: float | None = None
) -> float:
    """A finite number knob, optionally bounded (inclusive)."""
    value = param(params, dotted)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ParamsError(f"params.yaml: '{dotted}' must be a finite number, got {value!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ParamsError(f"params.yaml: '{dotted}'={value} outside [{low}, {high}]")
    return float(value)


def param_int(params: Mapping[str, Any], dotted: str, *, low: int | None = None) -> int:
    """An integer knob, optionally with a lower bound."""
    value = param(params, dotted)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ParamsError(f"params.yaml: '{dotted}' must be an integer, got {value!r}")
    if low is not None and value < low:
        raise ParamsError(f"params.yaml: '{dotted}'={value} must be >= {low}")
    return value


def param_str(params: Mapping[str, Any], dotted: str) -> str:
    """A non-empty string knob."""
    value = param(params, dotted)
    if not isinstance(value, str) or not value:
        raise ParamsError(f"params.yaml: '{dotted}' must be a non-empty string, got {value!r}")
    return value


def param_str_list(params: Mapping[str, Any], dotted: str) -> list[str]:
    """A non-empty list of strings."""
    value = param(params, dotted)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(item, str) and item for item in value)
    ):
        raise ParamsError(f"params.yaml: '{dotted}' must be a non-empty list of strings")
    return list(value)


def param_date(params: Mapping[str, Any], dotted: str) -> dt.date:
    """A calendar date, written either quoted (``"2024-01-01"``) or as a bare YAML date."""
    value = param(params, dotted)
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ParamsError(f"params.yaml: '{dotted}' is not an ISO date: {value!r}") from exc
    raise ParamsError(f"params.yaml: '{dotted}' must be a date, got {value!r}")


# The first day of the demo's market: a window that starts here draws the original stream.
MARKET_EPOCH = dt.date(2024, 1, 1)


def rng_for(seed: int, stream: int, day: int = 0) -> np.random.Generator:
    """A generator for one purpose; ``(seed, stream)`` pairs give independent streams.

    ``day`` (days since :data:`MARKET_EPOCH` of the first bar) keys the market itself: a
    window that starts on another day sees another stretch of market, so retraining on a
    new window trains on new data. Day 0 keeps the original key (``[seed, stream]``), so
    the outputs this repository's ``dvc.lock`` records stay reproducible.
    """
    key = [seed, stream] if day == 0 else [seed, stream, abs(day), int(day < 0)]
    return np.random.default_rng(key)


def validation_split(train: pd.DataFrame, fraction: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split time-ordered training data into a fitting head and a held-out validation tail.

    ``train`` fits on the head, ``evaluate`` scores the tail: both call this so they agree.
    """
    if not 0.0 < fraction < 1.0:
        raise ParamsError(f"validation fraction must be in (0, 1), got {fraction}")
    n_val = max(1, round(len(train) * fraction))
    if n_val >= len(train):
        raise ParamsError("training data too small for the validation split")
    cut = len(train) - n_val
    return train.iloc[:cut].reset_index(drop=True), train.iloc[cut:].reset_index(drop=True)


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write ``frame`` so the same data always gives the same bytes.

    pyarrow writes no timestamps into parquet metadata. The pandas schema block (which names
    the pandas version) is dropped, so the only library-version field left is
    parquet's ``created_by`` (the pyarrow version); the arrow types alone round-trip the
    columns, time zone included. The index is dropped so a filtered frame and a fresh one
    serialise alike, and compression and statistics are pinned rather than left to defaults.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    pq.write_table(
        table,
        path,
        compression="zstd",
        compression_level=3,
        use_dictionary=True,
        write_statistics=True,
        row_group_size=1 << 20,
    )


def write_json(payload: Mapping[str, Any], path: Path) -> None:
    """Write JSON with sorted keys, two-space indent and a final newline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(payload, sort_keys=True, indent=2, allow_nan=False) + "\n"
    path.write_text(text, encoding="utf-8")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Fail with the list of missing columns rather than a bare ``KeyError``."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what}: missing columns {missing}")
