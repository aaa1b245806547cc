"""The status table from tree ids: same answer as a full load, re-reading only what changed."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from galfriday_gitops.load import state as state_mod
from galfriday_gitops.load.cache import BlobCache
from galfriday_gitops.load.state import load_state
from galfriday_gitops.load.summary import stage_summary
from galfriday_gitops.paths import REGISTRY_DIRS
from tests.support.factories import manifest
from tests.support.repo import Repo


@pytest.fixture
def reg(empty_repo: Repo) -> Repo:
    for name in ("alpha", "beta", "gamma"):
        for version, stage in (("1.0.0", "production"), ("1.1.0", "staging")):
            empty_repo.write(f"models/{name}/{version}.yaml", manifest(name, version, stage))
    empty_repo.commit("three models")
    return empty_repo


def test_same_table_as_a_full_load_and_only_changed_folders_are_read(
    reg: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, table, errors = stage_summary(reg.path, "HEAD")
    assert table == load_state(reg.path, "HEAD").stage_table() and errors == 0
    reg.write("models/beta/1.1.0.yaml", manifest("beta", "1.1.0", "canary"))
    reg.commit("beta to canary")
    loads: list[tuple[str, ...]] = []
    real = state_mod.load_state

    def spy(
        repo: Path | str,
        rev: str = "HEAD",
        *,
        blob_cache: BlobCache | None = None,
        paths: Sequence[str] = REGISTRY_DIRS,
    ) -> state_mod.RegistryState:
        loads.append(tuple(paths))
        return real(repo, rev, blob_cache=blob_cache, paths=paths)

    monkeypatch.setattr(state_mod, "load_state", spy)
    _, table, _ = stage_summary(reg.path, "HEAD")
    assert loads == [("models/beta",)]
    assert table["beta"] == {"production": ["1.0.0"], "canary": ["1.1.0"]}
    loads.clear()
    assert stage_summary(reg.path, "HEAD")[1] == table and loads == []  # nothing changed


def test_invalid_files_are_counted(reg: Repo) -> None:
    reg.write("models/alpha/2.0.0.yaml", manifest("alpha", "2.0.0", "prodution"))
    reg.write("models/stray.yaml", "a: 1\n")
    reg.write("policies/teams.yaml", "apiVersion: galfriday/v1\nkind: Teams\n")
    reg.commit("three problems")
    _, table, errors = stage_summary(reg.path, "HEAD")
    assert errors == 3
    assert "2.0.0" not in str(table["alpha"])
