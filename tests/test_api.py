"""The consumer API on a real DVC registry: resolve, load verified bytes, refuse tampering."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from galfriday_gitops import ArtifactIntegrityError, ModelStage, Registry
from galfriday_gitops.api import ResolveError
from tests.support.cli import gfops
from tests.support.dvc import dvc
from tests.support.repo import IDENTITY, Repo

ARTIFACT_V1 = b'{"weights": [0.25, -1.5], "bias": 0.1}\n'
ARTIFACT_V2 = b'{"weights": [0.5, -1.0], "bias": 0.2}\n'


def run(cwd: Path, *argv: str) -> str:
    env = {**os.environ, **IDENTITY}
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``world/repo``: git + DVC, remote ``world/remote`` (relative, so copies stay whole).

    price-direction 1.0.0 in production, 1.1.0 in staging, both registered with gfops.
    """
    root = tmp_path_factory.mktemp("world")
    repo = root / "repo"
    repo.mkdir()
    run(repo, "git", "init", "-q", "-b", "main")
    dvc(repo, "init", "-q")
    dvc(repo, "remote", "add", "-d", "local", "../remote")
    dvc(repo, "config", "core.autostage", "false")
    # 1.1.0 stays in the local DVC cache only (--no-push): fewer slow DVC calls.
    for version, payload, extra in (
        ("1.0.0", ARTIFACT_V1, ()),
        ("1.1.0", ARTIFACT_V2, ("--no-push",)),
    ):
        source = root / f"model-{version}.json"
        source.write_bytes(payload)
        argv = ("register", str(source), "--name", "price-direction", "--version", version, *extra)
        result = gfops(*argv, cwd=repo)
        assert result.code == 0, result.err
    for version, stage in (("1.0.0", "production"), ("1.1.0", "staging")):
        manifest = repo / f"models/price-direction/{version}.yaml"
        manifest.write_text(
            manifest.read_text().replace("stage: development", f"stage: {stage}"), "utf-8"
        )
    run(repo, "git", "add", "-A")
    run(repo, "git", "commit", "-q", "-m", "register two versions")
    return root


@pytest.fixture
def copy(world: Path, tmp_path: Path) -> Path:
    """A private copy of the world (repo + remote) for tests that damage it."""
    target = tmp_path / "world"
    shutil.copytree(world, target, symlinks=True)
    return target


def cached_object(repo: Path, md5: str) -> Path:
    return repo / ".dvc" / "cache" / "files" / "md5" / md5[:2] / md5[2:]


def overwrite(path: Path, data: bytes) -> None:
    path.chmod(0o644)  # DVC makes cache files read-only
    path.write_bytes(data)


def test_resolve_and_load_exact_bytes(world: Path) -> None:
    registry = Registry(world / "repo")
    version = registry.resolve("price-direction")
    assert version.version == "1.0.0"
    assert registry.resolve("price-direction", stage="staging").version == "1.1.0"
    assert [v.version for v in registry.versions("price-direction")] == ["1.0.0", "1.1.0"]
    assert registry.load_artifact(version) == ARTIFACT_V1
    assert registry.load_artifact(registry.resolve("price-direction", "staging")) == ARTIFACT_V2


def test_reads_git_objects_at_rev_never_the_work_tree(copy: Path) -> None:
    repo = copy / "repo"
    manifest = repo / "models/price-direction/1.1.0.yaml"
    manifest.write_text(manifest.read_text().replace("stage: staging", "stage: production"))
    assert Registry(repo).resolve("price-direction").version == "1.0.0"  # uncommitted: unseen
    run(repo, "git", "commit", "-q", "-am", "two in production")
    with pytest.raises(ResolveError, match=r"has 2 versions in production .*\(1\.0\.0, 1\.1\.0\)"):
        Registry(repo).resolve("price-direction")
    assert Registry(repo, rev="main~1").resolve("price-direction").version == "1.0.0"


def test_resolve_errors_are_clear(world: Path) -> None:
    registry = Registry(world / "repo")
    with pytest.raises(ResolveError, match=r"price-direction has no version in canary at main"):
        registry.resolve("price-direction", ModelStage.CANARY)
    with pytest.raises(
        ResolveError, match=r"no model 'nope' at main \(\w+\); models: price-direction"
    ):
        registry.resolve("nope")
    with pytest.raises(ResolveError, match=r"unknown stage 'prod'; valid stages: development"):
        registry.resolve("price-direction", "prod")


def test_tampered_cache_is_refused(copy: Path) -> None:
    registry = Registry(copy / "repo")
    version = registry.resolve("price-direction")
    md5 = version.spec.artifacts[0].md5
    overwrite(cached_object(copy / "repo", md5), b'{"weights": [9, 9], "bias": 9}\n')
    with pytest.raises(ArtifactIntegrityError) as caught:
        registry.load_artifact(version)
    message = str(caught.value)
    assert "artifacts/price-direction/1.0.0/model-1.0.0.json" in message
    assert md5 in message
    assert caught.value.actual in message and caught.value.actual != md5


def test_tampered_remote_is_refused(copy: Path) -> None:
    repo = copy / "repo"
    registry = Registry(repo)
    version = registry.resolve("price-direction")
    md5 = version.spec.artifacts[0].md5
    shutil.rmtree(repo / ".dvc" / "cache")  # force a read from the (tampered) remote
    overwrite(copy / "remote" / "files" / "md5" / md5[:2] / md5[2:], b"not the model\n")
    with pytest.raises(ArtifactIntegrityError, match=md5):
        registry.load_artifact(version)


def test_git_url_is_cloned_into_the_cache(copy: Path, tmp_path: Path) -> None:
    repo = copy / "repo"
    # A clone lives elsewhere: give the DVC remote as an absolute path, as real remotes are.
    dvc(repo, "remote", "modify", "local", "url", str(copy / "remote"))
    run(repo, "git", "commit", "-q", "-am", "absolute remote")
    cache = tmp_path / "cache"
    registry = Registry(f"file://{repo}", cache_dir=cache)
    assert registry.git_dir.parent == cache / "repos"
    assert registry.load_artifact(registry.resolve("price-direction")) == ARTIFACT_V1
    # A later run fetches new commits into the same clone.
    run(repo, "git", "commit", "-q", "--allow-empty", "-m", "later")
    again = Registry(f"file://{repo}", cache_dir=cache)
    assert again.git_dir == registry.git_dir
    assert again.commit == run(repo, "git", "rev-parse", "main")


def test_import_stays_light() -> None:
    code = (
        "import sys, galfriday_gitops\n"
        "assert 'galfriday_gitops.api' not in sys.modules\n"
        "from galfriday_gitops import Registry, ModelStage\n"
        "assert ModelStage.PRODUCTION.value == 'production'\n"
        "assert 'dvc' not in sys.modules and 'dvc.api' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_readme_python_api_example_runs(repo: Repo) -> None:
    """The README's Python API example, run as written in a copy of this registry."""
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    marker = "<!-- python-api-example:"
    block = readme.split(marker, 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    env = {**os.environ, **IDENTITY}
    proc = subprocess.run(
        [sys.executable, "-P", "-c", block],
        cwd=repo.path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    branch = "galfriday/promote/price-direction-1.2.0-production"
    assert f"branch {branch}" in proc.stdout
    assert "GF212" in proc.stdout  # the experiment is still running: the preview says so
    assert "gfops check: blocked" in proc.stdout
    assert repo.git("rev-parse", "--verify", branch)  # the branch exists


VERBS = ("check", "apply", "register", "promote", "rollback", "deprecate", "retrain")


MORE_VERBS = ("lifecycle", "verify", "export", "alert", "conclude", "drift", "analyze_experiment",
              "init_registry")  # fmt: skip


def test_every_verb_is_a_library_function_loaded_on_use() -> None:
    code = (
        "import sys\n"
        "from galfriday_gitops import api\n"
        "assert 'galfriday_gitops.gate' not in sys.modules\n"  # a consumer pays nothing
        f"for name in {(*VERBS, *MORE_VERBS)!r}:\n"
        "    assert callable(getattr(api, name)), name\n"
        "assert 'galfriday_gitops.gate' in sys.modules\n"  # positive control: it was loaded
        "assert set(api.__all__) >= {'PromoteRequest', 'CheckRequest', 'Proposed'}\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
