"""Retraining pull requests and drift issues, against the loopback GitHub and a real registry."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
import yaml

from galfriday_gitops import gitcommit
from galfriday_gitops.errors import UserError
from galfriday_gitops.write.retrain import update_window
from tests.monitor.conftest import MODEL, DriftRegistry
from tests.support.cli import gfops
from tests.support.loopback import LoopbackGitHub

BRANCH = f"galfriday/retrain/{MODEL}"


def _open_pulls(github: LoopbackGitHub) -> list[dict[str, object]]:
    return [p for p in github.pulls.values() if p["state"] == "open"]


def _issues(github: LoopbackGitHub) -> list[dict[str, object]]:
    return [i for i in github.issues.values() if i.get("pull_request") is None]


def _clean(reg: DriftRegistry) -> None:
    """The user's checkout is untouched: same branch, nothing modified, no extra worktree."""
    assert reg.git("status", "--porcelain").strip() == ""
    assert reg.git("rev-parse", "--abbrev-ref", "HEAD").strip() == "main"
    assert len(reg.git("worktree", "list").strip().splitlines()) == 1


def test_act_opens_one_retraining_pr_then_updates_it(
    drift_registry: DriftRegistry, github: LoopbackGitHub, github_env: dict[str, str]
) -> None:
    reg = drift_registry
    first = gfops("drift", "--all", "--act", "--format", "json", cwd=reg.path, env=github_env)
    assert first.code == 1, first.err
    action = json.loads(first.out)["models"][MODEL]["action"]
    assert action["action"] == "retraining-pr" and action["created"] is True
    assert action["version"] == "1.1.0" and action["branch"] == BRANCH
    pulls = _open_pulls(github)
    assert len(pulls) == 1
    pull = pulls[0]
    assert pull["head"]["ref"] == BRANCH and pull["base"]["ref"] == "main"  # type: ignore[index]
    assert "Drift report" in str(pull["body"]) and "spread_bps" in str(pull["body"])
    _clean(reg)

    second = gfops("drift", "--all", "--act", "--format", "json", cwd=reg.path, env=github_env)
    assert second.code == 1, second.err
    again = json.loads(second.out)["models"][MODEL]["action"]
    assert again["created"] is False and again["number"] == action["number"]
    assert len(_open_pulls(github)) == 1 and len(github.pulls) == 1
    _clean(reg)

    # The branch reached the remote, and what it proposes passes the registry's checks.
    assert BRANCH in reg.git("ls-remote", str(reg.origin))
    res = gfops("validate", "--rev", BRANCH, cwd=reg.path)
    assert res.code == 0, res.out + res.err
    manifest = yaml.safe_load(reg.git("show", f"{BRANCH}:models/{MODEL}/1.1.0.yaml"))
    assert manifest["spec"]["stage"] == "development"
    assert manifest["spec"]["lineage"]["parent"] == "1.0.0"
    assert "drift" in manifest["spec"]["lineage"]["retraining"]
    changed = reg.git("diff", "--name-only", "main", BRANCH).split()
    assert {
        "params.yaml",
        "dvc.lock",
        f"models/{MODEL}/1.1.0.yaml",
        f"artifacts/{MODEL}/1.1.0/model.json.dvc",
    } <= set(changed)
    params = yaml.safe_load(reg.git("show", f"{BRANCH}:params.yaml"))
    assert dt.date.fromisoformat(params["data"]["end"]) == dt.datetime.now(dt.UTC).date()
    # The new artifact was pushed to the DVC remote (content-addressed by its md5).
    md5 = manifest["spec"]["artifacts"][0]["md5"]
    assert any(p.name == md5[2:] for p in reg.dvc_remote.rglob("*")), md5


def test_retrain_preview_is_the_gates_verdict(
    drift_registry: DriftRegistry, tmp_path: Path
) -> None:
    """The retraining PR's preview is what ``gfops check`` says of its branch (no reviews)."""
    reg = drift_registry
    res = gfops("retrain", MODEL, "--reason", "agreement", "--format", "json", cwd=reg.path)
    assert res.code == 0, res.err
    out = json.loads(res.out)
    empty = tmp_path / "empty.json"
    empty.write_text("[]", encoding="utf-8")
    check = gfops(
        "check", "--base", "main", "--head", out["branch"], "--format", "json",
        "--reviews", str(empty), "--commits", str(empty), "--pr-author", "author",
        cwd=reg.path,
    )  # fmt: skip
    assert check.code in (0, 1), check.err
    report = json.loads(check.out)
    assert out["preview"]["events"] == report["events"]
    assert out["preview"]["findings"] == report["findings"]
    assert ("registered", out["version"]) in [(e["kind"], e["version"]) for e in report["events"]]
    _clean(reg)


def test_act_issue_opens_one_issue_and_reuses_it(
    drift_registry: DriftRegistry, github: LoopbackGitHub, github_env: dict[str, str]
) -> None:
    reg = drift_registry
    policy = (reg.path / "policies" / "drift.yaml").read_text(encoding="utf-8")
    assert "onDrift: retraining-pr" in policy
    issue_policy = policy.replace("onDrift: retraining-pr", "onDrift: issue")
    rev = gitcommit.commit_files(
        reg.path, "main", {"policies/drift.yaml": issue_policy.encode()}, "drift policy: issue"
    )
    for _ in range(2):
        res = gfops("drift", "--all", "--act", "--rev", rev, cwd=reg.path, env=github_env)
        assert res.code == 1, res.err
    issues = _issues(github)
    assert len(issues) == 1
    assert [label["name"] for label in issues[0]["labels"]] == ["galfriday-drift"]  # type: ignore[attr-defined]
    assert MODEL in str(issues[0]["title"])
    number = int(str(issues[0]["number"]))
    assert len(github.comments.get(number, [])) == 1  # the second run commented once
    assert not github.pulls


def test_act_without_forge_credentials_is_exit_2(
    drift_registry: DriftRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    res = gfops("drift", "--model", MODEL, "--act", cwd=drift_registry.path)
    assert res.code == 2 and "GITHUB_TOKEN" in res.err


def test_retrain_cli_errors_are_exit_2(drift_registry: DriftRegistry) -> None:
    res = gfops("retrain", "nope", "--reason", "x", cwd=drift_registry.path)
    assert res.code == 2 and "no model 'nope'" in res.err
    res = gfops("retrain", MODEL, "--reason", "x", "--base", "nope", cwd=drift_registry.path)
    assert res.code == 2 and "nope" in res.err
    res = gfops("retrain", MODEL, "--reason", "x", "--open-pr", cwd=drift_registry.path,
                env={"GITHUB_TOKEN": ""})  # fmt: skip
    assert res.code == 2 and "GITHUB_TOKEN" in res.err
    res = gfops("retrain", MODEL, "--reason", "x", "--window-days", "0", cwd=drift_registry.path)
    assert res.code == 2 and "--window-days" in res.err
    _clean(drift_registry)


PARAMS = """\
# knobs
data:
  # window, both days included
  start: "2024-01-01"
  end: 2024-03-31   # a bare YAML date
  rows_per_day: 288
"""


def test_update_window_keeps_comments_and_quoting(tmp_path: Path) -> None:
    path = tmp_path / "params.yaml"
    path.write_text(PARAMS, encoding="utf-8")
    start, end = update_window(path, end=dt.date(2024, 6, 30), window_days=None)
    assert (start, end) == (dt.date(2024, 4, 1), dt.date(2024, 6, 30))  # 91 days, as before
    text = path.read_text(encoding="utf-8")
    assert 'start: "2024-04-01"' in text
    assert "end: 2024-06-30   # a bare YAML date" in text
    assert "# window, both days included" in text and "rows_per_day: 288" in text
    start, _ = update_window(path, end=dt.date(2024, 6, 30), window_days=7)
    assert start == dt.date(2024, 6, 24)
    with pytest.raises(UserError, match="window-days"):
        update_window(path, end=dt.date(2024, 6, 30), window_days=0)


def test_act_checks_the_forge_before_reading_any_data(
    drift_registry: DriftRegistry, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reg = drift_registry
    policy = (reg.path / "policies" / "drift.yaml").read_text(encoding="utf-8")
    current = "current: data/live/price-direction/last-7d.parquet"
    assert current in policy
    unreadable = policy.replace(current, "current: data/live/nowhere.parquet")
    rev = gitcommit.commit_files(
        reg.path, "main", {"policies/drift.yaml": unreadable.encode()}, "data that is not there"
    )
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    report = tmp_path / "report"
    res = gfops("drift", "--all", "--act", "--rev", rev, "--report", str(report), cwd=reg.path)
    # the forge is the first thing refused: no data was read, no report written
    assert res.code == 2 and "GITHUB_TOKEN" in res.err and "--local" in res.err
    assert "nowhere" not in res.err and not report.exists()
    # the control: without --act the same revision fails on its data
    res = gfops("drift", "--all", "--rev", rev, cwd=reg.path)
    assert res.code == 2 and "nowhere" in res.err


def test_act_local_commits_the_retraining_branch_without_a_forge(
    drift_registry: DriftRegistry, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg = drift_registry
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    assert gfops("drift", "--model", MODEL, "--local", cwd=reg.path).code == 2  # needs --act
    # the registry is shared by the session: an earlier test may have pushed the branch
    pushed_before = reg.git("ls-remote", str(reg.origin))
    res = gfops("drift", "--model", MODEL, "--act", "--local", "--format", "json", cwd=reg.path)
    try:
        assert res.code == 1, res.err
        action = json.loads(res.out)["action"]
        assert action["action"] == "retraining-pr" and action["number"] is None
        assert action["summary"].startswith(f"committed {BRANCH}")
        assert reg.git("rev-parse", "--verify", BRANCH).strip()
        assert reg.git("ls-remote", str(reg.origin)) == pushed_before  # nothing pushed
        _clean(reg)
        # an issue policy acts locally by saying it skipped the issue
        policy = (reg.path / "policies" / "drift.yaml").read_text(encoding="utf-8")
        rev = gitcommit.commit_files(
            reg.path,
            "main",
            {"policies/drift.yaml": policy.replace("retraining-pr", "issue").encode()},
            "issue",
        )
        res = gfops("drift", "--all", "--act", "--local", "--rev", rev, cwd=reg.path)
        assert res.code == 1 and "issue skipped: no forge (--local)" in res.out
    finally:  # the session's registry is shared: leave no branch for the PR tests
        if reg.git("branch", "--list", BRANCH).strip():
            reg.git("branch", "-D", BRANCH)
