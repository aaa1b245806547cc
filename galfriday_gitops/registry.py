"""The consumer side: resolve which version serves, and load its exact, verified bytes.

A prediction service pins a revision, asks which version is in a stage, and loads the
artifact the registry approved — verified against the manifest's md5 before a single
byte is handed back, so nothing unverified is ever deserialised::

    import json
    from galfriday_gitops import ArtifactIntegrityError, ModelStage, Registry

    registry = Registry("git@github.com:acme/model-registry.git", rev="main")
    version = registry.resolve("price-direction", stage=ModelStage.PRODUCTION)
    raw = registry.load_artifact(version)         # bytes, md5-checked (or an exception)
    model = json.loads(raw)                       # deserialise only after the check
    log.info("serving %s at %s", version.ref, registry.commit)

``Registry(path_or_url, rev="main")`` resolves ``rev`` to one commit when it is built
and answers every question from that commit's git objects (never a work tree), so a
service sees one consistent registry until it builds a new ``Registry`` (e.g. on a
reload signal). A URL is cloned bare into a cache folder (``cache_dir``, else
``$GALFRIDAY_CACHE_DIR``, else ``$XDG_CACHE_HOME/galfriday-gitops`` or
``~/.cache/galfriday-gitops``) and fetched on later runs; a full clone of the git part
is small because artifacts live in DVC, and a ``--filter=blob:none`` partial clone
would fetch manifests one object at a time when they are read.

``load_artifact`` reads through ``dvc.api`` at the same commit (the DVC cache, else the
remote configured at that commit) and compares the md5 with the manifest: a mismatch
raises ``ArtifactIntegrityError`` naming the file and both digests. ``dvc`` is imported
only there, so resolving stays light.

Every error is a :class:`RegistryError`: a missing path, a folder that is not a git
repository or a URL that cannot be cloned (:class:`RepositoryError`), a revision that
does not exist (:class:`UnknownRevisionError`), a question with no single answer
(:class:`ResolveError`), an artifact DVC cannot read or whose bytes do not match.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.errors import UserError
from galfriday_gitops.gitio import GitError
from galfriday_gitops.load.state import RegistryState, load_state
from galfriday_gitops.paths import model_dir
from galfriday_gitops.resources import ModelStage, ModelVersion

__all__ = [
    "ArtifactIntegrityError",
    "ArtifactUnavailableError",
    "Registry",
    "RegistryError",
    "RepositoryError",
    "ResolveError",
    "UnknownRevisionError",
]

_SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:")
_USERINFO = re.compile(r"(?<=://)[^/@]*@")
_CHUNK = 1 << 20


class RegistryError(Exception):
    """Base class of the consumer API's errors."""


class RepositoryError(RegistryError):
    """The source cannot be read: no such path, not a git repository, or a URL that
    cannot be cloned or fetched."""


class UnknownRevisionError(RegistryError, LookupError):
    """The revision does not exist in the repository (or is not a commit)."""


class ResolveError(RegistryError, LookupError):
    """No single version answers the question (none, several, or unknown name/version)."""


class ArtifactUnavailableError(RegistryError):
    """DVC could not read the artifact (not in the cache, remote unreachable, ...)."""


class ArtifactIntegrityError(RegistryError):
    """The bytes read do not match the manifest's md5: nothing was returned."""

    def __init__(self, path: str, expected: str, actual: str, size: int) -> None:
        super().__init__(
            f"{path}: md5 mismatch: the manifest says {expected}, the bytes read "
            f"({size} bytes) hash to {actual}; refusing to return them"
        )
        self.path = path
        self.expected = expected
        self.actual = actual


def is_git_url(source: str) -> bool:
    """``https://...``, ``ssh://...``, ``file://...`` or scp-like ``git@host:path``."""
    return "://" in source or bool(_SCP_LIKE.match(source))


def redact(url: str) -> str:
    """``url`` without the user and password part, fit to print (tokens are never shown)."""
    return _USERINFO.sub("***@", url)


def default_cache_dir() -> Path:
    explicit = os.environ.get("GALFRIDAY_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "galfriday-gitops"


def _mirror(url: str, cache_dir: Path, refresh: bool) -> Path:
    """A bare clone of ``url`` in ``cache_dir``, created once, fetched when ``refresh``."""
    key = hashlib.sha256(url.encode()).hexdigest()[:16]
    target = cache_dir / "repos" / f"{key}.git"
    if target.is_dir():
        if refresh:
            gitio.git(
                target,
                "fetch",
                "--quiet",
                "--prune",
                "--force",
                url,
                "+refs/heads/*:refs/heads/*",
                "+refs/tags/*:refs/tags/*",
            )
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    # Clone next to the target, then rename: a concurrent consumer never sees half a clone.
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=target.parent))
    try:
        gitio.git(target.parent, "clone", "--quiet", "--bare", "--", url, str(tmp / "repo.git"))
        try:
            (tmp / "repo.git").rename(target)
        except OSError:
            if not target.is_dir():  # lost a race to another process: use its clone
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


class Registry:
    """A model registry at one commit: a local repository path or a git URL."""

    def __init__(
        self,
        source: str | os.PathLike[str],
        rev: str = "main",
        *,
        cache_dir: Path | None = None,
        refresh: bool = True,
    ) -> None:
        """Resolve ``rev`` to a commit now; clone/fetch first when ``source`` is a URL."""
        text = os.fspath(source)
        self.url: str | None = text if is_git_url(text) else None
        self.rev = rev
        self.git_dir = self._open(text, cache_dir or default_cache_dir(), refresh)
        try:
            self.commit = gitio.rev_parse(self.git_dir, rev)
        except GitError:
            raise UnknownRevisionError(
                f"no revision {rev!r} (or not a commit) in {self._source}"
            ) from None
        try:
            self._state: RegistryState = load_state(self.git_dir, self.commit)
        except UserError as exc:  # git failed while reading objects: a damaged repository
            raise RepositoryError(f"{self._source} at {self._at}: {exc}") from None

    def _open(self, text: str, cache_dir: Path, refresh: bool) -> Path:
        """The git directory to read: the local repository, or the URL's cached clone."""
        if self.url is not None:
            try:
                return _mirror(text, cache_dir, refresh)
            except (GitError, OSError) as exc:
                said = str(exc).replace(text, redact(text))
                raise RepositoryError(f"cannot clone or fetch {redact(text)}: {said}") from None
        path = Path(text)
        if not path.is_dir():
            raise RepositoryError(f"{path}: no such directory")
        try:
            gitio.git_dir(path)
        except GitError:
            raise RepositoryError(f"{path} is not a git repository") from None
        return path

    @property
    def _source(self) -> str:
        return redact(self.url) if self.url is not None else str(self.git_dir)

    def __repr__(self) -> str:
        return f"Registry({self._source!r}, commit={self.commit[:12]!r})"

    def models(self) -> list[str]:
        """Every model name at this commit."""
        return self._state.models()

    def versions(self, name: str) -> list[ModelVersion]:
        """All versions of ``name``, oldest first (SemVer precedence)."""
        self._check_model(name)
        return self._state.versions_of(name)

    def get(self, name: str, version: str) -> ModelVersion:
        """One version; ResolveError when it does not exist at this commit."""
        self._check_model(name)
        found = self._state.get(name, version)
        if found is None:
            known = ", ".join(v.version for v in self._state.versions_of(name))
            raise ResolveError(f"{name} has no version {version} at {self._at}; versions: {known}")
        return found

    def resolve(self, name: str, stage: ModelStage | str = ModelStage.PRODUCTION) -> ModelVersion:
        """The one version of ``name`` in ``stage``; ResolveError for none or several."""
        wanted = _stage(stage)
        self._check_model(name)
        found = self._state.in_stage(name, wanted)
        if len(found) == 1:
            return found[0]
        if not found:
            table = ", ".join(
                f"{v.version} ({v.stage.value})" for v in self._state.versions_of(name)
            )
            raise ResolveError(
                f"{name} has no version in {wanted.value} at {self._at}; versions: {table}"
            )
        shown = ", ".join(v.version for v in found)
        raise ResolveError(
            f"{name} has {len(found)} versions in {wanted.value} at {self._at} ({shown}); "
            "expected exactly one"
        )

    def load_artifact(self, version: ModelVersion, artifact_index: int = 0) -> bytes:
        """The bytes of one artifact of ``version``, read through DVC at this commit.

        The md5 is checked against the manifest *at this commit* before anything is
        returned; a mismatch raises ArtifactIntegrityError.
        """
        pinned = self.get(version.name, version.version)
        if pinned != version:
            raise RegistryError(
                f"{version.ref} differs from its manifest at {self._at}; "
                "pass a version obtained from this Registry"
            )
        artifacts = pinned.spec.artifacts
        if not 0 <= artifact_index < len(artifacts):
            raise RegistryError(
                f"{pinned.ref} has {len(artifacts)} artifact(s); no index {artifact_index}"
            )
        artifact = artifacts[artifact_index]
        import dvc.api  # heavy (~0.5 s): only when an artifact is actually loaded

        digest = hashlib.md5(usedforsecurity=False)
        buffer = bytearray()
        try:
            with dvc.api.open(
                artifact.path, repo=str(self.git_dir), rev=self.commit, mode="rb"
            ) as fh:
                for chunk in iter(lambda: fh.read(_CHUNK), b""):
                    digest.update(chunk)
                    buffer += chunk
        except Exception as exc:  # DVC's error types vary by backend; one clear error instead
            raise ArtifactUnavailableError(
                f"{artifact.path} at {self._at}: DVC could not read it: {type(exc).__name__}: {exc}"
            ) from exc
        actual = digest.hexdigest()
        if actual != artifact.md5:
            size = len(buffer)
            buffer.clear()  # drop the unverified bytes right away
            raise ArtifactIntegrityError(artifact.path, artifact.md5, actual, size)
        return bytes(buffer)

    @property
    def _at(self) -> str:
        return f"{self.rev} ({self.commit[:12]})"

    def _check_model(self, name: str) -> None:
        if name not in self._state.models():
            known = ", ".join(self._state.models()) or "none"
            raise ResolveError(f"no model {name!r} at {self._at}; models: {known}")
        broken = [f for f in self._state.findings if f.file.startswith(model_dir(name) + "/")]
        if broken:  # a broken manifest could hide the version that really holds a stage
            first = broken[0]
            raise RegistryError(
                f"{first.file}:{first.line} is invalid at {self._at}: {first.message}"
            )


def _stage(stage: ModelStage | str) -> ModelStage:
    if isinstance(stage, ModelStage):
        return stage
    try:
        return ModelStage(stage)
    except ValueError:
        valid = ", ".join(s.value for s in ModelStage)
        raise ResolveError(f"unknown stage {stage!r}; valid stages: {valid}") from None
