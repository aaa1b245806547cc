"""This repository's own registry as a user who clones it meets it: its DVC remote
(``dvc-store/``, committed, so the showcase works offline) holds every version's artifact
and every pipeline output ``dvc.lock`` records; the real DVC client pulls them, ``dvc
status -c`` agrees, ``Registry.load_artifact`` returns verified bytes, and with the tags ``gfops
apply`` writes (here: GTO) ``dvc artifacts get --stage`` serves each occupied stage."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from galfriday_gitops.registry import Registry
from tests.support.cli import gfops
from tests.support.dvc import dvc
from tests.support.repo import ROOT, Repo

MODEL = "price-direction"
GTO = str(Path(sys.executable).with_name("gto"))


def clone_of_this_repository(tmp: Path) -> Path:
    """A clone of this repository's tracked files, its registrations replayed one commit
    each as ``gfops register`` writes them (this repository added them in one commit, and
    DVC reads a version's bytes from ``dvc.yaml`` at its registration commit)."""
    tracked = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z"], capture_output=True,
                             check=True).stdout.decode().split("\0")  # fmt: skip
    source = Repo(tmp / "source")
    source.path.mkdir()
    source.git("init", "-q", "-b", "main")
    later = tmp / "later"
    for rel in filter(None, tracked):
        if (ROOT / rel).is_file():
            held = source.path if _registered_at(rel) in (None, "1.0.0") else later
            (held / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / rel, held / rel)
    dvc_yaml = source.read("dvc.yaml")
    newest = "artifacts/price-direction/1.2.0/model.json"
    assert newest in dvc_yaml
    for version in ("1.0.0", "1.1.0", "1.2.0"):
        for moved in [p.relative_to(later) for p in later.rglob("*") if p.is_file()]:
            if _registered_at(moved.as_posix()) == version:
                (source.path / moved).parent.mkdir(parents=True, exist_ok=True)
                shutil.move(later / moved, source.path / moved)
        source.write("dvc.yaml", dvc_yaml.replace(newest, newest.replace("1.2.0", version)))
        source.commit(f"register {MODEL} {version}")
    clone = tmp / "clone"
    subprocess.run(["git", "clone", "-q", str(source.path), str(clone)], check=True)
    return clone


def _registered_at(rel: str) -> str | None:
    """The version whose registration brings ``rel`` (None: not a version's file); the
    experiments compare 1.1.0 and 1.2.0, so they come with 1.2.0."""
    parts = rel.split("/")
    if parts[:2] == ["models", MODEL]:
        return parts[2].removesuffix(".yaml")
    if parts[:2] == ["artifacts", MODEL]:
        return parts[2]
    return "1.2.0" if parts[0] == "experiments" else None


def md5_of(manifest: Path) -> str:
    return str(yaml.safe_load(manifest.read_text())["spec"]["artifacts"][0]["md5"])


def test_the_showcase_registry_pulls_loads_and_serves_every_stage(tmp_path: Path) -> None:
    clone = clone_of_this_repository(tmp_path)
    dvc(clone, "pull")
    assert "in sync" in dvc(clone, "status", "-c")
    manifests = sorted((clone / "models" / MODEL).glob("*.yaml"))
    assert len(manifests) >= 3
    for manifest in manifests:
        artifact = yaml.safe_load(manifest.read_text())["spec"]["artifacts"][0]
        pulled = (clone / artifact["path"]).read_bytes()
        assert hashlib.md5(pulled, usedforsecurity=False).hexdigest() == artifact["md5"]
    # The pipeline outputs dvc.lock records are pulled too (lineage a reviewer can re-run).
    assert (clone / "data/prepared/train.parquet").is_file()
    assert (clone / "build/model/model.json").is_file()

    fresh = clone_of_registry(clone, tmp_path / "fresh")  # nothing pulled: DVC reads the remote
    registry = Registry(fresh)
    for version in registry.versions(MODEL):
        loaded = registry.load_artifact(version)
        assert (
            hashlib.md5(loaded, usedforsecurity=False).hexdigest() == version.spec.artifacts[0].md5
        )

    # The tags `gfops apply` writes after review, written here by GTO itself: each version
    # registered at its commit, each stage assigned as gfops status says.
    status = json.loads(gfops("status", "--format", "json", cwd=clone).out)["models"][MODEL]
    for version in registry.versions(MODEL):
        commit = git(clone, "log", "-1", "--format=%H", "--diff-filter=A", "--",
                     f"models/{MODEL}/{version.version}.yaml")  # fmt: skip
        gto(clone, "register", MODEL, commit, "--version", f"v{version.version}")
    for stage, versions in status.items():
        for version_name in versions:
            gto(clone, "assign", MODEL, "--version", f"v{version_name}", "--stage", stage)
    served = 0
    for stage, versions in status.items():
        if not versions:
            continue
        expected = {md5_of(clone / f"models/{MODEL}/{v}.yaml") for v in versions}
        out = tmp_path / f"{stage}.bin"
        dvc(tmp_path, "artifacts", "get", str(clone), MODEL, "--stage", stage, "-o", str(out))
        assert hashlib.md5(out.read_bytes(), usedforsecurity=False).hexdigest() in expected
        served += 1
    assert served >= 2, status


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True,
                          check=True).stdout.strip()  # fmt: skip


def gto(repo: Path, *args: str) -> None:
    proc = subprocess.run([GTO, *args], cwd=repo, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def clone_of_registry(repo: Path, where: Path) -> Path:
    subprocess.run(["git", "clone", "-q", str(repo), str(where)], check=True)
    return where
