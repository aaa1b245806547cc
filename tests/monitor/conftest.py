"""One real registry shared by the drift and retraining tests (the DVC pipeline is slow).

git + DVC with a local directory remote + a bare ``origin``; the demo pipeline run ONCE by
``dvc repro`` at small row counts with ``data.regime_shift: 0.8`` (the live window is
shifted, the reference is not); ``price-direction`` 1.0.0 registered through the real CLI
and put in production. Its ``metrics.test.accuracy`` is set to 0.9, the accuracy the demo
model has before a regime change (``params.yaml`` comments), so that the baseline is what
a pre-drift model would have recorded; the test window of this run is already shifted.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.support.repo import IDENTITY, ROOT

MODEL = "price-direction"
FEATURES = "spread_bps,imbalance_l5,ret_5m,ret_1h,vol_1h,session"
BASELINE_ACCURACY = 0.9

# Small demo: 60 days x 24 bars (1,152 train / 288 test rows), 168 live rows.
SMALL_PARAMS = {
    "rows_per_day: 288": "rows_per_day: 24",
    'start: "2024-01-01"': 'start: "2024-02-01"',
    "reference_rows: 5000": "reference_rows: 500",
    "n_units: 20000": "n_units: 1000",
    "requests_per_version: 2000": "requests_per_version: 100",
    "regime_shift: 0.0": "regime_shift: 0.8",
}


def tool_env(home: Path) -> dict[str, str]:
    """Environment for git, DVC and the pipeline (this interpreter first on PATH)."""
    env = {**os.environ, **IDENTITY, "HOME": str(home), "DVC_NO_ANALYTICS": "1"}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return env


@dataclass
class DriftRegistry:
    path: Path
    origin: Path
    dvc_remote: Path
    run: Callable[..., str]

    def git(self, *args: str) -> str:
        return self.run("git", *args)


@pytest.fixture(scope="session")
def drift_registry(tmp_path_factory: pytest.TempPathFactory) -> DriftRegistry:
    base = tmp_path_factory.mktemp("drift-registry")
    home = base / "home"
    home.mkdir()
    env = tool_env(home)
    repo, origin, remote = base / "registry", base / "origin.git", base / "dvc-remote"
    repo.mkdir()
    remote.mkdir()

    def run(*cmd: str, cwd: Path = repo) -> str:
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, check=False)
        assert proc.returncode == 0, f"{' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}"
        return proc.stdout

    dvc = (sys.executable, "-m", "dvc")
    run("git", "init", "-q", "--bare", str(origin), cwd=base)
    run("git", "init", "-q", "-b", "main")
    run(*dvc, "init", "-q")
    run(*dvc, "remote", "add", "-q", "-d", "local", str(remote))
    for part in ("policies", "schemas"):
        shutil.copytree(ROOT / part, repo / part)
    shutil.copyfile(ROOT / "dvc.yaml", repo / "dvc.yaml")
    params = (ROOT / "params.yaml").read_text(encoding="utf-8")
    for old, new in SMALL_PARAMS.items():
        assert old in params, old
        params = params.replace(old, new)
    (repo / "params.yaml").write_text(params, encoding="utf-8")
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "registry skeleton")
    run(*dvc, "repro", "--quiet")

    metrics = json.loads((repo / "build/metrics.json").read_text(encoding="utf-8"))
    metrics["test"]["accuracy"] = BASELINE_ACCURACY
    (base / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    run(
        sys.executable, "-m", "galfriday_gitops", "register", "build/model/model.json",
        "--name", MODEL, "--version", "1.0.0", "--metrics", str(base / "metrics.json"),
        "--model-type", "logistic-regression", "--framework", "numpy",
        "--target", "direction_1h", "--features", FEATURES,
    )  # fmt: skip
    manifest = repo / "models" / MODEL / "1.0.0.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert "  stage: development\n" in text
    manifest.write_text(text.replace("  stage: development\n", "  stage: production\n"))
    run("git", "add", "-A")
    run("git", "commit", "-q", "-m", "price-direction 1.0.0 in production")
    run("git", "remote", "add", "origin", str(origin))
    run("git", "push", "-q", "origin", "main")
    return DriftRegistry(repo, origin, remote, run)
