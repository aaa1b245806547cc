"""DVC's anonymous analytics stay off in everything the toolkit starts, through the
environment: a loopback server stands in for DVC's analytics endpoint
(``DVC_ANALYTICS_ENDPOINT``), and the control shows DVC does report to it when the toolkit
is not the one starting it."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.support.cli import gfops
from tests.support.repo import Repo

REPORT_TIMEOUT = 60.0  # hang guard: the daemon's report arrives ~1-2 s after dvc exits


class _Collector(BaseHTTPRequestHandler):
    reports: list[bytes]

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.reports.append(self.rfile.read(length))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def endpoint() -> Iterator[tuple[str, list[bytes]]]:
    reports: list[bytes] = []
    handler = type("Collector", (_Collector,), {"reports": reports})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/", reports
    server.shutdown()
    server.server_close()


def _wait_for(reports: list[bytes], seconds: float) -> float | None:
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if reports:
            return time.monotonic() - start
        time.sleep(0.1)
    return None


def test_the_toolkit_starts_dvc_without_analytics(
    repo: Repo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, endpoint: tuple[str, list[bytes]]
) -> None:
    url, reports = endpoint
    # A user's environment with analytics on: no opt-out variable, an empty global config.
    for var in ("DVC_NO_ANALYTICS", "DVC_TEST", "DVC_DAEMON"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("DVC_ANALYTICS_ENDPOINT", url)
    env = dict(os.environ)
    for args in (["init", "-q"], ["remote", "add", "-d", "store", str(tmp_path / "remote")]):
        subprocess.run([sys.executable, "-m", "dvc", *args], cwd=repo.path, env={
            **env, "DVC_NO_ANALYTICS": "1"}, check=True)  # fmt: skip
    repo.commit("dvc init")

    # Control: DVC run directly reports to the endpoint (so the check below can fail).
    subprocess.run([sys.executable, "-m", "dvc", "status", "-q"], cwd=repo.path, env=env,
                   check=False)  # fmt: skip
    took = _wait_for(reports, REPORT_TIMEOUT)
    assert took is not None, "DVC sent no analytics report even when asked to"
    reports.clear()

    # The toolkit: register runs `dvc add`, `dvc push` and `dvc status -c` through dvcio.
    model = repo.write("build/model.json", '{"w": [1, 2]}\n')
    result = gfops("register", str(model), "--name", "price-direction", "--version", "9.0.0",
                   cwd=repo.path)  # fmt: skip
    assert result.code == 0, result.err
    assert (repo.path / "artifacts/price-direction/9.0.0/model.json.dvc").is_file()
    # The window: three times what the control took here (at least 5 s), so a report the
    # toolkit's DVC sent would have arrived.
    assert _wait_for(reports, max(5.0, 3 * took)) is None, "the toolkit's DVC sent analytics"
