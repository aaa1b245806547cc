"""SARIF 2.1.0 for GitHub code scanning: one result per finding, rules from the catalogue.

What code scanning needs (GitHub's "SARIF support for code scanning"): per rule ``id``,
``shortDescription``, ``fullDescription`` and ``help`` (text, and Markdown for the alert
page); per result a ``message``, a location with a repository-relative ``uri`` and a
``startLine``, and ``partialFingerprints`` so an alert is recognised across runs;
``automationDetails.id`` names the analysis (its category is what precedes the last
``/``). ``versionControlProvenance`` requires a ``repositoryUri`` in the SARIF schema, so
the whole entry is left out when no repository URL is known (outside GitHub Actions).
Limits: at most 25,000 results and 25,000 rules per run, 20 runs per file, 10 MB gzipped.
"""

from __future__ import annotations

import hashlib
from typing import Any

from galfriday_gitops.catalogue import RULES, Phase, Rule
from galfriday_gitops.findings import Finding, Severity
from galfriday_gitops.rules.engine import Verdict

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = "https://github.com/galfriday/galfriday-gitops"
RULES_DOC = f"{INFORMATION_URI}/blob/main/docs/rules.md"
CATEGORY = "galfriday-gitops/reconciler"
FINGERPRINT = "galfridayFinding/v1"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def _unknown_rule(rule_id: str) -> Rule:
    """A finding whose rule is not in the catalogue still gets a rule entry (never dropped)."""
    return Rule(
        rule_id,
        "unknown-rule",
        Severity.ERROR,
        f"Rule {rule_id} is not in this version's rule catalogue.",
        Phase.GATE,  # unknown: SARIF does not group by phase
        "The finding was reported under a rule id this version of galfriday-gitops does not "
        "describe (a newer toolkit, or a plugin). Read its message; upgrade the toolkit for "
        "the rule's documentation.",
    )


def _anchor(rule: Rule) -> str:
    return f"{rule.id}-{rule.name}".lower()


def _descriptor(rule: Rule) -> dict[str, Any]:
    url = f"{RULES_DOC}#{_anchor(rule)}"
    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": f"{rule.summary} {rule.docs}".strip()},
        "help": {
            "text": f"{rule.summary}\n\n{rule.docs}\n\nSee {url}",
            "markdown": f"**{rule.id} {rule.name}**: {rule.summary}\n\n{rule.docs}\n\n"
            f"[docs/rules.md: {rule.id}]({url})",
        },
        "helpUri": url,
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": ["galfriday-gitops", rule.name]},
    }


def fingerprint(finding: Finding) -> str:
    """Stable across runs and line moves: the rule, the file and what was found."""
    key = "\0".join((finding.rule, finding.file, finding.message))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _result(finding: Finding, index: int) -> dict[str, Any]:
    text = finding.message + (f" ({finding.hint})" if finding.hint else "")
    return {
        "ruleId": finding.rule,
        "ruleIndex": index,
        "level": _LEVEL[finding.severity],
        "message": {"text": text if text.endswith(".") else text + "."},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": finding.file, "uriBaseId": "%SRCROOT%"},
                    "region": {
                        "startLine": max(1, finding.line),
                        "startColumn": max(1, finding.column),
                    },
                }
            }
        ],
        "partialFingerprints": {FINGERPRINT: fingerprint(finding)},
    }


def render(
    verdict: Verdict, version: str = "0.1.0", *, repository: str | None = None
) -> dict[str, Any]:
    """One run: every catalogue rule, one result per finding (none dropped). ``repository``
    (its URL, from the Actions environment) adds the commit's version-control provenance."""
    catalogue = list(RULES.values())
    known = {r.id for r in catalogue}
    catalogue += [_unknown_rule(rid) for rid in sorted({f.rule for f in verdict.findings} - known)]
    index = {r.id: i for i, r in enumerate(catalogue)}
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "galfriday-gitops",
                "version": version,
                "informationUri": INFORMATION_URI,
                "rules": [_descriptor(r) for r in catalogue],
            }
        },
        "automationDetails": {"id": f"{CATEGORY}/{verdict.head}"},
        "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "The repository root."}}},
        "results": [_result(f, index[f.rule]) for f in verdict.findings],
    }
    if repository is not None:
        run["versionControlProvenance"] = [
            {
                "repositoryUri": repository,
                "revisionId": verdict.head,
                "mappedTo": {"uriBaseId": "%SRCROOT%"},  # result paths are relative to it
            }
        ]
    return {"$schema": SCHEMA, "version": "2.1.0", "runs": [run]}
