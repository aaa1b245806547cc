"""Which versions match: stage, labels, tags, metric expressions, sorted by a metric.

Answered from the loaded index (stage) and each manifest's validated JSON (labels, tags,
metrics) — the cached payload — so ``gfops ls`` builds no pydantic object; the Python API
(:meth:`galfriday_gitops.registry.Registry.find`) builds them for what it returns.

Metric expressions are parsed, never evaluated: ``SPLIT.METRIC OP NUMBER`` with SPLIT
``validation`` or ``test`` and OP one of ``>= <= > < == !=`` (``test.accuracy>=0.8``). A
version without that metric does not match; sorted by a metric, it comes last.
"""

from __future__ import annotations

import difflib
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING, Any

from galfriday_gitops.semver import Version
from galfriday_gitops.stages import ModelStage

if TYPE_CHECKING:
    from galfriday_gitops.load.entry import Entry
    from galfriday_gitops.load.state import RegistryState

Manifest = dict[str, Any]  # a version's validated manifest as JSON data (camelCase keys)


class QueryError(ValueError):
    """A filter or sort key that cannot be read; the message names it and the syntax."""


_METRIC = r"(validation|test)\.([A-Za-z0-9][A-Za-z0-9_.-]{0,63})"
_CONDITION = re.compile(
    rf"\s*{_METRIC}\s*(>=|<=|==|!=|>|<)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*"
)
_SORT = re.compile(_METRIC)
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}


def metric(manifest: Mapping[str, Any], split: str, name: str) -> float | None:
    """``spec.metrics.<split>.<name>`` of a manifest, None when it has none."""
    value = manifest.get("spec", {}).get("metrics", {}).get(split, {}).get(name)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


@dataclass(frozen=True, slots=True)
class Condition:
    """``test.accuracy >= 0.8``, parsed."""

    split: str
    metric: str
    op: str
    value: float

    @property
    def ref(self) -> str:
        return f"{self.split}.{self.metric}"

    def holds(self, manifest: Mapping[str, Any]) -> bool:
        found = metric(manifest, self.split, self.metric)
        return found is not None and _OPS[self.op](found, self.value)


def parse_where(text: str) -> Condition:
    """``"test.accuracy>=0.8"`` -> Condition; QueryError naming the expression otherwise."""
    m = _CONDITION.fullmatch(text)
    if m is None:
        raise QueryError(
            f"bad metric expression {text!r}: expected SPLIT.METRIC OP NUMBER, e.g. "
            "'test.accuracy>=0.8' (SPLIT: validation or test; OP: >= <= > < == !=)"
        )
    return Condition(m[1], m[2], m[3], float(m[4]))


def parse_sort(text: str) -> tuple[str, str]:
    """``"test.accuracy"`` -> ("test", "accuracy")."""
    m = _SORT.fullmatch(text.strip())
    if m is None:
        raise QueryError(
            f"bad sort key {text!r}: expected SPLIT.METRIC, e.g. 'test.accuracy' "
            "(SPLIT: validation or test)"
        )
    return m[1], m[2]


@dataclass(frozen=True)
class Query:
    """What ``gfops ls`` and ``Registry.find`` ask; every filter must hold (AND).

    ``stages``, ``tags``: any of them; ``labels``: every key=value; ``models``: name globs.
    """

    models: Sequence[str] = ()
    stages: Sequence[ModelStage | str] = ()
    labels: Mapping[str, str] = field(default_factory=dict)
    tags: Sequence[str] = ()
    where: Sequence[str] = ()
    sort: str | None = None
    descending: bool = False

    def metric_refs(self) -> list[str]:
        """The metrics this query names (sort key first), e.g. to show them as columns."""
        refs = [".".join(parse_sort(self.sort))] if self.sort else []
        return list(dict.fromkeys([*refs, *(parse_where(w).ref for w in self.where)]))


@dataclass(frozen=True, slots=True)
class Row:
    """One matching version: where it lives and its manifest as data."""

    name: str
    version: str
    stage: str
    path: str
    manifest: Manifest


def _stages(stages: Iterable[ModelStage | str]) -> set[str]:
    out = set()
    for stage in stages:
        try:
            out.add(ModelStage(stage).value)
        except ValueError:
            valid = [s.value for s in ModelStage]
            close = difflib.get_close_matches(str(stage).lower(), valid, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise QueryError(f"unknown stage {stage!r}{hint}; stages: {', '.join(valid)}") from None
    return out


def _matches(manifest: Manifest, query: Query, conditions: list[Condition]) -> bool:
    labels = manifest.get("metadata", {}).get("labels") or {}
    if any(labels.get(k) != v for k, v in query.labels.items()):
        return False
    tags = manifest.get("spec", {}).get("tags") or []
    if query.tags and not any(t in tags for t in query.tags):
        return False
    return all(c.holds(manifest) for c in conditions)


def _candidates(state: RegistryState, query: Query) -> list[Entry]:
    """Versions that pass the filters the index answers (name, stage): no payload read."""
    stages = _stages(query.stages)
    out = []
    for name in state.models():
        if query.models and not any(fnmatchcase(name, g) for g in query.models):
            continue
        for entry in state.entries_of(name):
            assert entry.index is not None
            if not stages or entry.index[3] in stages:
                out.append(entry)
    return out


def run(state: RegistryState, query: Query) -> list[Row]:
    """The versions of ``state`` that match ``query``, in name and SemVer order or by a metric."""
    conditions = [parse_where(w) for w in query.where]
    key = parse_sort(query.sort) if query.sort else None
    candidates = _candidates(state, query)
    state.fetch_payloads(candidates)
    rows = []
    for entry in candidates:
        data = entry.data
        assert entry.index is not None
        if data is not None and _matches(data, query, conditions):
            _, name, version, stage = entry.index
            rows.append(Row(name, version, stage, entry.path, data))
    if key is not None:
        rows = _sorted(rows, key, query.descending)
    return rows


def _sorted(rows: list[Row], key: tuple[str, str], descending: bool) -> list[Row]:
    """By the metric (ties: name, version); versions without it last either way."""
    have = [r for r in rows if metric(r.manifest, *key) is not None]
    lack = [r for r in rows if metric(r.manifest, *key) is None]
    have.sort(key=lambda r: (r.name, Version(r.version)))
    have.sort(key=lambda r: metric(r.manifest, *key) or 0.0, reverse=descending)
    return have + lack


def unknown_model(name: str, known: Sequence[str], at: str) -> str:
    """The message for a model name that does not exist (close matches first)."""
    close = difflib.get_close_matches(name, known, n=3)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}? " if close else ""
    shown = ", ".join(known[:10]) + (f", ... ({len(known)} in all)" if len(known) > 10 else "")
    return f"no model {name!r} at {at}; {hint}models: {shown or 'none'}"
