"""Rules on the manifests themselves: immutability, deletion, the artifact behind them."""

from __future__ import annotations

from galfriday_gitops import gitio
from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import EventKind
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.safe_yaml import YamlError, load
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


def _dvc_file(ctx: Context, path: str) -> tuple[str, int] | None:
    reader = ctx.head.reader or gitio.BlobReader(ctx.repo)
    try:
        raw = reader.read(f"{ctx.head.rev or 'HEAD'}:{path}")
    except gitio.MissingObject:
        return None
    try:
        out = load(raw).data["outs"][0]
        return str(out["md5"]), int(out["size"])
    except (YamlError, KeyError, IndexError, TypeError, ValueError):
        return ("unreadable", -1)


def check_artifact(ctx: Context) -> list[Finding]:
    findings = []
    for event in ctx.events:
        if event.kind not in (EventKind.REGISTERED, EventKind.RENAMED, EventKind.MODIFIED):
            continue
        version = ctx.head_version(event)
        if version is None:
            continue
        for i, artifact in enumerate(version.spec.artifacts):
            tracked = _dvc_file(ctx, artifact.path + ".dvc")
            if tracked == (artifact.md5, artifact.size):
                continue
            line = ctx.line(event, "spec", "artifacts", i)  # only now: it re-parses the file
            if tracked is None:
                findings.append(
                    rule("GF210").finding(
                        event.path, line, f"{artifact.path}.dvc does not exist at head",
                        hint=f"dvc add {artifact.path} and commit the .dvc file",
                    )
                )  # fmt: skip
            else:
                findings.append(
                    rule("GF210").finding(
                        event.path, line, f"{artifact.path}: manifest says md5 {artifact.md5} size "
                        f"{artifact.size}, the .dvc file says md5 {tracked[0]} size {tracked[1]}",
                    )
                )  # fmt: skip
    return findings
