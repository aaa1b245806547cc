"""What the lifecycle job found and did: end-of-life items, inference health rows, the
rollback candidates it tried, and its actions (the result type of ``gfops lifecycle``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from galfriday_gitops.resources import InferenceAction, InferenceRules, ModelStage

if TYPE_CHECKING:
    from galfriday_gitops.lifecycle.dataset import LogDataset
    from galfriday_gitops.lifecycle.deprecation import EndOfLife
    from galfriday_gitops.lifecycle.health import Verdict
    from galfriday_gitops.lifecycle.inference import InferenceLog, VersionStats
    from galfriday_gitops.rules.engine import Verdict as Preview

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
    preview: Preview | None = None  # the reconciler's verdict on the proposed commit

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
            "preview": self.preview.to_dict() if self.preview is not None else None,
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
    log: InferenceLog | LogDataset | None = field(default=None, repr=False)
    rules: InferenceRules | None = field(default=None, repr=False)
    unavailable: str | None = None  # why nothing was evaluated (e.g. no logs yet)


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
                "unavailable": inf.unavailable,
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
