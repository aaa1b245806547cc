"""The scheduled lifecycle job: end-of-life warnings, retirement PRs, inference health, rollback.

Everything is read at one revision (``--rev``, default ``main``) and judged by the
LifecyclePolicy there. Without ``act`` nothing is written: the report says what would be
done. With ``act`` every action goes through :func:`submit_once`: one branch per purpose
(``galfriday/retire/<name>-<version>``, ``galfriday/rollback/<name>``), one open pull
request per branch, updated rather than duplicated, and the branch is only re-pushed when
its content changes, so approvals given to an open retirement PR survive the next run.

Rollback target: the production versions before the current one (newest first, from the
manifests' first-parent history), each judged on its own most recent window of logs; the
first that meets every threshold with enough samples wins. That is "the last version that
met the thresholds", which is not always the previous one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from galfriday_gitops import gitio
from galfriday_gitops.errors import UserError
from galfriday_gitops.lifecycle.deprecation import (
    EndOfLife,
    branch_for_retirement,
    end_of_life_report,
    plan_retirement,
    retirement_body,
    retirement_title,
)
from galfriday_gitops.load.state import RegistryState, load_state
from galfriday_gitops.resources import (
    DeprecationRules,
    InferenceAction,
    InferenceRules,
    ModelStage,
)

if TYPE_CHECKING:
    from galfriday_gitops.forge.base import Forge
    from galfriday_gitops.lifecycle.inference import InferenceLog, Verdict, VersionStats
    from galfriday_gitops.write.promote import Plan

ISSUE_LABEL = "galfriday-lifecycle"
Severity = Literal["critical", "warning", "ok", "info"]


@dataclass(frozen=True, slots=True)
class Action:
    """One thing the job did (or, without ``act``, would do)."""

    kind: Literal["retire", "rollback", "issue"]
    model: str
    version: str
    detail: str
    branch: str | None = None
    number: int | None = None
    url: str | None = None
    done: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "model": self.model,
            "version": self.version,
            "detail": self.detail,
            "branch": self.branch,
            "number": self.number,
            "url": self.url,
            "done": self.done,
        }


@dataclass(frozen=True, slots=True)
class HealthRow:
    model: str
    version: str
    stage: ModelStage | None  # None: in the logs, not in the registry
    stats: VersionStats | None
    verdict: Verdict
    severity: Severity


@dataclass(frozen=True, slots=True)
class Candidate:
    version: str
    stage: ModelStage | None
    verdict: Verdict | None  # None: not restorable (retired/archived/unknown)
    stats: VersionStats | None


@dataclass
class Inference:
    logs: str
    window: str
    window_end: dt.datetime | None
    min_samples: int
    action: InferenceAction
    rows: list[HealthRow]
    candidates: dict[str, list[Candidate]] = field(default_factory=dict)  # model -> tried
    dropped: int = 0
    log: InferenceLog | None = field(default=None, repr=False)
    rules: InferenceRules | None = field(default=None, repr=False)


@dataclass
class LifecycleRun:
    """The job's findings and actions; ``critical`` decides the exit code."""

    rev: str
    commit: str
    today: dt.date
    policy: str | None
    auto_retire: bool
    end_of_life: list[EndOfLife]
    inference: Inference | None
    actions: list[Action] = field(default_factory=list)

    @property
    def critical(self) -> bool:
        return any(e.critical for e in self.end_of_life) or any(
            r.severity == "critical" for r in (self.inference.rows if self.inference else [])
        )

    def as_json(self) -> dict[str, Any]:
        inference = None
        if self.inference is not None:
            inf = self.inference
            inference = {
                "logs": inf.logs,
                "window": inf.window,
                "windowEnd": inf.window_end.isoformat() if inf.window_end else None,
                "minSamples": inf.min_samples,
                "onCriticalViolation": inf.action.value,
                "droppedRecords": inf.dropped,
                "versions": [
                    {
                        "model": r.model,
                        "version": r.version,
                        "stage": r.stage.value if r.stage else None,
                        "severity": r.severity,
                        **r.verdict.as_json(),
                        "stats": r.stats.as_json() if r.stats else None,
                    }
                    for r in inf.rows
                ],
                "rollbackCandidates": {
                    model: [
                        {
                            "version": c.version,
                            "stage": c.stage.value if c.stage else None,
                            "status": c.verdict.status if c.verdict else "not-restorable",
                            "requests": c.verdict.requests if c.verdict else 0,
                        }
                        for c in tried
                    ]
                    for model, tried in inf.candidates.items()
                },
            }
        return {
            "rev": self.rev,
            "commit": self.commit,
            "today": self.today.isoformat(),
            "policy": self.policy,
            "autoRetire": self.auto_retire,
            "endOfLife": [e.as_json() for e in self.end_of_life],
            "inference": inference,
            "actions": [a.as_json() for a in self.actions],
            "critical": self.critical,
        }


# ---------------------------------------------------------------- proposing once


def submit_once(
    repo: Path,
    plan: Plan,
    *,
    branch: str,
    title: str,
    body: str,
    forge: Forge | None,
    remote: str | None,
) -> tuple[int | None, str | None, bool]:
    """Commit/push ``plan`` on ``branch`` unless it already holds exactly this change.

    Returns (pull request number, url, whether a new pull request was opened). The
    branch is compared by tree and parent, not by commit id (dates differ every run):
    an unchanged change is not pushed again, which would make approvals stale.
    """
    from galfriday_gitops.write.promote import submit

    existing = _branch_tip(repo, branch, remote)
    unchanged = False
    if existing is not None:
        probe = gitio.commit_files(repo, plan.base_commit, dict(plan.files), "probe")
        unchanged = _same_change(repo, existing, probe)
    if not unchanged:
        proposal = submit(
            repo, plan, branch=branch, title=title, body=body, forge=forge, remote=remote
        )
        pull = proposal.pull
        return (pull.number, pull.html_url, proposal.created) if pull else (None, None, True)
    if forge is None:
        return None, None, False
    open_pull = forge.find_open_pull(branch)
    if open_pull is not None:
        updated = forge.update_pull(open_pull.number, title, body)
        return updated.number, updated.html_url, False
    base_ref = plan.base_rev.removeprefix("refs/heads/").removeprefix("origin/")
    created = forge.create_pull(title, body, branch, base_ref)
    return created.number, created.html_url, True


def _branch_tip(repo: Path, branch: str, remote: str | None) -> str | None:
    if remote is not None:
        out = gitio.git(repo, "ls-remote", remote, f"refs/heads/{branch}", check=False)
        sha = out.decode().split("\t", 1)[0].strip()
        return sha or None
    out = gitio.git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False)
    return out.decode().strip() or None


def _same_change(repo: Path, existing: str, probe: str) -> bool:
    def tree_and_parent(sha: str) -> str | None:
        out = gitio.git(repo, "show", "-s", "--format=%T %P", sha, check=False)
        return out.decode().strip() or None  # None: the remote's commit is not here

    found = tree_and_parent(existing)
    return found is not None and found == tree_and_parent(probe)


# ---------------------------------------------------------------- the job


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
            run.actions.append(_retire(repo, state, rev, item, today, act, get_forge, remote))
    if policy is not None and policy.spec.inference is not None:
        inference_rules = policy.spec.inference
        path = logs if logs is not None else repo / inference_rules.logs
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
) -> Action:
    version = item.version
    plan = plan_retirement(repo, state, rev, item, today)
    branch = branch_for_retirement(version)
    if not act:
        return Action("retire", version.name, version.version, "would open", branch)
    number, url, created = submit_once(
        repo,
        plan,
        branch=branch,
        title=retirement_title(version),
        body=retirement_body(plan, item),
        forge=forge(),
        remote=remote,
    )
    detail = "branch written" if number is None else ("opened" if created else "updated")
    return Action("retire", version.name, version.version, detail, branch, number, url, True)


def _inference(
    repo: Path,
    state: RegistryState,
    rules: InferenceRules,
    path: Path,
    now: dt.datetime | None,
) -> Inference:
    from galfriday_gitops.lifecycle.inference import (
        evaluate,
        judge,
        log_files,
        parse_window,
        read_logs,
        stats_by_version,
        unattributed,
    )

    log = read_logs(log_files(path, repo=repo), token_prices=rules.cost_per_thousand_tokens)
    end = now or log.newest()
    stats = evaluate(log, window=parse_window(rules.window), end=end)
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
    from galfriday_gitops.semver import Version

    try:
        return (0, Version(version))
    except ValueError:
        return (1, version)


def _candidates(
    repo: Path,
    state: RegistryState,
    rev: str,
    inf: Inference,
    row: HealthRow,
    now: dt.datetime | None,
) -> tuple[list[Candidate], Any]:
    """Earlier production versions, newest first, each judged on its latest window of logs."""
    from galfriday_gitops.lifecycle.inference import evaluate, judge, parse_window, stats_by_version
    from galfriday_gitops.load.history import (
        production_periods as production_history_from_manifests,
    )

    periods = production_history_from_manifests(repo, row.model, rev)
    order: list[str] = []
    for period in reversed(periods):
        for version in period.versions:
            if version != row.version and version not in order:
                order.append(version)
    assert inf.log is not None
    latest = evaluate(inf.log, window=parse_window(inf.window), end=now, latest_per_version=True)
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
    return tried, periods


def evidence_markdown(inf: Inference, row: HealthRow, tried: list[Candidate]) -> str:
    """The evidence table of a rollback PR or issue: figures, thresholds, candidates."""
    assert row.stats is not None
    stats = row.stats
    end = inf.window_end.isoformat() if inf.window_end else "newest record"
    lines = [
        f"`{row.model}@{row.version}` (production) breaks the LifecyclePolicy's inference "
        f"thresholds over the {inf.window} window ending {end}: {stats.requests} requests "
        f"from {stats.first.isoformat()} to {stats.last.isoformat()} "
        f"(minSamples {inf.min_samples}).",
        "",
        "| threshold | observed | limit | |",
        "| --- | --- | --- | --- |",
    ]
    broken = {v.metric for v in row.verdict.violations}
    rules_limits = _limits(inf, row)
    for metric, value, limit, _ in rules_limits:
        shown = "n/a" if value is None else _show(metric, value)
        mark = "❌" if metric in broken else ("—" if value is None else "✅")
        lines.append(f"| {metric} | {shown} | {_show(metric, limit)} | {mark} |")
    lines += [
        f"| p50 latency | {_show('LatencyMs', stats.p50_ms)} | | |",
        "",
        f"Logs: `{inf.logs}`.",
        "",
        "#### Rollback candidates (earlier production versions, newest first)",
        "",
        "| version | stage now | last window | requests | verdict |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in tried:
        stage = c.stage.value if c.stage else "not in the registry"
        if c.verdict is None:
            lines.append(f"| {c.version} | {stage} | — | — | not restorable |")
            continue
        span = f"{c.stats.first:%Y-%m-%d %H:%M} – {c.stats.last:%Y-%m-%d %H:%M}" if c.stats else "—"
        verdict: str = c.verdict.status
        if c.verdict.violations:
            verdict += ": " + "; ".join(v.describe() for v in c.verdict.violations)
        lines.append(f"| {c.version} | {stage} | {span} | {c.verdict.requests} | {verdict} |")
    if not tried:
        lines.append("| — | | | | no earlier production version in history |")
    return "\n".join(lines)


def _limits(inf: Inference, row: HealthRow) -> list[tuple[str, float | None, float, bool]]:
    from galfriday_gitops.lifecycle.inference import threshold_checks

    assert row.stats is not None and inf.rules is not None
    return [
        (metric, value, limit, is_max)
        for metric, value, limit, is_max in threshold_checks(row.stats, inf.rules.thresholds)
        if limit is not None
    ]


def _show(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric.endswith("Rate"):
        return f"{value:.2%}"
    if metric.endswith("LatencyMs"):
        return f"{value:.1f} ms"
    return f"{value:.4g}"


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
    if inf.action is InferenceAction.REPORT:
        return []
    short = "; ".join(v.describe() for v in row.verdict.violations)
    tried: list[Candidate] = []
    target: str | None = None
    periods: Any = []
    if inf.action is InferenceAction.ROLLBACK_PR:
        tried, periods = _candidates(repo, state, rev, inf, row, now)
        inf.candidates[row.model] = tried
        target = next((c.version for c in tried if c.verdict and c.verdict.status == "ok"), None)
    evidence = evidence_markdown(inf, row, tried)
    if target is not None:
        from galfriday_gitops.write.rollback import (
            branch_for_rollback,
            plan_rollback,
            rollback_body,
            rollback_title,
        )

        plan, periods = plan_rollback(
            repo, row.model, to=target, base=rev, reason=f"inference: {short}"[:150], today=today
        )
        branch = branch_for_rollback(row.model)
        if not act:
            return [Action("rollback", row.model, target, "would open", branch)]
        number, url, created = submit_once(
            repo,
            plan,
            branch=branch,
            title=rollback_title(plan),
            body=rollback_body(plan, periods, evidence),
            forge=forge(),
            remote=remote,
        )
        detail = "branch written" if number is None else ("opened" if created else "updated")
        return [Action("rollback", row.model, target, detail, branch, number, url, True)]
    # An issue: asked for, or a rollback without a version that met the thresholds.
    why = "" if inf.action is InferenceAction.ISSUE else " (no earlier version met the thresholds)"
    if not act:
        return [Action("issue", row.model, row.version, "would open or update" + why)]
    client = forge()
    if client is None:
        return [Action("issue", row.model, row.version, "skipped: no forge (--local)" + why)]
    title = f"[lifecycle] {row.model}: production {row.version} breaks inference thresholds"
    body = f"## {title}\n\n{evidence}\n\n_Opened by `gfops lifecycle --act`._"
    number = client.find_open_issue(label=ISSUE_LABEL, title_marker=f"] {row.model}: ")
    if number is None:
        number = client.create_issue(title, body, labels=[ISSUE_LABEL])
        return [Action("issue", row.model, row.version, "opened" + why, number=number, done=True)]
    marker = f"<!-- {ISSUE_LABEL}:{row.model} -->"
    client.upsert_comment(number, marker, f"{marker}\n{body}")
    return [Action("issue", row.model, row.version, "updated" + why, number=number, done=True)]
