"""Run a DriftPolicy: policy -> DriftConfig -> ``analyze`` -> verdict, then its action.

Where things come from:

* the policy, and the production manifest that holds the performance baseline, are read
  from a git revision (``--rev``, default HEAD), like every other registry read;
* the data it names (``spec.reference``, ``spec.current``) is read from the work tree,
  and pulled through DVC when it is missing (:func:`galfriday_gitops.data.read_table`).

The verdict is *drifted* when the dataset-level data drift verdict is true
(:mod:`galfriday_gitops.stats.drift`, multivariate test included when the policy asks for
it), when the performance check finds a metric that fell by more than
``performance.maxDrop`` below the production manifest's ``spec.metrics.test.<metric>``
(:mod:`galfriday_gitops.monitor.performance`), or when a streaming detector alarms on the
production version's error stream (:mod:`galfriday_gitops.monitor.error_stream`).

Bad data (missing column, wrong type, empty, all-NaN) raises :class:`UserError` with one
line naming the file or the column: the CLI turns it into exit 2.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import pandas as pd

from galfriday_gitops.data import read_table
from galfriday_gitops.errors import UserError
from galfriday_gitops.monitor.distributions import Distribution, distributions
from galfriday_gitops.monitor.error_stream import ErrorStreamResult, check_error_stream
from galfriday_gitops.monitor.performance import performance
from galfriday_gitops.progress import Progress as BaseProgress
from galfriday_gitops.resources import (
    DriftAction,
    DriftPolicy,
    DriftPolicySpec,
    ModelStage,
)
from galfriday_gitops.stats.drift import (
    CategoricalTestsConfig,
    DriftConfig,
    DriftDataError,
    DriftReport,
    MultivariateConfig,
    NumericTestsConfig,
    analyze,
    infer_kinds,
)
from galfriday_gitops.stats.metrics import PerformanceDrift

if TYPE_CHECKING:
    from galfriday_gitops.load.state import RegistryState

#: Inputs with more rows than this get progress lines on stderr.
LARGE_ROWS = 1_000_000
#: Columns of the current data that, when present, hold the serving model's output.
PREDICTION_COLUMN = "prediction"
SCORE_COLUMN = "score"
PERFORMANCE_METRICS = ("accuracy", "f1", "auc")


class Progress(BaseProgress):
    """Progress lines on stderr (``[drift 3.2s] analysing 20 features``) when enabled.

    ``enabled=None`` means "decide from the data": lines start once an input has more
    than :data:`LARGE_ROWS` rows, so small runs stay quiet.
    """

    def __init__(self, enabled: bool | None = None, stream: TextIO | None = None) -> None:
        super().__init__("drift", enabled, stream)

    @property
    def on(self) -> bool:
        return bool(self.enabled)

    def rows(self, n: int) -> None:
        """Turn progress on for a large input unless the caller decided already."""
        if self.enabled is None and n > LARGE_ROWS:
            self.enabled = True


@dataclass
class DriftRun:
    """One drift analysis: the statistics report, the performance check and the inputs."""

    name: str
    reference: str
    current: str
    report: DriftReport
    distributions: dict[str, Distribution]
    policy: DriftPolicy | None = None
    performance: PerformanceDrift | None = None
    error_stream: ErrorStreamResult | None = None
    notes: list[str] = field(default_factory=list)
    elapsed_s: float = 0.0
    reference_rows: int | None = None  # rows read, before missing values are dropped
    current_rows: int | None = None
    version: str | None = None  # the monitored (production) version, for a policy run
    generated_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))

    @property
    def drifted(self) -> bool:
        """Data drift at dataset level, a performance drop beyond ``maxDrop``, or an alarm
        on the error stream."""
        perf = self.performance is not None and self.performance.drifted
        stream = self.error_stream is not None and self.error_stream.drifted
        return self.report.dataset_drift or perf or stream

    @property
    def action(self) -> DriftAction:
        return self.policy.spec.on_drift if self.policy is not None else DriftAction.REPORT

    def to_dict(self) -> dict[str, Any]:
        """``DriftReport.to_dict()`` plus the run's context (model, inputs, performance)."""
        out: dict[str, Any] = {"model": self.name, "drifted": self.drifted}
        out.update(self.report.to_dict())
        out["performance"] = self.performance.to_dict() if self.performance else None
        out["error_stream"] = self.error_stream.to_dict() if self.error_stream else None
        out["inputs"] = {
            "reference": self.reference,
            "current": self.current,
            "reference_rows": self.reference_rows,
            "current_rows": self.current_rows,
        }
        out["version"] = self.version
        out["generated_at"] = self.generated_at.isoformat(timespec="seconds")
        out["notes"] = [*self.report.notes, *self.notes]
        if self.policy is not None:
            out["on_drift"] = self.policy.spec.on_drift.value
        return out


def config_from_policy(spec: DriftPolicySpec) -> DriftConfig:
    """The statistics configuration of a policy (tests, effect sizes, correction, share).

    A test given as ``null`` in the policy stays in the report but decides nothing.
    """
    num, cat = spec.tests.numeric, spec.tests.categorical
    mv = spec.multivariate
    return DriftConfig(
        numeric=NumericTestsConfig(
            ks_alpha=num.ks.alpha if num.ks else None,
            wasserstein_min=num.wasserstein.min if num.wasserstein else None,
            psi_min=num.psi.min if num.psi else None,
        ),
        categorical=CategoricalTestsConfig(
            chi2_alpha=cat.chi2.alpha if cat.chi2 else None,
            jensenshannon_min=cat.jensenshannon.min if cat.jensenshannon else None,
        ),
        correction=spec.correction.method,
        dataset_drift_share=spec.dataset_drift.share,
        min_samples=spec.min_samples,
        multivariate=None
        if mv is None
        else MultivariateConfig(
            variance_explained=mv.variance_explained,
            alpha=mv.alpha,
            n_permutations=mv.permutations,
            seed=mv.seed,
        ),
    )


def _require_rows(df: pd.DataFrame, path: str) -> None:
    if len(df) == 0:
        raise UserError(f"{path}: no rows (empty data cannot be compared)")


def _analyze(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: Sequence[str],
    categorical: Sequence[str],
    config: DriftConfig,
    paths: tuple[str, str],
) -> DriftReport:
    try:
        return analyze(
            reference, current, numeric=list(numeric), categorical=list(categorical), config=config
        )
    except DriftDataError as exc:
        # The statistics name the column and the side; add which files those sides are.
        raise UserError(f"{exc} (reference {paths[0]}, current {paths[1]})") from None


def run_adhoc(
    reference: str | Path,
    current: str | Path,
    *,
    numeric: Sequence[str] = (),
    categorical: Sequence[str] = (),
    config: DriftConfig | None = None,
    progress: Progress | None = None,
) -> DriftRun:
    """Compare two files with default thresholds; kinds come from :func:`infer_kinds`.

    Columns named in ``numeric`` / ``categorical`` are taken as told; the rest are
    inferred (strings and low-cardinality integers categorical, other numbers numeric);
    columns of other dtypes (timestamps) are skipped and listed in ``notes``.
    """
    progress = progress or Progress()
    cfg = config or DriftConfig()
    t0 = time.perf_counter()
    ref_path, cur_path = str(reference), str(current)
    progress.step(f"reading {ref_path}")
    ref = read_table(reference)
    progress.rows(len(ref))
    progress.step(f"reading {cur_path}")
    cur = read_table(current)
    progress.rows(len(cur))
    _require_rows(ref, ref_path)
    _require_rows(cur, cur_path)
    both = set(numeric) & set(categorical)
    if both:
        raise UserError(f"column(s) given as both --numeric and --categorical: {sorted(both)}")
    for col in [*numeric, *categorical]:
        if col not in ref.columns:
            raise UserError(f"{ref_path}: column {col!r} is missing (columns: {_cols(ref)})")
    kinds = infer_kinds(
        ref, max_int_categories=cfg.max_int_categories, numeric=numeric, categorical=categorical
    )
    notes = [f"column {c!r} skipped (dtype {ref[c].dtype} is not analysed)" for c in kinds.ignored]
    progress.step(
        f"analysing {len(kinds.numeric) + len(kinds.categorical)} features, "
        f"{len(ref):,} reference and {len(cur):,} current rows"
    )
    report = _analyze(ref, cur, kinds.numeric, kinds.categorical, cfg, (ref_path, cur_path))
    progress.step("histograms for the report")
    dists = distributions(ref, cur, report)
    progress.step("done")
    return DriftRun(
        name="ad hoc",
        reference=ref_path,
        current=cur_path,
        report=report,
        distributions=dists,
        notes=notes,
        elapsed_s=time.perf_counter() - t0,
        reference_rows=len(ref),
        current_rows=len(cur),
    )


def _cols(df: pd.DataFrame) -> str:
    names = [str(c) for c in df.columns]
    return ", ".join(names[:20]) + (", ..." if len(names) > 20 else "")


def run_policy(
    root: Path,
    policy: DriftPolicy,
    state: RegistryState,
    *,
    progress: Progress | None = None,
) -> DriftRun:
    """Run one policy against the data in ``root``'s work tree (DVC-fetched if missing)."""
    progress = progress or Progress()
    spec = policy.spec
    cfg = config_from_policy(spec)
    t0 = time.perf_counter()
    numeric, categorical = list(spec.features.numeric), list(spec.features.categorical)
    features = [*numeric, *categorical]
    if not features:
        raise UserError(f"drift policy {policy.metadata.name}: spec.features lists no feature")
    progress.step(f"reading {spec.reference}")
    ref = read_table(spec.reference, repo=root, columns=features)
    progress.rows(len(ref))
    progress.step(f"reading {spec.current}")
    # The current data may carry labels (and predictions) for the performance check.
    cur = read_table(spec.current, repo=root, columns=None if spec.performance else features)
    progress.rows(len(cur))
    _require_rows(ref, spec.reference)
    _require_rows(cur, spec.current)
    progress.step(
        f"{spec.model}: analysing {len(features)} features, "
        f"{len(ref):,} reference and {len(cur):,} current rows"
    )
    report = _analyze(ref, cur, numeric, categorical, cfg, (spec.reference, spec.current))
    notes: list[str] = []
    perf = None
    if spec.performance is not None:
        progress.step(f"{spec.model}: performance against the production baseline")
        perf = performance(root, state, spec, cur, notes)
    production = state.latest(spec.model, ModelStage.PRODUCTION)
    version = production.metadata.version if production is not None else None
    stream = None
    if spec.error_stream is not None:
        progress.step(f"{spec.model}: streaming detectors on the error stream")
        stream = check_error_stream(root, spec.error_stream, spec.model, version)
    progress.step("histograms for the report")
    dists = distributions(ref, cur, report)
    progress.step("done")
    return DriftRun(
        name=spec.model,
        reference=spec.reference,
        current=spec.current,
        report=report,
        distributions=dists,
        policy=policy,
        performance=perf,
        error_stream=stream,
        notes=notes,
        elapsed_s=time.perf_counter() - t0,
        reference_rows=len(ref),
        current_rows=len(cur),
        version=version,
    )
