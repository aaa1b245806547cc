"""Objects in DVC's cache and default remote, by md5: whether the remote holds them, what
their bytes hash to, and a verified copy of one. Each question runs DVC's Python API in a
process of its own (``import dvc`` stays out of the caller), with :mod:`dvcio`'s
environment; an unreachable remote is an answer (``problem``), not a crash.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from galfriday_gitops.dvcio import DvcError, env, failure, md5_of, require_dvc
from galfriday_gitops.errors import MissingExtra

_MD5 = re.compile(r"[0-9a-f]{32}")


# Runs in a DVC process of its own: for each md5, whether the default remote holds the
# object, and the md5 and SHA-256 of its bytes, read from the remote (what a consumer gets),
# else from the local cache. A remote that cannot be asked is a "problem", not a crash.
_STORED = """
import hashlib, json, sys
from dvc.repo import Repo
root, md5s = sys.argv[1], sys.argv[2:]
out = {m: {"in_remote": False} for m in md5s}
def digest(fs, path):
    h5, h256 = hashlib.md5(), hashlib.sha256()
    with fs.open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h5.update(chunk)
            h256.update(chunk)
    return h5.hexdigest(), h256.hexdigest()
with Repo(root) as repo:
    try:
        remotes = [repo.cloud.get_remote_odb(None, "fetch", hash_name=h)
                   for h in ("md5", "md5-dos2unix")]
        problem = None
    except Exception as exc:
        remotes, problem = [], f"{type(exc).__name__}: {exc}"
    for md5 in md5s:
        info = out[md5]
        for odb in remotes:
            try:
                path = odb.oid_to_path(md5)
                if odb.fs.exists(path):
                    info["in_remote"] = True
                    info["md5"], info["sha256"] = digest(odb.fs, path)
                    break
            except Exception as exc:
                problem = f"{type(exc).__name__}: {exc}"
                break
        if problem:
            info["problem"] = problem
        for odb in (repo.cache.local, repo.cache.legacy):
            path = odb.oid_to_path(md5)
            if "md5" not in info and odb.fs.exists(path):
                info["md5"], info["sha256"] = digest(odb.fs, path)
print(json.dumps(out))
"""


@dataclass(frozen=True, slots=True)
class StoredObject:
    """Where DVC finds one object, and what its bytes hash to (read from the remote when
    it holds them, else from the local cache; None when neither does)."""

    in_remote: bool
    md5: str | None = None
    sha256: str | None = None
    problem: str | None = None  # why the remote could not be asked


def stored_objects(repo: Path, md5s: list[str]) -> dict[str, StoredObject]:
    """md5 -> :class:`StoredObject`, for every object in one DVC process. Never raises for
    an unreachable remote or a missing DVC: each object then says why (``problem``)."""
    bad = [m for m in md5s if not _MD5.fullmatch(m)]
    if bad:
        raise DvcError(f"{bad[0]!r} is not an md5")

    def everywhere(problem: str) -> dict[str, StoredObject]:
        return {m: StoredObject(False, problem=problem) for m in md5s}

    if not md5s:
        return {}
    if not (repo / ".dvc").is_dir():
        return everywhere(f"{repo} is not a DVC project (no .dvc/)")
    try:
        proc = _python(repo, _STORED, *md5s)
    except MissingExtra as exc:
        return everywhere(str(exc))
    if proc.returncode != 0:
        return everywhere(f"DVC failed: {failure(proc.stderr) or proc.returncode}")
    try:
        data = json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return everywhere("DVC gave no answer")
    return {
        m: StoredObject(
            bool(data[m]["in_remote"]),
            data[m].get("md5"),
            data[m].get("sha256"),
            failure(data[m]["problem"]) if data[m].get("problem") else None,
        )
        for m in md5s
    }


def _python(cwd: Path, script: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``python -c script args`` with DVC's environment (this interpreter, no analytics)."""
    require_dvc()
    return subprocess.run(
        [sys.executable, "-c", script, str(cwd), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env(),
        check=False,
    )


# Runs in a DVC process of its own (``import dvc`` stays out of the caller): copy the object
# with one md5 out of the local cache, else the default remote, in DVC 3's layout or 2's.
# Objects only: no .dvc file, dvc.yaml or dvc.lock is read, nothing is checked out or run.
_FETCH_OBJECT = """
import shutil, sys
from dvc.repo import Repo
root, md5, dest = sys.argv[1:4]
with Repo(root) as repo:
    for odb in (repo.cache.local, repo.cache.legacy):
        path = odb.oid_to_path(md5)
        if odb.fs.exists(path):
            shutil.copyfile(path, dest)
            print("cache")
            raise SystemExit(0)
    for hash_name in ("md5", "md5-dos2unix"):
        odb = repo.cloud.get_remote_odb(None, "fetch", hash_name=hash_name)
        path = odb.oid_to_path(md5)
        if odb.fs.exists(path):
            odb.fs.get_file(path, dest)
            print("remote")
            raise SystemExit(0)
print("missing")
"""


def fetch_object(root: Path, md5: str, dest: Path) -> str:
    """Copy the DVC object whose md5 is ``md5`` to ``dest``, verified; where it came from
    (``cache`` or ``remote``). DvcError when no cache or remote of ``root`` has it, or its
    bytes are not what the hash says (a tampered cache or remote)."""
    if not _MD5.fullmatch(md5):
        raise DvcError(f"{md5!r} is not an md5")
    if not (root / ".dvc").is_dir():
        raise DvcError(f"{root} is not a DVC project (no .dvc/): object {md5} cannot be read")
    proc = _python(root, _FETCH_OBJECT, md5, str(dest))
    where = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    if proc.returncode != 0:
        lines = [ln for ln in proc.stderr.strip().splitlines() if ln.strip()]
        raise DvcError(f"object {md5}: DVC failed: {lines[-1] if lines else proc.returncode}")
    if where == "missing":
        raise DvcError(f"object {md5} is in neither the DVC cache nor the default remote")
    if md5_of(dest) != md5:
        dest.unlink(missing_ok=True)
        raise DvcError(f"object {md5} from the DVC {where} does not hash to {md5}: refused")
    return where
