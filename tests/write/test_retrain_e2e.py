"""From drift to production under ``requireExperimentWin`` (issue 11, hole 10).

``spec.lineage.experiment`` is immutable once a version is merged, so a retrained version
could never reach production. ``gfops retrain --experiment NAME`` names the experiment at
registration: the whole documented flow runs here on a real registry (git, the DVC
pipeline with a local remote, the real CLI), every pull request judged by ``gfops check``
before it is merged: retrain -> testing -> staging -> experiment running -> outcome data
-> conclude -> production, allowed; and without the experiment, production is blocked.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.experiments.test_cli import outcomes
from tests.monitor.conftest import SMALL_PARAMS
from tests.support.cli import gfops
from tests.support.dvc import dvc
from tests.support.gate import check_json, review_args
from tests.support.loopback import LoopbackGitHub
from tests.support.repo import ROOT, Repo

MODEL = "price-direction"
EXPERIMENT = "pd-retrained-vs-production"
FILE = f"experiments/{EXPERIMENT}.yaml"


@pytest.fixture
def registry(repo: Repo, tmp_path: Path) -> Repo:
    """The project's registry (1.1.0 in production) with its DVC pipeline and a remote; the
    metric thresholds dropped so that only the experiment gate stands in the way."""
    dvc(repo.path, "init", "-q")
    dvc(repo.path, "remote", "add", "-d", "local", str(tmp_path / "dvc-remote"))
    shutil.copyfile(ROOT / "dvc.yaml", repo.path / "dvc.yaml")
    params = (ROOT / "params.yaml").read_text(encoding="utf-8")
    for old, new in SMALL_PARAMS.items():
        params = params.replace(old, new)
    repo.write("params.yaml", params)
    policy = repo.read("policies/stages.yaml")
    for line in (
        "      thresholds: {test.accuracy: {min: 0.80}}\n",
        "      thresholds: {test.accuracy: {min: 0.85}, test.latency_ms: {max: 50}}\n",
    ):
        assert line in policy
        policy = policy.replace(line, "")
    repo.write("policies/stages.yaml", policy)
    # The design retrain copies: an error guardrail this test's sample can show is met.
    template = "experiments/price-direction-1.2-vs-1.1.yaml"
    text = repo.read(template)
    assert "maxLoss: 0.01}" in text
    repo.write(template, text.replace("maxLoss: 0.01}", "maxLoss: 0.5}"))
    repo.commit("the pipeline; no metric thresholds")
    return repo


class Flow:
    """Pull requests judged by gfops check, then merged into main."""

    def __init__(self, repo: Repo, github: LoopbackGitHub, tmp: Path) -> None:
        self.repo, self.github, self.tmp = repo, github, tmp
        self.pr = 100

    def judge(self, branch: str, approvers: tuple[str, ...]) -> tuple[int, dict[str, Any]]:
        head = self.repo.git("rev-parse", branch)
        self.pr += 1
        reviews = [(who, "APPROVED", head) for who in approvers]
        args = review_args(self.github, self.tmp / str(self.pr), reviews, pr=self.pr)
        return check_json(self.repo, *args, head=branch)

    def land(self, branch: str, *approvers: str) -> None:
        code, report = self.judge(branch, approvers)
        assert code == 0, (branch, report["findings"])
        self.repo.git("checkout", "-q", "main")
        self.repo.git("merge", "-q", "--no-ff", "-m", f"Merge {branch}", branch)

    def promote(self, version: str, stage: str) -> str:
        result = gfops("promote", MODEL, version, stage, "--format", "json", cwd=self.repo.path)
        assert result.code == 0, result.err
        return str(json.loads(result.out)["branch"])

    def edit(self, branch: str, path: str, old: str, new: str) -> str:
        self.repo.git("checkout", "-q", "-b", branch, "main")
        text = self.repo.read(path)
        assert old in text, (old, text)
        self.repo.write(path, text.replace(old, new, 1))
        self.repo.commit(f"{path}: {new.strip()}")
        self.repo.git("checkout", "-q", "main")
        return branch


def test_a_retrained_version_reaches_production_through_its_experiment(
    registry: Repo, github: LoopbackGitHub, tmp_path: Path
) -> None:
    flow = Flow(registry, github, tmp_path)
    retrained = gfops(
        "retrain", MODEL, "--reason", "drift in spread_bps", "--end", "2024-03-31",
        "--experiment", EXPERIMENT, "--format", "json", cwd=registry.path,
    )  # fmt: skip
    assert retrained.code == 0, retrained.err
    result = json.loads(retrained.out)
    version, branch = result["version"], result["branch"]
    assert result["experiment"] == EXPERIMENT and FILE in result["files"]
    manifest = yaml.safe_load(registry.git("show", f"{branch}:models/{MODEL}/{version}.yaml"))
    assert manifest["spec"]["lineage"]["experiment"] == EXPERIMENT
    declared = yaml.safe_load(registry.git("show", f"{branch}:{FILE}"))["spec"]
    assert (declared["control"], declared["treatment"], declared["status"]) == (
        "1.1.0", version, "planned",
    )  # fmt: skip
    # The retraining PR brings an experiment: the owners review its design (frank: platform).
    code, report = flow.judge(branch, ())
    assert code == 1 and {f["rule"] for f in report["findings"]} == {"GF213"}
    flow.land(branch, "frank")

    flow.land(flow.promote(version, "testing"))
    flow.land(flow.promote(version, "staging"), "bob")
    flow.land(flow.edit("run", FILE, "status: planned", "status: running"), "frank")

    # Without a concluded experiment, production is blocked (GF212).
    to_production = flow.promote(version, "production")
    code, report = flow.judge(to_production, ("dave", "erin"))
    assert code == 1 and "GF212" in {f["rule"] for f in report["findings"]}

    # The experiment runs; its outcome data is tracked and pushed; it is concluded.
    data = registry.path / declared["data"]
    data.parent.mkdir(parents=True, exist_ok=True)
    outcomes(45_000, 5_000, lift=0.05).to_parquet(data, index=False)
    dvc(registry.path, "add", "-q", declared["data"])
    dvc(registry.path, "push", "-q")
    registry.commit("outcome data of the experiment")
    concluded = gfops("experiment", "conclude", EXPERIMENT, "--format", "json", cwd=registry.path)
    assert concluded.code == 0, concluded.err
    assert json.loads(concluded.out)["winner"] == version
    flow.land(f"galfriday/conclude/{EXPERIMENT}", "frank")

    # Now the same promotion, proposed again on the new main, is allowed.
    registry.git("branch", "-D", to_production)
    flow.land(flow.promote(version, "production"), "dave", "erin")
    assert yaml.safe_load(registry.read(f"models/{MODEL}/{version}.yaml"))["spec"]["stage"] == (
        "production"
    )


def test_retrain_names_a_usable_experiment_or_fails_before_building(registry: Repo) -> None:
    running = gfops(
        "retrain", MODEL, "--reason", "drift", "--experiment", "price-direction-1.2-vs-1.1",
        cwd=registry.path,
    )  # fmt: skip
    assert running.code == 2 and "is running: a new version joins a planned experiment" in (
        running.err
    )
    bad = gfops(
        "retrain", MODEL, "--reason", "drift", "--experiment", "Bad Name", cwd=registry.path
    )
    assert bad.code == 2 and "not a valid experiment name" in bad.err
    assert registry.git("branch", "--list", "galfriday/retrain/*") == ""
