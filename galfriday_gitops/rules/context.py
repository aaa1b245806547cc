"""What every rule sees: both states, the events, the reviews, the clock.

Policies and teams are always taken from ``base``: a pull request is judged by the
rules in force before it, never by the rules it brings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from galfriday_gitops.diff.events import Event
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.resources import ModelStage, ModelVersion, StagePolicy, StageRules, Teams
from galfriday_gitops.rules.reviews import PullRequestFacts, ReviewVerdict, evaluate_reviews


@dataclass
class Context:
    repo: Path
    base: RegistryState
    head: RegistryState
    events: list[Event]
    pull: PullRequestFacts | None  # None: no review data (approval rules fail closed)
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    memo: dict[str, object] = field(default_factory=dict, repr=False)  # per-change results

    def __post_init__(self) -> None:
        self.teams: Teams | None = self.base.teams()
        self.reviews: list[ReviewVerdict] | None = (
            evaluate_reviews(self.pull, self.teams) if self.pull is not None else None
        )

    def policies(self, version: ModelVersion) -> list[StagePolicy]:
        """The base revision's stage policies that govern this version."""
        return self.base.policies_for(version)

    def policy(self, version: ModelVersion) -> StagePolicy | None:
        found = self.policies(version)
        return found[0] if len(found) == 1 else None

    def stage_rules(self, version: ModelVersion, stage: ModelStage) -> StageRules | None:
        policy = self.policy(version)
        return policy.spec.stages.get(stage) if policy is not None else None

    def head_version(self, event: Event) -> ModelVersion | None:
        if event.name is None or event.version is None:
            return None
        return self.head.get(event.name, event.version)

    def line(self, event: Event, *where: str | int) -> int:
        """Line of a field in the head's file (line 1 when the file is gone)."""
        return self.head.line_of(event.path, where) if event.path in self.head.entries else 1
