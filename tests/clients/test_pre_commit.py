"""The ``gfops-validate`` hook as pre-commit users get it: the real ``pre-commit try-repo``
of this repository (its ``.pre-commit-hooks.yaml``), which builds the hook's environment
(``pip install .`` from the package registry: about 2 minutes here, each run, because
try-repo uses a throw-away store) and runs it on a registry's files."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.repo import ROOT, Repo, make_repo

PRE_COMMIT = str(Path(sys.executable).with_name("pre-commit"))
GOOD = "models/price-direction/1.2.0.yaml"
BAD = "models/price-direction/1.3.0.yaml"


@pytest.fixture
def registry(tmp_path: Path) -> Repo:
    repo = make_repo(tmp_path / "registry", with_examples=False)
    for folder in ("models", "policies", "schemas"):
        shutil.copytree(ROOT / folder, repo.path / folder)
    good = repo.read(GOOD)
    repo.write(BAD, good.replace("version: 1.2.0", "version: 1.3.0").replace(
        "  stage: staging", "  stage: prodution").replace("1.2.0/", "1.3.0/"))  # fmt: skip
    repo.git("add", "-A")
    return repo


def try_repo(registry: Repo, *files: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PRE_COMMIT, "try-repo", str(ROOT), "gfops-validate", "--files", *files],
        cwd=registry.path, capture_output=True, text=True, check=False,
        timeout=1800,  # hang guard: building the hook's environment took 2 min here
    )  # fmt: skip


def test_the_hook_passes_a_good_manifest(registry: Repo) -> None:
    result = try_repo(registry, GOOD)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "gfops validate" in result.stdout and "Passed" in result.stdout


def test_the_hook_fails_a_bad_manifest_naming_file_line_and_rule(registry: Repo) -> None:
    result = try_repo(registry, GOOD, BAD)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Failed" in result.stdout
    found = [ln for ln in result.stdout.splitlines() if "GF1" in ln]
    assert found and all(ln.startswith(f"{BAD}:") for ln in found), result.stdout
    assert any("GF114" in ln or "prodution" in ln for ln in found), found
