"""Which reviews count: the latest decisive review per reviewer, on the head, by a human."""

from __future__ import annotations

import datetime as dt

from galfriday_gitops.forge.base import PullCommit, Review, ReviewState
from galfriday_gitops.resources import Approvals, Teams
from galfriday_gitops.rules.reviews import PullRequestFacts, evaluate_reviews, tally


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
            review(5, "carol", "APPROVED", sha="old"),  # force-pushed away
            review(9, "frank", "APPROVED", sha="c1"),  # an older commit, still in the PR
            review(6, "bob", "APPROVED"),
            review(7, "renovate[bot]", "APPROVED", kind="Bot"),
            review(8, "ghost", "PENDING"),
        ),
        (PullCommit("c1", "bob", "bob", None),),
    )  # fmt: skip
    verdicts = {v.login: v for v in evaluate_reviews(facts, None)}
    assert verdicts["dave"].approves and "no team" in verdicts["dave"].reason
    assert not verdicts["erin"].approves and verdicts["erin"].state == "CHANGES_REQUESTED"
    assert verdicts["carol"].reason == (
        "approved old, which is no longer in the pull request's history (force-pushed away); "
        "the head is now h"
    )
    assert verdicts["frank"].reason == "approved an older commit c1; the head is now h"
    assert verdicts["bob"].reason == "pushed a commit to this pull request (authored c1)"
    assert verdicts["renovate[bot]"].reason == "bot: bots cannot approve"
    assert "ghost" not in verdicts


def test_a_tally_says_why_each_approval_did_not_count_here() -> None:
    facts = PullRequestFacts(
        1, "alice", "h",
        (
            review(1, "dave", "APPROVED"),
            review(2, "bob", "APPROVED"),  # valid, but not a lead
            review(3, "erin", "APPROVED", sha="old"),
            review(4, "carol", "COMMENTED"),  # not an approval: not listed
        ),
    )  # fmt: skip
    teams = Teams.model_validate(
        {
            "apiVersion": "galfriday/v1",
            "kind": "Teams",
            "metadata": {"name": "teams"},
            "spec": {"teams": {"ml-leads": ["dave", "erin"], "ml-team": ["bob"]}},
        }
    )
    need = Approvals.model_validate({"count": 2, "from": ["ml-leads"]})
    count = tally(need, evaluate_reviews(facts, teams), teams)
    assert count.approvers == ("dave",) and count.missing == 1
    assert dict(count.not_counted) == {
        "bob": "not in ml-leads",
        "erin": "approved old, which is no longer in the pull request's history "
        "(force-pushed away); the head is now h",
    }
    assert "not counted: bob (not in ml-leads)" in count.describe_missing()
