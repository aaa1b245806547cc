"""RegistryState: read from git objects (never the work tree), cached by blob, queried."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding
from galfriday_gitops.load import state as state_mod
from galfriday_gitops.load.layout import Slot
from galfriday_gitops.load.state import RegistryState, load_state, load_worktree
from galfriday_gitops.resources import ModelStage, Resource
from tests.support.factories import manifest
from tests.support.repo import ROOT, Repo


def stage_of(state: RegistryState, name: str, version: str) -> ModelStage:
    found = state.get(name, version)
    assert found is not None, f"{name}@{version} is missing"
    return found.stage


@pytest.fixture
def reg(empty_repo: Repo) -> Repo:
    empty_repo.write(
        "models/price-direction/1.0.0.yaml",
        manifest(version="1.0.0", stage="production", accuracy=0.86),
    )
    empty_repo.write(
        "models/price-direction/1.1.0.yaml",
        manifest(version="1.1.0", stage="staging", accuracy=0.88),
    )
    empty_repo.write(
        "models/price-direction/1.10.0.yaml",
        manifest(version="1.10.0", stage="development", accuracy=0.7),
    )
    empty_repo.write(
        "models/fx-carry/0.1.0.yaml",
        manifest("fx-carry", "0.1.0", labels="{team: fx}", accuracy=0.5),
    )
    empty_repo.commit("four versions")
    return empty_repo


def test_queries(reg: Repo) -> None:
    state = load_state(reg.path, "HEAD")
    assert state.findings == []
    assert state.models() == ["fx-carry", "price-direction"]
    assert [v.version for v in state.versions_of("price-direction")] == ["1.0.0", "1.1.0", "1.10.0"]
    latest = state.latest("price-direction")
    assert latest is not None and latest.version == "1.10.0"  # SemVer, not string order
    assert [v.version for v in state.in_stage("price-direction", ModelStage.PRODUCTION)] == [
        "1.0.0"
    ]


def test_reads_git_objects_not_the_work_tree(reg: Repo) -> None:
    reg.write("models/price-direction/1.1.0.yaml", manifest(version="1.1.0", stage="production"))
    (reg.path / "models/fx-carry/0.1.0.yaml").unlink()
    committed = load_state(reg.path, "HEAD")
    assert stage_of(committed, "price-direction", "1.1.0") is ModelStage.STAGING
    assert committed.get("fx-carry", "0.1.0") is not None
    on_disk = load_worktree(reg.path)
    assert stage_of(on_disk, "price-direction", "1.1.0") is ModelStage.PRODUCTION
    assert on_disk.get("fx-carry", "0.1.0") is None


def test_older_revisions_are_loadable(reg: Repo) -> None:
    first = reg.git("rev-parse", "HEAD")
    reg.write("models/price-direction/1.1.0.yaml", manifest(version="1.1.0", stage="production"))
    reg.commit("promote")
    assert stage_of(load_state(reg.path, first), "price-direction", "1.1.0") is ModelStage.STAGING
    assert (
        stage_of(load_state(reg.path, "HEAD"), "price-direction", "1.1.0") is ModelStage.PRODUCTION
    )
    with pytest.raises(UserError, match="unknown revision"):
        load_state(reg.path, "no-such-branch")


def test_second_load_parses_only_changed_blobs(reg: Repo, monkeypatch: pytest.MonkeyPatch) -> None:
    load_state(reg.path, "HEAD")  # fills the on-disk cache under .git/
    assert (reg.path / ".git" / "galfriday" / "cache.sqlite").exists()
    reg.write("models/price-direction/1.1.0.yaml", manifest(version="1.1.0", stage="production"))
    reg.commit("promote")
    parsed: list[bytes] = []
    real = state_mod.parse_blob

    def counting(raw: bytes, slot: Slot) -> tuple[Resource | None, tuple[Finding, ...]]:
        parsed.append(raw)
        return real(raw, slot)

    monkeypatch.setattr(state_mod, "parse_blob", counting)
    state = load_state(reg.path, "HEAD")  # a fresh process would use the same disk cache
    assert len(parsed) == 1
    assert stage_of(state, "price-direction", "1.1.0") is ModelStage.PRODUCTION


def test_cached_invalid_files_still_report(reg: Repo) -> None:
    reg.write("models/price-direction/2.0.0.yaml", manifest(version="2.0.0", stage="Prodution"))
    reg.commit("typo")
    for _ in range(2):  # second time from the cache
        state = load_state(reg.path, "HEAD")
        assert [(f.rule, f.file, f.line) for f in state.findings] == [
            ("GF114", "models/price-direction/2.0.0.yaml", 9)
        ]


def test_path_must_match_metadata(reg: Repo) -> None:
    reg.write("models/price-direction/2.0.0.yaml", manifest(version="2.1.0"))
    reg.write("models/other/1.0.0.yaml", manifest(version="1.0.0"))
    reg.commit("misplaced")
    found = {(f.rule, f.file, f.line) for f in load_state(reg.path, "HEAD").findings}
    assert ("GF120", "models/price-direction/2.0.0.yaml", 5) in found
    assert ("GF120", "models/other/1.0.0.yaml", 5) in found


def test_misplaced_files_and_kinds(reg: Repo) -> None:
    reg.write("models/price-direction/notes.txt", "hello")
    reg.write("models/price-direction/latest.yaml", manifest())
    reg.write("policies/nested/x.yaml", "a: 1\n")
    reg.write("experiments/x.yaml", manifest())
    reg.write("models/README.md", "ignored")
    reg.commit("mess")
    found = {(f.rule, f.file) for f in load_state(reg.path, "HEAD").findings}
    assert found == {
        ("GF121", "models/price-direction/notes.txt"),
        ("GF113", "models/price-direction/latest.yaml"),
        ("GF121", "policies/nested/x.yaml"),
        ("GF125", "experiments/x.yaml"),
    }


def test_symlinks_and_submodules_are_refused(reg: Repo, tmp_path: Path) -> None:
    secret = tmp_path / "secret.yaml"
    secret.write_text(manifest(version="9.9.9"))
    os.symlink(secret, reg.path / "models/price-direction/9.9.9.yaml")
    (reg.path / "policies").mkdir()
    os.symlink(tmp_path, reg.path / "policies/outside")
    reg.commit("links")
    sub = tmp_path / "sub"
    sub.mkdir()
    Repo(sub).git("init", "-q")
    Repo(sub).commit("sub")
    reg.git(
        "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(sub), "experiments/sub"
    )
    reg.commit("submodule")
    for state in (load_state(reg.path, "HEAD"), load_worktree(reg.path)):
        found = {(f.rule, f.file) for f in state.findings}
        assert ("GF122", "models/price-direction/9.9.9.yaml") in found
        assert ("GF122", "policies/outside") in found
        assert ("GF123", "experiments/sub") in found
        assert state.get("price-direction", "9.9.9") is None


def test_duplicate_resources(reg: Repo) -> None:
    teams = "apiVersion: galfriday/v1\nkind: Teams\nmetadata: {name: t}\nspec: {teams: {a: [x]}}\n"
    reg.write("policies/teams.yaml", teams)
    reg.write("policies/teams2.yaml", teams)
    reg.commit("two teams")
    found = [(f.rule, f.file) for f in load_state(reg.path, "HEAD").findings]
    assert found == [("GF124", "policies/teams2.yaml")]


def test_duplicate_policies_by_name_and_drift_policies_by_model(reg: Repo) -> None:
    """Stage policies are one per name; drift policies one per model, whatever their names
    (found from the index and the validated data, without building any validator)."""
    stages = (ROOT / "policies" / "stages.yaml").read_text()
    drift = (ROOT / "policies" / "drift.yaml").read_text()
    reg.write("policies/a-stages.yaml", stages)
    reg.write("policies/b-stages.yaml", stages)
    reg.write("policies/a-drift.yaml", drift)
    reg.write("policies/b-drift.yaml", drift.replace("  name: price-direction", "  name: other"))
    other_model = drift.replace("  name: price-direction", "  name: third")
    reg.write(
        "policies/c-drift.yaml", other_model.replace("  model: price-direction", "  model: churn")
    )
    reg.commit("copies")
    found = {f.file: f.message for f in load_state(reg.path, "HEAD").findings if f.rule == "GF124"}
    assert found.keys() == {"policies/b-stages.yaml", "policies/b-drift.yaml"}
    assert (
        "StagePolicy 'default' is already defined in policies/a-stages.yaml"
        in found["policies/b-stages.yaml"]
    )
    assert "DriftPolicy 'price-direction'" in found["policies/b-drift.yaml"]
