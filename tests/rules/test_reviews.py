"""Which reviews count: the latest decisive review per reviewer, on the head, by a human."""

from __future__ import annotations

import datetime as dt

from galfriday_gitops.forge.base import PullCommit, Review, ReviewState
from galfriday_gitops.rules.reviews import PullRequestFacts, evaluate_reviews


def review(
    id_: int, login: str, state: ReviewState, sha: str = "h", minute: int = 0, kind: str = "User"
) -> Review:
    return Review(id_, login, kind, state, sha, dt.datetime(2026, 1, 1, 0, minute, tzinfo=dt.UTC))


def test_review_semantics() -> None:
    facts = PullRequestFacts(
        1, "alice", "h",
        (
            review(1, "dave", "APPROVED", minute=1),
            review(2, "dave", "COMMENTED", minute=2),  # a comment does not withdraw an approval
            review(3, "erin", "APPROVED", minute=1),
            review(4, "erin", "CHANGES_REQUESTED", minute=3),  # the latest decisive review wins
            review(5, "carol", "APPROVED", sha="old"),
            review(6, "bob", "APPROVED"),
            review(7, "renovate[bot]", "APPROVED", kind="Bot"),
            review(8, "ghost", "PENDING"),
        ),
        (PullCommit("c1", "bob", "bob", None),),
    )  # fmt: skip
    verdicts = {v.login: v for v in evaluate_reviews(facts, None)}
    assert verdicts["dave"].approves and "no team" in verdicts["dave"].reason
    assert not verdicts["erin"].approves and verdicts["erin"].state == "CHANGES_REQUESTED"
    assert "stale" in verdicts["carol"].reason
    assert "wrote a commit" in verdicts["bob"].reason
    assert "bots" in verdicts["renovate[bot]"].reason
    assert "ghost" not in verdicts
