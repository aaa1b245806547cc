"""The ``apply`` verb: the audit tags of a pushed range, with the review facts of each PR.

:func:`galfriday_gitops.apply.apply.apply` writes the tags; this adds what the push
workflow needs around it: who approved each merged pull request (offline files, or the
forge when a token is there; a direct push has no pull request and nothing approved it),
the actor, and pushing the range's tags to the remote.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops import gitio
from galfriday_gitops.apply.apply import ApplyResult, FactsFor, apply, pr_number
from galfriday_gitops.errors import UserError
from galfriday_gitops.fsutil import read_json
from galfriday_gitops.rules.reviews import PullRequestFacts

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.forge.base import Forge


@dataclass(frozen=True)
class ApplyRequest:
    """The pushed range and where review data comes from; the CLI's options by name."""

    before: str | None = None  # the previous tip (None / all zeros: from the root)
    after: str = "HEAD"
    push: bool = False  # push the range's tags to ``remote``
    remote: str = "origin"
    actor: str | None = None  # who pushed (default: $GITHUB_ACTOR)
    reviews: Path | None = None  # offline: JSON of GitHub's list-reviews
    commits: Path | None = None  # offline: JSON of GitHub's list-PR-commits
    pr_author: str | None = None
    pr: int | None = None  # offline: the PR the review data is for (default: newest commit's)
    pr_head: str | None = None  # offline: the PR's head (default: the merge's second parent)


@dataclass(frozen=True)
class ApplyRun:
    result: ApplyResult
    pushed: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "created": len(self.result.created),
            "tags": [o.to_dict() for o in self.result.outcomes],
            "warnings": self.result.warnings,
            "pushed": self.pushed,
        }


def _offline(repo: Path, request: ApplyRequest) -> FactsFor:
    from galfriday_gitops.forge.github import parse_pull_commits, parse_reviews

    if request.reviews is None or request.commits is None or not request.pr_author:
        raise UserError("offline review data needs --reviews, --commits and --pr-author")
    reviews = tuple(parse_reviews(read_json(request.reviews, "reviews")))
    commits = tuple(parse_pull_commits(read_json(request.commits, "commits")))
    target = request.pr
    if target is None:
        newest = gitio.first_parent_log(repo, request.after, paths=())[-1:]
        target = pr_number(newest[0].subject) if newest else None

    def facts(entry: gitio.LogEntry, number: int | None) -> PullRequestFacts | None:
        if number is None or number != target:
            return None  # a direct push, or another PR: nothing known approved it
        head = request.pr_head or (entry.parents[1] if len(entry.parents) > 1 else entry.sha)
        return PullRequestFacts(
            number, request.pr_author, gitio.rev_parse(repo, head), reviews, commits
        )

    return facts


def _from_forge(env: ActionsEnv, forge: Forge | None) -> FactsFor:
    from galfriday_gitops.forge.base import ForgeError
    from galfriday_gitops.rules.reviews import facts_from_forge

    cache: dict[int, PullRequestFacts] = {}
    client: list[Forge] = [forge] if forge is not None else []

    def facts(entry: gitio.LogEntry, number: int | None) -> PullRequestFacts | None:
        if number is None or not (env.has_token or client):
            return None  # a direct push (no pull request), or no way to ask
        if number not in cache:
            try:
                if not client:
                    client.append(env.forge())
                cache[number] = facts_from_forge(client[0], number)
            except ForgeError as exc:
                raise ForgeError(f"cannot read the reviews of PR #{number}: {exc}") from exc
        return cache[number]

    return facts


def apply_push(
    repo: Path,
    request: ApplyRequest,
    *,
    actions: ActionsEnv | None = None,
    forge: Forge | None = None,
) -> ApplyRun:
    """Write (and with ``push``, push) the audit tags of ``before..after``; idempotent."""
    from galfriday_gitops.forge.actions import ActionsEnv

    env = actions if actions is not None else ActionsEnv.read()
    root = gitio.toplevel(repo)
    offline = request.reviews is not None or request.commits is not None
    facts = _offline(root, request) if offline else _from_forge(env, forge)
    actor = request.actor or env.actor
    result = apply(root, request.before, request.after, actor=actor, facts=facts)
    if request.push:
        names = list(dict.fromkeys(o.name for o in result.outcomes))
        gitio.push_tags(root, request.remote, names)
    return ApplyRun(result, request.push)
