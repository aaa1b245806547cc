"""Schema strictness: YAML's surprises are errors with a line and a fix, never coercions."""

from __future__ import annotations

import pytest

from galfriday_gitops.load.safe_yaml import load
from galfriday_gitops.load.validate import to_resource
from galfriday_gitops.resources import ModelStage, ModelVersion

MANIFEST = """\
apiVersion: galfriday/v1
kind: ModelVersion
metadata:
  name: price-direction
  version: 1.2.0
spec:
  stage: staging
  modelType: logistic-regression
  framework: numpy
  features: [a, b]
  training:
    trainedAt: 2026-11-01T12:00:00Z
    codeCommit: 4f2a9c1e0b7d3a5f6e8c9d0b1a2f3e4d5c6b7a89
  metrics:
    test: {accuracy: 0.87, auc: 0.91}
  artifacts:
    - path: artifacts/price-direction/1.2.0/model.json
      md5: "3c0b2e9f6a1d4c8b7e5f0a9d2c6b1e43"
      size: 481
"""


def check(text: str) -> tuple[object, list[tuple[str, int, str, str]]]:
    resource, findings = to_resource(load(text.encode()), "models/price-direction/1.2.0.yaml")
    return resource, [(f.rule, f.line, f.message, f.hint) for f in findings]


def test_valid_manifest_is_typed() -> None:
    resource, findings = check(MANIFEST)
    assert findings == []
    assert isinstance(resource, ModelVersion)
    assert resource.stage is ModelStage.STAGING
    assert resource.spec.metrics.get("test.accuracy") == 0.87


@pytest.mark.parametrize(
    ("old", "new", "rule_id", "line", "words"),
    [
        ("stage: staging", "stage: no", "GF114", 7, "False"),
        ("stage: staging", "stage: Prodution", "GF114", 7, "did you mean 'production'"),
        ("stage: staging", "stage: PRODUCTION", "GF114", 7, "did you mean 'production'"),
        ("version: 1.2.0", "version: 1.10", "GF113", 5, "quote versions"),
        ("version: 1.2.0", "version: '1.2'", "GF113", 5, "SemVer"),
        (
            'md5: "3c0b2e9f6a1d4c8b7e5f0a9d2c6b1e43"',
            "md5: 12345678901234567890123456789012",
            "GF110",
            18,
            "quote it",
        ),
        ("auc: 0.91", "auc: .nan", "GF110", 15, "NaN"),
        ("auc: 0.91", "auc: .inf", "GF110", 15, "NaN and infinity"),
        ("auc: 0.91", "auc: true", "GF110", 15, "boolean"),
        ("auc: 0.91", "auc: '0.91'", "GF110", 15, "a string"),
        ("modelType: logistic", "modeltype: logistic", "GF111", 8, "did you mean 'modelType'"),
        ("  features: [a, b]", "  featrues: [a, b]", "GF111", 10, "did you mean 'features'"),
        ("name: price-direction", "name: Price_Direction", "GF112", 4, "[a-z0-9._-]"),
        ("name: price-direction", "name: ../etc", "GF112", 4, "not a valid name"),
        ("size: 481", "size: -1", "GF110", 19, "greater than or equal"),
        ("trainedAt: 2026-11-01T12:00:00Z", "trainedAt: yesterday", "GF110", 12, "timestamp"),
    ],
)
def test_bad_values_are_findings(old: str, new: str, rule_id: str, line: int, words: str) -> None:
    assert old in MANIFEST
    resource, findings = check(MANIFEST.replace(old, new))
    assert resource is None
    assert any(
        r == rule_id and ln == line and words in (msg + " " + hint) for r, ln, msg, hint in findings
    ), findings


def test_wrong_api_version_and_kind() -> None:
    _, findings = check(MANIFEST.replace("galfriday/v1", "galfriday/v2"))
    assert findings[0][:2] == ("GF110", 1) and "galfriday/v1" in findings[0][2]
    _, findings = check(MANIFEST.replace("kind: ModelVersion", "kind: ModelVersoin"))
    assert findings[0][0] == "GF110" and "ModelVersion" in findings[0][3]


def test_every_error_in_a_file_is_reported() -> None:
    text = MANIFEST.replace("stage: staging", "stage: prod").replace("auc: 0.91", "auc: .nan")
    _, findings = check(text)
    assert {(r, ln) for r, ln, _, _ in findings} >= {("GF114", 7), ("GF110", 15)}


def test_policy_keys_are_stages_too() -> None:
    text = """\
apiVersion: galfriday/v1
kind: StagePolicy
metadata: {name: default}
spec:
  owners: [platform]
  transitions:
    development: [testing]
    tesing: [staging]
"""
    resource, findings = to_resource(load(text.encode()), "policies/stages.yaml")
    assert resource is None
    assert findings[0].rule == "GF114" and findings[0].line == 8
    assert "did you mean 'testing'" in findings[0].hint


@pytest.mark.parametrize(
    ("old", "new", "rule_id", "shown"),
    [
        ("name: price-direction", "name: Price_Direction", "GF112", "'Price_Direction'"),
        ("version: 1.2.0", "version: '1.2'", "GF113", "'1.2'"),
        ("trainedAt: 2026-11-01T12:00:00Z", "trainedAt: 'yesterday'", "GF110", "'yesterday'"),
        (
            "path: artifacts/price-direction/1.2.0/model.json",
            "path: elsewhere/model.json",
            "GF120",
            "'elsewhere/model.json'",
        ),
        # a value holding template braces is quoted as written, never substituted
        ("name: price-direction", "name: '{value}{prefix}'", "GF112", "'{value}{prefix}'"),
    ],
)
def test_messages_quote_the_value_not_a_template(
    old: str, new: str, rule_id: str, shown: str
) -> None:
    _, findings = check(MANIFEST.replace(old, new))
    messages = [msg for r, _, msg, _ in findings if r == rule_id]
    assert messages and all("!r}" not in m for m in messages), findings
    assert any(shown in m for m in messages), messages
