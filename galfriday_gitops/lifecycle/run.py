"""The scheduled lifecycle job: end-of-life warnings, retirement PRs, inference health, rollback.

Everything is read at one revision (``--rev``, default ``main``) and judged by the
LifecyclePolicy there. Without ``act`` nothing is written: the report says what would be
done. With ``act`` every action goes through the one idempotent PR upsert
(:func:`galfriday_gitops.write.propose.propose`): one branch per purpose
(``galfriday/retire/<name>-<version>``, ``galfriday/rollback/<name>``), one open pull
request per branch, updated rather than duplicated, and the branch is only re-pushed when
its content changes, so approvals given to an open retirement PR survive the next run.
Each PR body holds the reconciler's own verdict on the proposed commit.

Rollback target: the production versions before the current one (newest first, from the
manifests' first-parent history), each judged on its own most recent window of logs; the
first that meets every threshold with enough samples wins. That is "the last version that
met the thresholds", which is not always the previous one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from galfriday_gitops.errors import UserError
from galfriday_gitops.lifecycle.deprecation import (
    EndOfLife,
    branch_for_retirement,
    end_of_life_report,
    plan_retirement,
)
from galfriday_gitops.lifecycle.results import (
    Action,
    Candidate,
    HealthRow,
    Inference,
    LifecycleRun,
    Severity,
)
from galfriday_gitops.load.state import RegistryState, load_state
from galfriday_gitops.resources import (
    DeprecationRules,
    InferenceAction,
    InferenceRules,
    ModelStage,
)

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.forge.base import Forge
    from galfriday_gitops.write.propose import Proposed

ISSUE_LABEL = "galfriday-lifecycle"


def _proposed(kind: Literal["retire", "rollback"], model: str, version: str, r: Proposed) -> Action:
    p = r.proposal
    if p.pull is None:
        return Action(
            kind, model, version, "branch written", p.branch, done=True, preview=r.preview
        )
    detail = "opened" if p.created else "updated"
    number, url = p.pull.number, p.pull.html_url
    return Action(kind, model, version, detail, p.branch, number, url, True, r.preview)


# ---------------------------------------------------------------- the job


@dataclass(frozen=True)
class LifecycleRequest:
    """``gfops lifecycle``, by the CLI's own words."""

    rev: str = "main"  # the branch to judge and to base PRs on
    logs: Path | None = None  # inference logs, file or folder (default: the policy's)
    now: dt.datetime | None = None  # today, and the end of the inference window
    act: bool = False  # open or update the retirement/rollback PRs and issues
    local: bool = False  # with act: local branches only, no forge
    remote: str = "origin"


def lifecycle(
    repo: Path,
    request: LifecycleRequest,
    *,
    forge: Forge | None = None,
    actions: ActionsEnv | None = None,
) -> LifecycleRun:
    """The scheduled job: report, and with ``act`` open/update what the policy asks for."""
    from galfriday_gitops import gitio
    from galfriday_gitops.write.propose import forge_for

    if request.local and not request.act:
        raise UserError("--local only makes sense with --act")
    online = request.act and not request.local
    client = forge_for(online, forge, actions)  # fail before anything is written
    return run_lifecycle(
        gitio.toplevel(repo),
        rev=request.rev,
        logs=request.logs.absolute() if request.logs is not None else None,
        now=request.now,
        act=request.act,
        forge=lambda: client,
        remote=request.remote if online else None,
    )


def run_lifecycle(
    repo: Path,
    *,
    rev: str = "main",
    logs: Path | None = None,
    now: dt.datetime | None = None,
    act: bool = False,
    forge: Callable[[], Forge | None] = lambda: None,
    remote: str | None = None,
) -> LifecycleRun:
    """Judge the registry at ``rev``; with ``act`` open/update the PRs and issues.

    ``forge`` is called once, only when an action needs it; it may return None (local
    branches only). ``now`` pins today and the end of the inference window (default:
    the current date, and the newest log record).
    """
    state = load_state(repo, rev)
    assert state.rev is not None
    today = (now or dt.datetime.now(dt.UTC)).date()
    policy = state.lifecycle_policy()
    rules = policy.spec.deprecation if policy is not None else DeprecationRules()
    run = LifecycleRun(
        rev=rev,
        commit=state.rev,
        today=today,
        policy=policy.metadata.name if policy is not None else None,
        auto_retire=rules.auto_retire,
        end_of_life=end_of_life_report(state, rules, today),
        inference=None,
    )
    cached: list[Forge | None] = []

    def get_forge() -> Forge | None:
        if not cached:
            cached.append(forge())
        return cached[0]

    for item in run.end_of_life:
        if item.level == "expired" and rules.auto_retire:
            run.actions.append(_retire(repo, state, rev, item, today, act, get_forge, remote, now))
    if policy is not None and policy.spec.inference is not None:
        inference_rules = policy.spec.inference
        path = logs if logs is not None else repo / inference_rules.logs
        if logs is None and _never_collected(repo, path):
            # No logs yet (a new registry, a service not deployed): say so, and still
            # report end of life; an explicit --logs that is missing stays an error.
            run.inference = _unavailable(inference_rules, path)
            return run
        run.inference = _inference(repo, state, inference_rules, path, now)
        for row in run.inference.rows:
            if row.stage is ModelStage.PRODUCTION and row.verdict.status == "violation":
                run.actions += _on_violation(
                    repo, state, rev, run.inference, row, today, act, get_forge, remote, now
                )
    return run


def _retire(
    repo: Path,
    state: RegistryState,
    rev: str,
    item: EndOfLife,
    today: dt.date,
    act: bool,
    forge: Callable[[], Forge | None],
    remote: str | None,
    now: dt.datetime | None,
) -> Action:
    from galfriday_gitops.report.proposal import retirement_body, retirement_title
    from galfriday_gitops.write.propose import propose_plan

    version = item.version
    plan = plan_retirement(repo, state, rev, item, today)
    branch = branch_for_retirement(version)
    if not act:
        return Action("retire", version.name, version.version, "would open", branch)
    result = propose_plan(
        repo,
        plan,
        branch=branch,
        title=retirement_title(version),
        body=lambda verdict: retirement_body(plan, item, verdict),
        forge=forge(),
        remote=remote,
        now=now,
    )
    return _proposed("retire", version.name, version.version, result)


def _never_collected(repo: Path, path: Path) -> bool:
    """The policy's log path is neither in the work tree nor tracked by DVC."""
    from galfriday_gitops.dvcio import dvc_target, find_dvc_root

    if path.exists():
        return False
    root = repo if (repo / ".dvc").is_dir() else find_dvc_root(path.parent)
    return root is None or dvc_target(path, root) is None


def _unavailable(rules: InferenceRules, path: Path) -> Inference:
    return Inference(
        logs=str(path),
        window=rules.window,
        window_end=None,
        min_samples=rules.min_samples,
        action=rules.on_critical_violation,
        rows=[],
        unavailable=(
            f"no inference logs at {rules.logs} (not in the work tree, not tracked by DVC); "
            "nothing evaluated"
        ),
    )


def _inference(
    repo: Path,
    state: RegistryState,
    rules: InferenceRules,
    path: Path,
    now: dt.datetime | None,
) -> Inference:
    from galfriday_gitops.lifecycle.dataset import open_logs
    from galfriday_gitops.lifecycle.health import judge, stats_by_version, unattributed
    from galfriday_gitops.lifecycle.inference import parse_window

    log = open_logs(path, repo=repo, token_prices=rules.cost_per_thousand_tokens)
    end = now or log.newest()
    stats = log.evaluate(window=parse_window(rules.window), end=end)
    models = state.models()
    if unattributed(stats) and len(models) > 1:
        raise UserError(
            f"{path}: records carry no 'model' but the registry holds {len(models)} models; "
            "add a model field to the records"
        )
    rows: list[HealthRow] = []
    for model in models:
        by_version = stats_by_version(stats, model, single_model=len(models) == 1)
        live = {v.version for v in state.versions_of(model) if v.stage.is_live}
        for version in sorted(set(by_version) | live, key=_semver_key):
            found = state.get(model, version)
            stage = found.stage if found is not None else None
            verdict = judge(by_version.get(version), rules)
            severity: Severity = "info" if verdict.status == "insufficient-data" else "ok"
            if verdict.status == "violation":
                severity = "critical" if stage is not None and stage.is_live else "warning"
            rows.append(
                HealthRow(model, version, stage, by_version.get(version), verdict, severity)
            )
    return Inference(
        logs=str(path),
        window=rules.window,
        window_end=end,
        min_samples=rules.min_samples,
        action=rules.on_critical_violation,
        rows=rows,
        dropped=log.dropped,
        log=log,
        rules=rules,
    )


def _semver_key(version: str) -> Any:
    """SemVer precedence first; a log's version that is not SemVer after, as text."""
    from galfriday_gitops.semver import precedence

    try:
        return (0, precedence(version))
    except ValueError:
        return (1, version)


def _candidates(
    repo: Path,
    state: RegistryState,
    rev: str,
    inf: Inference,
    row: HealthRow,
    now: dt.datetime | None,
) -> list[Candidate]:
    """Earlier production versions, newest first, each judged on its latest window of logs."""
    from galfriday_gitops.lifecycle.health import judge, stats_by_version
    from galfriday_gitops.lifecycle.inference import parse_window
    from galfriday_gitops.load.history import production_periods

    periods = production_periods(repo, row.model, rev)
    order: list[str] = []
    for period in reversed(periods):
        for version in period.versions:
            if version != row.version and version not in order:
                order.append(version)
    assert inf.log is not None
    latest = inf.log.evaluate(window=parse_window(inf.window), end=now, latest_per_version=True)
    by_version = stats_by_version(latest, row.model, single_model=len(state.models()) == 1)
    assert inf.rules is not None
    tried: list[Candidate] = []
    for version in order:
        found = state.get(row.model, version)
        stage = found.stage if found is not None else None
        if stage is None or stage in (ModelStage.RETIRED, ModelStage.ARCHIVED):
            tried.append(Candidate(version, stage, None, None))
            continue
        stats = by_version.get(version)
        tried.append(Candidate(version, stage, judge(stats, inf.rules), stats))
    return tried


def _on_violation(
    repo: Path,
    state: RegistryState,
    rev: str,
    inf: Inference,
    row: HealthRow,
    today: dt.date,
    act: bool,
    forge: Callable[[], Forge | None],
    remote: str | None,
    now: dt.datetime | None,
) -> list[Action]:
    from galfriday_gitops.report.lifecycle import evidence_markdown
    from galfriday_gitops.write.propose import upsert_issue

    if inf.action is InferenceAction.REPORT:
        return []
    short = "; ".join(v.describe() for v in row.verdict.violations)
    tried: list[Candidate] = []
    target: str | None = None
    if inf.action is InferenceAction.ROLLBACK_PR:
        tried = _candidates(repo, state, rev, inf, row, now)
        inf.candidates[row.model] = tried
        target = next((c.version for c in tried if c.verdict and c.verdict.status == "ok"), None)
    evidence = evidence_markdown(inf, row, tried)
    if target is not None:
        from galfriday_gitops.write.rollback import (
            branch_for_rollback,
            plan_rollback,
            propose_rollback,
        )

        plan, periods = plan_rollback(
            repo, row.model, to=target, base=rev, reason=f"inference: {short}"[:150], today=today
        )
        if not act:
            return [
                Action("rollback", row.model, target, "would open", branch_for_rollback(row.model))
            ]
        result = propose_rollback(
            repo, plan, periods, evidence, forge=forge(), remote=remote, now=now
        )
        return [_proposed("rollback", row.model, target, result)]
    # An issue: asked for, or a rollback without a version that met the thresholds.
    why = "" if inf.action is InferenceAction.ISSUE else " (no earlier version met the thresholds)"
    if not act:
        return [Action("issue", row.model, row.version, "would open or update" + why)]
    client = forge()
    if client is None:
        return [Action("issue", row.model, row.version, "skipped: no forge (--local)" + why)]
    title = f"[lifecycle] {row.model}: production {row.version} breaks inference thresholds"
    body = f"## {title}\n\n{evidence}\n\n_Opened by `gfops lifecycle --act`._"
    number, created = upsert_issue(client, label=ISSUE_LABEL, key=row.model, title=title, body=body)
    detail = ("opened" if created else "updated") + why
    return [Action("issue", row.model, row.version, detail, number=number, done=True)]
