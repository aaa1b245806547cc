"""Streaming detectors on the production version's error stream, from its inference logs.

The logs are those ``gfops lifecycle`` reads (:mod:`galfriday_gitops.lifecycle.inference`:
JSONL or Parquet with ``timestamp``, ``version``, ``success``, ...; a folder is read
recursively, DVC-pulled when missing). The stream is the production version's requests in
time order (records of another model are left out when the logs name models), each
counted 1 for a failed request and 0 for a successful one; with ``window`` only the
requests within that span before the newest record. Each detector the policy names
(:class:`~galfriday_gitops.stats.streaming.ADWIN`,
:class:`~galfriday_gitops.stats.streaming.PageHinkley`) runs over the whole stream; an
alarm anywhere in it is drift.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    from galfriday_gitops.resources import ErrorStream

__all__ = ["DetectorRun", "ErrorStreamResult", "check_error_stream"]


@dataclass(frozen=True)
class DetectorRun:
    """One detector over the stream: its settings and where it raised alarms."""

    detector: str
    settings: dict[str, Any]
    alarms: list[int]
    alarm_times: list[str]

    def to_dict(self) -> dict[str, Any]:
        return {
            "detector": self.detector,
            "settings": dict(self.settings),
            "alarms": list(self.alarms),
            "alarm_times": list(self.alarm_times),
        }


@dataclass(frozen=True)
class ErrorStreamResult:
    """The stream that was checked and what each detector said."""

    logs: str
    version: str | None
    requests: int
    error_rate: float | None
    detectors: list[DetectorRun] = field(default_factory=list)
    note: str | None = None
    error_rate_since_last_alarm: float | None = None

    @property
    def drifted(self) -> bool:
        return any(d.alarms for d in self.detectors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "drifted": self.drifted,
            "logs": self.logs,
            "version": self.version,
            "requests": self.requests,
            "error_rate": self.error_rate,
            "error_rate_since_last_alarm": self.error_rate_since_last_alarm,
            "detectors": [d.to_dict() for d in self.detectors],
            "note": self.note,
        }


def _iso(ns: int) -> str:
    import datetime as dt

    return (
        dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=ns // 1000)
    ).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stream(
    root: Path, spec: ErrorStream, model: str, version: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64]]:
    """The version's errors (1 failed, 0 succeeded) and their times, oldest first."""
    import numpy as np

    from galfriday_gitops.lifecycle.inference import log_files, parse_window, read_logs

    log = read_logs(log_files(root / spec.logs, repo=root))
    wanted = [i for i, (m, v) in enumerate(log.keys) if v == version and m in (None, model)]
    keep = np.isin(log.codes, np.array(wanted, dtype=np.int32))
    ts = log.ts[keep]
    errors = (~log.success[keep]).astype(np.float64)
    order = np.argsort(ts, kind="stable")
    ts, errors = ts[order], errors[order]
    if spec.window is not None and ts.size:
        start = int(ts[-1]) - int(parse_window(spec.window).total_seconds() * 1e9)
        inside = ts >= start
        ts, errors = ts[inside], errors[inside]
    return errors, ts


def check_error_stream(
    root: Path, spec: ErrorStream, model: str, version: str | None
) -> ErrorStreamResult:
    """Run the policy's detectors over ``version``'s error stream (see the module doc)."""
    from galfriday_gitops.stats.streaming import ADWIN, PageHinkley

    if version is None:
        return ErrorStreamResult(
            spec.logs, None, 0, None, note=f"{model} has no production version"
        )
    errors, ts = _stream(root, spec, model, version)
    if errors.size == 0:
        note = f"no requests of {model} {version} in {spec.logs}"
        return ErrorStreamResult(spec.logs, version, 0, None, note=note)
    runs: list[DetectorRun] = []
    if spec.adwin is not None:
        settings = spec.adwin.model_dump(by_alias=True)
        alarms = ADWIN(spec.adwin.delta, clock=spec.adwin.clock).detect(errors)
        runs.append(DetectorRun("adwin", settings, alarms, [_iso(int(ts[i])) for i in alarms]))
    if spec.page_hinkley is not None:
        ph = spec.page_hinkley
        detector = PageHinkley(
            ph.delta, ph.threshold, ph.alpha, min_instances=ph.min_instances, direction=ph.direction
        )
        alarms = detector.detect(errors)
        runs.append(
            DetectorRun(
                "page-hinkley",
                ph.model_dump(by_alias=True),
                alarms,
                [_iso(int(ts[i])) for i in alarms],
            )
        )
    last = max((a for r in runs for a in r.alarms), default=None)
    since = errors[last + 1 :] if last is not None else errors[:0]
    return ErrorStreamResult(
        spec.logs,
        version,
        int(errors.size),
        float(errors.mean()),
        runs,
        error_rate_since_last_alarm=float(since.mean()) if since.size else None,
    )
