"""``gfops audit export``: the compliance report of a period, as JSON or CSV.

The period is judged by when a change landed on main (its first-parent commit's
committer date, UTC); ``until`` given as a bare date includes that whole day.
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
    PolicyChange,
    audited_commits,
    iso,
    policy_changes,
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
) -> tuple[list[Change], list[PolicyChange]]:
    commits, _ = audited_commits(repo, rev)
    changes = [c for cc in commits if since <= cc.entry.time <= until for c in cc.changes]
    policies = [p for p in policy_changes(repo, rev) if since <= p.entry.time <= until]
    return changes, policies


def report(
    changes: list[Change], policies: list[PolicyChange], since: int, until: int
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
            "policy_changes": len(policies),
        },
        "production_changes": [c.to_dict() for c in production],
        "stage_changes_without_approved_pr": [c.to_dict() for c in unapproved],
        "policy_changes": [p.to_dict() for p in policies],
        "events": [c.to_dict() for c in changes],
    }


def to_csv(changes: list[Change], policies: list[PolicyChange]) -> str:
    """One row per change (model events and policy changes), oldest first."""
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
                    "event": "policy-changed",
                    "model": " ".join(d["paths"]),
                    "pr": "" if d["pr"] is None else str(d["pr"]),
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
    """The compliance report of a period: every change, every policy change."""

    since: int
    until: int
    changes: list[Change]
    policies: list[PolicyChange]

    def to_dict(self) -> dict[str, Any]:
        return report(self.changes, self.policies, self.since, self.until)

    def to_csv(self) -> str:
        return to_csv(self.changes, self.policies)

    @property
    def unapproved(self) -> int:
        """Stage changes in the period that went in without an approved PR (must be 0)."""
        return sum(
            1 for c in self.changes if c.event.kind is EventKind.STAGE_CHANGED and not c.approved
        )


def export(repo: Path | str, *, since: str, until: str, rev: str = "main") -> AuditExport:
    """The report of ``since``..``until`` (dates or ISO date-times, UTC; a bare ``until``
    date includes that whole day) on ``rev``."""
    start, end = parse_date(since), parse_date(until, end=True)
    changes, policies = collect(repo, rev, start, end)
    return AuditExport(start, end, changes, policies)
