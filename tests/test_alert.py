"""A red run tells someone: ``gfops alert`` and ``audit verify --issue`` open one issue per
job and keep it current (the real CLI against the loopback GitHub), and write the job summary."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.support.cli import gfops
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo
from tests.support.signing import sign_as_demo


def actions_env(github_env: dict[str, str], summary: Path) -> dict[str, str]:
    return {
        **github_env,
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242",
    }


def test_a_failed_job_opens_one_issue_and_updates_it_after(
    github: LoopbackGitHub, github_env: dict[str, str], tmp_path: Path
) -> None:
    summary = tmp_path / "summary.md"
    env = actions_env(github_env, summary)
    details = tmp_path / "drift.md"
    details.write_text("3 of 6 features drifted\n```\n@everyone ``` <b>\n", encoding="utf-8")
    first = gfops("alert", "drift", "--details", str(details), "--format", "json", env=env)
    assert first.code == 0, first.err
    opened = json.loads(first.out)
    assert opened["opened"] is True and opened["summary"] is True
    issue = github.issues[opened["issue"]]
    assert issue["title"] == "[galfriday-alert] drift: the last run failed"
    assert [label["name"] for label in issue["labels"]] == ["galfriday-alert"]
    body = issue["body"]
    assert "https://github.com/octo-org/registry/actions/runs/4242" in body
    assert "````text\n3 of 6 features drifted" in body  # fenced longer than any run inside
    assert "job failed" in summary.read_text(encoding="utf-8")

    second = gfops("alert", "drift", "--format", "json", env=env)
    updated = json.loads(second.out)
    assert (updated["issue"], updated["opened"]) == (opened["issue"], False)
    assert len([i for i in github.issues.values() if "galfriday-alert" in i["title"]]) == 1
    assert len(github.comments[opened["issue"]]) == 1  # the marker comment, kept current
    other = json.loads(gfops("alert", "lifecycle", "--format", "json", env=env).out)
    assert other["opened"] is True and other["issue"] != opened["issue"]  # one per job


def test_a_job_name_is_checked(github_env: dict[str, str]) -> None:
    result = gfops("alert", "../../etc", env=github_env)
    assert result.code == 2 and "not a job name" in result.err


def test_verify_opens_the_audit_issue_only_when_not_ok(
    repo: Repo, github: LoopbackGitHub, github_env: dict[str, str], tmp_path: Path
) -> None:
    sign_as_demo(repo.path)
    assert gfops("apply", "--after", "main", "--no-reviews", cwd=repo.path).code == 0
    summary = tmp_path / "summary.md"
    env = actions_env(github_env, summary)
    ok = gfops("audit", "verify", "--summary", "--issue", cwd=repo.path, env=env)
    assert ok.code == 0, ok.out + ok.err
    assert github.issues == {}  # green: nobody is bothered
    assert "gfops audit verify: :white_check_mark:" in summary.read_text(encoding="utf-8")
    text = repo.read("models/price-direction/1.2.0.yaml")
    repo.write("models/price-direction/1.2.0.yaml", text.replace("stage: staging", "stage: canary"))
    repo.commit("straight to canary")
    red = gfops("audit", "verify", "--summary", "--issue", cwd=repo.path, env=env)
    assert red.code == 1
    (issue,) = github.issues.values()
    assert issue["title"] == "[galfriday-alert] audit: the last run failed"
    assert "GF300" in issue["body"] and "| GF300 | untagged-change | 1 |" in issue["body"]


def hours_ago(hours: float) -> str:
    moment = dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours)
    return moment.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def test_a_scheduled_workflow_that_did_not_succeed_lately_is_reported_once(
    github: LoopbackGitHub, github_env: dict[str, str], tmp_path: Path
) -> None:
    """A run that never happened cannot report itself: the audit job asks GitHub when drift
    last succeeded. A failure or a run still going is not a success; older than --within
    hours, the one drift issue is opened, and updated on the next check."""
    env = actions_env(github_env, tmp_path / "summary.md")
    watch = ("alert", "drift", "--missed", "drift.yml", "--within", "26", "--format", "json")
    github.add_workflow_run("drift.yml", hours_ago(3), conclusion="success")
    github.add_workflow_run("drift.yml", hours_ago(1), conclusion="failure")  # not a success
    github.add_workflow_run("lifecycle.yml", hours_ago(80), conclusion="success")
    quiet = gfops(*watch, env=env)
    assert quiet.code == 0, quiet.err
    assert json.loads(quiet.out)["alerted"] is False and github.issues == {}  # the control
    text = gfops(*watch[:-2], env=env).out
    assert text.startswith("drift: last succeeded 20") and "nothing to report" in text

    lifecycle = ("alert", "lifecycle", "--missed", "lifecycle.yml", "--format", "json")
    first = json.loads(gfops(*lifecycle, env=env).out)  # 80 hours: missed for two days
    assert first["alerted"] is True and first["opened"] is True
    issue = github.issues[first["issue"]]
    assert issue["title"] == "[galfriday-alert] lifecycle schedule: no successful run in 26 hours"
    assert "`lifecycle.yml` has not succeeded in 26 hours" in issue["body"]
    assert f"/actions/runs/{github.workflow_runs[2]['id']}" in issue["body"]  # its last success
    again = json.loads(gfops(*lifecycle, env=env).out)
    assert (again["issue"], again["opened"]) == (first["issue"], False)  # one issue, updated
    failed = json.loads(gfops("alert", "lifecycle", "--format", "json", env=env).out)
    assert failed["issue"] != first["issue"]  # a failed run's own issue keeps its details

    never = json.loads(gfops("alert", "audit", "--missed", "audit.yml", "--format", "json",
                             env=env).out)  # fmt: skip
    assert never["alerted"] is True and never["last_success"] is None
    assert "It never succeeded." in github.issues[never["issue"]]["body"]


def test_a_watched_workflow_name_and_window_are_checked(github_env: dict[str, str]) -> None:
    bad = gfops("alert", "drift", "--missed", "../drift.yml", env=github_env)
    assert bad.code == 2 and "invalid workflow file name" in bad.err
    zero = gfops("alert", "drift", "--missed", "drift.yml", "--within", "0", env=github_env)
    assert zero.code == 2 and "--within must be a positive number of hours" in zero.err
