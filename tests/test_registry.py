"""The consumer API raises its own documented errors, never the CLI's (GitError, UserError)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from galfriday_gitops import (
    Registry,
    RegistryError,
    RepositoryError,
    UnknownRevisionError,
)
from galfriday_gitops.errors import UserError
from tests.support.repo import Repo


def _refused(error: type[RegistryError], source: str | Path, **kwargs: Any) -> RegistryError:
    with pytest.raises(RegistryError) as caught:
        Registry(source, **kwargs)
    assert isinstance(caught.value, error), repr(caught.value)
    assert not isinstance(caught.value, UserError)  # not the CLI's error (exit code 2)
    assert "\n" not in str(caught.value)
    return caught.value


def test_a_known_revision_opens(repo: Repo) -> None:
    # The control: the same repository opens at a revision that exists.
    registry = Registry(repo.path, rev="main")
    assert registry.commit == repo.git("rev-parse", "main")


@pytest.mark.parametrize("rev", ["nope", "main~99", "-x", "main:models"])
def test_an_unknown_revision(repo: Repo, rev: str) -> None:
    error = _refused(UnknownRevisionError, repo.path, rev=rev)
    assert isinstance(error, LookupError)
    assert repr(rev) in str(error) and str(repo.path) in str(error)


def test_a_missing_path(tmp_path: Path) -> None:
    error = _refused(RepositoryError, tmp_path / "absent")
    assert "no such directory" in str(error)


def test_a_folder_that_is_not_a_repository(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))  # no repository above it
    (tmp_path / "plain").mkdir()
    error = _refused(RepositoryError, tmp_path / "plain")
    assert "is not a git repository" in str(error)


def test_an_unreadable_url(tmp_path: Path) -> None:
    error = _refused(RepositoryError, f"file://{tmp_path}/nothing.git", cache_dir=tmp_path / "c")
    assert "cannot clone or fetch file://" in str(error)


def test_an_unreachable_url_never_shows_its_credentials(tmp_path: Path) -> None:
    url = "https://reader:s3cr3t-token@127.0.0.1:9/acme/registry.git"  # port 9: nothing listens
    error = _refused(RepositoryError, url, cache_dir=tmp_path / "c")
    assert "s3cr3t-token" not in str(error) and "reader" not in str(error)
    assert "https://***@127.0.0.1:9/acme/registry.git" in str(error)
