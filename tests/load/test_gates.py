"""Policies that cannot mean what they say are refused at load (issue 11, hole 5).

Through the real ``gfops validate`` (file:line, exit 1) and the editor's JSON Schema where
a schema can say it (a count of 0, an approval rule naming nobody); across files where it
cannot (a protected stage without approvals, an unknown team, a count the eligible people
cannot reach once the author is left out). A pull request bringing such a policy is blocked;
a stage opted out with ``approvalsWaived`` validates, and every report of a change into it
prints the reason (GF222).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import pytest
import yaml

from tests.support.cli import gfops
from tests.support.gate import check_json, messages, review_args, rule_ids
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import ROOT, Repo

# A canary serves a share of the traffic beside production (GF215).
TO_CANARY = "  stage: canary\n  rollout:\n    trafficPercent: 10"

POLICY = "policies/stages.yaml"
PRODUCTION = "      approvals: {count: 2, from: [ml-leads]}\n"  # ml-leads: dave, erin, grace


def line_of(text: str, marker: str) -> int:
    """The first line matching the regular expression ``marker``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if re.search(marker, line))


@dataclass(frozen=True)
class Broken:
    approvals: str  # what replaces the production approvals line
    rule: str
    says: str  # part of the finding's message
    marker: str  # regex of the line the finding points at
    where: str = PRODUCTION  # the line the approvals replace


BROKEN = {
    "count-zero": Broken(
        "      approvals: {count: 0, from: [ml-leads]}\n",
        "GF110", "greater than or equal to 1", "count: 0",
    ),
    "empty-from": Broken(
        "      approvals: {count: 1, from: []}\n", "GF110", "name no approver", r"from: \[\]"
    ),
    "no-approvals": Broken(
        "", "GF115", "production is a protected stage but needs no approval", "^    production:$"
    ),
    "author-excluded": Broken(
        "      approvals: {count: 3, from: [ml-leads]}\n",
        "GF115", "cannot be met for a change authored by one of the 3", "count: 3",
    ),
    "too-many": Broken(
        "      approvals: {count: 4, from: [ml-leads]}\n",
        "GF115", "can never be met: ml-leads count(s) 3 person(s)", "count: 4",
    ),
    "unknown-team": Broken(
        "      approvals: {count: 1, from: [ml-lead]}\n",
        "GF116", "name team 'ml-lead', which the Teams resource does not define", r"ml-lead\]",
    ),
    "experiment-unknown-team": Broken(
        "  experimentApprovals: {count: 1, from: [ml-lead]}\n  initialStage:",
        "GF116", "name team 'ml-lead', which the Teams resource does not define",
        "experimentApprovals", where="  initialStage:",
    ),
    "experiment-too-many": Broken(
        "  experimentApprovals: {count: 4, from: [ml-leads]}\n  initialStage:",
        "GF115", "can never be met: ml-leads count(s) 3 person(s)",
        "experimentApprovals", where="  initialStage:",
    ),
}  # fmt: skip


def broken_policy(case: str) -> str:
    broken = BROKEN[case]
    text = (ROOT / POLICY).read_text(encoding="utf-8")
    assert text.count(broken.where) == 1
    return text.replace(broken.where, broken.approvals)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_validate_names_the_file_and_line(repo: Repo, case: str) -> None:
    broken = BROKEN[case]
    text = broken_policy(case)
    repo.write(POLICY, text)
    result = gfops("validate", "--format", "json", cwd=repo.path)
    assert result.code == 1, result.out + result.err
    findings = json.loads(result.out)["findings"]
    found = [f for f in findings if f["rule"] == broken.rule and broken.says in f["message"]]
    assert found, findings
    assert found[0]["file"] == POLICY and found[0]["line"] == line_of(text, broken.marker)


def test_the_project_policies_validate(repo: Repo) -> None:
    result = gfops("validate", cwd=repo.path)  # the control: the same files, unbroken
    assert result.code == 0, result.out + result.err


@pytest.mark.parametrize(
    ("case", "valid"), [("count-zero", False), ("empty-from", False), ("unknown-team", True)]
)
def test_the_editor_schema_says_what_a_schema_can(case: str, valid: bool) -> None:
    schema = json.loads((ROOT / "schemas" / "stage-policy.schema.json").read_text())
    data = yaml.safe_load(broken_policy(case))
    errors = list(
        jsonschema.Draft202012Validator(schema).iter_errors(
            json.loads(json.dumps(data, default=str))
        )
    )
    assert (not errors) is valid  # an unknown team needs the Teams file: validate says it


def test_a_pull_request_bringing_an_empty_gate_is_blocked(
    repo: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    repo.git("checkout", "-q", "-b", "open-gate", "main")
    repo.write(POLICY, broken_policy("no-approvals"))
    head = repo.commit("production needs nobody")
    approvals = [("frank", "APPROVED", head)]  # the owners approve: still refused
    code, report = check_json(repo, *review_args(github, tmp_path, approvals))
    assert code == 1 and rule_ids(report) == {"GF115"}


def test_a_waived_stage_validates_and_every_report_prints_why(
    repo: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    text = (
        (ROOT / POLICY)
        .read_text(encoding="utf-8")
        .replace(
            "      approvals: {count: 1, from: [ml-leads]}\n      capacity: 1\n",
            '      approvalsWaived: "canary is 1% of traffic, rolled back by the lifecycle job"\n'
            "      capacity: 1\n",
        )
    )
    assert "approvalsWaived" in text
    repo.write(POLICY, text)
    repo.commit("canary without approvals, said so")
    assert gfops("validate", cwd=repo.path).code == 0
    repo.git("checkout", "-q", "-b", "canary", "main")
    manifest = "models/price-direction/1.2.0.yaml"
    repo.write(manifest, repo.read(manifest).replace("  stage: staging", TO_CANARY, 1))
    repo.commit("1.2.0 to canary")
    code, report = check_json(repo, *review_args(github, tmp_path, []))
    assert code == 0, report["findings"]
    assert rule_ids(report, notes=True) == {"GF222"}
    (note,) = messages(report, "GF222")
    assert "enters canary with no approval" in note and "rolled back by the lifecycle job" in note
    text_report = gfops(
        "check",
        "--base",
        "main",
        "--head",
        "HEAD",
        *review_args(github, tmp_path / "t", []),
        cwd=repo.path,
    )
    assert text_report.code == 0 and "GF222" in text_report.out
