"""Append-only JSONL log of experiment outcomes.

One event per line: ``{"ts": <unix seconds>, "experiment": ..., "unit": ...,
"variant": ..., "metrics": {name: value}}``. Each line is written with a single
``os.write`` on a descriptor opened with ``O_APPEND``: the kernel moves to the end
of file and writes atomically with respect to other appenders on a local file
system, so lines from concurrent processes never interleave. A short write (disk
full) raises instead of leaving half a line unreported.

:func:`read_outcomes` returns a pandas DataFrame (one column per metric, named
after it) that :func:`galfriday_gitops.stats.experiment.analyze_frame` accepts.
pandas is imported only there, so the serving path stays light.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["OutcomeLog", "read_outcomes"]

_BASE_COLUMNS = ("ts", "experiment", "unit", "variant")


class OutcomeLog:
    """Appends outcome events to a JSONL file (created on first write)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    def append(
        self,
        *,
        experiment: str,
        unit: str,
        variant: str,
        metrics: Mapping[str, float | int | bool | None],
        timestamp: float | None = None,
    ) -> None:
        """Write one event as one line."""
        clean: dict[str, float | int | bool | None] = {}
        for name, value in metrics.items():
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"metric {name!r} is not finite: {value!r}")
            clean[str(name)] = value
        event = {
            "ts": time.time() if timestamp is None else float(timestamp),
            "experiment": experiment,
            "unit": unit,
            "variant": variant,
            "metrics": clean,
        }
        line = (json.dumps(event, separators=(",", ":"), allow_nan=False) + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            written = os.write(fd, line)
        finally:
            os.close(fd)
        if written != len(line):
            raise OSError(f"short write to {self.path}: {written} of {len(line)} bytes")

    def read(self, experiment: str | None = None) -> pd.DataFrame:
        """Same as :func:`read_outcomes` on this log."""
        return read_outcomes(self.path, experiment=experiment)


def read_outcomes(path: str | os.PathLike[str], *, experiment: str | None = None) -> pd.DataFrame:
    """Load an outcome log into a DataFrame with columns ts, experiment, unit, variant, <metrics>.

    A final line without a newline (a writer that crashed mid-write) is ignored;
    any other malformed line raises ``ValueError`` naming its line number.
    """
    import pandas as pd

    rows: list[dict[str, Any]] = []
    metric_names: dict[str, None] = {}
    p = Path(path)
    data = p.read_bytes() if p.exists() else b""
    lines = data.split(b"\n")
    complete = lines[:-1]  # the part after the last newline is empty or a torn write
    for number, raw in enumerate(complete, start=1):
        if not raw.strip():
            continue
        try:
            event = json.loads(raw)
            row = {k: event[k] for k in _BASE_COLUMNS}
            metrics = event["metrics"]
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{p}:{number}: malformed outcome line ({exc})") from exc
        if experiment is not None and row["experiment"] != experiment:
            continue
        for name, value in metrics.items():
            metric_names.setdefault(name)
            row[name] = value
        rows.append(row)
    columns = [*_BASE_COLUMNS, *metric_names]
    frame = pd.DataFrame(rows, columns=columns)
    frame["ts"] = frame["ts"].astype("float64")
    for name in metric_names:
        frame[name] = pd.to_numeric(frame[name])
    return frame
