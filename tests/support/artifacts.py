"""Files tests keep for people to look at (screenshots): where, and a summary that lists them.

Artifacts go under ``test-artifacts/`` at the project root (ignored by git). The terminal
summary lists each artifact written during this session, also when the tests ran in
pytest-xdist workers (the summary runs in the controller and looks at the files).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.support.repo import ROOT

ARTIFACTS = ROOT / "test-artifacts"
_STARTED = time.time()


def artifact_path(*parts: str) -> Path:
    """A path under ``test-artifacts/`` (its folder created)."""
    path = ARTIFACTS.joinpath(*parts)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not ARTIFACTS.is_dir():
        return
    fresh = sorted(
        p for p in ARTIFACTS.rglob("*") if p.is_file() and p.stat().st_mtime >= _STARTED - 1
    )
    if fresh:
        terminalreporter.section("test artifacts")
        for path in fresh:
            terminalreporter.write_line(str(path))
