"""The demo's registry, as the real clients read it after the demo's rollback: check-jsonschema
with formats on every YAML, DVC (``artifacts_show`` and ``dvc artifacts get --stage``) and GTO
(``gto show --json``) agreeing with gfops on production."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import dvc.api
import pytest
import yaml

from tests.clients.test_schema_validators import check_jsonschema, registry_yaml
from tests.support.cli import gfops
from tests.support.dvc import dvc as run_dvc
from tests.support.github import ensure_specs
from tests.support.repo import ROOT

MODEL = "price-direction"
GTO = str(Path(sys.executable).with_name("gto"))


@pytest.fixture(scope="module")
def demo_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    ensure_specs()
    scratch = tmp_path_factory.mktemp("demo")
    proc = subprocess.run(
        [sys.executable, "-m", "galfriday_gitops.demo.run", "--keep"],
        cwd=ROOT, env={**os.environ, "TMPDIR": str(scratch)}, capture_output=True, text=True,
        timeout=900, check=False,  # hang guard: the demo takes ~70 s on a quiet machine
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "rollback restored 1.0.0 to production" in proc.stdout
    (root,) = scratch.glob("galfriday-demo-*")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(root / "home"))
        yield root / "registry"
    shutil.rmtree(root, ignore_errors=True)


def test_every_yaml_of_the_demo_registry_passes_check_jsonschema(demo_registry: Path) -> None:
    files = registry_yaml(demo_registry)
    assert any(p.parent.name == MODEL for p in files) and any(
        "experiments" in p.parts for p in files
    )
    result = check_jsonschema(files)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dvc_gto_and_gfops_serve_the_rolled_back_to_version(
    demo_registry: Path, tmp_path: Path
) -> None:
    status = json.loads(gfops("status", "--format", "json", cwd=demo_registry).out)
    assert status["models"][MODEL]["production"] == ["1.0.0"]
    assert not [w for w in status["warnings"] if "--stage production`" in w], status["warnings"]
    registered = subprocess.run(
        ["git", "-C", str(demo_registry), "rev-parse", f"refs/tags/{MODEL}@v1.0.0^{{commit}}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    shown = dvc.api.artifacts_show(MODEL, stage="production", repo=str(demo_registry))
    assert shown["rev"] == registered

    out = tmp_path / "production.bin"
    run_dvc(tmp_path, "artifacts", "get", str(demo_registry), MODEL, "--stage", "production",
        "-o", str(out))  # fmt: skip
    manifest = yaml.safe_load((demo_registry / f"models/{MODEL}/1.0.0.yaml").read_text())
    served = hashlib.md5(out.read_bytes(), usedforsecurity=False).hexdigest()
    assert served == manifest["spec"]["artifacts"][0]["md5"]  # 1.0.0's bytes, not 1.1.0's

    gto = subprocess.run([GTO, "show", "--json"], cwd=demo_registry, capture_output=True,
                         text=True, check=True).stdout  # fmt: skip
    assert json.loads(gto)[MODEL]["stage"]["production"] == "v1.0.0"
    ours = gfops("status", "--format", "gto", cwd=demo_registry)
    assert json.loads(ours.out) == json.loads(gto)


def test_the_demos_retraining_registered_new_bytes(demo_registry: Path) -> None:
    def md5s(rev: str) -> dict[str, str]:
        listed = git(demo_registry, "ls-tree", "--name-only", f"{rev}:models/{MODEL}").split()
        return {
            name: yaml.safe_load(git(demo_registry, "show", f"{rev}:models/{MODEL}/{name}"))[
                "spec"
            ]["artifacts"][0]["md5"]
            for name in listed
        }

    merged, proposed = md5s("main"), md5s(f"galfriday/retrain/{MODEL}")
    (added,) = set(proposed) - set(merged)  # the retraining PR registers one version
    assert len(merged) >= 2 and len(set(merged.values())) == len(merged), merged
    assert proposed[added] not in merged.values(), (added, proposed)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip


def test_a_clone_of_the_demos_origin_pulls_and_dvc_serves_every_stage(
    demo_registry: Path, tmp_path: Path
) -> None:
    origin = demo_registry.parent / "origin.git"
    assert git(origin, "symbolic-ref", "HEAD").strip() == "refs/heads/main"
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
    run_dvc(clone, "pull")  # every pipeline output, lineage input and registered artifact
    assert "in sync" in run_dvc(clone, "status", "-c")
    for manifest in (clone / "models" / MODEL).glob("*.yaml"):
        artifact = yaml.safe_load(manifest.read_text())["spec"]["artifacts"][0]
        assert (clone / artifact["path"]).is_file(), artifact["path"]

    status = json.loads(gfops("status", "--format", "json", cwd=clone).out)["models"][MODEL]
    served_stages = 0
    for stage, versions in status.items():
        if not versions or stage == "archived":
            continue  # an emptied stage DVC cannot represent (gfops status says so)
        md5s = {
            yaml.safe_load((clone / f"models/{MODEL}/{v}.yaml").read_text())["spec"]["artifacts"][
                0
            ]["md5"]
            for v in versions
        }
        out = tmp_path / f"{stage}.bin"
        run_dvc(tmp_path, "artifacts", "get", str(origin), MODEL, "--stage", stage,
                "-o", str(out))  # fmt: skip
        served = hashlib.md5(out.read_bytes(), usedforsecurity=False).hexdigest()
        # One version: exactly its bytes; several (deprecated): DVC serves one of them.
        assert served in md5s, (stage, versions)
        served_stages += 1
    assert served_stages >= 2, status  # production and deprecated, after the rollback
