"""A registry written by the toolkit with real DVC: ``gfops register`` (dvc add + push to a
local remote), one-line stage edits committed on main as merged pull requests, and
``gfops apply`` after each push, as the workflow runs it. Each registration commit points
``dvc.yaml``'s ``artifacts:`` entry at that version's file, so ``dvc artifacts get`` serves
the bytes of the version a stage resolves to."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.cli import gfops
from tests.support.dvc import dvc
from tests.support.repo import ROOT, Repo, make_repo
from tests.support.signing import sign_as_demo

MODEL = "price-direction"

# The example graph without approvals, thresholds or an experiment gate: these tests are about
# what DVC and GTO read after each event, and apply tags only what its policy allows.
EVENTS_POLICY = """\
# yaml-language-server: $schema=../schemas/stage-policy.schema.json
apiVersion: galfriday/v1
kind: StagePolicy
metadata: {name: default}
spec:
  appliesTo: {models: ["*"]}
  owners: [platform]
  initialStage: development
  transitions:
    development: [testing, staging, archived]
    testing: [staging, development, archived]
    staging: [canary, production, testing, archived]
    canary: [production, staging]
    production: [deprecated, staging]
    deprecated: [retired, production]
    retired: [archived]
    archived: []
  stages:
    # apply writes the tags of direct pushes here: no reviews, said so (GF115 otherwise)
    canary: {approvalsWaived: "a test registry of tag events, no reviews"}
    production:
      capacity: 1
      previousHolder: deprecated
      approvalsWaived: "a test registry of tag events, no reviews"
"""


def set_stage(repo: Repo, name: str, version: str, new: str) -> None:
    path = f"models/{name}/{version}.yaml"
    text = repo.read(path)
    old = next(line for line in text.splitlines() if line.startswith("  stage: "))
    repo.write(path, text.replace(old + "\n", f"  stage: {new}\n", 1))


@dataclass
class DvcRegistry:
    """A registry repository with a local DVC remote; ``pr`` counts merged changes."""

    repo: Repo
    remote: Path
    pr: int = 0
    bytes_of: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def create(cls, where: Path) -> DvcRegistry:
        repo = make_repo(where / "registry", with_examples=False)
        for folder in ("policies", "schemas"):
            shutil.copytree(ROOT / folder, repo.path / folder)
        repo.write("policies/stages.yaml", EVENTS_POLICY)
        (repo.path / "policies" / "lifecycle.yaml").unlink()  # no replacement required (GF216)
        sign_as_demo(repo.path)
        remote = where / "dvc-remote"
        dvc(repo.path, "init", "-q")
        dvc(repo.path, "remote", "add", "-d", "local", str(remote))
        repo.write(".gitignore", "/build/\n")
        assert gfops("schema", "--write", cwd=repo.path).code == 0  # schemas/ and .gto
        repo.commit("registry skeleton")
        return cls(repo, remote)

    def push(self, message: str) -> None:
        """Commit the work tree on main as PR ``n`` and run apply on that push (no review
        data: the events policy asks for no approval, so apply allows and tags each event)."""
        before = self.repo.git("rev-parse", "main")
        self.pr += 1
        self.repo.commit(f"{message} (#{self.pr})")
        result = gfops(
            "apply", "--before", before, "--after", "main", "--no-reviews", cwd=self.repo.path
        )
        assert result.code == 0, result.out + result.err

    def register(self, version: str, name: str = MODEL) -> None:
        content = f'{{"model": "{name}", "version": "{version}"}}\n'.encode()
        source = self.repo.path / "build" / "model.json"
        source.parent.mkdir(exist_ok=True)
        source.write_bytes(content)
        result = gfops(
            "register", str(source), "--name", name, "--version", version, cwd=self.repo.path
        )
        assert result.code == 0, result.err
        self.bytes_of[f"{name}@{version}"] = content
        self.repo.write(
            "dvc.yaml",
            f"artifacts:\n  {name}:\n    path: artifacts/{name}/{version}/model.json\n"
            "    type: model\n",
        )
        self.push(f"Register {name} {version}")

    def move(self, *changes: tuple[str, str], name: str = MODEL) -> None:
        """One merged PR changing the stage of each (version, stage)."""
        for version, stage in changes:
            set_stage(self.repo, name, version, stage)
        self.push(", ".join(f"{name} {v} -> {s}" for v, s in changes))


def clean_env(home: Path) -> dict[str, str]:
    """The environment of DVC and GTO run as a user would: no analytics, a throw-away HOME."""
    return {**os.environ, "HOME": str(home), "DVC_NO_ANALYTICS": "1"}
