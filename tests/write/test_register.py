"""`gfops register`: DVC-tracked artifact, validated manifest, lineage from the pipeline."""

from __future__ import annotations

import contextlib
import os
import pty
import re
import subprocess
from pathlib import Path

import yaml

from galfriday_gitops.load.state import load_worktree
from tests.support.cli import GFOPS, Result, gfops
from tests.support.dvc import dvc
from tests.support.repo import Repo

LOCK = """\
schema: '2.0'
stages:
  train:
    cmd: python -m train
    deps:
    - path: data/prepared/train.parquet
      hash: md5
      md5: 9d4b164ce7fc278ba75f98f6ba1bb499
      size: 10
    outs:
    - path: build/model/model.json
      hash: md5
      md5: 0123456789abcdef0123456789abcdef
      size: 14
"""


def test_register_records_what_the_pipeline_trained_on(empty_repo: Repo) -> None:
    dvc(empty_repo.path, "init", "-q")
    empty_repo.write("dvc.lock", LOCK)
    empty_repo.write(
        "params.yaml", "data: {start: '2024-01-01', end: '2024-03-31'}\ntrain: {l2: 1.0}\n"
    )
    empty_repo.write("build/model/model.json", '{"weights": 1}')
    empty_repo.write("metrics.json", '{"test": {"accuracy": 0.9}}')
    empty_repo.commit("pipeline ran")
    result = gfops(
        "register", "build/model/model.json", "--name", "m", "--version", "1.0.0",
        "--metrics", "metrics.json", "--no-push", cwd=empty_repo.path,
    )  # fmt: skip
    assert result.code == 0, result.err
    state = load_worktree(empty_repo.path)
    assert state.findings == []
    version = state.get("m", "1.0.0")
    assert version is not None
    training = version.spec.training
    assert training.params == {
        "dvc.stage": "train",
        "dvc.dep.data/prepared/train.parquet": "9d4b164ce7fc278ba75f98f6ba1bb499",
    }
    assert training.data_window is not None
    assert str(training.data_window.start) == "2024-01-01"
    assert version.spec.hyperparameters == {"l2": 1.0}
    tracked = yaml.safe_load((empty_repo.path / "artifacts/m/1.0.0/model.json.dvc").read_text())
    assert tracked["outs"][0]["md5"] == version.spec.artifacts[0].md5
    again = gfops(
        "register",
        "build/model/model.json",
        "--name",
        "m",
        "--version",
        "1.0.0",
        "--no-push",
        cwd=empty_repo.path,
    )
    assert again.code == 2 and "already registered" in again.err


def test_a_missing_artifact_is_reported_missing_and_a_symlink_refused(empty_repo: Repo) -> None:
    empty_repo.write("build/model.json", "{}")
    (empty_repo.path / "build/link.json").symlink_to(empty_repo.path / "build/model.json")
    missing = gfops("register", "build/typo.json", "--name", "m", "--version", "1.0.0",
                    "--no-push", cwd=empty_repo.path)  # fmt: skip
    assert missing.code == 2
    assert "build/typo.json: no such file" in missing.err and "symlink" not in missing.err
    linked = gfops("register", "build/link.json", "--name", "m", "--version", "1.0.0",
                   "--no-push", cwd=empty_repo.path)  # fmt: skip
    assert linked.code == 2 and "symlinks are refused" in linked.err
    assert not (empty_repo.path / "models").exists()


def _register(repo: Repo, version: str, *flags: str) -> Result:
    return gfops("register", "build/model.json", "--name", "m", "--version", version, *flags,
                 cwd=repo.path)  # fmt: skip


def test_upload_progress_on_stderr_only_when_asked_or_on_a_terminal(
    empty_repo: Repo, tmp_path: Path
) -> None:
    dvc(empty_repo.path, "init", "-q")
    dvc(empty_repo.path, "remote", "add", "-d", "local", str(tmp_path / "remote"))
    empty_repo.write("build/model.json", '{"weights": [1, 2, 3]}')
    asked = _register(empty_repo, "1.0.0", "--progress")
    assert asked.code == 0, asked.err
    lines = asked.err.splitlines()
    upload = re.compile(
        r"\[register +[\d.]+s\] dvc push artifacts/m/1\.0\.0/model\.json: "
        r"uploading 22 B to the DVC remote$"
    )
    assert any(upload.match(ln) for ln in lines), lines
    assert lines[-1].endswith("wrote models/m/1.0.0.yaml")
    # a pipe (CI logs, scripts) stays quiet by default
    quiet = _register(empty_repo, "1.0.1")
    assert quiet.code == 0 and quiet.err == ""
    # a terminal gets the lines by default, --no-progress silences it
    for version, flags, shown in (("1.0.2", (), True), ("1.0.3", ("--no-progress",), False)):
        leader, follower = pty.openpty()
        proc = subprocess.run(
            [*GFOPS, "register", "build/model.json", "--name", "m", "--version", version, *flags],
            cwd=empty_repo.path, stdout=subprocess.PIPE, stderr=follower, check=False,
        )  # fmt: skip
        os.close(follower)
        seen = b""
        with contextlib.suppress(OSError):  # EIO: the terminal's other end is closed
            while chunk := os.read(leader, 4096):
                seen += chunk
        os.close(leader)
        assert proc.returncode == 0
        assert (b"uploading 22 B to the DVC remote" in seen) is shown, seen
