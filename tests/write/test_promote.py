"""``gfops promote`` end to end: real git repos, the real CLI, the loopback GitHub."""

from __future__ import annotations

import subprocess
from pathlib import Path

from galfriday_gitops.load.state import load_state
from galfriday_gitops.resources import ModelStage
from tests.support.cli import gfops
from tests.support.factories import manifest
from tests.support.loopback import TOKEN, LoopbackGitHub
from tests.support.repo import Repo

BRANCH = "galfriday/promote/price-direction-1.3.0-staging"


def add_testing_version(repo: Repo) -> None:
    repo.write("models/price-direction/1.3.0.yaml", manifest(version="1.3.0", stage="testing"))
    repo.commit("register 1.3.0")


def test_one_line_diff_on_a_new_branch_leaving_the_checkout_alone(repo: Repo) -> None:
    add_testing_version(repo)
    base = repo.git("rev-parse", "main")
    # The user is mid-work: a staged change and an untracked file on their own branch.
    repo.git("checkout", "-q", "-b", "my-work")
    repo.write("models/price-direction/1.3.0.yaml", manifest(version="1.3.0", stage="canary"))
    repo.git("add", "models/price-direction/1.3.0.yaml")
    repo.write("notes.txt", "scratch\n")
    status_before = repo.git("status", "--porcelain")

    result = gfops("promote", "price-direction", "1.3.0", "staging", cwd=repo.path)

    assert result.code == 0, result.err
    assert f"on branch {BRANCH}" in result.out
    assert "testing → **staging**" in result.out
    assert repo.git("diff", "--numstat", base, BRANCH) == "1\t1\tmodels/price-direction/1.3.0.yaml"
    diff = repo.git("diff", "-U0", base, BRANCH)
    assert "-  stage: testing          # a comment that must survive edits" in diff
    assert "+  stage: staging          # a comment that must survive edits" in diff
    assert repo.git("rev-parse", f"{BRANCH}^") == base
    assert repo.git("branch", "--show-current") == "my-work"
    assert repo.git("status", "--porcelain") == status_before
    assert repo.git("rev-parse", "main") == base


def test_production_moves_the_previous_holder_in_the_same_commit(repo: Repo) -> None:
    base = repo.git("rev-parse", "main")
    result = gfops("promote", "price-direction", "1.2.0", "production", cwd=repo.path)
    assert result.code == 0, result.err
    branch = "galfriday/promote/price-direction-1.2.0-production"
    numstat = repo.git("diff", "--numstat", base, branch).splitlines()
    assert "1\t1\tmodels/price-direction/1.2.0.yaml" in numstat
    assert any(line.endswith("models/price-direction/1.1.0.yaml") for line in numstat)
    head = load_state(repo.path, branch)
    assert head.ok, head.findings
    assert [v.version for v in head.in_stage("price-direction", ModelStage.PRODUCTION)] == ["1.2.0"]
    holder = head.get("price-direction", "1.1.0")
    assert holder is not None and holder.stage is ModelStage.DEPRECATED
    assert holder.spec.deprecation is not None
    assert holder.spec.deprecation.replacement == "1.2.0"
    # The body holds the reconciler's verdict on this commit: approvals pending, the
    # experiment (still running) failing, capacity and thresholds passing.
    assert "previous holder of production" in result.out
    assert (
        "| ⏳ | GF202 approvals | `models/price-direction/1.2.0.yaml:15` | price-direction@1.2.0 "
        "-> production: needs 2 more approval(s) from ml-leads (have 0 of 2) |"
    ) in result.out
    assert "| ❌ | GF212 experiment-win |" in result.out
    passing = next(line for line in result.out.splitlines() if line.startswith("Passing: "))
    assert "GF204 thresholds" in passing and "GF206 capacity" in passing
    assert gfops("validate", "--rev", branch, cwd=repo.path).code == 0


def test_keep_holder_changes_only_the_requested_line(repo: Repo) -> None:
    base = repo.git("rev-parse", "main")
    result = gfops(
        "promote", "price-direction", "1.2.0", "production", "--keep-holder", cwd=repo.path
    )
    assert result.code == 0, result.err
    branch = "galfriday/promote/price-direction-1.2.0-production"
    assert repo.git("diff", "--numstat", base, branch) == "1\t1\tmodels/price-direction/1.2.0.yaml"
    assert "| ❌ | GF206 capacity |" in result.out and "(1.1.0, 1.2.0)" in result.out


def test_bad_requests_exit_2_with_one_clear_line(repo: Repo) -> None:
    cases = {
        ("price-direction", "9.9.9", "staging"): (
            "price-direction has no version 9.9.9 at main; versions: 1.0.0 (deprecated), "
            "1.1.0 (production), 1.2.0 (staging)"
        ),
        ("price-direction", "1.2.0", "Prodution"): (
            "unknown stage 'Prodution' (did you mean 'production'?); valid stages: development, "
            "testing, staging, canary, production, deprecated, retired, archived"
        ),
        (
            "price-direction",
            "1.1.0",
            "production",
        ): "price-direction@1.1.0 is already in production",
        ("no-such-model", "1.0.0", "staging"): "no model 'no-such-model' at main",
    }
    for argv, message in cases.items():
        result = gfops("promote", *argv, cwd=repo.path)
        assert result.code == 2, (argv, result.out)
        assert result.err.count("\n") == 1
        assert message in result.err
    assert repo.git("branch", "--list", "galfriday/*") == ""


def test_open_pr_opens_one_pull_request_and_updates_it(
    repo: Repo, github: LoopbackGitHub, github_env: dict[str, str], tmp_path: Path
) -> None:
    remote = repo.add_origin(tmp_path / "origin.git")
    env = github_env
    argv = ("promote", "price-direction", "1.2.0", "production", "--open-pr")
    first = gfops(*argv, cwd=repo.path, env=env)
    assert first.code == 0, first.err
    assert "opened pull request #1" in first.out
    second = gfops(*argv, cwd=repo.path, env=env)
    assert second.code == 0, second.err
    assert "updated pull request #1" in second.out

    assert list(github.pulls) == [1]
    pull = github.pulls[1]
    assert pull["head"]["ref"] == "galfriday/promote/price-direction-1.2.0-production"
    assert pull["base"]["ref"] == "main"
    assert pull["title"] == "Promote price-direction@1.2.0 to production"
    assert "What the reconciler decides" in pull["body"]
    pushed = subprocess.run(
        [
            "git",
            "-C",
            str(remote),
            "rev-parse",
            "galfriday/promote/price-direction-1.2.0-production",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert pushed == repo.git("rev-parse", "galfriday/promote/price-direction-1.2.0-production")
    for out in (first.out, first.err, second.out, second.err):
        assert TOKEN not in out


def test_open_pr_without_credentials_is_a_clear_error(repo: Repo) -> None:
    result = gfops(
        "promote",
        "price-direction",
        "1.2.0",
        "production",
        "--open-pr",
        cwd=repo.path,
        env={"GITHUB_TOKEN": "", "GITHUB_REPOSITORY": ""},
    )
    assert result.code == 2
    assert "--open-pr: GITHUB_TOKEN is not set" in result.err


# ---------------------------------------------------------------- canary


def test_canary_traffic_is_written_after_the_stage_line(repo: Repo) -> None:
    base = repo.git("rev-parse", "main")
    result = gfops(
        "promote", "price-direction", "1.2.0", "canary", "--traffic", "10", cwd=repo.path
    )
    assert result.code == 0, result.err
    assert "to canary (10% of traffic)" in result.out
    branch = "galfriday/promote/price-direction-1.2.0-canary"
    diff = repo.git("diff", "-U0", base, branch).splitlines()
    assert [ln for ln in diff if ln[:1] in "+-" and ln[:3] not in ("+++", "---")] == [
        "-  stage: staging",
        "+  stage: canary",
        "+  rollout:",
        "+    trafficPercent: 10",
    ]
    version = load_state(repo.path, branch).get("price-direction", "1.2.0")
    assert version is not None and version.spec.rollout is not None
    assert version.spec.rollout.traffic_percent == 10
    # a ramp of the merged canary is a one-line diff of the share
    repo.git("merge", "-q", "--no-ff", "-m", "canary", branch)
    before = repo.git("rev-parse", "main")
    ramp = gfops("promote", "price-direction", "1.2.0", "canary", "--traffic", "7.5",
                 cwd=repo.path)  # fmt: skip
    assert ramp.code == 0, ramp.err
    assert "Ramp canary price-direction@1.2.0 to 7.5% of traffic" in ramp.out
    numstat = repo.git("diff", "--numstat", before, branch)
    assert numstat == "1\t1\tmodels/price-direction/1.2.0.yaml"
    assert "+    trafficPercent: 7.5" in repo.git("diff", "-U0", before, branch)


def test_canary_requests_that_make_no_sense_are_refused(repo: Repo) -> None:
    def promote(*args: str) -> tuple[int, str]:
        result = gfops("promote", "price-direction", *args, cwd=repo.path)
        return result.code, result.err

    code, err = promote("1.2.0", "canary")
    assert code == 2 and "entering canary needs its traffic share" in err and "--traffic" in err
    code, err = promote("1.2.0", "production", "--traffic", "10")
    assert code == 2 and "production takes none" in err
    for bad in ("0", "150", "-5"):
        code, err = promote("1.2.0", "canary", "--traffic", bad)
        assert code == 2 and "expected a percentage above 0 and at most 100" in err
    assert repo.git("branch", "--list", "galfriday/*") == ""
    # the control: a share within (0, 100] is accepted
    assert promote("1.2.0", "canary", "--traffic", "100")[0] == 0
