"""Diff two registry states into events: what a pull request (or a pushed range) does.

Events are facts about the change, not judgements: the rules decide what is allowed.
``fields`` lists every changed field of a modified manifest as a dotted path
(``spec.metrics.test.accuracy``), so the immutability rule can name exactly what moved.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from galfriday_gitops.diff.governed import (
    BUILD_FILES,
    TOOLKIT,
    TOOLKIT_NOTE,
    case_twin,
    dvc_yaml_changes,
    why_governed,
)
from galfriday_gitops.gitio import MissingObject
from galfriday_gitops.load.entry import Entry
from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.paths import EXPERIMENTS, POLICIES
from galfriday_gitops.stages import ModelStage

# The diff reads each changed file's index (kind, name, version, stage) and its validated
# JSON data, never the pydantic object: a step along history (``gfops history``, ``audit
# verify``) then builds no validator at all. The data is the manifest as validated, so two
# versions differ in the same fields either way.
_VERSION = "ModelVersion"


class EventKind(StrEnum):
    REGISTERED = "registered"
    STAGE_CHANGED = "stage-changed"
    MODIFIED = "modified"
    DELETED = "deleted"
    RENAMED = "renamed"
    POLICY_CHANGED = "policy-changed"
    TEAMS_CHANGED = "teams-changed"
    EXPERIMENT_CHANGED = "experiment-changed"
    WORKFLOW_CHANGED = "workflow-changed"
    REPO_CONFIG_CHANGED = "repo-config-changed"  # how registry files are read (diff/governed.py)


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    path: str
    name: str | None = None
    version: str | None = None
    from_stage: ModelStage | None = None
    to_stage: ModelStage | None = None
    fields: tuple[str, ...] = ()
    old_path: str | None = None
    note: str | None = None  # why the change matters, when the kind alone does not say

    @property
    def ref(self) -> str:
        if self.name and self.version:
            return f"{self.name}@{self.version}"
        return self.name or self.path

    def describe(self) -> str:
        if self.kind is EventKind.STAGE_CHANGED:
            assert self.from_stage is not None and self.to_stage is not None
            return f"{self.ref}: {self.from_stage.value} -> {self.to_stage.value}"
        if self.kind is EventKind.REGISTERED and self.to_stage is not None:
            return f"{self.ref} registered in {self.to_stage.value}"
        if self.kind is EventKind.MODIFIED:
            return f"{self.ref}: changed {', '.join(self.fields)}"
        if self.kind is EventKind.RENAMED:
            return f"{self.old_path} renamed to {self.path}"
        if self.kind is EventKind.REPO_CONFIG_CHANGED:
            what = f" ({', '.join(self.fields)})" if self.fields else ""
            return f"{self.path}{what} changed: it {self.note}"
        return f"{self.kind.value}: {self.ref}"

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind.value, "path": self.path}
        if self.name:
            out |= {"model": self.name, "version": self.version}
        if self.from_stage:
            out["from"] = self.from_stage.value
        if self.to_stage:
            out["to"] = self.to_stage.value
        if self.fields:
            out["fields"] = list(self.fields)
        if self.old_path:
            out["old_path"] = self.old_path
        if self.note:
            out["note"] = self.note
        return out


def changed_fields(old: Any, new: Any, prefix: str = "") -> list[str]:
    """Dotted paths of every leaf that differs between two plain structures."""
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            path = f"{prefix}.{key}" if prefix else str(key)
            out += changed_fields(old.get(key), new.get(key), path)
        return out
    return [] if old == new else [prefix]


class _Version:
    """A changed file that holds a valid model version: its path, index and data."""

    __slots__ = ("_entry", "name", "path", "stage", "version")

    def __init__(self, entry: Entry) -> None:
        assert entry.index is not None
        _, self.name, self.version, stage = entry.index
        self.stage = ModelStage(stage)
        self.path = entry.path
        self._entry = entry

    def data(self) -> dict[str, Any]:
        data = self._entry.data
        assert data is not None  # a valid entry has its validated data
        return data

    def artifact_ids(self) -> frozenset[str]:
        return frozenset(a["md5"] for a in self.data()["spec"].get("artifacts", ()))


def _version(entry: Entry | None) -> _Version | None:
    return _Version(entry) if entry is not None and entry.kind == _VERSION else None


def _config_event(path: str, old: Entry | None, new: Entry | None) -> Event | None:
    """The event of a changed file under ``policies/`` or ``experiments/`` (None elsewhere)."""
    folder = path.split("/", 1)[0]
    if folder == POLICIES:
        teams = "Teams" in (old and old.kind, new and new.kind)
        return Event(EventKind.TEAMS_CHANGED if teams else EventKind.POLICY_CHANGED, path)
    if folder == EXPERIMENTS:
        index = new.index if new is not None else None
        name = index[1] if index is not None and index[0] == "Experiment" else None
        return Event(EventKind.EXPERIMENT_CHANGED, path, name=name)
    return None


def _changed_version(path: str, old: _Version, new: _Version) -> list[Event]:
    """A manifest edited in place: its stage change, and any other field that moved."""
    events = []
    if old.stage is not new.stage:
        events.append(
            Event(EventKind.STAGE_CHANGED, path, new.name, new.version, old.stage, new.stage)
        )
    other = tuple(f for f in changed_fields(old.data(), new.data()) if f != "spec.stage")
    if other:
        events.append(Event(EventKind.MODIFIED, path, new.name, new.version, fields=other))
    return events


def _appeared_and_gone(deleted: list[_Version], added: list[_Version]) -> list[Event]:
    """Renames (a deleted version whose artifacts reappear under another name/version),
    then deletions, then registrations."""
    events = []
    added = list(added)
    for old in deleted:
        ids = old.artifact_ids()
        twin = next((a for a in added if a.artifact_ids() == ids), None)
        if twin is not None:
            added.remove(twin)
            events.append(
                Event(
                    EventKind.RENAMED,
                    twin.path,
                    twin.name,
                    twin.version,
                    old.stage,
                    twin.stage,
                    old_path=old.path,
                )
            )
        else:
            events.append(
                Event(EventKind.DELETED, old.path, old.name, old.version, from_stage=old.stage)
            )
    for new in added:
        events.append(
            Event(EventKind.REGISTERED, new.path, new.name, new.version, to_stage=new.stage)
        )
    return events


def _reader(state: RegistryState) -> Callable[[str], bytes | None]:
    """A file of ``state``'s revision by path (None when absent); unreadable without one."""

    def read(path: str) -> bytes | None:
        if state.rev is None or state.reader is None:
            raise ValueError("no revision to read from")
        try:
            return state.reader.read(f"{state.rev}:{path}")
        except MissingObject:
            return None

    return read


def _registered(base: RegistryState, head: RegistryState) -> Callable[[str], set[str]]:
    """Model name -> the artifact files of the versions the change registers."""

    def files(name: str) -> set[str]:
        return {
            a.path
            for v in head.versions_of(name)
            if base.get(name, v.version) is None
            for a in v.spec.artifacts
        }

    return files


def _dvc_yaml_event(base: RegistryState, head: RegistryState, path: str) -> Event | None:
    try:
        changed = dvc_yaml_changes(path, _reader(base), _reader(head), _registered(base, head))
    except ValueError:  # a state without a revision (a work tree): cannot tell, so governed
        changed = ("artifacts",)
    if changed is None:
        return None
    note = "names the files DVC and GTO resolve as the registry's artifacts"
    return Event(EventKind.REPO_CONFIG_CHANGED, path, fields=changed, note=note)


def _holds_toolkit(state: RegistryState) -> bool:
    """Whether ``state``'s revision holds the toolkit's package (True when there is no
    revision to ask: a build file then counts as the gate's, fail closed)."""
    try:
        return _reader(state)(f"{TOOLKIT}/__init__.py") is not None
    except ValueError:
        return True


def _other_files(base: RegistryState, head: RegistryState, paths: Sequence[str]) -> list[Event]:
    """Changed files the states do not hold: workflows, non-resource files under
    ``policies/`` (e.g. the allowed signers), and files that change how the registry's
    files are read (:mod:`galfriday_gitops.diff.governed`)."""
    known = base.entries.keys() | head.entries.keys()
    events = []
    for path in paths:
        why = why_governed(path)
        if why is not None:
            events.append(Event(EventKind.REPO_CONFIG_CHANGED, path, note=why))
        elif path.startswith(".github/"):
            events.append(Event(EventKind.WORKFLOW_CHANGED, path))
        elif path in BUILD_FILES and (_holds_toolkit(base) or _holds_toolkit(head)):
            events.append(Event(EventKind.REPO_CONFIG_CHANGED, path, note=TOOLKIT_NOTE))
        elif path.startswith(POLICIES + "/") and path not in known:
            events.append(Event(EventKind.POLICY_CHANGED, path))
        elif path.rpartition("/")[2] == "dvc.yaml" and (found := _dvc_yaml_event(base, head, path)):
            events.append(found)
        elif (twin := case_twin(path)) is not None:
            note = f"is {twin} on a case-insensitive file system (macOS and Windows checkouts)"
            events.append(Event(EventKind.REPO_CONFIG_CHANGED, path, note=note))
    return events


def _changed(
    base: RegistryState, head: RegistryState, candidates: Collection[str] | None = None
) -> list[str]:
    """Paths added, removed or with another blob, sorted (at 10,000 files, sorting only
    what changed is most of the cost of a diff); only among ``candidates`` when given."""
    before, after = base.entries, head.entries
    if candidates is not None:
        paths = [p for p in candidates if p in before or p in after]
        return sorted(
            p
            for p in set(paths)
            if p not in before or p not in after or before[p].blob != after[p].blob
        )
    moved = before.keys() ^ after.keys()
    edited = (p for p, e in after.items() if p in before and before[p].blob != e.blob)
    return sorted(moved.union(edited))


def diff(
    base: RegistryState,
    head: RegistryState,
    extra_paths: Sequence[str] = (),
    *,
    changed: Collection[str] | None = None,
) -> list[Event]:
    """Events that turn ``base`` into ``head``; ``extra_paths`` are other changed files.

    ``changed``: every path that differs between the two (when the caller knows, e.g. from
    ``git diff``), so a step along history compares those instead of every file.
    """
    events: list[Event] = []
    deleted: list[_Version] = []
    added: list[_Version] = []
    for path in _changed(base, head, changed):
        old, new = base.entries.get(path), head.entries.get(path)
        config = _config_event(path, old, new)
        old_version, new_version = _version(old), _version(new)
        if config is not None:
            events.append(config)
        elif old_version is not None and new_version is not None:
            events += _changed_version(path, old_version, new_version)
        elif new_version is not None:
            added.append(new_version)
        elif old_version is not None and new is None:
            deleted.append(old_version)
        # else: invalid on one side or both, and the load findings speak for it (a stage
        # typo at head is GF114 on that line, not also a deletion of the version)
    events += _appeared_and_gone(deleted, added)
    return events + _other_files(base, head, extra_paths)
