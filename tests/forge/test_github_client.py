"""GitHubForge against the loopback GitHub; all traffic is checked against the OpenAPI spec."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import urllib.parse
from datetime import UTC, datetime
from pathlib import Path

import pytest

from galfriday_gitops.forge import Forge, ForgeError, GitHubError, GitHubForge
from tests.support.github import FETCH_SCRIPT
from tests.support.loopback import (
    BOT_LOGIN,
    INSTALLATION_TOKEN,
    TOKEN,
    Fault,
    LoopbackGitHub,
    RecordingSleep,
    fake_sha,
)
from tests.support.openapi import OpenAPISpec, SpecViolation, convert_nullable

MARKER = "<!-- galfriday-gitops:check -->"
STATES = ["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED"]


def _queries(github: LoopbackGitHub, template: str) -> list[dict[str, str]]:
    return [
        dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(r.path).query))
        for r in github.requests
        if r.template == template
    ]


def test_client_satisfies_the_forge_protocol(client: GitHubForge) -> None:
    assert isinstance(client, Forge)


# ------------------------------------------------------------------------------- reviews


def test_list_reviews_follows_every_page(client: GitHubForge, github: LoopbackGitHub) -> None:
    github.add_pull(7)
    sha = github.pulls[7]["head"]["sha"]
    added = [github.add_review(7, f"reviewer{i}", STATES[i % 4], sha) for i in range(250)]

    reviews = client.list_reviews(7)

    assert [r.id for r in reviews] == [r["id"] for r in added]
    assert [r.user_login for r in reviews] == [f"reviewer{i}" for i in range(250)]
    assert [r.state for r in reviews] == [STATES[i % 4] for i in range(250)]
    assert all(r.commit_id == sha and r.user_type == "User" for r in reviews)
    pages = _queries(github, "/repos/{owner}/{repo}/pulls/{pull_number}/reviews")
    assert [q.get("page", "1") for q in pages] == ["1", "2", "3"]
    assert all(q["per_page"] == "100" for q in pages)


def test_list_reviews_maps_nulls_bots_and_pending(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    github.add_pull(3)
    github.add_review(3, None, "APPROVED", None)
    github.add_review(3, "dependabot[bot]", "APPROVED", fake_sha("x"), user_type="Bot")
    github.add_review(3, "alice", "PENDING", fake_sha("y"))

    ghost, bot, pending = client.list_reviews(3)

    assert (ghost.user_login, ghost.user_type, ghost.commit_id) == (None, None, None)
    assert (bot.user_login, bot.user_type) == ("dependabot[bot]", "Bot")
    assert isinstance(bot.submitted_at, datetime)
    assert bot.submitted_at.tzinfo == UTC
    assert (pending.state, pending.submitted_at) == ("PENDING", None)


def test_list_reviews_of_missing_pull_is_an_error(client: GitHubForge) -> None:
    with pytest.raises(GitHubError) as info:
        client.list_reviews(404)
    assert info.value.status == 404
    assert "GET /repos/{owner}/{repo}/pulls/{pull_number}/reviews" in str(info.value)
    assert "Not Found" in str(info.value)


# ------------------------------------------------------------------------------- commits


def test_list_pull_commits_paginates_and_maps_accounts(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    github.add_pull(5, commits=120)
    for i in range(119):
        github.add_commit(5, author=f"dev{i}")
    github.add_commit(5, author=None, committer=None)

    commits = client.list_pull_commits(5)

    assert len(commits) == 120
    assert [c.sha for c in commits] == [c["sha"] for c in github.commits[5]]
    assert (commits[0].author_login, commits[0].committer_login) == ("dev0", "web-flow")
    assert commits[0].author_email == "dev0@example.com"
    assert (commits[-1].author_login, commits[-1].committer_login) == (None, None)


def test_list_pull_commits_refuses_a_truncated_listing(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    github.add_pull(9, commits=251)
    for _ in range(251):
        github.add_commit(9)
    with pytest.raises(ForgeError, match="truncated listing"):
        client.list_pull_commits(9)


def test_list_pull_commits_refuses_a_listing_shorter_than_the_count(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    github.add_pull(9, commits=3)
    github.add_commit(9)
    with pytest.raises(ForgeError, match="truncated listing"):
        client.list_pull_commits(9)


# --------------------------------------------------------------------------------- pulls


def test_get_pull(client: GitHubForge, github: LoopbackGitHub) -> None:
    raw = github.add_pull(12, author="alice", head_ref="promote/m1", commits=2, draft=True)

    pull = client.get_pull(12)

    assert pull.number == 12
    assert pull.state == "open"
    assert (pull.head_sha, pull.head_ref) == (raw["head"]["sha"], "promote/m1")
    assert (pull.base_sha, pull.base_ref) == (raw["base"]["sha"], "main")
    assert (pull.author_login, pull.author_type) == ("alice", "User")
    assert (pull.draft, pull.commits, pull.body) == (True, 2, "Promote model")
    assert pull.html_url == f"https://github.com/{github.owner}/{github.repo}/pull/12"


def test_merged_pull_of_a_commit_is_the_pull_request_github_merged_as_it(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    merge, direct = fake_sha("merge of 7"), fake_sha("direct push")
    github.add_pull(7, author="alice")
    github.add_commit(7, author="alice")
    github.merge_pull(7, merge)
    github.add_pull(8, author="bob")  # open, and its head contains the pushed commit
    github.commits[8].append(dict(github.commits[7][0], sha=direct))

    found = client.merged_pull_of(merge)
    assert found is not None
    assert (found.number, found.merge_commit_sha) == (7, merge)
    assert found.merged_at == datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    # A commit of a pull request's branch is associated with it, but no merge made it.
    assert client.merged_pull_of(github.commits[7][0]["sha"]) is None
    assert client.merged_pull_of(direct) is None
    templates = {r.template for r in github.requests}
    assert "/repos/{owner}/{repo}/commits/{commit_sha}/pulls" in templates


def test_the_review_facts_of_a_merged_pull_request_read_it_once(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    """apply reads a commit's pull request (merged_pull_of), then its reviews and commits:
    the pull request itself is fetched once, and its commit count still guards the listing."""
    from galfriday_gitops.rules.reviews import facts_from_forge

    merge = fake_sha("merge of 7")
    github.add_pull(7, author="alice")
    github.add_commit(7, author="alice")
    github.merge_pull(7, merge)
    pull_template = "/repos/{owner}/{repo}/pulls/{pull_number}"

    def reads() -> int:
        return sum(r.template == pull_template for r in github.requests)

    found = client.merged_pull_of(merge)
    assert found is not None and reads() == 1
    facts = facts_from_forge(client, 7, found)
    assert reads() == 1 and facts.author == "alice" and len(facts.commits) == 1
    # Control: without the pull request in hand, it is read (once, not once per listing).
    facts_from_forge(client, 7)
    assert reads() == 2
    # The count it carries still guards the listing: a stale count is refused.
    stale = client.get_pull(7)
    github.add_commit(7, author="alice")
    with pytest.raises(ForgeError, match="truncated listing"):
        client.list_pull_commits(7, stale)


def test_merged_pull_of_refuses_something_that_is_not_a_commit(client: GitHubForge) -> None:
    with pytest.raises(ForgeError, match="invalid commit sha"):
        client.merged_pull_of("main")


def test_find_open_pull(client: GitHubForge, github: LoopbackGitHub) -> None:
    github.add_pull(1, head_ref="jobs/drift")
    github.add_pull(2, head_ref="jobs/drift-2", state="closed")

    found = client.find_open_pull("jobs/drift")

    assert found is not None
    assert (found.number, found.commits) == (1, 1)
    assert client.find_open_pull("jobs/drift-2") is None
    assert client.find_open_pull("nothing") is None
    heads = [q["head"] for q in _queries(github, "/repos/{owner}/{repo}/pulls")]
    assert heads == [
        f"{github.owner}:jobs/drift",
        f"{github.owner}:jobs/drift-2",
        f"{github.owner}:nothing",
    ]


def test_create_and_update_pull(client: GitHubForge, github: LoopbackGitHub) -> None:
    created = client.create_pull("Retrain", "body one", "jobs/retrain", "main", draft=True)

    assert (created.head_ref, created.base_ref, created.draft) == ("jobs/retrain", "main", True)
    assert created.author_login == BOT_LOGIN
    updated = client.update_pull(created.number, body="body two")
    assert (updated.title, updated.body) == ("Retrain", "body two")
    assert client.update_pull(created.number, title="Retrain v2").title == "Retrain v2"
    assert client.update_pull(created.number) == client.get_pull(created.number)


def test_create_pull_conflict_reports_github_message(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    github.add_pull(1, head_ref="jobs/retrain")
    with pytest.raises(GitHubError, match="422: Validation Failed") as info:
        client.create_pull("again", "", "jobs/retrain", "main")
    assert "POST /repos/{owner}/{repo}/pulls" in str(info.value)


# ------------------------------------------------------------------------------ comments


def test_upsert_comment_never_duplicates(client: GitHubForge, github: LoopbackGitHub) -> None:
    github.add_pull(4)
    github.add_comment(4, "alice", "looks good")

    first = client.upsert_comment(4, MARKER, f"{MARKER}\nfirst")
    second = client.upsert_comment(4, MARKER, f"{MARKER}\nsecond")

    ours = [c for c in github.comments[4] if MARKER in c["body"]]
    assert first == second == ours[0]["id"]
    assert [c["body"] for c in ours] == [f"{MARKER}\nsecond"]
    assert len(github.comments[4]) == 2


def test_upsert_comment_adds_the_marker_and_skips_identical_updates(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    github.add_pull(4)
    client.upsert_comment(4, MARKER, "report")
    client.upsert_comment(4, MARKER, "report")

    assert [c["body"] for c in github.comments[4]] == [f"{MARKER}\nreport"]
    patches = [r for r in github.requests if r.method == "PATCH"]
    assert patches == []


def test_upsert_comment_ignores_markers_planted_by_others(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    github.add_pull(4)
    planted = github.add_comment(4, "mallory", f"{MARKER}\nall checks passed")

    client.upsert_comment(4, MARKER, "real report")

    assert planted["body"] == f"{MARKER}\nall checks passed"
    assert [c["user"]["login"] for c in github.comments[4]] == ["mallory", BOT_LOGIN]


def test_upsert_comment_finds_ours_beyond_the_first_page(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    github.add_pull(4)
    for i in range(150):
        github.add_comment(4, "alice", f"chatter {i}")
    mine = github.add_comment(4, BOT_LOGIN, f"{MARKER}\nold")

    assert client.upsert_comment(4, MARKER, "new") == mine["id"]
    assert mine["body"] == f"{MARKER}\nnew"
    assert len(github.comments[4]) == 151


def test_upsert_comment_with_an_installation_token(
    github: LoopbackGitHub, sleeps: RecordingSleep
) -> None:
    """Installation tokens may not read /user; they act as github-actions[bot]."""
    client = GitHubForge(
        f"{github.owner}/{github.repo}", INSTALLATION_TOKEN, github.api_url, sleep=sleeps
    )
    github.add_pull(4)
    client.upsert_comment(4, MARKER, "one")
    client.upsert_comment(4, MARKER, "two")

    assert client.whoami() == "github-actions[bot]"
    assert [(c["user"]["login"], c["body"]) for c in github.comments[4]] == [
        ("github-actions[bot]", f"{MARKER}\ntwo")
    ]
    assert sum(r.template == "/user" for r in github.requests) == 1  # identity is cached


# -------------------------------------------------------------------------------- issues


def test_create_and_find_issue(client: GitHubForge, github: LoopbackGitHub) -> None:
    github.add_pull(1)  # the issues endpoint also lists pull requests: must be skipped
    github.add_issue(2, "Other", ["bug"])

    number = client.create_issue("[drift] model m1", "details", ["drift", "model:m1"])

    assert number == 3
    assert [label["name"] for label in github.issues[3]["labels"]] == ["drift", "model:m1"]
    assert client.find_open_issue(label="drift") == 3
    assert client.find_open_issue(title_marker="[drift]") == 3
    assert client.find_open_issue(label="drift", title_marker="[other]") is None
    assert client.find_open_issue(title_marker="Promote") is None
    with pytest.raises(ForgeError, match="label or a title marker"):
        client.find_open_issue()


def test_add_labels(client: GitHubForge, github: LoopbackGitHub) -> None:
    github.add_pull(8)
    client.add_labels(8, ["promotion", "model:m1"])
    client.add_labels(8, [])

    assert [label["name"] for label in github.issues[8]["labels"]] == ["promotion", "model:m1"]
    assert sum(r.method == "POST" for r in github.requests) == 1


# ------------------------------------------------------------------------ HTTP behaviour


def test_sends_the_documented_headers(client: GitHubForge, github: LoopbackGitHub) -> None:
    github.add_pull(1)
    client.get_pull(1)
    client.update_pull(1, title="x")

    for request in github.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert request.headers["accept"] == "application/vnd.github+json"
        assert request.headers["x-github-api-version"] == "2022-11-28"
        assert request.headers["user-agent"].startswith("galfriday-gitops")
    assert github.requests[-1].headers["content-type"] == "application/json"


def test_retries_server_errors_with_capped_backoff(
    client: GitHubForge, github: LoopbackGitHub, sleeps: RecordingSleep
) -> None:
    github.add_pull(1)
    template = "/repos/{owner}/{repo}/pulls/{pull_number}"
    github.faults.append(Fault("GET", template, 503, {"message": "busy"}, times=2))

    assert client.get_pull(1).number == 1
    assert sleeps.delays == [0.5, 1.0]


def test_gives_up_after_bounded_retries(
    client: GitHubForge, github: LoopbackGitHub, sleeps: RecordingSleep
) -> None:
    github.add_pull(1)
    template = "/repos/{owner}/{repo}/pulls/{pull_number}"
    github.faults.append(Fault("GET", template, 500, {"message": "boom"}, times=10))

    with pytest.raises(GitHubError, match=r"GET .*pulls/\{pull_number\} failed: HTTP 500: boom"):
        client.get_pull(1)
    assert len(sleeps.delays) == 3
    assert all(d <= 4.0 for d in sleeps.delays)


def test_retries_secondary_rate_limits_honouring_retry_after_capped(
    client: GitHubForge, github: LoopbackGitHub, sleeps: RecordingSleep
) -> None:
    github.add_pull(1)
    template = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"
    limited = {"message": "You have exceeded a secondary rate limit"}
    github.faults.append(Fault("GET", template, 403, limited, headers={"Retry-After": "60"}))
    github.faults.append(
        Fault("GET", template, 429, limited, headers={"x-ratelimit-remaining": "0"})
    )

    assert client.list_reviews(1) == []
    assert sleeps.delays == [4.0, 0.0]


def test_plain_403_is_not_retried(
    client: GitHubForge, github: LoopbackGitHub, sleeps: RecordingSleep
) -> None:
    github.add_pull(1)
    template = "/repos/{owner}/{repo}/pulls/{pull_number}"
    github.faults.append(Fault("PATCH", template, 403, {"message": "Must have admin rights"}))

    with pytest.raises(GitHubError, match="403: Must have admin rights"):
        client.update_pull(1, title="x")
    assert sleeps.delays == []


def test_post_is_not_retried_on_server_errors(
    client: GitHubForge, github: LoopbackGitHub, sleeps: RecordingSleep
) -> None:
    """A POST that reached GitHub may have taken effect: retrying could duplicate it."""
    github.add_pull(1)
    template = "/repos/{owner}/{repo}/issues/{issue_number}/comments"
    github.faults.append(Fault("POST", template, 502, {"message": "Bad Gateway"}))

    with pytest.raises(GitHubError, match="502"):
        client.upsert_comment(1, MARKER, "x")
    assert sleeps.delays == []


def test_post_is_retried_on_rate_limits(
    client: GitHubForge, github: LoopbackGitHub, sleeps: RecordingSleep
) -> None:
    template = "/repos/{owner}/{repo}/issues"
    github.faults.append(
        Fault("POST", template, 403, {"message": "secondary"}, headers={"Retry-After": "1"})
    )
    assert client.create_issue("t", "b") == 1
    assert sleeps.delays == [1.0]


def test_request_timeout_is_an_error(github: LoopbackGitHub, sleeps: RecordingSleep) -> None:
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # accepts the connection, never answers
    try:
        port = silent.getsockname()[1]
        # The timeout is what this test exercises (the server never answers), not a guard.
        client = GitHubForge(
            "o/r", TOKEN, f"http://127.0.0.1:{port}", timeout=0.2, max_retries=1, sleep=sleeps
        )
        with pytest.raises(GitHubError, match="connection error") as info:
            client.get_pull(1)
        assert info.value.status is None
        assert sleeps.delays == [0.5]
    finally:
        silent.close()


def test_refuses_pagination_links_to_another_host(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    github.add_pull(1)
    template = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"
    github.faults.append(
        Fault(
            "GET",
            template,
            200,
            [],
            headers={"Link": '<https://evil.example/steal?page=2>; rel="next"'},
        )
    )
    with pytest.raises(ForgeError, match="pagination link leaves the API host"):
        client.list_reviews(1)


# ----------------------------------------------------------------------- token secrecy


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("failure", ["401", "404", "500", "invalid-json", "refused"])
def test_token_never_leaks(
    failure: str,
    github: LoopbackGitHub,
    sleeps: RecordingSleep,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    token = TOKEN if failure != "401" else "ghp_WRONGsecretTOKEN00000000000000000000"
    api_url = github.api_url if failure != "refused" else f"http://127.0.0.1:{_closed_port()}"
    client = GitHubForge(
        f"{github.owner}/{github.repo}", token, api_url, max_retries=2, sleep=sleeps
    )
    template = "/repos/{owner}/{repo}/pulls/{pull_number}"
    github.add_pull(1)
    if failure == "500":
        github.faults.append(Fault("GET", template, 500, {"message": token}, times=5))
    if failure == "invalid-json":
        github.faults.append(Fault("GET", template, 200, raw=b"{not json " + token.encode()))

    with pytest.raises(ForgeError) as info:
        client.get_pull(404 if failure == "404" else 1)

    for text in (str(info.value), repr(info.value), repr(client), caplog.text):
        assert token not in text
    assert "GET /repos/{owner}/{repo}/pulls/{pull_number}" in str(info.value)
    expected = {
        "401": "HTTP 401: Bad credentials",
        "404": "HTTP 404: Not Found",
        "500": "HTTP 500",
        "invalid-json": "invalid JSON",
        "refused": "connection error",
    }[failure]
    assert expected in str(info.value)


# ------------------------------------------------------------------------ configuration


def test_from_env(github: LoopbackGitHub) -> None:
    env = {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": f"{github.owner}/{github.repo}",
        "GITHUB_API_URL": github.api_url,
    }
    client = GitHubForge.from_env(env)
    github.add_pull(2)
    assert client.get_pull(2).number == 2
    assert client.repository == f"{github.owner}/{github.repo}"
    assert TOKEN not in repr(client)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"GITHUB_REPOSITORY": "o/r"}, "GITHUB_TOKEN is not set"),
        ({"GITHUB_TOKEN": "t"}, "GITHUB_REPOSITORY is not set"),
    ],
)
def test_from_env_requires_variables(env: dict[str, str], message: str) -> None:
    with pytest.raises(ForgeError, match=message):
        GitHubForge.from_env(env)


def test_from_env_defaults_to_github_com() -> None:
    client = GitHubForge.from_env({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "o/r"})
    assert "https://api.github.com" in repr(client)


@pytest.mark.parametrize(
    "repository",
    [
        "",
        "owner",
        "owner/",
        "/repo",
        "-owner/repo",
        "own er/repo",
        "o/r/x",
        "o/..",
        "o/r?x",
        "a" * 40 + "/r",
    ],
)
def test_rejects_invalid_repository(repository: str) -> None:
    with pytest.raises(ForgeError, match="invalid GitHub repository"):
        GitHubForge(repository, "t")


@pytest.mark.parametrize("repository", ["octo-org/registry", "a/b.c_d-e", "Octo1/.github"])
def test_accepts_valid_repository(repository: str) -> None:
    assert GitHubForge(repository, "t").repository == repository


@pytest.mark.parametrize(
    "api_url",
    [
        "http://api.github.com",
        "file:///etc/passwd",
        "ftp://x",
        "https://user:pw@h",
        "http://10.0.0.1",
    ],
)
def test_rejects_unsafe_api_urls(api_url: str) -> None:
    with pytest.raises(ForgeError, match="invalid GitHub API URL"):
        GitHubForge("o/r", "t", api_url)


def test_path_parameters_are_escaped(client: GitHubForge, github: LoopbackGitHub) -> None:
    assert client.find_open_pull("feat/with space&x=1") is None
    assert _queries(github, "/repos/{owner}/{repo}/pulls")[0]["head"] == (
        f"{github.owner}:feat/with space&x=1"
    )


# ------------------------------------------------------------- the spec checks themselves


def test_spec_rejects_a_bad_request(spec: OpenAPISpec) -> None:
    with pytest.raises(SpecViolation, match="request body"):
        spec.validate_request("POST", "/repos/o/r/pulls", {}, json.dumps({"title": 5}).encode())
    with pytest.raises(SpecViolation, match="undeclared query parameter"):
        spec.validate_request("GET", "/repos/o/r/pulls/1/reviews", {"pages": ["2"]}, b"")
    with pytest.raises(SpecViolation, match=r"path parameter|is not of type"):
        spec.validate_request("GET", "/repos/o/r/pulls/abc", {}, b"")
    with pytest.raises(SpecViolation, match="no operation matches"):
        spec.validate_request("GET", "/repos/o/r/nothing/here", {}, b"")


def test_spec_rejects_a_bad_response(spec: OpenAPISpec) -> None:
    op = spec.operation("GET", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews")
    review = spec.example("pull-request-review-items")[0]
    spec.validate_response(op, 200, json.dumps([review]).encode())
    del review["state"]
    with pytest.raises(SpecViolation, match="'state' is a required property"):
        spec.validate_response(op, 200, json.dumps([review]).encode())
    with pytest.raises(SpecViolation, match="status not documented"):
        spec.validate_response(op, 418, b"{}")


def test_loopback_reports_violations(github: LoopbackGitHub, client: GitHubForge) -> None:
    """A response the spec forbids is recorded (the fixture would then fail the test)."""
    github.add_pull(1)
    template = "/repos/{owner}/{repo}/pulls/{pull_number}"
    github.faults.append(Fault("GET", template, 200, {"number": "not a pull"}))
    with pytest.raises(ForgeError):
        client.get_pull(1)
    assert len(github.violations) == 1
    assert "response" in github.violations[0]
    github.violations.clear()


def test_nullable_conversion() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "string", "nullable": True},
            "b": {"$ref": "#/x", "nullable": True},
            "c": {"type": "string", "enum": ["x"], "nullable": True},
            "nullable": {"type": "boolean"},
        },
        "example": {"a": {"nullable": True}},
    }
    assert convert_nullable(schema) == {
        "type": "object",
        "properties": {
            "a": {"type": ["string", "null"]},
            "b": {"anyOf": [{"$ref": "#/x"}, {"type": "null"}]},
            "c": {"type": ["string", "null"], "enum": ["x", None]},
            "nullable": {"type": "boolean"},
        },
        "example": {"a": {"nullable": True}},
    }


# ------------------------------------------------------------------------- setup script


def test_fetch_script_is_idempotent(spec: OpenAPISpec) -> None:
    # Hang guard: with the specs in place the script returns in 0.01 s.
    result = subprocess.run(
        ["bash", str(FETCH_SCRIPT)], capture_output=True, text=True, timeout=60, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_fetch_script_fails_loudly(tmp_path: Path) -> None:
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    npm = fake_bin / "npm"
    npm.write_text("#!/bin/sh\nexit 1\n", encoding="utf-8")
    npm.chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{fake_bin}:{os.environ['PATH']}",
        "GITHUB_SPECS_DIR": str(tmp_path / "specs"),
    }
    result = subprocess.run(
        ["bash", str(FETCH_SCRIPT)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,  # hang guard: the failing npm stops the script in 0.01 s
        check=False,
    )
    assert result.returncode != 0
    assert "npm install failed" in result.stderr


def test_last_successful_run_asks_for_successes_only_and_reads_the_newest(
    client: GitHubForge, github: LoopbackGitHub
) -> None:
    template = "/repos/{owner}/{repo}/actions/workflows/{workflow_id}/runs"
    assert client.last_successful_run("drift.yml") is None  # never ran
    github.add_workflow_run("drift.yml", "2026-11-01T05:30:00Z", conclusion="success")
    newest = github.add_workflow_run("drift.yml", "2026-11-02T05:30:00Z", conclusion="success")
    github.add_workflow_run("drift.yml", "2026-11-03T05:30:00Z", conclusion="failure")
    github.add_workflow_run("audit.yml", "2026-11-04T05:30:00Z", conclusion="success")
    run = client.last_successful_run("drift.yml")
    assert run is not None and (run.id, run.conclusion) == (newest["id"], "success")
    assert run.created_at == datetime(2026, 11, 2, 5, 30, tzinfo=UTC)
    assert _queries(github, template)[-1] == {"status": "success", "per_page": "1"}
    with pytest.raises(ForgeError, match="invalid workflow file name"):
        client.last_successful_run("../../pulls")
    github.faults.append(
        Fault("GET", template, 200, raw=b'{"total_count": 1, "workflow_runs": {}}')
    )
    with pytest.raises(ForgeError, match="workflow_runs is not a list"):
        client.last_successful_run("drift.yml")
