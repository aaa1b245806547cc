"""Rules on the manifests themselves: immutability and deletion (the bytes behind a version:
``rules/artifacts.py``)."""

from __future__ import annotations

from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import EventKind
from galfriday_gitops.findings import Finding
from galfriday_gitops.resources import MUTABLE_VERSION_FIELDS, ModelStage
from galfriday_gitops.rules.context import Context


def _mutable(field: str) -> bool:
    return any(field == m or field.startswith(m + ".") for m in MUTABLE_VERSION_FIELDS)


def check_immutable(ctx: Context) -> list[Finding]:
    findings = []
    for event in ctx.events:
        if event.kind is not EventKind.MODIFIED:
            continue
        frozen = [f for f in event.fields if not _mutable(f)]
        if frozen:
            findings.append(
                rule("GF208").finding(
                    event.path,
                    ctx.line(event, *frozen[0].split(".")),
                    f"{event.ref} is registered; {', '.join(frozen)} cannot change",
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
