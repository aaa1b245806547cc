"""Deprecated versions: how long until end of life, how loud to warn, and retirement.

Levels, from the LifecyclePolicy's ``deprecation`` rules (``days`` = end of life − today):

* ``expired``: past end of life (``days < 0``); with ``autoRetire`` a retirement PR.
* ``critical``: ``days < criticalDaysBeforeEol`` (end of life today counts as 0 days).
* ``warning``: ``days < warnDaysBeforeEol``.
* ``notice``: further away, listed so the report shows every deprecated version.

A deprecated version without ``spec.deprecation`` has no end of life: a ``warning``, because
nothing will ever retire it. Retirement moves ``deprecated`` → ``retired`` on branch
``galfriday/retire/<name>-<version>``; ``spec.deprecation`` stays as the record of why.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.resources import DeprecationRules, ModelStage, ModelVersion
from galfriday_gitops.write.plan import Move, Plan, build_plan

Level = Literal["expired", "critical", "warning", "notice"]
CRITICAL_LEVELS: frozenset[str] = frozenset({"expired", "critical"})


@dataclass(frozen=True, slots=True)
class EndOfLife:
    """Where one deprecated version stands."""

    version: ModelVersion
    end_of_life: dt.date | None
    days_left: int | None
    level: Level

    @property
    def critical(self) -> bool:
        return self.level in CRITICAL_LEVELS

    def describe(self) -> str:
        if self.end_of_life is None or self.days_left is None:
            return "deprecated without an end-of-life date (spec.deprecation missing)"
        if self.days_left < 0:
            return f"past end of life {self.end_of_life} ({-self.days_left} days ago)"
        if self.days_left == 0:
            return f"end of life today ({self.end_of_life})"
        return f"end of life {self.end_of_life}, in {self.days_left} days"

    def as_json(self) -> dict[str, Any]:
        deprecation = self.version.spec.deprecation
        return {
            "model": self.version.name,
            "version": self.version.version,
            "stage": self.version.stage.value,
            "endOfLife": self.end_of_life.isoformat() if self.end_of_life else None,
            "daysLeft": self.days_left,
            "level": self.level,
            "replacement": deprecation.replacement if deprecation else None,
            "reason": deprecation.reason if deprecation else None,
        }


def level_for(days_left: int, rules: DeprecationRules) -> Level:
    """The warning level of a version ``days_left`` days before its end of life."""
    if days_left < 0:
        return "expired"
    if days_left < rules.critical_days_before_eol:
        return "critical"
    if days_left < rules.warn_days_before_eol:
        return "warning"
    return "notice"


def end_of_life_report(
    state: RegistryState, rules: DeprecationRules, today: dt.date
) -> list[EndOfLife]:
    """Every deprecated version, most urgent first."""
    found: list[EndOfLife] = []
    for version in state.all_versions():
        if version.stage is not ModelStage.DEPRECATED:
            continue
        deprecation = version.spec.deprecation
        if deprecation is None:
            found.append(EndOfLife(version, None, None, "warning"))
            continue
        days = (deprecation.end_of_life - today).days
        found.append(EndOfLife(version, deprecation.end_of_life, days, level_for(days, rules)))
    far = 10**9
    found.sort(key=lambda e: (e.days_left if e.days_left is not None else far, e.version.ref))
    return found


def branch_for_retirement(version: ModelVersion) -> str:
    return f"galfriday/retire/{version.name}-{version.version}"


def plan_retirement(
    repo: Path, state: RegistryState, base: str, item: EndOfLife, today: dt.date
) -> Plan:
    """The one-line ``deprecated`` → ``retired`` change, computed at ``base``."""
    version = item.version
    move = Move(
        version,
        state.path_of(version),
        ModelStage.DEPRECATED,
        ModelStage.RETIRED,
        item.describe(),
    )
    return build_plan(state, base, [move], today=today)
