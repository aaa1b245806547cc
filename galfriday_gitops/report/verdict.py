"""A verdict in the format asked for: the one switch over text, Markdown, JSON, SARIF and
GitHub workflow commands (each renderer lives in its own module beside this one)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from galfriday_gitops.findings import Finding, printable

if TYPE_CHECKING:
    from galfriday_gitops.rules.engine import Verdict

FORMATS = ("text", "markdown", "json", "sarif", "github")


def render(
    verdict: Verdict, fmt: str, *, repository: str | None = None, blob: str | None = None
) -> str:
    """The verdict as ``fmt`` (one of :data:`FORMATS`), ending with a newline;
    ``repository`` (its URL) is SARIF's version-control provenance, ``blob`` where the
    Markdown links each finding (``https://github.com/O/R/blob/<sha>``)."""
    from galfriday_gitops.report import github, markdown, sarif, text

    if fmt == "json":
        return json.dumps(verdict.to_dict(), indent=2) + "\n"
    if fmt == "sarif":
        return json.dumps(sarif.render(verdict, repository=repository), indent=2) + "\n"
    if fmt == "markdown":
        return markdown.render(verdict, blob=blob)
    renderer = {"text": text.render, "github": github.render}
    return renderer[fmt](verdict)


def failure(finding: Finding, fmt: str) -> str:
    """The one line that says the reconciler could not finish (so the change is blocked)."""
    if fmt == "github":
        return f"::error title={finding.rule} internal-error::{printable(finding.message)}\n"
    return finding.one_line() + "\n"
