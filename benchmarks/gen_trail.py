"""Generate a large registry *with its audit trail*: the manifests of ``gen_registry`` plus a
first-parent history of stage changes and the annotated tags ``gfops apply`` writes for it.

python benchmarks/gen_trail.py DIR [--models 1000] [--versions 10] [--tags 50000]

The first commit registers every version (a registration and an assignment tag each); each
later commit is a merged pull request moving one development version to testing or back
(two tags: unassignment, assignment); every commit has its commit record
(``gfops/commit/<sha>``), until ``--tags`` tags exist in all. Records, counters and the
per-model hash chain are exactly what apply writes (``AuditRecord.render``,
``CommitRecord.render``); tag objects are written by ``git fast-import`` (their ids computed
beforehand, so each record can name the previous tag object of its model), unsigned.
Minutes for 50,000 tags, not hours of ``git tag``.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import subprocess
from dataclasses import dataclass, replace
from pathlib import Path

from gen_registry import STAGES, generate

from galfriday_gitops.apply.message import AuditRecord, CommitRecord
from galfriday_gitops.apply.tags import (
    TagAction,
    assignment,
    commit_record,
    registration,
    unassignment,
)

TAGGER = ("galfriday-bot", "bot@galfriday.dev")
ENV = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
       "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip


def git(repo: Path, *args: str, data: bytes | None = None) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        input=data,
        check=True,
        capture_output=True,
        env={**os.environ, **ENV},
    ).stdout.decode()


@dataclass
class Chain:
    """Per model: the last tag's counter, position and object id (apply's hash chain)."""

    counter: int = 0
    seq: int = 0
    prev: str | None = None


def tag_object(name: str, target: str, message: str, date: int) -> tuple[str, bytes]:
    """The id and bytes of the annotated tag object ``git tag -a`` would write."""
    body = (
        f"object {target}\ntype commit\ntag {name}\n"
        f"tagger {TAGGER[0]} <{TAGGER[1]}> {date} +0000\n\n{message}"
    ).encode()
    oid = hashlib.sha1(b"tag %d\0" % len(body) + body, usedforsecurity=False).hexdigest()
    return oid, body


class Writer:
    """Collects tags for one fast-import stream, chaining records per model."""

    def __init__(self) -> None:
        self.chains: dict[str, Chain] = {}
        self.stream: list[bytes] = []
        self.count = 0
        self.date = 1_800_000_000

    def record(self, commit: str, parent: str | None, pr: int | None, names: list[str]) -> None:
        """The commit record apply writes after a commit's tags."""
        verdict = "genesis" if parent is None else "allowed"
        record = CommitRecord(commit, parent, verdict, pr=pr, approved=pr is not None,
                              tags=tuple(names), policy_digest="sha256:" + "0" * 64)  # fmt: skip
        self.write(commit_record(commit), commit, record.render())

    def tag(self, name: str, target: str, record: AuditRecord) -> None:
        chain = self.chains.setdefault(record.model, Chain())
        chain.seq += 1
        record = replace(record, seq=chain.seq, prev=chain.prev)
        chain.prev = self.write(name, target, record.render())

    def write(self, name: str, target: str, message: str) -> str:
        self.date += 1
        oid, _ = tag_object(name, target, message, self.date)
        raw = message.encode()
        self.stream.append(
            f"tag {name}\nfrom {target}\n"
            f"tagger {TAGGER[0]} <{TAGGER[1]}> {self.date} +0000\ndata {len(raw)}\n".encode()
            + raw
            + b"\n"
        )
        self.count += 1
        return oid

    def counter(self, model: str) -> int:
        chain = self.chains.setdefault(model, Chain())
        chain.counter += 1
        return chain.counter


def record(action: TagAction, model: str, version: str, frm: str | None, to: str | None,
           commit: str, parent: str | None, pr: int | None) -> AuditRecord:  # fmt: skip
    event = "registered" if action in (TagAction.REGISTER,) or frm is None else "stage-changed"
    return AuditRecord(
        action=action, event=event, model=model, version=version, from_stage=frm,
        to_stage=to, commit=commit, parent=parent, pr=pr, approved=pr is not None,
        verdict="allowed", rules={}, policy_digest="sha256:" + "0" * 64, actor="bench",
    )  # fmt: skip


def moves(repo: Path, count: int, models: int, versions: int) -> list[tuple[str, str, str, str]]:
    """``count`` stage changes (model, version, from, to), each committed as a merged PR."""
    rng = random.Random(1)
    dev = [(f"model-{m:04d}", f"1.{v}.0") for m in range(models) for v in range(versions)
           if v < len(STAGES) and STAGES[v] == "development"]  # fmt: skip
    where = dict.fromkeys(dev, "development")
    out = []
    stream = []
    for i in range(count):
        key = dev[rng.randrange(len(dev))]
        frm = where[key]
        to = "testing" if frm == "development" else "development"
        where[key] = to
        path = f"models/{key[0]}/{key[1]}.yaml"
        text = (repo / path).read_text()
        text = text.replace(f"  stage: {frm}\n", f"  stage: {to}\n", 1)
        (repo / path).write_text(text)
        raw = text.encode()
        msg = f"Merge pull request #{i + 1} from acme/move-{i}".encode()
        stream.append(
            b"commit refs/heads/main\n"
            + f"mark :{i + 1}\ncommitter bench <b@x> {1_700_000_000 + i} +0000\n".encode()
            + f"data {len(msg)}\n".encode() + msg + b"\n"
            + (b"from refs/heads/main^0\n" if i == 0 else b"")
            + f"M 100644 inline {path}\ndata {len(raw)}\n".encode() + raw + b"\n"
        )  # fmt: skip
        out.append((key[0], key[1], frm, to))
    git(repo, "fast-import", "--quiet", "--export-marks=" + str(repo / ".git" / "marks"),
        data=b"".join(stream))  # fmt: skip
    git(repo, "reset", "-q", "--hard", "main")
    return out


def generate_trail(target: Path, models: int, versions: int, tags: int) -> None:
    generate(target, models, versions)
    root = git(target, "rev-parse", "main").strip()
    writer = Writer()
    registered = sorted((target / "models").rglob("*.yaml"))
    names: list[str] = []
    for path in registered:
        model, version = path.parent.name, path.stem
        stage = next(ln for ln in path.read_text().splitlines() if ln.startswith("  stage: "))
        stage = stage.split(": ", 1)[1]
        names += [
            str(registration(model, version)),
            str(assignment(model, stage, writer.counter(model))),
        ]
        writer.tag(
            names[-2],
            root,
            record(TagAction.REGISTER, model, version, None, stage, root, None, None),
        )
        writer.tag(
            names[-1], root, record(TagAction.ASSIGN, model, version, None, stage, root, None, None)
        )
    writer.record(root, None, None, names)
    changes = moves(target, max(0, (tags - writer.count) // 3), models, versions)
    marks = dict(line.split() for line in (target / ".git" / "marks").read_text().splitlines())
    for i, (model, version, frm, to) in enumerate(changes):
        commit = marks[f":{i + 1}"]
        parent = marks.get(f":{i}", root)
        out = str(unassignment(model, frm, writer.counter(model)))
        into = str(assignment(model, to, writer.counter(model)))
        writer.tag(
            out, root, record(TagAction.UNASSIGN, model, version, frm, to, commit, parent, i + 1)
        )
        writer.tag(
            into, root, record(TagAction.ASSIGN, model, version, frm, to, commit, parent, i + 1)
        )
        writer.record(commit, parent, i + 1, [out, into])
    git(target, "fast-import", "--quiet", data=b"".join(writer.stream))
    git(target, "pack-refs", "--all")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("dir", type=Path)
    parser.add_argument("--models", type=int, default=1000)
    parser.add_argument("--versions", type=int, default=10)
    parser.add_argument("--tags", type=int, default=50_000)
    args = parser.parse_args()
    generate_trail(args.dir, args.models, args.versions, args.tags)
