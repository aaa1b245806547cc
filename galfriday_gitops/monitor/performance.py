"""Performance drift of the production version: its test metric on today's labelled data.

The current data needs the label column the policy names (``performance.labels``). The
model's output comes from a ``prediction`` column (and ``score``, the probability of the
positive class, for ``auc``) when the current data has one -- what a serving system logs.
Without it the production artifact is scored, but only after its bytes matched the
manifest's md5 and SHA-256, and only when it is a format read without executing code
(:mod:`galfriday_gitops.monitor.model`; the columns it needs are its features). Anything
else is reported as "performance not checked" with the reason, never guessed. The metric
(``accuracy``, ``f1`` or ``auc``, :mod:`galfriday_gitops.stats.metrics`) is compared
with the production manifest's ``spec.metrics.test.<metric>``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from galfriday_gitops import dvcio
from galfriday_gitops.errors import UserError
from galfriday_gitops.resources import DriftPolicySpec, ModelStage, ModelVersion
from galfriday_gitops.stats.errors import DriftDataError
from galfriday_gitops.stats.metrics import PerformanceDrift, performance_drift

if TYPE_CHECKING:
    from galfriday_gitops.load.state import RegistryState

__all__ = ["PERFORMANCE_METRICS", "PREDICTION_COLUMN", "SCORE_COLUMN", "performance"]

#: Columns of the current data that, when present, hold the serving model's output.
PREDICTION_COLUMN = "prediction"
SCORE_COLUMN = "score"
PERFORMANCE_METRICS = ("accuracy", "f1", "auc")


def performance(
    root: Path,
    state: RegistryState,
    spec: DriftPolicySpec,
    cur: pd.DataFrame,
    notes: list[str],
) -> PerformanceDrift | None:
    """The performance check of ``spec`` on ``cur``; None (and a note) when it cannot run."""
    perf = spec.performance
    assert perf is not None
    skip = "performance not checked: "
    if perf.metric not in PERFORMANCE_METRICS:
        notes.append(
            skip + f"metric {perf.metric!r} is not one of {', '.join(PERFORMANCE_METRICS)}"
        )
        return None
    if perf.labels not in cur.columns:
        notes.append(skip + f"the current data has no label column {perf.labels!r}")
        return None
    production = state.latest(spec.model, ModelStage.PRODUCTION)
    if production is None:
        notes.append(skip + f"{spec.model} has no production version (no baseline)")
        return None
    baseline = production.spec.metrics.test.get(perf.metric)
    if baseline is None:
        notes.append(
            skip + f"{production.ref} has no spec.metrics.test.{perf.metric} (no baseline)"
        )
        return None
    labelled = cur[cur[perf.labels].notna()]
    if len(labelled) == 0:
        notes.append(skip + f"column {perf.labels!r} is all NaN in {spec.current}")
        return None
    scores: np.ndarray[Any, np.dtype[np.float64]] | None = None
    y_pred: np.ndarray[Any, Any] | None = None
    if PREDICTION_COLUMN in labelled.columns:
        y_pred = labelled[PREDICTION_COLUMN].to_numpy()
        if SCORE_COLUMN in labelled.columns:
            scores = labelled[SCORE_COLUMN].to_numpy(dtype=np.float64)
    else:
        scorer = _production_scorer(root, production, notes)
        if scorer is None:
            return None
        try:
            scores = scorer(labelled)
        except ValueError as exc:
            notes.append(skip + f"scoring {production.ref} failed: {exc}")
            return None
    if perf.metric == "auc" and scores is None:
        notes.append(skip + f"metric auc needs a {SCORE_COLUMN!r} column")
        return None
    try:
        return performance_drift(
            labelled[perf.labels].to_numpy(),
            baseline={perf.metric: baseline},
            max_drop=perf.max_drop,
            y_pred=y_pred,
            scores=scores,
        )
    except DriftDataError as exc:
        raise UserError(f"{spec.current}: performance check: {exc}") from None


Scorer = Callable[[pd.DataFrame], "np.ndarray[Any, np.dtype[np.float64]]"]


def _production_scorer(root: Path, version: ModelVersion, notes: list[str]) -> Scorer | None:
    """A scoring function for the production artifact, or None (with a note) if unsafe."""
    skip = "performance not checked: "
    artifact = version.spec.artifacts[0]
    path = root / artifact.path
    if not path.is_file():
        dvc_file = path.with_name(path.name + ".dvc")
        if dvc_file.is_file():
            try:
                dvcio.dvc(root, "pull", f"{artifact.path}.dvc")
            except UserError as exc:
                notes.append(skip + f"{artifact.path} could not be fetched: {exc}")
                return None
        if not path.is_file():
            notes.append(skip + f"{artifact.path} is not in the work tree; add a "
                         f"{PREDICTION_COLUMN!r} column to the current data")  # fmt: skip
            return None
    # Never deserialise bytes the registry did not approve: md5 and, where the manifest
    # records it, SHA-256 (colliding md5s can be made on purpose).
    wrong = artifact.mismatch(*dvcio.md5_and_sha256(path))
    if wrong is not None:
        notes.append(skip + f"{artifact.path} does not match the {wrong[0]} in {version.ref}")
        return None
    from galfriday_gitops.monitor.model import ModelFormatError, load_model

    try:
        model = load_model(path)
    except ModelFormatError:
        notes.append(
            skip + f"{artifact.path} is not a format gfops can score; add a "
            f"{PREDICTION_COLUMN!r} column to the current data"
        )
        return None

    def score(frame: pd.DataFrame) -> np.ndarray[Any, np.dtype[np.float64]]:
        return model.predict_proba(frame)

    return score
