"""docs/retrain.md, run as written: its params.yaml, dvc.yaml and train.py in a registry made
by ``gfops init``, then its commands (the real gfops, git and DVC). The retraining branch must
hold the next version in development, trained on the moved window."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from tests.support.cli import gfops
from tests.support.docs import DOCS, fenced_block, run_shell, user_env

DOC = DOCS / "retrain.md"
FILES = {"params.yaml": "yaml", "dvc.yaml": "yaml", "train.py": "python"}
BRANCH = "galfriday/retrain/churn"


def show(repo: Path, what: str) -> str:
    return subprocess.run(["git", "show", what], cwd=repo, capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


def test_the_documented_pipeline_retrains_on_the_next_window(tmp_path: Path) -> None:
    env = user_env(tmp_path / "home")
    made = gfops("init", "reg", "--team", "ml-leads=alice,bob", cwd=tmp_path, env=env)
    assert made.code == 0, made.err
    reg = tmp_path / "reg"
    for name, lang in FILES.items():
        (reg / name).write_text(fenced_block(DOC, f"<!-- retrain-example: {name} -->", lang))
    run = run_shell(fenced_block(DOC, "<!-- retrain-example: commands -->"), reg, env)
    assert run.code == 0, f"{run.out}\n{run.err}"

    params = yaml.safe_load(show(reg, f"{BRANCH}:params.yaml"))
    assert params["data"] == {"start": "2026-10-02", "end": "2026-10-31"}
    manifest = yaml.safe_load(show(reg, f"{BRANCH}:models/churn/1.1.0.yaml"))
    assert manifest["spec"]["stage"] == "development"
    # no version is in production, so no parent (the production version is the parent)
    assert manifest["spec"]["lineage"] == {"retraining": "October data"}
    assert manifest["spec"]["metrics"]["test"] == {"accuracy": 0.9}
    # dvc repro ran train.py on the new window: the registered file says so
    dvc_file = yaml.safe_load(show(reg, f"{BRANCH}:artifacts/churn/1.1.0/model.json.dvc"))
    md5 = dvc_file["outs"][0]["md5"]
    storage = tmp_path / "reg-dvc-storage"
    pushed = [p for p in storage.rglob("*") if p.name == md5[2:]]
    assert pushed, md5
    assert json.loads(pushed[0].read_text())["trained_on"] == ["2026-10-02", "2026-10-31"]
    assert gfops("validate", "--rev", BRANCH, cwd=reg, env=env).code == 0
