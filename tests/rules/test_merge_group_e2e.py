"""Merge groups are judged pull request by pull request (issue 11, hole 7).

The loopback GitHub serves the queue as GitHub does: the base branch, one
``gh-readonly-queue/main/pr-<N>-<head>`` branch per queued pull request (each tip = main +
the entries ahead of it + its own changes), the pull requests with their reviews and
commits. The real ``gfops check`` gets GitHub's own ``merge_group`` payload (from the
webhook examples) for the group of two: each pull request's changes are judged with its
own reviews, so neither can borrow the other's approvals; a group whose base is not main's
head (or a queued group on it) is blocked.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import gfops
from tests.support.gate import NOW
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo

# A canary serves a share of the traffic beside production (GF215).
TO_CANARY = "  stage: canary\n  rollout:\n    trafficPercent: 10"

MANIFEST = "models/price-direction/1.2.0.yaml"
QUEUE = "refs/heads/gh-readonly-queue/main"


class Queue:
    """Two pull requests and the merge queue GitHub would build from them."""

    def __init__(self, repo: Repo, github: LoopbackGitHub) -> None:
        self.repo, self.github = repo, github
        self.main = repo.git("rev-parse", "main")
        repo.git("checkout", "-q", "-b", "pr-21", "main")
        repo.write(MANIFEST, repo.read(MANIFEST).replace("  stage: staging", TO_CANARY, 1))
        self.head21 = repo.commit("1.2.0 to canary")  # needs one of ml-leads
        repo.git("checkout", "-q", "-b", "pr-22", "main")
        repo.write(".gitattributes", "models/** eol=crlf\n")
        self.head22 = repo.commit("line endings")  # needs one of the owners (platform)
        for number, head in ((21, self.head21), (22, self.head22)):
            github.add_pull(number, author="alice")
            github.pulls[number]["head"]["sha"] = head
            github.add_commit(number, author="alice", committer="alice", sha=head)
        github.set_ref("refs/heads/main", self.main)

    def merge(self, onto: str, branch: str, number: int, head: str) -> str:
        """The queue entry of ``branch`` on ``onto``: GitHub's merge commit, and its ref."""
        self.repo.git("checkout", "-q", "--detach", onto)
        self.repo.git("merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", branch)
        tip = self.repo.git("rev-parse", "HEAD")
        self.github.set_ref(f"{QUEUE}/pr-{number}-{head}", tip)
        return tip

    def approve(self, number: int, login: str) -> None:
        head = self.head21 if number == 21 else self.head22
        self.github.add_review(number, login, "APPROVED", head)


def event_file(
    tmp: Path, examples: dict[str, list[dict[str, Any]]], *, head_ref: str, head: str, base: str
) -> Path:
    event = json.loads(json.dumps(examples["merge_group"][0]))
    event["merge_group"].update(head_ref=head_ref, head_sha=head, base_sha=base)
    path = tmp / "merge_group.json"
    path.write_text(json.dumps(event))
    return path


def check_group(repo: Repo, event: Path, env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    result = gfops(
        "check", "--event", str(event), "--event-name", "merge_group", "--now", NOW,
        "--format", "json", "--status", cwd=repo.path, env=env,
    )  # fmt: skip
    assert result.code in (0, 1), result.err
    return result.code, json.loads(result.out)


@pytest.fixture
def queue(repo: Repo, github: LoopbackGitHub) -> Queue:
    return Queue(repo, github)


def group_of_two(queue: Queue, tmp: Path, examples: dict[str, list[dict[str, Any]]]) -> Path:
    tip21 = queue.merge(queue.main, "pr-21", 21, queue.head21)
    tip22 = queue.merge(tip21, "pr-22", 22, queue.head22)
    return event_file(
        tmp, examples, head_ref=f"{QUEUE}/pr-22-{queue.head22}", head=tip22, base=tip21
    )


def approvals(report: dict[str, Any]) -> dict[str, list[str]]:
    return {a["change"]: a["approvers"] for a in report["approvals"]}


def test_each_pull_request_is_judged_with_its_own_reviews(
    queue: Queue,
    github: LoopbackGitHub,
    github_env: dict[str, str],
    tmp_path: Path,
    webhook_examples: dict[str, list[dict[str, Any]]],
) -> None:
    event = group_of_two(queue, tmp_path, webhook_examples)
    queue.approve(21, "dave")  # a lead approves the canary move; nobody approves #22
    code, report = check_group(queue.repo, event, github_env)
    assert code == 1
    assert approvals(report) == {
        "#21 price-direction@1.2.0 -> canary": ["dave"],
        "#22 change to .gitattributes": [],
    }
    (finding,) = report["findings"]
    assert finding["rule"] == "GF213" and finding["message"].startswith("#22: change to")
    assert {(e["kind"], e["path"]) for e in report["events"]} == {
        ("stage-changed", MANIFEST),
        ("modified", MANIFEST),  # its canary share (spec.rollout), a mutable field
        ("repo-config-changed", ".gitattributes"),
    }
    assert report["base"] == queue.main  # judged from main's head, not the group's base
    head = json.loads(event.read_text())["merge_group"]["head_sha"]
    status = github.latest_status(head, "galfriday/reconciler")
    assert status is not None and status["state"] == "failure"

    # The control: the owners approve #22 as well, and the group is allowed.
    queue.approve(22, "frank")
    code, report = check_group(queue.repo, event, github_env)
    assert code == 0, report["findings"]
    status = github.latest_status(head, "galfriday/reconciler")
    assert status is not None and status["state"] == "success"


def test_one_pull_request_cannot_borrow_anothers_approval(
    queue: Queue,
    github_env: dict[str, str],
    tmp_path: Path,
    webhook_examples: dict[str, list[dict[str, Any]]],
) -> None:
    event = group_of_two(queue, tmp_path, webhook_examples)
    # dave (a lead) and frank approve #22, the pull request the group's ref names; #21's
    # canary move has no approval of its own.
    queue.approve(22, "dave")
    queue.approve(22, "frank")
    code, report = check_group(queue.repo, event, github_env)
    assert code == 1
    (finding,) = report["findings"]
    assert finding["rule"] == "GF202" and finding["message"].startswith(
        "#21: price-direction@1.2.0 -> canary: needs 1 more approval(s) from ml-leads"
    )
    reviewers = {(r["reviewer"], r["pull"]) for r in report["reviews"]}
    assert reviewers == {("dave", 22), ("frank", 22)}


def test_a_group_whose_base_is_not_on_main_is_blocked(
    queue: Queue,
    github_env: dict[str, str],
    tmp_path: Path,
    webhook_examples: dict[str, list[dict[str, Any]]],
) -> None:
    queue.approve(21, "dave")
    # A group built on a commit that is not main's head, nor a queued group on it.
    queue.repo.git("checkout", "-q", "--detach", queue.main)
    queue.repo.write("README.md", "not on main\n")
    side = queue.repo.commit("a commit main never had")
    tip = queue.merge(side, "pr-21", 21, queue.head21)
    event = event_file(
        tmp_path, webhook_examples, head_ref=f"{QUEUE}/pr-21-{queue.head21}", head=tip, base=side
    )
    code, report = check_group(queue.repo, event, github_env)
    assert code == 1
    (finding,) = report["findings"]
    assert finding["rule"] == "GF223"
    assert f"base {side[:12]} is neither main's head {queue.main[:12]}" in finding["message"]

    # The same pull request queued on main's head is allowed (the control).
    tip = queue.merge(queue.main, "pr-21", 21, queue.head21)
    event = event_file(
        tmp_path, webhook_examples, head_ref=f"{QUEUE}/pr-21-{queue.head21}", head=tip,
        base=queue.main,
    )  # fmt: skip
    code, report = check_group(queue.repo, event, github_env)
    assert code == 0, report["findings"]
