"""Inference logs into per-version health figures (judged by :mod:`.health`).

A record is one request: ``timestamp`` (ISO 8601 text, or a Parquet timestamp; naive
means UTC), ``version``, ``success`` (boolean; a missing value counts as a failure),
``latency_ms``, and optionally ``confidence`` (the model's confidence; null for failed
requests), ``cost`` (currency per request), ``input_tokens``/``output_tokens`` (priced by
the policy's ``costPerThousandTokens`` when a record has no ``cost``) and ``model`` (needed
only when the registry holds several models). Files are JSONL (``.jsonl``) or Parquet
(``.parquet``/``.pq``); a directory is read recursively.

Per version and window: request count, success and error rate, p50/p95/p99 latency
(numpy's default linear interpolation, over requests with a latency, failed ones
included: a timeout is exactly the latency that matters), mean confidence (over records
that have one), cost per request (over records with a known cost). A version with fewer
than ``minSamples`` requests in the window is "insufficient data" and is never judged
(:func:`galfriday_gitops.lifecycle.health.judge`).

Everything is columnar: one pass of ``bincount`` per figure, one radix sort of the
version codes for the percentiles; no per-record Python.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from galfriday_gitops.resources import TokenPrices

__all__ = [
    "InferenceLog",
    "Key",
    "VersionStats",
    "evaluate",
    "log_files",
    "parse_window",
    "read_logs",
]

# (model or None when records carry no model, version)
Key = tuple[str | None, str]
SUFFIXES = (".jsonl", ".parquet", ".pq")
REQUIRED = ("timestamp", "version", "success", "latency_ms")
OPTIONAL = ("confidence", "cost", "input_tokens", "output_tokens", "model")
PERCENTILES = (50.0, 95.0, 99.0)


def parse_window(text: str) -> dt.timedelta:
    """``"24h"`` / ``"30m"`` / ``"7d"`` (the policy's Duration) as a timedelta."""
    match = re.fullmatch(r"([1-9][0-9]{0,4})([mhd])", text)
    if match is None:
        raise UserError(f"window {text!r}: expected a number and m, h or d, e.g. 24h")
    unit = {"m": "minutes", "h": "hours", "d": "days"}[match.group(2)]
    return dt.timedelta(**{unit: int(match.group(1))})


@dataclass(frozen=True, slots=True)
class InferenceLog:
    """All records of the logs, columnar; ``codes[i]`` indexes ``keys`` (-1: unusable row)."""

    keys: list[Key]
    codes: npt.NDArray[np.int32]
    ts: npt.NDArray[np.int64]  # nanoseconds since the epoch, UTC
    success: npt.NDArray[np.bool_]
    latency: npt.NDArray[np.float64]  # NaN when absent
    confidence: npt.NDArray[np.float64] | None  # NaN when absent
    cost: npt.NDArray[np.float64] | None  # NaN when unknown
    files: list[str] = field(default_factory=list)
    dropped: int = 0  # records without a timestamp or version

    def __len__(self) -> int:
        return int(self.codes.size)

    def newest(self) -> dt.datetime | None:
        """The newest record's time (the default end of the window)."""
        import numpy as np

        usable = self.ts[self.codes >= 0]
        return _to_datetime(int(np.max(usable))) if usable.size else None

    def evaluate(
        self,
        *,
        window: dt.timedelta,
        end: dt.datetime | None = None,
        latest_per_version: bool = False,
    ) -> dict[Key, VersionStats]:
        """:func:`evaluate` on this log (the interface a Dask dataset shares)."""
        return evaluate(self, window=window, end=end, latest_per_version=latest_per_version)


def _to_datetime(ns: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ns // 1_000_000_000, dt.UTC) + dt.timedelta(
        microseconds=(ns % 1_000_000_000) // 1000
    )


def _to_ns(when: dt.datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    delta = when - dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000_000 + delta.microseconds * 1000


# ---------------------------------------------------------------- reading


def log_files(path: Path, *, repo: Path | None = None) -> list[Path]:
    """The log files at ``path`` (a file, or a folder read recursively); DVC-fetched if absent."""
    if not path.exists():
        from galfriday_gitops.dvcio import pull_if_missing

        pull_if_missing(path, repo)
    if path.is_file():
        if not path.name.lower().endswith(SUFFIXES):
            raise UserError(f"{path}: not an inference log (expected {', '.join(SUFFIXES)})")
        return [path]
    files = sorted(p for p in path.rglob("*") if p.is_file() and p.name.lower().endswith(SUFFIXES))
    if not files:
        raise UserError(f"{path}: no inference logs ({', '.join(SUFFIXES)}) in this folder")
    return files


def _read_table(path: Path) -> Any:
    """One file as a pyarrow Table with the columns we know (missing optional ones absent)."""
    import pyarrow as pa
    import pyarrow.json as pj
    import pyarrow.parquet as pq

    try:
        if path.name.lower().endswith(".jsonl"):
            # Timestamps and versions are text: inference would turn "1.10" or a bare date
            # into something else.
            schema = pa.schema([("timestamp", pa.string()), ("version", pa.string())])
            options = pj.ParseOptions(explicit_schema=schema, unexpected_field_behavior="infer")
            table = pj.read_json(path, parse_options=options)
        else:
            names = pq.read_schema(path).names
            wanted = [c for c in (*REQUIRED, *OPTIONAL) if c in names]
            table = pq.read_table(path, columns=wanted, read_dictionary=["version", "model"])
    except (OSError, pa.ArrowException) as exc:
        detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UserError(f"{path}: unreadable inference log: {detail}") from None
    missing = [c for c in REQUIRED if c not in table.column_names]
    if missing and table.num_rows:
        raise UserError(f"{path}: records lack {', '.join(missing)} (need {', '.join(REQUIRED)})")
    return table


def _timestamps(path: Path, column: Any) -> npt.NDArray[np.int64]:
    import numpy as np
    import pyarrow as pa

    kind = column.type
    if pa.types.is_timestamp(kind):
        # Naive Parquet timestamps are taken as UTC; the cast keeps the instant otherwise.
        as_ns = column.cast(pa.timestamp("ns", tz=kind.tz)).cast(pa.int64())
        return np.asarray(as_ns.fill_null(np.iinfo(np.int64).min).to_numpy(), dtype=np.int64)
    if pa.types.is_string(kind) or pa.types.is_large_string(kind):
        import pandas as pd

        try:
            parsed = pd.to_datetime(column.to_pandas(), utc=True, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise UserError(f"{path}: timestamp is not ISO 8601 ({exc})") from None
        values = parsed.dt.tz_convert(None).astype("datetime64[ns]").to_numpy()
        out: npt.NDArray[np.int64] = values.view(np.int64).copy()
        out[np.isnat(values)] = np.iinfo(np.int64).min
        return out
    raise UserError(f"{path}: timestamp must be ISO 8601 text or a timestamp, not {kind}")


def _floats(path: Path, table: Any, name: str) -> npt.NDArray[np.float64] | None:
    import numpy as np
    import pyarrow as pa

    if name not in table.column_names:
        return None
    column = table.column(name)
    if pa.types.is_null(column.type):
        return np.full(len(column), np.nan)
    try:
        cast = column.cast(pa.float64())
    except pa.ArrowException:
        raise UserError(f"{path}: {name} must be numeric, not {column.type}") from None
    return np.asarray(cast.to_numpy(zero_copy_only=False), dtype=np.float64)


def _codes(table: Any, name: str) -> tuple[npt.NDArray[np.int32], list[str]]:
    """Dictionary codes (-1 for null) and the dictionary of a text column."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    column = table.column(name)
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column.cast(pa.string()))
    # Parquet row groups (and pyarrow chunks) may each carry their own dictionary.
    column = pa.table({name: column}).unify_dictionaries().column(name)
    chunks = column.chunks
    if not chunks:
        return np.empty(0, dtype=np.int32), []
    dictionary = [str(v) for v in chunks[0].dictionary.to_pylist()]
    parts = [
        np.asarray(c.indices.cast(pa.int32()).fill_null(-1).to_numpy(), dtype=np.int32)
        for c in chunks
    ]
    return np.concatenate(parts), dictionary


def read_logs(paths: Iterable[Path], *, token_prices: TokenPrices | None = None) -> InferenceLog:
    """Read every file into one columnar log; a malformed file is a UserError naming it."""
    import numpy as np
    import pyarrow as pa

    keys: dict[Key, int] = {}
    parts: dict[str, list[Any]] = {
        k: [] for k in ("codes", "ts", "success", "latency", "confidence", "cost")
    }
    has_conf = has_cost = False
    files: list[str] = []
    for path in paths:
        files.append(str(path))
        table = _read_table(path)
        n = table.num_rows
        if n == 0:
            continue
        version_codes, versions = _codes(table, "version")
        if "model" in table.column_names:
            model_codes, models = _codes(table, "model")
            pair = model_codes.astype(np.int64) * max(len(versions), 1) + version_codes
            pair[(model_codes < 0) | (version_codes < 0)] = -1
            uniq, inverse = np.unique(pair, return_inverse=True)
            local: list[Key | None] = [
                None if p < 0 else (models[p // len(versions)], versions[p % len(versions)])
                for p in uniq.tolist()
            ]
            local_codes = inverse.astype(np.int32)
        else:
            local = [(None, v) for v in versions]
            local_codes = version_codes
        # File-local codes -> global codes through a small lookup (a handful of versions).
        lookup = np.array(
            [-1 if k is None else keys.setdefault(k, len(keys)) for k in local] + [-1],
            dtype=np.int32,
        )
        parts["codes"].append(lookup[local_codes])  # -1 indexes the trailing -1
        parts["ts"].append(_timestamps(path, table.column("timestamp")))
        success_col = table.column("success")
        try:
            success = success_col.cast(pa.bool_()).fill_null(False)
        except pa.ArrowException:
            raise UserError(f"{path}: success must be true/false, not {success_col.type}") from None
        parts["success"].append(np.asarray(success.to_numpy(), dtype=np.bool_))
        latency = _floats(path, table, "latency_ms")
        assert latency is not None  # required column
        parts["latency"].append(latency)
        confidence = _floats(path, table, "confidence")
        has_conf |= confidence is not None
        parts["confidence"].append(confidence if confidence is not None else np.full(n, np.nan))
        cost = _floats(path, table, "cost")
        if cost is None:
            cost = np.full(n, np.nan)
        tokens_in = _floats(path, table, "input_tokens")
        tokens_out = _floats(path, table, "output_tokens")
        if token_prices is not None and (tokens_in is not None or tokens_out is not None):
            priced = (
                np.nan_to_num(tokens_in if tokens_in is not None else np.zeros(n))
                * token_prices.input
                + np.nan_to_num(tokens_out if tokens_out is not None else np.zeros(n))
                * token_prices.output
            ) / 1000.0
            cost = np.where(np.isnan(cost), priced, cost)
        has_cost |= bool(np.any(~np.isnan(cost)))
        parts["cost"].append(cost)
        del table  # the Arrow copy; only the numpy columns are kept

    def joined(name: str, dtype: Any) -> Any:
        chunks = parts.pop(name)
        if len(chunks) == 1:  # one file: no concatenation, no second copy
            return chunks[0]
        return np.concatenate(chunks) if chunks else np.empty(0, dtype=dtype)

    codes = joined("codes", np.int32)
    ts = joined("ts", np.int64)
    unusable = ts == np.iinfo(np.int64).min
    codes[unusable] = -1
    return InferenceLog(
        keys=list(keys),
        codes=codes,
        ts=ts,
        success=joined("success", np.bool_),
        latency=joined("latency", np.float64),
        confidence=joined("confidence", np.float64) if has_conf else None,
        cost=joined("cost", np.float64) if has_cost else None,
        files=files,
        dropped=int(np.count_nonzero(codes < 0)),
    )


# ---------------------------------------------------------------- evaluating


@dataclass(frozen=True, slots=True)
class VersionStats:
    """One version's figures over its window."""

    model: str | None
    version: str
    requests: int
    success_rate: float
    error_rate: float
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None
    mean_confidence: float | None
    cost_per_request: float | None
    first: dt.datetime
    last: dt.datetime
    # 0: exact percentiles (numpy); else the sketch's bound (lifecycle/dataset.py)
    latency_relative_error: float = 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "version": self.version,
            "requests": self.requests,
            "successRate": self.success_rate,
            "errorRate": self.error_rate,
            "latencyMs": {"p50": self.p50_ms, "p95": self.p95_ms, "p99": self.p99_ms},
            "latencyRelativeError": self.latency_relative_error,
            "meanConfidence": self.mean_confidence,
            "costPerRequest": self.cost_per_request,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
        }


def _group_mean(
    codes: npt.NDArray[np.int32], values: npt.NDArray[np.float64], k: int
) -> list[float | None]:
    import numpy as np

    known = ~np.isnan(values)
    count = np.bincount(codes[known], minlength=k)
    total = np.bincount(codes[known], weights=values[known], minlength=k)
    return [float(total[i] / count[i]) if count[i] else None for i in range(k)]


def evaluate(
    log: InferenceLog,
    *,
    window: dt.timedelta,
    end: dt.datetime | None = None,
    latest_per_version: bool = False,
) -> dict[Key, VersionStats]:
    """Figures per version over ``(end - window, end]``.

    ``end`` defaults to the newest record. With ``latest_per_version`` each version gets
    its own window ending at its newest record at or before ``end``: how a version that
    no longer serves behaved the last time it did (used to pick a rollback target).
    Versions without records in their window are absent from the result.
    """
    import numpy as np

    k = len(log.keys)
    if k == 0 or len(log) == 0:
        return {}
    end_ns = _to_ns(end) if end is not None else int(np.max(log.ts[log.codes >= 0]))
    width = int(window.total_seconds() * 1e9)
    usable = (log.codes >= 0) & (log.ts <= end_ns)
    if latest_per_version:
        last = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
        np.maximum.at(last, log.codes[usable], log.ts[usable])
        # Versions without records keep int64 min: clip before subtracting the width.
        lower = np.maximum(last, np.iinfo(np.int64).min + width) - width
        mask = usable.copy()
        mask[usable] = log.ts[usable] > lower[log.codes[usable]]
    else:
        mask = usable & (log.ts > end_ns - width)
    codes = log.codes[mask]
    ts = log.ts[mask]
    n = np.bincount(codes, minlength=k)
    successes = np.bincount(codes, weights=log.success[mask], minlength=k)
    first = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    newest = np.full(k, np.iinfo(np.int64).min, dtype=np.int64)
    np.minimum.at(first, codes, ts)
    np.maximum.at(newest, codes, ts)

    # Percentiles: group the latencies by version with one stable radix sort of small
    # integer codes, then one partition-based percentile per contiguous slice.
    latency = log.latency[mask]
    has_latency = ~np.isnan(latency)
    lat_codes = codes[has_latency]
    small = np.int16 if k < np.iinfo(np.int16).max else np.int32
    order = np.argsort(lat_codes.astype(small), kind="stable")
    grouped = latency[has_latency][order]
    bounds = np.concatenate(([0], np.cumsum(np.bincount(lat_codes, minlength=k))))

    confidence = (
        _group_mean(codes, log.confidence[mask], k) if log.confidence is not None else [None] * k
    )
    cost = _group_mean(codes, log.cost[mask], k) if log.cost is not None else [None] * k
    out: dict[Key, VersionStats] = {}
    for i, key in enumerate(log.keys):
        if n[i] == 0:
            continue
        segment = grouped[bounds[i] : bounds[i + 1]]
        p50 = p95 = p99 = None
        if segment.size:
            p50, p95, p99 = (float(x) for x in np.percentile(segment, PERCENTILES))
        rate = float(successes[i] / n[i])
        out[key] = VersionStats(
            model=key[0],
            version=key[1],
            requests=int(n[i]),
            success_rate=rate,
            error_rate=1.0 - rate,
            p50_ms=p50,
            p95_ms=p95,
            p99_ms=p99,
            mean_confidence=confidence[i],
            cost_per_request=cost[i],
            first=_to_datetime(int(first[i])),
            last=_to_datetime(int(newest[i])),
        )
    return out
