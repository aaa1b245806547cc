"""The registry as a reader sees it: the models x stages table, a model's versions, one
version in full."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from galfriday_gitops.findings import printable

if TYPE_CHECKING:
    from galfriday_gitops.load.summary import Table
    from galfriday_gitops.resources import ModelVersion


def status_table(
    rev: str | None, table: Table, errors: int, *, show_all: bool, warnings: Sequence[str] = ()
) -> None:
    """Print the models x stages grid (rich; 160 columns when not a terminal), then any
    warnings (e.g. a stage DVC resolves to a version not in it)."""
    from rich.console import Console
    from rich.markup import escape
    from rich.table import Table as Grid

    from galfriday_gitops.resources import ModelStage

    hidden = set() if show_all else {ModelStage.RETIRED, ModelStage.ARCHIVED}
    stages = [s for s in ModelStage if s not in hidden]
    grid = Grid(title=f"registry at {rev[:12] if rev else 'work tree'}")
    grid.add_column("model", style="bold")
    for stage in stages:
        grid.add_column(stage.value)
    for name, row in table.items():
        cells = (", ".join(row.get(s.value, [])) for s in stages)
        grid.add_row(escape(printable(name)), *(escape(c) for c in cells))
    console = Console(width=None if sys.stdout.isatty() else 160)
    console.print(grid)
    if errors:
        console.print(f"[red]{errors} invalid file(s) were left out; run gfops validate[/red]")
    for warning in warnings:
        console.print(f"[yellow]warning: {escape(printable(warning))}[/yellow]")


def versions(found: list[ModelVersion]) -> str:
    return "".join(f"{v.ref:40} {v.stage.value}\n" for v in found)


def version(found: ModelVersion, path: str) -> str:
    """One manifest: stage, type, features, metrics, lineage, artifacts, deprecation."""
    spec = found.spec
    lines = [
        f"{found.ref}  stage: {spec.stage.value}  ({path})",
        f"  type: {spec.model_type} ({spec.framework}); target: {spec.target or '-'}",
        f"  features: {', '.join(spec.features) or '-'}",
    ]
    for split, table in (("validation", spec.metrics.validation), ("test", spec.metrics.test)):
        if table:
            lines.append(f"  {split}: " + ", ".join(f"{k}={v:g}" for k, v in table.items()))
    lineage = spec.lineage
    lines.append(
        f"  lineage: parent={lineage.parent or '-'} experiment={lineage.experiment or '-'}"
    )
    lines += [f"  artifact: {a.path} md5={a.md5} size={a.size}" for a in spec.artifacts]
    if spec.deprecation:
        d = spec.deprecation
        lines.append(
            f"  deprecated: {d.reason}; end of life {d.end_of_life}; "
            f"replacement {d.replacement or '-'}"
        )
    return "".join(printable(line) + "\n" for line in lines)
