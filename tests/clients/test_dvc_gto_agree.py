"""DVC, GTO and gfops resolve the same version for every stage, after every event.

The registry is written by the toolkit (``gfops register``, stage edits, ``gfops apply``)
and read by the real clients: DVC (``dvc.api.artifacts_show`` and ``dvc artifacts get
--stage``: the newest tag naming a stage wins, unassignments included) and GTO
(``gto show``, ``gto show --json``, ``gto history``; default: per stage the version assigned
last, ``--vs -1``: every version in the stage). Where DVC cannot represent a state (a stage
emptied, or left by one of several versions) gfops must say so (``status`` warnings).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import dvc.api
import pytest
from dvc.exceptions import ArtifactNotFoundError
from gto import api as gto_api

from galfriday_gitops.resources import ModelStage
from tests.clients.dvc_registry import MODEL, DvcRegistry, clean_env, set_stage
from tests.support.cli import gfops
from tests.support.dvc import dvc as run_dvc

STAGES = [s.value for s in ModelStage]
GTO = str(Path(sys.executable).with_name("gto"))


def gfops_view(registry: DvcRegistry) -> tuple[dict[str, list[str]], list[str]]:
    """(stage -> versions, warnings) of ``gfops status --format json``."""
    result = gfops("status", "--format", "json", cwd=registry.repo.path)
    assert result.code == 0, result.err
    status = json.loads(result.out)
    return status["models"].get(MODEL, {}), status["warnings"]


def registered_at(registry: DvcRegistry) -> dict[str, str]:
    """Commit -> version, from the registration tags (how GTO and DVC name a version)."""
    out = registry.repo.git(
        "for-each-ref", "--format=%(refname:short) %(*objectname)", f"refs/tags/{MODEL}@v*"
    )
    pairs = (line.split() for line in out.splitlines())
    return {commit: tag.split("@v", 1)[1] for tag, commit in pairs if not tag.endswith("!")}


def dvc_resolves(registry: DvcRegistry, stage: str) -> str | None:
    """The version ``dvc.api.artifacts_show(stage=...)`` resolves, or None if DVC finds none."""
    try:
        shown = dvc.api.artifacts_show(MODEL, stage=stage, repo=str(registry.repo.path))
    except ArtifactNotFoundError:
        return None
    return registered_at(registry).get(shown["rev"], f"commit {shown['rev']}")


def gto_stages(registry: DvcRegistry, vs: int) -> dict[str, list[str]]:
    """GTO's stage -> versions (``gto show --vs vs``), as its API (the CLI's code) gives it."""
    shown = gto_api.show(str(registry.repo.path), versions_per_stage=vs)[MODEL]["stage"]
    return {s: v.replace("v", "").split(", ") for s, v in shown.items() if v}


def run_gto(repo: Path, *args: str) -> str:
    proc = subprocess.run([GTO, *args], cwd=repo, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, f"gto {' '.join(args)}: {proc.stderr}"
    return proc.stdout


def check_agreement(registry: DvcRegistry, event: str) -> None:
    ours, warnings = gfops_view(registry)
    gto_default, gto_all = gto_stages(registry, 1), gto_stages(registry, -1)
    for stage in STAGES:
        holders = ours.get(stage, [])
        where = f"after {event}, stage {stage}"
        # GTO with --vs -1 lists exactly the stage's versions; by default one of them.
        assert sorted(gto_all.get(stage, [])) == holders, where
        assert len(gto_default.get(stage, [])) == min(1, len(holders)), where
        assert set(gto_default.get(stage, [])) <= set(holders), where
        served = dvc_resolves(registry, stage)
        warned = [w for w in warnings if f"--stage {stage}`" in w]
        if len(holders) == 1:  # the stages a service resolves: all three agree, no caveat
            assert served == holders[0] and gto_default[stage] == holders, where
            assert not warned, where
        elif served in holders:  # several versions: DVC serves the one GTO shows first
            assert [served] == gto_default[stage] and not warned, where
        else:  # emptied or left: DVC still resolves it, so gfops must say so
            assert (served is None) == (not warned), (where, served, warnings)


@pytest.fixture
def history(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DvcRegistry:
    for key, value in clean_env(tmp_path / "home").items():
        monkeypatch.setenv(key, value)
    return DvcRegistry.create(tmp_path)


# Each event, applied in order to one registry: (what happens, the stage edits or a version).
EVENTS: list[tuple[str, Any]] = [
    ("register 1.0.0", "1.0.0"),
    ("promote to testing", [("1.0.0", "testing")]),
    ("promote to staging", [("1.0.0", "staging")]),
    ("promote to production", [("1.0.0", "production")]),
    ("register 1.1.0", "1.1.0"),
    ("1.1.0 to staging", [("1.1.0", "staging")]),
    ("hand-over 1.0.0 -> 1.1.0", [("1.1.0", "production"), ("1.0.0", "deprecated")]),
    ("register 1.2.0", "1.2.0"),
    ("1.2.0 to staging", [("1.2.0", "staging")]),
    ("hand-over 1.1.0 -> 1.2.0", [("1.2.0", "production"), ("1.1.0", "deprecated")]),
    ("rollback to 1.1.0", [("1.1.0", "production"), ("1.2.0", "deprecated")]),
    ("retire 1.0.0", [("1.0.0", "retired")]),
    ("deprecate-and-retire 1.2.0", [("1.2.0", "retired")]),
    ("archive 1.0.0", [("1.0.0", "archived")]),
]


def test_every_stage_agrees_after_every_event(history: DvcRegistry, tmp_path: Path) -> None:
    for event, change in EVENTS:
        if isinstance(change, str):
            history.register(change)
        else:
            history.move(*change)
        check_agreement(history, event)
        if event.startswith("rollback"):
            check_real_clients_after_rollback(history, tmp_path / "rollback")
    ours, warnings = gfops_view(history)
    assert ours == {"production": ["1.1.0"], "retired": ["1.2.0"], "archived": ["1.0.0"]}
    # The states DVC cannot represent are there, and said: emptied stages still resolve.
    assert any("--stage staging`" in w and "staging is empty" in w for w in warnings)
    assert any("--stage deprecated`" in w for w in warnings), warnings


def check_real_clients_after_rollback(history: DvcRegistry, tmp_path: Path) -> None:
    """The commands a person types: dvc artifacts get --stage, gto show / --json / history."""
    repo = history.repo.path
    tmp_path.mkdir()
    got = tmp_path / "production.json"
    out = run_dvc(tmp_path, "artifacts", "get", str(repo), MODEL, "--stage", "production",
              "-o", str(got))  # fmt: skip
    assert "Downloaded 1 file" in out
    assert got.read_bytes() == history.bytes_of[f"{MODEL}@1.1.0"]  # the rolled-back-to version
    shown = run_gto(repo, "show", "--json")
    assert json.loads(shown)[MODEL]["stage"]["production"] == "v1.1.0"
    table = run_gto(repo, "show", MODEL)
    assert "v1.1.0" in table and "production" in table
    events = json.loads(run_gto(repo, "history", MODEL, "--json"))
    tags = history.repo.git("tag", "-l", f"{MODEL}*").split()
    assert sorted(e["ref"] for e in events) == sorted(tags)  # every tag is an event GTO read
    newest_production = next(e for e in events if e["stage"] == "production")  # newest first
    assert (newest_production["event"], newest_production["version"]) == ("assignment", "v1.1.0")
    # gfops status --format gto is gto show --json, byte for byte of the parsed JSON.
    ours = gfops("status", "--format", "gto", cwd=repo)
    assert ours.code == 0, ours.err
    assert json.loads(ours.out) == json.loads(shown)


def old_order_tags(registry: DvcRegistry, names: list[str], target: str) -> None:
    """Annotated tags on ``target`` in the given order, one second apart (as apply dated them)."""
    last = int(registry.repo.git("for-each-ref", "--sort=-taggerdate", "--count=1",
                                 "--format=%(taggerdate:unix)", "refs/tags"))  # fmt: skip
    for i, name in enumerate(names, 1):
        subprocess.run(
            ["git", "-C", str(registry.repo.path), "tag", "-a", "-m", "by hand", name, target],
            env={**clean_env(registry.repo.path / ".."), "GIT_COMMITTER_DATE": f"{last + i} +0000"},
            check=True,
        )


def test_unassignment_written_last_misleads_dvc_and_gfops_says_so(history: DvcRegistry) -> None:
    """The reproduction: apply's old order (incoming assignment, then outgoing unassignment)
    leaves DVC serving the outgoing version. gfops status names the disagreement."""
    history.register("1.0.0")
    history.move(("1.0.0", "staging"))
    history.move(("1.0.0", "production"))
    history.register("1.1.0")
    one_one = history.repo.git("rev-parse", "main")
    one_oh = history.repo.git("rev-parse", f"refs/tags/{MODEL}@v1.0.0^{{commit}}")
    history.move(("1.1.0", "staging"))
    assert dvc_resolves(history, "production") == "1.0.0"
    ours, warnings = gfops_view(history)
    assert ours["production"] == ["1.0.0"]
    assert not [w for w in warnings if "--stage production`" in w]  # apply's tags: agreed
    # The hand-over, tagged in the old order instead of by apply.
    set_stage(history.repo, MODEL, "1.1.0", "production")
    set_stage(history.repo, MODEL, "1.0.0", "deprecated")
    history.repo.commit("hand-over (#99)")
    old_order_tags(history, [f"{MODEL}#staging!#20", f"{MODEL}#production#21"], one_one)
    old_order_tags(history, [f"{MODEL}#production!#22", f"{MODEL}#deprecated#23"], one_oh)
    assert dvc_resolves(history, "production") == "1.0.0"  # the version that just left
    ours, warnings = gfops_view(history)
    assert ours["production"] == ["1.1.0"]
    assert any(
        w.startswith(f"{MODEL}: `dvc artifacts get --stage production` serves 1.0.0")
        and "production holds 1.1.0" in w
        for w in warnings
    ), warnings
    text = gfops("status", cwd=history.repo.path)
    assert "warning: price-direction: `dvc artifacts get --stage production` serves 1.0.0" in (
        " ".join(text.out.split())
    )


def test_gto_refuses_a_stage_gfops_does_not_know(history: DvcRegistry) -> None:
    history.register("1.0.0")
    repo = history.repo.path
    config = (repo / ".gto").read_text(encoding="utf-8")
    assert "stages:" in config and all(f"- {s}\n" in config for s in STAGES)
    typo = [GTO, "assign", MODEL, "--version", "v1.0.0", "--stage", "prod"]
    refused = subprocess.run(typo, cwd=repo, capture_output=True, text=True, check=False)
    assert refused.returncode != 0
    assert "prod" in refused.stderr + refused.stdout
    assert not history.repo.git("tag", "-l", "*#prod#*")
    known = [GTO, "assign", MODEL, "--version", "v1.0.0", "--stage", "testing"]
    accepted = subprocess.run(known, cwd=repo, capture_output=True, text=True, check=False)
    assert accepted.returncode == 0, accepted.stderr  # control: a known stage is assigned
    # Control: without .gto, GTO accepts any stage name (what the issue found).
    (repo / ".gto").unlink()
    loose = subprocess.run(typo, cwd=repo, capture_output=True, text=True, check=False)
    assert loose.returncode == 0 and history.repo.git("tag", "-l", "*#prod#*")
    assert gfops("schema", "--check", cwd=repo).code == 1  # the missing .gto is noticed
