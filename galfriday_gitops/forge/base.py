"""The forge protocol: the few hosting-service operations the reconciler and jobs use.

Everything here is a plain, immutable value so that callers (the reconciler, the CLI) never
touch raw API payloads and can be tested without a network.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

ReviewState = Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]
REVIEW_STATES: frozenset[str] = frozenset(
    {"APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"}
)
CommitState = Literal["success", "failure", "error", "pending"]
COMMIT_STATES: frozenset[str] = frozenset({"success", "failure", "error", "pending"})


class ForgeError(Exception):
    """Any failure talking to the forge or reading its payloads.

    The message names what failed (method, path template, HTTP status, the service's own
    ``message``) and never contains credentials.
    """


@dataclass(frozen=True, slots=True)
class Review:
    """One pull request review.

    ``user_login``/``user_type`` are ``None`` when the reviewer's account was deleted;
    ``commit_id`` is ``None`` when the reviewed commit was garbage collected;
    ``submitted_at`` is ``None`` for a pending (unsubmitted) review.
    """

    id: int
    user_login: str | None
    user_type: str | None
    state: ReviewState
    commit_id: str | None
    submitted_at: datetime | None


@dataclass(frozen=True, slots=True)
class PullCommit:
    """One commit of a pull request, with the forge accounts it is linked to (if any)."""

    sha: str
    author_login: str | None
    committer_login: str | None
    author_email: str | None


@dataclass(frozen=True, slots=True)
class PullRequest:
    """A pull request as the reconciler needs it."""

    number: int
    state: Literal["open", "closed"]
    title: str
    head_sha: str
    head_ref: str
    base_sha: str
    base_ref: str
    author_login: str
    author_type: str
    draft: bool
    commits: int
    html_url: str
    body: str | None
    merge_commit_sha: str | None = None  # after the merge: the commit it made on the base
    merged_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class WorkflowRun:
    """One run of a workflow, as a watcher of scheduled jobs needs it."""

    id: int
    event: str
    conclusion: str | None
    created_at: datetime
    html_url: str


@dataclass(frozen=True, slots=True)
class GitRef:
    """A git reference on the forge: its full name (``refs/heads/main``) and commit."""

    ref: str
    sha: str


@runtime_checkable
class Forge(Protocol):
    """The operations on a hosting service (GitHub) that the project uses."""

    def list_reviews(self, pr: int) -> list[Review]:
        """All reviews of pull request ``pr``, oldest first (every page)."""
        ...

    def list_pull_commits(self, pr: int, pull: PullRequest | None = None) -> list[PullCommit]:
        """All commits of pull request ``pr``; raises ForgeError if the listing is truncated.
        ``pull``: the pull request as already read (its commit count), to save a request."""
        ...

    def get_pull(self, pr: int) -> PullRequest:
        """Pull request ``pr``."""
        ...

    def merged_pull_of(self, sha: str) -> PullRequest | None:
        """The pull request whose merge made commit ``sha`` (its merge or squash commit on
        the base), or None when no merged pull request did (a direct push)."""
        ...

    def find_open_pull(self, head_branch: str) -> PullRequest | None:
        """The open pull request from branch ``head_branch`` of this repository, if any."""
        ...

    def create_pull(
        self, title: str, body: str, head: str, base: str, draft: bool = False
    ) -> PullRequest:
        """Open a pull request from ``head`` into ``base``."""
        ...

    def update_pull(
        self, number: int, title: str | None = None, body: str | None = None
    ) -> PullRequest:
        """Change the title and/or body of pull request ``number``."""
        ...

    def upsert_comment(self, pr: int, marker: str, body: str) -> int:
        """Create or update in place the one comment of ours on ``pr`` that holds ``marker``.

        Returns the comment id.
        """
        ...

    def create_issue(self, title: str, body: str, labels: Sequence[str] = ()) -> int:
        """Open an issue; returns its number."""
        ...

    def find_open_issue(
        self, *, label: str | None = None, title_marker: str | None = None
    ) -> int | None:
        """The number of the oldest open issue (not pull request) matching all given filters."""
        ...

    def add_labels(self, number: int, labels: Sequence[str]) -> None:
        """Add ``labels`` to issue or pull request ``number``."""
        ...

    def last_successful_run(self, workflow: str) -> WorkflowRun | None:
        """The newest run of ``workflow`` (its file name, e.g. ``drift.yml``) that succeeded,
        or None when none did."""
        ...

    def set_status(
        self,
        sha: str,
        state: CommitState,
        context: str,
        description: str,
        target_url: str | None = None,
    ) -> None:
        """Set commit status ``context`` on commit ``sha``; the latest status per context wins.

        ``description`` is cut to the forge's limit (GitHub: 140 characters). Branch
        protection can require a context, which is how a verdict computed outside the pull
        request's own check runs (e.g. after a review) gates the merge.
        """
        ...

    def branch_head(self, branch: str) -> str:
        """The commit branch ``branch`` points at now."""
        ...

    def matching_refs(self, prefix: str) -> list[GitRef]:
        """Every reference whose name starts with ``refs/<prefix>`` (e.g. the merge queue's
        ``heads/gh-readonly-queue/main/``)."""
        ...
