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

from galfriday_gitops.forge.base import Forge, PullCommit, Review
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


def facts_from_forge(forge: Forge, number: int) -> PullRequestFacts:
    """Everything the approval rules need, read from the forge (all pages, fail closed)."""
    pull = forge.get_pull(number)
    return PullRequestFacts(
        number,
        pull.author_login,
        pull.head_sha,
        tuple(forge.list_reviews(number)),
        tuple(forge.list_pull_commits(number)),
    )


@dataclass(frozen=True, slots=True)
class ReviewVerdict:
    login: str | None
    state: str
    commit_id: str | None
    approves: bool  # a valid, current approval by an independent person
    reason: str
    teams: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, object]:
        return {
            "reviewer": self.login,
            "state": self.state,
            "commit": self.commit_id,
            "counted": self.approves,
            "reason": self.reason,
            "teams": list(self.teams),
        }


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


def evaluate_reviews(facts: PullRequestFacts, teams: Teams | None) -> list[ReviewVerdict]:
    """One verdict per reviewer (their latest decisive review), with the reason."""
    membership: dict[str, list[str]] = {}
    if teams is not None:
        for team, members in teams.spec.teams.items():
            for member in members:
                membership.setdefault(member.lower(), []).append(team)
    writers = {facts.author.lower()} if facts.author else set()
    for commit in facts.commits:
        writers |= {x.lower() for x in (commit.author_login, commit.committer_login) if x}
    verdicts = []
    for login, review in sorted(_latest_decisive(facts.reviews).items()):
        in_teams = tuple(membership.get(login.lower(), ()))
        short = (review.commit_id or "unknown")[:7]

        def verdict(
            approves: bool, reason: str, r: Review = review, t: tuple[str, ...] = in_teams
        ) -> ReviewVerdict:
            return ReviewVerdict(r.user_login, r.state, r.commit_id, approves, reason, t)

        if _is_bot(review):
            verdicts.append(verdict(False, "bots cannot approve"))
        elif login.lower() == (facts.author or "").lower():
            verdicts.append(verdict(False, "the pull request's author cannot approve it"))
        elif login.lower() in writers:
            verdicts.append(verdict(False, "wrote a commit in this pull request"))
        elif review.state == "DISMISSED":
            verdicts.append(verdict(False, "review was dismissed"))
        elif review.state == "CHANGES_REQUESTED":
            verdicts.append(verdict(False, "requested changes"))
        elif review.commit_id != facts.head_sha:
            verdicts.append(
                verdict(False, f"stale: approved {short}, head is now {facts.head_sha[:7]}")
            )
        elif not in_teams:
            verdicts.append(verdict(True, "approved, but is in no team"))
        else:
            verdicts.append(verdict(True, f"approved (teams: {', '.join(in_teams)})"))
    return verdicts


@dataclass(frozen=True, slots=True)
class Tally:
    needed: int
    approvers: tuple[str, ...]
    eligible: tuple[str, ...]  # the teams and users whose approval counts here

    @property
    def missing(self) -> int:
        return max(0, self.needed - len(self.approvers))

    def describe_missing(self) -> str:
        have = f"have {len(self.approvers)} of {self.needed}"
        if self.approvers:
            have += f": {', '.join(self.approvers)}"
        return f"needs {self.missing} more approval(s) from {' or '.join(self.eligible)} ({have})"


def tally(requirement: Approvals, verdicts: list[ReviewVerdict], teams: Teams | None) -> Tally:
    """Count the approvals that satisfy one stage's requirement."""
    members: set[str] = {u.lower() for u in requirement.users}
    if teams is not None:
        for team in requirement.from_:
            members |= {m.lower() for m in teams.spec.teams.get(team, [])}
    approvers = tuple(
        v.login for v in verdicts if v.approves and v.login and v.login.lower() in members
    )
    eligible = tuple(requirement.from_) + tuple(requirement.users)
    return Tally(requirement.count, approvers, eligible or ("nobody (no team configured)",))
