"""Real git repositories in temp dirs: the ``Repo`` helper, registry builders and fixtures."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

# The project root: the project is itself a registry and the template the tests copy.
ROOT = Path(__file__).resolve().parents[2]
# Tests start from a copy of the project's own registry files.
REGISTRY_PARTS = ("models", "policies", "experiments", "artifacts", "schemas")

IDENTITY = {
    "GIT_AUTHOR_NAME": "Ada Tester",
    "GIT_AUTHOR_EMAIL": "ada@example.com",
    "GIT_COMMITTER_NAME": "Ada Tester",
    "GIT_COMMITTER_EMAIL": "ada@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def _git_identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key, value in IDENTITY.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir(exist_ok=True)
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")  # whatever a test starts (dvcio sets it too)


@dataclass
class Repo:
    """A real git repository in a temp dir, with helpers to write and commit files."""

    path: Path

    def git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(self.path), *args], check=True, capture_output=True, text=True
        ).stdout.strip()

    def write(self, rel: str, text: str | bytes) -> Path:
        target = self.path / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")
        return target

    def read(self, rel: str) -> str:
        return (self.path / rel).read_text(encoding="utf-8")

    def add_origin(self, where: Path, *, push: bool = False) -> Path:
        """A bare repository as ``origin`` (what write commands push to)."""
        subprocess.run(["git", "init", "-q", "--bare", str(where)], check=True)
        self.git("remote", "add", "origin", str(where))
        if push:
            self.git("push", "-q", "origin", "main")
        return where

    def commit(self, message: str = "change") -> str:
        self.git("add", "-A")
        self.git("commit", "-q", "--allow-empty", "-m", message)
        return self.git("rev-parse", "HEAD")


def _registry_files() -> list[str]:
    """The project's own registry files as git sees them (DVC-ignored artifacts excluded)."""
    listed = subprocess.run(
        [
            "git",
            "-C",
            str(ROOT),
            "ls-files",
            "--cached",
            "--others",
            "--exclude-standard",
            "--",
            *REGISTRY_PARTS,
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return [p for p in listed if (ROOT / p).is_file()]


def make_repo(path: Path, *, with_examples: bool = True) -> Repo:
    path.mkdir(parents=True, exist_ok=True)
    repo = Repo(path)
    repo.git("init", "-q", "-b", "main")
    if with_examples:
        for rel in _registry_files():
            dest = path / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / rel, dest)
        repo.commit("registry")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    """A committed registry: one model with versions, a stage policy, teams, an experiment."""
    return make_repo(tmp_path / "registry")


@pytest.fixture
def empty_repo(tmp_path: Path) -> Repo:
    return make_repo(tmp_path / "registry", with_examples=False)


def fill_registry(repo: Repo, models: int) -> Repo:
    """``models`` models ``m00``, ``m01``, ... with three versions each: 1.0.0 deprecated,
    1.1.0 production, 1.2.0 canary; test.accuracy 0.70 + model/100 (+0.01 per version),
    label team=a for even models and b for odd ones; committed."""
    from tests.support.factories import manifest

    for m in range(models):
        name = f"m{m:02d}"
        for v, stage in enumerate(("deprecated", "production", "canary")):
            text = manifest(
                name,
                f"1.{v}.0",
                stage,
                accuracy=round(0.70 + m / 100 + v / 100, 4),
                labels=f"{{team: {'ab'[m % 2]}}}",
            )
            repo.write(f"models/{name}/1.{v}.0.yaml", text)
    repo.commit(f"{models} models")
    return repo
