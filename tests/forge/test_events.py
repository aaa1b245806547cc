"""Event parsing on the real payloads of @octokit/webhooks-examples."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from galfriday_gitops.forge import ForgeError, load_event, parse_event, parse_merge_queue_ref

Examples = dict[str, list[dict[str, Any]]]
EVENTS = ["pull_request", "pull_request_review", "merge_group", "push"]


@pytest.mark.parametrize("name", ["pull_request", "pull_request_review"])
def test_pull_request_events(name: str, webhook_examples: Examples) -> None:
    payloads = webhook_examples[name]
    assert payloads, f"no {name} examples"
    for payload in payloads:
        event = parse_event(name, payload)
        pull = payload["pull_request"]
        assert event.name == name
        assert event.action == payload["action"]
        assert event.pr_number == pull["number"]
        assert event.base_sha == pull["base"]["sha"]
        assert event.head_sha == pull["head"]["sha"]
        assert event.base_ref == pull["base"]["ref"]
        assert event.head_ref == pull["head"]["ref"]
        assert event.author_login == pull["user"]["login"]
        assert event.sender_login == payload["sender"]["login"]
        assert event.repository == payload["repository"]["full_name"]
        assert event.merge_queue_prs == ()
    # Every action that has an example was seen.
    assert {parse_event(name, p).action for p in payloads} == {p["action"] for p in payloads}


def test_merge_group_events(webhook_examples: Examples) -> None:
    payloads = webhook_examples["merge_group"]
    assert payloads
    for payload in payloads:
        event = parse_event("merge_group", payload)
        group = payload["merge_group"]
        assert event.pr_number is None
        assert event.action == payload["action"]
        assert (event.base_sha, event.head_sha) == (group["base_sha"], group["head_sha"])
        assert (event.base_ref, event.head_ref) == (group["base_ref"], group["head_ref"])
        assert event.repository == payload["repository"]["full_name"]
        number = int(group["head_ref"].rsplit("/pr-", 1)[1].split("-")[0])
        assert event.merge_queue_prs == (number,)
        assert event.merge_queue_prs == (104,)  # the examples queue pull request #104


def test_push_events(webhook_examples: Examples) -> None:
    payloads = webhook_examples["push"]
    assert payloads
    for payload in payloads:
        event = parse_event("push", payload)
        assert event.pr_number is None
        assert event.action is None
        assert (event.base_sha, event.head_sha) == (payload["before"], payload["after"])
        assert event.head_ref == payload["ref"]
        assert event.sender_login == payload["sender"]["login"]
        assert event.repository == payload["repository"]["full_name"]


@pytest.mark.parametrize(("declared", "actual"), [(d, a) for d in EVENTS for a in EVENTS if d != a])
def test_rejects_payload_of_another_event(
    declared: str, actual: str, webhook_examples: Examples
) -> None:
    for payload in webhook_examples[actual]:
        with pytest.raises(ForgeError, match=f"invalid {declared} event payload"):
            parse_event(declared, payload)


def test_rejects_unsupported_event_and_non_object(webhook_examples: Examples) -> None:
    with pytest.raises(ForgeError, match="unsupported event 'issues'"):
        parse_event("issues", webhook_examples["push"][0])
    with pytest.raises(ForgeError, match="payload is missing or not an object"):
        parse_event("push", [])


def test_rejects_damaged_payloads(webhook_examples: Examples) -> None:
    payload = json.loads(json.dumps(webhook_examples["pull_request"][0]))
    payload["pull_request"]["head"]["sha"] = "not-a-sha"
    with pytest.raises(ForgeError, match=r"pull_request\.head\.sha is not a commit sha"):
        parse_event("pull_request", payload)
    payload = json.loads(json.dumps(webhook_examples["pull_request"][0]))
    payload["number"] += 1
    with pytest.raises(ForgeError, match="number disagrees"):
        parse_event("pull_request", payload)
    payload = json.loads(json.dumps(webhook_examples["merge_group"][0]))
    payload["merge_group"]["base_ref"] = "refs/heads/release"
    with pytest.raises(ForgeError, match="does not queue into"):
        parse_event("merge_group", payload)


@pytest.mark.parametrize(
    ("ref", "base", "numbers"),
    [
        ("refs/heads/gh-readonly-queue/main/pr-104-" + "a" * 40, "main", (104,)),
        ("gh-readonly-queue/main/pr-7-" + "0123456789abcdef" * 4, "main", (7,)),
        ("gh-readonly-queue/release/v1.2/pr-12-" + "b" * 40, "release/v1.2", (12,)),
    ],
)
def test_parse_merge_queue_ref(ref: str, base: str, numbers: tuple[int, ...]) -> None:
    assert parse_merge_queue_ref(ref) == (base, numbers)


@pytest.mark.parametrize(
    "ref",
    [
        "refs/heads/main",
        "gh-readonly-queue/main/pr-0-" + "a" * 40,
        "gh-readonly-queue/main/pr-12-" + "a" * 39,
        "gh-readonly-queue/main/pr-x-" + "a" * 40,
        "gh-readonly-queue/pr-12-" + "a" * 40,
        "refs/tags/gh-readonly-queue/main/pr-12-" + "a" * 40,
    ],
)
def test_parse_merge_queue_ref_rejects(ref: str) -> None:
    with pytest.raises(ForgeError, match="not a merge queue branch"):
        parse_merge_queue_ref(ref)


def test_load_event_from_environment(tmp_path: Path, webhook_examples: Examples) -> None:
    payload = webhook_examples["pull_request_review"][0]
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload), encoding="utf-8")
    env = {"GITHUB_EVENT_NAME": "pull_request_review", "GITHUB_EVENT_PATH": str(path)}

    event = load_event(environ=env)

    assert event.pr_number == payload["pull_request"]["number"]
    assert load_event(path, "pull_request_review", environ={}) == event


def test_load_event_errors(tmp_path: Path) -> None:
    with pytest.raises(ForgeError, match="GITHUB_EVENT_NAME is not set"):
        load_event(environ={})
    with pytest.raises(ForgeError, match="GITHUB_EVENT_PATH is not set"):
        load_event(environ={"GITHUB_EVENT_NAME": "push"})
    with pytest.raises(ForgeError, match="cannot read event file"):
        load_event(tmp_path / "missing.json", "push", environ={})
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ForgeError, match="not valid JSON"):
        load_event(broken, "push", environ={})
