"""A registry with a realistic main: merged pull requests, one push at a time, each
followed by ``gfops apply`` as the workflow runs it. Shared by the apply and audit tests.

History (``Merge pull request #N`` merges on main, review data GitHub-shaped):

====  ===========================================================  ==================
PR    change                                                       approvals
====  ===========================================================  ==================
#1    register price-direction 1.0.0 and spread-model 0.1.0 (dev)   none needed
#2    both -> testing                                                none needed
#3    register price-direction 1.1.0 (development)                   none needed
#4    price-direction 1.0.0 testing -> staging                       bob (ml-team)
#5    price-direction 1.0.0 staging -> production                    dave, erin (leads)
#6    policies/teams.yaml: a new ml-team member                      frank (platform)
====  ===========================================================  ==================
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import gfops
from tests.support.factories import dvc_file, manifest
from tests.support.loopback import LoopbackGitHub
from tests.support.openapi import OpenAPISpec
from tests.support.repo import IDENTITY, ROOT, Repo, make_repo

BOT = ("galfriday-bot", "bot@galfriday.dev")


def register(repo: Repo, name: str, version: str, stage: str = "development") -> None:
    repo.write(f"models/{name}/{version}.yaml", manifest(name=name, version=version, stage=stage))
    repo.write(f"artifacts/{name}/{version}/model.json.dvc", dvc_file(name, version))


def set_stage(repo: Repo, name: str, version: str, new: str) -> None:
    path = f"models/{name}/{version}.yaml"
    text = repo.read(path)
    old = next(line for line in text.splitlines() if line.startswith("  stage: "))
    repo.write(path, text.replace(old + "\n", f"  stage: {new}          # edited\n", 1))


def new_registry(path: Path) -> Repo:
    """Policies and schemas of this project, no models yet (one commit on main)."""
    repo = make_repo(path, with_examples=False)
    for folder in ("policies", "schemas"):
        shutil.copytree(ROOT / folder, path / folder)
    repo.commit("registry policies")
    return repo


@dataclass
class Pusher:
    """Merges pull requests into main and runs apply per push, like the workflow."""

    repo: Repo
    github: LoopbackGitHub
    tmp: Path

    def merge(
        self,
        number: int,
        change: Callable[[], None],
        approvers: tuple[str, ...] = (),
        *,
        author: str = "alice",
        apply: bool = True,
    ) -> str:
        """Open PR #number with ``change``, approve it, merge it, apply; the merge sha."""
        before = self.repo.git("rev-parse", "main")
        branch = f"pr-{number}"
        self.repo.git("checkout", "-q", "-b", branch, "main")
        change()
        head = self.repo.commit(f"change of PR {number}")
        self.repo.git("checkout", "-q", "main")
        self.repo.git(
            "merge",
            "-q",
            "--no-ff",
            branch,
            "-m",
            f"Merge pull request #{number} from acme/{branch}",
        )
        after = self.repo.git("rev-parse", "main")
        if apply:
            args = self.review_args(number, head, approvers, author=author)
            result = gfops("apply", "--before", before, "--after", after, "--actor", "alice",
                           *args, cwd=self.repo.path)  # fmt: skip
            assert result.code == 0, result.err
        return after

    def review_args(
        self, number: int, head: str, approvers: tuple[str, ...], *, author: str
    ) -> list[str]:
        self.github.add_pull(number, author=author)
        for login in approvers:
            self.github.add_review(number, login, "APPROVED", head)
        self.github.add_commit(number, author=author, committer=author)
        reviews = self.tmp / f"reviews-{number}.json"
        commits = self.tmp / f"commits-{number}.json"
        reviews.write_text(json.dumps(self.github.reviews[number]))
        commits.write_text(json.dumps(self.github.commits[number]))
        return ["--reviews", str(reviews), "--commits", str(commits), "--pr-author", author]


def build(path: Path, spec: OpenAPISpec, *, apply: bool = True) -> Repo:
    repo = new_registry(path)
    pusher = Pusher(repo, LoopbackGitHub(spec), path.parent)

    def pr1() -> None:
        register(repo, "price-direction", "1.0.0")
        register(repo, "spread-model", "0.1.0")

    def pr2() -> None:
        set_stage(repo, "price-direction", "1.0.0", "testing")
        set_stage(repo, "spread-model", "0.1.0", "testing")

    def pr6() -> None:
        teams = repo.read("policies/teams.yaml")
        repo.write(
            "policies/teams.yaml", teams.replace("[alice, bob, carol]", "[alice, bob, carol, gina]")
        )

    pusher.merge(1, pr1, apply=apply)
    pusher.merge(2, pr2, apply=apply)
    pusher.merge(3, lambda: register(repo, "price-direction", "1.1.0"), apply=apply)
    pusher.merge(4, lambda: set_stage(repo, "price-direction", "1.0.0", "staging"), ("bob",),
                 apply=apply)  # fmt: skip
    pusher.merge(5, lambda: set_stage(repo, "price-direction", "1.0.0", "production"),
                 ("dave", "erin"), apply=apply)  # fmt: skip
    pusher.merge(6, pr6, ("frank",), apply=apply)
    return repo


def history_fixture(apply: bool) -> Callable[..., Iterator[Path]]:
    """A module-scoped built history (built once: a few seconds), copied per test."""

    @pytest.fixture(scope="module")
    def built(tmp_path_factory: pytest.TempPathFactory, spec: OpenAPISpec) -> Iterator[Path]:
        base = tmp_path_factory.mktemp("history")
        with pytest.MonkeyPatch.context() as mp:
            for key, value in IDENTITY.items():
                mp.setenv(key, value)
            (base / "home").mkdir()
            mp.setenv("HOME", str(base / "home"))
            build(base / "registry", spec, apply=apply)
        yield base / "registry"

    return built


def copy_of(built: Path, tmp: Path) -> Repo:
    target = tmp / "registry"
    shutil.copytree(built, target, symlinks=True)
    return Repo(target)


def audit_tags(repo: Repo) -> dict[str, str]:
    """Tag name -> tag object id, for every tag."""
    out = repo.git("for-each-ref", "--format=%(refname:short) %(objectname)", "refs/tags")
    return dict(line.rsplit(" ", 1) for line in out.splitlines() if line)


def tag_record(repo: Repo, name: str) -> dict[str, Any]:
    """The JSON record in an audit tag's message."""
    body = repo.git("for-each-ref", "--format=%(contents:body)", f"refs/tags/{name}")
    record = json.loads(body.split("--- galfriday-audit/v1 ---", 1)[1])
    assert isinstance(record, dict), record
    return record


def recreate(repo: Repo, name: str, message: str, *, sign_with: Path | None = None) -> None:
    """Replace a tag (same name, same target) with another message, as the bot would."""
    target = repo.git("rev-parse", f"refs/tags/{name}^{{commit}}")
    env = {**os.environ, "GIT_COMMITTER_NAME": BOT[0], "GIT_COMMITTER_EMAIL": BOT[1]}
    args = ["git", "-C", str(repo.path)]
    if sign_with is not None:
        args += ["-c", "gpg.format=ssh", "-c", f"user.signingkey={sign_with}"]
    args += [
        "tag",
        "-f",
        "-s" if sign_with else "-a",
        "--cleanup=verbatim",
        "-F",
        "-",
        name,
        target,
    ]
    subprocess.run(args, input=message, text=True, check=True, capture_output=True, env=env)


def tag_message(repo: Repo, name: str) -> str:
    """The message of a tag without any signature."""
    fmt = "%(contents:subject)%0a%0a%(contents:body)"
    return repo.git("for-each-ref", f"--format={fmt}", f"refs/tags/{name}") + "\n"
