"""Stage ``simulate``: data that exists only once a model is serving.

* ``data/experiments/<experiment.name>/outcomes.parquet``: one row per account of an A/B test
  between two versions, columns ``account_id``, ``variant`` (``control``/``treatment``,
  assigned independently with probability ``experiment.split`` of treatment, so arm sizes vary
  like a real randomisation), ``pnl_bps`` (normal; treatment mean is control mean times
  ``1 + experiment.lift``), ``latency_ms`` (log-normal around the arm's median) and ``error``
  (0/1 at the arm's error rate).
* ``data/live/price-direction/last-7d.parquet``: the 7 days after ``data.end``, same schema as
  the drift reference, with ``data.regime_shift`` applied.
* ``data/inference/<version>.jsonl``: one request per line for each of ``inference.versions``,
  ``{"timestamp", "version", "success", "latency_ms", "confidence", "cost"}`` over the same
  7 days. ``confidence`` (max class probability) is ``null`` for failed requests; ``cost`` is
  charged for every request. ``inference.spike`` raises one version's error rate from a point
  in the window on.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from galfriday_gitops.demo.pipeline import (
    EXPERIMENTS_DIR,
    INFERENCE_DIR,
    LIVE_FILE,
    STREAM_EXPERIMENT,
    STREAM_INFERENCE,
    STREAM_LIVE,
    ParamsError,
    load_params,
    param,
    param_date,
    param_float,
    param_int,
    param_str,
    param_str_list,
    rng_for,
    write_parquet,
)
from galfriday_gitops.demo.pipeline.prepare import generate_market_data

LIVE_DAYS = 7
VARIANTS = ("control", "treatment")
# Names become path segments: no separators, no leading dot.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
DECIMALS = 6


def _safe_name(value: str, what: str) -> str:
    if not SAFE_NAME.fullmatch(value):
        raise ParamsError(f"params.yaml: {what} {value!r} is not a safe file name")
    return value


def experiment_outcomes(params: Mapping[str, Any], seed: int) -> pd.DataFrame:
    """Per-account outcomes of the A/B experiment described by ``experiment.*``."""
    n = param_int(params, "experiment.n_units", low=2)
    split = param_float(params, "experiment.split", low=0.0, high=1.0)
    lift = param_float(params, "experiment.lift", low=-1.0)
    mean = param_float(params, "experiment.pnl_mean_bps")
    sd = param_float(params, "experiment.pnl_sd_bps", low=0.0)
    latency = np.array(
        [param_float(params, f"experiment.latency_ms.{v}", low=0.0) for v in VARIANTS]
    )
    error_rate = np.array(
        [param_float(params, f"experiment.error_rate.{v}", low=0.0, high=1.0) for v in VARIANTS]
    )

    rng = rng_for(seed, STREAM_EXPERIMENT)
    arm = (rng.uniform(size=n) < split).astype(np.int64)  # 1 = treatment
    arm_mean = np.array([mean, mean * (1.0 + lift)])
    pnl = arm_mean[arm] + sd * rng.standard_normal(n)
    latency_ms = latency[arm] * np.exp(0.25 * rng.standard_normal(n))
    error = (rng.uniform(size=n) < error_rate[arm]).astype(np.int8)
    return pd.DataFrame(
        {
            "account_id": [f"acct-{i:06d}" for i in range(1, n + 1)],
            "variant": np.array(VARIANTS, dtype=object)[arm],
            "pnl_bps": np.round(pnl, DECIMALS),
            "latency_ms": np.round(latency_ms, DECIMALS),
            "error": error,
        }
    )


def inference_log(
    params: Mapping[str, Any], seed: int, version: str, window_start: dt.datetime
) -> list[dict[str, Any]]:
    """Request records of one serving version over the live window, in time order."""
    n = param_int(params, "inference.requests_per_version", low=1)
    base_error = param_float(params, "inference.error_rate", low=0.0, high=1.0)
    latency = param_float(params, "inference.latency_ms", low=0.0)
    cost = param_float(params, "inference.cost_per_request", low=0.0)
    spike_version = param(params, "inference.spike.version")
    spike_at = param_float(params, "inference.spike.start_fraction", low=0.0, high=1.0)
    spike_error = param_float(params, "inference.spike.error_rate", low=0.0, high=1.0)

    # Keyed by the version string, so adding a version leaves the other logs' bytes alone.
    rng = np.random.default_rng([seed, STREAM_INFERENCE, zlib.crc32(version.encode())])
    window_ms = LIVE_DAYS * 86_400_000
    offsets_ms = np.sort(rng.integers(0, window_ms, size=n))
    spiking = (offsets_ms >= spike_at * window_ms) & (version == spike_version)
    success = rng.uniform(size=n) >= np.where(spiking, spike_error, base_error)
    latency_ms = latency * np.exp(0.3 * rng.standard_normal(n))
    confidence = 0.5 + 0.5 * rng.beta(2.0, 1.2, size=n)

    records: list[dict[str, Any]] = []
    for i in range(n):
        stamp = window_start + dt.timedelta(milliseconds=int(offsets_ms[i]))
        ok = bool(success[i])
        records.append(
            {
                "timestamp": stamp.isoformat(timespec="milliseconds"),
                "version": version,
                "success": ok,
                "latency_ms": round(float(latency_ms[i]), DECIMALS),
                "confidence": round(float(confidence[i]), DECIMALS) if ok else None,
                "cost": round(cost, DECIMALS + 4),
            }
        )
    return records


def write_jsonl(records: list[dict[str, Any]], path: Path) -> None:
    """One sorted-key JSON object per line."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, sort_keys=True, allow_nan=False) + "\n" for r in records]
    path.write_text("".join(lines), encoding="utf-8")


def main() -> None:
    """Write the experiment outcomes, the live window and the inference logs."""
    params = load_params()
    seed = param_int(params, "seed", low=0)
    name = _safe_name(param_str(params, "experiment.name"), "experiment.name")
    versions = [
        _safe_name(v, "inference version") for v in param_str_list(params, "inference.versions")
    ]
    spike_version = param(params, "inference.spike.version")
    if spike_version is not None and spike_version not in versions:
        raise ParamsError("params.yaml: 'inference.spike.version' must be null or a listed version")

    outcomes = experiment_outcomes(params, seed)
    outcomes_file = EXPERIMENTS_DIR / name / "outcomes.parquet"
    write_parquet(outcomes, outcomes_file)

    live_start = param_date(params, "data.end") + dt.timedelta(days=1)
    live = generate_market_data(
        live_start,
        LIVE_DAYS,
        param_int(params, "data.rows_per_day", low=1),
        seed,
        STREAM_LIVE,
        param_float(params, "data.regime_shift", low=0.0),
    )
    write_parquet(live, LIVE_FILE)

    # Drop logs of versions no longer listed so the directory matches params exactly.
    for stale in sorted(INFERENCE_DIR.glob("*.jsonl")):
        stale.unlink()
    window_start = dt.datetime.combine(live_start, dt.time(), tzinfo=dt.UTC)
    for version in versions:
        write_jsonl(
            inference_log(params, seed, version, window_start),
            INFERENCE_DIR / f"{version}.jsonl",
        )
    print(
        f"simulate: {len(outcomes)} accounts -> {outcomes_file}, {len(live)} live rows, "
        f"{len(versions)} inference logs"
    )


if __name__ == "__main__":
    main()
