"""`gfops backup` / `gfops restore`: the restored registry answers exactly like the original."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.support.cli import gfops
from tests.support.dvc import dvc
from tests.support.factories import fake_md5
from tests.support.repo import Repo
from tests.support.trail import audit_tags, copy_of, history_fixture

applied = history_fixture(apply=True)


# The bytes whose md5 the history's manifests pin for 1.0.0 (factories.fake_md5).
LIVE_BYTES = b"price-direction@1.0.0"


def local_remote(
    repo: Repo, tmp_path: Path, *, with_artifacts: bool, content: bytes = LIVE_BYTES
) -> Path:
    """A DVC config naming a local remote; the live version's artifact stored in DVC 3 layout."""
    remote = tmp_path / "dvc-remote"
    for args in (["init", "-q"], ["remote", "add", "-q", "-d", "store", str(remote)]):
        dvc(repo.path, *args)
    repo.commit("dvc remote")
    md5 = fake_md5("price-direction", "1.0.0")  # 1.0.0 is in production in this history
    if with_artifacts:
        blob = remote / "files" / "md5" / md5[:2] / md5[2:]
        blob.parent.mkdir(parents=True)
        blob.write_bytes(content)
    return remote


def answers(path: Path) -> tuple[str, str, str]:
    status = gfops("status", "--format", "json", cwd=path)
    history = gfops("history", "price-direction", "--format", "json", cwd=path)
    verify = gfops("audit", "verify", "--format", "json", cwd=path)
    assert status.code == 0 and history.code == 0, (status.err, history.err)
    return status.out, history.out, f"{verify.code}\n{verify.out}"


def test_backup_and_restore_round_trip(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    local_remote(repo, tmp_path, with_artifacts=True)
    tags = audit_tags(repo)
    assert len(tags) > 5

    backup = gfops("backup", "--to", str(tmp_path / "backup"), "--format", "json", cwd=repo.path)
    assert backup.code == 0, backup.out + backup.err
    manifest = json.loads(backup.out)
    assert manifest["counts"]["auditTags"] == len(tags)
    assert [(a["version"], a["status"]) for a in manifest["artifacts"]] == [("1.0.0", "present")]
    assert manifest["artifacts"][0]["detail"] == "md5 and sha256 verified"

    restored = tmp_path / "restored"
    result = gfops("restore", "--from", str(tmp_path / "backup"), "--to", str(restored))
    assert result.code == 0, result.err
    assert audit_tags(Repo(restored)) == tags  # same tag objects: the hash chain holds
    original = answers(repo.path)
    # The fixture commits dvc init straight onto main: a direct push to .dvc/ and .dvcignore,
    # which verify reports (GF309) and nothing else; the restored copy must say the same.
    code, _, report = original[2].partition("\n")
    errors = [f for f in json.loads(report) if f["severity"] == "error"]
    assert code == "1" and errors and {f["rule"] for f in errors} == {"GF309"}
    assert all(f["file"].startswith((".dvc/", ".dvcignore")) for f in errors), errors
    assert answers(restored) == original

    # A second restore into the same (now non-empty) folder is refused.
    again = gfops("restore", "--from", str(tmp_path / "backup"), "--to", str(restored))
    assert again.code == 2 and "not an empty folder" in again.err


def test_a_missing_live_artifact_fails_the_backup(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    local_remote(repo, tmp_path, with_artifacts=False)
    result = gfops("backup", "--to", str(tmp_path / "backup"), cwd=repo.path)
    assert result.code == 1, result.err
    assert "missing   price-direction@1.0.0 (production)" in result.out
    assert "1 live artifact(s) not confirmed" in result.out


def test_a_live_artifact_whose_remote_bytes_differ_fails_the_backup(
    applied: Path, tmp_path: Path
) -> None:
    # The object sits where the manifest's md5 says, but holds other bytes: the backup reads
    # it back from the remote and refuses to call it present (the control is the round trip
    # above, with the right bytes: "md5 verified").
    repo = copy_of(applied, tmp_path)
    local_remote(repo, tmp_path, with_artifacts=True, content=b"other model bytes")
    result = gfops("backup", "--to", str(tmp_path / "backup"), "--format", "json", cwd=repo.path)
    assert result.code == 1, result.err
    (check,) = json.loads(result.out)["artifacts"]
    assert check["status"] == "corrupt" and "hashes to md5" in check["detail"], check


def test_restore_refuses_a_damaged_bundle(applied: Path, tmp_path: Path) -> None:
    repo = copy_of(applied, tmp_path)
    local_remote(repo, tmp_path, with_artifacts=True)
    assert gfops("backup", "--to", str(tmp_path / "b"), cwd=repo.path).code == 0
    bundle = tmp_path / "b" / "registry.bundle"
    data = bytearray(bundle.read_bytes())
    data[-10] ^= 0xFF
    bundle.write_bytes(bytes(data))
    result = gfops("restore", "--from", str(tmp_path / "b"), "--to", str(tmp_path / "r"))
    assert result.code == 2 and "sha256 differs" in result.err
    shutil.rmtree(tmp_path / "b")
