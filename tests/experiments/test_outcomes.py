"""Outcome log: round-trip into the analysis and concurrent appends from several processes."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from galfriday_gitops.experiments import OutcomeLog, Router, read_outcomes
from galfriday_gitops.stats.experiment import MetricSpec, analyze_frame


def test_round_trip_into_analysis(tmp_path: Path) -> None:
    log = OutcomeLog(tmp_path / "outcomes.jsonl")
    router = Router("exp", {"control": 0.5, "treatment": 0.5})
    rng = np.random.default_rng(0)
    for i in range(400):
        unit = f"u{i}"
        variant = router.assign(unit)
        log.append(
            experiment="exp",
            unit=unit,
            variant=variant,
            metrics={"pnl_bps": float(rng.normal(1.0, 1.0)), "error": int(rng.random() < 0.1)},
            timestamp=1_700_000_000.0 + i,
        )
    log.append(experiment="other", unit="x", variant="control", metrics={"pnl_bps": 0.0})
    df = log.read(experiment="exp")
    assert list(df.columns) == ["ts", "experiment", "unit", "variant", "pnl_bps", "error"]
    assert len(df) == 400
    assert df["ts"].iloc[3] == 1_700_000_003.0
    assert list(df["variant"]) == [router.assign(f"u{i}") for i in range(400)]
    res = analyze_frame(
        df,
        variant_column="variant",
        control="control",
        metrics=[MetricSpec("pnl_bps"), MetricSpec("error", kind="proportion", direction="lower")],
    )
    assert res.metrics["pnl_bps"].control.n + res.metrics["pnl_bps"].treatment.n == 400
    assert len(read_outcomes(tmp_path / "outcomes.jsonl")) == 401


def test_missing_metric_values_become_nan(tmp_path: Path) -> None:
    log = OutcomeLog(tmp_path / "o.jsonl")
    log.append(experiment="e", unit="a", variant="control", metrics={"m1": 1.0})
    log.append(experiment="e", unit="b", variant="control", metrics={"m2": 2.0})
    df = log.read()
    assert df["m1"].isna().tolist() == [False, True]
    assert df["m2"].isna().tolist() == [True, False]


def test_torn_last_line_is_ignored_but_corruption_raises(tmp_path: Path) -> None:
    path = tmp_path / "o.jsonl"
    log = OutcomeLog(path)
    log.append(experiment="e", unit="a", variant="control", metrics={"m": 1})
    with path.open("ab") as fh:
        fh.write(b'{"ts": 1, "experi')
    assert len(read_outcomes(path)) == 1
    with path.open("ab") as fh:
        fh.write(b"\n")
    with pytest.raises(ValueError, match=":2:"):
        read_outcomes(path)


def test_rejects_non_finite_metric(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="finite"):
        OutcomeLog(tmp_path / "o.jsonl").append(
            experiment="e", unit="a", variant="c", metrics={"m": float("nan")}
        )


def test_empty_or_missing_log(tmp_path: Path) -> None:
    df = read_outcomes(tmp_path / "absent.jsonl")
    assert len(df) == 0
    assert list(df.columns) == ["ts", "experiment", "unit", "variant"]


def _writer(path: str, worker: int, count: int) -> None:
    log = OutcomeLog(path)
    padding = "x" * 3000  # long lines make interleaving likely if writes were not atomic
    for i in range(count):
        log.append(
            experiment=padding,
            unit=f"w{worker}-{i}",
            variant="control",
            metrics={"worker": worker, "i": i},
        )


def test_concurrent_appends_do_not_interleave(tmp_path: Path) -> None:
    path = str(tmp_path / "concurrent.jsonl")
    workers, count = 4, 300
    ctx = multiprocessing.get_context("fork")
    procs = [ctx.Process(target=_writer, args=(path, w, count)) for w in range(workers)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    df = read_outcomes(path)  # raises on any torn or interleaved line
    assert len(df) == workers * count
    assert df["unit"].nunique() == workers * count
    for w in range(workers):
        assert sorted(df.loc[df["worker"] == w, "i"]) == list(range(count))
