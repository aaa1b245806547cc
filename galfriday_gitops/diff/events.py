"""Diff two registry states into events: what a pull request (or a pushed range) does.

Events are facts about the change, not judgements: the rules decide what is allowed.
``fields`` lists every changed field of a modified manifest as a dotted path
(``spec.metrics.test.accuracy``), so the immutability rule can name exactly what moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from galfriday_gitops.load.state import RegistryState
from galfriday_gitops.paths import EXPERIMENTS, POLICIES
from galfriday_gitops.resources import Experiment, ModelStage, ModelVersion, Teams


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


def _dump(version: ModelVersion) -> dict[str, Any]:
    return version.model_dump(mode="json", by_alias=True, exclude_none=True)


def _artifact_ids(version: ModelVersion) -> frozenset[str]:
    return frozenset(a.md5 for a in version.spec.artifacts)


def diff(base: RegistryState, head: RegistryState, extra_paths: Sequence[str] = ()) -> list[Event]:
    """Events that turn ``base`` into ``head``; ``extra_paths`` are other changed files."""
    events: list[Event] = []
    deleted: list[ModelVersion] = []
    added: list[ModelVersion] = []
    for path in sorted(set(base.entries) | set(head.entries)):
        old, new = base.entries.get(path), head.entries.get(path)
        if old is not None and new is not None and old.blob == new.blob:
            continue
        old_res = old.resource if old else None
        new_res = new.resource if new else None
        folder = path.split("/", 1)[0]
        if folder == POLICIES:
            kind = (
                EventKind.TEAMS_CHANGED
                if isinstance(new_res, Teams) or isinstance(old_res, Teams)
                else EventKind.POLICY_CHANGED
            )
            events.append(Event(kind, path))
            continue
        if folder == EXPERIMENTS:
            name = new_res.metadata.name if isinstance(new_res, Experiment) else None
            events.append(Event(EventKind.EXPERIMENT_CHANGED, path, name=name))
            continue
        if not isinstance(new_res, ModelVersion) and not isinstance(old_res, ModelVersion):
            continue  # invalid on both sides: the load findings already speak for it
        if isinstance(old_res, ModelVersion) and isinstance(new_res, ModelVersion):
            fields = changed_fields(_dump(old_res), _dump(new_res))
            if old_res.stage is not new_res.stage:
                events.append(
                    Event(
                        EventKind.STAGE_CHANGED,
                        path,
                        new_res.name,
                        new_res.version,
                        old_res.stage,
                        new_res.stage,
                    )
                )
            other = tuple(f for f in fields if f != "spec.stage")
            if other:
                events.append(
                    Event(EventKind.MODIFIED, path, new_res.name, new_res.version, fields=other)
                )
        elif isinstance(new_res, ModelVersion):
            added.append(new_res)
        elif isinstance(old_res, ModelVersion):
            deleted.append(old_res)
    # A deleted version whose artifacts reappear under another name/version is a rename.
    for old_version in deleted:
        twin = next((a for a in added if _artifact_ids(a) == _artifact_ids(old_version)), None)
        old_path = base.path_of(old_version)
        if twin is not None:
            added.remove(twin)
            events.append(
                Event(
                    EventKind.RENAMED,
                    head.path_of(twin),
                    twin.name,
                    twin.version,
                    old_version.stage,
                    twin.stage,
                    old_path=old_path,
                )
            )
        else:
            events.append(
                Event(
                    EventKind.DELETED,
                    old_path,
                    old_version.name,
                    old_version.version,
                    from_stage=old_version.stage,
                )
            )
    for new_version in added:
        events.append(
            Event(
                EventKind.REGISTERED,
                head.path_of(new_version),
                new_version.name,
                new_version.version,
                to_stage=new_version.stage,
            )
        )
    for path in extra_paths:
        if path.startswith(".github/"):
            events.append(Event(EventKind.WORKFLOW_CHANGED, path))
        elif path.startswith(POLICIES + "/") and path not in base.entries | head.entries:
            events.append(Event(EventKind.POLICY_CHANGED, path))  # e.g. allowed_signers
    return events
