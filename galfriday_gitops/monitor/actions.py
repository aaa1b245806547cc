"""What ``--act`` does for a drifted model: its policy's ``onDrift`` (PR, issue or nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops.report.drift import markdown_summary
from galfriday_gitops.resources import DriftAction
from galfriday_gitops.write.propose import upsert_issue

if TYPE_CHECKING:
    from galfriday_gitops.forge.base import Forge
    from galfriday_gitops.monitor.drift_run import DriftRun
    from galfriday_gitops.write.retrain import RetrainResult

#: Label put on drift issues; one open issue per model carries it.
ISSUE_LABEL = "galfriday-drift"


@dataclass(frozen=True)
class ActionResult:
    """What ``--act`` did for one run (for the terminal and the JSON output)."""

    action: DriftAction
    summary: str
    url: str | None = None
    number: int | None = None
    created: bool = False
    retrain: RetrainResult | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "action": self.action.value,
            "summary": self.summary,
            "url": self.url,
            "number": self.number,
            "created": self.created,
        }
        if self.retrain is not None:
            out["version"] = self.retrain.version
            out["branch"] = self.retrain.branch
        return out


def issue_title(model: str) -> str:
    """The title of the one drift issue of ``model`` (its prefix finds it again)."""
    return f"[{ISSUE_LABEL}] {model}: drift detected"


def act(
    root: Path,
    run: DriftRun,
    *,
    forge: Forge | None,
    base: str = "main",
    remote: str | None = "origin",
    window_days: int | None = None,
) -> ActionResult:
    """Perform ``run``'s ``onDrift`` action (only call it when ``run.drifted``).

    ``retraining-pr``: :func:`galfriday_gitops.write.retrain.retrain` with the drift
    summary as the PR body (a second run updates the open PR). ``issue``: one open issue
    per model labelled :data:`ISSUE_LABEL`; a later run updates our comment on it instead
    of opening another. ``report``: nothing beyond the report itself.
    Without a ``forge`` (``--act --local``) the retraining branch is committed locally
    and not pushed (``remote`` None), and an issue is skipped, saying so.
    """
    action = run.action
    if action is DriftAction.REPORT:
        return ActionResult(action, "report only (onDrift: report)")
    summary = markdown_summary(run)
    if action is DriftAction.ISSUE:
        if forge is None:
            return ActionResult(action, "issue skipped: no forge (--local)")
        number, created = upsert_issue(
            forge, label=ISSUE_LABEL, key=run.name, title=issue_title(run.name), body=summary
        )
        verb = "opened" if created else "updated"
        return ActionResult(action, f"{verb} issue #{number}", number=number, created=created)
    from galfriday_gitops.write.retrain import RetrainRequest, retrain

    causes = list(run.report.drifted_features)
    if run.performance is not None and run.performance.drifted:
        causes.append("performance")
    if run.error_stream is not None and run.error_stream.drifted:
        causes.append("error stream")
    drifted = ", ".join(causes) or "multivariate"
    result = retrain(
        root,
        RetrainRequest(
            name=run.name,
            reason=f"drift detected by the scheduled drift job ({drifted})",
            base=base,
            remote=remote,
            open_pr=forge is not None,
            window_days=window_days,
            body=summary,
        ),
        forge=forge,
    )
    pull = result.pull
    verb = "opened" if result.created else "updated"
    text = f"{verb} PR #{pull.number}" if pull else f"committed {result.branch}"
    return ActionResult(
        action,
        f"{text} ({run.name} {result.version} in development)",
        url=pull.html_url if pull else None,
        number=pull.number if pull else None,
        created=result.created,
        retrain=result,
    )
