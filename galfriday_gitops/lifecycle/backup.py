"""Backup and restore of a registry: a git bundle with every ref, a manifest, an artifact check.

``backup`` writes ``registry.bundle`` (``git bundle create --all``: branches, the audit
tags written by ``gfops apply``, every other ref) and ``manifest.json`` (format, time,
source HEAD, every ref with its object id, the bundle's sha256, and the artifact check).
The git bundle holds the registry's history, never the model bytes: those live in the
DVC remote, so the backup also checks that every artifact of a live (canary/production)
version is there. A local remote is checked by path (``files/md5/<2>/<30>``, DVC 3; the
DVC 2 layout ``<2>/<30>`` also counts); any other remote through ``dvc status --cloud``.

``restore`` checks the bundle's sha256 against the manifest, fetches every ref into a fresh
repository (same names, same object ids: audit tags and their hash chain stay verifiable),
checks out the source's HEAD branch and compares the refs with the manifest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from galfriday_gitops import gitio
from galfriday_gitops.errors import UserError

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
    status: str  # present | missing | unchecked
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


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def dvc_remote(repo: Path) -> tuple[str, str] | None:
    """(name, url) of the default DVC remote, or None when the repo has none."""
    from galfriday_gitops import dvcio

    if not (repo / ".dvc").is_dir():
        return None
    # `dvc config` prints one raw value; `dvc remote list` wraps long paths at terminal width.
    try:
        name = dvcio.dvc(repo, "config", "core.remote").strip()
        url = dvcio.dvc(repo, "config", f"remote.{name}.url").strip() if name else ""
    except UserError:
        return None
    return (name, url) if name and url else None


def _local_path(url: str, repo: Path) -> Path | None:
    if url.startswith("file://"):
        return Path(url.removeprefix("file://"))
    if "://" in url:
        return None
    path = Path(url)
    # `dvc remote list` prints local remotes resolved; a raw relative one is relative to .dvc/.
    return path if path.is_absolute() else (repo / ".dvc" / path).resolve()


def check_artifacts(repo: Path, rev: str) -> tuple[list[ArtifactCheck], dict[str, str] | None]:
    """Every artifact of a live version at ``rev``, and whether the DVC remote has it."""
    from galfriday_gitops.load.state import load_state

    state = load_state(repo, rev)
    live = [v for v in state.all_versions() if v.stage.is_live]
    remote = dvc_remote(repo)
    checks: list[ArtifactCheck] = []
    root = _local_path(remote[1], repo) if remote else None
    remote_status = _cloud_status(repo, remote[0]) if remote and root is None else {}
    for version in live:
        for artifact in version.spec.artifacts:
            md5 = artifact.md5

            def found(status: str, detail: str, v: Any = version, a: Any = artifact) -> None:
                checks.append(
                    ArtifactCheck(v.name, v.version, v.stage.value, a.path, a.md5, status, detail)
                )

            if remote is None:
                found("missing", "no DVC remote configured: nothing holds the model bytes")
            elif root is not None:
                candidates = [root / "files" / "md5" / md5[:2] / md5[2:], root / md5[:2] / md5[2:]]
                hit = next((c for c in candidates if c.is_file()), None)
                if hit is not None:
                    found("present", f"{hit}")
                else:
                    found("missing", f"not in {root} (files/md5/{md5[:2]}/{md5[2:]})")
            else:
                said = remote_status.get(artifact.path)
                if said in ("new", "missing"):
                    found("missing", f"dvc status --cloud: {said}")
                elif said is None and not (repo / f"{artifact.path}.dvc").is_file():
                    found("unchecked", "no .dvc file in the work tree to ask dvc status about")
                else:
                    found("present", f"dvc status --cloud: {said or 'in sync'}")
    return checks, ({"name": remote[0], "url": remote[1]} if remote else None)


def _cloud_status(repo: Path, name: str) -> dict[str, str]:
    from galfriday_gitops import dvcio

    try:
        out = dvcio.dvc(repo, "status", "--cloud", "--json", "-r", name)
    except UserError as exc:
        raise UserError(f"checking the DVC remote {name!r} failed: {exc}") from None
    data = json.loads(out or "{}")
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


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
        "bundle": {"file": BUNDLE, "sha256": _sha256(bundle), "size": bundle.stat().st_size},
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
    if _sha256(bundle) != manifest["bundle"]["sha256"]:
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
