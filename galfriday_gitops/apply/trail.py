"""The audit trail as ``apply`` reads and extends it: cheap enough for every push.

A registry may hold tens of thousands of tags; a push touches a few models. So the trail
is read per model, on demand (``refs/tags/<model>@*`` and ``<model>#*``), and where the
next run starts is found from the commit records' names alone: the newest first-parent
commit with a record ``gfops/commit/<sha>`` is fully recorded (its record is written
after its GTO tags), everything after it is not. A cancelled run leaves a commit without
its record, so the next run judges it again and writes only what is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.apply import tags
from galfriday_gitops.apply.message import (
    AuditRecord,
    AuditTag,
    CommitRecord,
    Identity,
    read_audit_tags,
)
from galfriday_gitops.apply.tags import COMMIT_RECORD_PREFIX, TagAction, TagName
from galfriday_gitops.catalogue import rule
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding
from galfriday_gitops.paths import ARTIFACTS, EXPERIMENTS, MODELS, POLICIES

# Every path a commit can change that the audit judges (git pathspecs): the registry, the
# artifacts' .dvc files, the workflows and git attributes anywhere.
AUDITED_PATHSPECS = (
    MODELS,
    POLICIES,
    EXPERIMENTS,
    ARTIFACTS,
    ".github",
    ":(glob)**/.gitattributes",
    # what diff.governed also governs (GF213), so a direct push to it is walked (GF309)
    ".dvc",
    ":(glob)**/.dvcignore",
    ".gto",
    "CODEOWNERS",
    "docs/CODEOWNERS",
)


class ApplyConflict(UserError):
    """A tag name is taken by a different fact (another apply wrote another trail)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(message)
        self.name = name


@dataclass
class ModelTags:
    """The audit tags of one model, as they stand and as this run extends them."""

    by_identity: dict[Identity, AuditTag] = field(default_factory=dict)
    by_name: dict[str, AuditTag] = field(default_factory=dict)
    registered: dict[str, AuditTag] = field(default_factory=dict)  # version -> its tag
    counter: int = 0
    head: tuple[int, str | None] = (0, None)  # the chain's last (seq, tag object id)


class Trail:
    """The audit tags of this repository, read per model when first asked for."""

    def __init__(self, repo: Path | str) -> None:
        self.repo = repo
        self._models: dict[str, ModelTags] = {}
        self.last_date = 0
        names = gitio.git_text(
            repo, "for-each-ref", "--format=%(refname:strip=2)", f"refs/tags/{COMMIT_RECORD_PREFIX}"
        ).split()
        self.recorded = {sha for n in names if (sha := tags.recorded_commit(n)) is not None}

    def model(self, name: str) -> ModelTags:
        if name not in self._models:
            self._models[name] = ModelTags()
            for tag in read_audit_tags(self.repo, f"refs/tags/{name}@*", f"refs/tags/{name}#*"):
                if tag.name.model == name:
                    self.add(tag)
        return self._models[name]

    def add(self, tag: AuditTag) -> None:
        mine = self.model(tag.name.model)
        mine.by_name[tag.ref.name] = tag
        if tag.name.counter is not None:
            mine.counter = max(mine.counter, tag.name.counter)
        self.last_date = max(self.last_date, tag.ref.date)
        if tag.name.action is TagAction.REGISTER and tag.name.version is not None:
            mine.registered[tag.name.version] = tag
        if tag.record is not None:
            mine.by_identity.setdefault(tag.record.identity(), tag)
            if tag.record.seq > mine.head[0]:
                mine.head = (tag.record.seq, tag.ref.oid)

    def registration_target(self, model: str, version: str) -> str | None:
        """The commit the version's registration tag points to (what GTO reads), if it
        records that same commit; None when there is no such tag."""
        tag = self.model(model).registered.get(version)
        if tag is None or tag.record is None or tag.record.commit != tag.ref.target:
            return None
        return tag.ref.target

    def name_for(self, action: TagAction, model: str, version: str, stage: str | None) -> TagName:
        if action is TagAction.REGISTER:
            return tags.registration(model, version)
        if action is TagAction.DEREGISTER:
            return tags.deregistration(model, version)
        assert stage is not None
        n = self.model(model).counter + 1
        if action is TagAction.ASSIGN:
            return tags.assignment(model, stage, n)
        return tags.unassignment(model, stage, n)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One tag of the range: written by this run, or already there (same fact)."""

    name: str
    target: str
    record: AuditRecord
    status: str  # created | exists

    def to_dict(self) -> dict[str, object]:
        return {
            "tag": self.name,
            "target": self.target,
            "status": self.status,
            "record": self.record.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Judged:
    """One commit apply judged, and the record it has now."""

    entry: gitio.LogEntry
    record: CommitRecord
    status: str  # created | exists

    def to_dict(self) -> dict[str, object]:
        return {
            "commit": self.entry.sha,
            "subject": self.entry.subject,
            "verdict": self.record.verdict,
            "status": self.status,
            "record": self.record.to_dict(),
        }


def _read_one(repo: Path | str, name: str) -> AuditTag:
    found = [t for t in read_audit_tags(repo, f"refs/tags/{name}") if t.ref.name == name]
    if not found:
        raise gitio.GitError(f"tag {name} was reported to exist but cannot be read")
    return found[0]


@dataclass
class TagWriter:
    """Writes the tags of one run: tagger, signing and dates as the automation asks."""

    repo: Path | str
    trail: Trail
    sign: bool
    clock: Callable[[], float]
    tagger: tuple[str, str] | None = None

    def date(self, entry: gitio.LogEntry) -> int:
        return max(int(self.clock()), self.trail.last_date + 1, entry.time)

    def tag(
        self,
        entry: gitio.LogEntry,
        action: TagAction,
        stage: str | None,
        target: str,
        record: AuditRecord,
    ) -> Outcome:
        """Write the tag ``record`` calls for (on ``target``), or adopt the same fact that a
        concurrent run wrote; ApplyConflict when the name holds another fact."""
        model = self.trail.model(record.model)
        record = replace(record, seq=model.head[0] + 1, prev=model.head[1])
        name = str(self.trail.name_for(action, record.model, record.version, stage))
        existing = model.by_name.get(name)
        if existing is None:
            date = self.date(entry)
            try:
                oid = gitio.create_tag(
                    self.repo, name, target, record.render(),
                    tagger=self.tagger, date=date, sign=self.sign,
                )  # fmt: skip
            except gitio.TagExistsError:
                existing = _read_one(self.repo, name)
            else:
                self.trail.add(self._written(name, oid, target, record, date))
                return Outcome(name, target, record, "created")
        same = (
            existing.record is not None
            and existing.record.identity() == record.identity()
            and existing.ref.target == target
        )
        if not same:
            raise ApplyConflict(
                name,
                f"tag {name} already exists for {describe(existing.record, existing.ref.target)}"
                f", but this run needs it for {describe(record, target)}: two applies wrote "
                "different trails (run apply one at a time: the workflow's concurrency group)",
            )
        self.trail.add(existing)
        assert existing.record is not None
        return Outcome(name, target, existing.record, "exists")

    def _written(
        self, name: str, oid: str, target: str, record: AuditRecord, date: int
    ) -> AuditTag:
        """The tag just written, as reading it back would give it (one git call saved per
        tag; read back when git chose the tagger)."""
        if self.tagger is None:
            return _read_one(self.repo, name)
        ref = gitio.TagRef(
            name, oid, True, target, self.tagger[0], self.tagger[1], date, record.render(),
            self.sign,
        )  # fmt: skip
        parsed = tags.parse(name)
        assert parsed is not None
        return AuditTag(ref, parsed, record)

    def record(self, entry: gitio.LogEntry, record: CommitRecord) -> Judged:
        name = tags.commit_record(entry.sha)
        try:
            gitio.create_tag(
                self.repo, name, entry.sha, record.render(),
                tagger=self.tagger, date=self.date(entry), sign=self.sign,
            )  # fmt: skip
        except gitio.TagExistsError:
            return Judged(entry, record, "exists")  # a concurrent run recorded it
        self.trail.recorded.add(entry.sha)
        return Judged(entry, record, "created")


def describe(record: AuditRecord | None, target: str) -> str:
    if record is None:
        return f"a tag without an audit record [target {target[:12]}]"
    return f"{record.summary()} [commit {record.commit[:12]}, target {target[:12]}]"


def main_line(repo: Path | str, after: str) -> list[str]:
    """``after``'s first-parent commits, newest first (one ``rev-list``)."""
    return gitio.git_text(repo, "rev-list", "--first-parent", after).split()


def newest_recorded(line: Sequence[str], recorded: set[str]) -> str | None:
    """The newest commit of ``line`` (newest first) that has a commit record; None: none
    has, start from the root."""
    return next((sha for sha in line if sha in recorded), None)


def off_main(
    repo: Path | str, after: str, line: Sequence[str], recorded: set[str], before: str | None
) -> list[Finding]:
    """Commit records of commits not on ``after``'s first-parent line: main was rewritten
    (a force push) since apply recorded them; their audit tags point off main. Red on every
    run until someone accounts for the rewrite and deletes them."""
    off = sorted(recorded - set(line))
    if not off:
        return []
    rewrite = f"main was rewritten (force push{' over ' + before[:12] if before else ''})"
    findings = []
    for sha in off:
        name = tags.commit_record(sha)
        findings.append(
            rule("GF302").finding(
                f"refs/tags/{name}",
                1,
                f"records commit {sha[:12]}, which is not on {after[:12]}'s first-parent "
                f"history: {rewrite}; the audit tags of that commit point off main",
                hint="review what was replaced; delete the stale tags once accounted for",
            )
        )
    return findings


def first_parents(repo: Path | str, after: str, start: str | None) -> Sequence[gitio.LogEntry]:
    """The commits apply judges: first parents of ``after`` after ``start`` that change an
    audited path, oldest first."""
    return gitio.first_parent_log(repo, after, exclude=start, paths=AUDITED_PATHSPECS)
