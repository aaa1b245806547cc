"""The registry as a reader sees it: the models x stages table, a model's versions, one
version in full."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from galfriday_gitops.findings import printable
from galfriday_gitops.stages import ModelStage

if TYPE_CHECKING:
    from galfriday_gitops.load.summary import Table
    from galfriday_gitops.resources import ModelVersion


def status_text(
    rev: str | None, table: Table, errors: int, *, show_all: bool, warnings: Sequence[str] = ()
) -> str:
    """The models x stages grid as plain aligned text (cheap at 10,000 rows, the same in a
    terminal, a pipe or a CI log), then any warnings (e.g. a stage DVC resolves to a
    version not in it)."""
    hidden = set() if show_all else {ModelStage.RETIRED, ModelStage.ARCHIVED}
    stages = [s.value for s in ModelStage if s not in hidden]
    header = ["model", *stages]
    rows = [
        [printable(name), *(", ".join(row.get(s, [])) for s in stages)]
        for name, row in table.items()
    ]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n"

    out = [f"registry at {rev[:12] if rev else 'work tree'}: {len(rows)} models\n", line(header)]
    out.append(line(["-" * w for w in widths]))
    out += [line(r) for r in rows]
    if errors:
        out.append(f"{errors} invalid file(s) were left out; run gfops validate\n")
    out += [f"warning: {printable(w)}\n" for w in warnings]
    return "".join(out)


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
