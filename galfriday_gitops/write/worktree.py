"""A revision's files without touching the user's checkout: a temporary ``git worktree``
that shares the main checkout's DVC configuration and cache, and a data file as it is at a
revision (``retrain`` runs its pipeline in one; ``conclude --rev`` reads its data from one).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from galfriday_gitops import dvcio, gitio


@contextmanager
def temporary_worktree(root: Path, commit: str) -> Iterator[Path]:
    """A detached ``git worktree`` of ``commit`` in a temp dir, removed on exit."""
    tmp = Path(tempfile.mkdtemp(prefix="gfops-worktree-"))
    wt = tmp / "worktree"
    try:
        gitio.git(root, "worktree", "add", "--detach", "--quiet", str(wt), commit)
        yield wt
    finally:
        gitio.git(root, "worktree", "remove", "--force", str(wt), check=False)
        shutil.rmtree(tmp, ignore_errors=True)
        gitio.git(root, "worktree", "prune", check=False)


def share_dvc_config(root: Path, wt: Path) -> None:
    """Give the worktree the main checkout's local DVC config and cache directory."""
    local = root / ".dvc" / "config.local"
    if local.is_file():  # remotes or credentials kept out of git live here
        shutil.copyfile(local, wt / ".dvc" / "config.local")
    cache = dvcio.dvc(root, "cache", "dir").strip()
    if cache:
        dvcio.dvc(wt, "config", "--local", "cache.dir", cache)


def _dvc_tracked_at(root: Path, commit: str, rel: str) -> bool:
    """Whether DVC tracks ``rel`` at ``commit``: a ``.dvc`` file beside it, or (a cheap
    first look, confirmed in the worktree) its path in ``dvc.lock``."""
    if gitio.read_blob(root, commit, rel + ".dvc") is not None:
        return True
    lock = gitio.read_blob(root, commit, "dvc.lock")
    return lock is not None and Path(rel).name.encode() in lock


@contextmanager
def data_at(root: Path, commit: str, rel: str) -> Iterator[Path]:
    """The file ``rel`` as it is at ``commit``: its blob when git holds it; DVC's copy of
    that commit when DVC tracks it there (the cache, else the remote); the work tree's file
    when neither does (untracked data: nothing at the commit says otherwise)."""
    blob = gitio.read_blob(root, commit, rel)
    if blob is not None:
        with tempfile.TemporaryDirectory(prefix="gfops-data-") as tmp:
            path = Path(tmp) / Path(rel).name  # the same suffix: it decides the format
            path.write_bytes(blob)
            yield path
        return
    if not _dvc_tracked_at(root, commit, rel):
        yield root / rel
        return
    with temporary_worktree(root, commit) as wt:
        target = wt / rel
        if dvcio.dvc_target(target, wt) is None:
            yield root / rel
            return
        share_dvc_config(root, wt)
        dvcio.pull_if_missing(target, wt)
        yield target
