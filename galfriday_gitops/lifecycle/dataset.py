"""Inference logs beyond one machine's memory: a Parquet folder or glob, through Dask.

Each partition (a Parquet row group) is reduced to per-version aggregates that merge in
any order — request and success counts, first and last time, sums for confidence and
cost, and a :class:`~galfriday_gitops.stats.quantiles.DDSketch` of the latencies — so
memory is bounded by one partition, and the same code runs on Dask's threads here or on
a cluster (whatever scheduler ``dask.config`` names). Counts, rates, means and times
are exact; p50/p95/p99 are within the sketch's relative error ``alpha`` (1% by default)
of the order statistic numpy's percentile interpolates from, and say so
(``VersionStats.latency_relative_error``).

Which reader: a glob, or a folder whose logs are all Parquet, is a dataset (when
``dask`` is installed); a single file, JSONL, or a mixed folder is read into memory with
exact percentiles (:mod:`galfriday_gitops.lifecycle.inference`). Both answer
``newest()``, ``evaluate(...)`` and ``dropped`` the same way.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops.errors import UserError
from galfriday_gitops.lifecycle.inference import (
    OPTIONAL,
    PERCENTILES,
    REQUIRED,
    InferenceLog,
    Key,
    VersionStats,
    log_files,
    read_logs,
)

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from galfriday_gitops.resources import TokenPrices
    from galfriday_gitops.stats.quantiles import DDSketch

ALPHA = 0.01  # the latency sketch's relative accuracy
_MIN = -(2**63)


def is_dataset(path: Path) -> bool:
    """A glob, or a folder holding Parquet logs only: read through Dask."""
    if _GLOB_CHARS & set(str(path)):
        return True
    if not path.is_dir():
        return False
    suffixes = {p.suffix.lower() for p in path.rglob("*") if p.is_file()}
    return bool(suffixes) and suffixes <= {".parquet", ".pq"}


_GLOB_CHARS = set("*?[")


def _files(source: str) -> str | list[str]:
    """A folder as is (Dask lists it); a glob expanded here, with Python's rules (``*``,
    ``?``, ``[...]``, ``**``), into the files it matches."""
    if not _GLOB_CHARS & set(source):
        return source
    pattern = Path(source)
    root = Path(pattern.anchor) if pattern.is_absolute() else Path()
    found = sorted(str(p) for p in root.glob(str(pattern.relative_to(root))) if p.is_file())
    if not found:
        raise UserError(f"{source}: no inference logs match this pattern")
    return found


def open_logs(
    path: Path, *, repo: Path | None = None, token_prices: TokenPrices | None = None
) -> InferenceLog | LogDataset:
    """The logs at ``path``: a Dask dataset when it is one and dask is installed, else the
    in-memory log (DVC-fetched first when absent, as before)."""
    if is_dataset(path) and importlib.util.find_spec("dask") is not None:
        return LogDataset(str(path), token_prices=token_prices)
    return read_logs(log_files(path, repo=repo), token_prices=token_prices)


@dataclass
class _Aggregate:
    """One version's mergeable figures over the window."""

    requests: int
    successes: int
    first: int  # ns since the epoch, UTC
    last: int
    confidence_sum: float
    confidence_n: int
    cost_sum: float
    cost_n: int
    latency: DDSketch

    def merge(self, other: _Aggregate) -> _Aggregate:
        self.requests += other.requests
        self.successes += other.successes
        self.first = min(self.first, other.first)
        self.last = max(self.last, other.last)
        self.confidence_sum += other.confidence_sum
        self.confidence_n += other.confidence_n
        self.cost_sum += other.cost_sum
        self.cost_n += other.cost_n
        self.latency.merge(other.latency)
        return self

    def stats(self, key: Key) -> VersionStats:
        from galfriday_gitops.lifecycle.inference import _to_datetime

        p50, p95, p99 = (self.latency.quantile(p / 100) for p in PERCENTILES)
        rate = self.successes / self.requests
        return VersionStats(
            model=key[0],
            version=key[1],
            requests=self.requests,
            success_rate=rate,
            error_rate=1.0 - rate,
            p50_ms=p50,
            p95_ms=p95,
            p99_ms=p99,
            mean_confidence=self.confidence_sum / self.confidence_n if self.confidence_n else None,
            cost_per_request=self.cost_sum / self.cost_n if self.cost_n else None,
            first=_to_datetime(self.first),
            last=_to_datetime(self.last),
            latency_relative_error=self.latency.alpha,
        )


# ---------------------------------------------------------------- one partition


def _nanoseconds(column: pd.Series[Any]) -> npt.NDArray[np.int64]:
    """Timestamps as int64 ns UTC (naive means UTC); missing: int64 min."""
    import numpy as np
    import pandas as pd

    if not pd.api.types.is_datetime64_any_dtype(column.dtype):
        try:
            column = pd.to_datetime(column, utc=True, format="ISO8601")
        except (ValueError, TypeError) as exc:
            raise UserError(f"timestamp is not ISO 8601 ({exc})") from None
    values = column.to_numpy(dtype="datetime64[ns]")  # tz-aware: converted to UTC
    out: npt.NDArray[np.int64] = values.view(np.int64).copy()
    out[np.isnat(values)] = _MIN
    return out


def _codes(column: pd.Series[Any]) -> tuple[npt.NDArray[np.int64], list[str]]:
    """A text column's codes (-1 when missing) and values; dictionary-encoded Parquet
    arrives as a category, whose codes are free."""
    import numpy as np
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        codes = column.cat.codes.to_numpy().astype(np.int64)
        return codes, [str(c) for c in column.cat.categories]
    found, uniques = pd.factorize(column)
    return np.asarray(found, dtype=np.int64), [str(u) for u in uniques]


def _keys(part: pd.DataFrame) -> tuple[list[Key], npt.NDArray[np.int64]]:
    """Each row's (model, version) as a code into the returned keys; -1 when unusable."""
    import numpy as np

    versions, names = _codes(part["version"])
    if "model" not in part.columns:
        return [(None, v) for v in names], versions
    models, model_names = _codes(part["model"])
    pair = models * max(len(names), 1) + versions
    pair[(models < 0) | (versions < 0)] = -1
    uniq, inverse = np.unique(pair, return_inverse=True)
    keys: list[Key] = [
        (model_names[p // len(names)], names[p % len(names)]) for p in uniq if p >= 0
    ]
    codes = inverse.astype(np.int64) - int(uniq.size > 0 and uniq[0] < 0)
    return keys, codes


def _floats(part: pd.DataFrame, name: str) -> npt.NDArray[np.float64] | None:
    import numpy as np
    import pandas as pd

    if name not in part.columns:
        return None
    try:
        return np.asarray(pd.to_numeric(part[name], errors="raise"), dtype=np.float64)
    except (ValueError, TypeError):
        raise UserError(f"{name} must be numeric, not {part[name].dtype}") from None


def _costs(part: pd.DataFrame, prices: TokenPrices | None) -> npt.NDArray[np.float64] | None:
    """Cost per record: its own, else priced from its tokens (as the in-memory reader)."""
    import numpy as np

    cost = _floats(part, "cost")
    tokens_in, tokens_out = _floats(part, "input_tokens"), _floats(part, "output_tokens")
    if prices is None or (tokens_in is None and tokens_out is None):
        return cost
    n = len(part)
    priced = (
        np.nan_to_num(tokens_in if tokens_in is not None else np.zeros(n)) * prices.input
        + np.nan_to_num(tokens_out if tokens_out is not None else np.zeros(n)) * prices.output
    ) / 1000.0
    return priced if cost is None else np.where(np.isnan(cost), priced, cost)


def _newest(part: pd.DataFrame, end: int | None) -> tuple[dict[Key, int], int]:
    """Per version, its newest record at or before ``end``; and the unusable rows."""
    import numpy as np

    keys, codes = _keys(part)
    ts = _nanoseconds(part["timestamp"])
    usable = (codes >= 0) & (ts != _MIN)
    dropped = int(np.count_nonzero(~usable))
    if end is not None:
        usable &= ts <= end
    newest = np.full(len(keys), _MIN, dtype=np.int64)
    np.maximum.at(newest, codes[usable], ts[usable])
    return {k: int(newest[i]) for i, k in enumerate(keys) if newest[i] != _MIN}, dropped


def _aggregate(
    part: pd.DataFrame,
    end: int,
    lower: dict[Key, int] | int,
    prices: TokenPrices | None,
    alpha: float,
) -> dict[Key, _Aggregate]:
    """The figures of one partition's records in their window: ``(lower, end]`` where
    ``lower`` is one bound for all, or each version's own."""
    import numpy as np

    from galfriday_gitops.stats.quantiles import sketches_by_group

    keys, codes = _keys(part)
    ts = _nanoseconds(part["timestamp"])
    if isinstance(lower, int):
        bound = np.full(len(keys), lower, dtype=np.int64)
    else:
        bound = np.array([lower.get(k, end) for k in keys], dtype=np.int64)
    usable = (codes >= 0) & (ts != _MIN) & (ts <= end)
    usable[usable] = ts[usable] > bound[codes[usable]]
    codes, ts = codes[usable], ts[usable]
    k = len(keys)
    n = np.bincount(codes, minlength=k)
    success = part["success"].astype("boolean").fillna(False).to_numpy(dtype=bool)[usable]
    ok = np.bincount(codes, weights=success, minlength=k)
    first = np.full(k, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(k, _MIN, dtype=np.int64)
    np.minimum.at(first, codes, ts)
    np.maximum.at(last, codes, ts)
    latency = _floats(part, "latency_ms")
    assert latency is not None  # required
    sketches = sketches_by_group(codes, latency[usable], k, alpha)
    conf_sum, conf_n = _sums(codes, _floats(part, "confidence"), usable, k)
    cost_sum, cost_n = _sums(codes, _costs(part, prices), usable, k)
    return {
        key: _Aggregate(
            int(n[i]), int(ok[i]), int(first[i]), int(last[i]),
            float(conf_sum[i]), int(conf_n[i]), float(cost_sum[i]), int(cost_n[i]), sketches[i],
        )
        for i, key in enumerate(keys)
        if n[i]
    }  # fmt: skip


def _sums(
    codes: npt.NDArray[np.int64],
    values: npt.NDArray[np.float64] | None,
    usable: npt.NDArray[np.bool_],
    k: int,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """Per version: the sum and the count of the known values (NaN: unknown)."""
    import numpy as np

    if values is None:
        return np.zeros(k), np.zeros(k, dtype=np.int64)
    v = values[usable]
    known = ~np.isnan(v)
    total = np.bincount(codes[known], weights=v[known], minlength=k).astype(np.float64)
    return total, np.bincount(codes[known], minlength=k).astype(np.int64)


# ---------------------------------------------------------------- the dataset


def _to_ns(when: dt.datetime) -> int:
    from galfriday_gitops.lifecycle.inference import _to_ns as to_ns

    return to_ns(when)


class LogDataset:
    """Parquet logs read by Dask, partition by partition (see the module docstring)."""

    def __init__(
        self, source: str, *, token_prices: TokenPrices | None = None, alpha: float = ALPHA
    ) -> None:
        import dask.dataframe as dd

        try:
            frame = dd.read_parquet(_files(source), split_row_groups=True)
        except (OSError, ValueError) as exc:
            raise UserError(f"{source}: unreadable inference logs: {exc}") from None
        missing = [c for c in REQUIRED if c not in frame.columns]
        if missing:
            raise UserError(
                f"{source}: records lack {', '.join(missing)} (need {', '.join(REQUIRED)})"
            )
        self.source = source
        self.frame = frame[[c for c in (*REQUIRED, *OPTIONAL) if c in frame.columns]]
        self.token_prices = token_prices
        self.alpha = alpha
        self._newest: tuple[dict[Key, int], int] | None = None
        self.files: list[str] = [source]

    def _map(self, function: Any, *args: Any, columns: Sequence[str] | None = None) -> list[Any]:
        """``function(partition, *args)`` on every partition (of ``columns`` only, when
        given), on Dask's scheduler."""
        from dask.base import compute
        from dask.delayed import delayed

        frame = self.frame if columns is None else self.frame[list(columns)]
        tasks = [delayed(function)(part, *args) for part in frame.to_delayed()]
        with warnings.catch_warnings():  # dask's own use of an API pandas 3 deprecates
            warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame")
            return list(compute(*tasks))

    def _newest_per_version(self, end: int | None) -> dict[Key, int]:
        merged: dict[Key, int] = {}
        dropped = 0
        keys = [c for c in ("timestamp", "version", "model") if c in self.frame.columns]
        for found, lost in self._map(_newest, end, columns=keys):
            dropped += lost
            for key, ts in found.items():
                merged[key] = max(ts, merged.get(key, _MIN))
        if end is None:
            self._newest = (merged, dropped)
        return merged

    @property
    def dropped(self) -> int:
        """Records without a timestamp or a version (never counted)."""
        if self._newest is None:
            self._newest_per_version(None)
        assert self._newest is not None
        return self._newest[1]

    def newest(self) -> dt.datetime | None:
        """The newest record's time (the default end of the window)."""
        from galfriday_gitops.lifecycle.inference import _to_datetime

        if self._newest is None:
            self._newest_per_version(None)
        assert self._newest is not None
        stamps = self._newest[0].values()
        return _to_datetime(max(stamps)) if stamps else None

    def evaluate(
        self,
        *,
        window: dt.timedelta,
        end: dt.datetime | None = None,
        latest_per_version: bool = False,
    ) -> dict[Key, VersionStats]:
        """Figures per version over ``(end - window, end]`` (see ``inference.evaluate``)."""
        newest = self.newest()
        if newest is None:
            return {}
        end_ns = _to_ns(end or newest)
        width = int(window.total_seconds() * 1e9)
        lower: dict[Key, int] | int = end_ns - width
        if latest_per_version:
            lower = {k: ts - width for k, ts in self._newest_per_version(end_ns).items()}
        merged: dict[Key, _Aggregate] = {}
        for found in self._map(_aggregate, end_ns, lower, self.token_prices, self.alpha):
            for key, agg in found.items():
                merged[key] = merged[key].merge(agg) if key in merged else agg
        return {key: agg.stats(key) for key, agg in merged.items()}
