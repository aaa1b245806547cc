"""GitHub Actions workflow commands: an annotation on the exact YAML line of each finding."""

from __future__ import annotations

from galfriday_gitops.catalogue import RULES
from galfriday_gitops.findings import Severity
from galfriday_gitops.report.escape import annotation_data, annotation_property
from galfriday_gitops.rules.engine import Verdict

_COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.NOTE: "notice"}


def render(verdict: Verdict) -> str:
    lines = []
    for f in verdict.findings:
        title = f"{f.rule} {RULES[f.rule].name}" if f.rule in RULES else f.rule
        message = f.message + (f" ({f.hint})" if f.hint else "")
        lines.append(
            f"::{_COMMAND[f.severity]} file={annotation_property(f.file)},line={f.line},"
            f"col={f.column},title={annotation_property(title)}::{annotation_data(message)}"
        )
    verdict_word = "allowed" if verdict.allowed else "blocked"
    lines.append(f"galfriday-gitops: {verdict_word} ({len(verdict.findings)} findings)")
    return "\n".join(lines) + "\n"
