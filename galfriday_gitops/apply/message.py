"""The audit record a tag carries: a human first line, then one JSON block.

::

    price-direction 1.2.0: staging -> production (PR #12, approved by dave, erin)

    --- galfriday-audit/v1 ---
    {
      "action": "assign",
      ...
    }

JSON (sorted keys) rather than ``key: value`` trailers because the record holds
lists and a map of rule results, and must round-trip exactly. ``seq`` and ``prev``
make the tags of one model a hash chain: ``prev`` is the object id of the model's
previous audit tag (``seq - 1``), so deleting or re-creating a tag breaks the chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from galfriday_gitops import gitio
from galfriday_gitops.apply.tags import (
    COMMIT_RECORD_PREFIX,
    TagAction,
    TagName,
    parse,
    recorded_commit,
    stage_of,
)

MARKER = "--- galfriday-audit/v1 ---"
R = TypeVar("R")


class MessageError(ValueError):
    """A tag message that is not a well-formed audit record."""


Identity = tuple[str, str, str, str | None, str]  # action, model, version, stage, commit


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """What one audit tag says happened, and on what grounds."""

    action: TagAction
    event: str  # the EventKind value that caused it
    model: str
    version: str
    from_stage: str | None
    to_stage: str | None
    commit: str  # the first-parent commit on main that made the change
    parent: str | None  # its first parent (the base the change was judged by)
    pr: int | None = None
    approvers: tuple[str, ...] = ()  # counted approvals for this change
    approvals_needed: int = 0
    approved: bool = False  # a PR whose approvals (base policy) were satisfied
    verdict: str = "unknown"  # the reconciler's verdict on the commit: allowed | blocked
    rules: dict[str, str] = field(default_factory=dict)  # rule id -> passed | failed
    policy_digest: str = ""
    actor: str | None = None
    seq: int = 0
    prev: str | None = None

    @property
    def stage(self) -> str | None:
        """The stage a stage tag is about: entered (assign) or left (unassign)."""
        return stage_of(self.action, self.from_stage, self.to_stage)

    def identity(self) -> Identity:
        """What makes two records the same fact (idempotency, concurrent runs)."""
        return (self.action.value, self.model, self.version, self.stage, self.commit)

    def summary(self) -> str:
        ref = f"{self.model} {self.version}"
        what = {
            TagAction.REGISTER: f"registered in {self.to_stage}",
            TagAction.DEREGISTER: f"deregistered (was {self.from_stage})",
            TagAction.ASSIGN: f"stays in {self.to_stage}"
            if self.from_stage == self.to_stage
            else f"{self.from_stage or 'new'} -> {self.to_stage}",
            TagAction.UNASSIGN: f"leaves {self.from_stage} (-> {self.to_stage or 'gone'})",
        }[self.action]
        why = f"PR #{self.pr}" if self.pr is not None else "no pull request"
        if self.approvers:
            why += f", approved by {', '.join(self.approvers)}"
        return f"{ref}: {what} ({why})"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["action"] = self.action.value
        out["approvers"] = list(self.approvers)
        out["from"] = out.pop("from_stage")
        out["to"] = out.pop("to_stage")
        return out

    def render(self) -> str:
        """The full tag message."""
        body = json.dumps(self.to_dict(), indent=2, sort_keys=True)
        return f"{self.summary()}\n\n{MARKER}\n{body}\n"


def parse_message(message: str) -> AuditRecord:
    """The record in a tag message; MessageError when there is none or it is malformed."""
    _, marker, block = message.partition(MARKER)
    if not marker:
        raise MessageError("no galfriday audit record in the tag message")
    try:
        data = json.loads(block)
    except json.JSONDecodeError as exc:
        raise MessageError(f"the audit record is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MessageError("the audit record is not a JSON object")
    try:
        rules = data.get("rules") or {}
        record = AuditRecord(
            action=TagAction(data["action"]),
            event=_str(data["event"]),
            model=_str(data["model"]),
            version=_str(data["version"]),
            from_stage=_opt_str(data.get("from")),
            to_stage=_opt_str(data.get("to")),
            commit=_str(data["commit"]),
            parent=_opt_str(data.get("parent")),
            pr=_opt_int(data.get("pr")),
            approvers=tuple(_str(a) for a in data.get("approvers") or ()),
            approvals_needed=_int(data.get("approvals_needed", 0)),
            approved=data.get("approved") is True,
            verdict=_str(data.get("verdict", "unknown")),
            rules={_str(k): _str(v) for k, v in rules.items()},
            policy_digest=_str(data.get("policy_digest", "")),
            actor=_opt_str(data.get("actor")),
            seq=_int(data["seq"]),
            prev=_opt_str(data.get("prev")),
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise MessageError(f"the audit record is incomplete or mistyped: {exc}") from None
    return record


def _str(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value


def _opt_str(value: object) -> str | None:
    return None if value is None else _str(value)


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"expected an integer, got {value!r}")
    return value


def _opt_int(value: object) -> int | None:
    return None if value is None else _int(value)


def policy_digest(repo: Path | str, rev: str | None) -> str:
    """sha256 over every file under ``policies/`` at ``rev`` (path and content, sorted).

    Names the exact policy a change was judged by; ``sha256:`` of nothing for a root.
    """
    digest = hashlib.sha256()
    if rev is not None:
        entries = sorted(gitio.ls_tree(repo, rev, ("policies",)), key=lambda e: e.path)
        blobs = gitio.read_blobs(repo, [e.oid for e in entries if e.type == "blob"])
        for entry in entries:
            content = blobs.get(entry.oid, b"")
            digest.update(b"%s\0%d\0" % (entry.path.encode(), len(content)))
            digest.update(content)
    return "sha256:" + digest.hexdigest()


@dataclass(frozen=True, slots=True)
class AuditTag:
    """A tag with an audit name; ``record`` is None (and ``error`` says why) if unreadable."""

    ref: gitio.TagRef
    name: TagName
    record: AuditRecord | None
    error: str | None = None


def read_audit_tags(repo: Path | str, *patterns: str) -> list[AuditTag]:
    """Every tag in a form apply writes (GTO syntax), with its parsed record; ``patterns``
    (``for-each-ref`` patterns) narrow the listing, e.g. to one model's tags."""
    return audit_tags(gitio.list_tags(repo, *(patterns or ("refs/tags",))))


def audit_tags(refs: Iterable[gitio.TagRef]) -> list[AuditTag]:
    """The tags among ``refs`` in a form apply writes, each with its parsed record."""
    found = []
    for ref in refs:
        name = parse(ref.name)
        if name is not None and name.ours:
            found.append(AuditTag(ref, name, *_record(ref, parse_message, "audit record")))
    return found


def _record(ref: gitio.TagRef, read: Callable[[str], R], what: str) -> tuple[R | None, str | None]:
    """(the record ``read`` finds in a tag's message, None) or (None, why it has none)."""
    if not ref.annotated:
        return None, f"a lightweight tag carries no {what}"
    try:
        return read(ref.message), None
    except MessageError as exc:
        return None, str(exc)


# ---------------------------------------------------------------- commit records

COMMIT_MARKER = "--- galfriday-commit/v1 ---"


@dataclass(frozen=True, slots=True)
class CommitRecord:
    """What apply judged of one first-parent commit (tag ``gfops/commit/<sha>``, on it).

    Written for every commit apply judges, after its GTO tags: its presence says the commit
    is fully recorded (where the next run starts). ``verdict`` is the reconciler's with the
    PR's reviews (``allowed``/``blocked``), or ``genesis`` for a root commit, which no gate
    could have judged. A blocked commit gets this record and no GTO tag.
    """

    commit: str
    parent: str | None
    verdict: str  # allowed | blocked | genesis
    pr: int | None = None
    approved: bool = False
    approvers: tuple[str, ...] = ()
    needed: dict[str, int] = field(default_factory=dict)  # what needs approving -> count
    rules: dict[str, str] = field(default_factory=dict)
    findings: tuple[dict[str, Any], ...] = ()  # why it is blocked: rule, file, line, message
    governed: tuple[str, ...] = ()  # governed paths it changed
    tags: tuple[str, ...] = ()  # the GTO tags written for it
    policy_digest: str = ""
    actor: str | None = None

    def summary(self) -> str:
        why = f"PR #{self.pr}" if self.pr is not None else "no pull request"
        if self.approvers:
            why += f", approved by {', '.join(self.approvers)}"
        if self.verdict == "blocked" and self.findings:
            first = self.findings[0]
            why += f"; {first['rule']} {first['file']}"
        return f"{self.commit[:12]}: {self.verdict} ({why})"

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        for key in ("approvers", "findings", "governed", "tags"):
            out[key] = list(out[key])
        return out

    def render(self) -> str:
        body = json.dumps(self.to_dict(), indent=2, sort_keys=True, allow_nan=False)
        return f"{self.summary()}\n\n{COMMIT_MARKER}\n{body}\n"


def parse_commit_record(message: str) -> CommitRecord:
    """The commit record in a tag message; MessageError when there is none or it is bad."""
    _, marker, block = message.partition(COMMIT_MARKER)
    if not marker:
        raise MessageError("no galfriday commit record in the tag message")
    try:
        data = json.loads(block)
        if not isinstance(data, dict):
            raise TypeError("not a JSON object")
        findings = tuple(_finding(f) for f in data.get("findings") or ())
        return CommitRecord(
            commit=_str(data["commit"]),
            parent=_opt_str(data.get("parent")),
            verdict=_str(data["verdict"]),
            pr=_opt_int(data.get("pr")),
            approved=data.get("approved") is True,
            approvers=tuple(_str(a) for a in data.get("approvers") or ()),
            needed={_str(k): _int(v) for k, v in (data.get("needed") or {}).items()},
            rules={_str(k): _str(v) for k, v in (data.get("rules") or {}).items()},
            findings=findings,
            governed=tuple(_str(p) for p in data.get("governed") or ()),
            tags=tuple(_str(t) for t in data.get("tags") or ()),
            policy_digest=_str(data.get("policy_digest", "")),
            actor=_opt_str(data.get("actor")),
        )
    except json.JSONDecodeError as exc:
        raise MessageError(f"the commit record is not JSON: {exc}") from None
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise MessageError(f"the commit record is incomplete or mistyped: {exc}") from None


def _finding(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a finding object, got {value!r}")
    return {
        "rule": _str(value["rule"]),
        "file": _str(value["file"]),
        "line": _int(value["line"]),
        "message": _str(value["message"]),
    }


@dataclass(frozen=True, slots=True)
class CommitTag:
    """A commit-record tag; ``record`` is None (and ``error`` says why) if unreadable."""

    ref: gitio.TagRef
    commit: str  # the commit its name is for
    record: CommitRecord | None
    error: str | None = None


def read_commit_records(repo: Path | str, *patterns: str) -> list[CommitTag]:
    """Every commit-record tag (``patterns`` narrow the listing), with its parsed record."""
    return commit_records(
        gitio.list_tags(repo, *(patterns or (f"refs/tags/{COMMIT_RECORD_PREFIX}",)))
    )


def commit_records(refs: Iterable[gitio.TagRef]) -> list[CommitTag]:
    """The commit-record tags among ``refs``, each with its parsed record."""
    found = []
    for ref in refs:
        commit = recorded_commit(ref.name)
        if commit is not None:
            found.append(CommitTag(ref, commit, *_record(ref, parse_commit_record, "record")))
    return found
