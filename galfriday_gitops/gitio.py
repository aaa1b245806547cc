"""Every git call the toolkit makes goes through here (plain ``git`` subprocesses).

We read revisions as objects (``ls-tree`` + one ``cat-file --batch``) rather than
checking them out: it is fast, it never runs code from the revision being judged,
and it sees symlinks and submodules for what they are (tree modes 120000 / 160000).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from galfriday_gitops.errors import UserError

MODE_SYMLINK = "120000"
MODE_SUBMODULE = "160000"
NULL_OID = "0" * 40  # diff-tree's id of the side where a path does not exist


class GitError(UserError):
    """A git command failed: the repository or revision is unreadable (exit code 2)."""


@dataclass(frozen=True, slots=True)
class TreeEntry:
    mode: str
    type: str  # blob | tree | commit
    oid: str
    path: str


def _env() -> dict[str, str]:
    env = dict(os.environ)
    # Never prompt, never page, never pick up a user's odd config for parsing output.
    env.update(GIT_TERMINAL_PROMPT="0", GIT_PAGER="cat", LC_ALL="C")
    return env


def git(
    repo: Path | str,
    *args: str,
    input: bytes | None = None,
    check: bool = True,
    env: dict[str, str] | None = None,
) -> bytes:
    """Run one git command in ``repo``; raise GitError with git's own message on failure."""
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=input,
            capture_output=True,
            env={**_env(), **(env or {})},
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if check and proc.returncode != 0:
        msg = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(
            f"git {args[0]} failed: {msg[-1] if msg else 'exit ' + str(proc.returncode)}"
        )
    return proc.stdout


def git_text(repo: Path | str, *args: str) -> str:
    return git(repo, *args).decode("utf-8", "replace").strip()


def toplevel(path: Path | str) -> Path:
    try:
        return Path(git_text(path, "rev-parse", "--show-toplevel"))
    except GitError:
        raise GitError(f"{path} is not inside a git repository") from None


# What git said once in this process and cannot change: git dirs, commits, commits' trees.
_GIT_DIRS: dict[str, Path] = {}
_COMMITS: set[tuple[str, str]] = set()
_SHALLOW: dict[tuple[str, str, tuple[str, ...]], list[TreeEntry]] = {}


def git_dir(repo: Path | str) -> Path:
    """The repository's (common) git directory; asked of git once per process and path."""
    where = str(Path(repo).resolve())  # a relative path means another repository elsewhere
    if where not in _GIT_DIRS:
        p = Path(git_text(repo, "rev-parse", "--git-common-dir"))
        _GIT_DIRS[where] = p if p.is_absolute() else Path(where) / p
    return _GIT_DIRS[where]


def rev_parse(repo: Path | str, rev: str) -> str:
    """The commit id of ``rev``; a clear error when it does not exist."""
    if (str(repo), rev) in _COMMITS:
        return rev
    if rev.startswith("-"):
        raise GitError(f"invalid revision {rev!r}")
    proc = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    sha = proc.decode().strip()
    if not sha:
        raise GitError(f"unknown revision {rev!r} in {repo}")
    _COMMITS.add((str(repo), sha))
    return sha


def _tree_entries(out: bytes) -> list[TreeEntry]:
    entries = []
    for record in out.split(b"\0"):
        if record:
            meta, _, path = record.partition(b"\t")
            mode, kind, oid = meta.decode().split(" ")
            entries.append(TreeEntry(mode, kind, oid, path.decode("utf-8", "surrogateescape")))
    return entries


def ls_tree(repo: Path | str, commit: str, paths: Sequence[str]) -> list[TreeEntry]:
    """Every entry below ``paths`` at ``commit`` (recursive; submodules show as commits)."""
    return _tree_entries(git(repo, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths))


def ls_tree_shallow(repo: Path | str, commit: str, paths: Sequence[str]) -> list[TreeEntry]:
    """Entries named by ``paths`` without recursing (``dir/`` lists that folder's children);
    kept for a commit rev_parse confirmed (its trees never change: a promote asks twice)."""
    key = (str(repo), commit, tuple(paths))
    found = _SHALLOW.get(key) or _tree_entries(
        git(repo, "ls-tree", "-z", "--full-tree", commit, "--", *paths)
    )
    if (str(repo), commit) in _COMMITS:
        _SHALLOW[key] = found
    return list(found)


def read_blobs(repo: Path | str, oids: Iterable[str]) -> dict[str, bytes]:
    """Read many blobs with one ``cat-file --batch`` (communicate() avoids pipe deadlocks)."""
    wanted = list(dict.fromkeys(oids))
    if not wanted:
        return {}
    out = git(repo, "cat-file", "--batch", input=("\n".join(wanted) + "\n").encode())
    blobs: dict[str, bytes] = {}
    pos = 0
    for oid in wanted:
        header_end = out.index(b"\n", pos)
        header = out[pos:header_end].decode().split(" ")
        if len(header) != 3:
            raise GitError(f"object {oid} is missing from the repository")
        size = int(header[2])
        start = header_end + 1
        blobs[oid] = out[start : start + size]
        pos = start + size + 1
    return blobs


class MissingObject(GitError):
    """The object (or ``rev:path``) does not exist."""


class BlobReader:
    """One long-lived ``git cat-file --batch`` for many single reads (one process, not one
    per read: line lookups for thousands of findings would otherwise spawn thousands)."""

    def __init__(self, repo: Path | str) -> None:
        self._repo = str(repo)
        self._proc: subprocess.Popen[bytes] | None = None

    def read(self, oid: str) -> bytes:
        """An object by id, or by ``<rev>:<path>``; MissingObject when there is none."""
        if self._proc is None:
            self._proc = subprocess.Popen(
                ["git", "-C", self._repo, "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                env=_env(),
            )
            weakref.finalize(self, _close, self._proc)
        assert self._proc.stdin is not None and self._proc.stdout is not None
        self._proc.stdin.write(oid.encode() + b"\n")
        self._proc.stdin.flush()
        header = self._proc.stdout.readline().decode().split()
        if len(header) != 3:
            raise MissingObject(f"object {oid} is missing from the repository")
        data = self._proc.stdout.read(int(header[2]))
        self._proc.stdout.read(1)  # the newline after each object
        return data


def _close(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    proc.wait()


def read_blob(repo: Path | str, commit: str, path: str) -> bytes | None:
    """One file at one revision, or None when it does not exist there."""
    proc = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "blob", f"{commit}:{path}"],
        capture_output=True,
        env=_env(),
        check=False,
    )
    return proc.stdout if proc.returncode == 0 else None


def blob_id(content: bytes) -> str:
    """The id git would give this content (so work-tree files share the blob cache)."""
    return hashlib.sha1(b"blob %d\0" % len(content) + content, usedforsecurity=False).hexdigest()


def diff_tree(repo: Path | str, base: str, head: str, paths: Sequence[str]) -> list[TreeEntry]:
    """Files under ``paths`` that differ between two commits, as they are at ``head`` (mode,
    blob; a deleted file has ``NULL_OID``). No rename detection: a rename is both."""
    out = git(repo, "diff-tree", "-r", "-z", "--no-renames", base, head, "--", *paths)
    fields = out.split(b"\0")
    entries = []
    for meta, path in zip(fields[0::2], fields[1::2], strict=False):
        if not meta.startswith(b":"):
            continue
        _, mode, _, oid, _ = meta[1:].decode().split(" ")
        entries.append(TreeEntry(mode, "blob", oid, path.decode("utf-8", "surrogateescape")))
    return entries


# The id of git's empty tree: what a root commit's first parent would hold.
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"


def changed_paths(repo: Path | str, base: str, head: str, paths: Sequence[str] = ()) -> list[str]:
    """Paths that differ between two commits (what a pull request touches); ``paths``
    (pathspecs) narrow it, e.g. to one model's folder."""
    out = git(repo, "diff", "--name-only", "-z", "--no-renames", base, head, "--", *paths)
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def is_ancestor(repo: Path | str, ancestor: str, descendant: str) -> bool:
    proc = subprocess.run(
        ["git", "-C", str(repo), "merge-base", "--is-ancestor", ancestor, descendant],
        capture_output=True,
        env=_env(),
        check=False,
    )
    return proc.returncode == 0


def merge_result(repo: Path | str, base: str, head: str) -> str:
    """A commit holding what merging ``head`` into ``base`` would produce (objects only).

    No work tree, no ref: ``merge-tree --write-tree`` computes the merged tree, and a
    dangling commit with both parents lets the rest of the pipeline treat it like any
    revision. A conflicting merge is an error: GitHub would not merge it either.
    """
    proc = subprocess.run(
        ["git", "-C", str(repo), "merge-tree", "--write-tree", "--no-messages", base, head],
        capture_output=True,
        env=_env(),
        check=False,
    )
    if proc.returncode == 1:
        raise GitError(f"{head[:12]} does not merge cleanly into {base[:12]}; resolve the conflict")
    if proc.returncode != 0:
        raise GitError(f"git merge-tree failed: {proc.stderr.decode('utf-8', 'replace').strip()}")
    tree = proc.stdout.decode().split()[0]
    message = f"galfriday: merge result of {head} into {base}"
    return git(repo, "commit-tree", tree, "-p", base, "-p", head, "-m", message).decode().strip()


# ---------------------------------------------------------------- history and tags (apply, audit)


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One commit of a first-parent walk."""

    sha: str
    parents: tuple[str, ...]
    time: int  # committer date, Unix seconds
    subject: str
    date: str  # committer date, ISO 8601 with the committer's offset

    @property
    def first_parent(self) -> str | None:
        return self.parents[0] if self.parents else None


def first_parent_log(
    repo: Path | str, rev: str, *, exclude: str | None = None, paths: Sequence[str] = ()
) -> list[LogEntry]:
    """Commits on ``rev``'s first-parent line (oldest first), optionally after ``exclude``
    and only those whose diff against their first parent touches ``paths``."""
    spec = [rev] if exclude is None else [f"{exclude}..{rev}"]
    out = git(repo, "log", "--first-parent", "--reverse", _LOG_FORMAT, *spec, "--", *paths)
    return _log_entries(out)


def commit_entry(repo: Path | str, rev: str) -> LogEntry:
    """One commit: its id, parents, committer date and subject."""
    (entry,) = _log_entries(git(repo, "log", "-1", _LOG_FORMAT, rev_parse(repo, rev), "--"))
    return entry


_LOG_FORMAT = "--format=%H%x00%P%x00%ct%x00%s%x00%cI%x00"


def _log_entries(out: bytes) -> list[LogEntry]:
    fields = out.decode("utf-8", "replace").split("\0")
    entries = []
    for i in range(0, len(fields) - 1, 5):
        sha, parents, time, subject, date = fields[i : i + 5]
        entries.append(LogEntry(sha.strip(), tuple(parents.split()), int(time), subject, date))
    return entries


def first_parent_at(repo: Path | str, rev: str, when: int) -> str | None:
    """The newest commit on ``rev``'s first-parent line whose committer date is at or
    before ``when`` (Unix seconds): what that branch held then. None if it did not exist."""
    head = rev_parse(repo, rev)
    out = git_text(repo, "rev-list", "--first-parent", "-1", f"--before={when}", head)
    return out or None


def config_get(repo: Path | str, key: str) -> str | None:
    """A git config value as git resolves it for ``repo``, or None when unset."""
    out = git(repo, "config", "--get", key, check=False).decode().strip()
    return out or None


@dataclass(frozen=True, slots=True)
class TagRef:
    """One tag as ``for-each-ref`` sees it (annotated tags carry tagger and message)."""

    name: str  # without refs/tags/
    oid: str  # the tag object (or the commit, for a lightweight tag)
    annotated: bool
    target: str  # the commit it points to (peeled)
    tagger_name: str
    tagger_email: str  # without the angle brackets
    date: int  # tagger date, Unix seconds (0 for a lightweight tag)
    message: str  # subject and body, without any signature
    signed: bool


_TAG_FIELDS = (
    "%(refname)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objectname)",
    "%(taggername)",
    "%(taggeremail)",
    "%(taggerdate:unix)",
    "%(contents:subject)",
    "%(contents:body)",
    "%(contents:signature)",
)


def list_tags(repo: Path | str, *patterns: str) -> list[TagRef]:
    """Every tag matching ``patterns`` (``for-each-ref`` patterns; default: all tags) with
    its target, tagger, date and message (one call)."""
    fmt = "--format=" + "%00".join(_TAG_FIELDS) + "%00"
    out = git(repo, "for-each-ref", fmt, *(patterns or ("refs/tags",)))
    fields = out.decode("utf-8", "replace").split("\0")
    tags = []
    width = len(_TAG_FIELDS)
    for i in range(0, len(fields) - 1, width):
        ref, kind, oid, peeled, tname, temail, date, subject, body, sig = fields[i : i + width]
        ref = ref.lstrip("\n")
        annotated = kind == "tag"
        message = subject + ("\n\n" + body if body else "")
        tags.append(
            TagRef(
                name=ref.removeprefix("refs/tags/"),
                oid=oid,
                annotated=annotated,
                target=peeled if annotated else oid,
                tagger_name=tname,
                tagger_email=temail.strip("<>"),
                date=int(date) if date else 0,
                message=message,
                signed=bool(sig.strip()),
            )
        )
    return tags


_HEAD_FIELDS = (
    "%(refname)",
    "%(objecttype)",
    "%(objectname)",
    "%(*objectname)",
    "%(taggerdate:unix)",
)


def list_tag_heads(repo: Path | str, pattern: str = "refs/tags") -> list[TagRef]:
    """Every tag under ``pattern`` with its target and date but no tagger or message: a
    fraction of :func:`list_tags`' output where only names, targets and order matter."""
    out = git(repo, "for-each-ref", "--format=" + "%00".join(_HEAD_FIELDS) + "%00", pattern)
    fields = out.decode("utf-8", "replace").split("\0")
    tags = []
    for i in range(0, len(fields) - 1, len(_HEAD_FIELDS)):
        ref, kind, oid, peeled, date = fields[i : i + len(_HEAD_FIELDS)]
        annotated = kind == "tag"
        tags.append(
            TagRef(
                name=ref.lstrip("\n").removeprefix("refs/tags/"),
                oid=oid,
                annotated=annotated,
                target=peeled if annotated else oid,
                tagger_name="",
                tagger_email="",
                date=int(date) if date else 0,
                message="",
                signed=False,
            )
        )
    return tags


class TagExistsError(GitError):
    """The tag name is taken (possibly by a concurrent run)."""


def create_tag(
    repo: Path | str,
    name: str,
    target: str,
    message: str,
    *,
    tagger: tuple[str, str] | None,
    date: int,
    sign: bool,
) -> str:
    """Create an annotated (``sign``: SSH/GPG-signed) tag atomically; returns its object id.

    ``git tag`` without ``-f`` creates the ref with "must not exist" semantics, so two
    concurrent writers cannot both win; the loser gets TagExistsError.
    """
    env = {"GIT_COMMITTER_DATE": f"{date} +0000"}
    if tagger is not None:
        env |= {"GIT_COMMITTER_NAME": tagger[0], "GIT_COMMITTER_EMAIL": tagger[1]}
    args = ["tag", "-s" if sign else "-a", "--cleanup=verbatim", "-F", "-", "--", name, target]
    try:
        proc = subprocess.run(
            ["git", "-C", str(repo), *args],
            input=message.encode(),
            capture_output=True,
            env={**_env(), **env},
            check=False,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH") from None
    if proc.returncode != 0:
        err = proc.stderr.decode("utf-8", "replace").strip()
        if "already exists" in err:
            raise TagExistsError(f"tag {name} already exists")
        raise GitError(f"git tag {name} failed: {err.splitlines()[-1] if err else 'error'}")
    return git_text(repo, "rev-parse", f"refs/tags/{name}")


def verify_tag_signature(repo: Path | str, name: str, allowed_signers: bytes) -> tuple[bool, str]:
    """Whether the tag's SSH signature verifies against this allowed-signers list."""
    with tempfile.TemporaryDirectory() as tmp:
        signers = Path(tmp) / "allowed_signers"
        signers.write_bytes(allowed_signers)
        proc = subprocess.run(
            [
                "git",
                "-C",
                str(repo),
                "-c",
                "gpg.format=ssh",
                "-c",
                f"gpg.ssh.allowedSignersFile={signers}",
                "verify-tag",
                "--",
                name,
            ],
            capture_output=True,
            env=_env(),
            check=False,
        )
    said = proc.stderr.decode("utf-8", "replace").strip().splitlines()
    return proc.returncode == 0, said[-1] if said else ""


def push_tags(repo: Path | str, remote: str, names: Sequence[str]) -> None:
    """Push these tags (never forced: a remote tag with another target is an error)."""
    if names:
        git(repo, "push", "--quiet", remote, *[f"refs/tags/{n}:refs/tags/{n}" for n in names])


def last_added(repo: Path | str, rev: str, path: str) -> str | None:
    """The latest commit on ``rev``'s first-parent line that added ``path``, if any."""
    out = git_text(
        repo, "log", "--first-parent", "--diff-filter=A", "-1", "--format=%H", rev, "--", path
    )
    return out or None
