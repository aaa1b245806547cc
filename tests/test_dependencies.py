"""Dependencies say the truth: what the package imports is declared (a runtime dependency,
or an optional extra for an optional feature), what it declares it imports, and what only
tests use is a dev extra."""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]

# Imported directly but installed by a declared dependency that pins it.
VIA = {
    "pydantic-core": "pydantic",  # PydanticCustomError: pydantic's documented route
    "referencing": "jsonschema",  # the tests' OpenAPI checks build jsonschema's registry
}


def _name(requirement: str) -> str:
    """``"ruamel.yaml>=0.18"`` -> ``"ruamel-yaml"`` (PEP 503 normalised)."""
    bare = re.split(r"[<>=!~;\[ ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", bare).lower()


def _top_level_imports(folder: Path) -> set[str]:
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names) - {"galfriday_gitops", "__future__", "tests"}


def _distributions(modules: set[str]) -> set[str]:
    owners = packages_distributions()
    out = set()
    for module in modules:
        dists = owners.get(module)
        assert dists, f"no installed distribution provides {module!r}"
        out.add(_name(dists[0]))
    return out


DECLARED = {_name(r) for r in PROJECT["dependencies"]}
EXTRAS = PROJECT["optional-dependencies"]
DEV = {_name(r) for r in EXTRAS["dev"]}
OPTIONAL = {_name(r) for extra, reqs in EXTRAS.items() if extra != "dev" for r in reqs}
IMPORTED = _distributions(_top_level_imports(ROOT / "galfriday_gitops"))


def test_every_import_of_the_package_is_declared() -> None:
    undeclared = {d for d in IMPORTED - DECLARED - OPTIONAL if VIA.get(d) not in DECLARED}
    assert undeclared == set()


def test_optional_features_are_extras_and_tested() -> None:
    assert OPTIONAL <= IMPORTED  # an extra nothing imports would be a lie too
    assert OPTIONAL <= DEV  # the tests run the optional features


def test_every_declared_dependency_is_imported() -> None:
    assert {"pydantic", "pyyaml", "ruamel-yaml"} <= IMPORTED  # the scan sees imports
    unused = DECLARED - IMPORTED
    assert unused == set()


def test_test_only_packages_are_dev_extras() -> None:
    tests_use = _distributions(_top_level_imports(ROOT / "tests")) - IMPORTED - {"pytest"}
    assert "jsonschema" in tests_use  # the control: a package only tests import
    assert {d for d in tests_use - DEV if VIA.get(d) not in DEV} == set()
    assert "jsonschema" not in DECLARED and "gitpython" not in DECLARED
