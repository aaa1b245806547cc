"""``approvals.codeOwners: true`` makes the owners of a changed manifest approvers (issue 11,
hole 6), with GitHub's CODEOWNERS: the first of .github/, root, docs/; the last matching
line wins; ``@org/team`` is the Teams resource's team; the base's file, never the head's.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.gate import check_json, messages, review_args, rule_ids
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo

# A canary serves a share of the traffic beside production (GF215).
TO_CANARY = "  stage: canary\n  rollout:\n    trafficPercent: 10"

CANARY = "      approvals: {count: 1, from: [ml-leads]}\n      capacity: 1\n"
OWNERS = """\
# the registry's owners; the last matching line decides
/models/ @octo-org/ml-team
!models/price-direction/ @mallory
/models/price-direction/1.2.0.yaml @carol @octo-org/nobody
"""
MANIFEST = "models/price-direction/1.2.0.yaml"


@pytest.fixture
def reg(repo: Repo) -> Repo:
    policy = repo.read("policies/stages.yaml")
    assert CANARY in policy
    repo.write(
        "policies/stages.yaml",
        policy.replace(
            CANARY, "      approvals: {count: 1, codeOwners: true}\n      capacity: 1\n"
        ),
    )
    repo.write(".github/CODEOWNERS", OWNERS)
    repo.write("docs/CODEOWNERS", "* @mallory\n")  # GitHub reads .github/ first: ignored
    repo.commit("canary approved by the code owners")
    return repo


def to_canary(repo: Repo, branch: str = "canary") -> str:
    repo.git("checkout", "-q", "-b", branch, "main")
    repo.write(MANIFEST, repo.read(MANIFEST).replace("  stage: staging", TO_CANARY, 1))
    return repo.commit("1.2.0 to canary")


def test_the_owner_of_the_manifest_approves_by_the_last_matching_line(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    head = to_canary(reg)
    # bob is in ml-team, which owns models/ — but a later line gives 1.2.0 to carol.
    code, report = check_json(
        reg, *review_args(github, tmp_path / "a", [("bob", "APPROVED", head)])
    )
    assert code == 1 and rule_ids(report) == {"GF202", "GF224"}
    (missing,) = messages(report, "GF202")
    assert "code owners of models/price-direction/1.2.0.yaml (@carol, @octo-org/nobody)" in missing
    assert "bob (not in code owners of" in missing
    warnings = {
        (f["file"], f["line"]): f["message"] for f in report["findings"] if f["rule"] == "GF224"
    }
    assert "negation ('!') does not work" in warnings[(".github/CODEOWNERS", 3)]
    assert "the Teams resource has no team 'nobody'" in warnings[(".github/CODEOWNERS", 4)]
    assert all(f["severity"] == "warning" for f in report["findings"] if f["rule"] == "GF224")

    # The control: carol, the owner by the last matching line, approves.
    code, report = check_json(
        reg, *review_args(github, tmp_path / "b", [("carol", "APPROVED", head)], pr=8)
    )
    assert code == 0, report["findings"]
    assert report["approvals"][0]["approvers"] == ["carol"]


def test_a_team_owner_is_the_teams_resource_team(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    reg.write(".github/CODEOWNERS", "/models/ @octo-org/ml-team\n")
    reg.commit("ml-team owns the models")
    head = to_canary(reg)
    code, report = check_json(reg, *review_args(github, tmp_path, [("bob", "APPROVED", head)]))
    assert code == 0, report["findings"]  # bob is in ml-team
    code, report = check_json(
        reg, *review_args(github, tmp_path / "x", [("mallory", "APPROVED", head)], pr=8)
    )
    assert code == 1 and "mallory (not in code owners of" in messages(report, "GF202")[0]


def test_owners_come_from_the_base_not_from_the_pull_request(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    reg.git("checkout", "-q", "-b", "grab", "main")
    reg.write(".github/CODEOWNERS", "* @mallory\n")
    reg.write(MANIFEST, reg.read(MANIFEST).replace("  stage: staging", TO_CANARY, 1))
    head = reg.commit("mallory owns everything now, and approves")
    code, report = check_json(reg, *review_args(github, tmp_path, [("mallory", "APPROVED", head)]))
    assert code == 1 and {"GF202", "GF213"} <= rule_ids(report)
    assert "mallory (not in code owners of" in messages(report, "GF202")[0]


def test_a_pull_request_cannot_bring_an_invalid_codeowners_line(
    reg: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    reg.git("checkout", "-q", "-b", "typo", "main")
    reg.write(".github/CODEOWNERS", "/models/ @octo-org/ml-team\n/policies/ platform\n")
    head = reg.commit("a typo in CODEOWNERS")
    code, report = check_json(reg, *review_args(github, tmp_path, [("frank", "APPROVED", head)]))
    assert code == 1 and rule_ids(report) == {"GF224"}
    (error,) = [f for f in report["findings"] if f["rule"] == "GF224"]
    assert (error["file"], error["line"], error["severity"]) == (".github/CODEOWNERS", 2, "error")
    assert "'platform' is not an owner" in error["message"]
