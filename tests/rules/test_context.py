"""Rules do no I/O: what they need beyond the two states comes from the context's sources.

The states here are read from a work tree (their bytes held in memory), the sources are
plain functions, and every subprocess is forbidden while the rules run: whatever the
rules decide, they decided from their context alone.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from galfriday_gitops.diff.events import diff
from galfriday_gitops.errors import UserError
from galfriday_gitops.findings import Finding
from galfriday_gitops.load.state import RegistryState, load_worktree
from galfriday_gitops.resources import Artifact
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


@dataclass(frozen=True)
class Stored:
    in_remote: bool
    md5: str | None = None
    sha256: str | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Entry:
    path: str | None


def _judge(
    base: RegistryState,
    head: RegistryState,
    *,
    periods: Sequence[Period] = (),
    dvc_file: Callable[[str], TrackedFile | None] = lambda path: None,
    changed: Sequence[str] = (),
    before: Sequence[tuple[Artifact, ...] | None] = (),
    entries: Mapping[str, Entry] | None = None,
    stored: Callable[[str], Stored] = lambda md5: Stored(False),
) -> tuple[list[Finding], list[str]]:
    asked: list[str] = []

    def served(name: str) -> Sequence[Period]:
        asked.append(name)
        return periods

    sources = Sources(
        served,
        dvc_file,
        changed_paths=lambda: changed,
        registered_before=lambda name, version: before,
        dvc_artifacts=lambda: entries or {},
        stored_objects=lambda md5s: {m: stored(m) for m in md5s},
    )
    ctx = Context(base, head, diff(base, head), None, sources)
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
        (lambda p, s: DvcFile(()), "model.json.dvc tracks 0 outputs; exactly one is allowed"),
        (
            lambda p, s: DvcFile((Out("model.json", MD5, s), Out("evil.bin", MD5, s))),
            "model.json.dvc tracks 2 outputs; exactly one is allowed",
        ),
        (
            lambda p, s: DvcFile((Out("../1.2.0/model.json", MD5, s),)),
            "tracks artifacts/price-direction/1.2.0/model.json, not ",
        ),
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


SHA = "a" * 64


def _register_1_3_0_with_sha(root: Path) -> None:
    _register_1_3_0(root)
    path = root / PD / "1.3.0.yaml"
    text = path.read_text()
    path.write_text(text.replace(f"md5: {MD5}", f'md5: {MD5}\n    sha256: "{SHA}"', 1))


def _artifact(md5: str = MD5, size: int = 0, sha256: str | None = SHA) -> Artifact:
    path = "artifacts/price-direction/1.3.0/model.json"
    return Artifact.model_validate({"path": path, "md5": md5, "size": size, "sha256": sha256})


def test_a_tracked_file_of_a_registered_version_is_immutable(repo: Repo) -> None:
    base, head = _states(repo, lambda root: None)
    dvc = "artifacts/price-direction/1.1.0/model.json.dvc"
    findings, _ = _judge(base, head, changed=[dvc], dvc_file=lambda p: DvcFile(()))
    (found,) = _rules(findings, "GF208")
    assert found.file == dvc and "cannot be changed" in found.message
    deleted, _ = _judge(base, head, changed=[dvc])
    assert "cannot be deleted" in _rules(deleted, "GF208")[0].message
    # Control: a .dvc file nobody's manifest names, and other files beside it, may change.
    other = [
        "artifacts/price-direction/1.1.0/extra.bin.dvc",
        "artifacts/price-direction/1.1.0/.gitignore",
    ]
    assert _rules(_judge(base, head, changed=other)[0], "GF208") == []


def test_a_version_number_that_existed_names_one_artifact_forever(repo: Repo) -> None:
    size = _size(repo)
    base, head = _states(repo, _register_1_3_0_with_sha)
    entries = {"price-direction": Entry("artifacts/price-direction/1.3.0/model.json")}
    judged = {
        "other bytes": _judge(base, head, before=[(_artifact("e" * 32, size),)], entries=entries),
        "unknown": _judge(base, head, before=[None], entries=entries),
        "same": _judge(base, head, before=[(_artifact(size=size),)], entries=entries),
        "never": _judge(base, head, before=[], entries=entries),
    }
    found = {k: _rules(f, "GF230") for k, (f, _) in judged.items()}
    assert "existed on main before with md5 " + "e" * 32 in found["other bytes"][0].message
    assert "cannot be read back" in found["unknown"][0].message
    assert found["same"] == [] and found["never"] == []  # the controls


@pytest.mark.parametrize(
    ("entries", "severity", "message"),
    [
        ({"price-direction": Entry("artifacts/price-direction/1.3.0/model.json")}, None, ""),
        (
            {"price-direction": Entry("build/model/model.json")},
            "error",
            "artifacts.price-direction.path is build/model/model.json",
        ),
        ({}, "warning", "dvc.yaml has no artifacts.price-direction entry"),
    ],
)
def test_a_registration_points_dvc_yaml_at_its_own_file(
    repo: Repo, entries: Mapping[str, Entry], severity: str | None, message: str
) -> None:
    base, head = _states(repo, _register_1_3_0_with_sha)
    found = _rules(_judge(base, head, entries=entries)[0], "GF231")
    if severity is None:
        assert found == []
    else:
        assert len(found) == 1 and found[0].severity == severity and message in found[0].message


def test_a_new_registration_records_a_sha256(repo: Repo) -> None:
    base, head = _states(repo, _register_1_3_0)  # copied from 1.2.0, which records none
    (missing,) = _rules(_judge(base, head)[0], "GF233")
    assert "has no sha256" in missing.message
    # Control: the versions registered before it (no sha256 either) are not reported.
    assert missing.file == f"{PD}/1.3.0.yaml"


def test_reachable_bytes_must_hash_to_the_manifest(repo: Repo) -> None:
    base, head = _states(repo, _register_1_3_0_with_sha)
    good = _judge(base, head, stored=lambda m: Stored(True, MD5, SHA))[0]
    swapped = _judge(base, head, stored=lambda m: Stored(True, MD5, "b" * 64))[0]
    unreachable = _judge(base, head, stored=lambda m: Stored(False, problem="no remote"))[0]
    assert _rules(good, "GF233") == [] and _rules(unreachable, "GF233") == []
    (found,) = _rules(swapped, "GF233")
    assert f"sha256 {'b' * 64}, not {SHA}" in found.message and "DVC remote" in found.message


def _require_remote_for_production(root: Path) -> None:
    policy = root / "policies" / "stages.yaml"
    text = policy.read_text()
    assert "    production:\n" in text
    extra = "    production:\n      requireArtifactInRemote: true\n"
    policy.write_text(text.replace("    production:\n", extra, 1))


def test_the_remote_is_asked_only_where_the_policy_says(repo: Repo) -> None:
    def stored(md5: str) -> Stored:
        return Stored(False, problem="Unable to locate credentials")

    base, head = _states(repo, _promote_1_2_0)
    assert _rules(_judge(base, head, stored=stored)[0], "GF232") == []  # no policy asks
    for version, stage in (("1.2.0", "staging"), ("1.1.0", "production")):  # undo
        path = repo.path / PD / f"{version}.yaml"
        text = path.read_text()
        path.write_text(re.sub(r"stage: \w+", f"stage: {stage}", text, count=1))
    _require_remote_for_production(repo.path)
    base, head = _states(repo, _promote_1_2_0)
    (found,) = _rules(_judge(base, head, stored=stored)[0], "GF232")
    assert "could not be asked (Unable to locate credentials)" in found.message
    held = _judge(base, head, stored=lambda m: Stored(True, MD5))[0]
    assert _rules(held, "GF232") == []
    absent = _judge(base, head, stored=lambda m: Stored(False))[0]
    assert "does not hold it" in _rules(absent, "GF232")[0].message


def test_the_process_ban_catches_a_git_call(repo: Repo) -> None:
    # Positive control for the ban above: reading history the old way is caught.
    from galfriday_gitops.load.history import production_periods

    with pytest.MonkeyPatch.context() as mp, pytest.raises(AssertionError, match="process"):
        mp.setattr(subprocess, "Popen", _refuse)
        mp.setattr(subprocess, "run", _refuse)
        production_periods(repo.path, "price-direction", "HEAD")
