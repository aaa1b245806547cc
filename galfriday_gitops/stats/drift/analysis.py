"""The DataFrame front end: feature kinds, per-feature statistics, correction, verdicts."""

from __future__ import annotations

import os
import queue
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from galfriday_gitops.stats.drift.categorical import _categorical_from_counts, _value_counts
from galfriday_gitops.stats.drift.config import DriftConfig, NumericTestsConfig
from galfriday_gitops.stats.drift.multivariate import pca_reconstruction_drift
from galfriday_gitops.stats.drift.numeric import (
    NumericStats,
    _sorted_finite,
    _Workspace,
    check_span,
    numeric_stats_sorted,
)
from galfriday_gitops.stats.drift.results import (
    DriftReport,
    EffectSize,
    FeatureResult,
    SignificanceTest,
)
from galfriday_gitops.stats.drift.verdict import decide
from galfriday_gitops.stats.errors import DriftDataError

if TYPE_CHECKING:
    import pandas as pd

    from galfriday_gitops.stats.drift.multivariate import MultivariateResult


@dataclass(frozen=True)
class FeatureKinds:
    """Columns split by kind; ``ignored`` holds columns of unsupported dtype (e.g. datetimes)."""

    numeric: list[str]
    categorical: list[str]
    ignored: list[str]


def infer_kinds(
    df: pd.DataFrame,
    *,
    max_int_categories: int = 20,
    numeric: Iterable[str] = (),
    categorical: Iterable[str] = (),
) -> FeatureKinds:
    """Classify columns: strings, bools, ``category`` dtype and integers with at most
    ``max_int_categories`` distinct values are categorical, other numbers numeric.

    Columns named in ``numeric`` / ``categorical`` are taken as told.
    """
    import pandas as pd
    from pandas.api import types as pdt

    forced_num, forced_cat = set(numeric), set(categorical)
    num: list[str] = []
    cat: list[str] = []
    ignored: list[str] = []
    for col in df.columns:
        name = str(col)
        dtype = df[col].dtype
        if name in forced_num:
            num.append(name)
        elif name in forced_cat or (
            pdt.is_bool_dtype(dtype)
            or isinstance(dtype, pd.CategoricalDtype)
            or pdt.is_string_dtype(dtype)
            or pdt.is_object_dtype(dtype)
        ):
            cat.append(name)
        elif pdt.is_integer_dtype(dtype):
            nunique = int(df[col].nunique(dropna=True))
            (cat if nunique <= max_int_categories else num).append(name)
        elif pdt.is_float_dtype(dtype):
            num.append(name)
        else:
            ignored.append(name)
    return FeatureKinds(numeric=num, categorical=cat, ignored=ignored)


def _check_frame(df: Any, side: str) -> None:
    if not hasattr(df, "columns") or not hasattr(df, "__getitem__"):
        raise DriftDataError(f"{side} is not a DataFrame (got {type(df).__name__})")
    if len(df) == 0:
        raise DriftDataError(f"{side} frame is empty")


def _numeric_column(df: pd.DataFrame, col: str, side: str) -> npt.NDArray[np.float64]:
    from pandas.api import types as pdt

    if col not in df.columns:
        raise DriftDataError(f"column {col!r} is missing from the {side} frame")
    series = df[col]
    dtype = series.dtype
    if pdt.is_bool_dtype(dtype) or not pdt.is_numeric_dtype(dtype):
        raise DriftDataError(
            f"numeric feature {col!r} in {side} has non-numeric dtype {dtype}; "
            "convert it or declare it categorical"
        )
    return series.to_numpy(dtype=np.float64, na_value=np.nan)


def _numeric_feature(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    col: str,
    cfg: NumericTestsConfig,
    workspaces: queue.SimpleQueue[_Workspace],
) -> tuple[NumericStats, int, int, int, int]:
    ws = workspaces.get()
    try:
        x = _numeric_column(reference, col, "reference")
        sx, miss_x = _sorted_finite(x, col, "reference", ws, "sorted_x")
        y = _numeric_column(current, col, "current")
        sy, miss_y = _sorted_finite(y, col, "current", ws, "sorted_y")
        check_span(sx, sy, col)
        st = numeric_stats_sorted(
            sx, sy, psi_bins=cfg.psi_bins, psi_epsilon=cfg.psi_epsilon, _ws=ws
        )
        return st, sx.size, sy.size, miss_x, miss_y
    finally:
        workspaces.put(ws)


def _columns(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    numeric: Sequence[str] | None,
    categorical: Sequence[str] | None,
    cfg: DriftConfig,
) -> tuple[list[str], list[str]]:
    """The numeric and categorical features to analyse, checked on both frames."""
    _check_frame(reference, "reference")
    _check_frame(current, "current")
    if numeric is None and categorical is None:
        kinds = infer_kinds(reference, max_int_categories=cfg.max_int_categories)
        num_cols, cat_cols = kinds.numeric, kinds.categorical
    else:
        num_cols, cat_cols = list(numeric or ()), list(categorical or ())
    both = set(num_cols) & set(cat_cols)
    if both:
        raise DriftDataError(f"columns declared both numeric and categorical: {sorted(both)}")
    if not num_cols and not cat_cols:
        raise DriftDataError("no features to analyse")
    for col in [*num_cols, *cat_cols]:
        for df, side in ((reference, "reference"), (current, "current")):
            if col not in df.columns:
                raise DriftDataError(f"column {col!r} is missing from the {side} frame")
    for col in num_cols:
        _numeric_column(reference, col, "reference")
        _numeric_column(current, col, "current")
    return num_cols, cat_cols


def _numeric_results(
    reference: pd.DataFrame, current: pd.DataFrame, columns: Sequence[str], cfg: DriftConfig
) -> list[FeatureResult]:
    """Every numeric feature, in a thread pool (numpy releases the GIL while sorting)."""
    if not columns:
        return []
    ncfg = cfg.numeric
    workers = max(1, min(cfg.n_jobs or os.cpu_count() or 1, len(columns)))
    workspaces: queue.SimpleQueue[_Workspace] = queue.SimpleQueue()
    for _ in range(workers):
        workspaces.put(_Workspace())
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(_numeric_feature, reference, current, c, ncfg, workspaces) for c in columns
        ]
        numeric_out = [f.result() for f in futures]
    out = []
    for col, (st, nx, ny, mx, my) in zip(columns, numeric_out, strict=True):
        test = SignificanceTest("ks", st.ks_statistic, st.ks_p_value, ncfg.ks_alpha)
        effects = {
            "wasserstein": EffectSize(
                "wasserstein",
                st.wasserstein_normalised,
                ncfg.wasserstein_min,
                extra={"raw": st.wasserstein, "reference_std": st.reference_std},
            ),
            "psi": EffectSize(
                "psi",
                st.psi,
                ncfg.psi_min,
                extra={"bins": ncfg.psi_bins, "epsilon": ncfg.psi_epsilon},
            ),
        }
        out.append(FeatureResult(col, "numeric", test, effects, nx, ny, mx, my))
    return out


def _categorical_result(
    reference: pd.DataFrame, current: pd.DataFrame, col: str, cfg: DriftConfig
) -> FeatureResult:
    ccfg = cfg.categorical
    ref_counts, mx = _value_counts(reference[col])
    cur_counts, my = _value_counts(current[col])
    for counts, side in ((ref_counts, "reference"), (cur_counts, "current")):
        if not counts:
            raise DriftDataError(f"categorical feature {col!r} in {side} is all NaN")
    cs = _categorical_from_counts(ref_counts, cur_counts)
    test = SignificanceTest(
        "chi2", cs.chi2_statistic, cs.chi2_p_value, ccfg.chi2_alpha, extra={"dof": cs.chi2_dof}
    )
    effect = EffectSize("jensenshannon", cs.jensenshannon, ccfg.jensenshannon_min, {"base": 2})
    return FeatureResult(
        col,
        "categorical",
        test,
        {"jensenshannon": effect},
        int(cs.reference_counts.sum()),
        int(cs.current_counts.sum()),
        mx,
        my,
        unseen_categories=[str(c) for c in cs.unseen_in_reference],
        missing_categories=[str(c) for c in cs.missing_in_current],
    )


def _multivariate(
    reference: pd.DataFrame, current: pd.DataFrame, columns: list[str], cfg: DriftConfig
) -> tuple[MultivariateResult | None, str | None]:
    """The multivariate test when asked for and possible; else None and why not."""
    if cfg.multivariate is None:
        return None, None
    if len(columns) < 2:
        return None, "multivariate test skipped: it needs two numeric features or more"
    ref = np.column_stack([_numeric_column(reference, c, "reference") for c in columns])
    cur = np.column_stack([_numeric_column(current, c, "current") for c in columns])
    for side, rows in (("reference", ref), ("current", cur)):
        complete = int((~np.isnan(rows).any(axis=1)).sum())
        if complete < max(cfg.min_samples, 4):
            return None, (
                f"multivariate test: insufficient data ({complete} complete {side} rows, "
                f"fewer than the minimum of {max(cfg.min_samples, 4)})"
            )
    return pca_reconstruction_drift(ref, cur, config=cfg.multivariate, features=columns), None


def analyze(
    reference: pd.DataFrame,
    current: pd.DataFrame,
    *,
    numeric: Sequence[str] | None = None,
    categorical: Sequence[str] | None = None,
    config: DriftConfig | None = None,
) -> DriftReport:
    """Compare ``current`` with ``reference`` feature by feature.

    If neither ``numeric`` nor ``categorical`` is given, kinds come from
    :func:`infer_kinds` on the reference frame; otherwise exactly the listed columns
    are analysed.  Raises :class:`DriftDataError` for a missing column, a non-numeric
    numeric feature, an empty frame, an all-NaN column or infinite values.
    """
    cfg = config or DriftConfig()
    num_cols, cat_cols = _columns(reference, current, numeric, categorical, cfg)
    features = _numeric_results(reference, current, num_cols, cfg)
    features += [_categorical_result(reference, current, c, cfg) for c in cat_cols]
    mv, skipped = _multivariate(reference, current, num_cols, cfg)
    report = decide(features, mv, cfg)
    if skipped is not None:
        report.notes.append(skipped)
    return report
