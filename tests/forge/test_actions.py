"""The Actions environment, read in one place, and the one place the GitHub client is built."""

from __future__ import annotations

from pathlib import Path

import pytest

from galfriday_gitops.forge import ForgeError, GitHubForge
from galfriday_gitops.forge.actions import ActionsEnv
from tests.support.loopback import TOKEN, LoopbackGitHub

RUNNER = {
    "GITHUB_EVENT_PATH": "/home/runner/work/_temp/_github_workflow/event.json",
    "GITHUB_EVENT_NAME": "pull_request",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "octo-org/registry",
    "GITHUB_RUN_ID": "42",
    "GITHUB_ACTOR": "dana",
    "GITHUB_TOKEN": TOKEN,
}


def test_reads_what_the_runner_sets() -> None:
    env = ActionsEnv.read(RUNNER)
    assert env.event_path == Path(RUNNER["GITHUB_EVENT_PATH"])
    assert env.event_name == "pull_request"
    assert env.run_url == "https://github.com/octo-org/registry/actions/runs/42"
    assert (env.repository, env.actor, env.has_token) == ("octo-org/registry", "dana", True)
    assert TOKEN not in repr(env)  # the token stays in the mapping it came from


def test_outside_actions_everything_is_absent() -> None:
    env = ActionsEnv.read({"GITHUB_TOKEN": "", "PATH": "/usr/bin"})
    assert env.event_path is None and env.step_summary is None and env.run_url is None
    assert env.has_token is False
    assert env.append_summary("## nothing to write to") is False


def test_the_forge_is_built_from_the_same_mapping(github: LoopbackGitHub) -> None:
    env = ActionsEnv.read(
        {
            "GITHUB_TOKEN": TOKEN,
            "GITHUB_REPOSITORY": f"{github.owner}/{github.repo}",
            "GITHUB_API_URL": github.api_url,
        }
    )
    forge = env.forge()
    assert isinstance(forge, GitHubForge)
    assert forge.repository == f"{github.owner}/{github.repo}"
    with pytest.raises(ForgeError, match=r"^--open-pr: GITHUB_TOKEN is not set$"):
        ActionsEnv.read({"GITHUB_REPOSITORY": "o/r"}).forge("--open-pr")


def test_the_job_summary_is_appended(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    summary.write_text("# earlier step\n", encoding="utf-8")
    env = ActionsEnv.read({"GITHUB_STEP_SUMMARY": str(summary)})
    assert env.append_summary("## verdict") is True
    assert summary.read_text(encoding="utf-8") == "# earlier step\n## verdict\n"
