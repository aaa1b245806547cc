"""What ``gfops register`` records about how a version was trained, and where it reads it.

Each fact comes from an option when one is given, else from the files a DVC pipeline
leaves behind:

- **metrics**: ``--metrics FILE`` in any of three shapes — ours (``{"validation": {...},
  "test": {...}}``), the output of ``dvc metrics show --json`` (one revision; every metrics
  file in it), or DVCLive's ``metrics.json`` (flat or nested numbers; its top-level
  ``step`` is DVCLive's step counter, not a metric, and is dropped; a ``/`` in a name is
  DVCLive's nesting, so ``test/accuracy`` is ``test``'s ``accuracy``). Numbers outside a
  ``validation``/``test`` block go to ``--metrics-split`` (default ``test``), nested names
  joined with dots; a name given twice is refused. Without ``--metrics``, the metrics
  files ``dvc.yaml`` declares (top-level ``metrics:``, as DVCLive writes it, and its
  stages') are read the same way.
- **hyperparameters**: ``--hyperparameter KEY=VALUE``; else the parameters ``dvc.lock``
  recorded for the stage that produced the artifact (what it was really trained with),
  else ``params.yaml``'s ``train:`` section; scalars only.
- **data window**: ``--data-start``/``--data-end``; else ``params.yaml``'s ``data.start``
  and ``data.end``.
- **inputs**: the producing stage of ``dvc.lock`` and each dependency's md5
  (``spec.training.params``: ``dvc.stage``, ``dvc.dep.<path>``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import yaml

from galfriday_gitops import dvcio, dvcyaml
from galfriday_gitops.errors import UserError

Split = Literal["validation", "test"]
SPLITS: tuple[Split, ...] = ("validation", "test")
Scalar = str | int | float | bool | None
# DVCLive's step counter sits beside the metrics in its metrics.json.
_NOT_METRICS = frozenset({"step"})


@dataclass(frozen=True, slots=True)
class Producer:
    """The ``dvc.lock`` stage that wrote the artifact, and what it read."""

    stage: str
    deps: dict[str, str]  # path -> md5
    params: dict[str, Scalar]


# ---------------------------------------------------------------- metrics


def read_metrics(path: Path, split: Split = "test") -> dict[str, dict[str, float]]:
    """Metrics from one file in any accepted shape, as ``{"validation": .., "test": ..}``."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"--metrics {path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"--metrics {path}: unreadable ({exc.__class__.__name__})") from None
    except json.JSONDecodeError as exc:
        raise UserError(f"--metrics {path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    if _is_dvc_metrics_show(data):
        return _from_dvc_metrics_show(data, str(path), split)
    return metrics_from(data, str(path), split)


def metrics_from(data: Any, where: str, split: Split) -> dict[str, dict[str, float]]:
    """Our shape, or any other mapping of numbers (DVCLive): see the module docstring."""
    if not isinstance(data, dict):
        raise UserError(f"{where}: expected a JSON object of metrics")
    out: dict[str, dict[str, float]] = {"validation": {}, "test": {}}
    for key, value in data.items():
        if key in _NOT_METRICS:
            continue
        head, _, tail = key.partition("/")  # DVCLive's summary["test/accuracy"]
        if key in SPLITS and isinstance(value, dict):
            _merge(out[key], _flatten(value, f"{where}: {key}"), f"{where}: {key}")
        elif head in SPLITS and tail:
            _merge(out[head], _flatten({tail: value}, where), f"{where}: {head}")
        else:
            _merge(out[split], _flatten({key: value}, where), f"{where}: {split}")
    return {k: v for k, v in out.items() if v}


def _merge(into: dict[str, float], values: dict[str, float], where: str) -> None:
    """Add ``values``; a name already there (``test.auc`` given nested and flat) is refused."""
    clash = set(into) & set(values)
    if clash:
        raise UserError(f"{where}: metric {sorted(clash)[0]!r} is given twice")
    into.update(values)


def _flatten(data: Mapping[str, Any], where: str, prefix: str = "") -> dict[str, float]:
    found: dict[str, float] = {}
    for key, value in data.items():
        name = f"{prefix}{key}".replace("/", ".")  # DVCLive nests names at "/"
        if isinstance(value, dict):
            _merge(found, _flatten(value, where, name + "."), where)
        elif isinstance(value, bool) or not isinstance(value, int | float):
            raise UserError(f"{where}: metric {name!r} is {value!r}, not a number")
        elif not math.isfinite(value):
            raise UserError(f"{where}: metric {name!r} is {value}: only finite numbers")
        else:
            _merge(found, {name: float(value)}, where)
    return found


def _is_dvc_metrics_show(data: Any) -> bool:
    """``{rev: {"data": {file: {"data": ...}}}}``: what ``dvc metrics show --json`` prints."""
    return (
        isinstance(data, dict)
        and bool(data)
        and all(
            isinstance(rev, dict)
            and isinstance(rev.get("data"), dict)
            and all(isinstance(f, dict) for f in rev["data"].values())
            for rev in data.values()
        )
    )


def _from_dvc_metrics_show(data: dict[str, Any], where: str, split: Split) -> dict[str, Any]:
    revs = list(data)
    if len(revs) != 1:
        raise UserError(
            f"{where}: dvc metrics show output for {len(revs)} revisions; "
            "give one (dvc metrics show --json, without --all-commits or a revision range)"
        )
    out: dict[str, dict[str, float]] = {}
    for file, entry in data[revs[0]]["data"].items():
        if "error" in entry or not isinstance(entry.get("data"), dict):
            raise UserError(f"{where}: DVC could not read the metrics file {file}")
        for key, values in metrics_from(entry["data"], f"{where}: {file}", split).items():
            clash = set(out.get(key, {})) & set(values)
            if clash:
                raise UserError(f"{where}: {key}.{sorted(clash)[0]} appears in two metrics files")
            out.setdefault(key, {}).update(values)
    return out


def pipeline_metrics_files(root: Path) -> list[Path]:
    """The metrics files ``dvc.yaml`` declares (``metrics:`` at the top, where DVCLive
    writes it, and in its stages) that exist as regular files inside ``root`` (a symlink
    or a path leading out of the repository is skipped; an unreadable dvc.yaml gives none:
    these are defaults, the explicit ``--metrics`` is the way to insist)."""
    try:
        declared = dvcyaml.metrics_files((root / dvcyaml.DVC_YAML).read_bytes())
    except (OSError, UserError):
        return []
    inside = root.resolve()
    found = []
    for name in declared:
        path = root / name
        if path.is_symlink() or not path.is_file():
            continue
        if not path.resolve().is_relative_to(inside):
            continue
        found.append(path)
    return found


# ---------------------------------------------------------------- the pipeline


def producer(root: Path, source: Path) -> Producer | None:
    """The ``dvc.lock`` stage whose outputs include ``source`` (None when none does, or the
    lock file cannot be read: lineage is extra, and a broken lock file is DVC's to report)."""
    try:
        rel = source.resolve().relative_to(root.resolve()).as_posix()
        stages = dvcio.read_lock(root)
    except (ValueError, dvcio.DvcError):
        return None
    for stage in stages:
        if rel in (o.path for o in stage.outs):
            deps = {d.path: d.md5 for d in stage.deps if d.md5 is not None}
            return Producer(stage.name, deps, _lock_params(stage.params))
    return None


def _lock_params(recorded: Any) -> dict[str, Scalar]:
    """A lock stage's ``params:`` ({file: {key: value}}) as scalar hyperparameters, named
    below their top-level section (``train.l2`` -> ``l2``) unless two sections share a name."""
    leaves: list[tuple[str, str, Scalar]] = []  # (short name, dotted name, value)
    for params in recorded.values() if isinstance(recorded, dict) else []:
        for key, value in params.items() if isinstance(params, dict) else []:
            for dotted, leaf in _scalar_leaves(value, str(key)):
                short = dotted.partition(".")[2] or dotted
                leaves.append((short, dotted, leaf))
    shorts = [s for s, _, _ in leaves]
    return {(s if shorts.count(s) == 1 else d): v for s, d, v in leaves}


def _scalar_leaves(value: Any, name: str) -> Iterator[tuple[str, Scalar]]:
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _scalar_leaves(inner, f"{name}.{key}")
    elif _is_scalar(value):
        yield name, value


def _is_scalar(value: Any) -> bool:
    """A hyperparameter value a manifest can hold: no list, no NaN or infinity."""
    if isinstance(value, float):
        return math.isfinite(value)
    return value is None or isinstance(value, str | int | bool)


def _params_yaml(root: Path) -> dict[str, Any]:
    path = root / "params.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        return {}
    except (yaml.YAMLError, UnicodeDecodeError, OSError) as exc:
        raise UserError(f"params.yaml: unreadable ({exc.__class__.__name__})") from None
    return data if isinstance(data, dict) else {}


def params_hyperparameters(root: Path) -> dict[str, Scalar]:
    """``params.yaml``'s ``train:`` section, scalars only (when no lock stage says more)."""
    train = _params_yaml(root).get("train", {})
    if not isinstance(train, dict):
        return {}
    return {str(k): v for k, v in train.items() if isinstance(v, str | int | float | bool)}


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return dt.date.fromisoformat(value)
    return None


def params_window(root: Path) -> tuple[dt.date, dt.date] | None:
    """``params.yaml``'s ``data.start`` and ``data.end``, when both are dates."""
    data = _params_yaml(root).get("data", {})
    if not isinstance(data, dict):
        return None
    start, end = _as_date(data.get("start")), _as_date(data.get("end"))
    return (start, end) if start is not None and end is not None else None
