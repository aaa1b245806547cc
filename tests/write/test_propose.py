"""The one PR upsert: the same change is neither re-committed nor re-pushed; a new one is."""

from __future__ import annotations

from pathlib import Path

from galfriday_gitops.forge.base import Forge
from galfriday_gitops.write.propose import propose
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import Repo

BRANCH = "galfriday/test/change"


def _propose(
    repo: Repo, text: str, forge: Forge | None = None, remote: str | None = None
) -> tuple[str, bool, bool]:
    proposal = propose(
        repo.path,
        base="main",
        branch=BRANCH,
        files={"notes/change.txt": text.encode()},
        message="a change",
        title="A change",
        body=f"body for {text!r}",
        forge=forge,
        remote=remote,
    )
    return proposal.commit, proposal.pushed, proposal.created


def test_the_same_change_keeps_the_branch_and_a_new_one_replaces_it(repo: Repo) -> None:
    first, pushed, _ = _propose(repo, "one")
    assert pushed and repo.git("rev-parse", BRANCH) == first
    again, pushed_again, _ = _propose(repo, "one")
    assert (again, pushed_again) == (first, False)  # same tree on the same parent
    other, pushed_other, _ = _propose(repo, "two")
    assert pushed_other and other != first and repo.git("rev-parse", BRANCH) == other
    assert repo.git("rev-parse", f"{BRANCH}^") == repo.git("rev-parse", "main")


def test_one_pull_request_updated_and_the_remote_not_pushed_twice(
    repo: Repo, github: LoopbackGitHub, github_env: dict[str, str], tmp_path: Path
) -> None:
    from galfriday_gitops.forge.actions import ActionsEnv

    origin = repo.add_origin(tmp_path / "origin.git", push=True)
    forge = ActionsEnv.read(github_env).forge()
    first, _, created = _propose(repo, "one", forge=forge, remote="origin")
    assert created and list(github.pulls) == [1]
    repo.git("update-ref", f"refs/heads/{BRANCH}", "main")  # the local branch does not count:
    again, pushed, created_again = _propose(repo, "one", forge=forge, remote="origin")
    assert (again, pushed, created_again) == (first, False, False)  # the remote's tip decides
    assert list(github.pulls) == [1] and github.pulls[1]["body"] == "body for 'one'"
    tip = Repo(origin).git("rev-parse", BRANCH)
    assert tip == first
