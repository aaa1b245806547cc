"""The package's shape, checked: no import circles, layers that point one way, small modules,
small functions.

Each check compares what it finds with a list of known exceptions. The lists only shrink:
a new violation fails, and so does a listed one that is gone (delete it from the list).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from radon.complexity import cc_visit
from radon.visitors import Class, Function

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "galfriday_gitops"
PREFIX = "galfriday_gitops"

MAX_MODULE_LINES = 500
MAX_COMPLEXITY = 25  # radon's cyclomatic complexity (counts boolean operators, unlike ruff's)

# Allowed for good, with the reason: the schema module and the GitHub client.
LARGE_MODULES_BY_DESIGN = {"resources.py", "forge/github.py"}

# ---- known exceptions: these lists only shrink -------------------------------------------
KNOWN_CYCLES: set[frozenset[str]] = set()
KNOWN_LARGE_MODULES: set[str] = set()
KNOWN_COMPLEX: set[str] = set()
KNOWN_LAYER_BREACHES: set[str] = set()


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path  # "" is the package itself
    return found


MODULES = _modules()


def _target(name: str) -> str | None:
    """``galfriday_gitops.x.y`` -> ``x.y`` when that is one of our modules."""
    if name != PREFIX and not name.startswith(PREFIX + "."):
        return None
    short = name.removeprefix(PREFIX).removeprefix(".")
    return short if short in MODULES else None


def imports_of(module: str) -> set[str]:
    """Every package module ``module`` imports: top level, in functions, under TYPE_CHECKING."""
    path = MODULES[module]
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(t for a in node.names if (t := _target(a.name)) is not None)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                stem = ".".join(p for p in (PREFIX, base, node.module or "") if p)
            else:
                stem = node.module or ""
            for alias in node.names:
                target = _target(f"{stem}.{alias.name}") or _target(stem)
                if target is not None:
                    out.add(target)
    out.discard(module)
    return out


GRAPH = {m: imports_of(m) for m in MODULES}


def _cycles() -> Iterator[frozenset[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    counter = [0]

    def visit(v: str) -> Iterator[frozenset[str]]:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(GRAPH[v]):
            if w not in index:
                yield from visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                yield frozenset(component)

    for v in sorted(GRAPH):
        if v not in index:
            yield from visit(v)


def test_import_graph_sees_local_and_type_checking_imports() -> None:
    # Positive controls for the graph builder: a function-local and a TYPE_CHECKING import.
    assert "write.promote" in GRAPH["cli.commands.promote"]  # imported inside run()
    assert "write.propose" in GRAPH["cli.output"]  # imported under TYPE_CHECKING


def test_no_import_cycles() -> None:
    found = set(_cycles())
    assert found - KNOWN_CYCLES == set(), "new import circle(s)"
    assert KNOWN_CYCLES - found == set(), "a known circle is gone: delete it from KNOWN_CYCLES"


VOCABULARY = frozenset(
    {"findings", "catalogue", "rule_docs", "paths", "semver", "errors", "stages", "uri"}
)


def _layer_breaches(graph: dict[str, set[str]] = GRAPH) -> set[str]:
    """Edges that point the wrong way (see docs/architecture.md)."""
    out: set[str] = set()
    for src, targets in graph.items():
        for dst in targets:
            edge = f"{src} -> {dst}"
            top_src, top_dst = src.split(".")[0], dst.split(".")[0]
            if (
                # a command never imports another command
                (src.startswith("cli.commands.") and dst.startswith("cli.commands."))
                # nothing but the demo imports the demo; nothing below the CLI imports it
                or (top_dst == "demo" and top_src != "demo")
                or (top_dst == "cli" and top_src not in {"cli", "__main__"})
                # stats and the forge stand alone
                or (top_src in {"stats", "forge"} and top_dst != top_src)
                # the vocabulary (findings, rule catalogue, names and paths, versions, errors)
                # stands on the standard library alone
                or (src in VOCABULARY and dst not in VOCABULARY)
                # loading knows nothing of the rules or anything above it
                or (top_src == "load" and top_dst in {"rules", "diff", "apply", "audit", "write"})
                # rules do no I/O: history, blobs and DVC come in through the context
                or (
                    src.startswith("rules.")
                    and src != "rules.engine"
                    and (
                        dst in {"gitio", "gitcommit", "dvcio", "dvcobjects", "load.history"}
                        or dst.startswith("load.safe")
                    )
                )
            ):
                out.add(edge)
    return out


def test_layers_point_one_way() -> None:
    found = _layer_breaches()
    assert found - KNOWN_LAYER_BREACHES == set(), "new import(s) against the layering"
    assert KNOWN_LAYER_BREACHES - found == set(), "fixed: delete from KNOWN_LAYER_BREACHES"


def test_layer_check_catches_a_breach() -> None:
    # Positive control on a made-up graph: a command importing a command is reported, a
    # command importing the library is not.
    graph = {"cli.commands.x": {"cli.commands.y", "write.promote"}, "write.promote": set()}
    assert _layer_breaches(graph) == {"cli.commands.x -> cli.commands.y"}
    assert set(MODULES) >= VOCABULARY  # the vocabulary's modules exist (no typo hides one)
    assert "catalogue" in GRAPH["rules.engine"]  # and the graph sees who imports them


def _rel(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def test_modules_are_small() -> None:
    large = {
        _rel(p)
        for p in PACKAGE.rglob("*.py")
        if len(p.read_text(encoding="utf-8").splitlines()) > MAX_MODULE_LINES
    }
    assert large - LARGE_MODULES_BY_DESIGN - KNOWN_LARGE_MODULES == set(), (
        f"modules over {MAX_MODULE_LINES} lines"
    )
    assert KNOWN_LARGE_MODULES - large == set(), "now small: delete from KNOWN_LARGE_MODULES"


def _complexities() -> dict[str, int]:
    out: dict[str, int] = {}
    for path in PACKAGE.rglob("*.py"):
        for block in cc_visit(path.read_text(encoding="utf-8")):
            blocks = [block, *block.methods] if isinstance(block, Class) else [block]
            for b in blocks:
                if isinstance(b, Function):
                    key = f"{_rel(path)}:{b.name}"
                    out[key] = max(out.get(key, 0), b.complexity)
    return out


def test_functions_are_simple() -> None:
    scores = _complexities()
    assert scores["cli/main.py:main"] >= 2  # positive control: the measure sees branches
    complex_ = {k for k, v in scores.items() if v > MAX_COMPLEXITY}
    assert complex_ - KNOWN_COMPLEX == set(), f"functions over complexity {MAX_COMPLEXITY}"
    assert KNOWN_COMPLEX - complex_ == set(), "now simple: delete from KNOWN_COMPLEX"


@pytest.mark.parametrize("module", ["stats", "forge"])
def test_standalone_packages_exist(module: str) -> None:
    assert any(m.startswith(module + ".") for m in MODULES)
