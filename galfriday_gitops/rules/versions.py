"""Rules on the manifests themselves: immutability and deletion (the bytes behind a version:
``rules/artifacts.py``)."""

from __future__ import annotations

import json
from typing import Any

from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import EventKind
from galfriday_gitops.findings import Finding
from galfriday_gitops.resources import MUTABLE_VERSION_FIELDS, ModelStage, ModelVersion
from galfriday_gitops.rules.context import Context


def _mutable(field: str) -> bool:
    return any(field == m or field.startswith(m + ".") for m in MUTABLE_VERSION_FIELDS)


def _value_at(data: Any, dotted: str) -> Any:
    """The value at a dotted field path; a key may itself hold dots (``metrics.test.f1.5``)."""
    node, rest = data, dotted
    while rest:
        if not isinstance(node, dict):
            return _ABSENT
        key = next(
            (
                k
                for k in sorted(node, key=len, reverse=True)
                if rest == k or rest.startswith(k + ".")
            ),
            None,
        )
        if key is None:
            return _ABSENT
        node, rest = node[key], rest[len(key) + 1 :]
    return node


_ABSENT = object()
_SHOWN = 80  # characters of a value shown before it is cut


def _shown(value: Any) -> str:
    text = "(absent)" if value is _ABSENT else json.dumps(value, default=str, sort_keys=True)
    return text if len(text) <= _SHOWN else text[: _SHOWN - 1] + "…"


def _dump(version: ModelVersion | None) -> dict[str, Any]:
    if version is None:
        return {}
    return version.model_dump(mode="json", by_alias=True, exclude_none=True)


def check_immutable(ctx: Context) -> list[Finding]:
    findings = []
    for event in ctx.events:
        if event.kind is not EventKind.MODIFIED:
            continue
        frozen = [f for f in event.fields if not _mutable(f)]
        if not frozen:
            continue
        before = _dump(
            ctx.base.get(event.name, event.version) if event.name and event.version else None
        )
        after = _dump(ctx.head_version(event))
        changes = "; ".join(
            f"{f}: base {_shown(_value_at(before, f))}, head {_shown(_value_at(after, f))}"
            for f in frozen
        )
        findings.append(
            rule("GF208").finding(
                event.path,
                ctx.line(event, *frozen[0].split(".")),
                f"{event.ref} is registered; {', '.join(frozen)} cannot change ({changes})",
                hint="register a new version instead (gfops register --bump patch)",
            )
        )
    return findings


def check_deletion(ctx: Context) -> list[Finding]:
    findings = []
    for event in ctx.events:
        if event.kind not in (EventKind.DELETED, EventKind.RENAMED):
            continue
        stage = event.from_stage
        if stage is None or stage is ModelStage.ARCHIVED:
            continue
        was = event.old_path or event.path
        what = "deleted" if event.kind is EventKind.DELETED else f"renamed to {event.path}"
        live = " while live" if stage.is_live else ""
        findings.append(
            rule("GF209").finding(
                was,
                1,
                f"{was} ({stage.value}) is {what}{live}; only archived versions may be removed",
                hint="move it to archived in its own pull request first",
            )
        )
    return findings
