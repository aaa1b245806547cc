"""Telling someone: the one open issue of a failing job, and the job's summary.

A red scheduled run, or an ``audit verify`` that found something, is worth nothing if
nobody looks at the Actions tab. ``notify`` writes the report to the job summary and opens
*one* issue per job (label ``galfriday-alert``), updating its marker comment on the next
failure instead of opening another (the one upsert of the toolkit,
:func:`galfriday_gitops.write.propose.upsert_issue`). It runs with the token the job acts
with (the bot's, so the issue is not GITHUB_TOKEN's and the job needs no write scope).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops.errors import UserError
from galfriday_gitops.paths import is_name

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.forge.base import Forge

LABEL = "galfriday-alert"
_DETAILS_LIMIT = 60_000  # GitHub refuses issue bodies over 65,536 characters


@dataclass(frozen=True)
class AlertRequest:
    """A failed job to report; the CLI's options by name."""

    job: str  # e.g. drift, lifecycle, apply, audit
    details: Path | None = None  # Markdown to include (e.g. a report the job wrote)


@dataclass(frozen=True)
class Alert:
    job: str
    issue: int | None  # None when no forge was reachable (summary only)
    opened: bool
    summary: bool  # written to the job summary

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "issue": self.issue,
            "opened": self.opened,
            "summary": self.summary,
        }


def notify(
    job: str,
    markdown: str,
    *,
    actions: ActionsEnv | None = None,
    forge: Forge | None = None,
) -> Alert:
    """Append ``markdown`` to the job summary and open or update the job's one issue."""
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.write.propose import upsert_issue

    if not is_name(job):
        raise UserError(f"{job!r} is not a job name ([a-z0-9][a-z0-9._-]*)")
    env = actions if actions is not None else ActionsEnv.read()
    summary = env.append_summary(markdown)
    client = forge if forge is not None else env.forge(f"alert for {job}")
    title = f"[{LABEL}] {job}: the last run failed"
    number, opened = upsert_issue(client, label=LABEL, key=job, title=title, body=markdown)
    return Alert(job, number, opened, summary)


def job_failed(request: AlertRequest, *, actions: ActionsEnv | None = None) -> str:
    """The Markdown of a failed job: which run, and the details it left."""
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.report.audit import fenced

    env = actions if actions is not None else ActionsEnv.read()
    lines = [f"## :rotating_light: The `{request.job}` job failed", ""]
    lines.append(f"Run: {env.run_url}" if env.run_url else "Run: (not in GitHub Actions)")
    if request.details is not None:
        try:
            text = request.details.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            text = f"(the details file could not be read: {exc.strerror})"
        lines += ["", fenced(text[:_DETAILS_LIMIT])]
    lines += ["", "The next failure updates this issue; close it once the cause is fixed."]
    return "\n".join(lines) + "\n"


def alert(
    request: AlertRequest, *, actions: ActionsEnv | None = None, forge: Forge | None = None
) -> Alert:
    """Report a failed job: job summary, and its one issue opened or updated."""
    return notify(request.job, job_failed(request, actions=actions), actions=actions, forge=forge)
