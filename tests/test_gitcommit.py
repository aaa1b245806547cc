"""gitcommit.commit_files: a commit built from trees alone, checked against what git's own
index makes of the same change (the oracle), and never touching the user's checkout."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from galfriday_gitops import gitcommit
from tests.support.repo import Repo


@pytest.fixture
def base(empty_repo: Repo) -> Repo:
    empty_repo.write("models/a/1.0.0.yaml", "a: 1\n")
    empty_repo.write("models/b/1.0.0.yaml", "b: 1\n")
    empty_repo.write("tools/run.sh", "#!/bin/sh\n")
    os.chmod(empty_repo.path / "tools/run.sh", 0o755)
    empty_repo.write("README.md", "hi\n")
    empty_repo.commit("base")
    return empty_repo


def _with_git_index(repo: Repo, tmp_path: Path, files: dict[str, bytes | None]) -> str:
    """The tree git itself records for ``files`` applied to HEAD (a clone, ``git add -A``)."""
    clone = Repo(tmp_path / "oracle")
    shutil.copytree(repo.path, clone.path, symlinks=True)
    for path, content in files.items():
        target = clone.path / path
        if content is None:
            target.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
    clone.git("add", "-A")
    return clone.git("write-tree")


CHANGES: list[dict[str, bytes | None]] = [
    {"models/a/1.0.0.yaml": b"a: 2\n"},  # edit
    {"models/c/1.0.0.yaml": b"c: 1\n", "models/a/1.1.0.yaml": b"a: 3\n"},  # new folder + file
    {"models/b/1.0.0.yaml": None},  # the last file of a folder: the folder goes
    {"tools/run.sh": b"#!/bin/sh\necho\n"},  # an executable stays executable
    {"deep/er/still/x.txt": b"x\n", "README.md": None},
]


@pytest.mark.parametrize("files", CHANGES)
def test_the_same_tree_as_git_add(
    base: Repo, tmp_path: Path, files: dict[str, bytes | None]
) -> None:
    head = base.git("rev-parse", "HEAD")
    before = base.git("status", "--porcelain"), (base.path / ".git" / "index").read_bytes()
    sha = gitcommit.commit_files(base.path, "HEAD", files, "change", branch="topic")
    assert base.git("rev-parse", f"{sha}^{{tree}}") == _with_git_index(base, tmp_path, files)
    assert base.git("rev-parse", f"{sha}^") == head and base.git("rev-parse", "topic") == sha
    after = base.git("status", "--porcelain"), (base.path / ".git" / "index").read_bytes()
    assert after == before and base.git("rev-parse", "HEAD") == head  # checkout untouched


def test_untouched_folders_keep_their_tree_ids(base: Repo) -> None:
    sha = gitcommit.commit_files(base.path, "HEAD", {"models/a/1.0.0.yaml": b"a: 9\n"}, "edit")
    assert base.git("rev-parse", f"{sha}:models/b") == base.git("rev-parse", "HEAD:models/b")
    assert base.git("rev-parse", f"{sha}:models/a") != base.git("rev-parse", "HEAD:models/a")


def test_deleting_everything_gives_the_empty_tree(empty_repo: Repo) -> None:
    empty_repo.write("x.txt", "x\n")
    empty_repo.commit()
    sha = gitcommit.commit_files(empty_repo.path, "HEAD", {"x.txt": None}, "empty")
    empty = empty_repo.git("hash-object", "-t", "tree", "/dev/null")
    assert empty_repo.git("rev-parse", f"{sha}^{{tree}}") == empty
