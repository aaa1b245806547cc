"""SARIF 2.1.0 for GitHub code scanning: one result per finding, rules from the catalogue."""

from __future__ import annotations

from typing import Any

from galfriday_gitops.catalogue import RULES
from galfriday_gitops.findings import Severity
from galfriday_gitops.rules.engine import Verdict

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "note"}


def render(verdict: Verdict, version: str = "0.1.0") -> dict[str, Any]:
    rules = [
        {
            "id": r.id,
            "name": r.name,
            "shortDescription": {"text": r.summary},
            "helpUri": f"https://github.com/galfriday/galfriday-gitops/blob/main/docs/rules.md#{r.id.lower()}",
            "defaultConfiguration": {"level": _LEVEL[r.severity]},
        }
        for r in RULES.values()
    ]
    index = {r.id: i for i, r in enumerate(RULES.values())}
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": _LEVEL[f.severity],
            "message": {"text": f.message + (f" ({f.hint})" if f.hint else "")},
            "locations": [
                {
                    "physicalLocation": {
                        "artifactLocation": {"uri": f.file, "uriBaseId": "%SRCROOT%"},
                        "region": {"startLine": max(1, f.line), "startColumn": max(1, f.column)},
                    }
                }
            ],
        }
        for f in verdict.findings
        if f.rule in index
    ]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "galfriday-gitops",
                        "version": version,
                        "informationUri": "https://github.com/galfriday/galfriday-gitops",
                        "rules": rules,
                    }
                },
                "results": results,
                "versionControlProvenance": [{"revisionId": verdict.head}],
            }
        ],
    }
