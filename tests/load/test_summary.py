"""The status table: the same answer as a full load, from each manifest's identity lines,
re-reading only the folders that changed, without importing the schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from galfriday_gitops.load.state import load_state
from galfriday_gitops.load.summary import stage_summary, worktree_summary
from tests.support.blobs import count_blob_reads
from tests.support.cli import gfops
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
    read = count_blob_reads(monkeypatch)
    _, table, errors, _ = stage_summary(reg.path, "HEAD")
    assert len(read) == 6  # positive control: a cold summary reads every manifest
    assert table == load_state(reg.path, "HEAD").stage_table() and errors == 0
    reg.write("models/beta/1.1.0.yaml", manifest("beta", "1.1.0", "canary"))
    reg.commit("beta to canary")
    read.clear()
    table = stage_summary(reg.path, "HEAD").table
    assert len(read) == 2  # beta's folder only (its tree id changed)
    assert table["beta"] == {"production": ["1.0.0"], "canary": ["1.1.0"]}
    read.clear()
    assert stage_summary(reg.path, "HEAD")[1] == table and read == []  # nothing changed


def test_refused_manifests_are_counted_and_left_out(reg: Repo, tmp_path: Path) -> None:
    reg.write("models/alpha/2.0.0.yaml", manifest("alpha", "2.0.0", "prodution"))
    reg.write("models/alpha/3.0.0.yaml", manifest("alpha", "3.1.0", "staging"))  # wrong path
    reg.write("models/stray.yaml", "a: 1\n")
    (reg.path / "models" / "beta" / "9.0.0.yaml").symlink_to(tmp_path)
    reg.commit("four problems")
    _, table, errors, _ = stage_summary(reg.path, "HEAD")
    assert errors == 4
    assert table["alpha"] == {"production": ["1.0.0"], "staging": ["1.1.0"]}
    assert worktree_summary(reg.path) == (None, table, 4, {})


def test_status_reads_manifests_not_policies(reg: Repo) -> None:
    # Status shows the manifests; a broken policy is validate's (and check's) to report.
    reg.write("policies/teams.yaml", "apiVersion: galfriday/v1\nkind: Teams\n")
    reg.commit("a broken policy")
    assert stage_summary(reg.path, "HEAD")[2] == 0
    assert gfops("validate", "--rev", "HEAD", cwd=reg.path).code == 1  # control: it is broken


def test_a_fault_outside_the_identity_is_left_to_validate(reg: Repo) -> None:
    # What status promises: name, version and stage as YAML reads them; the rest is not
    # validated here (docs/design-notes.md, "Cold status").
    text = manifest("delta", "1.0.0", "staging").replace("accuracy: 0.9", "accuracy: high")
    reg.write("models/delta/1.0.0.yaml", text)
    reg.commit("a bad metric")
    assert stage_summary(reg.path, "HEAD")[1]["delta"] == {"staging": ["1.0.0"]}
    result = gfops("validate", "--rev", "HEAD", cwd=reg.path)
    assert result.code == 1 and "accuracy" in result.out


def _flow_metadata(name: str, version: str, stage: str) -> str:
    spec = manifest(name, version, stage).split("\nspec:\n", 1)[1]
    head = "apiVersion: galfriday/v1\nkind: ModelVersion\n"
    return f"{head}metadata: {{name: {name}, version: {version}}}\nspec:\n{spec}"


def test_unusual_layouts_get_the_same_answer_through_a_full_parse(reg: Repo) -> None:
    reg.write("models/delta/1.0.0.yaml", _flow_metadata("delta", "1.0.0", "canary"))
    reg.commit("flow-style metadata")
    assert stage_summary(reg.path, "HEAD")[1]["delta"] == {"canary": ["1.0.0"]}


def _flow_rollout(name: str, version: str, share: float) -> str:
    text = manifest(name, version, "canary", traffic=share)
    return text.replace(
        f"  rollout:\n    trafficPercent: {share:g}", f"  rollout: {{trafficPercent: {share:g}}}"
    )


def test_canary_shares_come_with_the_identity_or_from_a_full_parse(
    reg: Repo, monkeypatch: pytest.MonkeyPatch
) -> None:
    reg.write("models/delta/1.0.0.yaml", manifest("delta", "1.0.0", "canary", traffic=10))
    reg.write("models/delta/1.1.0.yaml", _flow_rollout("delta", "1.1.0", 7.5))  # parsed in full
    reg.write("models/delta/0.9.0.yaml", manifest("delta", "0.9.0", "production"))
    reg.commit("two canaries beside production")
    read = count_blob_reads(monkeypatch)
    summary = stage_summary(reg.path, "HEAD")
    assert len(read) == 9  # one read per manifest, as without shares
    assert summary.table["delta"] == {"production": ["0.9.0"], "canary": ["1.0.0", "1.1.0"]}
    assert summary.traffic == {"delta": {"1.0.0": 10.0, "1.1.0": 7.5}}
    state = load_state(reg.path, "HEAD")  # the full load agrees
    full = {
        v.version: v.spec.rollout.traffic_percent
        for v in state.versions_of("delta")
        if v.spec.rollout
    }
    assert full == summary.traffic["delta"]
    assert worktree_summary(reg.path).traffic == summary.traffic
    read.clear()
    assert stage_summary(reg.path, "HEAD").traffic == summary.traffic and read == []  # cached


_PROBE = """
import sys
from pathlib import Path
from galfriday_gitops.load.summary import stage_summary
summary = stage_summary(Path(sys.argv[1]), "HEAD")
print(summary.table["delta"], summary.traffic.get("delta"))
print("pydantic" in sys.modules)
"""


def _cold_summary(repo: Repo) -> tuple[str, bool]:
    """What a cold summary in a fresh process shows of delta, and whether it imported the
    schema (pydantic)."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, str(repo.path)],
        capture_output=True, text=True, check=True, env=env,
    ).stdout.split("\n")  # fmt: skip
    return out[0], out[1] == "True"


def test_the_fast_path_never_imports_the_schema(reg: Repo) -> None:
    reg.write("models/delta/1.0.0.yaml", manifest("delta", "1.0.0", "canary", traffic=10))
    reg.commit("plain layout, with a canary share")
    assert _cold_summary(reg) == ("{'canary': ['1.0.0']} {'1.0.0': 10.0}", False)
    # Control: a file the line reader is unsure of is parsed in full, with the schema.
    reg.write("models/delta/1.1.0.yaml", _flow_metadata("delta", "1.1.0", "staging"))
    reg.commit("flow-style metadata")
    assert _cold_summary(reg)[1]
    # ... and so is a rollout in flow style: the same share, through the schema.
    reg.write("models/delta/1.1.0.yaml", manifest("delta", "1.1.0", "staging"))
    reg.write("models/delta/1.0.0.yaml", _flow_rollout("delta", "1.0.0", 10))
    reg.commit("flow-style rollout")
    assert _cold_summary(reg) == (
        "{'canary': ['1.0.0'], 'staging': ['1.1.0']} {'1.0.0': 10.0}",
        True,
    )
