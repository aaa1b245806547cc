"""The cloud path users run: a registry whose DVC remote is S3, served on loopback by moto's
server mode (IAM credentials enforced), read and written by the real ``dvc-s3`` client with
an endpoint URL. ``register`` pushes, ``backup`` checks the remote, ``dvc pull`` and
``Registry.load_artifact`` read it back; wrong credentials and a missing bucket give one
clear line, and the credentials are never printed."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from galfriday_gitops import ArtifactUnavailableError, ModelStage, Registry
from tests.clients.dvc_registry import set_stage
from tests.support.cli import gfops
from tests.support.dvc import dvc
from tests.support.repo import ROOT, Repo, make_repo

BUCKET = "registry-artifacts"
MODEL = "price-direction"
# moto answers without authentication for this many requests (the set-up below), then
# checks every signature against its IAM users.
BOOTSTRAP_REQUESTS = 4


@dataclass
class S3:
    url: str
    key_id: str
    secret: str

    def env(self, *, secret: str | None = None) -> dict[str, str]:
        return {
            "AWS_ACCESS_KEY_ID": self.key_id,
            "AWS_SECRET_ACCESS_KEY": secret or self.secret,
            "AWS_DEFAULT_REGION": "us-east-1",
        }

    def client(self) -> Any:
        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id=self.key_id,
                            aws_secret_access_key=self.secret)  # fmt: skip


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def s3() -> Iterator[S3]:
    port = _free_port()
    server = Path(sys.executable).with_name("moto_server")
    env = {**os.environ, "INITIAL_NO_AUTH_ACTION_COUNT": str(BOOTSTRAP_REQUESTS)}
    proc = subprocess.Popen([str(server), "-H", "127.0.0.1", "-p", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60  # hang guard: moto's server is up in ~1 s
        while True:
            try:
                urllib.request.urlopen(f"{url}/moto-api/", timeout=5).close()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        boot = {"endpoint_url": url, "region_name": "us-east-1",
                "aws_access_key_id": "bootstrap", "aws_secret_access_key": "bootstrap"}  # fmt: skip
        iam = boto3.client("iam", **boot)
        iam.create_user(UserName="ci")
        key = iam.create_access_key(UserName="ci")["AccessKey"]
        allow = {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}
        policy = {"Version": "2012-10-17", "Statement": [allow]}
        iam.put_user_policy(UserName="ci", PolicyName="s3", PolicyDocument=json.dumps(policy))
        boto3.client("s3", **boot).create_bucket(Bucket=BUCKET)
        yield S3(url, key["AccessKeyId"], key["SecretAccessKey"])
    finally:
        proc.terminate()
        proc.wait(timeout=30)  # hang guard: it exits on SIGTERM in milliseconds


def s3_registry(path: Path, s3: S3, bucket: str = BUCKET) -> Repo:
    repo = make_repo(path, with_examples=False)
    for folder in ("policies", "schemas"):
        subprocess.run(["cp", "-r", str(ROOT / folder), str(path / folder)], check=True)
    repo.write(".gitignore", "/build/\n")
    dvc(path, "init", "-q")
    dvc(path, "remote", "add", "-d", "store", f"s3://{bucket}/dvc")
    dvc(path, "remote", "modify", "store", "endpointurl", s3.url)  # credentials: environment
    repo.commit("registry with an S3 remote")
    return repo


def register(repo: Repo, content: bytes, env: dict[str, str]) -> Any:
    source = repo.write("build/model.json", content)
    return gfops("register", str(source), "--name", MODEL, "--version", "1.0.0",
                 cwd=repo.path, env=env)  # fmt: skip


def assert_no_credentials(s3: S3, env: dict[str, str], *outputs: str) -> None:
    """The credentials appear in none of ``outputs``. Control: they were in the environment
    the command ran with, where the same search finds them."""
    printed = subprocess.run(["env"], env={**os.environ, **env}, capture_output=True,
                             text=True, check=True).stdout  # fmt: skip
    for secret in (env["AWS_SECRET_ACCESS_KEY"], s3.key_id):
        assert secret in printed  # the search works on output that does hold it
        for output in outputs:
            assert secret not in output


def test_register_backup_pull_and_load_artifact_through_s3(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for key, value in s3.env().items():
        monkeypatch.setenv(key, value)
    repo = s3_registry(tmp_path / "registry", s3)
    content = b'{"weights": [0.25, -1.5]}\n'
    result = register(repo, content, s3.env())
    assert result.code == 0, result.err
    manifest = f"models/{MODEL}/1.0.0.yaml"
    md5 = yaml.safe_load(repo.read(manifest))["spec"]["artifacts"][0]["md5"]
    keys = [o["Key"] for o in s3.client().list_objects_v2(Bucket=BUCKET).get("Contents", [])]
    assert f"dvc/files/md5/{md5[:2]}/{md5[2:]}" in keys  # pushed by register
    set_stage(repo, MODEL, "1.0.0", "production")
    repo.commit("register and serve 1.0.0")

    backup = gfops("backup", "--to", str(tmp_path / "backup"), cwd=repo.path)
    assert backup.code == 0, backup.out + backup.err
    saved = json.loads((tmp_path / "backup" / "manifest.json").read_text(encoding="utf-8"))
    assert [(a["version"], a["status"]) for a in saved["artifacts"]] == [("1.0.0", "present")]
    assert saved["dvcRemote"]["url"] == f"s3://{BUCKET}/dvc"

    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True)
    dvc(clone, "pull")
    assert (clone / f"artifacts/{MODEL}/1.0.0/model.json").read_bytes() == content
    assert dvc(clone, "status", "-c") == "Cache and remote 'store' are in sync."

    fresh = tmp_path / "fresh"  # no DVC cache: the bytes can only come from S3
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(fresh)], check=True)
    registry = Registry(str(fresh))
    version = registry.resolve(MODEL, ModelStage.PRODUCTION)
    assert registry.load_artifact(version) == content


def test_wrong_credentials_are_one_clear_line_without_the_credentials(
    s3: S3, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = s3_registry(tmp_path / "registry", s3)
    wrong = s3.env(secret="wrong-secret-" + "x" * 27)
    result = register(repo, b'{"w": 1}\n', wrong)
    assert result.code == 2 and result.out == ""
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    assert "dvc push failed" in lines[0] and "refused the credentials" in lines[0], lines[0]
    assert not (repo.path / f"models/{MODEL}/1.0.0.yaml").exists()  # no manifest of nothing
    assert_no_credentials(s3, wrong, result.out, result.err)

    # The same registry, pushed with the right key, then checked with the wrong one.
    assert register(repo, b'{"w": 1}\n', s3.env()).code == 0
    set_stage(repo, MODEL, "1.0.0", "production")
    repo.commit("1.0.0")
    backup = gfops("backup", "--to", str(tmp_path / "backup"), cwd=repo.path, env=wrong)
    assert backup.code == 2 and len(backup.err.strip().splitlines()) == 1, backup.err
    assert "checking the DVC remote 'store' failed" in backup.err
    assert "refused the credentials" in backup.err
    assert_no_credentials(s3, wrong, backup.out, backup.err)

    for key, value in wrong.items():
        monkeypatch.setenv(key, value)
    fresh = tmp_path / "fresh"
    subprocess.run(["git", "clone", "-q", "--bare", str(repo.path), str(fresh)], check=True)
    registry = Registry(str(fresh))
    with pytest.raises(ArtifactUnavailableError) as raised:
        registry.load_artifact(registry.resolve(MODEL, ModelStage.PRODUCTION))
    assert_no_credentials(s3, wrong, str(raised.value))


def test_a_missing_bucket_is_one_clear_line(s3: S3, tmp_path: Path) -> None:
    repo = s3_registry(tmp_path / "registry", s3, bucket="no-such-bucket")
    result = register(repo, b'{"w": 2}\n', s3.env())
    assert result.code == 2, result.out + result.err
    (line,) = result.err.strip().splitlines()
    assert "NoSuchBucket" in line and "bucket does not exist" in line, line
    assert_no_credentials(s3, s3.env(), result.out, result.err)
