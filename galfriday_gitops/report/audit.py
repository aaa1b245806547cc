"""The audit trail as text: tags written by ``apply``, a model's history, ``audit verify``."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from galfriday_gitops.catalogue import RULES
from galfriday_gitops.findings import Severity, printable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from galfriday_gitops.apply.push import ApplyRun
    from galfriday_gitops.audit.history import Change, ForeignTag
    from galfriday_gitops.findings import Finding


def applied(run: ApplyRun) -> str:
    """One line per tag of the range, one per commit judged, each finding, then counts."""
    result = run.result
    lines = [
        f"{o.status:8} {o.name:40} {o.target[:12]}  {printable(o.record.summary())}"
        for o in result.outcomes
    ]
    lines += [
        f"{j.status:8} {'gfops/commit/' + j.entry.sha[:12]:40} {printable(j.record.summary())}"
        for j in result.judged
    ]
    lines += [
        printable(f"{f.file}:{f.line}: {f.rule} {f.message}")
        if not f.file.startswith("refs/")
        else printable(f"{f.file}: {f.rule} {f.message}")
        for f in result.findings
    ]
    existing = len(result.outcomes) - len(result.created)
    blocked = sum(1 for j in result.judged if j.record.verdict == "blocked")
    lines.append(
        f"{len(result.created)} tag(s) written, {existing} already present; "
        f"{len(result.judged)} commit(s) recorded, {blocked} blocked"
        + (f"; {len(result.findings)} finding(s)" if result.findings else "")
    )
    return "\n".join(lines) + "\n"


def history(name: str, rev: str, changes: Sequence[Change | ForeignTag]) -> str:
    """A model's registrations and stage changes, and the tags GTO reads for it that gfops
    did not write, oldest first, one line each."""
    if not changes:
        return f"{name}: no registrations or stage changes on {rev}\n"
    lines = []
    for row in (c.to_dict() for c in changes):
        move = f"{row['from'] or '-'} -> {row['to'] or '-'}"
        pr = f"PR #{row['pr']}" if row["pr"] is not None else "no PR"
        approvers = ", ".join(row["approvers"]) or "-"
        tags = " ".join(row["tags"]) or "UNTAGGED"
        if row.get("foreign"):
            tags += "  (a tag gfops apply did not write: no record, GTO and DVC read it)"
        lines.append(
            printable(
                f"{row['when']}  {row['version'] or '?':<10} {row['event']:<14} {move:<26} "
                f"{pr:<8} approvers: {approvers:<16} {row['commit'][:12]}  {tags}"
            )
        )
    return "\n".join(lines) + "\n"


def verified(rev: str, findings: list[Finding]) -> str:
    """``audit verify``: one line per finding (a tag ref, or file:line), then the verdict."""
    lines = []
    for f in findings:
        where = f.file if f.file.startswith("refs/") else f"{f.file}:{f.line}"
        tail = "" if f.severity is Severity.ERROR else f" ({f.severity.value})"
        lines.append(printable(f"{where}: {f.rule}{tail} {f.message}"))
    lines.append(_verdict(rev, findings))
    return "\n".join(lines) + "\n"


def _verdict(rev: str, findings: list[Finding]) -> str:
    errors = [f for f in findings if f.severity is Severity.ERROR]
    warnings = len(findings) - len(errors)
    also = f", {warnings} warning(s)" if warnings else ""
    if not errors:
        return f"audit trail of {rev}: ok{also}"
    if {f.rule for f in errors} == {"GF311"}:
        return f"audit trail of {rev}: UNVERIFIABLE (nothing found wrong, nothing signed){also}"
    return f"{len(errors)} finding(s){also}"


def fenced(text: str) -> str:
    """``text`` in a Markdown code block no line of it can close (so a commit subject or a
    file name can neither format nor mention anyone)."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{printable_lines(text)}\n{fence}"


def printable_lines(text: str) -> str:
    return "\n".join(printable(line) for line in text.splitlines())


def verified_markdown(rev: str, findings: list[Finding], run_url: str | None) -> str:
    """``audit verify`` for a job summary and the alert issue."""
    icon = ":white_check_mark:" if not any(f.severity is Severity.ERROR for f in findings) else (
        ":no_entry:"
    )  # fmt: skip
    out = [f"## gfops audit verify: {icon} {_verdict(rev, findings)}", ""]
    if run_url:
        out += [f"Run: {run_url}", ""]
    if findings:
        by_rule: dict[str, int] = {}
        for f in findings:
            by_rule[f.rule] = by_rule.get(f.rule, 0) + 1
        out += ["| rule | name | findings |", "| --- | --- | --- |"]
        out += [
            f"| {r} | {RULES[r].name if r in RULES else r} | {n} |"
            for r, n in sorted(by_rule.items())
        ]
        out += ["", fenced(verified(rev, findings)), ""]
        out.append("Rules and what to do: docs/rules.md; setting up: docs/github-setup.md.")
    return "\n".join(out) + "\n"
