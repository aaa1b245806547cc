"""Streaming detectors on the production version's error stream, read from inference logs."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np

from galfriday_gitops.monitor.error_stream import check_error_stream
from galfriday_gitops.resources import ErrorStream

START = dt.datetime(2024, 4, 1, tzinfo=dt.UTC)


def _log(path: Path, version: str, errors: list[bool], model: str | None = None) -> None:
    """One JSONL request per error flag, a minute apart, in shuffled file order."""
    rows = []
    for i, failed in enumerate(errors):
        row = {
            "timestamp": (START + dt.timedelta(minutes=i)).isoformat(),
            "version": version,
            "success": not failed,
            "latency_ms": 10.0,
        }
        if model is not None:
            row["model"] = model
        rows.append(json.dumps(row))
    order = np.random.default_rng(0).permutation(len(rows))  # the reader sorts by time
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(rows[i] for i in order) + "\n", encoding="utf-8")


def _errors(n: int, rate: float, seed: int) -> list[bool]:
    return list(np.random.default_rng(seed).random(n) < rate)


def _spec(**extra: object) -> ErrorStream:
    base: dict[str, object] = {"logs": "logs", "adwin": {}, "pageHinkley": {}}
    return ErrorStream.model_validate({**base, **extra})


def test_a_planted_error_spike_raises_one_alarm_per_detector(tmp_path: Path) -> None:
    spike = _errors(3000, 0.01, 1) + _errors(1500, 0.25, 2)
    _log(tmp_path / "logs" / "1.0.0.jsonl", "1.0.0", spike)
    _log(tmp_path / "logs" / "0.9.0.jsonl", "0.9.0", _errors(3000, 0.9, 3))  # not production
    res = check_error_stream(tmp_path, _spec(), "m", "1.0.0")
    assert res.requests == 4500 and res.drifted
    for run in res.detectors:
        assert len(run.alarms) == 1, (run.detector, run.alarms)
        assert 3000 <= run.alarms[0] < 3300
        expected = (START + dt.timedelta(minutes=run.alarms[0])).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert run.alarm_times == [expected]
    assert res.error_rate_since_last_alarm is not None and res.error_rate_since_last_alarm > 0.2
    doc = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert doc["detectors"][0]["detector"] == "adwin"


def test_a_stable_stream_raises_nothing_and_other_models_are_left_out(tmp_path: Path) -> None:
    _log(tmp_path / "logs" / "a.jsonl", "1.0.0", _errors(4000, 0.02, 4), model="m")
    _log(tmp_path / "logs" / "b.jsonl", "1.0.0", _errors(4000, 0.5, 5), model="other")
    res = check_error_stream(tmp_path, _spec(), "m", "1.0.0")
    assert res.requests == 4000 and not res.drifted
    assert res.error_rate is not None and res.error_rate < 0.05


def test_window_keeps_the_newest_requests_only(tmp_path: Path) -> None:
    _log(tmp_path / "logs" / "1.0.0.jsonl", "1.0.0", _errors(3000, 0.01, 1) + _errors(600, 0.3, 2))
    recent = check_error_stream(tmp_path, _spec(window="5h"), "m", "1.0.0")
    assert recent.requests == 301  # 5 hours of one request a minute, both ends included
    assert not recent.drifted  # the whole window is after the change: nothing to compare


def test_no_production_version_or_no_requests_is_a_note(tmp_path: Path) -> None:
    _log(tmp_path / "logs" / "1.0.0.jsonl", "1.0.0", _errors(100, 0.01, 1))
    none = check_error_stream(tmp_path, _spec(), "m", None)
    assert none.note == "m has no production version" and not none.drifted
    other = check_error_stream(tmp_path, _spec(), "m", "2.0.0")
    assert other.note is not None and "no requests of m 2.0.0" in other.note
