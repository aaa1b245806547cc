"""Rules one by one, through the reconciler on real git repos: each passes and fails."""

from __future__ import annotations

import datetime as dt

import pytest

from galfriday_gitops.diff.events import EventKind
from galfriday_gitops.dvcio import DvcFile, Output
from galfriday_gitops.findings import Severity
from galfriday_gitops.forge.base import Review
from galfriday_gitops.rules.context import IN_TRACKED_FOLDER
from galfriday_gitops.rules.engine import _tracked_md5, reconcile
from galfriday_gitops.rules.reviews import PullRequestFacts
from tests.support.factories import dvc_file, fake_md5, manifest
from tests.support.repo import Repo

NOW = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
POLICY = """\
apiVersion: galfriday/v1
kind: StagePolicy
metadata: {name: default}
spec:
  owners: [platform]
  protectedStages: []   # one rule at a time: no approvals here (reported as GF222 notes)
  transitions:
    development: [staging, archived]
    staging: [canary, production, development]
    canary: [production, staging]
    production: [deprecated]
    deprecated: [archived, production]
    archived: []
  stages:
    canary: {capacity: 1, rollout: {maxTrafficPercent: 10}}
    production: {capacity: 1, previousHolder: deprecated}
"""
TEAMS = """\
apiVersion: galfriday/v1
kind: Teams
metadata: {name: teams}
spec:
  teams: {platform: [frank, heidi], leads: [dave]}
"""


def track(repo: Repo, version: str) -> None:
    """The .dvc file a registered version's artifact needs."""
    repo.write(f"artifacts/m/{version}/model.json.dvc", dvc_file("m", version))


@pytest.fixture
def reg(empty_repo: Repo) -> Repo:
    empty_repo.write("policies/stages.yaml", POLICY)
    empty_repo.write("policies/teams.yaml", TEAMS)
    for version, stage in (("1.0.0", "production"), ("1.1.0", "staging"), ("0.9.0", "archived")):
        empty_repo.write(f"models/m/{version}.yaml", manifest("m", version, stage))
        track(empty_repo, version)
    empty_repo.commit("base")
    empty_repo.git("checkout", "-q", "-b", "change")
    return empty_repo


def judge(repo: Repo, pull: PullRequestFacts | None = None) -> set[str]:
    repo.commit("change")
    head = repo.git("rev-parse", "HEAD")
    pull = pull or PullRequestFacts(1, "alice", head)
    verdict = reconcile(repo.path, "main", "change", pull, NOW)
    return {f.rule for f in verdict.findings if f.severity is not Severity.NOTE}


def test_an_untouched_registry_passes_everything(reg: Repo) -> None:
    assert judge(reg) == set()


def test_registration_enters_at_the_initial_stage(reg: Repo) -> None:
    reg.write("models/m/2.0.0.yaml", manifest("m", "2.0.0", "development"))
    track(reg, "2.0.0")
    reg.write("dvc.yaml", "artifacts:\n  m: {path: artifacts/m/2.0.0/model.json}\n")
    assert judge(reg) == set()
    reg.write("models/m/2.0.0.yaml", manifest("m", "2.0.0", "staging"))
    assert judge(reg) == {"GF201"}


def test_previous_holder_must_move_where_the_policy_says(reg: Repo) -> None:
    reg.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", "production"))
    reg.write("models/m/1.0.0.yaml", manifest("m", "1.0.0", "deprecated"))
    assert judge(reg) == set()
    reg.write("models/m/1.0.0.yaml", manifest("m", "1.0.0", "staging"))
    found = judge(reg)
    assert "GF207" in found and "GF200" in found  # production -> staging is not in this graph


def test_capacity_counts_the_merged_state(reg: Repo) -> None:
    reg.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", "production"))
    assert judge(reg) == {"GF206"}


def test_exactly_one_policy_must_apply(reg: Repo) -> None:
    reg.git("checkout", "-q", "main")
    reg.write("policies/other.yaml", POLICY.replace("name: default", "name: other"))
    reg.commit("second policy")
    reg.git("checkout", "-q", "-b", "two", "main")
    reg.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", "canary"))
    reg.commit("x")
    verdict = reconcile(reg.path, "main", "two", PullRequestFacts(1, "a", "0" * 40), NOW)
    assert "GF214" in {f.rule for f in verdict.findings}


def test_rollout_within_the_stage_limit(reg: Repo) -> None:
    canary = manifest("m", "1.1.0", "canary").replace(
        "  artifacts:", "  rollout: {trafficPercent: 5}\n  artifacts:"
    )
    reg.write("models/m/1.1.0.yaml", canary)
    assert judge(reg) == set()
    reg.write("models/m/1.1.0.yaml", canary.replace("trafficPercent: 5", "trafficPercent: 50"))
    assert judge(reg) == {"GF215"}


def test_only_a_canary_has_a_traffic_share_and_every_canary_has_one(reg: Repo) -> None:
    reg.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", "canary"))  # no spec.rollout
    reg.commit("canary without a share")
    verdict = reconcile(reg.path, "main", "change", PullRequestFacts(1, "a", "0" * 40), NOW)
    found = [f for f in verdict.findings if f.rule == "GF215"]
    assert len(found) == 1 and "a canary needs the share of traffic it serves" in found[0].message
    assert found[0].line == 9 and "--traffic" in found[0].hint  # the stage line
    # production keeping a canary's share is refused too: the share was the canary's
    production = manifest("m", "1.1.0", "production").replace(
        "  artifacts:", "  rollout: {trafficPercent: 5}\n  artifacts:"
    )
    reg.write("models/m/1.1.0.yaml", production)
    reg.write("models/m/1.0.0.yaml", manifest("m", "1.0.0", "deprecated"))
    assert judge(reg) == {"GF215"}
    # the control: the same promotion without the stale share passes
    reg.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", "production"))
    assert judge(reg) == set()


def test_deletion_only_of_archived_versions_and_renames(reg: Repo) -> None:
    (reg.path / "models/m/0.9.0.yaml").unlink()
    assert judge(reg) == set()
    # Same artifact, new name/version: a rename (the artifact hash is the identity).
    reg.write("models/m/3.0.0.yaml", manifest("m", "3.0.0", "staging", md5=fake_md5("m", "1.1.0")))
    (reg.path / "models/m/1.1.0.yaml").unlink()
    reg.commit("rename")
    verdict = reconcile(reg.path, "main", "change", PullRequestFacts(1, "a", "0" * 40), NOW)
    kinds = {(e.kind, e.version) for e in verdict.events}
    assert (EventKind.RENAMED, "3.0.0") in kinds and (EventKind.DELETED, "0.9.0") in kinds
    assert (EventKind.DELETED, "1.1.0") not in kinds
    renamed = next(f for f in verdict.findings if f.rule == "GF209")
    assert (
        renamed.file == "models/m/1.1.0.yaml"
        and "renamed to models/m/3.0.0.yaml" in renamed.message
    )


def test_a_stage_typo_is_a_schema_error_not_a_deletion(reg: Repo) -> None:
    reg.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", "prodution"))
    reg.commit("typo")
    verdict = reconcile(reg.path, "main", "change", PullRequestFacts(1, "a", "0" * 40), NOW)
    typo = [f for f in verdict.findings if f.rule == "GF114"]
    assert typo and typo[0].file == "models/m/1.1.0.yaml" and "production" in typo[0].hint
    assert "GF209" not in {f.rule for f in verdict.findings}
    assert not [e for e in verdict.events if e.kind is EventKind.DELETED]
    # the control: the file really gone is a deletion of a staging version
    (reg.path / "models/m/1.1.0.yaml").unlink()
    reg.commit("gone")
    verdict = reconcile(reg.path, "main", "change", PullRequestFacts(1, "a", "0" * 40), NOW)
    assert "GF209" in {f.rule for f in verdict.findings}


def test_leaving_production_empty_is_a_warning_that_does_not_block(reg: Repo) -> None:
    reg.write("models/m/1.0.0.yaml", manifest("m", "1.0.0", "deprecated"))
    reg.commit("deprecate the only production version")
    verdict = reconcile(reg.path, "main", "change", PullRequestFacts(1, "a", "0" * 40), NOW)
    warning = next(f for f in verdict.findings if f.rule == "GF218")
    assert warning.severity is Severity.WARNING and verdict.allowed
    assert warning.file == "models/m/1.0.0.yaml" and warning.line == 9  # the stage line
    assert "m has no production version after this change (1.0.0 leaves" in warning.message
    assert verdict.rule_status()["GF218"] == "warned"
    # the control: the replacement promoted in the same change keeps production served
    reg.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", "production"))
    assert judge(reg) == set()


def test_replacement_must_be_live(reg: Repo) -> None:
    reg.write(
        "policies/lifecycle.yaml",
        "apiVersion: galfriday/v1\nkind: LifecyclePolicy\nmetadata: {name: default}\nspec: {}\n",
    )
    reg.commit("lifecycle")
    reg.git("branch", "-f", "main", "HEAD")
    deprecated = manifest("m", "1.0.0", "deprecated").replace(
        "  artifacts:",
        "  deprecation: {reason: old, replacement: 1.1.0, endOfLife: 2027-01-01}\n  artifacts:",
    )
    reg.write("models/m/1.0.0.yaml", deprecated)
    reg.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", "production"))
    assert judge(reg) == set()
    reg.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", "staging"))
    assert "GF216" in judge(reg)


def test_policy_changes_need_the_owners(reg: Repo) -> None:
    reg.write(
        "policies/stages.yaml", POLICY.replace("capacity: 1, rollout", "capacity: 5, rollout")
    )
    head_reviews = (Review(1, "dave", "User", "APPROVED", None, None),)
    assert "GF213" in judge(reg, PullRequestFacts(1, "alice", "x", head_reviews))
    reg.commit("again")
    head = reg.git("rev-parse", "HEAD")
    frank = (Review(2, "frank", "User", "APPROVED", head, NOW),)
    verdict = reconcile(reg.path, "main", "change", PullRequestFacts(1, "alice", head, frank), NOW)
    assert "GF213" not in {f.rule for f in verdict.findings}


def test_an_internal_error_blocks_with_gf290(
    reg: Repo, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from galfriday_gitops.cli.main import main
    from galfriday_gitops.rules import engine

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("rule exploded")

    monkeypatch.setattr(engine, "reconcile", broken)
    code = main(
        ["-C", str(reg.path), "check", "--base", "main", "--head", "HEAD", "--format", "github"]
    )
    out = capsys.readouterr().out
    assert code == 2
    assert "::error title=GF290 internal-error::RuntimeError: rule exploded" in out


GATED = POLICY.replace(
    "production: {capacity: 1, previousHolder: deprecated}",
    "production: {capacity: 1, previousHolder: deprecated, requireExperimentWin: true}",
)


def test_experiment_gate_exempts_only_the_first_and_a_return_to_production(
    empty_repo: Repo,
) -> None:
    repo = empty_repo
    repo.write("policies/stages.yaml", GATED)
    repo.write("policies/teams.yaml", TEAMS)
    for version in ("1.0.0", "1.1.0"):
        repo.write(f"models/m/{version}.yaml", manifest("m", version, "staging"))
        track(repo, version)
    repo.commit("two candidates")
    facts = PullRequestFacts(1, "a", "0" * 40)

    def gate(branch: str) -> set[str]:
        verdict = reconcile(repo.path, "main", branch, facts, NOW)
        return {f.rule for f in verdict.findings if f.rule == "GF212"}

    repo.git("checkout", "-q", "-b", "first", "main")
    repo.write("models/m/1.0.0.yaml", manifest("m", "1.0.0", "production"))
    repo.commit("first production version")
    assert gate("first") == set()  # nothing serves yet: nothing to win against
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "first")

    repo.git("checkout", "-q", "-b", "replace", "main")
    repo.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", "production"))
    repo.write("models/m/1.0.0.yaml", manifest("m", "1.0.0", "deprecated"))
    repo.commit("a new candidate replaces production")
    assert gate("replace") == {"GF212"}  # a new version must win an experiment
    repo.git("checkout", "-q", "main")
    repo.git("merge", "-q", "--ff-only", "replace")  # (landed, say, by an admin)

    repo.git("checkout", "-q", "-b", "rollback", "main")
    repo.write("models/m/1.0.0.yaml", manifest("m", "1.0.0", "production"))
    repo.write("models/m/1.1.0.yaml", manifest("m", "1.1.0", "deprecated"))
    repo.commit("roll back to 1.0.0")
    assert gate("rollback") == set()  # 1.0.0 served before: a rollback is never gated


@pytest.mark.parametrize(
    ("dvc_files", "locked", "expected"),
    [
        ({"d/e/x.csv.dvc": [Output("x.csv", "a" * 32)]}, {}, "a" * 32),
        ({}, {"d/e/x.csv": "b" * 32}, "b" * 32),
        ({"d/e.dvc": [Output("e", "c" * 32 + ".dir")]}, {}, IN_TRACKED_FOLDER),
        ({}, {"d": "d" * 32 + ".dir"}, IN_TRACKED_FOLDER),
        ({"d/e/x.csv.dvc": [Output("y.csv", "a" * 32)]}, {"d/e/z.csv": "b" * 32}, None),
        ({}, {"d/e/x.csv": None}, "no md5"),
    ],
    ids=["dvc-file", "lock", "folder-dvc-file", "folder-lock", "untracked", "no-md5"],
)
def test_the_md5_dvc_tracks_for_a_data_path(
    dvc_files: dict[str, list[Output]], locked: dict[str, str | None], expected: str | None
) -> None:
    def read(path: str) -> DvcFile | None:
        outs = dvc_files.get(path)
        return DvcFile(tuple(outs)) if outs is not None else None

    assert _tracked_md5("d/e/x.csv", read, locked) == expected
