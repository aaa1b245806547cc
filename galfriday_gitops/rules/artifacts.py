"""Rules on the bytes behind a version: its ``.dvc`` file, DVC's artifact entry, the remote,
the hashes. A registered version's artifact is a fact like its metrics:

- GF208 (with ``versions.check_immutable``): the ``.dvc`` file of a version registered at
  the base cannot change, and cannot go while the version stays;
- GF210: a version's ``.dvc`` file tracks exactly one output, the manifest's file, with the
  manifest's md5 and size;
- GF230: a name@version that existed on main (its manifest on the base's first parents, or
  an audit tag) is never registered again with other bytes;
- GF231: a registration points ``dvc.yaml``'s ``artifacts.<name>`` at its own file, so DVC
  serves it at its registration commit (``galfriday_gitops/dvcyaml.py``);
- GF232: where the target stage's policy says ``requireArtifactInRemote``, the objects are
  in the DVC remote as CI reaches it (fail closed when it cannot be asked);
- GF233: a new registration records a SHA-256, and wherever the object can be read (the
  remote, else the cache) its bytes hash to the manifest's md5 and SHA-256.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import replace

from galfriday_gitops.apply import tags
from galfriday_gitops.catalogue import rule
from galfriday_gitops.diff.events import Event, EventKind
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding, Severity
from galfriday_gitops.paths import split_artifact_path
from galfriday_gitops.resources import Artifact, ModelVersion
from galfriday_gitops.rules.context import Context
from galfriday_gitops.rules.stages import entering

_NEW = (EventKind.REGISTERED, EventKind.RENAMED)  # a name@version that is new at head
_ENTERS = (EventKind.REGISTERED, EventKind.RENAMED, EventKind.STAGE_CHANGED)


def _head_versions(
    ctx: Context, kinds: tuple[EventKind, ...]
) -> Iterator[tuple[Event, ModelVersion]]:
    for event in ctx.events:
        if event.kind in kinds:
            version = ctx.head_version(event)
            if version is not None:
                yield event, version


# ---------------------------------------------------------------- GF208: the .dvc file


def check_tracked_files(ctx: Context) -> list[Finding]:
    """A ``.dvc`` file of a version that is registered at the base and stays registered at
    head is part of its facts: no change, no deletion."""
    findings = []
    for path in ctx.changed_paths():
        if not path.endswith(".dvc"):
            continue
        owner = split_artifact_path(path)
        if owner is None:
            continue
        before, after = ctx.base.get(*owner), ctx.head.get(*owner)
        if before is None or after is None:
            continue  # registered or removed in this change: judged by GF210 and GF209
        tracked = path.removesuffix(".dvc")
        if not any(a.path == tracked for a in (*before.spec.artifacts, *after.spec.artifacts)):
            continue
        what = "changed" if ctx.dvc_file(path) is not None else "deleted"
        findings.append(
            rule("GF208").finding(
                path,
                1,
                f"{before.ref} is registered; its artifact's .dvc file {path} cannot be {what} "
                "(the bytes DVC serves for it are part of its facts)",
                hint="register a new version instead (gfops register --bump patch)",
            )
        )
    return findings


# ---------------------------------------------------------------- GF210: .dvc vs manifest


def _artifact_problem(ctx: Context, artifact: Artifact) -> tuple[str, str] | None:
    """(message, hint) when the ``.dvc`` file of one artifact disagrees at head, else None."""
    path = artifact.path
    try:
        tracked = ctx.dvc_file(path + ".dvc")
    except UserError as exc:
        return f"{path}.dvc is not a readable .dvc file: {exc}", ""
    add = f"dvc add {path} and commit the .dvc file"
    if tracked is None:
        return f"{path}.dvc does not exist at head", add
    if len(tracked.outs) != 1:
        return f"{path}.dvc tracks {len(tracked.outs)} outputs; exactly one is allowed", add
    out = tracked.outs[0]
    # An output's path is relative to the .dvc file's folder (DVC's own convention).
    names = posixpath.normpath(posixpath.join(posixpath.dirname(path), out.path))
    if names != path:
        return f"{path}.dvc tracks {names}, not {path}", add
    if (out.md5, out.size) == (artifact.md5, artifact.size):
        return None
    return (
        f"{path}: manifest says md5 {artifact.md5} size {artifact.size}, "
        f"the .dvc file says md5 {out.md5} size {out.size}",
        "",
    )


def check_artifact(ctx: Context) -> list[Finding]:
    findings = []
    kinds = (EventKind.REGISTERED, EventKind.RENAMED, EventKind.MODIFIED)
    for event, version in _head_versions(ctx, kinds):
        for i, artifact in enumerate(version.spec.artifacts):
            problem = _artifact_problem(ctx, artifact)
            if problem is not None:
                line = ctx.line(event, "spec", "artifacts", i)  # only now: it re-parses the file
                message, hint = problem
                findings.append(rule("GF210").finding(event.path, line, message, hint=hint))
    return findings


# ---------------------------------------------------------------- GF230: re-registration


def _same_bytes(old: tuple[Artifact, ...], new: tuple[Artifact, ...]) -> bool:
    if len(old) != len(new):
        return False
    for a, b in zip(old, new, strict=True):
        if (a.path, a.md5, a.size) != (b.path, b.md5, b.size):
            return False
        if a.sha256 is not None and b.sha256 is not None and a.sha256 != b.sha256:
            return False
    return True


def check_reregistration(ctx: Context) -> list[Finding]:
    findings = []
    for event, version in _head_versions(ctx, _NEW):
        now = tuple(version.spec.artifacts)
        for before in ctx.registered_before(version.name, version.version):
            if before is not None and _same_bytes(before, now):
                continue
            was = (
                "with artifacts that cannot be read back"
                if before is None
                else "with md5 " + ", ".join(a.md5 for a in before)
            )
            findings.append(
                rule("GF230").finding(
                    event.path,
                    ctx.line(event, "spec", "artifacts"),
                    f"{version.ref} existed on main before {was}; a version number names "
                    "one artifact forever, so it cannot be registered again with other bytes",
                    hint="register it under a new version (gfops register --bump patch)",
                )
            )
            break
    return findings


# ---------------------------------------------------------------- GF231: dvc.yaml entry


def check_dvc_entry(ctx: Context) -> list[Finding]:
    findings = []
    for event, version in _head_versions(ctx, _NEW):
        if not tags.gto_readable(version.name):
            continue  # DVC cannot name it at all (apply and status say so)
        wanted = version.spec.artifacts[0].path
        line = ctx.line(event, "spec", "artifacts", 0)
        try:
            entry = ctx.dvc_artifacts().get(version.name)
        except UserError as exc:
            findings.append(rule("GF231").finding(event.path, line, f"dvc.yaml: {exc}"))
            continue
        hint = f"point dvc.yaml's artifacts.{version.name}.path at {wanted} (gfops register does)"
        if entry is None:
            message = (
                f"dvc.yaml has no artifacts.{version.name} entry: `dvc artifacts get` and "
                f"DVC Studio cannot serve {version.ref}"
            )
            missing = rule("GF231").finding(event.path, line, message, hint=hint)
            findings.append(replace(missing, severity=Severity.WARNING))  # shown, not blocking
        elif entry.path != wanted:
            message = (
                f"dvc.yaml's artifacts.{version.name}.path is {entry.path}, so `dvc artifacts "
                f"get --rev v{version.version}` would serve that file, not {wanted}"
            )
            findings.append(rule("GF231").finding(event.path, line, message, hint=hint))
    return findings


# ---------------------------------------------------------------- GF232, GF233: the bytes


def check_in_remote(ctx: Context) -> list[Finding]:
    wanted = [
        (event, version, stage)
        for event, version, stage in entering(ctx)
        if (rules := ctx.stage_rules(version, stage)) is not None
        and rules.require_artifact_in_remote
    ]
    stored = ctx.stored_objects([a.md5 for _, v, _ in wanted for a in v.spec.artifacts])
    findings = []
    for event, version, stage in wanted:
        for i, artifact in enumerate(version.spec.artifacts):
            found = stored[artifact.md5]
            if found.in_remote:
                continue
            why = (
                f"the DVC remote could not be asked ({found.problem})"
                if found.problem
                else f"the DVC remote does not hold it (md5 {artifact.md5})"
            )
            findings.append(
                rule("GF232").finding(
                    event.path,
                    ctx.line(event, "spec", "artifacts", i),
                    f"{version.ref} enters {stage.value}, whose policy requires its artifact "
                    f"in the DVC remote: {artifact.path}: {why}",
                    hint="dvc push it (gfops register does), or give CI the remote's credentials",
                )
            )
    return findings


def check_sha256(ctx: Context) -> list[Finding]:
    findings = []
    for event, version in _head_versions(ctx, _NEW):
        for i, artifact in enumerate(version.spec.artifacts):
            if artifact.sha256 is None:
                findings.append(
                    rule("GF233").finding(
                        event.path,
                        ctx.line(event, "spec", "artifacts", i),
                        f"{version.ref}: {artifact.path} has no sha256; a new registration "
                        "records one (MD5 alone can be collided on purpose)",
                        hint="register with gfops register, which records it",
                    )
                )
    checked = [(e, v) for e, v, _ in entering(ctx)]
    stored = ctx.stored_objects([a.md5 for _, v in checked for a in v.spec.artifacts])
    for event, version in checked:
        for i, artifact in enumerate(version.spec.artifacts):
            found = stored[artifact.md5]
            if found.md5 is None:
                continue  # not reachable from here: GF232 decides whether that is allowed
            where = "the DVC remote" if found.in_remote else "the DVC cache"
            bad = []
            if found.md5 != artifact.md5:
                bad.append(f"md5 {found.md5}")
            if artifact.sha256 is not None and found.sha256 != artifact.sha256:
                bad.append(f"sha256 {found.sha256}, not {artifact.sha256}")
            if bad:
                findings.append(
                    rule("GF233").finding(
                        event.path,
                        ctx.line(event, "spec", "artifacts", i),
                        f"{version.ref}: the bytes {where} holds for {artifact.path} hash to "
                        f"{' and '.join(bad)}: they are not the registered artifact",
                        hint="restore the object from a trusted copy (dvc push); never "
                        "re-register the version",
                    )
                )
    return findings
