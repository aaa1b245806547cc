"""Progress lines on stderr (``[register 1.2s] dvc push: 12.4 MB``) for long commands.

Off unless asked for (``--progress``) or, by default, when stderr is a terminal: a CI log or
a pipe gets no chatter. Standard library only, so any layer may report progress.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """``step(message)`` prints ``[label elapsed] message`` when enabled.

    ``enabled=None`` decides from the stream: on for a terminal, off otherwise.
    """

    def __init__(
        self, label: str, enabled: bool | None = None, stream: TextIO | None = None
    ) -> None:
        self.label = label
        self._stream = stream or sys.stderr
        self.enabled = enabled
        self._t0 = time.perf_counter()

    @property
    def on(self) -> bool:
        if self.enabled is None:
            isatty = getattr(self._stream, "isatty", None)
            return bool(isatty and isatty())
        return self.enabled

    def step(self, message: str) -> None:
        if self.on:
            elapsed = time.perf_counter() - self._t0
            print(f"[{self.label} {elapsed:6.1f}s] {message}", file=self._stream, flush=True)


def size(n: int) -> str:
    """``481 B``, ``12.4 kB``, ``3.1 MB``, ``2.0 GB`` (decimal units, as DVC prints them)."""
    value = float(n)
    for unit in ("B", "kB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    raise AssertionError("unreachable")
