"""Plain-text verdict for terminals and logs."""

from __future__ import annotations

from galfriday_gitops.findings import printable
from galfriday_gitops.rules.engine import Verdict


def render(verdict: Verdict) -> str:
    lines = [
        f"{'ALLOWED' if verdict.allowed else 'BLOCKED'}: {verdict.base[:12]}..{verdict.head[:12]}",
        "",
        "changes:",
    ]
    lines += [f"  - {printable(e.describe())}" for e in verdict.events] or [
        "  (no registry changes)"
    ]
    if verdict.findings:
        lines += ["", "findings:"]
        lines += [f"  {f.one_line()}" for f in verdict.findings]
    for what, tally in verdict.tallies:
        state = "ok" if not tally.missing else tally.describe_missing()
        lines.append(f"approvals for {what}: {state}")
    if verdict.reviews:
        lines += ["", "reviews:"]
        for r in verdict.reviews:
            mark = "counted" if r.approves else "not counted"
            lines.append(f"  {r.who}: {r.state} ({mark}: {r.reason})")
    return "\n".join(lines) + "\n"
