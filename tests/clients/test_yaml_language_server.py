"""The editors' view: the real ``yaml-language-server`` (npm, pinned in
tools/fetch-clients.sh) driven over LSP on stdio, reading each file's modeline schema."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.clients.lsp import LanguageServer
from tests.support.repo import ROOT

SERVER = ROOT / ".cache/clients/node_modules/yaml-language-server/bin/yaml-language-server"
SETTINGS = {
    "yaml": {
        "validate": True,
        "hover": True,
        "completion": True,
        "schemaStore": {"enable": False},  # no network: only the modeline's local schema
    }
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[LanguageServer, Path]]:
    node = shutil.which("node")
    if node is None or not SERVER.is_file():
        pytest.fail("yaml-language-server is missing: run `make specs` (needs Node.js)")
    registry = tmp_path / "registry"
    for part in ("models", "schemas"):
        shutil.copytree(ROOT / part, registry / part)
    ls = LanguageServer([node, str(SERVER), "--stdio"], registry, SETTINGS)
    yield ls, registry
    ls.close()


def _summary(diagnostics: list[dict[str, Any]]) -> list[tuple[int, int, int, int, str]]:
    return sorted(
        (d["range"]["start"]["line"], d["range"]["start"]["character"],
         d["range"]["end"]["line"], d["range"]["end"]["character"], d["message"])
        for d in diagnostics
    )  # fmt: skip


def test_a_stage_typo_and_an_unknown_field_are_the_two_diagnostics(
    server: tuple[LanguageServer, Path],
) -> None:
    ls, registry = server
    good = (registry / "models/price-direction/1.2.0.yaml").read_text(encoding="utf-8")
    lines = good.splitlines()
    stage_line = lines.index("  stage: staging")
    framework_line = next(i for i, ln in enumerate(lines) if ln.startswith("  framework:"))
    assert ls.diagnostics(registry / "models/price-direction/1.2.0.yaml", good) == []

    bad_lines = list(lines)
    bad_lines[stage_line] = "  stage: prodution"
    bad_lines.insert(framework_line, "  frameworks: numpy")  # unknown (typo of framework)
    bad = "\n".join(bad_lines) + "\n"
    path = registry / "models/price-direction/1.3.0.yaml"
    found = _summary(ls.diagnostics(path, bad))
    stages = '"development", "testing", "staging", "canary", "production", "deprecated", '
    assert found == [
        (stage_line, 9, stage_line, 18,
         f'Value is not accepted. Valid values: {stages}"retired", "archived".'),
        (framework_line, 2, framework_line, 12, "Property frameworks is not allowed."),
    ]  # fmt: skip


def test_hover_shows_the_field_description(server: tuple[LanguageServer, Path]) -> None:
    ls, registry = server
    path = registry / "models/price-direction/1.2.0.yaml"
    text = path.read_text(encoding="utf-8")
    assert ls.diagnostics(path, text) == []
    line = text.splitlines().index("  stage: staging")
    hover = ls.request("textDocument/hover", {
        "textDocument": {"uri": path.resolve().as_uri()},
        "position": {"line": line, "character": 4},
    })  # fmt: skip
    assert "Where this version is in its life" in hover["contents"]["value"]
