"""Multivariate drift: PCA reconstruction error with a permutation-calibrated threshold.

Per-feature tests only see marginals; a change in the dependence between features
(e.g. a correlation that flips sign while both marginals stay the same) is invisible
to them.  Here a PCA model of the reference's correlation structure is fitted, and
rows that do not follow that structure reconstruct badly.

Procedure (all sizes after subsampling to ``max_rows`` per part, seeded):

1. Rows with any NaN are dropped.  The reference is split at random into halves A and
   B; A fixes the standardisation (mean, std; a zero std becomes 1) and the PCA.
2. Keep the fewest leading components explaining at least ``variance_explained`` of
   A's variance (or exactly ``n_components``), never all ``d`` of them, since a full
   basis reconstructs everything perfectly.
3. A row's error is its mean squared residual per feature after projecting onto the
   kept components.  The statistic is the mean error over the current rows.
4. Calibration: B and the current rows are exchangeable under "no drift" and both are
   independent of A, so a permutation test on the pooled errors is exact.  With
   ``n_permutations = 499`` and ``alpha = 0.05`` the test flags when the current mean
   error exceeds the 25th largest permuted mean (``threshold``), i.e. p <= alpha
   where ``p = (1 + #{permuted >= observed}) / (1 + n_permutations)``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from galfriday_gitops.stats.errors import DriftDataError

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class MultivariateConfig:
    """Settings of :func:`pca_reconstruction_drift` (see the module docstring)."""

    variance_explained: float = 0.9
    n_components: int | None = None
    alpha: float = 0.05
    n_permutations: int = 499
    max_rows: int = 20_000
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.variance_explained <= 1.0:
            raise ValueError("variance_explained must lie in (0, 1]")
        if not 0.0 < self.alpha < 1.0:
            raise ValueError("alpha must lie in (0, 1)")
        if math.floor(self.alpha * (self.n_permutations + 1)) < 1:
            raise ValueError("n_permutations too small for alpha (need >= 1/alpha - 1)")


@dataclass(frozen=True)
class MultivariateResult:
    """Outcome of the multivariate test; ``drifted`` iff its p-value is at most ``alpha``.

    In a drift analysis the p-value joins the features' family, so ``p_value_adjusted``
    (and ``drifted``) are those after the correction across features.
    ``n_reference`` / ``n_current`` count complete (NaN-free) rows before subsampling.
    """

    statistic: float
    threshold: float
    p_value: float
    drifted: bool
    n_components: int
    explained_variance: float
    reference_error: float
    features: list[str]
    n_reference: int
    n_current: int
    alpha: float = 0.05
    p_value_adjusted: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": "pca_reconstruction",
            "statistic": _finite(self.statistic),
            "threshold": _finite(self.threshold),
            "p_value": self.p_value,
            "p_value_adjusted": self.p_value_adjusted,
            "alpha": self.alpha,
            "drifted": self.drifted,
            "n_components": self.n_components,
            "explained_variance": _finite(self.explained_variance),
            "reference_error": _finite(self.reference_error),
            "features": list(self.features),
            "n_reference": self.n_reference,
            "n_current": self.n_current,
        }


def _finite(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def _complete_rows(x: npt.ArrayLike, side: str) -> FloatArray:
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim != 2:
        raise DriftDataError(f"multivariate {side} data must be 2-D (rows x features)")
    arr = arr[~np.isnan(arr).any(axis=1)]
    if arr.shape[0] < 4:
        raise DriftDataError(f"multivariate {side} data has fewer than 4 complete rows")
    return arr


def _subsample(x: FloatArray, k: int, rng: np.random.Generator) -> FloatArray:
    if x.shape[0] <= k:
        return x
    return x[rng.choice(x.shape[0], size=k, replace=False)]


def pca_reconstruction_drift(
    reference: npt.ArrayLike,
    current: npt.ArrayLike,
    *,
    config: MultivariateConfig | None = None,
    features: Sequence[str] | None = None,
) -> MultivariateResult:
    """Detect a change in the joint distribution of numeric features.

    ``reference`` and ``current`` are 2-D arrays with the same columns (at least two).
    """
    cfg = config or MultivariateConfig()
    ref = _complete_rows(reference, "reference")
    cur = _complete_rows(current, "current")
    d = ref.shape[1]
    if d < 2 or cur.shape[1] != d:
        raise DriftDataError("multivariate drift needs the same >= 2 columns on both sides")
    # Standardising is scale-free: a power of two per column (exact) keeps 1e200 data finite.
    largest = np.maximum(np.abs(ref).max(axis=0), np.abs(cur).max(axis=0))
    scale = np.exp2(np.floor(np.log2(np.where(largest > 0, largest, 1.0))))
    ref, cur = ref / scale, cur / scale
    rng = np.random.default_rng(cfg.seed)
    perm = rng.permutation(ref.shape[0])
    half = ref.shape[0] // 2
    fit = _subsample(ref[perm[:half]], cfg.max_rows, rng)
    calib = _subsample(ref[perm[half:]], cfg.max_rows, rng)
    n_current = cur.shape[0]
    cur = _subsample(cur, cfg.max_rows, rng)

    mean = fit.mean(axis=0)
    std = fit.std(axis=0)
    std[std == 0.0] = 1.0
    z_fit = (fit - mean) / std
    _, sing, vt = np.linalg.svd(z_fit, full_matrices=False)
    var = sing**2
    ratio = np.cumsum(var) / var.sum() if var.sum() > 0 else np.ones_like(var)
    if cfg.n_components is not None:
        k = cfg.n_components
    else:
        k = int(np.searchsorted(ratio, cfg.variance_explained - 1e-12) + 1)
    k = max(1, min(k, d - 1))
    basis = vt[:k].T

    def errors(x: FloatArray) -> FloatArray:
        z = (x - mean) / std
        resid = z - (z @ basis) @ basis.T
        out: FloatArray = np.mean(resid**2, axis=1)
        return out

    e_calib = errors(calib)
    e_cur = errors(cur)
    observed = float(e_cur.mean())
    pooled = np.concatenate([e_calib, e_cur])
    m = e_cur.size
    null = np.empty(cfg.n_permutations, dtype=np.float64)
    for i in range(cfg.n_permutations):
        null[i] = pooled[rng.permutation(pooled.size)[:m]].mean()
    n_exceed = int(np.sum(null >= observed))
    p_value = (1 + n_exceed) / (1 + cfg.n_permutations)
    # p <= alpha  <=>  at most r - 1 permuted means reach the observed one, r = floor(alpha (B+1))
    r = math.floor(cfg.alpha * (cfg.n_permutations + 1))
    threshold = float(np.sort(null)[::-1][r - 1])
    return MultivariateResult(
        statistic=observed,
        threshold=threshold,
        p_value=p_value,
        drifted=p_value <= cfg.alpha,
        n_components=k,
        explained_variance=float(ratio[k - 1]),
        reference_error=float(e_calib.mean()),
        features=list(features) if features is not None else [f"x{i}" for i in range(d)],
        n_reference=int(ref.shape[0]),
        n_current=int(n_current),
        alpha=cfg.alpha,
    )
