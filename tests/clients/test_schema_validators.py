"""The JSON Schemas as real validators read them: ``check-jsonschema`` with format checking
on, over every YAML of this repository, of a registry ``gfops register`` just wrote, and
(test_demo_registry.py) of the demo's; and every field described, for editor hover text."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from galfriday_gitops.resources import SCHEMA_FILES
from tests.clients.dvc_registry import DvcRegistry, clean_env
from tests.support.cli import gfops
from tests.support.repo import ROOT

CHECK_JSONSCHEMA = str(Path(sys.executable).with_name("check-jsonschema"))
MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.MULTILINE)


def schema_of(path: Path) -> Path:
    """The schema a YAML file's modeline names (every registry YAML has one)."""
    m = MODELINE.search(path.read_text(encoding="utf-8"))
    assert m, f"{path} has no yaml-language-server modeline"
    return (path.parent / m.group(1)).resolve()


def check_jsonschema(files: list[Path]) -> subprocess.CompletedProcess[str]:
    """check-jsonschema on each file against its modeline's schema; formats checked (the
    default: no --disable-formats)."""
    by_schema: dict[Path, list[str]] = {}
    for path in files:
        by_schema.setdefault(schema_of(path), []).append(str(path))
    out, err, code = [], [], 0
    for schema, paths in sorted(by_schema.items()):
        proc = subprocess.run([CHECK_JSONSCHEMA, "--schemafile", str(schema), *paths],
                              capture_output=True, text=True, check=False)  # fmt: skip
        out.append(proc.stdout)
        err.append(proc.stderr)
        code = code or proc.returncode
    return subprocess.CompletedProcess([], code, "".join(out), "".join(err))


def registry_yaml(root: Path) -> list[Path]:
    return sorted(
        p
        for folder in ("models", "policies", "experiments")
        for p in (root / folder).rglob("*.yaml")
    )


def test_every_yaml_of_this_repository_passes_check_jsonschema_with_formats() -> None:
    files = registry_yaml(ROOT)
    assert len(files) >= 8 and any("models" in p.parts for p in files)
    result = check_jsonschema(files)
    assert result.returncode == 0, result.stdout + result.stderr
    # The workflows too (the GitHub workflow schema from check-jsonschema's catalogue).
    workflows = sorted(str(p) for p in (ROOT / ".github" / "workflows").glob("*.yml"))
    proc = subprocess.run([CHECK_JSONSCHEMA, "--builtin-schema", "vendor.github-workflows",
                           *workflows], capture_output=True, text=True, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_formats_are_checked_the_old_yaml_timestamp_fails_and_still_loads(
    tmp_path: Path,
) -> None:
    """The control: what register used to write (a YAML 1.1 timestamp) is not RFC 3339, and
    check-jsonschema says so; gfops still reads such a manifest (old registries)."""
    repo_dir = tmp_path / "old"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo_dir)], check=True)
    for part in ("models", "policies", "schemas"):
        shutil.copytree(ROOT / part, repo_dir / part)
    manifest = repo_dir / "models/price-direction/1.2.0.yaml"
    text = manifest.read_text(encoding="utf-8")
    old = re.sub(r'trainedAt: "(\S+)T(\S+)Z"', r"trainedAt: \1 \2+00:00", text)
    assert old != text
    manifest.write_text(old, encoding="utf-8")
    result = check_jsonschema([manifest])
    assert result.returncode == 1 and "is not a 'date-time'" in result.stdout, result.stdout
    validated = gfops("validate", str(manifest), cwd=repo_dir)
    assert validated.code == 0, validated.out + validated.err
    # And a bad string is a finding with the expected form, not a traceback.
    manifest.write_text(old.replace("2026-11-24 06:01:38+00:00", '"yesterday"'), encoding="utf-8")
    bad = gfops("validate", str(manifest), cwd=repo_dir)
    assert bad.code == 1 and '"2026-11-24T06:01:38Z"' in bad.out and "Traceback" not in bad.err


@pytest.fixture
def registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DvcRegistry]:
    for key, value in clean_env(tmp_path / "home").items():
        monkeypatch.setenv(key, value)
    registry = DvcRegistry.create(tmp_path)
    registry.register("1.0.0")
    yield registry


def test_manifests_register_writes_pass_check_jsonschema(registered: DvcRegistry) -> None:
    manifest = registered.repo.path / "models/price-direction/1.0.0.yaml"
    text = manifest.read_text(encoding="utf-8")
    assert re.search(r'^    trainedAt: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"$', text, re.MULTILINE), (
        text
    )
    result = check_jsonschema(registry_yaml(registered.repo.path))
    assert result.returncode == 0, result.stdout + result.stderr


def _properties(node: Any, where: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every (path, property schema) in a JSON Schema, $defs included."""
    if isinstance(node, dict):
        for name, prop in (node.get("properties") or {}).items():
            yield f"{where}.{name}", prop
        for key, value in node.items():
            yield from _properties(value, f"{where}.{key}" if key != "properties" else where)
    elif isinstance(node, list):
        for item in node:
            yield from _properties(item, where)


def test_every_field_of_every_kind_has_a_description() -> None:
    seen = 0
    for name in SCHEMA_FILES.values():
        schema = json.loads((ROOT / "schemas" / name).read_text(encoding="utf-8"))
        for path, prop in _properties(schema):
            seen += 1
            assert isinstance(prop.get("description"), str) and prop["description"], (name, path)
    assert seen > 150  # every field of six kinds, not a handful
