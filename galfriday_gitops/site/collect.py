"""What the site shows, collected through the library's read side (no HTML here).

One revision is read once: its :class:`RegistryState` (manifests, policies, teams,
experiments), one walk of its first-parent history joined with the audit tags
(:func:`galfriday_gitops.audit.history.audited_commits`, the walk ``gfops history`` and
``gfops audit verify`` use), the verdict of :func:`galfriday_gitops.audit.verify.verify`
on that same walk, and end of life as
:func:`galfriday_gitops.lifecycle.deprecation.end_of_life_report` computes it. "Today" is
the revision's commit date, never the clock, so one revision always gives the same site.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.audit.history import Change, audited_commits
from galfriday_gitops.audit.verify import verify
from galfriday_gitops.findings import Finding, blocking
from galfriday_gitops.lifecycle.deprecation import EndOfLife, end_of_life_report
from galfriday_gitops.load.state import RegistryState, load_state
from galfriday_gitops.paths import MODELS
from galfriday_gitops.resources import (
    DeprecationRules,
    DriftPolicy,
    Experiment,
    LifecyclePolicy,
    ModelStage,
    ModelVersion,
    StagePolicy,
    Teams,
)
from galfriday_gitops.site.reports import Reports

KEY_METRICS = 3  # metrics shown on the index when no policy names a threshold


@dataclass(frozen=True, slots=True)
class ModelData:
    """One model: its versions, its audited history, what the index shows of it."""

    name: str
    versions: tuple[ModelVersion, ...]  # oldest first (SemVer)
    changes: tuple[Change, ...]  # audited changes on the revision's history, oldest first
    since: dict[str, int]  # version -> commit time it entered its current stage
    key_metrics: tuple[str, ...]  # "test.accuracy"-style references
    end_of_life: tuple[EndOfLife, ...]
    invalid: tuple[Finding, ...]  # files under models/<name>/ the loader refused

    def in_stage(self, stage: ModelStage) -> list[ModelVersion]:
        return [v for v in self.versions if v.stage is stage]

    @property
    def description(self) -> str | None:
        """The newest version's description (versions may each carry one)."""
        found = (v.metadata.description for v in reversed(self.versions))
        return next((d for d in found if d), None)


@dataclass(frozen=True, slots=True)
class SiteData:
    """Everything one revision's site shows."""

    rev: str
    head: gitio.LogEntry
    models: tuple[ModelData, ...]
    stage_policies: tuple[StagePolicy, ...]
    teams: Teams | None
    lifecycle_policy: LifecyclePolicy | None
    drift_policies: tuple[DriftPolicy, ...]
    experiments: tuple[Experiment, ...]
    invalid: tuple[Finding, ...]  # every file of the revision the loader refused
    audit: tuple[Finding, ...]  # audit verify on the revision's history
    audit_tags: int
    reports: Reports
    by_name: dict[str, ModelData] = field(default_factory=dict, repr=False, compare=False)

    @property
    def audit_errors(self) -> int:
        """Findings of audit verify that are errors (a warning keeps the trail "ok")."""
        return len(blocking(list(self.audit)))

    def has_model(self, name: str) -> bool:
        return name in self._by_name()

    def model(self, name: str) -> ModelData:
        return self._by_name()[name]

    def _by_name(self) -> dict[str, ModelData]:
        if not self.by_name:
            self.by_name.update((m.name, m) for m in self.models)
        return self.by_name

    @property
    def today(self) -> dt.date:
        """The revision's commit date (UTC): the site's "now"."""
        return dt.datetime.fromtimestamp(self.head.time, dt.UTC).date()


def _key_metrics(state: RegistryState, version: ModelVersion | None) -> tuple[str, ...]:
    """The metrics the production stage's policies set thresholds on, else the first few."""
    if version is None:
        return ()
    named: dict[str, None] = {}
    for policy in state.policies_for(version):
        rules = policy.spec.stages.get(ModelStage.PRODUCTION)
        if rules is not None:
            named.update(dict.fromkeys(sorted(rules.thresholds)))
    if named:
        return tuple(named)
    metrics = version.spec.metrics
    refs = [f"test.{m}" for m in sorted(metrics.test)] or [
        f"validation.{m}" for m in sorted(metrics.validation)
    ]
    return tuple(refs[:KEY_METRICS])


def _since(versions: tuple[ModelVersion, ...], changes: list[Change]) -> dict[str, int]:
    stage = {v.version: v.stage for v in versions}
    out: dict[str, int] = {}
    for change in changes:
        to = change.event.to_stage
        if to is not None and stage.get(change.version) is to:
            out[change.version] = change.entry.time
    return out


def _model(
    state: RegistryState,
    name: str,
    changes: list[Change],
    eol: list[EndOfLife],
    invalid: list[Finding],
) -> ModelData:
    versions = tuple(state.versions_of(name))
    production = [v for v in versions if v.stage is ModelStage.PRODUCTION]
    return ModelData(
        name=name,
        versions=versions,
        changes=tuple(changes),
        since=_since(versions, changes),
        key_metrics=_key_metrics(state, production[-1] if production else None),
        end_of_life=tuple(eol),
        invalid=tuple(invalid),
    )


def collect(repo: Path, rev: str, reports: Reports) -> SiteData:
    """Read revision ``rev`` of ``repo`` (and its history) into what the site shows."""
    head = gitio.commit_entry(repo, rev)
    commits, tags = audited_commits(repo, head.sha)
    # The walk has read the registry at its last commit: when that is the revision, reuse it.
    last = commits[-1] if commits else None
    state = (
        last.head if last is not None and last.entry.sha == head.sha else load_state(repo, head.sha)
    )
    findings = verify(repo, head.sha, walked=(commits, tags))
    by_model: dict[str, list[Change]] = defaultdict(list)
    for commit in commits:
        for change in commit.changes:
            by_model[change.model].append(change)
    lifecycle = state.lifecycle_policy()
    rules = lifecycle.spec.deprecation if lifecycle is not None else DeprecationRules()
    today = dt.datetime.fromtimestamp(head.time, dt.UTC).date()
    eol: dict[str, list[EndOfLife]] = defaultdict(list)
    for item in end_of_life_report(state, rules, today):
        eol[item.version.name].append(item)
    invalid: dict[str, list[Finding]] = defaultdict(list)
    for finding in state.findings:
        parts = finding.file.split("/")
        if len(parts) > 2 and parts[0] == MODELS:
            invalid[parts[1]].append(finding)
    return SiteData(
        rev=rev,
        head=head,
        models=tuple(_model(state, n, by_model[n], eol[n], invalid[n]) for n in state.models()),
        stage_policies=tuple(state.stage_policies()),
        teams=state.teams(),
        lifecycle_policy=lifecycle,
        drift_policies=tuple(state.drift_policies()),
        experiments=tuple(state.experiments()),
        invalid=tuple(state.findings),
        audit=tuple(findings),
        audit_tags=len(tags),
        reports=reports,
    )
