"""From per-feature statistics to verdicts: significance decides, effect size qualifies.

* A feature with fewer than ``min_samples`` non-missing values on either side is
  ``insufficient data``: no verdict, and it is not part of the family of tests.
* The tested features' p-values (and the multivariate test's, when it runs) are adjusted
  as one family with :func:`~galfriday_gitops.stats.multitest.adjust_p_values`.
* A feature is ``drifted`` when its adjusted p-value is below its test's ``alpha`` AND
  every effect size given a minimum reaches it. A p-value that is not a finite number is
  ``not computable`` (never significant).
* The dataset is drifted when the share of drifted features among the tested ones
  reaches ``dataset_drift_share`` and the family rejects "nothing drifted" at its level
  (with ``correction: none`` that is Simes' test, i.e. Benjamini-Hochberg's smallest
  adjusted p-value; with a correction it already follows from one drifted feature), or
  when the multivariate test rejects after the correction. Under "nothing drifted" that
  happens with probability at most ``alpha`` (Holm and Bonferroni under any dependence,
  Benjamini-Hochberg/Simes for independent or positively dependent tests), at any n:
  ``tests/stats/test_drift_calibration.py`` simulates it, ``benchmarks/`` in full.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import TYPE_CHECKING

from galfriday_gitops.stats.drift.results import (
    DATASET_DRIFT,
    DRIFTED,
    INSUFFICIENT,
    NOT_COMPUTABLE,
    NOT_DRIFTED,
    DriftReport,
    FeatureResult,
)
from galfriday_gitops.stats.multitest import adjust_p_values

if TYPE_CHECKING:
    from galfriday_gitops.stats.drift.config import DriftConfig
    from galfriday_gitops.stats.drift.multivariate import MultivariateResult


def _too_few(feature: FeatureResult, minimum: int) -> str | None:
    for side, n in (("reference", feature.n_reference), ("current", feature.n_current)):
        if n < minimum:
            return f"{n} {side} value(s), fewer than the minimum of {minimum}"
    return None


def _status(feature: FeatureResult) -> None:
    test = feature.test
    if not test.computable:
        feature.status = NOT_COMPUTABLE
        feature.reason = f"the {test.name} p-value is not a finite number"
    elif test.alpha is None:
        feature.status = NOT_DRIFTED
        feature.reason = f"{test.name} is disabled, so nothing decides"
    elif not test.significant:
        feature.status = NOT_DRIFTED
    else:
        short = [e for e in feature.effects.values() if not e.reached]
        if short:
            e = short[0]
            feature.status = NOT_DRIFTED
            feature.reason = (
                f"{test.name} is significant but {e.name} = {e.value:.3g} is below "
                f"the required {e.minimum:g}"
            )
        else:
            feature.status = DRIFTED


def _nan_to_none(x: float) -> float | None:
    return x if math.isfinite(x) else None


def _dataset(
    tested: Sequence[FeatureResult], mv: MultivariateResult | None, cfg: DriftConfig
) -> tuple[bool, float, float | None]:
    """(dataset drift, share of drifted tested features, the family's p-value)."""
    p_values = [f.test.p_value for f in tested] + ([mv.p_value] if mv is not None else [])
    # The family's test of "nothing drifted": the correction itself, Simes' without one.
    gate = adjust_p_values(p_values, "fdr_bh" if cfg.correction == "none" else cfg.correction)
    alphas = [f.test.alpha for f in tested] + ([mv.alpha] if mv is not None else [])
    rejects = any(a is not None and g < a for g, a in zip(gate, alphas, strict=True))
    finite_gate = [g for g in gate if math.isfinite(g)]
    share = sum(f.drifted for f in tested) / len(tested) if tested else 0.0
    drift = bool(tested) and share >= cfg.dataset_drift_share and rejects
    drift = drift or (mv is not None and mv.drifted)
    return drift, share, min(finite_gate) if finite_gate else None


def decide(
    features: Sequence[FeatureResult], mv: MultivariateResult | None, cfg: DriftConfig
) -> DriftReport:
    """Set every feature's status and build the report (see the module docstring)."""
    for feature in features:
        reason = _too_few(feature, cfg.min_samples)
        if reason is not None:
            feature.status, feature.reason = INSUFFICIENT, reason
    tested = [f for f in features if f.tested]
    p_values = [f.test.p_value for f in tested] + ([mv.p_value] if mv is not None else [])
    adjusted = adjust_p_values(p_values, cfg.correction)
    for feature, p in zip(tested, adjusted, strict=False):
        feature.test.p_value_adjusted = _nan_to_none(p)
        _status(feature)
    if mv is not None:
        p_mv = adjusted[-1]
        mv = dataclasses.replace(mv, p_value_adjusted=p_mv, drifted=bool(p_mv <= mv.alpha))
    dataset_drift, share, global_p = _dataset(tested, mv, cfg)
    if dataset_drift:
        verdict = DATASET_DRIFT
    else:
        verdict = NOT_DRIFTED if tested or mv is not None else INSUFFICIENT
    return DriftReport(
        features={f.name: f for f in features},
        drift_share=share,
        dataset_drift=dataset_drift,
        verdict=verdict,
        correction=cfg.correction,
        dataset_drift_share=cfg.dataset_drift_share,
        global_p_value=global_p,
        min_samples=cfg.min_samples,
        multivariate=mv,
    )
