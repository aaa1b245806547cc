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
from galfriday_gitops.apply.apply import ApplyResult, FactsFor, apply
from galfriday_gitops.apply.plan import pr_number
from galfriday_gitops.errors import UserError
from galfriday_gitops.fsutil import read_json
from galfriday_gitops.rules.reviews import PullRequestFacts

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.forge.base import Forge

# GitHub creates no push event for any tag of a push that updates more than three tags
# ("Events will not be created for tags when more than three tags are pushed at once",
# events-that-trigger-workflows): a deploy on `*#production#*` would never fire for a
# promotion whose stage hand-over writes four tags and a record.
TAG_EVENTS_PER_PUSH = 3


@dataclass(frozen=True)
class ApplyRequest:
    """The pushed range and where review data comes from; the CLI's options by name."""

    before: str | None = None  # the previous tip: only to notice a rewritten range
    after: str = "HEAD"
    push: bool = False  # push the range's tags to ``remote``
    remote: str = "origin"
    push_batch: int | None = None  # tags per ``git push`` (None: TAG_EVENTS_PER_PUSH)
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
                cache[pull.number] = facts_from_forge(forge, pull.number, pull)
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

    size = TAG_EVENTS_PER_PUSH if request.push_batch is None else request.push_batch
    if size < 1:
        raise UserError(f"--push-batch must be at least 1, not {size}")
    env = actions if actions is not None else ActionsEnv.read()
    root = gitio.toplevel(repo)
    facts = review_source(root, request, env, forge)
    actor = request.actor or env.actor
    result = apply(root, request.after, before=request.before, actor=actor, facts=facts)
    if request.push:
        for batch in batched(push_order(result), size):
            gitio.push_tags(root, request.remote, batch)
    return ApplyRun(result, request.push)


def push_order(result: ApplyResult) -> list[str]:
    """The run's tags as they are pushed: each commit's GTO tags, then its record, commit
    by commit. Pushed in that order, a run stopped between two pushes leaves the remote as
    a cancelled run leaves the trail: a commit whose record is there has all its tags."""
    by_commit: dict[str, list[str]] = {}
    for o in result.outcomes:
        by_commit.setdefault(o.record.commit, []).append(o.name)
    names: list[str] = []
    for j in result.judged:
        names += [*by_commit.pop(j.entry.sha, []), tags.commit_record(j.entry.sha)]
    names += [n for rest in by_commit.values() for n in rest]  # a commit the walk stopped at
    return list(dict.fromkeys(names))


def batched(names: list[str], size: int) -> list[list[str]]:
    return [names[i : i + size] for i in range(0, len(names), size)]
