"""Stage ``prepare``: synthetic BTC/USD order-book data for the ``price-direction`` model.

Rows are evenly spaced bars over ``data.start``..``data.end`` (both inclusive, UTC),
``data.rows_per_day`` per day. The features describe the book and recent returns; the binary
target ``direction_1h`` says whether the mid price is higher one hour later. It is drawn from a
logistic model of the features, so it is noisy: even the true model errs on about one bar in ten.

``data.regime_shift`` (0 = none) plants a regime change at the train/test boundary: the test
window, and the live window written by ``simulate``, get wider spreads, higher volatility, a
one-sided book and a weaker, partly inverted link from short-term momentum to direction. The
training window, and the drift reference sampled from it, are never shifted, and their bytes do
not depend on the knob.

Outputs: ``data/prepared/{train,test}.parquet`` (time-ordered split by ``data.test_fraction``)
and ``data/reference/price-direction.parquet`` (``data.reference_rows`` sampled from train).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy.signal import lfilter

from galfriday_gitops.demo.pipeline import (
    CATEGORICAL_FEATURES,
    MARKET_EPOCH,
    REFERENCE_FILE,
    STREAM_MARKET,
    STREAM_REFERENCE,
    TARGET,
    TEST_FILE,
    TIMESTAMP,
    TRAIN_FILE,
    ParamsError,
    load_params,
    param_date,
    param_float,
    param_int,
    rng_for,
    write_parquet,
)

FloatArray = npt.NDArray[np.float64]

SESSIONS = CATEGORICAL_FEATURES["session"]
# UTC hour at which each session starts: asia 00-08, europe 08-14, us 14-24.
SESSION_START_HOURS = (0, 8, 14)
MICROS_PER_DAY = 86_400_000_000
# Persistence of the hourly log-volatility process: volatility clusters over days.
VOL_PERSISTENCE = 0.995
# True coefficients of the direction logit on standardised signals (tuned so that a
# logistic model on all features scores about 0.89 accuracy and one without the order-book
# imbalance about 0.83).
COEF_IMBALANCE = 4.0
COEF_MOMENTUM = 4.5
COEF_REVERSAL = 1.0
COEF_SPREAD = 0.25
SESSION_EFFECT = np.array([-0.15, 0.0, 0.2])
SESSION_VOL = np.array([0.8, 1.0, 1.15])
SESSION_SPREAD = np.array([1.35, 1.0, 0.9])
DECIMALS = 6


def generate_market_data(
    start: dt.date,
    days: int,
    rows_per_day: int,
    seed: int,
    stream: int,
    shift: FloatArray | float = 0.0,
    day: int = 0,
) -> pd.DataFrame:
    """Generate ``days * rows_per_day`` bars starting at ``start`` 00:00 UTC.

    ``shift`` is the regime shift, either one value or one value per row (``prepare`` shifts
    only the test rows). The random draws never depend on it, so unshifted rows are
    identical whatever the shift elsewhere. ``day`` keys the draws (see ``rng_for``):
    ``prepare`` passes the window's first day, so two windows that start on different days
    hold different bars.
    """
    if days < 1 or rows_per_day < 1:
        raise ParamsError("need at least one day and one row per day")
    n = days * rows_per_day
    rng = rng_for(seed, stream, day)
    noise = rng.standard_normal((5, n))
    uniform = rng.uniform(size=n)
    s = np.broadcast_to(np.asarray(shift, dtype=np.float64), (n,))

    step_us = MICROS_PER_DAY // rows_per_day
    offsets_us = np.arange(n, dtype=np.int64) * step_us
    base = np.datetime64(start.isoformat(), "us")
    stamps = pd.DatetimeIndex(base + offsets_us.astype("timedelta64[us]")).tz_localize("UTC")
    hour_of_day = (offsets_us % MICROS_PER_DAY) // 3_600_000_000
    session_idx = np.searchsorted(np.array(SESSION_START_HOURS), hour_of_day, side="right") - 1

    # AR(1) log-volatility with unit stationary variance.
    log_vol = lfilter([np.sqrt(1.0 - VOL_PERSISTENCE**2)], [1.0, -VOL_PERSISTENCE], noise[0])
    vol_1h = 45.0 * np.exp(0.35 * log_vol) * SESSION_VOL[session_idx] * (1.0 + 0.6 * s)
    spread_bps = (
        1.2
        * np.exp(0.35 * noise[1] + 0.25 * log_vol)
        * SESSION_SPREAD[session_idx]
        * (1.0 + 0.8 * s)
    )
    imbalance_l5 = np.tanh(0.9 * noise[2] + 0.5 * s)
    momentum = 0.35 * imbalance_l5 + noise[3]  # 5-minute return in units of its volatility
    reversal = noise[4]  # 1-hour return in units of its volatility
    ret_5m = vol_1h / np.sqrt(12.0) * momentum
    ret_1h = vol_1h * reversal

    logit = (
        COEF_IMBALANCE * (1.0 - 0.6 * s) * imbalance_l5
        + COEF_MOMENTUM * (1.0 - 1.2 * s) * momentum
        - COEF_REVERSAL * reversal
        - COEF_SPREAD * np.log(spread_bps / 1.2)
        + SESSION_EFFECT[session_idx]
    )
    direction = (uniform < 1.0 / (1.0 + np.exp(-logit))).astype(np.int8)

    return pd.DataFrame(
        {
            TIMESTAMP: stamps,
            "spread_bps": np.round(spread_bps, DECIMALS),
            "imbalance_l5": np.round(imbalance_l5, DECIMALS),
            "ret_5m": np.round(ret_5m, DECIMALS),
            "ret_1h": np.round(ret_1h, DECIMALS),
            "vol_1h": np.round(vol_1h, DECIMALS),
            "session": np.array(SESSIONS, dtype=object)[session_idx],
            TARGET: direction,
        }
    )


def main() -> None:
    """Write the train/test split and the drift reference from ``params.yaml``."""
    params = load_params()
    seed = param_int(params, "seed", low=0)
    start = param_date(params, "data.start")
    end = param_date(params, "data.end")
    if end < start:
        raise ParamsError("params.yaml: 'data.end' is before 'data.start'")
    rows_per_day = param_int(params, "data.rows_per_day", low=1)
    test_fraction = param_float(params, "data.test_fraction", low=0.01, high=0.9)
    reference_rows = param_int(params, "data.reference_rows", low=1)
    regime_shift = param_float(params, "data.regime_shift", low=0.0)

    days = (end - start).days + 1
    n = days * rows_per_day
    n_test = max(1, round(n * test_fraction))
    cut = n - n_test
    shift = np.where(np.arange(n) >= cut, regime_shift, 0.0)
    day = (start - MARKET_EPOCH).days
    market = generate_market_data(start, days, rows_per_day, seed, STREAM_MARKET, shift, day)
    train = market.iloc[:cut].reset_index(drop=True)
    test = market.iloc[cut:].reset_index(drop=True)

    picked = rng_for(seed, STREAM_REFERENCE).choice(
        len(train), size=min(reference_rows, len(train)), replace=False
    )
    reference = train.iloc[np.sort(picked)].reset_index(drop=True)

    write_parquet(train, TRAIN_FILE)
    write_parquet(test, TEST_FILE)
    write_parquet(reference, REFERENCE_FILE)
    print(f"prepare: {len(train)} train, {len(test)} test, {len(reference)} reference rows")


if __name__ == "__main__":
    main()
