"""``gfops rollback`` end to end: history of merged promotions -> the right previous version."""

from __future__ import annotations

from pathlib import Path

from galfriday_gitops.load.history import production_periods
from galfriday_gitops.load.state import load_state
from galfriday_gitops.resources import ModelStage
from tests.support.cli import gfops
from tests.support.factories import manifest
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo

BRANCH = "galfriday/rollback/price-direction"


def merge_promotion(repo: Repo, version: str) -> None:
    result = gfops("promote", "price-direction", version, "production", cwd=repo.path)
    assert result.code == 0, result.err
    branch = f"galfriday/promote/price-direction-{version}-production"
    repo.git("merge", "-q", "--no-ff", "-m", f"Merge promotion of {version}", branch)


def history_of_promotions(repo: Repo) -> None:
    """1.1.0 (initial) -> 1.2.0 -> 1.3.0 in production, each through a merged promotion."""
    merge_promotion(repo, "1.2.0")
    repo.write(
        "models/price-direction/1.3.0.yaml",
        manifest(version="1.3.0", stage="staging", experiment="price-direction-1.2-vs-1.1"),
    )
    repo.commit("register 1.3.0")
    merge_promotion(repo, "1.3.0")


def test_rollback_restores_the_previous_production_version(repo: Repo) -> None:
    history_of_promotions(repo)
    periods = production_periods(repo.path, "price-direction")
    assert [p.versions for p in periods] == [("1.1.0",), ("1.2.0",), ("1.3.0",)]
    base = repo.git("rev-parse", "main")

    result = gfops(
        "rollback", "price-direction", "--reason", "p99 latency 140 ms since 09:00", cwd=repo.path
    )

    assert result.code == 0, result.err
    assert f"on branch {BRANCH}" in result.out
    assert "p99 latency 140 ms since 09:00" in result.out
    assert "| 1.2.0 |" in result.out and "| 1.1.0 |" in result.out  # the history table
    head = load_state(repo.path, BRANCH)
    assert head.ok, head.findings
    restored = head.get("price-direction", "1.2.0")
    pulled = head.get("price-direction", "1.3.0")
    assert restored is not None and pulled is not None
    assert restored.stage is ModelStage.PRODUCTION
    assert restored.spec.deprecation is None  # lifecycle must not retire what now serves
    assert pulled.stage is ModelStage.DEPRECATED
    assert pulled.spec.deprecation is not None
    assert pulled.spec.deprecation.replacement == "1.2.0"
    assert "p99 latency" in pulled.spec.deprecation.reason
    changed = repo.git("diff", "--name-only", base, BRANCH).splitlines()
    assert changed == ["models/price-direction/1.2.0.yaml", "models/price-direction/1.3.0.yaml"]
    assert repo.git("branch", "--show-current") == "main"

    # Idempotent: a second run replaces the branch's commit, still one commit on the base.
    again = gfops("rollback", "price-direction", "--reason", "still slow", cwd=repo.path)
    assert again.code == 0, again.err
    assert repo.git("rev-parse", f"{BRANCH}^") == base


def test_to_overrides_history_and_demote_to_chooses_the_stage(repo: Repo) -> None:
    history_of_promotions(repo)
    result = gfops(
        "rollback", "price-direction", "--to", "1.1.0", "--demote-to", "staging", cwd=repo.path
    )
    assert result.code == 0, result.err
    head = load_state(repo.path, BRANCH)
    assert [v.version for v in head.in_stage("price-direction", ModelStage.PRODUCTION)] == ["1.1.0"]
    pulled = head.get("price-direction", "1.3.0")
    assert pulled is not None and pulled.stage is ModelStage.STAGING
    assert pulled.spec.deprecation is None


def test_refusals(repo: Repo) -> None:
    # Only one commit: 1.1.0 was always the production version, so history has no answer.
    result = gfops("rollback", "price-direction", cwd=repo.path)
    assert result.code == 2
    assert "no earlier production version of price-direction" in result.err
    assert "pass --to VERSION" in result.err
    repo.write("models/price-direction/0.9.0.yaml", manifest(version="0.9.0", stage="archived"))
    repo.commit("an archived version")
    result = gfops("rollback", "price-direction", "--to", "0.9.0", cwd=repo.path)
    assert result.code == 2
    assert "price-direction@0.9.0 is archived at main and cannot be restored" in result.err
    result = gfops("rollback", "price-direction", "--to", "7.0.0", cwd=repo.path)
    assert result.code == 2
    assert "price-direction has no version 7.0.0 at main" in result.err
    assert repo.git("branch", "--list", "galfriday/*") == ""


def test_open_pr_twice_updates_the_same_pull_request(
    repo: Repo, github: LoopbackGitHub, github_env: dict[str, str], tmp_path: Path
) -> None:
    repo.add_origin(tmp_path / "origin.git")
    env = github_env
    argv = ("rollback", "price-direction", "--to", "1.0.0", "--open-pr", "--reason")
    first = gfops(*argv, "error rate 4%", cwd=repo.path, env=env)
    second = gfops(*argv, "error rate 6%", cwd=repo.path, env=env)
    assert first.code == 0 and second.code == 0, (first.err, second.err)
    assert "opened" in first.out and "updated" in second.out
    assert list(github.pulls) == [1]
    assert github.pulls[1]["head"]["ref"] == BRANCH
    assert github.pulls[1]["title"] == "Roll back price-direction to 1.0.0"
    assert "error rate 6%" in github.pulls[1]["body"]
