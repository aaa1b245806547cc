"""The consumer API raises its own documented errors, never the CLI's (GitError, UserError)."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from galfriday_gitops import (
    ModelStage,
    Registry,
    RegistryError,
    RepositoryError,
    ResolveError,
    UnknownRevisionError,
)
from galfriday_gitops.errors import UserError
from tests.support.blobs import count_blob_reads
from tests.support.factories import manifest
from tests.support.repo import Repo, fill_registry


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


# ---------------------------------------------------------------- questions


@pytest.fixture
def many(empty_repo: Repo) -> Repo:
    return fill_registry(empty_repo, 20)


@pytest.mark.parametrize(
    ("uri", "stage", "version"),
    [
        ("m07@production", None, "1.1.0"),
        ("m07@1.2.0", None, "1.2.0"),
        ("m07@v1.0.0", None, "1.0.0"),
        ("models:/m07@canary", None, "1.2.0"),
        ("models:/m07/1.0.0", None, "1.0.0"),
        ("m07", None, "1.1.0"),  # production by default
        ("m07", "canary", "1.2.0"),
        ("m07", ModelStage.DEPRECATED, "1.0.0"),
    ],
)
def test_resolve_reads_model_uris(
    many: Repo, uri: str, stage: ModelStage | str | None, version: str
) -> None:
    found = Registry(many.path, rev="HEAD").resolve(uri, stage)
    assert (found.name, found.version) == ("m07", version)


@pytest.mark.parametrize(
    ("uri", "stage", "words"),
    [
        ("m07@1.0.0", "production", "already names a version"),
        ("m7@production", None, "no model 'm7'"),
        ("m07@prodution", None, "did you mean 'production'"),
        ("m07@staging", None, "no version in staging"),
        ("m07@9.0.0", None, "no version 9.0.0"),
        ("../m07@production", None, "is not a model name"),
    ],
)
def test_what_does_not_resolve_says_why(
    many: Repo, uri: str, stage: str | None, words: str
) -> None:
    with pytest.raises(ResolveError, match=re.escape(words)):
        Registry(many.path, rev="HEAD").resolve(uri, stage)


def test_a_question_about_one_model_reads_only_its_folder(
    many: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    read = count_blob_reads(monkeypatch)
    registry = Registry(many.path, rev="HEAD")
    assert registry.resolve("m07@production").version == "1.1.0"
    assert registry.get("m07", "1.2.0").stage is ModelStage.CANARY
    assert [v.version for v in registry.versions("m07")] == ["1.0.0", "1.1.0", "1.2.0"]
    assert len(read) == 3  # m07's three manifests, read once
    assert len(registry.find(stages=["production"])) == 20
    assert len(read) == 60  # control: a question about every model reads every manifest


def test_find_filters_and_sorts(many: Repo) -> None:
    registry = Registry(many.path, rev="HEAD")
    found = registry.find(
        stages=["production"], labels={"team": "a"}, where=["test.accuracy>=0.8"],
        sort="test.accuracy", descending=True,
    )  # fmt: skip
    assert [v.ref for v in found] == [
        "m18@1.1.0",
        "m16@1.1.0",
        "m14@1.1.0",
        "m12@1.1.0",
        "m10@1.1.0",
    ]
    with pytest.raises(ResolveError, match=re.escape("bad metric expression 'test.accuracy=>0.8'")):
        registry.find(where=["test.accuracy=>0.8"])


def _commit_at(repo: Repo, message: str, *, author: str, committer: str) -> None:
    repo.git("add", "-A")
    env = {**os.environ, "GIT_AUTHOR_DATE": author, "GIT_COMMITTER_DATE": committer}
    subprocess.run(["git", "-C", str(repo.path), "commit", "-qm", message], check=True, env=env)


def test_as_of_a_date_reads_what_main_held_then(empty_repo: Repo) -> None:
    repo = empty_repo
    repo.write("models/churn/1.0.0.yaml", manifest("churn", "1.0.0", "production"))
    _commit_at(
        repo, "1.0.0 in production", author="2026-09-01T10:00Z", committer="2026-09-01T10:00Z"
    )
    repo.write("models/churn/1.0.0.yaml", manifest("churn", "1.0.0", "deprecated"))
    repo.write("models/churn/1.1.0.yaml", manifest("churn", "1.1.0", "production"))
    # Written in September, merged in mid-October: the merge time is what counts.
    _commit_at(
        repo, "Merge pull request #2", author="2026-09-20T10:00Z", committer="2026-10-15T10:00Z"
    )

    def production(when: dt.datetime) -> str:
        return Registry(repo.path, rev="main", as_of=when).resolve("churn@production").version

    assert production(dt.datetime(2026, 10, 1, tzinfo=dt.UTC)) == "1.0.0"
    assert production(dt.datetime(2026, 10, 15, 10, 0)) == "1.1.0"  # naive: UTC
    assert production(dt.datetime(2026, 10, 15, 9, 59, 59, tzinfo=dt.UTC)) == "1.0.0"
    assert production(dt.datetime(2026, 11, 1, tzinfo=dt.UTC)) == "1.1.0"
    with pytest.raises(UnknownRevisionError, match="no commit at or before"):
        production(dt.datetime(2026, 8, 1, tzinfo=dt.UTC))


def test_the_readme_queries_example_runs(repo: Repo) -> None:
    """The README's Registry queries, run as written in a copy of this registry."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    block = readme.split("<!-- registry-queries-example:", 1)[1]
    code = block.split("```python\n", 1)[1].split("```", 1)[0]
    proc = subprocess.run(
        [sys.executable, "-P", "-c", code], cwd=repo.path, capture_output=True, text=True,
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0] == "production" and lines[1] == "['1.0.0', '1.1.0', '1.2.0']"
    assert lines[2] == "['price-direction@1.1.0']"
    assert [line.split()[2:4] for line in lines[3:]] == [
        ["registered", "1.0.0"], ["registered", "1.1.0"], ["registered", "1.2.0"],
    ]  # fmt: skip
