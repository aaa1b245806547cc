"""Schemas are generated from the code, checked in, and every YAML in the repo points at one."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from galfriday_gitops.cli.commands.rules import markdown
from galfriday_gitops.resources import SCHEMA_FILES
from galfriday_gitops.schema_files import schema_texts as rendered
from tests.support.cli import gfops
from tests.support.repo import ROOT

MODELINE = re.compile(r"^# yaml-language-server: \$schema=(\S+)$", re.MULTILINE)


def registry_yaml() -> list[Path]:
    tracked = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [
        ROOT / p
        for p in tracked
        if p.split("/")[0] in ("models", "policies", "experiments") and p.endswith(".yaml")
    ]


def test_checked_in_schemas_match_the_code() -> None:
    for name, text in rendered().items():
        path = ROOT / "schemas" / name
        assert path.exists(), f"missing {path}: run `gfops schema --write`"
        assert path.read_text(encoding="utf-8") == text, (
            f"{name} is stale: run `gfops schema --write`"
        )
    assert gfops("schema", "--check", cwd=ROOT).code == 0


def test_schema_check_fails_when_stale(tmp_path: Path) -> None:
    (tmp_path / "teams.schema.json").write_text("{}")
    assert gfops("schema", "--check", "--dir", str(tmp_path)).code == 1
    assert gfops("schema", "--write", "--dir", str(tmp_path)).code == 0
    assert gfops("schema", "--check", "--dir", str(tmp_path)).code == 0


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def test_every_registry_yaml_has_a_modeline_and_validates_with_jsonschema() -> None:
    files = registry_yaml()
    assert len(files) >= 5
    for path in files:
        text = path.read_text(encoding="utf-8")
        m = MODELINE.search(text)
        assert m, f"{path} has no yaml-language-server modeline"
        schema_path = (path.parent / m.group(1)).resolve()
        assert schema_path.name in SCHEMA_FILES.values() and schema_path.exists()
        schema = json.loads(schema_path.read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.Draft202012Validator(schema).validate(_jsonable(yaml.safe_load(text)))


def test_jsonschema_rejects_what_the_loader_rejects() -> None:
    schema = json.loads((ROOT / "schemas" / "teams.schema.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(
            {
                "apiVersion": "galfriday/v1",
                "kind": "Teams",
                "metadata": {"name": "t"},
                "spec": {"teams": {}, "extra": 1},
            },
            schema,
        )


def test_rules_doc_is_generated_from_the_catalogue() -> None:
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == markdown()
