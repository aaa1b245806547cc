"""The gate: ``check`` judges a pull request (or a merge group) as CI does, and publishes it.

One call does what ``gfops check`` does: find base and head (given, or from the Actions
event payload), gather the pull request's review facts (offline files, or the forge when
a token and a pull request number are there), run the reconciler
(:func:`galfriday_gitops.rules.engine.reconcile`) with the base's policies, then, when
asked, append the job summary, post the commit status and update the PR comment.

It fails closed: anything that prevents a sound verdict raises instead of passing — a
ForgeError (reviews unreadable, a listing truncated), a UserError (bad input), or
:class:`ReconcilerFailed` carrying a GF290 finding when the reconciler itself broke.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from galfriday_gitops import gitio
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding
from galfriday_gitops.fsutil import read_json, read_json_listing
from galfriday_gitops.rules.engine import Verdict, reconcile
from galfriday_gitops.rules.reviews import PullRequestFacts

if TYPE_CHECKING:
    from galfriday_gitops.forge.actions import ActionsEnv
    from galfriday_gitops.forge.base import CommitState, Forge
    from galfriday_gitops.forge.events import ForgeEvent

STATUS_CONTEXT = "galfriday/reconciler"


@dataclass(frozen=True)
class CheckRequest:
    """What to judge and what to publish; the CLI's options, by the same names."""

    base: str | None = None  # default: from the event
    head: str | None = None
    event: Path | None = None  # default: $GITHUB_EVENT_PATH
    event_name: str | None = None  # pull_request | pull_request_review | merge_group
    reviews: Path | None = None  # offline: JSON of GitHub's list-reviews
    commits: Path | None = None  # offline: JSON of GitHub's list-PR-commits
    pr_author: str | None = None
    pr_head: str | None = None  # the PR's own head (approvals must be on it)
    now: dt.datetime | None = None  # judge as of (freeze windows)
    comment: bool = False  # create/update the PR comment
    status: bool = False  # post the commit status
    summary: bool = False  # append to the job summary


@dataclass(frozen=True)
class CheckResult:
    verdict: Verdict
    event: ForgeEvent | None
    pull: PullRequestFacts | None
    status_target: str | None  # the commit the status was posted on
    commented: bool

    @property
    def allowed(self) -> bool:
        return self.verdict.allowed

    @property
    def commit(self) -> str:
        """The commit the findings' lines are read at, as GitHub knows it: the pull
        request's head (a judged merge result exists only here), else the judged head."""
        return self.pull.head_sha if self.pull is not None else self.verdict.head


class ReconcilerFailed(Exception):
    """The reconciler broke: the change is blocked, and ``finding`` (GF290) says why."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _event_name(payload: dict[str, Any]) -> str:
    for key, name in (("merge_group", "merge_group"), ("review", "pull_request_review")):
        if key in payload:
            return name
    return "pull_request" if "pull_request" in payload else "push"


def read_event(request: CheckRequest, env: ActionsEnv) -> ForgeEvent | None:
    """The event payload given (or the runner's), parsed; None without one."""
    from galfriday_gitops.forge.events import EVENT_NAMES, load_event

    path = request.event or env.event_path
    if path is None:
        return None
    name = request.event_name or env.event_name or ""
    if name not in EVENT_NAMES:
        # pull_request_target / workflow_run: the gate hands over a pull request's
        # payload (GitHub does not let a workflow rename its own event).
        name = _event_name(read_json(path, "event"))
    return load_event(path, name)


def _pr_number(event: ForgeEvent | None) -> int | None:
    if event is None:
        return None
    if event.pr_number is None and event.merge_queue_prs:
        return event.merge_queue_prs[0]
    return event.pr_number


def _offline_facts(
    repo: Path, request: CheckRequest, event: ForgeEvent | None, head: str
) -> PullRequestFacts:
    from galfriday_gitops.forge.github import parse_pull_commits, parse_reviews

    assert request.reviews is not None
    if request.commits is None:
        raise UserError("--reviews needs --commits (commit authors cannot self-approve)")
    author = request.pr_author or (event.author_login if event else None)
    if author is None:
        raise UserError("offline review data needs --pr-author or a pull request --event")
    own_head = event.head_sha if event and event.name != "merge_group" else None
    return PullRequestFacts(
        _pr_number(event),
        author,
        gitio.rev_parse(repo, request.pr_head or own_head or head),
        tuple(parse_reviews(read_json_listing(request.reviews, "reviews"))),
        tuple(parse_pull_commits(read_json_listing(request.commits, "commits"))),
    )


def _pull_facts(
    repo: Path,
    request: CheckRequest,
    event: ForgeEvent | None,
    head: str,
    env: ActionsEnv,
    forge: Callable[[], Forge],
) -> PullRequestFacts | None:
    """Review facts: offline files, else the forge (token and PR known), else None."""
    from galfriday_gitops.forge.base import ForgeError
    from galfriday_gitops.rules.reviews import facts_from_forge

    if request.reviews is not None:
        return _offline_facts(repo, request, event, head)
    number = _pr_number(event)
    if not env.has_token or number is None:
        return None  # the approval rules fail closed (GF217)
    try:
        return facts_from_forge(forge(), number)
    except ForgeError as exc:
        raise ForgeError(f"cannot read the pull request's reviews (blocking): {exc}") from exc


def judge_change(
    repo: Path, base: str, head: str, pull: PullRequestFacts | None, now: dt.datetime | None
) -> Verdict:
    """``reconcile``, failing closed: a broken reconciler is ReconcilerFailed (GF290)."""
    from galfriday_gitops.catalogue import rule

    try:
        return reconcile(repo, base, head, pull, now)
    except UserError:
        raise
    except Exception as exc:  # fail closed, and say so where the reviewer looks
        finding = rule("GF290").finding(".", 1, f"{type(exc).__name__}: {exc}")
        raise ReconcilerFailed(finding) from exc


def _judge_group(
    repo: Path,
    request: CheckRequest,
    event: ForgeEvent,
    env: ActionsEnv,
    forge: Callable[[], Forge],
) -> Verdict:
    """A merge group, pull request by pull request (:mod:`galfriday_gitops.merge_queue`):
    main's head, the queue and every queued pull request's reviews come from the forge."""
    from galfriday_gitops.forge.base import ForgeError
    from galfriday_gitops.merge_queue import judge_group

    if (request.base, request.head) != (None, None) and (
        gitio.rev_parse(repo, request.base or event.base_sha),
        gitio.rev_parse(repo, request.head or event.head_sha),
    ) != (event.base_sha, event.head_sha):
        raise UserError("--base/--head disagree with the merge group event")
    if request.reviews is not None or not env.has_token:
        raise UserError(
            "a merge group is judged with each queued pull request's own reviews, read from "
            "GitHub: run with GITHUB_TOKEN (offline --reviews judge one pull request)"
        )
    try:
        return judge_group(repo, event, forge(), judge_change, request.now)
    except ForgeError as exc:
        raise ForgeError(f"cannot judge the merge group (blocking): {exc}") from exc


def _publish(
    repo: Path,
    request: CheckRequest,
    result: CheckResult,
    head: str,
    env: ActionsEnv,
    forge: Callable[[], Forge],
) -> CheckResult:
    """Job summary, commit status, PR comment: whichever the request asks for."""
    from galfriday_gitops.forge.base import ForgeError
    from galfriday_gitops.report import markdown

    verdict, event, pull = result.verdict, result.event, result.pull
    blob = env.blob_url(result.commit)
    if request.summary:
        env.append_summary(markdown.render(verdict, blob=blob))
    target = None
    if request.status:
        # The PR's own head for pull requests (that is what branch protection looks at);
        # the queue's commit for a merge group.
        own = pull.head_sha if pull is not None and event and event.name != "merge_group" else None
        target = own or gitio.rev_parse(repo, head)
        words = "allowed" if verdict.allowed else f"blocked: {len(verdict.findings)} finding(s)"
        state: CommitState = "success" if verdict.allowed else "failure"
        try:
            forge().set_status(
                target, state, STATUS_CONTEXT, f"galfriday-gitops: {words}", env.run_url
            )
        except ForgeError as exc:
            raise ForgeError(f"could not post the commit status: {exc}") from exc
    number = _pr_number(event)
    if request.comment:
        if number is None:
            raise UserError("--comment needs a pull request (--event of a pull request)")
        try:
            forge().upsert_comment(number, markdown.MARKER, markdown.render(verdict, blob=blob))
        except ForgeError as exc:
            raise ForgeError(f"could not update the PR comment: {exc}") from exc
    return CheckResult(verdict, event, pull, target, request.comment)


def check(
    repo: Path,
    request: CheckRequest,
    *,
    actions: ActionsEnv | None = None,
    forge: Forge | None = None,
) -> CheckResult:
    """Judge ``request``'s change with the base's policies; publish what it asks for.

    ``actions`` is the Actions environment (default: this process's); ``forge`` the GitHub
    client (default: built from ``actions`` the first time one is needed).
    """
    from galfriday_gitops.forge.actions import ActionsEnv

    env = actions if actions is not None else ActionsEnv.read()
    root = gitio.toplevel(repo)
    event = read_event(request, env)
    base = request.base or (event.base_sha if event else None)
    head = request.head or (event.head_sha if event else None)
    if not base or not head:
        raise UserError("give --base and --head, or an --event that names them")
    built: list[Forge] = [forge] if forge is not None else []

    def client() -> Forge:
        if not built:
            built.append(env.forge())
        return built[0]

    if event is not None and event.name == "merge_group":
        verdict = _judge_group(root, request, event, env, client)
        pull = None
    else:
        pull = _pull_facts(root, request, event, head, env, client)
        verdict = judge_change(root, base, head, pull, request.now)
    return _publish(
        root, request, CheckResult(verdict, event, pull, None, False), head, env, client
    )
