"""Turn a change into a pull request, idempotently: the one PR upsert of every write verb.

Every write command (promote, rollback, deprecate, retire, retrain, conclude) ends here,
so there is one place that decides how a branch is made and how a PR is reused. The branch
(``galfriday/<purpose>/...``) is automation-owned. A run whose change is already on the
branch (same tree on the same parent; commit ids differ by date) leaves the branch alone —
re-pushing it would make the approvals given to the open PR stale — and a changed one
replaces the branch's commit. Either way the open pull request from the branch is updated
(title, body), or one is opened: never a second.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops import gitcommit, gitio
from galfriday_gitops.errors import UserError
from galfriday_gitops.forge.base import Forge, PullRequest

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.rules.engine import Verdict
    from galfriday_gitops.write.plan import Plan


@dataclass(frozen=True, slots=True)
class Proposal:
    branch: str
    commit: str
    pull: PullRequest | None  # None when no forge was given (local branch only)
    created: bool  # False when an open pull request was updated (or the branch was there)
    pushed: bool = True  # False when the branch already held exactly this change

    def to_dict(self) -> dict[str, Any]:
        pull = self.pull
        return {
            "branch": self.branch,
            "commit": self.commit,
            "pull": {"number": pull.number, "url": pull.html_url} if pull else None,
            "created": self.created,
            "pushed": self.pushed,
        }


def _branch_tip(repo: Path, branch: str, remote: str | None) -> str | None:
    if remote is not None:
        out = gitio.git(repo, "ls-remote", remote, f"refs/heads/{branch}", check=False)
        return out.decode().split("\t", 1)[0].strip() or None
    out = gitio.git(repo, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False)
    return out.decode().strip() or None


def _tree_and_parents(repo: Path, sha: str) -> str | None:
    out = gitio.git(repo, "show", "-s", "--format=%T %P", sha, check=False)
    return out.decode().strip() or None  # None: that commit is not here (a remote's)


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
    base_commit: str | None = None,
) -> Proposal:
    """Put ``files`` (on ``base``) on ``branch``, push it to ``remote``, open/update the PR.

    Idempotent: when the branch (on ``remote`` if given, else locally) already holds this
    change, nothing is committed or pushed; the PR's title and body are still updated.
    ``base_commit``: the commit the change was computed (and previewed) on; refused if
    ``base`` has moved since, so no newer change is overwritten.
    """
    parent = gitio.rev_parse(repo, base)
    if base_commit is not None and parent != base_commit:
        raise UserError(f"{base} moved while the change was prepared; run again")
    commit = gitcommit.commit_files(repo, parent, files, message)  # unreferenced until chosen
    existing = _branch_tip(repo, branch, remote)
    unchanged = existing is not None and _tree_and_parents(repo, existing) == _tree_and_parents(
        repo, commit
    )
    if unchanged:
        assert existing is not None
        commit = existing
    else:
        gitio.git(repo, "update-ref", f"refs/heads/{branch}", commit)
        if remote is not None:
            # The branch is ours (automation-owned): force replaces an earlier run's commit.
            gitio.git(repo, "push", "--quiet", "--force", remote, f"refs/heads/{branch}")
    if forge is None:
        return Proposal(branch, commit, None, created=not unchanged, pushed=not unchanged)
    open_pull = forge.find_open_pull(branch)
    if open_pull is not None:
        pull = forge.update_pull(open_pull.number, title, body)
        return Proposal(branch, commit, pull, created=False, pushed=not unchanged)
    base_ref = base.removeprefix("refs/heads/").removeprefix("origin/")
    pull = forge.create_pull(title, body, branch, base_ref)
    return Proposal(branch, commit, pull, created=True, pushed=not unchanged)


def forge_for(open_pr: bool, forge: Forge | None, actions: ActionsEnv | None) -> Forge | None:
    """The forge a write verb uses: the one given, else (with ``open_pr``) the Actions one."""
    if not open_pr:
        return None
    if forge is not None:
        return forge
    from galfriday_gitops.forge.actions import ActionsEnv

    return (actions or ActionsEnv.read()).forge("--open-pr")


@dataclass(frozen=True)
class Proposed:
    """What a plan-based write verb did: the plan, the reconciler's preview, the PR."""

    plan: Plan
    title: str
    body: str
    preview: Verdict
    proposal: Proposal

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.plan.name,
            "base": {"rev": self.plan.base_rev, "commit": self.plan.base_commit},
            "moves": [m.to_dict() for m in self.plan.moves],
            "title": self.title,
            **self.proposal.to_dict(),
            "preview": self.preview.to_dict(),
        }


def propose_plan(
    repo: Path,
    plan: Plan,
    *,
    branch: str,
    title: str,
    body: Callable[[Verdict], str],
    forge: Forge | None,
    remote: str | None,
    now: dt.datetime | None = None,
) -> Proposed:
    """Preview ``plan`` with the reconciler, render the body from that verdict, propose it."""
    from galfriday_gitops.write.preview import preview

    verdict = preview(repo, plan.base_commit, plan.files, now=now)
    text = body(verdict)
    proposal = propose(
        repo,
        base=plan.base_rev,
        branch=branch,
        files=dict(plan.files),
        message=plan.commit_message(title),
        title=title,
        body=text,
        forge=forge,
        remote=remote,
        base_commit=plan.base_commit,
    )
    return Proposed(plan, title, text, verdict, proposal)


def upsert_issue(forge: Forge, *, label: str, key: str, title: str, body: str) -> tuple[int, bool]:
    """One open issue per ``label`` and ``key`` (a model): opened once, then kept current
    by updating our marker comment on it. Returns (number, whether it was opened)."""
    number = forge.find_open_issue(label=label, title_marker=f"] {key}: ")
    if number is None:
        return forge.create_issue(title, body, labels=[label]), True
    marker = f"<!-- {label}:{key} -->"
    forge.upsert_comment(number, marker, f"{marker}\n{body}")
    return number, False
