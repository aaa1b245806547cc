"""The ``apply`` verb: judge and record what landed on main, with each PR's review facts.

:func:`galfriday_gitops.apply.apply.apply` judges and writes; this adds what the push
workflow needs around it: which pull request made each commit and who approved it (the
forge's "pull requests associated with a commit", its reviews and commits; or offline
files for one PR), the actor, and pushing the tags to the remote. A commit no merged pull
request made is a direct push: nothing approved it. Without any source of review data
apply refuses to run (``--no-reviews`` judges every commit as a direct push): a trail
written blind would record approved changes as blocked for good.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops import gitio
from galfriday_gitops.apply import tags
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

    before: str | None = None  # the previous tip: only to notice a rewritten range
    after: str = "HEAD"
    push: bool = False  # push the range's tags to ``remote``
    remote: str = "origin"
    actor: str | None = None  # who pushed (default: $GITHUB_ACTOR)
    reviews: Path | None = None  # offline: JSON of GitHub's list-reviews
    commits: Path | None = None  # offline: JSON of GitHub's list-PR-commits
    pr_author: str | None = None
    pr: int | None = None  # offline: the PR the review data is for (default: newest commit's)
    pr_head: str | None = None  # offline: the PR's head (default: the merge's second parent)
    no_reviews: bool = False  # no review data: every commit is judged as a direct push


@dataclass(frozen=True)
class ApplyRun:
    result: ApplyResult
    pushed: bool

    @property
    def failed(self) -> bool:
        """Something landed that the gate would block, or the trail was rewritten."""
        return bool(self.result.findings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.result.start,
            "created": len(self.result.created),
            "tags": [o.to_dict() for o in self.result.outcomes],
            "commits": [j.to_dict() for j in self.result.judged],
            "findings": [f.to_dict() for f in self.result.findings],
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

    def facts(entry: gitio.LogEntry) -> PullRequestFacts | None:
        if pr_number(entry.subject) != target or target is None:
            return None  # a direct push, or another PR: nothing known approved it
        head = request.pr_head or (entry.parents[1] if len(entry.parents) > 1 else entry.sha)
        return PullRequestFacts(
            target, request.pr_author, gitio.rev_parse(repo, head), reviews, commits
        )

    return facts


def _from_forge(forge: Forge) -> FactsFor:
    from galfriday_gitops.forge.base import ForgeError
    from galfriday_gitops.rules.reviews import facts_from_forge

    cache: dict[int, PullRequestFacts] = {}

    def facts(entry: gitio.LogEntry) -> PullRequestFacts | None:
        try:
            pull = forge.merged_pull_of(entry.sha)
            if pull is None:
                return None  # no merged pull request made this commit: a direct push
            if pull.number not in cache:
                cache[pull.number] = facts_from_forge(forge, pull.number)
        except ForgeError as exc:
            raise ForgeError(f"cannot read the pull request of {entry.sha[:12]}: {exc}") from exc
        return cache[pull.number]

    return facts


def review_source(
    repo: Path, request: ApplyRequest, env: ActionsEnv, forge: Forge | None
) -> FactsFor:
    """Where each commit's review facts come from: offline files, the forge, or (asked
    for explicitly) nowhere."""
    from galfriday_gitops.apply.apply import no_facts

    if request.reviews is not None or request.commits is not None:
        return _offline(repo, request)
    if forge is not None or env.has_token:
        return _from_forge(forge if forge is not None else env.forge("apply"))
    if request.no_reviews:
        return no_facts
    raise UserError(
        "apply needs the review data of the pull requests it records: GITHUB_TOKEN (in "
        "Actions), --reviews/--commits/--pr-author (offline), or --no-reviews to judge "
        "every commit as a direct push"
    )


def apply_push(
    repo: Path,
    request: ApplyRequest,
    *,
    actions: ActionsEnv | None = None,
    forge: Forge | None = None,
) -> ApplyRun:
    """Judge and record every commit of ``after`` not yet recorded (and with ``push``, push
    the tags); idempotent. ``run.failed``: something landed the gate would block."""
    from galfriday_gitops.forge.actions import ActionsEnv

    env = actions if actions is not None else ActionsEnv.read()
    root = gitio.toplevel(repo)
    facts = review_source(root, request, env, forge)
    actor = request.actor or env.actor
    result = apply(root, request.after, before=request.before, actor=actor, facts=facts)
    if request.push:
        names = [o.name for o in result.outcomes] + [
            tags.commit_record(j.entry.sha) for j in result.judged
        ]
        gitio.push_tags(root, request.remote, list(dict.fromkeys(names)))
    return ApplyRun(result, request.push)
