"""readers.read_tags_cached: the audit tags' view kept in the blob cache, keyed by the tag
names and object ids, so a warm ``status`` reads no tag object yet never a stale view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from galfriday_gitops import gitio
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


def _listings(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    """Every listing of the tags' names and ids (the cache's key) git runs, recorded."""
    calls: list[tuple[str, ...]] = []
    real = gitio.git

    def spy(repo: Path | str, *args: str, **kwargs: Any) -> bytes:
        if args[:2] == ("for-each-ref", "--format=%(objectname) %(refname)"):
            calls.append(args)
        return real(repo, *args, **kwargs)

    monkeypatch.setattr(gitio, "git", spy)
    return calls


def test_while_the_tag_files_are_unchanged_the_tags_are_not_listed(
    tagged: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The listing's key is remembered under a stamp of packed-refs and refs/tags/*; a tag
    added, packed, moved or deleted changes the stamp and is seen."""
    listed = _listings(monkeypatch)
    first = readers.read_tags_cached(tagged.path)
    assert len(listed) == 1  # control: a first run lists the tags
    assert readers.read_tags_cached(tagged.path) == first
    assert len(listed) == 1  # warm and unchanged: not listed again

    _tag(tagged, str(assignment("churn", "production", 2)))  # a loose tag added
    added = readers.read_tags_cached(tagged.path)
    assert sorted(t.stage for t in added.stage_tags) == ["production", "staging"]
    tagged.git("pack-refs", "--all")  # the same tags, now in packed-refs
    assert readers.read_tags_cached(tagged.path) == added
    name = str(assignment("churn", "production", 2))
    tagged.git("tag", "-d", name)  # a packed tag deleted: packed-refs is rewritten
    assert readers.read_tags_cached(tagged.path) == first
    tagged.git("tag", "-a", "-f", "-m", "again", name, "HEAD")  # and back, loose
    assert readers.read_tags_cached(tagged.path) == readers.read_tags(tagged.path).compact()
    assert len(listed) == 5  # one listing per change, none for the unchanged run


def test_without_a_readable_stamp_the_tags_are_listed_every_time(
    tagged: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tagged.path / ".git" / "reftable").mkdir()  # as if git kept refs in another backend
    listed = _listings(monkeypatch)
    readers.read_tags_cached(tagged.path)
    readers.read_tags_cached(tagged.path)
    assert len(listed) == 2
