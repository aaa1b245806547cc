"""Commit statuses: how the reconciler's verdict reaches branch protection.

A verdict computed in a ``workflow_run`` job (after a review) is not attached to the pull
request's head commit, so it is posted as the commit status ``galfriday/reconciler`` there.
All traffic is checked against GitHub's OpenAPI description by the loopback.
"""

from __future__ import annotations

from typing import Any

import pytest

from galfriday_gitops.forge import Forge, ForgeError, GitHubError, GitHubForge
from tests.support.loopback import (
    INSTALLATION_TOKEN,
    TOKEN,
    Fault,
    LoopbackGitHub,
    RecordingSleep,
    fake_sha,
)

CONTEXT = "galfriday/reconciler"
TEMPLATE = "/repos/{owner}/{repo}/statuses/{sha}"
SHA = fake_sha("head")


def _posts(github: LoopbackGitHub) -> int:
    return sum(1 for r in github.requests if (r.method, r.template) == ("POST", TEMPLATE))


def _latest(github: LoopbackGitHub, sha: str = SHA, context: str = CONTEXT) -> dict[str, Any]:
    status = github.latest_status(sha, context)
    assert status is not None, f"no {context} status on {sha}"
    return status


def test_set_status_is_part_of_the_forge_protocol(client: GitHubForge) -> None:
    assert isinstance(client, Forge)
    assert "set_status" in Forge.__dict__


def test_set_status_posts_state_context_description_and_link(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    url = "https://github.com/octo-org/registry/actions/runs/42"

    client.set_status(SHA, "success", CONTEXT, "allowed: 2 of 2 approvals", url)

    status = _latest(github)
    assert (status["state"], status["context"]) == ("success", CONTEXT)
    assert status["description"] == "allowed: 2 of 2 approvals"
    assert status["target_url"] == url
    assert status["creator"]["login"] == "galfriday-bot"
    assert _posts(github) == 1


def test_set_status_without_a_link_sends_none(client: GitHubForge, github: LoopbackGitHub) -> None:
    client.set_status(SHA, "pending", CONTEXT, "checking")

    assert _latest(github)["target_url"] is None


@pytest.mark.parametrize("state", ["success", "failure", "error", "pending"])
def test_set_status_accepts_every_github_state(
    client: GitHubForge, github: LoopbackGitHub, state: Any
) -> None:
    client.set_status(SHA, state, CONTEXT, state)

    assert _latest(github)["state"] == state


@pytest.mark.parametrize("length", [0, 1, 139, 140])
def test_descriptions_within_the_limit_are_sent_unchanged(
    client: GitHubForge, github: LoopbackGitHub, length: int
) -> None:
    description = "x" * length

    client.set_status(SHA, "failure", CONTEXT, description)

    assert _latest(github)["description"] == description


@pytest.mark.parametrize("length", [141, 500, 10_000])
def test_long_descriptions_are_cut_to_140_characters_with_an_ellipsis(
    client: GitHubForge, github: LoopbackGitHub, length: int
) -> None:
    client.set_status(SHA, "failure", CONTEXT, "y" * length)

    description = _latest(github)["description"]
    assert len(description) == 140
    assert description == "y" * 139 + "\u2026"


def test_the_limit_counts_characters_not_bytes(client: GitHubForge, github: LoopbackGitHub) -> None:
    # 140 non-ASCII characters are 280 UTF-8 bytes: GitHub counts characters, so keep them all.
    description = "é" * 140

    client.set_status(SHA, "failure", CONTEXT, description)

    assert _latest(github)["description"] == description


def test_the_latest_status_per_context_wins(client: GitHubForge, github: LoopbackGitHub) -> None:
    other = fake_sha("other head")
    client.set_status(SHA, "pending", CONTEXT, "checking")
    client.set_status(SHA, "failure", CONTEXT, "blocked: 1 of 2 approvals")
    client.set_status(SHA, "success", "ci/tests", "tests pass")
    client.set_status(other, "success", CONTEXT, "allowed")

    assert _latest(github)["state"] == "failure"
    assert _latest(github, context="ci/tests")["state"] == "success"
    assert _latest(github, other)["state"] == "success"
    assert [s["state"] for s in github.statuses[SHA]] == ["pending", "failure", "success"]


def test_the_actions_token_posts_as_github_actions_bot(
    github: LoopbackGitHub, sleeps: RecordingSleep
) -> None:
    client = GitHubForge(
        f"{github.owner}/{github.repo}", INSTALLATION_TOKEN, github.api_url, sleep=sleeps
    )

    client.set_status(SHA, "success", CONTEXT, "allowed")

    assert _latest(github)["creator"]["login"] == "github-actions[bot]"


def test_a_sha256_commit_id_is_accepted(client: GitHubForge, github: LoopbackGitHub) -> None:
    sha256 = "ab" * 32

    client.set_status(sha256, "success", CONTEXT, "allowed")

    assert _latest(github, sha256)["state"] == "success"


@pytest.mark.parametrize(
    ("sha", "state", "context", "target_url", "message"),
    [
        ("main", "success", CONTEXT, None, "invalid commit sha"),
        (SHA[:39], "success", CONTEXT, None, "invalid commit sha"),
        (SHA.upper(), "success", CONTEXT, None, "invalid commit sha"),
        ("../../pulls/1", "success", CONTEXT, None, "invalid commit sha"),
        (SHA, "approved", CONTEXT, None, "invalid commit status state"),
        (SHA, "success", "  ", None, "context must not be empty"),
        (SHA, "success", CONTEXT, "javascript:alert(1)", "must be http"),
        (SHA, "success", CONTEXT, "file:///etc/passwd", "must be http"),
    ],
)
def test_bad_arguments_fail_before_any_request(
    client: GitHubForge,
    github: LoopbackGitHub,
    sha: str,
    state: Any,
    context: str,
    target_url: str | None,
    message: str,
) -> None:
    with pytest.raises(ForgeError, match=message):
        client.set_status(sha, state, context, "d", target_url)

    assert github.requests == []


def test_a_server_error_is_retried_because_repeating_a_status_is_harmless(
    client: GitHubForge, github: LoopbackGitHub, sleeps: RecordingSleep
) -> None:
    github.faults.append(Fault("POST", TEMPLATE, 502, {"message": "Bad Gateway"}, times=2))

    client.set_status(SHA, "success", CONTEXT, "allowed")

    assert _posts(github) == 3
    assert sleeps.delays == [0.5, 1.0]
    assert [s["state"] for s in github.statuses[SHA]] == ["success"]


def test_a_missing_statuses_permission_fails_loudly_without_retry(
    client: GitHubForge, github: LoopbackGitHub, sleeps: RecordingSleep
) -> None:
    # What a workflow job without `permissions: statuses: write` gets.
    denied = {"message": "Resource not accessible by integration"}
    github.faults.append(Fault("POST", TEMPLATE, 403, denied))

    expected = r"POST /repos/\{owner\}/\{repo\}/statuses/\{sha\} failed: HTTP 403: Resource not"
    with pytest.raises(GitHubError, match=expected) as info:
        client.set_status(SHA, "success", CONTEXT, "allowed")

    assert info.value.status == 403
    assert sleeps.delays == []
    assert TOKEN not in str(info.value)
