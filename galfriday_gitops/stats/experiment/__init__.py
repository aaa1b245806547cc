"""Fixed-horizon (and optionally sequential) analysis of a control-vs-treatment experiment.

Everything is computed from per-variant sufficient statistics
(:mod:`galfriday_gitops.stats.suffstats`), so a pandas or a Dask DataFrame gives
the same answer.

Statistical choices (all two-sided at level ``alpha`` unless noted):

* **Mean metrics** -- Welch's unequal-variance t-test; the absolute CI uses the
  Welch-Satterthwaite degrees of freedom (identical to
  ``scipy.stats.ttest_ind(treatment, control, equal_var=False)``).
* **Proportion metrics** (0/1 values) -- two-proportion z-test. The p-value uses
  the *pooled* standard error ``sqrt(p(1-p)(1/n_c + 1/n_t))`` with ``p`` the
  pooled rate (the null hypothesis says the rates are equal); the CI uses the
  *unpooled* standard error ``sqrt(p_c(1-p_c)/n_c + p_t(1-p_t)/n_t)`` (a CI is not
  computed under the null).
* **Ratio metrics** -- ``R = sum(y)/sum(x)`` per variant with the delta-method
  variance ``var(R) = (var_y - 2 R cov_xy + R^2 var_x) / (n mean_x^2)``;
  z-test/normal CI on the difference.
* **Relative lift** ``mu_t/mu_c - 1`` -- delta method,
  ``var(rel) = var_t/(n_t mu_c^2) + mu_t^2 var_c/(n_c mu_c^4)`` (``var_v`` is the
  per-unit variance, so ``var_v/n_v`` is the variance of the mean); for mean metrics
  the CI and p-value use Student's t with Welch's df (GrowthBook's frequentist engine:
  its published test case is reproduced to 5 decimals in the tests), else the normal.
* **CUPED** (mean metrics with a declared pre-period covariate ``x``) --
  ``theta = cov(y, x) / var(x)`` computed on the pooled data of both variants;
  adjusted mean ``ybar_v - theta (xbar_v - xbar)`` and adjusted per-unit variance
  ``var_y - 2 theta cov_xy + theta^2 var_x`` within each variant. The reported
  ``variance_reduction`` is ``1 - var(adjusted diff) / var(plain diff)``. With a
  constant covariate ``theta`` is 0 and the analysis equals the plain one.
* **Bayesian chance to win / risk** -- for mean and ratio metrics the posterior
  of the relative lift is ``N(rel, se_rel^2)``: GrowthBook's Bayesian engine with
  its default flat (improper) prior on the lift. Chance to win is
  ``Phi(rel/se_rel)`` (``Phi(-rel/se_rel)`` for a lower-is-better metric). For
  proportion metrics each rate has a ``Beta(1, 1)`` prior, hence a
  ``Beta(1 + successes, 1 + failures)`` posterior, and chance to win is the exact
  ``P(p_t > p_c)`` (or ``<``) by one-dimensional quadrature. **Risk** is the
  expected loss of a choice, as a fraction of the control mean:
  ``E[max(0, harm)]`` where harm is the (relative) amount by which the chosen arm
  is worse.
* **Sample-ratio mismatch** -- chi-square goodness of fit of the per-variant row
  counts against the declared split (``scipy.stats.chisquare``), flagged at
  ``p < 0.001``. A flagged SRM makes the decision ``"invalid: SRM"``.
* **Sample size** -- per variant for a relative MDE ``m`` at baseline mean ``mu``
  and per-unit variance ``s^2``, with allocation ratio ``k = n_t/n_c``:
  ``n_c = (z_{1-alpha/2} + z_{power})^2 s^2 (1 + 1/k) / (m mu)^2``, ``n_t = k n_c``.
  Achieved power at the observed ``n``:
  ``Phi(delta/se - z_{1-alpha/2}) + Phi(-delta/se - z_{1-alpha/2})`` with
  ``delta = m |mu_c|``.
* **Guardrails** (non-inferiority) -- ``harm`` is the relative change in the
  harmful direction (``rel`` for lower-is-better, ``-rel`` for higher-is-better).
  A guardrail **fails when the upper bound of the two-sided ``1 - alpha``
  interval for harm exceeds ``max_loss``**, i.e. unless the data rule out a loss
  larger than ``max_loss``. Guardrails are not part of the multiple-testing family.
* **Multiple testing** -- :func:`galfriday_gitops.stats.multitest.adjust_p_values`
  (``holm`` by default, ``fdr_bh``, ``bonferroni`` or ``none``) across the primary and
  secondary metrics' p-values; decisions use adjusted p-values.
* **Sequential** -- with ``sequential=True`` the p-values and CIs of primary and
  secondary metrics are the always-valid ones of
  :mod:`galfriday_gitops.stats.sequential` (mixing scale ``tau = mde |mu_c|``);
  the relative interval is widened by the same factor as the absolute one.

Modules: ``results`` (the result objects), ``frequentist``, ``bayesian`` and
``analysis`` (data -> decision); the renderers are in
:mod:`galfriday_gitops.report.experiment`.

Decision order: SRM -> minimum samples -> guardrails -> primary metrics
(treatment wins if some primary metric is significantly better and none is
significantly worse; control wins if some primary is significantly worse).
"""

from galfriday_gitops.stats.experiment.analysis import analyze_frame, analyze_stats
from galfriday_gitops.stats.experiment.bayesian import beta_chance_to_win, normal_chance_to_win
from galfriday_gitops.stats.experiment.frequentist import (
    cuped_summaries,
    normal_test,
    ratio_summary,
    relative_lift,
    srm_test,
    two_proportion_test,
    welch_test,
)
from galfriday_gitops.stats.experiment.power import (
    achieved_power,
    cohen_d,
    cohen_h,
    proportion_sample_size,
    required_sample_size,
)
from galfriday_gitops.stats.experiment.results import (
    DECISION_CONTROL_WINS,
    DECISION_INCONCLUSIVE,
    DECISION_NO_DIFFERENCE,
    DECISION_NOT_COMPUTABLE,
    DECISION_SRM,
    DECISION_TREATMENT_WINS,
    SRM_THRESHOLD,
    Correction,
    Direction,
    Estimate,
    ExperimentDataError,
    ExperimentResult,
    GuardrailResult,
    MetricKind,
    MetricResult,
    MetricSpec,
    Role,
    SRMResult,
    VariantSummary,
)

__all__ = [
    "DECISION_CONTROL_WINS",
    "DECISION_INCONCLUSIVE",
    "DECISION_NOT_COMPUTABLE",
    "DECISION_NO_DIFFERENCE",
    "DECISION_SRM",
    "DECISION_TREATMENT_WINS",
    "SRM_THRESHOLD",
    "Correction",
    "Direction",
    "Estimate",
    "ExperimentDataError",
    "ExperimentResult",
    "GuardrailResult",
    "MetricKind",
    "MetricResult",
    "MetricSpec",
    "Role",
    "SRMResult",
    "VariantSummary",
    "achieved_power",
    "analyze_frame",
    "analyze_stats",
    "beta_chance_to_win",
    "cohen_d",
    "cohen_h",
    "cuped_summaries",
    "normal_chance_to_win",
    "normal_test",
    "proportion_sample_size",
    "ratio_summary",
    "relative_lift",
    "required_sample_size",
    "srm_test",
    "two_proportion_test",
    "welch_test",
]
