"""Backup and restore of a registry: a git bundle with every ref, a manifest, an artifact check.

``backup`` writes ``registry.bundle`` (``git bundle create --all``: branches, the audit
tags written by ``gfops apply``, every other ref) and ``manifest.json`` (format, time,
source HEAD, every ref with its object id, the bundle's sha256, and the artifact check).
The git bundle holds the registry's history, never the model bytes: those live in the
DVC remote, so the backup also reads every artifact of a live (canary/production)
version out of the remote (DVC 3's layout or DVC 2's, any remote type DVC speaks) and
checks its md5 and, where the manifest records one, its SHA-256: a missing or swapped
object fails the backup.

``restore`` checks the bundle's sha256 against the manifest, fetches every ref into a fresh
repository (same names, same object ids: audit tags and their hash chain stay verifiable),
checks out the source's HEAD branch and compares the refs with the manifest.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from galfriday_gitops import dvcio, dvcobjects, gitio
from galfriday_gitops.errors import UserError
from galfriday_gitops.resources import Artifact, ModelVersion

FORMAT = "galfriday-backup/v1"
BUNDLE = "registry.bundle"
MANIFEST = "manifest.json"


@dataclass(frozen=True, slots=True)
class ArtifactCheck:
    model: str
    version: str
    stage: str
    path: str
    md5: str
    status: str  # present (bytes verified) | missing | corrupt
    detail: str

    def as_json(self) -> dict[str, str]:
        return {
            "model": self.model,
            "version": self.version,
            "stage": self.stage,
            "path": self.path,
            "md5": self.md5,
            "status": self.status,
            "detail": self.detail,
        }


def _refs(repo: Path) -> dict[str, str]:
    out = gitio.git_text(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    refs: dict[str, str] = {}
    for line in out.splitlines():
        ref, _, sha = line.partition(" ")
        if ref:
            refs[ref] = sha
    return refs


def _is_audit_tag(ref: str) -> bool:
    """A tag of the audit trail: GTO's names (name@vX.Y.Z, name#stage#N, ...) or a commit
    record (gfops/commit/<sha>)."""
    from galfriday_gitops.apply.tags import parse, recorded_commit

    name = ref.removeprefix("refs/tags/")
    return ref.startswith("refs/tags/") and (
        parse(name) is not None or recorded_commit(name) is not None
    )


def _empty_target(path: Path, what: str) -> None:
    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UserError(f"{what} {path} exists and is not an empty folder")


def check_artifacts(repo: Path, rev: str) -> tuple[list[ArtifactCheck], dict[str, str] | None]:
    """Every artifact of a live version at ``rev``: whether the DVC remote holds it, and
    whether the bytes it holds are the ones the manifest pins (md5, and SHA-256 where the
    manifest records it). The objects are read from the remote, never the local cache."""
    from galfriday_gitops.load.state import load_state

    state = load_state(repo, rev)
    live = [(v, a) for v in state.all_versions() if v.stage.is_live for a in v.spec.artifacts]
    remote = dvcio.default_remote(repo)
    if remote is None:
        detail = "no DVC remote configured: nothing holds the model bytes"
        return [_check(v, a, "missing", detail) for v, a in live], None
    stored = dvcobjects.stored_objects(repo, sorted({a.md5 for _, a in live}))
    problem = next((o.problem for o in stored.values() if o.problem), None)
    if problem is not None:
        raise UserError(f"checking the DVC remote {remote[0]!r} failed: {problem}")
    checks = [
        _verified(v, a, stored[a.md5]) if stored[a.md5].in_remote else _check(v, a, "missing", "")
        for v, a in live
    ]
    return checks, {"name": remote[0], "url": remote[1]}


def _check(version: ModelVersion, artifact: Artifact, status: str, detail: str) -> ArtifactCheck:
    if status == "missing" and not detail:
        detail = f"not in the DVC remote (md5 {artifact.md5})"
    return ArtifactCheck(
        version.name, version.version, version.stage.value, artifact.path, artifact.md5,
        status, detail,
    )  # fmt: skip


def _verified(
    version: ModelVersion, artifact: Artifact, stored: dvcobjects.StoredObject
) -> ArtifactCheck:
    """``present`` when the remote's bytes hash to the manifest's md5 and SHA-256,
    ``corrupt`` (naming what differs) when not."""
    if stored.md5 != artifact.md5:
        detail = f"the remote's object hashes to md5 {stored.md5}"
        return _check(version, artifact, "corrupt", detail)
    if artifact.sha256 is None:
        return _check(version, artifact, "present", "md5 verified (the manifest has no sha256)")
    if stored.sha256 != artifact.sha256:
        detail = (
            f"the remote's object has the right md5 but sha256 {stored.sha256}, not "
            f"{artifact.sha256}: a colliding file was swapped in"
        )
        return _check(version, artifact, "corrupt", detail)
    return _check(version, artifact, "present", "md5 and sha256 verified")


def backup(repo: Path, target: Path, *, rev: str = "HEAD") -> dict[str, Any]:
    """Write the bundle and manifest into ``target`` (new or empty); returns the manifest."""
    _empty_target(target, "--to")
    commit = gitio.rev_parse(repo, rev)
    checks, remote = check_artifacts(repo, rev)
    target.mkdir(parents=True, exist_ok=True)
    bundle = target / BUNDLE
    gitio.git(repo, "bundle", "create", "--quiet", str(bundle.absolute()), "--all")
    head = gitio.git(repo, "symbolic-ref", "--quiet", "HEAD", check=False).decode().strip()
    refs = _refs(repo)
    listed = gitio.git_text(repo, "bundle", "list-heads", str(bundle.absolute()))
    in_bundle = {ref: sha for sha, ref in (line.split(" ", 1) for line in listed.splitlines())}
    absent = sorted(set(refs) - set(in_bundle))
    if absent:
        raise UserError(f"the bundle lacks {len(absent)} ref(s), e.g. {absent[0]}")
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "createdAt": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "source": str(repo.absolute()),
        "head": head or None,
        "rev": rev,
        "commit": commit,
        "bundle": {
            "file": BUNDLE,
            "sha256": dvcio.sha256_of(bundle),
            "size": bundle.stat().st_size,
        },
        "refs": refs,
        "counts": {
            "branches": sum(r.startswith("refs/heads/") for r in refs),
            "tags": sum(r.startswith("refs/tags/") for r in refs),
            "auditTags": sum(_is_audit_tag(r) for r in refs),
        },
        "dvcRemote": remote,
        "artifacts": [c.as_json() for c in checks],
        "missingArtifacts": sum(c.status != "present" for c in checks),
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def restore(source: Path, target: Path) -> dict[str, Any]:
    """Recreate the repository of a backup in ``target`` (new or empty); returns the manifest."""
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UserError(f"{source / MANIFEST}: unreadable backup manifest ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise UserError(f"{source / MANIFEST}: not a {FORMAT} manifest")
    bundle = source / BUNDLE
    if not bundle.is_file():
        raise UserError(f"{bundle}: missing")
    if dvcio.sha256_of(bundle) != manifest["bundle"]["sha256"]:
        raise UserError(f"{bundle}: sha256 differs from the manifest; the backup is damaged")
    _empty_target(target, "--to")
    target.mkdir(parents=True, exist_ok=True)
    head = manifest.get("head") or "refs/heads/main"
    gitio.git(target, "init", "--quiet", f"--initial-branch={head.removeprefix('refs/heads/')}")
    gitio.git(target, "bundle", "verify", "--quiet", str(bundle.absolute()))
    # Same ref names as the source (not refs/remotes/...): the restored repo *is* the registry.
    gitio.git(
        target, "fetch", "--quiet", "--update-head-ok", str(bundle.absolute()), "+refs/*:refs/*"
    )
    gitio.git(target, "reset", "--quiet", "--hard", "HEAD")
    restored = _refs(target)
    if restored != manifest["refs"]:
        differ = sorted(set(restored.items()) ^ set(manifest["refs"].items()))
        raise UserError(f"restored refs differ from the manifest, e.g. {differ[0][0]}")
    return manifest
