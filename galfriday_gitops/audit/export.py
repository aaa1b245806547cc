"""``gfops audit export``: the compliance report of a period, as JSON or CSV.

Every registration and stage change, and every change to a governed path (policies,
teams, experiments, workflows, git attributes, registered versions' ``.dvc`` files) with
the pull request and approvers its record names. The period is judged by when a change
landed on main (its first-parent commit's committer date, UTC); ``until`` given as a bare
date includes that whole day.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from galfriday_gitops.audit.history import (
    Change,
    GovernedChange,
    audited_commits,
    governed_changes,
    iso,
)
from galfriday_gitops.diff.events import EventKind
from galfriday_gitops.errors import UserError

CSV_COLUMNS = (
    "when",
    "event",
    "model",
    "version",
    "from",
    "to",
    "pr",
    "approvers",
    "approved",
    "commit",
    "tags",
)


def parse_date(text: str, *, end: bool = False) -> int:
    """``YYYY-MM-DD`` or an ISO date-time (UTC unless it says otherwise) -> Unix seconds."""
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UserError(
            f"{text!r} is not a date (expected YYYY-MM-DD or an ISO date-time)"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    if end and len(text) == 10:  # a bare date: the whole day
        when += dt.timedelta(days=1) - dt.timedelta(seconds=1)
    return int(when.timestamp())


def collect(
    repo: Path | str, rev: str, since: int, until: int
) -> tuple[list[Change], list[GovernedChange]]:
    commits, _ = audited_commits(repo, rev)
    inside = [cc for cc in commits if since <= cc.entry.time <= until]
    return [c for cc in inside for c in cc.changes], governed_changes(inside)


def unapproved_governed(governed: list[GovernedChange]) -> list[GovernedChange]:
    """Governed changes without an approved PR (a registry's genesis commit aside)."""
    return [
        g
        for g in governed
        if not g.approved and (g.record is None or g.record.verdict != "genesis")
    ]


def report(
    changes: list[Change], policies: list[GovernedChange], since: int, until: int
) -> dict[str, Any]:
    """The export as one JSON-ready document."""
    by_type = Counter(c.kind for c in changes)
    by_model: dict[str, Counter[str]] = {}
    for c in changes:
        by_model.setdefault(c.model, Counter())[c.kind] += 1
    stage_changes = [c for c in changes if c.event.kind is EventKind.STAGE_CHANGED]
    unapproved = [c for c in stage_changes if not c.approved]
    production = [
        c
        for c in changes
        if "production" in (c.to_dict()["from"], c.to_dict()["to"])
        and c.event.kind is not EventKind.DELETED
    ]
    return {
        "since": iso(since),
        "until": iso(until),
        "summary": {
            "events": len(changes),
            "by_type": dict(sorted(by_type.items())),
            "by_model": {m: dict(sorted(n.items())) for m, n in sorted(by_model.items())},
            "stage_changes": len(stage_changes),
            "production_changes": len(production),
            "stage_changes_without_approved_pr": len(unapproved),
            "untagged": sum(1 for c in changes if not c.tagged),
            "governed_changes": len(policies),
            "governed_changes_without_approved_pr": len(unapproved_governed(policies)),
        },
        "production_changes": [c.to_dict() for c in production],
        "stage_changes_without_approved_pr": [c.to_dict() for c in unapproved],
        "governed_changes": [p.to_dict() for p in policies],
        "governed_changes_without_approved_pr": [
            p.to_dict() for p in unapproved_governed(policies)
        ],
        "events": [c.to_dict() for c in changes],
    }


def to_csv(changes: list[Change], policies: list[GovernedChange]) -> str:
    """One row per change (model events and governed changes), oldest first."""
    rows: list[tuple[int, dict[str, str]]] = []
    for c in changes:
        d = c.to_dict()
        rows.append(
            (
                c.entry.time,
                {
                    **{k: "" if d[k] is None else str(d[k]) for k in ("when", "event", "model")},
                    "version": d["version"],
                    "from": d["from"] or "",
                    "to": d["to"] or "",
                    "pr": "" if d["pr"] is None else str(d["pr"]),
                    "approvers": " ".join(d["approvers"]),
                    "approved": "yes" if d["approved"] else "no",
                    "commit": d["commit"],
                    "tags": " ".join(d["tags"]),
                },
            )
        )
    for p in policies:
        d = p.to_dict()
        rows.append(
            (
                p.entry.time,
                {
                    "when": d["when"],
                    "event": " ".join(d["events"]),
                    "model": " ".join(d["paths"]),
                    "pr": "" if d["pr"] is None else str(d["pr"]),
                    "approvers": " ".join(d["approvers"]),
                    "approved": "yes" if d["approved"] else "no",
                    "commit": d["commit"],
                },
            )
        )
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, restval="", lineterminator="\n")
    writer.writeheader()
    for _, row in sorted(rows, key=lambda r: r[0]):
        writer.writerow(row)
    return out.getvalue()


@dataclass(frozen=True)
class AuditExport:
    """The compliance report of a period: every change, every governed change."""

    since: int
    until: int
    changes: list[Change]
    policies: list[GovernedChange]

    def to_dict(self) -> dict[str, Any]:
        return report(self.changes, self.policies, self.since, self.until)

    def to_csv(self) -> str:
        return to_csv(self.changes, self.policies)

    @property
    def unapproved(self) -> int:
        """Stage changes and governed changes in the period that went in without an
        approved PR (must be 0)."""
        stage = sum(
            1 for c in self.changes if c.event.kind is EventKind.STAGE_CHANGED and not c.approved
        )
        return stage + len(unapproved_governed(self.policies))


def export(repo: Path | str, *, since: str, until: str, rev: str = "main") -> AuditExport:
    """The report of ``since``..``until`` (dates or ISO date-times, UTC; a bare ``until``
    date includes that whole day) on ``rev``."""
    start, end = parse_date(since), parse_date(until, end=True)
    changes, policies = collect(repo, rev, start, end)
    return AuditExport(start, end, changes, policies)
