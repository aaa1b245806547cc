"""readers.read_tags_cached: the audit tags' view kept in the blob cache, keyed by the tag
names and object ids, so a warm ``status`` reads no tag object yet never a stale view."""

from __future__ import annotations

import pytest

from galfriday_gitops.apply import readers
from galfriday_gitops.apply.tags import assignment, registration
from tests.support.repo import Repo


def _tag(repo: Repo, name: str) -> None:
    repo.git("tag", "-a", "-m", "record", name)


@pytest.fixture
def tagged(empty_repo: Repo) -> Repo:
    empty_repo.write("models/churn/1.0.0.yaml", "a: 1\n")
    empty_repo.commit("register churn 1.0.0")
    _tag(empty_repo, str(registration("churn", "1.0.0")))
    _tag(empty_repo, str(assignment("churn", "staging", 1)))
    return empty_repo


def test_the_cached_view_is_the_view_and_is_served_without_reading_tags(
    tagged: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    fresh = readers.read_tags(tagged.path)
    assert [t.stage for t in fresh.stage_tags] == ["staging"]  # the view is not empty
    assert readers.read_tags_cached(tagged.path) == fresh  # a miss: built and stored

    def refuse(*args: object, **kwargs: object) -> readers.TagView:
        raise AssertionError("read the tag objects on a warm run")

    monkeypatch.setattr(readers, "read_tags", refuse)
    assert readers.read_tags_cached(tagged.path) == fresh  # a hit: the same view


def test_a_new_tag_is_never_hidden_by_the_cache(tagged: Repo) -> None:
    before = readers.read_tags_cached(tagged.path)
    _tag(tagged, str(assignment("churn", "production", 2)))
    after = readers.read_tags_cached(tagged.path)
    assert [t.stage for t in before.stage_tags] == ["staging"]
    assert sorted(t.stage for t in after.stage_tags) == ["production", "staging"]
    assert after == readers.read_tags(tagged.path)
