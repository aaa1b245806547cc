"""Per-feature data drift between a reference and a current dataset.

Numeric features get a two-sample Kolmogorov-Smirnov test, the Wasserstein-1 distance
and the population stability index (PSI); categorical features get a two-sample
chi-square test on the 2 x k contingency table and the Jensen-Shannon distance.
Per-feature p-values are corrected for multiple testing across features and the
dataset-level verdict compares the share of drifted features with a threshold.

Every numeric statistic is computed from ONE sort per column and per side: the sorted
reference and current arrays are merged in linear time and the merged ECDFs give the
KS statistic and the Wasserstein integral; PSI bin edges are read off the sorted
reference and bin counts are binary searches.  Columns are processed in a thread pool
(``DriftConfig.n_jobs``; numpy releases the GIL while sorting and merging) and every
worker reuses its scratch buffers across columns.

Conventions (all documented here once):

* KS: statistic and p-value equal ``scipy.stats.ks_2samp(x, y)`` with its default
  ``method="auto"``.  When ``max(n1, n2) <= 10000`` scipy's exact path is used by
  calling ``ks_2samp`` on the already sorted arrays (cheap at that size); above it
  the statistic comes from the merged ECDFs and the p-value from the same
  asymptotic formula scipy uses, ``kstwo.sf(d, round(n1 n2 / (n1 + n2)))``, with
  scipy's O(n) ``smirnov`` branch replaced by a vectorised sum of the same series
  (:func:`_kstwo_sf`; absolute difference below 2e-11).  scipy's warning when its
  exact computation falls back to the asymptotic one is passed through.
* Wasserstein: equals ``scipy.stats.wasserstein_distance(x, y)`` (``raw``); the
  ``statistic`` compared with ``wasserstein.max`` is normalised by the reference
  standard deviation (ddof=0).  If that is zero (constant reference) the pooled
  standard deviation of both samples is used instead, which is zero only when both
  samples are the same constant, in which case the distance is 0.
* PSI: ``sum((c - r) * ln(c / r))`` over ``bins`` (default 10) bins whose inner edges
  are the reference quantiles at ``1/bins, ..., (bins-1)/bins`` (linear
  interpolation, numpy's default), tied edges removed; bins are right-closed
  ``(a, b]`` and open-ended at both ends.  Bin proportions below ``epsilon``
  (default 1e-4) are raised to ``epsilon`` so empty bins give a finite value.
* Chi-square: two-sample test of homogeneity on the 2 x k table of reference vs
  current counts over the union of categories, WITHOUT Yates' continuity correction
  for every k (equal to ``scipy.stats.chi2_contingency(table, correction=False)``);
  a single shared category gives statistic 0 and p-value 1.
* Jensen-Shannon: distance (square root of the divergence) in base 2, so it lies in
  [0, 1]; equal to ``scipy.spatial.distance.jensenshannon(p, q, base=2)``.
* A feature is *drifted* when its p-value test rejects after the multiple-testing
  correction (adjusted p-value < alpha) OR any distance exceeds its ``max``.  A test
  configured with ``None`` is still reported but never decides.
* The dataset is drifted when ``drift_share >= dataset_drift_share`` (or when the
  optional multivariate test flags).
* NaNs are dropped per column and counted; bad input raises :class:`DriftDataError`.
"""

from galfriday_gitops.stats.drift.analysis import FeatureKinds, analyze, infer_kinds
from galfriday_gitops.stats.drift.categorical import (
    CategoricalStats,
    categorical_stats,
    chi2_two_sample,
    class_drift,
    jensenshannon_distance,
)
from galfriday_gitops.stats.drift.config import (
    MIN_SAMPLES,
    CategoricalTestsConfig,
    Correction,
    DriftConfig,
    NumericTestsConfig,
)
from galfriday_gitops.stats.drift.multivariate import (
    MultivariateConfig,
    MultivariateResult,
    pca_reconstruction_drift,
)
from galfriday_gitops.stats.drift.numeric import (
    KS_EXACT_MAX_N,
    NumericStats,
    ks_2samp,
    numeric_stats,
    numeric_stats_sorted,
    psi,
    score_drift,
    wasserstein_distance,
)
from galfriday_gitops.stats.drift.results import (
    DriftReport,
    EffectSize,
    FeatureResult,
    SignificanceTest,
)
from galfriday_gitops.stats.errors import DriftDataError

__all__ = [
    "KS_EXACT_MAX_N",
    "MIN_SAMPLES",
    "CategoricalStats",
    "CategoricalTestsConfig",
    "Correction",
    "DriftConfig",
    "DriftDataError",
    "DriftReport",
    "EffectSize",
    "FeatureKinds",
    "FeatureResult",
    "MultivariateConfig",
    "MultivariateResult",
    "NumericStats",
    "NumericTestsConfig",
    "SignificanceTest",
    "analyze",
    "categorical_stats",
    "chi2_two_sample",
    "class_drift",
    "infer_kinds",
    "jensenshannon_distance",
    "ks_2samp",
    "numeric_stats",
    "numeric_stats_sorted",
    "pca_reconstruction_drift",
    "psi",
    "score_drift",
    "wasserstein_distance",
]
