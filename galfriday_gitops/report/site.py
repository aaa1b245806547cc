"""What ``gfops site`` built, as text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from galfriday_gitops.findings import printable

if TYPE_CHECKING:
    from galfriday_gitops.site import SiteResult


def built(result: SiteResult) -> str:
    """Where the site went and from which commit; the audit findings it shows, if any."""
    lines = [
        printable(
            f"wrote {result.pages} pages ({result.models} models) to {result.out} "
            f"from {result.rev} = {result.commit[:12]}"
        )
    ]
    if result.audit_findings:
        lines.append(f"audit: {result.audit_findings} finding(s) on this history; see audit.html")
    return "\n".join(lines) + "\n"
