"""SARIF as code scanning ingests it: the official SARIF 2.1.0 schema (shipped by the npm
package @microsoft/sarif-multitool, fetched by tools/fetch-clients.sh), the SARIF
multitool's validator with its GitHub ingestion rules (GH1xxx, GH2xxx), and the limits and
properties GitHub documents for code scanning ("SARIF support for code scanning")."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from galfriday_gitops.catalogue import RULES
from galfriday_gitops.findings import Finding, Severity
from galfriday_gitops.report import sarif
from galfriday_gitops.rules.engine import Verdict
from tests.support.cli import gfops
from tests.support.repo import ROOT, Repo

MODULES = ROOT / ".cache/clients/node_modules/@microsoft"
SCHEMA_FILE = next(MODULES.glob("sarif-multitool-*/sarif-2.1.0.json"), None)
MULTITOOL = next(MODULES.glob("sarif-multitool-*/Sarif.Multitool"), None)
RULES_DOC = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
ACTIONS = {"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "acme/registry"}


def official_schema() -> dict[str, Any]:
    if SCHEMA_FILE is None:
        pytest.fail("sarif-2.1.0.json is missing: run `make specs` (needs npm)")
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def validate(log: dict[str, Any]) -> None:
    schema = official_schema()
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    errors = sorted(cls(schema).iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]]


def multitool(log: dict[str, Any], tmp: Path) -> list[tuple[str, str, str]]:
    """(rule, level, where) of every error or warning the multitool reports, with the SARIF
    rules and GitHub's ingestion rules on."""
    if MULTITOOL is None:
        pytest.fail("the SARIF multitool is missing: run `make specs` (needs npm)")
    given, report = tmp / "given.sarif", tmp / "validation.sarif"
    given.write_text(json.dumps(log, indent=2), encoding="utf-8")
    env = {**os.environ, "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT": "1",
           "DOTNET_CLI_TELEMETRY_OPTOUT": "1"}  # fmt: skip
    proc = subprocess.run(
        [str(MULTITOOL), "validate", str(given), "--output", str(report), "--rule-kind",
         "Gh;Sarif", "--log", "ForceOverwrite", "--level", "Error;Warning;Note"],
        capture_output=True, text=True, env=env, timeout=300, check=False,
    )  # fmt: skip  # hang guard: a validation run takes ~3 s on a quiet machine
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = json.loads(report.read_text(encoding="utf-8"))["runs"][0].get("results", [])
    rules = {r["ruleId"] for r in results}
    assert rules, "the validator reported nothing at all (not even its notes): did it run?"
    return [
        (r["ruleId"], r["level"], str(r["message"].get("arguments", [""])[0]))
        for r in results
        if r.get("level") in ("error", "warning")
    ]


@pytest.fixture
def blocked(repo: Repo) -> Repo:
    """A change that skips a stage, with a misspelt field in a new manifest."""
    path = "models/price-direction/1.2.0.yaml"
    repo.write(path, repo.read(path).replace("  stage: staging", "  stage: production"))
    repo.write("models/price-direction/9.9.9.yaml", (
        "apiVersion: galfriday/v1\nkind: ModelVersion\nmetadata: {name: price-direction, "
        "version: 9.9.9}\nspec: {stagee: development}\n"))  # fmt: skip
    repo.commit("skip to production; a broken manifest")
    return repo


def check_sarif(repo: Repo, env: dict[str, str] | None = None) -> dict[str, Any]:
    result = gfops("check", "--base", "HEAD~1", "--head", "HEAD", "--format", "sarif",
                   cwd=repo.path, env=env)  # fmt: skip
    assert result.code == 1, result.err
    return json.loads(result.out)  # type: ignore[no-any-return]


def test_check_sarif_is_valid_and_ingestible(blocked: Repo, tmp_path: Path) -> None:
    log = check_sarif(blocked, ACTIONS)
    validate(log)
    assert multitool(log, tmp_path) == []
    # Control: the same log with one result that has no location is what GitHub refuses,
    # and the validator, run the same way, says so with its GitHub rules.
    broken = json.loads(json.dumps(log))
    del broken["runs"][0]["results"][0]["locations"]
    refused = multitool(broken, tmp_path)
    assert any(rule.startswith("GH") and level == "error" for rule, level, _ in refused), refused
    (run,) = log["runs"]
    assert run["versionControlProvenance"] == [{
        "repositoryUri": "https://github.com/acme/registry",
        "revisionId": blocked.git("rev-parse", "HEAD"),
        "mappedTo": {"uriBaseId": "%SRCROOT%"},
    }]  # fmt: skip
    assert run["automationDetails"]["id"].startswith("galfriday-gitops/reconciler/")
    rules = run["tool"]["driver"]["rules"]
    assert {r["id"] for r in rules} >= set(RULES)
    for rule in rules:
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"], rule["id"]
        assert rule["help"]["text"] and rule["help"]["markdown"], rule["id"]
        assert rule["fullDescription"]["text"] != rule["shortDescription"]["text"], rule["id"]
        anchor = rule["helpUri"].rsplit("#", 1)[1]
        assert anchor == f"{rule['id']}-{rule['name']}".lower()  # GitHub's heading anchor
        if rule["id"] in RULES:
            assert f"\n### {rule['id']} {rule['name']}\n" in RULES_DOC
    found = {r["ruleId"] for r in run["results"]}
    assert {"GF110", "GF111"} <= found and len(run["results"]) >= 3
    for result in run["results"]:
        (location,) = result["locations"]
        uri = location["physicalLocation"]["artifactLocation"]["uri"]
        assert not uri.startswith("/") and "://" not in uri  # relative to the checkout
        assert location["physicalLocation"]["region"]["startLine"] >= 1
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"]


def test_without_the_actions_environment_provenance_is_omitted(blocked: Repo) -> None:
    env = dict.fromkeys(ACTIONS, "")
    log = check_sarif(blocked, env)
    validate(log)  # the schema requires repositoryUri in an entry: no entry at all
    assert "versionControlProvenance" not in log["runs"][0]


def test_fingerprints_are_stable_across_runs_and_line_moves(blocked: Repo) -> None:
    first = check_sarif(blocked)["runs"][0]["results"]
    again = check_sarif(blocked)["runs"][0]["results"]
    assert first == again  # same input, byte-identical results (fingerprints included)
    path = "models/price-direction/9.9.9.yaml"
    blocked.write(path, "# a comment moves every line down\n" + blocked.read(path))
    blocked.git("commit", "-qam", "comment", "--amend")
    moved = check_sarif(blocked)["runs"][0]["results"]

    def by_rule(results: list[dict[str, Any]]) -> dict[str, tuple[str, int]]:
        return {
            r["ruleId"]: (next(iter(r["partialFingerprints"].values())),
                          r["locations"][0]["physicalLocation"]["region"]["startLine"])
            for r in results if r["locations"][0]["physicalLocation"]["artifactLocation"][
                "uri"] == path
        }  # fmt: skip

    before, after = by_rule(first), by_rule(moved)
    assert before and set(before) == set(after)
    for rule, (fingerprint, line) in before.items():
        assert after[rule] == (fingerprint, line + 1), rule  # same alert, one line lower


def _verdict(findings: list[Finding]) -> Verdict:
    return Verdict("a" * 40, "b" * 40, [], findings, None, [])


def test_a_finding_whose_rule_is_not_in_the_catalogue_is_not_dropped(tmp_path: Path) -> None:
    odd = Finding("GF999", Severity.WARNING, "models/m/1.0.0.yaml", 3, "from a newer toolkit")
    known = Finding("GF200", Severity.ERROR, "models/m/1.0.0.yaml", 7, "skips a stage")
    log = sarif.render(_verdict([odd, known]))
    validate(log)
    assert multitool(log, tmp_path) == []
    run = log["runs"][0]
    assert [r["ruleId"] for r in run["results"]] == ["GF999", "GF200"]
    rules = run["tool"]["driver"]["rules"]
    entry = rules[run["results"][0]["ruleIndex"]]
    assert (
        entry["id"] == "GF999"
        and "not in this version's rule catalogue" in (entry["shortDescription"]["text"])
    )


def test_githubs_documented_limits_hold_for_a_large_verdict(tmp_path: Path) -> None:
    """Runs per file <= 20, results and rules per run <= 25,000, tags per rule <= 20,
    locations per result <= 1,000, and at most 10 MB gzipped (the upload limit)."""
    findings = [
        Finding("GF110", Severity.ERROR, f"models/m{i % 500}/1.0.{i}.yaml", i % 90 + 1,
                f"spec.stage: 'prodution' is not a ModelStage ({i})")
        for i in range(20_000)
    ]  # fmt: skip
    log = sarif.render(_verdict(findings))
    assert len(log["runs"]) <= 20
    run = log["runs"][0]
    assert len(run["results"]) == 20_000 <= 25_000 and len(run["tool"]["driver"]["rules"]) <= 25_000
    assert all(
        len(r.get("properties", {}).get("tags", [])) <= 20 for r in run["tool"]["driver"]["rules"]
    )
    assert all(len(r["locations"]) <= 1_000 for r in run["results"])
    assert len({next(iter(r["partialFingerprints"].values())) for r in run["results"]}) == 20_000
    size = len(gzip.compress(json.dumps(log).encode("utf-8")))
    assert size < 10 * 1024 * 1024, size
