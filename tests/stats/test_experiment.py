"""Deterministic checks of the fixed-horizon experiment analysis against scipy and closed forms."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from galfriday_gitops.report.experiment import render_markdown, render_text
from galfriday_gitops.stats.experiment import (
    DECISION_CONTROL_WINS,
    DECISION_INCONCLUSIVE,
    DECISION_NO_DIFFERENCE,
    DECISION_SRM,
    DECISION_TREATMENT_WINS,
    ExperimentDataError,
    ExperimentResult,
    MetricSpec,
    VariantSummary,
    achieved_power,
    analyze_frame,
    cuped_summaries,
    normal_chance_to_win,
    relative_lift,
    required_sample_size,
    srm_test,
    two_proportion_test,
    welch_test,
)
from galfriday_gitops.stats.multitest import adjust_p_values
from galfriday_gitops.stats.suffstats import Moments

Z975 = 1.959963984540054


def make_frame(
    n_c: int = 3000,
    n_t: int = 3000,
    *,
    lift: float = 0.0,
    latency_lift: float = 0.0,
    error_c: float = 0.02,
    error_t: float = 0.02,
    seed: int = 0,
) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    variant = np.array(["control"] * n_c + ["treatment"] * n_t)
    is_t = variant == "treatment"
    pre = rng.normal(10.0, 3.0, n_c + n_t)
    pnl = 0.8 * pre + rng.normal(2.0, 1.0, n_c + n_t) + lift * 10.0 * is_t
    latency = rng.normal(100.0, 10.0, n_c + n_t) * (1.0 + latency_lift * is_t)
    error = (rng.random(n_c + n_t) < np.where(is_t, error_t, error_c)).astype(np.int64)
    return pd.DataFrame(
        {"variant": variant, "pnl_bps": pnl, "pre": pre, "latency_ms": latency, "error": error}
    )


PRIMARY = MetricSpec("pnl_bps", kind="mean", direction="higher")
LATENCY = MetricSpec("latency_ms", kind="mean", direction="lower", role="guardrail", max_loss=0.05)
ERROR = MetricSpec("error", kind="proportion", direction="lower", role="guardrail", max_loss=0.5)


def analyze(
    df: pd.DataFrame, metrics: list[MetricSpec] | None = None, **kw: Any
) -> ExperimentResult:
    return analyze_frame(
        df, variant_column="variant", control="control", metrics=metrics or [PRIMARY], **kw
    )


# --- Welch -----------------------------------------------------------------------------------


def test_welch_matches_scipy_on_raw_data() -> None:
    df = make_frame(800, 1200, lift=0.01, seed=3)
    res = analyze(df).metrics["pnl_bps"]
    a = df.loc[df.variant == "control", "pnl_bps"].to_numpy()
    b = df.loc[df.variant == "treatment", "pnl_bps"].to_numpy()
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert res.absolute.p_value == pytest.approx(ref.pvalue, rel=1e-9, abs=1e-12)
    assert res.absolute.estimate / res.absolute.se == pytest.approx(ref.statistic, rel=1e-9)
    assert res.absolute.df == pytest.approx(ref.df, rel=1e-9)
    lo, hi = ref.confidence_interval(0.95)
    assert res.absolute.ci == pytest.approx((lo, hi), rel=1e-9)
    assert res.control.mean == pytest.approx(a.mean(), rel=1e-12)
    assert res.control.variance == pytest.approx(a.var(ddof=1), rel=1e-9)
    assert (res.control.n, res.treatment.n) == (800, 1200)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=40),
    st.lists(st.floats(-1e3, 1e3, allow_nan=False), min_size=3, max_size=40),
)
def test_welch_matches_scipy_property(a: list[float], b: list[float]) -> None:
    ma, mb = Moments.from_values(a), Moments.from_values(b)
    if ma.var_y < 1e-6 or mb.var_y < 1e-6:
        return
    res = welch_test(
        VariantSummary(ma.n, ma.mean_y, ma.var_y), VariantSummary(mb.n, mb.mean_y, mb.var_y)
    )
    ref = stats.ttest_ind(b, a, equal_var=False)
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-7, abs=1e-12)


# --- proportions --------------------------------------------------------------------------


def test_two_proportion_closed_form() -> None:
    n_c, x_c, n_t, x_t = 10_000, 1_000, 9_000, 990
    res = two_proportion_test(n_c, x_c, n_t, x_t)
    p_c, p_t = 0.1, 0.11
    pooled = 1990 / 19_000
    z_pooled = (p_t - p_c) / math.sqrt(pooled * (1 - pooled) * (1 / n_c + 1 / n_t))
    se_unpooled = math.sqrt(p_c * (1 - p_c) / n_c + p_t * (1 - p_t) / n_t)
    assert res.estimate == pytest.approx(0.01, rel=1e-12)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(abs(z_pooled)), rel=1e-9)
    assert res.se == pytest.approx(se_unpooled, rel=1e-12)
    assert res.ci == pytest.approx((0.01 - Z975 * se_unpooled, 0.01 + Z975 * se_unpooled), rel=1e-9)
    # Pooled and unpooled SEs really differ here, so the test distinguishes them.
    assert abs(z_pooled - 0.01 / se_unpooled) > 1e-3


def test_proportion_metric_through_frame_matches_closed_form() -> None:
    df = make_frame(4000, 4000, error_c=0.02, error_t=0.03, seed=5)
    res = analyze(df, [MetricSpec("error", kind="proportion", direction="lower")]).metrics["error"]
    g = df.groupby("variant")["error"]
    ref = two_proportion_test(
        int(g.size()["control"]),
        float(g.sum()["control"]),
        int(g.size()["treatment"]),
        float(g.sum()["treatment"]),
    )
    assert res.absolute.p_value == pytest.approx(ref.p_value, rel=1e-12)
    assert res.absolute.ci == pytest.approx(ref.ci, rel=1e-12)
    assert res.control.variance == pytest.approx(res.control.mean * (1 - res.control.mean))
    assert res.chance_to_win < 0.05  # treatment has more errors, lower is better


# --- relative lift ------------------------------------------------------------------------


def test_relative_lift_delta_method_formula() -> None:
    c = VariantSummary(n=1000, mean=10.0, variance=4.0)
    t = VariantSummary(n=2000, mean=10.5, variance=9.0)
    res = relative_lift(c, t)
    var = 9.0 / (2000 * 10.0**2) + 10.5**2 * 4.0 / (1000 * 10.0**4)
    assert res.estimate == pytest.approx(0.05, rel=1e-12)
    assert res.se == pytest.approx(math.sqrt(var), rel=1e-12)
    assert res.ci == pytest.approx((0.05 - Z975 * res.se, 0.05 + Z975 * res.se), rel=1e-9)
    assert res.p_value == pytest.approx(2 * stats.norm.sf(0.05 / math.sqrt(var)), rel=1e-9)


def test_relative_lift_undefined_for_zero_control_mean() -> None:
    res = relative_lift(VariantSummary(10, 0.0, 1.0), VariantSummary(10, 1.0, 1.0))
    assert math.isnan(res.estimate)


# --- chance to win ------------------------------------------------------------------------


def test_normal_chance_to_win_closed_form_and_direction() -> None:
    ctw, risk_t, risk_c = normal_chance_to_win(0.02, 0.01, "higher")
    assert ctw == pytest.approx(stats.norm.cdf(2.0), rel=1e-12)
    # E[max(0, -g)] for g ~ N(0.02, 0.01^2) by numerical integration.
    ref_risk = stats.norm(0.02, 0.01).expect(lambda g: max(0.0, -g), lb=-1, ub=0)
    assert risk_t == pytest.approx(ref_risk, rel=1e-6)
    assert risk_c - risk_t == pytest.approx(0.02, rel=1e-9)  # E[g+] - E[g-] = E[g]
    lower, _, _ = normal_chance_to_win(0.02, 0.01, "lower")
    assert lower == pytest.approx(1 - ctw, rel=1e-12)


def test_chance_to_win_in_analysis_uses_relative_posterior() -> None:
    df = make_frame(2000, 2000, lift=0.003, seed=11)
    m = analyze(df).metrics["pnl_bps"]
    assert m.chance_to_win == pytest.approx(
        stats.norm.cdf(m.relative.estimate / m.relative.se), rel=1e-12
    )


# --- SRM ----------------------------------------------------------------------------------


def test_srm_matches_scipy_chisquare() -> None:
    observed = {"control": 9050, "treatment": 950, "holdout": 0}
    split = {"control": 0.9, "treatment": 0.1}
    res = srm_test(observed, split)
    ref = stats.chisquare([9050, 950], [9000, 1000])
    assert res.p_value == pytest.approx(ref.pvalue, rel=1e-12)
    assert res.statistic == pytest.approx(ref.statistic, rel=1e-12)
    assert not res.flagged


def test_srm_flag_blocks_any_conclusion() -> None:
    df = make_frame(3000, 2600, lift=0.05, seed=2)  # huge effect but 3000:2600 under 50/50
    res = analyze(df)
    assert res.srm.p_value < 0.001
    assert res.srm.flagged
    assert res.decision == DECISION_SRM
    assert res.winner is None
    assert res.metrics["pnl_bps"].absolute.p_value < 1e-10  # the effect itself is "significant"


def test_srm_uses_declared_weighted_split() -> None:
    df = make_frame(9000, 1000, seed=4)
    ok = analyze(df, split={"control": 0.9, "treatment": 0.1})
    bad = analyze(df, split={"control": 0.5, "treatment": 0.5})
    assert not ok.srm.flagged
    assert bad.decision == DECISION_SRM


# --- sample size / power --------------------------------------------------------------------


def test_required_sample_size_hand_computation() -> None:
    n_c, n_t = required_sample_size(10.0, 9.0, 0.02, alpha=0.05, power=0.8)
    z = Z975 + 0.8416212335729143
    expected = z * z * 9.0 * 2 / (0.2**2)
    assert n_c == n_t == math.ceil(expected)
    n_c2, n_t2 = required_sample_size(10.0, 9.0, 0.02, allocation_ratio=1 / 9)
    assert n_c2 == math.ceil(z * z * 9.0 * 10 / 0.04)
    assert n_t2 == math.ceil(n_c2 / 9)


def test_achieved_power_at_required_n_equals_target() -> None:
    n, _ = required_sample_size(10.0, 9.0, 0.05, power=0.9)
    se = math.sqrt(2 * 9.0 / n)
    assert achieved_power(0.5, se) == pytest.approx(0.9, abs=2e-3)
    assert achieved_power(0.0, se) == pytest.approx(0.05, rel=1e-9)


# --- guardrails ---------------------------------------------------------------------------


def test_guardrail_fails_when_harm_upper_bound_exceeds_max_loss() -> None:
    df = make_frame(5000, 5000, latency_lift=0.08, seed=6)
    res = analyze(df, [PRIMARY, LATENCY])
    g = res.guardrails[0]
    rel = res.metrics["latency_ms"].relative
    assert g.harm == pytest.approx(rel.estimate)  # lower is better: harm = +relative change
    assert g.harm_upper == pytest.approx(rel.ci[1])
    assert not g.passed
    assert res.decision == "guardrail failed: latency_ms"
    assert res.winner is None


def test_guardrail_passes_when_loss_ruled_out() -> None:
    res = analyze(make_frame(5000, 5000, latency_lift=0.0, seed=7), [PRIMARY, LATENCY])
    assert res.guardrails[0].passed
    assert res.guardrails[0].harm_upper < 0.05


def test_guardrail_higher_is_better_harm_sign() -> None:
    spec = MetricSpec("pnl_bps", direction="higher", role="guardrail", max_loss=0.01)
    res = analyze(make_frame(5000, 5000, lift=-0.02, seed=8), [PRIMARY, spec])
    g = res.guardrails[0]
    rel = res.metrics["pnl_bps"].relative
    assert g.harm == pytest.approx(-rel.estimate)
    assert g.harm_upper == pytest.approx(-rel.ci[0])
    assert not g.passed


def test_underpowered_guardrail_fails_by_design() -> None:
    # Non-inferiority: with few samples the CI is too wide to rule out a 50% error increase.
    res = analyze(make_frame(300, 300, seed=9), [PRIMARY, ERROR])
    assert not res.guardrails[0].passed


# --- multiple testing ---------------------------------------------------------------------


def test_correction_applies_to_primary_and_secondary_only() -> None:
    secondary = MetricSpec("latency_ms", direction="lower", role="secondary")
    res = analyze(make_frame(seed=12), [PRIMARY, secondary, ERROR])
    raw = [res.metrics[n].absolute.p_value for n in ("pnl_bps", "latency_ms")]
    adj = [res.metrics[n].adjusted_p_value for n in ("pnl_bps", "latency_ms")]
    assert adj == pytest.approx(adjust_p_values(raw, "holm"))
    assert res.metrics["error"].adjusted_p_value is None


# --- decisions ----------------------------------------------------------------------------


def test_decision_treatment_wins() -> None:
    res = analyze(make_frame(lift=0.05, seed=13), min_samples=1000)
    assert res.decision == DECISION_TREATMENT_WINS
    assert res.winner == "treatment"


def test_decision_control_wins() -> None:
    res = analyze(make_frame(lift=-0.05, seed=14))
    assert res.decision == DECISION_CONTROL_WINS
    assert res.winner == "control"


def test_decision_lower_is_better_metric() -> None:
    spec = MetricSpec("latency_ms", direction="lower")
    res = analyze(make_frame(latency_lift=-0.03, seed=15), [spec])
    assert res.metrics["latency_ms"].chance_to_win > 0.99
    assert res.decision == DECISION_TREATMENT_WINS


def test_decision_no_difference_and_inconclusive() -> None:
    df = make_frame(seed=16)
    assert analyze(df).decision == DECISION_NO_DIFFERENCE
    assert analyze(df, min_samples=5000).decision == DECISION_INCONCLUSIVE


# --- output shape and renderers -----------------------------------------------------------


def test_to_dict_shape_is_json_serialisable() -> None:
    res = analyze(make_frame(seed=17), [PRIMARY, LATENCY, ERROR], mde=0.02)
    d = json.loads(json.dumps(res.to_dict(), allow_nan=False))
    assert set(d["srm"]) >= {"p_value", "flagged"}
    m = d["metrics"]["pnl_bps"]
    assert set(m["control"]) >= {"n", "mean"}
    assert set(m["treatment"]) >= {"n", "mean"}
    for key in ("absolute", "relative"):
        assert set(m[key]) >= {"estimate", "ci", "p_value"}
        assert len(m[key]["ci"]) == 2
    assert 0 <= m["chance_to_win"] <= 1
    assert d["decision"] == res.decision
    assert d["winner"] is None
    assert [g["name"] for g in d["guardrails"]] == ["latency_ms", "error"]
    assert m["power"]["required_n"]["control"] > 0


def test_renderers_mention_decision_and_metrics() -> None:
    res = analyze(make_frame(lift=0.05, seed=18), [PRIMARY, LATENCY])
    text, md = render_text(res), render_markdown(res)
    for out in (text, md):
        assert "treatment wins" in out
        assert "pnl_bps" in out
        assert "latency_ms" in out
    assert "| metric |" in md


# --- CUPED (deterministic parts) ------------------------------------------------------------


def test_cuped_theta_zero_equals_plain_analysis() -> None:
    df = make_frame(seed=19)
    mc = Moments.from_values(df.pnl_bps[df.variant == "control"], df.pre[df.variant == "control"])
    mt = Moments.from_values(
        df.pnl_bps[df.variant == "treatment"], df.pre[df.variant == "treatment"]
    )
    c, t, theta = cuped_summaries(mc, mt, theta=0.0)
    assert theta == 0.0
    plain = welch_test(
        VariantSummary(mc.n, mc.mean_y, mc.var_y), VariantSummary(mt.n, mt.mean_y, mt.var_y)
    )
    adjusted = welch_test(c, t)
    assert adjusted.estimate == pytest.approx(plain.estimate, rel=1e-12)
    assert adjusted.p_value == pytest.approx(plain.p_value, rel=1e-12)


def test_cuped_constant_covariate_gives_plain_analysis() -> None:
    df = make_frame(seed=20).assign(const=1.0)
    plain = analyze(df).metrics["pnl_bps"]
    cuped = analyze(df, covariates={"pnl_bps": "const"}).metrics["pnl_bps"]
    assert cuped.cuped_theta == 0.0
    assert cuped.absolute.p_value == pytest.approx(plain.absolute.p_value, rel=1e-9)
    assert cuped.variance_reduction == pytest.approx(0.0, abs=1e-12)


def test_cuped_reduces_variance_with_correlated_covariate() -> None:
    df = make_frame(seed=21)
    plain = analyze(df).metrics["pnl_bps"]
    cuped = analyze(df, covariates={"pnl_bps": "pre"}).metrics["pnl_bps"]
    rho2 = np.corrcoef(df.pnl_bps, df.pre)[0, 1] ** 2
    assert cuped.absolute.se < plain.absolute.se
    assert cuped.variance_reduction == pytest.approx(
        1 - cuped.absolute.se**2 / plain.absolute.se**2
    )
    assert cuped.variance_reduction == pytest.approx(rho2, abs=0.02)  # theory: 1 - rho^2 left


# --- bad data -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mutate", "metrics", "match"),
    [
        (lambda d: d.drop(columns="pnl_bps"), [PRIMARY], "pnl_bps"),
        (lambda d: d.drop(columns="variant"), [PRIMARY], "variant"),
        (lambda d: d.assign(pnl_bps=d.pnl_bps.astype(str)), [PRIMARY], "pnl_bps"),
        (lambda d: d.assign(variant="other"), [PRIMARY], "variant"),
        (
            lambda d: d.assign(error=d.error * 2),
            [MetricSpec("error", kind="proportion")],
            "error",
        ),
        (
            lambda d: d.assign(error=d.error * 0.5),
            [MetricSpec("error", kind="proportion")],
            "error",
        ),
        (
            lambda d: d,
            [MetricSpec("pnl_bps", kind="ratio", denominator="clicks")],
            "clicks",
        ),
    ],
)
def test_bad_data_raises_experiment_data_error(
    mutate: Callable[[pd.DataFrame], pd.DataFrame], metrics: list[MetricSpec], match: str
) -> None:
    df = mutate(make_frame(200, 200, seed=22))
    with pytest.raises(ExperimentDataError, match=match):
        analyze(df, metrics)


def test_ambiguous_treatment_raises() -> None:
    df = make_frame(200, 200, seed=23)
    df.loc[:9, "variant"] = "other"
    with pytest.raises(ExperimentDataError, match="treatment"):
        analyze(df)
    assert (
        analyze(
            df, treatment="treatment", split={"control": 1, "treatment": 1, "other": 0.03}
        ).treatment
        == "treatment"
    )


def test_metric_spec_validation() -> None:
    with pytest.raises(ValueError, match="denominator"):
        MetricSpec("r", kind="ratio")
    with pytest.raises(ValueError, match="max_loss"):
        MetricSpec("g", role="guardrail")


# --- sequential switch in the analysis ------------------------------------------------------


def test_sequential_analysis_is_more_conservative() -> None:
    df = make_frame(lift=0.004, seed=24)
    fixed = analyze(df, mde=0.01).metrics["pnl_bps"]
    seq = analyze(df, mde=0.01, sequential=True).metrics["pnl_bps"]
    assert seq.absolute.p_value > fixed.absolute.p_value
    assert seq.absolute.ci[0] < fixed.absolute.ci[0]
    assert seq.absolute.ci[1] > fixed.absolute.ci[1]
    assert seq.relative.ci[1] - seq.relative.ci[0] > fixed.relative.ci[1] - fixed.relative.ci[0]
    with pytest.raises(ValueError, match="mde"):
        analyze(df, sequential=True)


def test_sequential_widens_primary_intervals_but_not_guardrails() -> None:
    df = make_frame(4000, 4000, lift=0.02, seed=11)
    metrics = [PRIMARY, LATENCY, ERROR]
    fixed = analyze(df, metrics, mde=0.02)
    always_valid = analyze(df, metrics, mde=0.02, sequential=True)

    def width(r: ExperimentResult, m: str) -> float:
        lo, hi = r.metrics[m].absolute.ci
        return hi - lo

    assert width(always_valid, "pnl_bps") > width(fixed, "pnl_bps")
    for guardrail in ("latency_ms", "error"):
        assert always_valid.metrics[guardrail].absolute.ci == fixed.metrics[guardrail].absolute.ci
    assert [g.passed for g in always_valid.guardrails] == [g.passed for g in fixed.guardrails]


def test_growthbook_published_two_sided_ttest_numbers() -> None:
    # GrowthBook's gbstats frequentist test case (packages/stats/tests/frequentist/test_tests.py):
    # control mean 0.41, sd 3.9, n 3407; treatment mean 0.70, sd 6.2, n 3461.
    control = VariantSummary(n=3407, mean=0.41, variance=3.9**2)
    treatment = VariantSummary(n=3461, mean=0.41 + 0.29, variance=6.2**2)
    absolute = welch_test(control, treatment)
    assert round(absolute.estimate, 5) == 0.29
    assert [round(x, 5) for x in absolute.ci] == [0.04538, 0.53462]
    assert round(absolute.p_value, 5) == 0.02016
    relative = relative_lift(control, treatment, df=absolute.df)
    assert (round(relative.estimate, 5), round(relative.se, 5)) == (0.70732, 0.37879)
    assert [round(x, 5) for x in relative.ci] == [-0.03526, 1.44989]
    assert round(relative.p_value, 5) == 0.06191


def test_text_report_shows_sample_size_power_and_cuped() -> None:
    frame = make_frame(lift=0.01, seed=23)
    res = analyze(frame, [PRIMARY], mde=0.02, covariates={"pnl_bps": "pre"})
    m = res.metrics["pnl_bps"]
    assert m.required_n is not None and m.achieved_power is not None
    assert m.cuped_theta is not None and m.variance_reduction is not None
    text, md = render_text(res), render_markdown(res)
    for out in (text, md):
        assert f"n {m.control.n:,} control / {m.treatment.n:,} treatment" in out
        assert f"the MDE needs {m.required_n[0]:,} per variant at 80% power" in out
        assert f"power reached {m.achieved_power:.0%}" in out
        assert f"theta {m.cuped_theta:.3g}, variance reduced by {m.variance_reduction:.1%}" in out
        assert "minimum detectable effect 2.00% relative" in out
    # the control: without a covariate there is no CUPED to report
    plain = render_text(analyze(make_frame(lift=0.01, seed=23), [PRIMARY], mde=0.02))
    assert "sample size: n 3,000 control" in plain and "CUPED" not in plain
