"""Folder records: a folder whose tree id is unchanged is reused whole (no listing of its
files, no blob read, nothing decoded), findings included."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from galfriday_gitops import gitio
from galfriday_gitops.load.cache import BlobCache
from galfriday_gitops.load.state import load_state
from tests.support.blobs import count_blob_reads
from tests.support.factories import manifest
from tests.support.repo import Repo


@pytest.fixture
def reg(empty_repo: Repo, tmp_path: Path) -> Repo:
    for name in ("alpha", "beta"):
        empty_repo.write(f"models/{name}/1.0.0.yaml", manifest(name, "1.0.0", "production"))
    empty_repo.write("models/alpha/notes.txt", "misplaced")
    os.symlink(tmp_path, empty_repo.path / "models/beta/2.0.0.yaml")
    empty_repo.commit("two models, two problems")
    return empty_repo


def _recursive_listings(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, ...]]:
    calls: list[tuple[str, ...]] = []
    real = gitio.ls_tree

    def spy(repo: Path | str, commit: str, paths: list[str]) -> list[gitio.TreeEntry]:
        calls.append(tuple(paths))
        return real(repo, commit, paths)

    monkeypatch.setattr(gitio, "ls_tree", spy)
    return calls


def test_an_unchanged_folder_is_reused_with_its_findings(
    reg: Repo, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    read, listed = count_blob_reads(monkeypatch), _recursive_listings(monkeypatch)
    cold = load_state(reg.path, "HEAD", blob_cache=BlobCache(None))
    assert len(read) == 2 and listed  # control: a cold load lists and reads the files
    on_disk = tmp_path / "cache.sqlite"
    load_state(reg.path, "HEAD", blob_cache=BlobCache(on_disk))
    read.clear()
    listed.clear()
    warm = load_state(reg.path, "HEAD", blob_cache=BlobCache(on_disk))  # as a new process
    assert read == [] and listed == []
    assert warm.findings == cold.findings and {f.rule for f in warm.findings} == {"GF121", "GF122"}
    assert warm.stage_table() == cold.stage_table()
    entry = warm.entry("alpha", "1.0.0")
    assert entry is not None and not entry.fetched  # nothing decoded until asked
    version = warm.get("alpha", "1.0.0")
    assert version is not None and version.stage.value == "production" and entry.fetched


def test_a_change_relists_only_its_folder(reg: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = BlobCache(None)
    base = load_state(reg.path, "HEAD", blob_cache=cache)
    reg.write("models/alpha/1.0.0.yaml", manifest("alpha", "1.0.0", "deprecated"))
    reg.commit("alpha retires")
    listed = _recursive_listings(monkeypatch)
    head = load_state(reg.path, "HEAD", blob_cache=cache)
    assert listed == [("models/alpha",)]
    assert head.entry("beta", "1.0.0") is base.entry("beta", "1.0.0")  # shared, not copied
    assert head.stage_table()["alpha"] == {"deprecated": ["1.0.0"]}
