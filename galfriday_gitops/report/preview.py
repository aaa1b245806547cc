"""The preview of a proposed change, in its pull request's body.

Rendered from the reconciler's verdict on the proposed commit
(:mod:`galfriday_gitops.write.preview`), never from rules of its own: every finding the
gate will report is listed with its rule, file and line, and the approvals the change
still needs (GF202, GF213 on a PR nobody has reviewed yet) are shown as pending (⏳).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from galfriday_gitops.catalogue import RULES
from galfriday_gitops.findings import Severity
from galfriday_gitops.report.markdown import cell
from galfriday_gitops.write.preview import PENDING_RULES, once_approved

if TYPE_CHECKING:
    from galfriday_gitops.rules.engine import Verdict

_ICON = {Severity.ERROR: "❌", Severity.WARNING: "⚠️", Severity.NOTE: "ℹ️"}


def outlook(verdict: Verdict) -> str:
    pending = sum(1 for f in verdict.findings if f.rule in PENDING_RULES)
    if not once_approved(verdict):
        blocking = sum(
            1
            for f in verdict.findings
            if f.severity is Severity.ERROR and f.rule not in PENDING_RULES
        )
        return f"**blocked**: {blocking} finding(s) must be fixed first"
    if pending:
        return f"**allowed once approved**: {pending} approval requirement(s) pending"
    return "**allowed**"


def preview_markdown(verdict: Verdict, base_rev: str) -> str:
    """The reconciler's verdict on the proposed commit, before any review."""
    lines = [
        f"### What the reconciler decides (policies at `{cell(base_rev)}` {verdict.base[:12]})",
        "",
        f"Before any review: {outlook(verdict)}.",
    ]
    if verdict.findings:
        lines += ["", "| | rule | where | finding |", "| --- | --- | --- | --- |"]
        for f in verdict.findings:
            icon = "⏳" if f.rule in PENDING_RULES else _ICON[f.severity]
            name = RULES[f.rule].name if f.rule in RULES else ""
            hint = f" — {f.hint}" if f.hint else ""
            lines.append(
                f"| {icon} | {f.rule} {name} | `{cell(f.file)}:{f.line}` | "
                f"{cell(f.message + hint)} |"
            )
    passed = [r for r, status in verdict.rule_status().items() if status == "passed"]
    shown = ", ".join(f"{r} {RULES[r].name}" if r in RULES else r for r in passed)
    lines += ["", f"Passing: {shown or 'none'}."]
    return "\n".join(lines)
