"""Which pull request reviews count as approvals, and why each one does or does not.

A review counts only when it is the reviewer's latest decisive review (APPROVED,
CHANGES_REQUESTED or DISMISSED; a later COMMENTED review changes nothing, as on
GitHub), it approves, it was given on the pull request's current head commit, and
the reviewer is a person who wrote none of the change: not the PR author, not the
author or committer of any commit in it, not a bot. Team membership is checked per
stage by the approval rule, against the Teams resource of the base revision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from galfriday_gitops.forge.base import Forge, PullCommit, PullRequest, Review
from galfriday_gitops.resources import Approvals, Teams

_DECISIVE = ("APPROVED", "CHANGES_REQUESTED", "DISMISSED")


@dataclass(frozen=True, slots=True)
class PullRequestFacts:
    """What the approval rules need to know about the pull request under review."""

    number: int | None
    author: str | None
    head_sha: str  # the PR's own head commit (for a merge group: the queued PR's head)
    reviews: tuple[Review, ...] = ()
    commits: tuple[PullCommit, ...] = ()


def facts_from_forge(
    forge: Forge, number: int, pull: PullRequest | None = None
) -> PullRequestFacts:
    """Everything the approval rules need, read from the forge (all pages, fail closed);
    ``pull``: pull request ``number`` as the caller already read it (one request fewer)."""
    if pull is None or pull.number != number:
        pull = forge.get_pull(number)
    return PullRequestFacts(
        number,
        pull.author_login,
        pull.head_sha,
        tuple(forge.list_reviews(number)),
        tuple(forge.list_pull_commits(number, pull)),
    )


@dataclass(frozen=True, slots=True)
class ReviewVerdict:
    login: str | None
    state: str
    commit_id: str | None
    approves: bool  # a valid, current approval by an independent person
    reason: str
    teams: tuple[str, ...] = field(default=())
    pull: int | None = None  # the pull request, where a verdict covers several (a merge group)

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "reviewer": self.login,
            "state": self.state,
            "commit": self.commit_id,
            "counted": self.approves,
            "reason": self.reason,
            "teams": list(self.teams),
        }
        if self.pull is not None:
            out["pull"] = self.pull
        return out

    @property
    def who(self) -> str:
        """The reviewer as a report names them (with the pull request in a merge group)."""
        return f"{self.login} (#{self.pull})" if self.pull is not None else str(self.login)


def _is_bot(review: Review) -> bool:
    login = review.user_login or ""
    return review.user_type == "Bot" or login.endswith("[bot]")


def _latest_decisive(reviews: tuple[Review, ...]) -> dict[str, Review]:
    epoch = datetime.min.replace(tzinfo=UTC)
    ordered = sorted(reviews, key=lambda r: (r.submitted_at or epoch, r.id))
    latest: dict[str, Review] = {}
    for review in ordered:
        if review.user_login is None or review.state not in _DECISIVE:
            continue
        latest[review.user_login] = review
    return latest


def _writer_reasons(facts: PullRequestFacts) -> dict[str, str]:
    """login (lower case) -> why that person wrote part of the change."""
    reasons: dict[str, str] = {}
    for commit in facts.commits:
        for login, role in (
            (commit.author_login, "authored"),
            (commit.committer_login, "committed"),
        ):
            if login:
                reasons.setdefault(login.lower(), f"{role} {commit.sha[:7]}")
    return reasons


def _stale_reason(review: Review, facts: PullRequestFacts) -> str:
    """Why an approval of another commit than the head does not count, naming that commit."""
    head = facts.head_sha[:7]
    if review.commit_id is None:
        return f"approved a commit GitHub no longer has; the head is now {head}"
    approved = review.commit_id[:7]
    if review.commit_id in {c.sha for c in facts.commits}:
        return f"approved an older commit {approved}; the head is now {head}"
    return (
        f"approved {approved}, which is no longer in the pull request's history "
        f"(force-pushed away); the head is now {head}"
    )


def _why_not(
    review: Review, login: str, facts: PullRequestFacts, writers: dict[str, str]
) -> str | None:
    """Why a reviewer's latest decisive review is not a valid approval (None: it is one)."""
    if _is_bot(review):
        return "bot: bots cannot approve"
    if login.lower() == (facts.author or "").lower():
        return "author: the pull request's author cannot approve it"
    if login.lower() in writers:
        return f"pushed a commit to this pull request ({writers[login.lower()]})"
    if review.state == "DISMISSED":
        return "dismissed: the review was dismissed"
    if review.state == "CHANGES_REQUESTED":
        return "requested changes"
    if review.commit_id != facts.head_sha:
        return _stale_reason(review, facts)
    return None


def evaluate_reviews(facts: PullRequestFacts, teams: Teams | None) -> list[ReviewVerdict]:
    """One verdict per reviewer (their latest decisive review), with the reason."""
    membership: dict[str, list[str]] = {}
    if teams is not None:
        for team, members in teams.spec.teams.items():
            for member in members:
                membership.setdefault(member.lower(), []).append(team)
    writers = _writer_reasons(facts)
    verdicts = []
    for login, review in sorted(_latest_decisive(facts.reviews).items()):
        in_teams = tuple(membership.get(login.lower(), ()))
        problem = _why_not(review, login, facts, writers)
        if problem is not None:
            approves, reason = False, problem
        elif not in_teams:
            approves, reason = True, "approved, but is in no team"
        else:
            approves, reason = True, f"approved (teams: {', '.join(in_teams)})"
        verdicts.append(
            ReviewVerdict(
                review.user_login, review.state, review.commit_id, approves, reason, in_teams
            )
        )
    return verdicts


@dataclass(frozen=True, slots=True)
class Tally:
    needed: int
    approvers: tuple[str, ...]
    eligible: tuple[str, ...]  # the teams and users whose approval counts here
    not_counted: tuple[tuple[str, str], ...] = ()  # (reviewer, why) approvals that did not count

    @property
    def missing(self) -> int:
        return max(0, self.needed - len(self.approvers))

    def describe_missing(self) -> str:
        have = f"have {len(self.approvers)} of {self.needed}"
        if self.approvers:
            have += f": {', '.join(self.approvers)}"
        if self.not_counted:
            have += "; not counted: " + ", ".join(f"{who} ({why})" for who, why in self.not_counted)
        return f"needs {self.missing} more approval(s) from {' or '.join(self.eligible)} ({have})"


@dataclass(frozen=True, slots=True)
class Eligible:
    """Approvers named outside the requirement itself (the code owners of a changed file)."""

    label: str  # how the report names them, e.g. "code owners of models/x/1.0.0.yaml"
    logins: frozenset[str]  # lower case


def tally(
    requirement: Approvals,
    verdicts: list[ReviewVerdict],
    teams: Teams | None,
    extra: Eligible | None = None,
) -> Tally:
    """Count the approvals that satisfy one stage's requirement; say why the others did not."""
    members: set[str] = {u.lower() for u in requirement.users}
    if teams is not None:
        for team in requirement.from_:
            members |= {m.lower() for m in teams.spec.teams.get(team, [])}
    eligible = tuple(requirement.from_) + tuple(requirement.users)
    if extra is not None:
        members |= extra.logins
        eligible += (extra.label,)
    eligible = eligible or ("nobody (no team configured)",)
    approvers = tuple(
        v.login for v in verdicts if v.approves and v.login and v.login.lower() in members
    )
    not_counted = tuple(
        (v.login, v.reason if not v.approves else f"not in {' or '.join(eligible)}")
        for v in verdicts
        if v.login
        and v.login not in approvers
        and (v.approves or v.state in ("APPROVED", "DISMISSED"))
    )
    return Tally(requirement.count, approvers, eligible, not_counted)
