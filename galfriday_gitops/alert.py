"""Telling someone: the one open issue of a failing job, and the job's summary.

A red scheduled run, or an ``audit verify`` that found something, is worth nothing if
nobody looks at the Actions tab. ``notify`` writes the report to the job summary and opens
*one* issue per job (label ``galfriday-alert``), updating its marker comment on the next
failure instead of opening another (the one upsert of the toolkit,
:func:`galfriday_gitops.write.propose.upsert_issue`). It runs with the token the job acts
with (the bot's, so the issue is not GITHUB_TOKEN's and the job needs no write scope).

A scheduled run that never happened (GitHub suspended the schedule, an outage, a workflow
disabled by hand) cannot report itself: another job asks the forge when the workflow last
succeeded (``AlertRequest.missed``) and reports through the same issue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops.errors import UserError
from galfriday_gitops.paths import is_name

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.forge.base import Forge, WorkflowRun

LABEL = "galfriday-alert"
# A daily schedule, plus the hour or two GitHub may take to start a scheduled run.
WITHIN_HOURS = 26.0
_DETAILS_LIMIT = 60_000  # GitHub refuses issue bodies over 65,536 characters


@dataclass(frozen=True)
class AlertRequest:
    """A failed job to report; the CLI's options by name."""

    job: str  # e.g. drift, lifecycle, apply, audit
    details: Path | None = None  # Markdown to include (e.g. a report the job wrote)
    missed: str | None = None  # report only if this workflow file did not succeed lately
    within: float = WITHIN_HOURS  # hours since its last success


@dataclass(frozen=True)
class Alert:
    job: str
    issue: int | None  # None when no forge was reachable (summary only)
    opened: bool
    summary: bool  # written to the job summary
    alerted: bool = True  # False: the watched workflow succeeded lately, nothing was sent
    last_success: str | None = None  # the watched workflow's newest successful run (ISO 8601)

    def to_dict(self) -> dict[str, Any]:
        return {
            "job": self.job,
            "issue": self.issue,
            "opened": self.opened,
            "summary": self.summary,
            "alerted": self.alerted,
            "last_success": self.last_success,
        }


def notify(
    job: str,
    markdown: str,
    *,
    actions: ActionsEnv | None = None,
    forge: Forge | None = None,
    what: str = "the last run failed",
    key: str | None = None,
) -> Alert:
    """Append ``markdown`` to the job summary and open or update the job's one issue (one
    per ``key``: the job's name unless given)."""
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.write.propose import upsert_issue

    if not is_name(job):
        raise UserError(f"{job!r} is not a job name ([a-z0-9][a-z0-9._-]*)")
    env = actions if actions is not None else ActionsEnv.read()
    summary = env.append_summary(markdown)
    client = forge if forge is not None else env.forge(f"alert for {job}")
    key = key or job
    title = f"[{LABEL}] {key}: {what}"
    number, opened = upsert_issue(client, label=LABEL, key=key, title=title, body=markdown)
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


def job_missed(request: AlertRequest, workflow: str, last: WorkflowRun | None) -> str:
    """The Markdown of a scheduled workflow that has not succeeded lately."""
    since = (
        f"Its newest successful run started {last.created_at.isoformat()}: {last.html_url}"
        if last is not None
        else "It never succeeded."
    )
    return (
        f"## :rotating_light: `{workflow}` has not succeeded in {request.within:g} hours\n\n"
        f"{since}\n\nIt failed, was never started (GitHub suspends the schedules of a "
        "public repository after 60 days without activity; `audit.yml` re-enables them), or "
        "the workflow was disabled. Check the Actions tab, run it by hand "
        "(workflow_dispatch), and close this issue once it is green.\n"
    )


def alert(
    request: AlertRequest,
    *,
    actions: ActionsEnv | None = None,
    forge: Forge | None = None,
    now: dt.datetime | None = None,
) -> Alert:
    """Report a failed job: job summary, and its one issue opened or updated. With
    ``request.missed``, only when that workflow has no successful run in ``within`` hours."""
    if request.missed is None:
        markdown = job_failed(request, actions=actions)
        return notify(request.job, markdown, actions=actions, forge=forge)
    from galfriday_gitops.forge.actions import ActionsEnv

    if not request.within > 0:
        raise UserError(f"--within must be a positive number of hours, not {request.within}")
    env = actions if actions is not None else ActionsEnv.read()
    client = forge if forge is not None else env.forge(f"alert for {request.job}")
    last = client.last_successful_run(request.missed)
    moment = now if now is not None else dt.datetime.now(dt.UTC)
    if last is not None and moment - last.created_at <= dt.timedelta(hours=request.within):
        return Alert(request.job, None, False, False, False, last.created_at.isoformat())
    # Its own issue: a red audit's findings stay in the job's issue, not overwritten by this.
    sent = notify(
        request.job,
        job_missed(request, request.missed, last),
        actions=env,
        forge=client,
        what=f"no successful run in {request.within:g} hours",
        key=f"{request.job} schedule",
    )
    stamp = last.created_at.isoformat() if last is not None else None
    return Alert(sent.job, sent.issue, sent.opened, sent.summary, True, stamp)
