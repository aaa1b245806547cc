"""Artifacts are immutable facts, end to end (issue 11, holes 3, 8 and 9): the real CLI on
real git repositories with real DVC and a local remote, each attack beside a control that
is allowed.

- hole 3: a PR that changes only the ``.dvc`` file of a registered version (GF208); a
  ``.dvc`` file with two outputs or naming another file (GF210); a version number that
  existed on main registered again with other bytes (GF230);
- hole 8: a stage whose policy requires the artifact in the remote (GF232, fail closed);
- hole 9: a colliding object (same md5, other bytes) swapped into the remote is refused by
  ``check`` (GF233), ``Registry.load_artifact`` and ``backup``.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from galfriday_gitops.registry import ArtifactIntegrityError, Registry
from tests.rules.test_check_e2e import check, reviews
from tests.support.cli import gfops
from tests.support.collision import colliding_pair
from tests.support.dvc import dvc
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo

BENIGN, EVIL = colliding_pair(b'\n{"model": "churn"}\n')
MANIFEST = "models/churn/1.0.0.yaml"
TRACKED = "artifacts/churn/1.0.0/model.bin"


def register(repo: Repo, tmp: Path, version: str, content: bytes) -> None:
    source = tmp / f"build-{version}" / "model.bin"
    source.parent.mkdir(exist_ok=True)
    source.write_bytes(content)
    result = gfops("register", str(source), "--name", "churn", "--version", version,
                   cwd=repo.path)  # fmt: skip
    assert result.code == 0, result.err


@pytest.fixture
def remote(repo: Repo, tmp_path: Path) -> Path:
    """The showcase registry with a DVC remote, a policy asking for artifacts in the remote
    on entering testing, and churn 1.0.0 (the benign half of a collision) on main."""
    where = tmp_path / "dvc-remote"
    dvc(repo.path, "init", "-q")
    dvc(repo.path, "remote", "add", "-d", "store", str(where))
    policy = repo.read("policies/stages.yaml")
    asks = "  stages:\n    testing:\n      requireArtifactInRemote: true\n"
    repo.write("policies/stages.yaml", policy.replace("  stages:\n", asks, 1))
    register(repo, tmp_path, "1.0.0", BENIGN)
    repo.commit("DVC remote; churn 1.0.0")
    return where


def judged(repo: Repo, github: LoopbackGitHub, tmp: Path) -> tuple[int, dict[str, Any]]:
    return check(repo, *reviews(github, tmp, []))


def rules(report: dict[str, Any]) -> set[str]:
    return {f["rule"] for f in report["findings"] if f["severity"] == "error"}


def messages(report: dict[str, Any], rule: str) -> str:
    return "\n".join(f["message"] for f in report["findings"] if f["rule"] == rule)


def remote_object(remote: Path, md5: str) -> Path:
    return remote / "files" / "md5" / md5[:2] / md5[2:]


def branch(repo: Repo, name: str) -> None:
    """A new branch from main, without the artifact files (git-ignored, so they would
    outlive a checkout and be committed where their .gitignore is absent)."""
    repo.git("checkout", "-q", "-B", name, "main")
    repo.git("clean", "-q", "-f", "-d", "-x", "--", "artifacts")


def to_testing(repo: Repo) -> None:
    branch(repo, "to-testing")
    repo.write(MANIFEST, repo.read(MANIFEST).replace("stage: development", "stage: testing", 1))
    repo.commit("churn 1.0.0 to testing")


# ---------------------------------------------------------------- hole 3


def test_changing_the_dvc_file_of_a_registered_version_is_blocked(
    repo: Repo, remote: Path, github: LoopbackGitHub, tmp_path: Path
) -> None:
    # Control: registering a new version of the same model is allowed.
    branch(repo, "register")
    register(repo, tmp_path, "1.1.0", b"another model\n")
    repo.commit("register churn 1.1.0")
    code, report = judged(repo, github, tmp_path)
    assert code == 0 and rules(report) == set(), report["findings"]

    # New bytes under 1.0.0: real `dvc add` rewrites the .dvc file, the manifest is untouched.
    branch(repo, "swap")
    repo.write(TRACKED, b"other bytes under the same version\n")
    dvc(repo.path, "add", "-q", TRACKED)
    repo.commit("retouch 1.0.0's artifact")
    assert repo.git("diff", "--name-only", "main", "HEAD") == TRACKED + ".dvc"
    code, report = judged(repo, github, tmp_path)
    assert code == 1 and "GF208" in rules(report), report["findings"]
    assert f"{TRACKED}.dvc cannot be changed" in messages(report, "GF208")

    # ... and with the manifest's md5 changed to match: still the same version's facts.
    md5 = yaml.safe_load(repo.read(TRACKED + ".dvc"))["outs"][0]["md5"]
    old = yaml.safe_load(repo.read(MANIFEST))["spec"]["artifacts"][0]["md5"]
    repo.write(MANIFEST, repo.read(MANIFEST).replace(old, md5))
    repo.commit("and its manifest")
    code, report = judged(repo, github, tmp_path)
    assert code == 1 and "GF208" in rules(report), report["findings"]


def test_a_dvc_file_tracks_exactly_the_manifests_file(
    repo: Repo, remote: Path, github: LoopbackGitHub, tmp_path: Path
) -> None:
    branch(repo, "register")
    register(repo, tmp_path, "1.1.0", b"another model\n")
    registered = repo.commit("register churn 1.1.0")
    path = "artifacts/churn/1.1.0/model.bin.dvc"
    tracked = yaml.safe_load(repo.read(path))
    out = tracked["outs"][0]

    two = {"outs": [out, {**out, "path": "extra.bin"}]}
    repo.write(path, yaml.safe_dump(two))
    repo.commit("a second output")
    code, report = judged(repo, github, tmp_path)
    assert code == 1 and "tracks 2 outputs" in messages(report, "GF210"), report["findings"]

    repo.git("reset", "-q", "--hard", registered)
    repo.write(path, yaml.safe_dump({"outs": [{**out, "path": "decoy.bin"}]}))
    repo.commit("the output names another file")
    code, report = judged(repo, github, tmp_path)
    assert code == 1, report["findings"]
    assert "tracks artifacts/churn/1.1.0/decoy.bin, not" in messages(report, "GF210")


def test_a_registration_points_dvc_yaml_at_its_own_file(
    repo: Repo, remote: Path, github: LoopbackGitHub, tmp_path: Path
) -> None:
    branch(repo, "register")
    register(repo, tmp_path, "1.1.0", b"another model\n")
    entry = yaml.safe_load(repo.read("dvc.yaml"))["artifacts"]["churn"]
    assert entry["path"] == "artifacts/churn/1.1.0/model.bin"
    repo.commit("register churn 1.1.0")
    code, report = judged(repo, github, tmp_path)  # control: what register wrote
    assert code == 0 and rules(report) == set(), report["findings"]

    # The entry left on the previous version's file: DVC would serve 1.0.0's bytes as 1.1.0.
    repo.write("dvc.yaml", repo.read("dvc.yaml").replace("1.1.0/model.bin", "1.0.0/model.bin"))
    repo.commit("dvc.yaml names another file")
    code, report = judged(repo, github, tmp_path)
    assert code == 1 and "GF231" in rules(report), report["findings"]
    assert "would serve that file, not artifacts/churn/1.1.0/model.bin" in messages(report, "GF231")


def test_a_deleted_version_number_cannot_come_back_with_other_bytes(
    repo: Repo, remote: Path, github: LoopbackGitHub, tmp_path: Path
) -> None:
    repo.git("rm", "-q", "-r", MANIFEST, "artifacts/churn/1.0.0")
    shutil.rmtree(repo.path / "artifacts/churn/1.0.0")
    repo.commit("churn 1.0.0 deleted long ago")

    branch(repo, "again")
    register(repo, tmp_path, "1.0.0", b"a different model\n")
    repo.commit("register churn 1.0.0 again, other bytes")
    code, report = judged(repo, github, tmp_path)
    assert code == 1 and "GF230" in rules(report), report["findings"]
    assert "churn@1.0.0 existed on main before" in messages(report, "GF230")

    # Control: the same number with the same bytes is the same fact, allowed.
    branch(repo, "same")
    shutil.rmtree(tmp_path / "build-1.0.0")
    register(repo, tmp_path, "1.0.0", BENIGN)
    repo.commit("register churn 1.0.0 again, same bytes")
    code, report = judged(repo, github, tmp_path)
    assert code == 0 and rules(report) == set(), report["findings"]


# ---------------------------------------------------------------- hole 8


def test_a_stage_can_require_the_artifact_in_the_remote(
    repo: Repo, remote: Path, github: LoopbackGitHub, tmp_path: Path
) -> None:
    to_testing(repo)
    code, report = judged(repo, github, tmp_path)  # control: register pushed it
    assert code == 0 and rules(report) == set(), report["findings"]

    md5 = hashlib.md5(BENIGN, usedforsecurity=False).hexdigest()
    held = remote_object(remote, md5)
    kept = held.read_bytes()
    held.unlink()
    code, report = judged(repo, github, tmp_path)
    assert code == 1 and f"does not hold it (md5 {md5})" in messages(report, "GF232")
    held.write_bytes(kept)

    # A remote that cannot be asked (CI's local config names one that does not exist)
    # blocks too: fail closed.
    (repo.path / ".dvc" / "config.local").write_text("[core]\n    remote = ghost\n")
    code, report = judged(repo, github, tmp_path)
    assert code == 1 and "could not be asked" in messages(report, "GF232"), report["findings"]


# ---------------------------------------------------------------- hole 9


def test_a_colliding_object_swapped_into_the_remote_is_refused_everywhere(
    repo: Repo, remote: Path, github: LoopbackGitHub, tmp_path: Path
) -> None:
    manifest = yaml.safe_load(repo.read(MANIFEST))["spec"]["artifacts"][0]
    assert manifest["sha256"] == hashlib.sha256(BENIGN).hexdigest()
    md5 = manifest["md5"]
    assert hashlib.md5(EVIL, usedforsecurity=False).hexdigest() == md5  # md5 cannot tell

    # Control: the reviewed bytes pass every check.
    repo.write(MANIFEST, repo.read(MANIFEST).replace("stage: development", "stage: production"))
    repo.commit("churn 1.0.0 in production (straight on main: the gate is not under test)")
    first = clone(repo, tmp_path / "before")
    version = Registry(first).get("churn", "1.0.0")
    assert version is not None
    assert Registry(first).load_artifact(version) == BENIGN
    # (The showcase's price-direction objects are in no remote: backup's exit code is theirs.)
    assert backup(first, tmp_path / "backup-before") == ("present", "md5 and sha256 verified")
    stage_back = repo.read(MANIFEST).replace("stage: production", "stage: development")
    repo.write(MANIFEST, stage_back)
    repo.commit("back to development")
    to_testing(repo)
    code, report = judged(repo, github, tmp_path)
    assert code == 0 and rules(report) == set(), report["findings"]

    # The attack: the colliding file replaces the object in the remote (and local cache).
    remote_object(remote, md5).write_bytes(EVIL)
    shutil.rmtree(repo.path / ".dvc" / "cache")
    code, report = judged(repo, github, tmp_path)
    assert code == 1 and "GF233" in rules(report), report["findings"]
    assert "not the registered artifact" in messages(report, "GF233")

    repo.git("checkout", "-q", "main")
    repo.write(MANIFEST, repo.read(MANIFEST).replace("stage: development", "stage: production"))
    repo.commit("churn 1.0.0 in production again")
    fresh = clone(repo, tmp_path / "after")
    version = Registry(fresh).get("churn", "1.0.0")
    assert version is not None
    with pytest.raises(ArtifactIntegrityError) as refused:
        Registry(fresh).load_artifact(version)
    assert refused.value.algorithm == "sha256" and "collision" in str(refused.value)
    status, detail = backup(fresh, tmp_path / "backup-after")
    assert status == "corrupt" and "sha256" in detail, detail


def clone(repo: Repo, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(repo.path), str(where)], check=True)
    return where


def backup(path: Path, target: Path) -> tuple[str, str]:
    """churn's (status, detail) in ``gfops backup``'s artifact check."""
    result = gfops("backup", "--to", str(target), "--format", "json", cwd=path)
    assert result.code in (0, 1), result.err
    (churn,) = [a for a in json.loads(result.out)["artifacts"] if a["model"] == "churn"]
    return churn["status"], churn["detail"]
