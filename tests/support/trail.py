"""A registry with a realistic main: merged pull requests, one push at a time, each
followed by ``gfops apply`` as the workflow runs it. Shared by the apply and audit tests.

The pull requests live on a loopback GitHub (checked against GitHub's OpenAPI description);
apply finds each merge's pull request, reviews and commits through the real API client, as
in Actions. Tags are SSH-signed with the demo key the example policies trust.

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

from tests.support.cli import Result as CliResult
from tests.support.cli import gfops
from tests.support.factories import dvc_file, manifest
from tests.support.loopback import BOT_LOGIN, TOKEN, LoopbackGitHub
from tests.support.openapi import OpenAPISpec
from tests.support.repo import IDENTITY, ROOT, Repo, make_repo
from tests.support.signing import sign_as_demo

BOT = ("galfriday-bot", "bot@galfriday.dev")


def register(
    repo: Repo, name: str, version: str, stage: str = "development", experiment: str = "ab-1"
) -> None:
    """A version as ``gfops register`` writes it (its lineage names the experiment it came
    from: production requires ``spec.lineage.experiment``)."""
    text = manifest(name=name, version=version, stage=stage, experiment=experiment)
    repo.write(f"models/{name}/{version}.yaml", text)
    repo.write(f"artifacts/{name}/{version}/model.json.dvc", dvc_file(name, version))


def set_stage(repo: Repo, name: str, version: str, new: str) -> None:
    path = f"models/{name}/{version}.yaml"
    text = repo.read(path)
    old = next(line for line in text.splitlines() if line.startswith("  stage: "))
    repo.write(path, text.replace(old + "\n", f"  stage: {new}          # edited\n", 1))


def new_registry(path: Path) -> Repo:
    """Policies and schemas of this project, no models yet (one commit on main), signing
    its audit tags with the demo key those policies trust."""
    repo = make_repo(path, with_examples=False)
    for folder in ("policies", "schemas"):
        shutil.copytree(ROOT / folder, path / folder)
    repo.commit("registry policies")
    sign_as_demo(path)
    return repo


def forge_env(github: LoopbackGitHub) -> dict[str, str]:
    """What Actions gives a step, pointed at the loopback GitHub (apply reads the PRs)."""
    return {
        "GITHUB_TOKEN": TOKEN,
        "GITHUB_REPOSITORY": f"{github.owner}/{github.repo}",
        "GITHUB_API_URL": github.api_url,
    }


@dataclass
class Pusher:
    """Merges pull requests into main (on git and on the loopback GitHub) and runs apply per
    push, like the workflow: the PR, its reviews and commits come from the API."""

    repo: Repo
    github: LoopbackGitHub

    def open(
        self, number: int, change: Callable[[], object], approvers: tuple[str, ...] = (),
        *, author: str = "alice", base: str = "main",
    ) -> str:  # fmt: skip
        """Branch ``pr-N`` off ``base`` with ``change``, PR #N on GitHub, its approvals on
        the head; the head sha."""
        branch = f"pr-{number}"
        self.repo.git("checkout", "-q", "-b", branch, base)
        change()
        head = self.repo.commit(f"change of PR {number}")
        self.repo.git("checkout", "-q", "main")
        pull = self.github.add_pull(number, author=author, head_ref=branch)
        pull["head"]["sha"] = head
        for login in approvers:
            self.github.add_review(number, login, "APPROVED", head)
        self.github.add_commit(number, author=author, committer=author)
        return head

    def land(self, number: int, *, squash: bool = False) -> str:
        """Merge PR #N as GitHub's button does (a merge commit, or a squash), mark it
        merged on GitHub; the new main."""
        branch = f"pr-{number}"
        if squash:
            self.repo.git("merge", "-q", "--squash", branch)
            self.repo.git("commit", "-q", "-m", f"Change of PR {number} (#{number})")
        else:
            self.repo.git("merge", "-q", "--no-ff", branch, "-m",
                          f"Merge pull request #{number} from acme/{branch}")  # fmt: skip
        after = self.repo.git("rev-parse", "main")
        self.github.merge_pull(number, after)
        return after

    def apply(self, before: str | None = None, *args: str) -> CliResult:
        """``gfops apply`` as the push workflow runs it (GitHub's before and after)."""
        extra = ["--before", before] if before else []
        return gfops("apply", *extra, "--after", "main", "--actor", "alice", *args,
                     cwd=self.repo.path, env=forge_env(self.github))  # fmt: skip

    def merge(
        self,
        number: int,
        change: Callable[[], object],
        approvers: tuple[str, ...] = (),
        *,
        author: str = "alice",
        apply: bool = True,
    ) -> str:
        """Open PR #number with ``change``, approve it, merge it, apply; the merge sha."""
        before = self.repo.git("rev-parse", "main")
        self.open(number, change, approvers, author=author)
        after = self.land(number)
        if apply:
            result = self.apply(before)
            assert result.code == 0, result.out + result.err
        return after


def build(path: Path, github: LoopbackGitHub, *, apply: bool = True) -> Repo:
    repo = new_registry(path)
    pusher = Pusher(repo, github)

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

    if apply:  # the registry's genesis: its first commit, recorded before any PR
        assert pusher.apply().code == 0
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
            github = LoopbackGitHub(spec).start()
            github.add_user(BOT_LOGIN, user_type="Bot", token=TOKEN)
            try:
                build(base / "registry", github, apply=apply)
            finally:
                github.stop()
            assert github.violations == [], github.violations
        yield base / "registry"

    return built


def copy_of(built: Path, tmp: Path) -> Repo:
    target = tmp / "registry"
    shutil.copytree(built, target, symlinks=True)
    return Repo(target)


def audit_tags(repo: Repo) -> dict[str, str]:
    """Tag name -> tag object id, for every tag (GTO's and the commit records)."""
    out = repo.git("for-each-ref", "--format=%(refname:strip=2) %(objectname)", "refs/tags")
    return dict(line.rsplit(" ", 1) for line in out.splitlines() if line)


def gto_tags(repo: Repo) -> dict[str, str]:
    """Tag name -> object id of the tags in GTO's syntax (not the commit records)."""
    return {n: oid for n, oid in audit_tags(repo).items() if not n.startswith("gfops/commit/")}


def commit_record(repo: Repo, sha: str) -> dict[str, Any] | None:
    """The JSON record apply wrote of commit ``sha`` (None when there is none)."""
    name = f"refs/tags/gfops/commit/{sha}"
    body = repo.git("for-each-ref", "--format=%(contents:body)", name)
    if not body:
        return None
    record = json.loads(body.split("--- galfriday-commit/v1 ---", 1)[1])
    assert isinstance(record, dict), record
    return record


def approved_records(repo: Repo, sha: str) -> list[str]:
    """The tags whose record says ``sha`` was approved (GTO tags and its commit record)."""
    names = [n for n in gto_tags(repo) if tag_record(repo, n).get("commit") == sha]
    approved = [n for n in names if tag_record(repo, n).get("approved") is True]
    record = commit_record(repo, sha)
    if record is not None and record.get("approved") is True:
        approved.append(f"gfops/commit/{sha}")
    return approved


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
