"""Fixtures for the forge: GitHub's specs, the loopback GitHub, a client pointed at it.

The specs come from npm (``tools/fetch-github-specs.sh``). When they are missing the script is
run once; when that fails the tests FAIL with its message rather than skip, so a machine
without the specs cannot pass silently.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from galfriday_gitops.forge import GitHubForge
from tests.support.loopback import (
    BOT_LOGIN,
    INSTALLATION_TOKEN,
    TOKEN,
    LoopbackGitHub,
    RecordingSleep,
)
from tests.support.openapi import OpenAPISpec
from tests.support.repo import ROOT

FETCH_SCRIPT = ROOT / "tools" / "fetch-github-specs.sh"
SPECS = ROOT / ".cache" / "github-specs" / "node_modules" / "@octokit"
OPENAPI_PATH = SPECS / "openapi" / "generated" / "api.github.com.json"
WEBHOOKS_PATH = SPECS / "webhooks-examples" / "api.github.com" / "index.json"


_fetch_error: list[str] = []


def ensure_specs() -> None:
    if OPENAPI_PATH.is_file() and WEBHOOKS_PATH.is_file():
        return
    if _fetch_error:
        pytest.fail(_fetch_error[0], pytrace=False)
    try:
        result = subprocess.run(
            ["bash", str(FETCH_SCRIPT)],
            capture_output=True,
            text=True,
            timeout=300,  # hang guard: a fresh fetch took 3.5 s (npm cache warm)
            check=False,
        )
        output = (result.stderr or result.stdout).strip()
        failed = result.returncode != 0
    except (OSError, subprocess.TimeoutExpired) as exc:
        output, failed = str(exc), True
    if failed or not (OPENAPI_PATH.is_file() and WEBHOOKS_PATH.is_file()):
        _fetch_error.append(
            f"GitHub specs unavailable: {FETCH_SCRIPT.relative_to(ROOT)} failed "
            f"(needs npm and the npm registry): {output}"
        )
        pytest.fail(_fetch_error[0], pytrace=False)


@pytest.fixture(scope="session")
def spec() -> OpenAPISpec:
    ensure_specs()
    return OpenAPISpec(OPENAPI_PATH)


@pytest.fixture(scope="session")
def webhook_examples() -> dict[str, list[dict[str, Any]]]:
    ensure_specs()
    definitions = json.loads(WEBHOOKS_PATH.read_text(encoding="utf-8"))
    return {d["name"]: d["examples"] for d in definitions}


@pytest.fixture
def github(spec: OpenAPISpec) -> Iterator[LoopbackGitHub]:
    """A running loopback GitHub; any spec violation seen during the test fails it."""
    server = LoopbackGitHub(spec).start()
    server.add_user(BOT_LOGIN, user_type="Bot", token=TOKEN)
    server.add_installation_token(INSTALLATION_TOKEN)
    try:
        yield server
    finally:
        server.stop()
    if server.violations:
        pytest.fail("OpenAPI violations:\n" + "\n".join(server.violations), pytrace=False)


@pytest.fixture
def github_env(github: LoopbackGitHub) -> dict[str, str]:
    """What GitHub Actions would set, pointed at the loopback GitHub."""
    return {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": f"{github.owner}/{github.repo}",
        "GITHUB_API_URL": github.api_url,
    }


@pytest.fixture
def sleeps() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def client(github: LoopbackGitHub, sleeps: RecordingSleep) -> GitHubForge:
    return GitHubForge(
        f"{github.owner}/{github.repo}",
        TOKEN,
        github.api_url,
        timeout=5.0,  # hang guard per request: the loopback answers in milliseconds
        sleep=sleeps,
    )
