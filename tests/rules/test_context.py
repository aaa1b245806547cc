"""Rules do no I/O: what they need beyond the two states comes from the context's sources.

The states here are read from a work tree (their bytes held in memory), the sources are
plain functions, and every subprocess is forbidden while the rules run: whatever the
rules decide, they decided from their context alone.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from galfriday_gitops.diff.events import diff
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.state import RegistryState, load_worktree
from galfriday_gitops.rules.context import Context, Period, Sources, TrackedFile
from galfriday_gitops.rules.engine import judge
from tests.support.repo import Repo

PD = "models/price-direction"


@dataclass(frozen=True)
class Served:
    versions: tuple[str, ...]


@dataclass(frozen=True)
class Out:
    path: str
    md5: str | None
    size: int | None


@dataclass(frozen=True)
class DvcFile:
    outs: tuple[Out, ...]


def _refuse(*args: object, **kwargs: object) -> None:
    raise AssertionError(f"a rule started a process: {args[:1]}")


def _states(repo: Repo, change: Callable[[Path], None]) -> tuple[RegistryState, RegistryState]:
    base = load_worktree(repo.path, use_disk_cache=False)
    change(repo.path)
    head = load_worktree(repo.path, use_disk_cache=False)
    base.rev = "b" * 40  # judged as a commit of main (the history exemptions need one)
    return base, head


def _promote_1_2_0(root: Path) -> None:
    for version, old, new in (
        ("1.2.0", "staging", "production"),
        ("1.1.0", "production", "deprecated"),
    ):
        path = root / PD / f"{version}.yaml"
        path.write_text(path.read_text().replace(f"stage: {old}", f"stage: {new}", 1))


def _register_1_3_0(root: Path) -> None:
    text = (root / PD / "1.2.0.yaml").read_text()
    text = text.replace("version: 1.2.0", "version: 1.3.0").replace(
        "stage: staging", "stage: development"
    )
    (root / PD / "1.3.0.yaml").write_text(
        text.replace("price-direction/1.2.0/", "price-direction/1.3.0/")
    )


def _judge(
    base: RegistryState,
    head: RegistryState,
    *,
    periods: Sequence[Period] = (),
    dvc_file: Callable[[str], TrackedFile | None] = lambda path: None,
) -> tuple[list[Finding], list[str]]:
    asked: list[str] = []

    def served(name: str) -> Sequence[Period]:
        asked.append(name)
        return periods

    ctx = Context(base, head, diff(base, head), None, Sources(served, dvc_file))
    with pytest.MonkeyPatch.context() as mp:  # the rules run with processes forbidden
        mp.setattr(subprocess, "Popen", _refuse)
        mp.setattr(subprocess, "run", _refuse)
        findings = judge(ctx)
    return findings, asked


def _rules(findings: list[Finding], rule_id: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule_id]


@pytest.mark.parametrize(
    ("periods", "gated"),
    [
        ((Served(("1.0.0",)), Served(("1.1.0",))), True),  # a new version must win
        ((Served(("1.2.0",)), Served(("1.1.0",))), False),  # served before: a rollback
        ((), False),  # the model's first production version
    ],
)
def test_the_experiment_gate_reads_history_from_the_context(
    repo: Repo, periods: tuple[Served, ...], gated: bool
) -> None:
    base, head = _states(repo, _promote_1_2_0)
    findings, asked = _judge(base, head, periods=periods)
    assert asked == ["price-direction"]  # asked once, only for the model it judges
    assert bool(_rules(findings, "GF212")) is gated


def test_history_is_not_read_when_the_gate_does_not_apply(repo: Repo) -> None:
    base, head = _states(repo, _register_1_3_0)
    findings, asked = _judge(base, head)
    assert asked == []
    assert _rules(findings, "GF210")  # the same judge did run (the .dvc file is missing)


MD5 = "4b92ed6d5c4d21ec8034a5dac2a2aa53"  # what 1.2.0 (copied as 1.3.0) records


def _size(repo: Repo) -> int:
    for line in (repo.path / PD / "1.2.0.yaml").read_text().splitlines():
        if line.strip().startswith("size:"):
            return int(line.split(":")[1])
    raise AssertionError("no size in 1.2.0.yaml")


Case = Callable[[str, int], TrackedFile | None]  # (.dvc path, artifact size) -> what it says


def _unreadable(path: str, size: int) -> TrackedFile | None:
    raise UserError(f"{path}:1: YAML syntax: found unexpected end of stream")


def _matching(path: str, size: int) -> TrackedFile | None:
    return DvcFile((Out("model.json", MD5, size),))


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (lambda p, s: None, "price-direction/1.3.0/model.json.dvc does not exist at head"),
        (_unreadable, "model.json.dvc is not a readable .dvc file: "),
        (lambda p, s: DvcFile(()), "model.json.dvc tracks no output"),
        (
            lambda p, s: DvcFile((Out("model.json", "f" * 32, 1),)),
            f"the .dvc file says md5 {'f' * 32} size 1",
        ),
        (_matching, None),
    ],
)
def test_the_artifact_rule_reads_dvc_files_from_the_context(
    repo: Repo, case: Case, message: str | None
) -> None:
    size = _size(repo)
    base, head = _states(repo, _register_1_3_0)
    asked: list[str] = []

    def dvc_file(path: str) -> TrackedFile | None:
        asked.append(path)
        return case(path, size)

    findings, _ = _judge(base, head, dvc_file=dvc_file)
    assert asked == ["artifacts/price-direction/1.3.0/model.json.dvc"]
    got = _rules(findings, "GF210")
    if message is None:
        assert got == []
    else:
        assert len(got) == 1 and message in got[0].message
        assert got[0].file == f"{PD}/1.3.0.yaml" and got[0].line > 1


def test_the_process_ban_catches_a_git_call(repo: Repo) -> None:
    # Positive control for the ban above: reading history the old way is caught.
    from galfriday_gitops.load.history import production_periods

    with pytest.MonkeyPatch.context() as mp, pytest.raises(AssertionError, match="process"):
        mp.setattr(subprocess, "Popen", _refuse)
        mp.setattr(subprocess, "run", _refuse)
        production_periods(repo.path, "price-direction", "HEAD")
