"""Turn a change into a pull request: commit on a branch, push it, open or update the PR.

Every write command (promote, rollback, deprecate, retire, retrain, conclude) ends here,
so there is one place that decides how a branch is made and how a PR is reused: a
second run for the same branch updates the open pull request instead of opening another.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from galfriday_gitops import gitio
from galfriday_gitops.forge.base import Forge, PullRequest


@dataclass(frozen=True, slots=True)
class Proposal:
    branch: str
    commit: str
    pull: PullRequest | None  # None when no forge was given (local branch only)
    created: bool  # False when an open pull request was updated


def propose(
    repo: Path,
    *,
    base: str,
    branch: str,
    files: dict[str, bytes | None],
    message: str,
    title: str,
    body: str,
    forge: Forge | None = None,
    remote: str | None = None,
) -> Proposal:
    """Commit ``files`` on ``branch`` (from ``base``), push to ``remote``, open/update the PR."""
    commit = gitio.commit_files(repo, base, files, message, branch=branch)
    if remote is not None:
        # The branch is ours (automation-owned): force replaces an earlier run's commit.
        gitio.git(repo, "push", "--quiet", "--force", remote, f"refs/heads/{branch}")
    if forge is None:
        return Proposal(branch, commit, None, created=True)
    existing = forge.find_open_pull(branch)
    if existing is not None:
        return Proposal(branch, commit, forge.update_pull(existing.number, title, body), False)
    base_ref = base.removeprefix("refs/heads/").removeprefix("origin/")
    return Proposal(branch, commit, forge.create_pull(title, body, branch, base_ref), True)
