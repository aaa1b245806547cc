"""The history walker: states along a branch's first parents, and production periods on it."""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest

from galfriday_gitops.load.history import (
    History,
    ProductionPeriod,
    previous_production_version,
    production_periods,
    walk,
)
from galfriday_gitops.load.state import RegistryState, load_state
from galfriday_gitops.resources import ModelStage
from tests.support.factories import manifest
from tests.support.repo import ROOT, Repo

PD = "models/price-direction"


@pytest.fixture
def reg(empty_repo: Repo) -> Repo:
    """main: 1.0.0 in production; a merged branch brings 1.1.0 to production (its own
    commits are not first parents); then another model is registered."""
    r = empty_repo
    r.write(f"{PD}/1.0.0.yaml", manifest(version="1.0.0", stage="production"))
    r.commit("register 1.0.0")
    r.git("checkout", "-q", "-b", "side")
    r.write(f"{PD}/1.1.0.yaml", manifest(version="1.1.0", stage="staging"))
    r.commit("register 1.1.0 (side)")
    r.write(f"{PD}/1.1.0.yaml", manifest(version="1.1.0", stage="production"))
    r.write(f"{PD}/1.0.0.yaml", manifest(version="1.0.0", stage="deprecated"))
    r.commit("promote 1.1.0 (side)")
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--no-ff", "-m", "Merge pull request #7 from side", "side")
    r.write("models/fx-carry/0.1.0.yaml", manifest("fx-carry", "0.1.0"))
    r.commit("register fx-carry")
    return r


def _production(repo: Repo, sha: str) -> tuple[str, ...]:
    state = load_state(repo.path, sha)
    return tuple(v.version for v in state.in_stage("price-direction", ModelStage.PRODUCTION))


def test_walk_yields_first_parents_oldest_first_with_their_states(reg: Repo) -> None:
    steps = list(walk(reg.path, "main"))
    assert [e.subject for e, _ in steps] == [
        "register 1.0.0",
        "Merge pull request #7 from side",
        "register fx-carry",
    ]
    expected = reg.git("rev-list", "--first-parent", "--reverse", "main").split()
    assert [e.sha for e, _ in steps] == expected
    for entry, state in steps:
        assert state.rev == entry.sha
        assert state.stage_table() == load_state(reg.path, entry.sha).stage_table()
    assert steps[-1][1].models() == ["fx-carry", "price-direction"]


def test_walk_only_commits_touching_paths_and_after_a_commit(reg: Repo) -> None:
    touching = [e.subject for e, _ in walk(reg.path, "main", touching=["models/fx-carry"])]
    assert touching == ["register fx-carry"]
    first = reg.git("rev-list", "--max-parents=0", "main")
    after = [e.subject for e, _ in walk(reg.path, "main", after=first)]
    assert after == ["Merge pull request #7 from side", "register fx-carry"]


def test_a_narrow_walk_loads_only_those_folders(reg: Repo) -> None:
    (_, state), *_ = walk(reg.path, "main~0", after="main~1", paths=["models/fx-carry/"])
    assert state.models() == ["fx-carry"]


def test_a_parent_state_is_reused_not_loaded_again(reg: Repo) -> None:
    history = History(reg.path)
    (e1, s1), (e2, s2), (e3, _) = list(history.walk("main"))
    assert history.parent_state(e2) is s1
    assert history.parent_state(e1).rev is None and history.parent_state(e1).entries == {}
    assert history.parent_state(e3) is s2  # the merge commit, by its first parent


def test_production_periods_follow_main_not_the_merged_branch(reg: Repo) -> None:
    periods = production_periods(reg.path, "price-direction", "main")
    assert [(p.subject, p.versions) for p in periods] == [
        ("register 1.0.0", ("1.0.0",)),
        ("Merge pull request #7 from side", ("1.1.0",)),
    ]
    # Brute force: every first-parent commit, fully loaded, consecutive equal sets merged.
    brute: list[tuple[str, ...]] = []
    for sha in reg.git("rev-list", "--first-parent", "--reverse", "main").split():
        versions = _production(reg, sha)
        if not brute or brute[-1] != versions:
            brute.append(versions)
    assert [p.versions for p in periods] == brute
    when = reg.git("log", "-1", "--format=%cI", periods[1].commit)
    assert periods[1].date == when


def test_previous_production_version() -> None:
    def period(*versions: str) -> ProductionPeriod:
        return ProductionPeriod("c", "d", "s", versions)

    periods = [period("1.0.0"), period("1.0.0", "1.1.0"), period("1.1.0"), period("1.2.0")]
    assert previous_production_version(periods, "1.2.0") == "1.1.0"
    assert previous_production_version(periods, "1.1.0") == "1.2.0"
    assert previous_production_version([period("1.0.0", "1.1.0")], "1.2.0") is None  # ambiguous
    assert previous_production_version([period("1.2.0")], "1.2.0") is None


def _same(derived: RegistryState, loaded: RegistryState) -> None:
    assert derived.rev == loaded.rev
    assert list(derived.entries) == list(loaded.entries)
    for path, entry in loaded.entries.items():
        mine = derived.entries[path]
        assert (mine.blob, mine.index, mine.findings) == (entry.blob, entry.index, entry.findings)
    assert derived.findings == loaded.findings
    assert derived.stage_table() == loaded.stage_table()


def test_a_derived_state_equals_a_full_load_at_every_step(empty_repo: Repo) -> None:
    """Additions, edits, deletions, a symlink, a misplaced file, a duplicate policy, a
    manifest in the wrong folder, and their repairs: each step derived from the last."""
    r = empty_repo
    teams = (ROOT / "policies" / "teams.yaml").read_text(encoding="utf-8")

    def rm(*rels: str) -> None:
        for rel in rels:
            (r.path / rel).unlink()

    steps: list[Callable[[], object]] = [
        lambda: r.write(f"{PD}/1.0.0.yaml", manifest(version="1.0.0")),
        lambda: (r.write("policies/teams.yaml", teams), r.write("policies/notes.txt", "x")),
        lambda: r.write(f"{PD}/1.0.0.yaml", manifest(version="1.0.0", stage="testing")),
        lambda: r.write("policies/teams-copy.yaml", teams),  # GF124: a second Teams
        lambda: rm("policies/teams-copy.yaml"),
        lambda: r.write("models/other/1.0.0.yaml", manifest(version="1.0.0")),  # GF120
        lambda: os.symlink("1.0.0.yaml", r.path / PD / "2.0.0.yaml"),  # GF122
        lambda: r.write("models/stray.txt", "x"),  # GF121
        lambda: rm(f"{PD}/2.0.0.yaml", "models/stray.txt"),
        lambda: rm(f"{PD}/1.0.0.yaml"),
    ]
    for number, change in enumerate(steps):
        change()
        r.commit(f"step {number}")
    history = History(r.path)
    entries = history.commits("main")
    state = history.state(entries[0].sha)
    kinds: set[str] = set()
    for entry in entries[1:]:
        state = history.child_state(state, entry)
        fresh = load_state(r.path, entry.sha)
        _same(state, fresh)
        kinds |= {f.rule for f in fresh.findings}
    assert {"GF120", "GF121", "GF122", "GF124"} <= kinds  # every refusal was exercised
    assert state.entries.keys() == {"policies/teams.yaml", "models/other/1.0.0.yaml"}
