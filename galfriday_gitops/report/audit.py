"""The audit trail as text: tags written by ``apply``, a model's history, ``audit verify``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from galfriday_gitops.findings import printable

if TYPE_CHECKING:
    from galfriday_gitops.apply.push import ApplyRun
    from galfriday_gitops.audit.history import Change
    from galfriday_gitops.findings import Finding


def applied(run: ApplyRun) -> str:
    """One line per tag of the range, then the count written."""
    result = run.result
    lines = [
        f"{o.status:8} {o.name:40} {o.target[:12]}  {printable(o.record.summary())}"
        for o in result.outcomes
    ]
    existing = len(result.outcomes) - len(result.created)
    lines.append(f"{len(result.created)} tag(s) written, {existing} already present")
    return "\n".join(lines) + "\n"


def history(name: str, rev: str, changes: list[Change]) -> str:
    """A model's registrations and stage changes, oldest first, one line each."""
    if not changes:
        return f"{name}: no registrations or stage changes on {rev}\n"
    lines = []
    for row in (c.to_dict() for c in changes):
        move = f"{row['from'] or '-'} -> {row['to'] or '-'}"
        pr = f"PR #{row['pr']}" if row["pr"] is not None else "no PR"
        approvers = ", ".join(row["approvers"]) or "-"
        tags = " ".join(row["tags"]) or "UNTAGGED"
        lines.append(
            printable(
                f"{row['when']}  {row['version']:<10} {row['event']:<14} {move:<26} "
                f"{pr:<8} approvers: {approvers:<16} {row['commit'][:12]}  {tags}"
            )
        )
    return "\n".join(lines) + "\n"


def verified(rev: str, findings: list[Finding]) -> str:
    """``audit verify``: one line per finding (a tag ref, or file:line), then the count."""
    lines = []
    for f in findings:
        where = f.file if f.file.startswith("refs/") else f"{f.file}:{f.line}"
        lines.append(printable(f"{where}: {f.rule} {f.message}"))
    lines.append(f"{len(findings)} finding(s)" if findings else f"audit trail of {rev}: ok")
    return "\n".join(lines) + "\n"
