"""The registry as a reader sees it: the models x stages table, a model's versions, one
version in full, and the versions a query found (text, JSON, CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from galfriday_gitops.findings import printable
from galfriday_gitops.stages import ModelStage

if TYPE_CHECKING:
    from galfriday_gitops.load.summary import Summary
    from galfriday_gitops.query import Manifest, Row


def status_text(summary: Summary, *, show_all: bool, warnings: Sequence[str] = ()) -> str:
    """The models x stages grid as plain aligned text (cheap at 10,000 rows, the same in a
    terminal, a pipe or a CI log), a canary's traffic share beside it (``1.3.0 (10%)``),
    then any warnings (e.g. a stage DVC resolves to a version not in it)."""
    hidden = set() if show_all else {ModelStage.RETIRED, ModelStage.ARCHIVED}
    stages = [s.value for s in ModelStage if s not in hidden]
    header = ["model", *stages]
    rows = [
        [printable(name), *(_held(row.get(s, []), summary.traffic.get(name, {})) for s in stages)]
        for name, row in summary.table.items()
    ]
    widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n"

    rev = summary.rev
    out = [f"registry at {rev[:12] if rev else 'work tree'}: {len(rows)} models\n", line(header)]
    out.append(line(["-" * w for w in widths]))
    out += [line(r) for r in rows]
    if summary.errors:
        out.append(f"{summary.errors} invalid file(s) were left out; run gfops validate\n")
    out += [f"warning: {printable(w)}\n" for w in warnings]
    return "".join(out)


def _held(versions: list[str], shares: Mapping[str, float]) -> str:
    """A stage's cell: its versions, each with its traffic share where it has one."""
    return ", ".join(f"{v} ({shares[v]:g}%)" if v in shares else v for v in versions)


def versions(name: str, found: list[tuple[str, ModelStage]]) -> str:
    """A model's versions, oldest first, with their stages."""
    return "".join(printable(f"{name + '@' + v:40} {stage.value}") + "\n" for v, stage in found)


def _pairs(table: Mapping[str, Any] | None) -> str:
    return ", ".join(f"{k}={_value(v)}" for k, v in (table or {}).items()) or "-"


def _value(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return "null" if v is None else str(v)


def _training(training: Mapping[str, Any]) -> list[str]:
    window = training.get("dataWindow")
    span = f"{window['start']} .. {window['end']}" if window else "-"
    samples = training.get("samples")
    return [
        f"  data window: {span}; samples: {samples if samples is not None else '-'}",
        f"  trained at: {training.get('trainedAt') or '-'} by {training.get('trainedBy') or '-'};"
        f" code commit: {training.get('codeCommit') or '-'}",
    ]


def version(data: Manifest, path: str) -> str:
    """One manifest in full: stage, rollout, labels, type, features, hyperparameters,
    training (data window, trained at/by), metrics, lineage, artifacts, deprecation, tags."""
    meta, spec = data["metadata"], data["spec"]
    rollout = spec.get("rollout")
    share = f"  (canary traffic {rollout['trafficPercent']:g}%)" if rollout else ""
    lines = [
        f"{meta['name']}@{meta['version']}  stage: {spec['stage']}{share}  ({path})",
        *([f"  {meta['description']}"] if meta.get("description") else []),
        f"  labels: {_pairs(meta.get('labels'))}",
        f"  type: {spec['modelType']} ({spec['framework']}); target: {spec.get('target') or '-'}",
        f"  features: {', '.join(spec.get('features') or []) or '-'}",
        f"  hyperparameters: {_pairs(spec.get('hyperparameters'))}",
        *_training(spec.get("training") or {}),
    ]
    metrics = spec.get("metrics") or {}
    for split in ("validation", "test"):
        if metrics.get(split):
            lines.append(f"  {split}: {_pairs(metrics[split])}")
    lineage = spec.get("lineage") or {}
    lines.append(
        f"  lineage: parent={lineage.get('parent') or '-'} "
        f"experiment={lineage.get('experiment') or '-'}"
    )
    lines += [f"  artifact: {a['path']} md5={a['md5']} size={a['size']}" for a in spec["artifacts"]]
    if spec.get("deprecation"):
        d = spec["deprecation"]
        lines.append(
            f"  deprecated: {d['reason']}; end of life {d['endOfLife']}; "
            f"replacement {d.get('replacement') or '-'}"
        )
    if spec.get("tags"):
        lines.append(f"  tags: {', '.join(spec['tags'])}")
    return "".join(printable(line) + "\n" for line in lines)


# ---------------------------------------------------------------- gfops ls


def _metric_columns(rows: Sequence[Row]) -> list[str]:
    """Every ``split.metric`` some row has, validation first."""
    found = {
        f"{split}.{name}"
        for row in rows
        for split, table in (row.manifest["spec"].get("metrics") or {}).items()
        for name in table
    }
    return sorted(found, key=lambda ref: (not ref.startswith("validation."), ref))


def _split_ref(ref: str) -> tuple[str, str, str]:
    return ref.partition(".")


def _cells(row: Row, metrics: Sequence[str]) -> list[Any]:
    meta, spec = row.manifest["metadata"], row.manifest["spec"]
    labels = ";".join(f"{k}={v}" for k, v in (meta.get("labels") or {}).items())
    table = spec.get("metrics") or {}
    values = [table.get(split, {}).get(name) for split, _, name in map(_split_ref, metrics)]
    return [row.name, row.version, row.stage, labels, ";".join(spec.get("tags") or []), *values]


def listing_text(rows: Sequence[Row], metrics: Sequence[str]) -> str:
    """The versions as an aligned table: model, version, stage, labels, tags, metrics."""
    header = ["model", "version", "stage", "labels", "tags", *metrics]
    table = [[_value(c) if c is not None else "-" for c in _cells(r, metrics)] for r in rows]
    table = [[printable(c) or "-" for c in cells] for cells in table]
    widths = [max([len(h), *(len(r[i]) for r in table)]) for i, h in enumerate(header)]

    def line(cells: list[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip() + "\n"

    body = [line(header), line(["-" * w for w in widths]), *(line(r) for r in table)]
    return "".join(body) + f"{len(rows)} version(s)\n"


def listing_json(rows: Sequence[Row]) -> list[dict[str, Any]]:
    return [
        {
            "name": r.name,
            "version": r.version,
            "stage": r.stage,
            "path": r.path,
            "labels": r.manifest["metadata"].get("labels") or {},
            "tags": r.manifest["spec"].get("tags") or [],
            "metrics": r.manifest["spec"].get("metrics") or {},
        }
        for r in rows
    ]


_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula starts with a quote (OWASP's advice);
    numbers stay numbers."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA):
        return "'" + value
    return value


def listing_csv(rows: Sequence[Row]) -> str:
    """Every matching version with every metric, one row each (RFC 4180, formula-safe)."""
    metrics = _metric_columns(rows)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["model", "version", "stage", "labels", "tags", *metrics])
    for row in rows:
        writer.writerow([_csv_cell(c) for c in _cells(row, metrics)])
    return out.getvalue()
