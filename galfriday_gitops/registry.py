"""The consumer side: resolve which version serves, and load its exact, verified bytes.

A prediction service pins a revision, asks which version is in a stage, and loads the
artifact the registry approved — verified against the manifest's md5 before a single
byte is handed back (and its SHA-256, which ``gfops register`` records: MD5 collisions can
be made on purpose), so nothing unverified is ever deserialised::

    import json
    from galfriday_gitops import ArtifactIntegrityError, ModelStage, Registry

    registry = Registry("git@github.com:acme/model-registry.git", rev="main")
    version = registry.resolve("price-direction", stage=ModelStage.PRODUCTION)
    raw = registry.load_artifact(version)         # bytes, md5+sha256-checked (or an exception)
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
remote configured at that commit) and compares the md5 and SHA-256 with the manifest: a
mismatch raises ``ArtifactIntegrityError`` naming the file, the algorithm and both
digests. ``dvc`` is imported only there, so resolving stays light.

Every error is a :class:`RegistryError`: a missing path, a folder that is not a git
repository or a URL that cannot be cloned (:class:`RepositoryError`), a revision that
does not exist (:class:`UnknownRevisionError`), a question with no single answer
(:class:`ResolveError`), an artifact DVC cannot read or whose bytes do not match.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from galfriday_gitops import gitio
from galfriday_gitops.errors import UserError
from galfriday_gitops.gitio import GitError
from galfriday_gitops.load.folders import model_names
from galfriday_gitops.load.state import RegistryState, load_state
from galfriday_gitops.paths import is_name, model_dir
from galfriday_gitops.query import Manifest, Query, QueryError, Row, run, unknown_model
from galfriday_gitops.stages import ModelStage
from galfriday_gitops.uri import InvalidModelURI, ModelURI, parse_uri

if TYPE_CHECKING:  # the schema (pydantic) loads when a version is first returned
    from galfriday_gitops.load.entry import Entry
    from galfriday_gitops.resources import ModelVersion

T = TypeVar("T")

__all__ = [
    "ArtifactIntegrityError",
    "ArtifactUnavailableError",
    "ModelEvent",
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
    """The bytes read do not match the manifest's md5 or SHA-256: nothing was returned."""

    def __init__(
        self, path: str, expected: str, actual: str, size: int, algorithm: str = "md5"
    ) -> None:
        why = " (an md5 collision: the bytes were swapped)" if algorithm == "sha256" else ""
        super().__init__(
            f"{path}: {algorithm} mismatch{why}: the manifest says {expected}, the bytes read "
            f"({size} bytes) hash to {actual}; refusing to return them"
        )
        self.path = path
        self.expected = expected
        self.actual = actual
        self.algorithm = algorithm


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


@dataclass(frozen=True, slots=True)
class ModelEvent:
    """One audited change of a model on the registry's branch (``Registry.history``)."""

    when: dt.datetime  # committer date of the first-parent commit (when it reached the branch)
    event: str  # registered | stage-changed | deleted | renamed
    version: str
    from_stage: str | None
    to_stage: str | None
    pr: int | None
    approvers: tuple[str, ...]
    approved: bool  # tagged, and the tag records the approvals the base policy asked for
    commit: str
    tags: tuple[str, ...]  # the audit tags that record it (empty: untagged)


class Registry:
    """A model registry at one commit: a local repository path or a git URL.

    Every question about one model reads only that model's folder; only :meth:`find`
    (a question about all of them) reads the whole registry.
    """

    def __init__(
        self,
        source: str | os.PathLike[str],
        rev: str = "main",
        *,
        as_of: dt.datetime | None = None,
        cache_dir: Path | None = None,
        refresh: bool = True,
    ) -> None:
        """Resolve ``rev`` to a commit now; clone/fetch first when ``source`` is a URL.

        ``as_of``: the registry as ``rev`` held it at that instant — the newest commit on
        its first-parent line committed at or before it (on GitHub, the time a pull request
        was merged; a naive datetime is UTC). See docs/design-notes.md, "As of a date".
        """
        text = os.fspath(source)
        self.url: str | None = text if is_git_url(text) else None
        self.rev = rev
        self.as_of = as_of
        self.git_dir = self._open(text, cache_dir or default_cache_dir(), refresh)
        try:
            self.commit = gitio.rev_parse(self.git_dir, rev)
        except GitError:
            raise UnknownRevisionError(
                f"no revision {rev!r} (or not a commit) in {self._source}"
            ) from None
        if as_of is not None:
            self.commit = self._commit_at(as_of)
        self._models: dict[str, RegistryState] = {}
        self._names: list[str] | None = None

    def _commit_at(self, when: dt.datetime) -> str:
        stamp = when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)
        found = gitio.first_parent_at(self.git_dir, self.commit, int(stamp.timestamp()))
        if found is None:
            raise UnknownRevisionError(
                f"{self.rev} has no commit at or before {stamp.isoformat()} in {self._source}"
            )
        return found

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

    def _read(self, load: Callable[[], T]) -> T:
        try:
            return load()
        except UserError as exc:  # git failed while reading objects: a damaged repository
            raise RepositoryError(f"{self._source} at {self._at}: {exc}") from None

    def models(self) -> list[str]:
        """Every model name at this commit (its folder's name; nothing is parsed)."""
        if self._names is None:
            self._names = self._read(lambda: model_names(self.git_dir, self.commit))
        return self._names

    def _model(self, name: str) -> RegistryState:
        """That model's folder alone, loaded once; refused when missing or broken."""
        if name not in self._models:
            if not is_name(name):  # never a path: "../x" must not reach ls-tree
                raise ResolveError(unknown_model(name, self.models(), self._at))
            folder = model_dir(name)
            state = self._read(lambda: load_state(self.git_dir, self.commit, paths=[folder]))
            if not state.entries:
                raise ResolveError(unknown_model(name, self.models(), self._at))
            if state.findings:  # a broken manifest could hide the version that holds a stage
                first = state.findings[0]
                raise RegistryError(
                    f"{first.file}:{first.line} is invalid at {self._at}: {first.message}"
                )
            self._models[name] = state
        return self._models[name]

    def versions(self, name: str) -> list[ModelVersion]:
        """All versions of ``name``, oldest first (SemVer precedence)."""
        return self._model(name).versions_of(name)

    def stages(self, name: str) -> list[tuple[str, ModelStage]]:
        """(version, stage) of every version of ``name``, oldest first; builds no objects."""
        entries = self._model(name).entries_of(name)
        return [(e.index[2], ModelStage(e.index[3])) for e in entries if e.index is not None]

    def get(self, name: str, version: str) -> ModelVersion:
        """One version; ResolveError when it does not exist at this commit."""
        return self._resource(self._entry(ModelURI(name, version=version)))

    def resolve(self, uri: str, stage: ModelStage | str | None = None) -> ModelVersion:
        """The version ``uri`` names: ``name@stage``, ``name@1.2.0``, ``models:/name@stage``
        (:mod:`galfriday_gitops.uri`), or a bare ``name`` with ``stage`` (default
        production). ResolveError when no single version answers."""
        return self._resource(self._entry(self._uri(uri, stage)))

    def manifest(self, uri: str, stage: ModelStage | str | None = None) -> tuple[str, Manifest]:
        """(path, manifest as JSON data) of the version ``uri`` names, as :meth:`resolve`
        finds it, without building the pydantic object (what ``gfops show`` prints)."""
        entry = self._entry(self._uri(uri, stage))
        data = entry.data
        assert data is not None  # only valid entries are indexed
        return entry.path, data

    def _uri(self, uri: str, stage: ModelStage | str | None) -> ModelURI:
        try:
            parsed = parse_uri(uri)
        except InvalidModelURI as exc:
            raise ResolveError(str(exc)) from None
        if stage is not None and (parsed.stage or parsed.version):
            raise ResolveError(f"{uri!r} already names a version; pass no stage with it")
        if parsed.stage or parsed.version:
            return parsed
        return ModelURI(parsed.name, stage=_stage(stage or ModelStage.PRODUCTION))

    def _entry(self, uri: ModelURI) -> Entry:
        state = self._model(uri.name)
        entries = state.entries_of(uri.name)
        table = ", ".join(f"{e.index[2]} ({e.index[3]})" for e in entries if e.index)
        if uri.version is not None:
            found = state.entry(uri.name, uri.version)
            if found is None:
                raise ResolveError(
                    f"{uri.name} has no version {uri.version} at {self._at}; versions: {table}"
                )
            return found
        assert uri.stage is not None
        held = [e for e in entries if e.index is not None and e.index[3] == uri.stage.value]
        if len(held) == 1:
            return held[0]
        if not held:
            raise ResolveError(
                f"{uri.name} has no version in {uri.stage.value} at {self._at}; versions: {table}"
            )
        shown = ", ".join(e.index[2] for e in held if e.index)
        raise ResolveError(
            f"{uri.name} has {len(held)} versions in {uri.stage.value} at {self._at} ({shown}); "
            "expected exactly one"
        )

    @staticmethod
    def _resource(entry: Entry) -> ModelVersion:
        found = entry.resource
        assert found is not None and found.kind == "ModelVersion"
        return found

    def find(
        self,
        *,
        models: Sequence[str] = (),
        stages: Sequence[ModelStage | str] = (),
        labels: Mapping[str, str] | None = None,
        tags: Sequence[str] = (),
        where: Sequence[str] = (),
        sort: str | None = None,
        descending: bool = False,
    ) -> list[ModelVersion]:
        """Versions matching every filter (model name globs, any of ``stages``, every
        label, any of ``tags``, every metric expression such as ``"test.accuracy>=0.8"``),
        by name and version or sorted by a metric (``sort="test.accuracy"``)."""
        query = Query(models, stages, dict(labels or {}), tags, where, sort, descending)
        rows = self.query(query)
        state = self._everything()
        return [self._resource(state.entries[row.path]) for row in rows]

    def query(self, query: Query) -> list[Row]:
        """:meth:`find` as rows of manifest data (what ``gfops ls`` prints); no objects."""
        try:
            return run(self._everything(), query)
        except QueryError as exc:
            raise ResolveError(str(exc)) from None

    def _everything(self) -> RegistryState:
        if "" not in self._models:
            self._models[""] = self._read(lambda: load_state(self.git_dir, self.commit))
        return self._models[""]

    def history(self, name: str) -> list[ModelEvent]:
        """Every audited change of ``name`` on this registry's branch up to its commit,
        oldest first: registrations and stage changes, with PR, approvers and tags."""
        from galfriday_gitops.audit.history import timeline

        if not is_name(name):
            raise ResolveError(unknown_model(name, self.models(), self._at))
        changes = self._read(lambda: timeline(self.git_dir, self.commit, name))
        if not changes and name not in self.models():  # deleted models keep their history
            raise ResolveError(unknown_model(name, self.models(), self._at))
        return [_event(c.to_dict()) for c in changes]

    def load_artifact(self, version: ModelVersion, artifact_index: int = 0) -> bytes:
        """The bytes of one artifact of ``version``, read through DVC at this commit.

        The md5 and, where the manifest records one, the SHA-256 are checked against the
        manifest *at this commit* before anything is returned; a mismatch raises
        ArtifactIntegrityError. (MD5 alone is not enough: colliding files can be made on
        purpose. A manifest written before ``gfops register`` recorded SHA-256 is checked by
        md5 only.)
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

        md5, sha256 = hashlib.md5(usedforsecurity=False), hashlib.sha256()
        buffer = bytearray()
        try:
            with dvc.api.open(
                artifact.path, repo=str(self.git_dir), rev=self.commit, mode="rb"
            ) as fh:
                for chunk in iter(lambda: fh.read(_CHUNK), b""):
                    md5.update(chunk)
                    sha256.update(chunk)
                    buffer += chunk
        except Exception as exc:  # DVC's error types vary by backend; one clear error instead
            raise ArtifactUnavailableError(
                f"{artifact.path} at {self._at}: DVC could not read it: {type(exc).__name__}: {exc}"
            ) from exc
        # Manifests from before sha256 was recorded are checked by md5 only.
        wrong = artifact.mismatch(md5.hexdigest(), sha256.hexdigest())
        if wrong is not None:
            algorithm, expected, actual = wrong
            size = len(buffer)
            buffer.clear()  # drop the unverified bytes right away
            raise ArtifactIntegrityError(artifact.path, expected, actual, size, algorithm)
        return bytes(buffer)

    @property
    def _at(self) -> str:
        return f"{self.rev} ({self.commit[:12]})"


def _event(row: dict[str, Any]) -> ModelEvent:
    when = dt.datetime.fromisoformat(str(row["when"]).replace("Z", "+00:00"))
    return ModelEvent(
        when=when,
        event=row["event"],
        version=row["version"],
        from_stage=row["from"],
        to_stage=row["to"],
        pr=row["pr"],
        approvers=tuple(row["approvers"]),
        approved=bool(row["approved"]),
        commit=row["commit"],
        tags=tuple(row["tags"]),
    )


def _stage(stage: ModelStage | str) -> ModelStage:
    if isinstance(stage, ModelStage):
        return stage
    try:
        return ModelStage(stage)
    except ValueError:
        valid = ", ".join(s.value for s in ModelStage)
        raise ResolveError(f"unknown stage {stage!r}; valid stages: {valid}") from None
