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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from galfriday_gitops.errors import UserError

REGISTRY_DIRS = ("models", "policies", "experiments")

MODE_SYMLINK = "120000"
MODE_SUBMODULE = "160000"


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


def git_dir(repo: Path | str) -> Path:
    out = git_text(repo, "rev-parse", "--git-common-dir")
    p = Path(out)
    return p if p.is_absolute() else Path(repo) / p


def rev_parse(repo: Path | str, rev: str) -> str:
    """The commit id of ``rev``; a clear error when it does not exist."""
    if rev.startswith("-"):
        raise GitError(f"invalid revision {rev!r}")
    proc = git(repo, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}", check=False)
    sha = proc.decode().strip()
    if not sha:
        raise GitError(f"unknown revision {rev!r} in {repo}")
    return sha


def ls_tree(repo: Path | str, commit: str, paths: Sequence[str] = REGISTRY_DIRS) -> list[TreeEntry]:
    """Every entry below ``paths`` at ``commit`` (recursive; submodules show as commits)."""
    out = git(repo, "ls-tree", "-r", "-z", "--full-tree", commit, "--", *paths)
    entries = []
    for record in out.split(b"\0"):
        if not record:
            continue
        meta, _, path = record.partition(b"\t")
        mode, kind, oid = meta.decode().split(" ")
        entries.append(TreeEntry(mode, kind, oid, path.decode("utf-8", "surrogateescape")))
    return entries


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


def changed_paths(repo: Path | str, base: str, head: str) -> list[str]:
    """Paths that differ between two commits (what a pull request touches)."""
    out = git(repo, "diff", "--name-only", "-z", "--no-renames", base, head, "--")
    return [p.decode("utf-8", "surrogateescape") for p in out.split(b"\0") if p]


def commit_files(
    repo: Path | str,
    base: str,
    files: dict[str, bytes | None],
    message: str,
    *,
    branch: str | None = None,
) -> str:
    """Commit ``files`` (None deletes) on top of ``base`` without touching the work tree.

    Uses a private index (read-tree, update-index, write-tree, commit-tree), so a user's
    checkout, staged changes and current branch are left exactly as they were.
    """
    parent = rev_parse(repo, base)
    with tempfile.TemporaryDirectory() as tmp:
        env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
        git(repo, "read-tree", parent, env=env)
        for path, content in sorted(files.items()):
            if content is None:
                git(repo, "update-index", "--force-remove", "--", path, env=env)
                continue
            oid = git(repo, "hash-object", "-w", "--stdin", input=content).decode().strip()
            git(repo, "update-index", "--add", "--cacheinfo", f"100644,{oid},{path}", env=env)
        tree = git(repo, "write-tree", env=env).decode().strip()
    sha = git(repo, "commit-tree", tree, "-p", parent, "-m", message).decode().strip()
    if branch is not None:
        git(repo, "update-ref", f"refs/heads/{branch}", sha)
    return sha
