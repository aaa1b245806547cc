"""The latest drift and lifecycle reports, read from files the scheduled jobs wrote.

Drift results and inference-log health are not in git (the data lives in DVC and the logs
wherever the service writes them), so the site shows them only when given a folder
(``gfops site --reports DIR``) holding the jobs' JSON output as is:

* ``drift.json``: ``gfops drift --all --format json`` (``{"models": {...}, "errors": [...]}``)
  or ``gfops drift --model NAME --format json`` (one model's document);
* ``lifecycle.json``: ``gfops lifecycle --format json``.

Either file may be missing (the site then says so). A file that is there but is not such
a document is a clear error naming the file and the field, never a half-rendered page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from galfriday_gitops.errors import UserError
from galfriday_gitops.fsutil import not_a_regular_file

DRIFT_FILE = "drift.json"
LIFECYCLE_FILE = "lifecycle.json"
MAX_REPORT_BYTES = 64 << 20


class ReportError(UserError):
    """A report file that is not what ``gfops drift``/``gfops lifecycle`` write."""


@dataclass(frozen=True, slots=True)
class TestOutcome:
    name: str
    statistic: float | None
    p_value: float | None  # adjusted when the report has it
    threshold: float | None
    drifted: bool


@dataclass(frozen=True, slots=True)
class FeatureDrift:
    name: str
    kind: str
    drifted: bool
    n_reference: int | None
    n_current: int | None
    tests: tuple[TestOutcome, ...]


@dataclass(frozen=True, slots=True)
class MetricChange:
    name: str
    baseline: float | None
    current: float | None
    drifted: bool


@dataclass(frozen=True, slots=True)
class DriftSummary:
    """One model's drift run, as ``gfops drift`` reported it."""

    model: str
    drifted: bool
    dataset_drift: bool
    drift_share: float | None
    threshold_share: float | None
    features: tuple[FeatureDrift, ...]
    performance: tuple[MetricChange, ...]
    inputs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EndOfLifeRow:
    model: str
    version: str
    end_of_life: str | None
    days_left: int | None
    level: str


@dataclass(frozen=True, slots=True)
class HealthRow:
    model: str
    version: str
    stage: str | None
    severity: str
    status: str
    requests: int | None
    error_rate: float | None
    p95_ms: float | None
    p99_ms: float | None


@dataclass(frozen=True, slots=True)
class ActionRow:
    kind: str
    model: str
    version: str
    detail: str
    number: int | None
    done: bool


@dataclass(frozen=True, slots=True)
class LifecycleSummary:
    """``gfops lifecycle``'s report: end of life, inference health, actions."""

    today: str
    commit: str
    critical: bool
    end_of_life: tuple[EndOfLifeRow, ...]
    health: tuple[HealthRow, ...]
    actions: tuple[ActionRow, ...]


@dataclass(frozen=True, slots=True)
class Reports:
    """What ``--reports DIR`` held (nothing when no folder was given)."""

    folder: str | None = None
    drift: tuple[DriftSummary, ...] | None = None
    drift_errors: tuple[str, ...] = ()
    lifecycle: LifecycleSummary | None = None


# ---------------------------------------------------------------- reading


class _Doc:
    """Typed access to a JSON document, with errors that name the file and the field."""

    def __init__(self, file: str, value: Any, where: str = "") -> None:
        self.file, self.value, self.where = file, value, where

    def fail(self, expected: str) -> ReportError:
        at = self.where or "the document"
        return ReportError(f"{self.file}: {at}: expected {expected}")

    def obj(self) -> Mapping[str, Any]:
        if not isinstance(self.value, dict):
            raise self.fail("an object")
        return self.value

    def __getitem__(self, key: str) -> _Doc:
        mapping = self.obj()
        where = f"{self.where}.{key}" if self.where else key
        return _Doc(self.file, mapping.get(key), where)

    def items(self) -> list[tuple[str, _Doc]]:
        return [(k, self[k]) for k in self.obj()]

    def array(self) -> list[_Doc]:
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.fail("a list")
        return [_Doc(self.file, v, f"{self.where}[{i}]") for i, v in enumerate(self.value)]

    def text(self) -> str:
        if not isinstance(self.value, str):
            raise self.fail("a string")
        return self.value

    def opt_text(self) -> str | None:
        return None if self.value is None else self.text()

    def flag(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.fail("true or false")
        return self.value

    def number(self) -> float | None:
        if self.value is None:
            return None
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise self.fail("a number")
        return float(self.value)

    def integer(self) -> int | None:
        if self.value is None:
            return None
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.fail("an integer")
        return self.value


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _load(path: Path) -> _Doc:
    problem = not_a_regular_file(path)
    if problem is not None:
        raise ReportError(f"{path}: {problem}")
    if path.stat().st_size > MAX_REPORT_BYTES:
        raise ReportError(f"{path}: larger than {MAX_REPORT_BYTES >> 20} MiB")
    try:
        value = json.loads(path.read_bytes(), parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: not valid JSON: {exc}") from None
    return _Doc(str(path), value)


def _feature(name: str, doc: _Doc) -> FeatureDrift:
    # The test that decides (KS or chi-square), then the effect sizes reported beside it;
    # an effect size "fires" when the policy requires it and it was reached.
    tests = []
    for test, t in sorted(doc["test"].items()):
        p = t["p_value_adjusted"].number()
        tests.append(
            TestOutcome(
                test,
                t["statistic"].number(),
                p if p is not None else t["p_value"].number(),
                t["alpha"].number(),
                t["significant"].flag(),
            )
        )
    for effect, e in sorted(doc["effect_sizes"].items()):
        minimum = e["min"].number()
        tests.append(
            TestOutcome(
                effect,
                e["value"].number(),
                None,
                minimum,
                minimum is not None and e["reached"].flag(),
            )
        )
    return FeatureDrift(
        name,
        doc["kind"].text(),
        doc["drifted"].flag(),
        doc["n_reference"].integer(),
        doc["n_current"].integer(),
        tuple(tests),
    )


def _drift_run(doc: _Doc) -> DriftSummary:
    performance = []
    if doc["performance"].value is not None:
        for name, m in sorted(doc["performance"]["metrics"].items()):
            performance.append(
                MetricChange(
                    name, m["baseline"].number(), m["current"].number(), m["drifted"].flag()
                )
            )
    inputs = doc["inputs"]
    return DriftSummary(
        model=doc["model"].text(),
        drifted=doc["drifted"].flag(),
        dataset_drift=doc["dataset_drift"].flag(),
        drift_share=doc["drift_share"].number(),
        threshold_share=doc["threshold_share"].number(),
        features=tuple(_feature(n, f) for n, f in doc["features"].items()),
        performance=tuple(performance),
        inputs=tuple(
            s for s in (inputs["reference"].opt_text(), inputs["current"].opt_text()) if s
        ),
    )


def read_drift(path: Path) -> tuple[tuple[DriftSummary, ...], tuple[str, ...]]:
    """Every model's run in a ``gfops drift --format json`` document, by model name."""
    doc = _load(path)
    if "models" in doc.obj():
        runs = [_drift_run(d) for _, d in doc["models"].items()]
        errors = tuple(e.text() for e in doc["errors"].array())
    elif "model" in doc.obj():
        runs, errors = [_drift_run(doc)], ()
    else:
        raise doc.fail('the output of gfops drift --format json ("models" or "model")')
    return tuple(sorted(runs, key=lambda r: r.model)), errors


def read_lifecycle(path: Path) -> LifecycleSummary:
    """A ``gfops lifecycle --format json`` document."""
    doc = _load(path)
    eol = tuple(
        EndOfLifeRow(
            e["model"].text(),
            e["version"].text(),
            e["endOfLife"].opt_text(),
            e["daysLeft"].integer(),
            e["level"].text(),
        )
        for e in doc["endOfLife"].array()
    )
    health: list[HealthRow] = []
    if doc["inference"].value is not None:
        for v in doc["inference"]["versions"].array():
            stats = v["stats"]
            has = stats.value is not None
            health.append(
                HealthRow(
                    v["model"].text(),
                    v["version"].text(),
                    v["stage"].opt_text(),
                    v["severity"].text(),
                    v["status"].text(),
                    v["requests"].integer(),
                    stats["errorRate"].number() if has else None,
                    stats["latencyMs"]["p95"].number() if has else None,
                    stats["latencyMs"]["p99"].number() if has else None,
                )
            )
    actions = tuple(
        ActionRow(
            a["kind"].text(),
            a["model"].text(),
            a["version"].text(),
            a["detail"].text(),
            a["number"].integer(),
            a["done"].flag(),
        )
        for a in doc["actions"].array()
    )
    return LifecycleSummary(
        today=doc["today"].text(),
        commit=doc["commit"].text(),
        critical=doc["critical"].flag(),
        end_of_life=eol,
        health=tuple(health),
        actions=actions,
    )


def read_reports(folder: Path | None) -> Reports:
    """The reports in ``folder`` (each file optional); nothing when ``folder`` is None."""
    if folder is None:
        return Reports()
    if folder.is_symlink() or not folder.is_dir():
        raise ReportError(f"--reports {folder}: not a directory")
    drift: tuple[DriftSummary, ...] | None = None
    errors: tuple[str, ...] = ()
    if (folder / DRIFT_FILE).exists() or (folder / DRIFT_FILE).is_symlink():
        drift, errors = read_drift(folder / DRIFT_FILE)
    lifecycle = None
    if (folder / LIFECYCLE_FILE).exists() or (folder / LIFECYCLE_FILE).is_symlink():
        lifecycle = read_lifecycle(folder / LIFECYCLE_FILE)
    return Reports(str(folder), drift, errors, lifecycle)
