"""What every rule sees: both states, the events, the reviews, the clock, and the few
facts beyond the two states that a rule may ask for.

Policies and teams are always taken from ``base``: a pull request is judged by the
rules in force before it, never by the rules it brings.

Rules do no I/O, so ``judge`` is a function of its context. What a rule needs from
history or from other files (production periods, ``.dvc`` files) is a :class:`Sources`
the engine wires to the loaders; the context computes each fact on first use and keeps
it. The shapes the rules read are declared here (``Period``, ``TrackedFile``), so no rule
module imports a loader, not even for a type.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, cast

from galfriday_gitops.diff.events import Event
from galfriday_gitops.findings import Finding
from galfriday_gitops.forge.codeowners import CodeOwners
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.resources import (
    Artifact,
    Experiment,
    ExperimentOutcome,
    ModelStage,
    ModelVersion,
    StagePolicy,
    StageRules,
    Teams,
)
from galfriday_gitops.rules.reviews import PullRequestFacts, ReviewVerdict, evaluate_reviews

Side = Literal["base", "head"]


class Period(Protocol):
    """A stretch of history with one set of production versions
    (``load.history.ProductionPeriod``)."""

    @property
    def versions(self) -> tuple[str, ...]: ...


class TrackedOutput(Protocol):
    """One output a ``.dvc`` file tracks (``dvcio.Output``)."""

    @property
    def path(self) -> str: ...

    @property
    def md5(self) -> str | None: ...

    @property
    def size(self) -> int | None: ...


class TrackedFile(Protocol):
    """A parsed ``.dvc`` file (``dvcio.DvcFile``): every output, in order."""

    @property
    def outs(self) -> Sequence[TrackedOutput]: ...


class Evidence(Protocol):
    """A concluded experiment recomputed from its data (``experiments.evidence.Evidence``):
    the result block the data gives, or why it cannot be told."""

    @property
    def outcome(self) -> ExperimentOutcome | None: ...

    @property
    def problem(self) -> str | None: ...


# What ``Sources.tracked_md5`` answers for a file inside a folder DVC tracks as one output:
# tracked, but its own md5 is in the folder's listing, which the gate does not read.
IN_TRACKED_FOLDER = "in-a-tracked-folder"


def _no_evidence(_experiment: Experiment) -> Evidence:
    raise NotImplementedError("no experiment evidence source was wired")


class ArtifactEntry(Protocol):
    """An entry of ``dvc.yaml``'s ``artifacts:`` (``dvcyaml.ArtifactEntry``)."""

    @property
    def path(self) -> str | None: ...


class StoredObject(Protocol):
    """Where DVC finds one object, and what its bytes hash to (``dvcobjects.StoredObject``)."""

    @property
    def in_remote(self) -> bool: ...

    @property
    def md5(self) -> str | None: ...  # of the bytes read (remote first, else the cache)

    @property
    def sha256(self) -> str | None: ...

    @property
    def problem(self) -> str | None: ...  # why the remote could not be asked


def _unwired(what: str) -> NotImplementedError:
    return NotImplementedError(f"no {what} source was wired: the engine provides it")


def _no_changed_paths() -> Sequence[str]:
    raise _unwired("changed-paths")


def _no_registrations(_name: str, _version: str) -> Sequence[tuple[Artifact, ...] | None]:
    raise _unwired("past-registrations")


def _no_dvc_artifacts() -> Mapping[str, ArtifactEntry]:
    raise _unwired("dvc.yaml")


def _no_objects(_md5s: Sequence[str]) -> Mapping[str, StoredObject]:
    raise _unwired("DVC object")


@dataclass(frozen=True, slots=True)
class Sources:
    """Loaders for facts beyond the two states (the engine provides the real ones)."""

    # name -> periods of production versions along the base's first parents, oldest first
    production_periods: Callable[[str], Sequence[Period]]
    # path -> the .dvc file at head, None when there is none; UserError when unreadable
    dvc_file: Callable[[str], TrackedFile | None]
    # "base" | "head" -> the CODEOWNERS file GitHub would use there, None without one
    code_owners: Callable[[Side], CodeOwners | None] = lambda _side: None
    # a concluded experiment (the declaration with its recorded result) -> its recomputation
    experiment_evidence: Callable[[Experiment], Evidence] = _no_evidence
    # a data path -> the md5 the head revision tracks for it (its .dvc file, else dvc.lock),
    # IN_TRACKED_FOLDER inside a tracked folder, None when DVC does not track it there;
    # UserError when that cannot be read
    tracked_md5: Callable[[str], str | None] = lambda _path: None
    # "base" | "head" -> the load findings of its stage policies against its teams (GF115/116)
    policy_findings: Callable[[Side], list[Finding]] = lambda _side: []
    # every path that differs between base and head
    changed_paths: Callable[[], Sequence[str]] = _no_changed_paths
    # (name, version) -> the artifacts that version had wherever it existed on the base's
    # first parents or under an audit tag, oldest first; None where they cannot be told
    registered_before: Callable[[str, str], Sequence[tuple[Artifact, ...] | None]] = (
        _no_registrations
    )
    # the root dvc.yaml's artifacts entries at head ({} without one); UserError if unreadable
    dvc_artifacts: Callable[[], Mapping[str, ArtifactEntry]] = _no_dvc_artifacts
    # md5s -> where DVC finds each object and what it hashes to (the remote, else the cache)
    stored_objects: Callable[[Sequence[str]], Mapping[str, StoredObject]] = _no_objects


@dataclass
class Context:
    base: RegistryState
    head: RegistryState
    events: list[Event]
    pull: PullRequestFacts | None  # None: no review data (approval rules fail closed)
    sources: Sources = field(repr=False)  # required: no history must never read as "none"
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    memo: dict[str, object] = field(default_factory=dict, repr=False)  # per-change results
    _periods: dict[str, Sequence[Period]] = field(default_factory=dict, init=False, repr=False)
    _dvc_files: dict[str, TrackedFile | None] = field(default_factory=dict, init=False, repr=False)
    _owners: dict[Side, CodeOwners | None] = field(default_factory=dict, init=False, repr=False)
    _evidence: dict[str, Evidence] = field(default_factory=dict, init=False, repr=False)
    _tracked: dict[str, str | None] = field(default_factory=dict, init=False, repr=False)
    _policy_findings: dict[Side, list[Finding]] = field(
        default_factory=dict, init=False, repr=False
    )
    _facts: dict[object, object] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        self.teams: Teams | None = self.base.teams()
        self.reviews: list[ReviewVerdict] | None = (
            evaluate_reviews(self.pull, self.teams) if self.pull is not None else None
        )

    def policies(self, version: ModelVersion) -> list[StagePolicy]:
        """The base revision's stage policies that govern this version."""
        return self.base.policies_for(version)

    def policy(self, version: ModelVersion) -> StagePolicy | None:
        return self.base.policy_for(version)

    def stage_rules(self, version: ModelVersion, stage: ModelStage) -> StageRules | None:
        policy = self.policy(version)
        return policy.spec.stages.get(stage) if policy is not None else None

    def head_version(self, event: Event) -> ModelVersion | None:
        if event.name is None or event.version is None:
            return None
        return self.head.get(event.name, event.version)

    def line(self, event: Event, *where: str | int) -> int:
        """Line of a field in the head's file (line 1 when the file is gone)."""
        return self.head.line_of(event.path, where) if event.path in self.head.entries else 1

    def production_periods(self, name: str) -> Sequence[Period]:
        """Which versions of ``name`` were in production along the base's first parents,
        oldest first (read on first use: only a rule that needs history pays for it)."""
        if name not in self._periods:
            self._periods[name] = self.sources.production_periods(name)
        return self._periods[name]

    def dvc_file(self, path: str) -> TrackedFile | None:
        """The ``.dvc`` file at ``path`` in the head revision (None when there is none);
        UserError, naming the file, when it is not a readable ``.dvc`` file."""
        if path not in self._dvc_files:
            self._dvc_files[path] = self.sources.dvc_file(path)
        return self._dvc_files[path]

    def code_owners(self, side: Side) -> CodeOwners | None:
        """The CODEOWNERS file GitHub would use at the base or the head (read on first use)."""
        if side not in self._owners:
            self._owners[side] = self.sources.code_owners(side)
        return self._owners[side]

    def experiment_evidence(self, experiment: Experiment) -> Evidence:
        """The concluded ``experiment`` recomputed from the data its result names (fetched
        and analysed on first use: only a change that concludes an experiment pays)."""
        key = experiment.model_dump_json()
        if key not in self._evidence:
            self._evidence[key] = self.sources.experiment_evidence(experiment)
        return self._evidence[key]

    def policy_findings(self, side: Side) -> list[Finding]:
        """Stage policies of the base or head that cannot mean what they say (GF115, GF116):
        load findings, computed on first use (a plain load does not check them)."""
        if side not in self._policy_findings:
            self._policy_findings[side] = self.sources.policy_findings(side)
        return self._policy_findings[side]

    def tracked_md5(self, path: str) -> str | None:
        """The md5 DVC records for ``path`` at the head (a ``.dvc`` file beside it, else a
        ``dvc.lock`` output); IN_TRACKED_FOLDER inside a tracked folder; None when untracked;
        UserError when unreadable."""
        if path not in self._tracked:
            self._tracked[path] = self.sources.tracked_md5(path)
        return self._tracked[path]

    def _once(self, key: object, load: Callable[[], object]) -> Any:
        if key not in self._facts:
            self._facts[key] = load()
        return self._facts[key]

    def changed_paths(self) -> Sequence[str]:
        """Every path the change touches, registry or not (``.dvc`` files, ``dvc.yaml``)."""
        return cast(Sequence[str], self._once("changed", self.sources.changed_paths))

    def registered_before(self, name: str, version: str) -> Sequence[tuple[Artifact, ...] | None]:
        """The artifacts ``name@version`` had wherever it existed on the base's first parents
        or under an audit tag (empty: it never existed there); None where they cannot be
        told. Read only when a registration asks."""
        key = ("registered", name, version)
        return cast(
            Sequence[tuple[Artifact, ...] | None],
            self._once(key, lambda: self.sources.registered_before(name, version)),
        )

    def dvc_artifacts(self) -> Mapping[str, ArtifactEntry]:
        """The root ``dvc.yaml``'s ``artifacts:`` at head; UserError when unreadable."""
        return cast(Mapping[str, ArtifactEntry], self._once("dvc.yaml", self.sources.dvc_artifacts))

    def stored_objects(self, md5s: Sequence[str]) -> Mapping[str, StoredObject]:
        """Where DVC finds each object and what its bytes hash to; every md5 not asked before
        is asked in one DVC process."""
        missing = sorted({m for m in md5s if ("object", m) not in self._facts})
        if missing:
            for md5, found in self.sources.stored_objects(missing).items():
                self._facts[("object", md5)] = found
        return {m: cast(StoredObject, self._facts[("object", m)]) for m in md5s}
