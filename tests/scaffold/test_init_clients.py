"""What ``gfops init`` writes, read by the programs that read it: check-jsonschema (the
policies against the registry's own ``schemas/``, formats on; the workflows against GitHub's
workflow schema), zizmor's offline audits, and pre-commit running the scaffolded hook. Each
has a control: the same invocation fails a broken copy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clients.test_schema_validators import check_jsonschema
from tests.support.cli import gfops
from tests.support.docs import user_env

BIN = Path(sys.executable).parent
OFFLINE = {"HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": ""}


@pytest.fixture(scope="module", params=["unsigned", "signed"])
def registry(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """A registry from ``gfops init``; the signed one's apply workflow has a signing step."""
    root = tmp_path_factory.mktemp("init")
    env = user_env(root / "home")
    action = "acme/galfriday-gitops@" + "1" * 40
    signing: list[str] = []
    if request.param == "signed":
        signers = root / "signers"
        signers.write_text("apply@galfriday.invalid ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEx\n")
        signing = ["--allowed-signers", str(signers)]
    result = gfops("init", "reg", "--team", "ml-leads=alice,bob", "--action", action,
                   *signing, cwd=root, env=env)  # fmt: skip
    assert result.code == 0, result.err
    apply = (root / "reg" / ".github" / "workflows" / "apply.yml").read_text()
    assert ("GALFRIDAY_SIGNING_KEY" in apply) == (request.param == "signed")
    return root / "reg"


def run(
    cwd: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=cwd, capture_output=True, text=True, check=False,
        env=env, timeout=300,  # hang guard: each tool takes about a second here
    )  # fmt: skip


def test_the_policies_pass_check_jsonschema_against_the_scaffolded_schemas(
    registry: Path, tmp_path: Path
) -> None:
    policies = sorted((registry / "policies").glob("*.yaml"))
    assert [p.name for p in policies] == ["lifecycle.yaml", "stages.yaml", "teams.yaml"]
    result = check_jsonschema(policies)
    assert result.returncode == 0, result.stdout + result.stderr
    # the control: the schemas the modelines name reject a misspelt stage
    broken = registry / "policies" / "broken.yaml"
    broken.write_text((registry / "policies" / "stages.yaml").read_text().replace(
        "canary: [production, staging]", "canary: [prodution, staging]"))  # fmt: skip
    try:
        assert check_jsonschema([broken]).returncode == 1
    finally:
        broken.unlink()


def test_the_schemas_are_valid_json_schemas(registry: Path) -> None:
    schemas = sorted(str(p) for p in (registry / "schemas").glob("*.schema.json"))
    assert len(schemas) == 6
    for schema in schemas:
        assert json.loads(Path(schema).read_text())["$schema"].startswith("https://json-schema")
    result = run(registry, str(BIN / "check-jsonschema"), "--check-metaschema", *schemas)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_workflows_match_githubs_workflow_schema(registry: Path, tmp_path: Path) -> None:
    workflows = sorted(str(p) for p in (registry / ".github" / "workflows").glob("*.yml"))
    assert [Path(w).stem for w in workflows] == ["apply", "check", "lifecycle", "pages", "review"]
    tool = str(BIN / "check-jsonschema")
    result = run(registry, tool, "--builtin-schema", "vendor.github-workflows", *workflows)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = tmp_path / "broken.yml"  # the control: a job without runs-on
    broken.write_text(Path(workflows[0]).read_text().replace("runs-on: ubuntu-latest", ""))
    assert run(tmp_path, tool, "--builtin-schema", "vendor.github-workflows",
               str(broken)).returncode == 1  # fmt: skip


def zizmor(path: Path) -> list[dict[str, object]]:
    result = run(path.parent, str(BIN / "zizmor"), "--offline", "--format", "json", str(path),
                 env={**user_env(path.parent / "home"), **OFFLINE})  # fmt: skip
    findings = json.loads(result.stdout)
    assert isinstance(findings, list), result.stderr
    return findings


def test_zizmor_finds_nothing_in_the_workflows(registry: Path, tmp_path: Path) -> None:
    workflows = registry / ".github" / "workflows"
    assert zizmor(workflows) == []
    # the control: the same audit flags the gate once its toolkit is a movable tag
    copy = tmp_path / ".github" / "workflows"
    copy.mkdir(parents=True)
    check = (workflows / "check.yml").read_text()
    (copy / "check.yml").write_text(
        check.replace("acme/galfriday-gitops@" + "1" * 40, "acme/galfriday-gitops@main")
    )
    assert "unpinned-uses" in {f["ident"] for f in zizmor(copy)}


def test_the_pre_commit_hook_runs_gfops_validate(registry: Path, tmp_path: Path) -> None:
    env = {**user_env(tmp_path / "home"), "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")}
    pre_commit = str(BIN / "pre-commit")
    assert run(registry, pre_commit, "validate-config", ".pre-commit-config.yaml",
               env=env).returncode == 0  # fmt: skip
    passed = run(registry, pre_commit, "run", "--all-files", env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "gfops validate" in passed.stdout and "Passed" in passed.stdout
    # the control: a manifest with a misspelt stage fails the hook, naming file and rule
    manifest = registry / "models" / "churn" / "1.0.0.yaml"
    manifest.parent.mkdir(parents=True)
    manifest.write_text(
        "apiVersion: galfriday/v1\nkind: ModelVersion\n"
        "metadata: {name: churn, version: 1.0.0}\nspec: {stage: prodution}\n"
    )
    try:
        failed = run(registry, pre_commit, "run", "--files", "models/churn/1.0.0.yaml", env=env)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert "models/churn/1.0.0.yaml" in failed.stdout and "GF1" in failed.stdout
    finally:
        manifest.unlink()
        manifest.parent.rmdir()
        manifest.parent.parent.rmdir()
