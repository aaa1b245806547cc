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
from typing import Any

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


def _recorded_at(root: Path, commit: str, rel: str) -> tuple[bool, str | None]:
    """Whether DVC tracks ``rel`` at ``commit`` (a ``.dvc`` file beside it, or an output of
    ``dvc.lock``), and the md5 it records for it there when that is a single file's."""
    raw = gitio.read_blob(root, commit, rel + ".dvc")
    if raw is not None:
        tracked = dvcio.parse_dvc_file(raw, f"{rel}.dvc at {commit[:12]}").outs
        return True, tracked[0].md5 if len(tracked) == 1 else None
    lock = gitio.read_blob(root, commit, "dvc.lock")
    if lock is None or Path(rel).name.encode() not in lock:
        return False, None
    import yaml

    try:
        stages = (yaml.safe_load(lock) or {}).get("stages") or {}
    except (yaml.YAMLError, AttributeError):
        return True, None  # unreadable here: let DVC, in the worktree, decide
    for stage in stages.values() if isinstance(stages, dict) else ():
        outs: Any = stage.get("outs") if isinstance(stage, dict) else None
        for out in outs if isinstance(outs, list) else ():
            if isinstance(out, dict) and out.get("path") == rel:
                md5: Any = out.get("md5")
                return True, md5 if isinstance(md5, str) else None
    return True, None  # perhaps inside a tracked folder


@contextmanager
def data_at(root: Path, commit: str, rel: str) -> Iterator[Path]:
    """The file ``rel`` as it is at ``commit``: its blob when git holds it; DVC's copy of
    that commit when DVC tracks it there (the work tree's file when its md5 is the one
    recorded, else the cache or the remote, in a temporary worktree); the work tree's file
    when neither does (untracked data: nothing at the commit says otherwise)."""
    blob = gitio.read_blob(root, commit, rel)
    if blob is not None:
        with tempfile.TemporaryDirectory(prefix="gfops-data-") as tmp:
            path = Path(tmp) / Path(rel).name  # the same suffix: it decides the format
            path.write_bytes(blob)
            yield path
        return
    tracked, md5 = _recorded_at(root, commit, rel)
    here = root / rel
    if not tracked or (md5 is not None and here.is_file() and dvcio.md5_of(here) == md5):
        yield here
        return
    with temporary_worktree(root, commit) as wt:
        target = wt / rel
        if dvcio.dvc_target(target, wt) is None:
            yield here
            return
        share_dvc_config(root, wt)
        dvcio.pull_if_missing(target, wt)
        yield target
