"""The README's "Start a registry" block, run verbatim in an empty folder: the real gfops,
git and DVC (a local folder as the remote), offline reviews; it must end with a model in
production and a built site. The time it took is printed and kept in test-artifacts/."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from tests.support.artifacts import artifact_path
from tests.support.cli import gfops
from tests.support.docs import README, fenced_block, run_shell, user_env

MARKER = "<!-- start-a-registry:"


def test_the_readme_walkthrough_ends_with_a_model_in_production_and_a_site(
    tmp_path: Path,
) -> None:
    block = fenced_block(README, MARKER)
    assert block.startswith("gfops init ") and "gfops site" in block
    work = tmp_path / "work"
    work.mkdir()
    run = run_shell(block, work, user_env(tmp_path / "home"))
    assert run.code == 0, f"{run.out}\n{run.err}"
    artifact_path("walkthrough", "seconds.txt").write_text(f"{run.seconds:.1f}\n")
    print(f"README walkthrough: {run.seconds:.1f} s")

    registry = work / "churn-registry"
    status = gfops("status", "--format", "json", cwd=registry, env=user_env(tmp_path / "home"))
    assert status.code == 0, status.err
    assert json.loads(status.out)["models"]["churn"]["production"] == ["1.0.0"]
    assert "churn" in run.out and "ALLOWED" in run.out  # the gate's verdict on production
    page = (registry / "site" / "index.html").read_text(encoding="utf-8")
    assert "churn" in page and "1.0.0" in page
    # the artifact went to the DVC remote init configured (a folder beside the registry)
    manifest = yaml.safe_load((registry / "models" / "churn" / "1.0.0.yaml").read_text())
    md5 = str(manifest["spec"]["artifacts"][0]["md5"])
    storage = work / "churn-registry-dvc-storage"
    assert any(p.name == md5[2:] for p in storage.rglob("*")), md5
    assert gfops("validate", cwd=registry, env=user_env(tmp_path / "home")).code == 0
