"""Inference logs through Dask: on a multi-partition Parquet dataset, counts, rates, times
and means equal the in-memory reader's, and p50/p95/p99 are within the sketch's bound."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from galfriday_gitops.errors import UserError
from galfriday_gitops.lifecycle.dataset import ALPHA, LogDataset, is_dataset, open_logs
from galfriday_gitops.lifecycle.inference import InferenceLog, read_logs
from galfriday_gitops.resources import TokenPrices

END = dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)
WINDOW = dt.timedelta(hours=24)


def _write(path: Path, rng: np.random.Generator, n: int, *, row_group: int) -> pd.DataFrame:
    """n records of three models' versions over two days, with unusable rows."""
    stamps = np.datetime64("2027-01-08T12:00:00", "ms") + rng.integers(0, 2 * 86_400_000, n).astype(
        "timedelta64[ms]"
    )
    versions = rng.choice(["1.0.0", "1.1.0", "2.0.0"], n).astype(object)
    versions[rng.uniform(size=n) < 0.01] = None  # no version: dropped
    success = rng.uniform(size=n) >= np.where(versions == "2.0.0", 0.05, 0.01)
    frame = pd.DataFrame(
        {
            "timestamp": pd.to_datetime(stamps, utc=True),
            "model": rng.choice(["churn", "fraud"], n),
            "version": versions,
            "success": success,
            "latency_ms": 10 * np.exp(0.5 * rng.standard_normal(n)),
            "confidence": np.where(success, rng.uniform(0.5, 1, n), np.nan),
            "cost": np.where(rng.uniform(size=n) < 0.5, 0.001, np.nan),
            "input_tokens": rng.integers(10, 500, n).astype(float),
        }
    )
    frame.loc[rng.uniform(size=n) < 0.01, "timestamp"] = pd.NaT  # no time: dropped
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, row_group_size=row_group)
    return frame


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pd.DataFrame]:
    folder = tmp_path_factory.mktemp("logs")
    rng = np.random.default_rng(11)
    parts = [_write(folder / f"part-{i}.parquet", rng, 30_000, row_group=7_000) for i in range(4)]
    return folder, pd.concat(parts, ignore_index=True)


PRICES = TokenPrices(input=0.002, output=0.0)


def _both(folder: Path) -> tuple[LogDataset, InferenceLog]:
    files = sorted(folder.glob("*.parquet"))
    return LogDataset(str(folder), token_prices=PRICES), read_logs(files, token_prices=PRICES)


def test_a_multi_partition_dataset_agrees_with_memory_within_the_bound(
    dataset: tuple[Path, pd.DataFrame],
) -> None:
    folder, frame = dataset
    sketched, exact = _both(folder)
    assert sketched.frame.npartitions >= 8  # 4 files x 5 row groups: really partitioned
    assert sketched.newest() == exact.newest() and sketched.dropped == exact.dropped > 0
    end = exact.newest()
    assert end is not None
    ours, theirs = sketched.evaluate(window=WINDOW), exact.evaluate(window=WINDOW)
    assert set(ours) == set(theirs) and len(ours) == 6
    in_window = frame[(frame.timestamp > end - WINDOW) & (frame.timestamp <= end)]
    for key, got in ours.items():
        want = theirs[key]
        assert (got.requests, got.first, got.last) == (want.requests, want.first, want.last)
        assert got.success_rate == pytest.approx(want.success_rate, abs=1e-12)
        assert got.mean_confidence == pytest.approx(want.mean_confidence, rel=1e-9)
        assert got.cost_per_request == pytest.approx(want.cost_per_request, rel=1e-9)
        assert (got.latency_relative_error, want.latency_relative_error) == (ALPHA, 0.0)
        mine = in_window[(in_window.model == key[0]) & (in_window.version == key[1])]
        latency = mine.latency_ms.to_numpy()
        assert latency.size == got.requests
        for p, sketch, linear in zip(
            (50, 95, 99),
            (got.p50_ms, got.p95_ms, got.p99_ms),
            (want.p50_ms, want.p95_ms, want.p99_ms),
            strict=True,
        ):
            assert sketch is not None and linear is not None
            lower = float(np.percentile(latency, p, method="lower"))
            upper = float(np.percentile(latency, p, method="higher"))
            assert abs(sketch - lower) <= ALPHA * lower  # DDSketch's guarantee
            assert (1 - ALPHA) * lower <= sketch <= (1 + ALPHA) * upper  # around numpy's value
            assert lower <= linear <= upper


def test_each_versions_latest_window_agrees(dataset: tuple[Path, pd.DataFrame]) -> None:
    folder, _ = dataset
    sketched, exact = _both(folder)
    end = END - dt.timedelta(hours=30)
    hour = dt.timedelta(hours=1)
    ours = sketched.evaluate(window=hour, end=end, latest_per_version=True)
    theirs = exact.evaluate(window=hour, end=end, latest_per_version=True)
    assert {k: (s.requests, s.last) for k, s in ours.items()} == {
        k: (s.requests, s.last) for k, s in theirs.items()
    }


def test_which_reader(dataset: tuple[Path, pd.DataFrame], tmp_path: Path) -> None:
    folder, _ = dataset
    assert is_dataset(folder) and is_dataset(folder / "*.parquet")
    assert isinstance(open_logs(folder / "part-[01].parquet"), LogDataset)
    assert isinstance(open_logs(folder / "part-0.parquet"), InferenceLog)  # one file: exact
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "a.jsonl").write_text("")
    assert not is_dataset(tmp_path / "mixed")
    with pytest.raises(UserError, match="no inference logs match"):
        LogDataset(str(tmp_path / "nothing-*.parquet"))
    pq.write_table(pa.table({"timestamp": [1], "version": ["1.0.0"]}), tmp_path / "thin.parquet")
    with pytest.raises(UserError, match="records lack success, latency_ms"):
        LogDataset(str(tmp_path / "thin.parquet"))


def test_text_timestamps_are_read_as_the_memory_reader_reads_them(tmp_path: Path) -> None:
    times = ["2027-01-10T10:00:00Z", "2027-01-10T11:30:00+01:00", "2027-01-10T11:00:00", None]
    table = pa.table(
        {"timestamp": times, "version": ["1.0.0"] * 4, "success": [True, False, True, True],
         "latency_ms": [5.0, 7.0, 9.0, 11.0]}
    )  # fmt: skip
    pq.write_table(table, tmp_path / "a.parquet")
    ours = LogDataset(str(tmp_path)).evaluate(window=WINDOW)[(None, "1.0.0")]
    theirs = read_logs([tmp_path / "a.parquet"]).evaluate(window=WINDOW)[(None, "1.0.0")]
    assert (ours.requests, ours.first, ours.last) == (theirs.requests, theirs.first, theirs.last)
    assert ours.requests == 3 and ours.success_rate == pytest.approx(2 / 3)
