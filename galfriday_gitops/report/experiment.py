"""Rendering an experiment analysis: plain text and Markdown (the JSON is ``to_dict()``).

Variant labels and metric names may come from a data file or the command line, so each
goes through :mod:`galfriday_gitops.report.escape` before it is printed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from galfriday_gitops.report import escape

if TYPE_CHECKING:
    from galfriday_gitops.stats.experiment import ExperimentResult, MetricResult


def _fmt(x: float | None, spec: str = ".4g") -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return format(x, spec)


def _pct(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100.0 * x:+.2f}%"


def _effect(m: MetricResult) -> str:
    """``d=0.123`` (Cohen's d) or ``h=0.045`` (Cohen's h)."""
    return f"{m.effect_size_name[-1]}={_fmt(m.effect_size, '.3g')}"


def _design(result: ExperimentResult) -> str:
    mde = "none" if result.mde is None else f"{result.mde:.2%} relative"
    return (
        f"alpha {result.alpha:g}, power target {result.power:.0%}, minimum detectable effect "
        f"{mde}, at least {result.min_samples:,} per variant, {result.correction} correction"
        + (", sequential (always valid)" if result.sequential else "")
    )


def _sample_size(m: MetricResult, result: ExperimentResult) -> str:
    """``n 3,000 control / 3,000 treatment; the MDE needs 404 per variant at 80% power;
    power reached 100%``."""
    out = f"n {m.control.n:,} control / {m.treatment.n:,} treatment"
    if m.required_n is not None:
        need_c, need_t = m.required_n
        need = f"{need_c:,}" if need_c == need_t else f"{need_c:,} control / {need_t:,} treatment"
        out += (
            f"; the MDE needs {need} per variant at {result.power:.0%} power"
            f"; power reached {_fmt(m.achieved_power, '.0%')}"
        )
    return out


def _cuped(m: MetricResult) -> str:
    if m.cuped_theta is None:
        return "no covariate"
    reduced = m.variance_reduction
    return f"theta {_fmt(m.cuped_theta, '.3g')}, variance reduced by {_fmt(reduced, '.1%')}"


def render_text(result: ExperimentResult) -> str:
    """Plain-text report: the decision, the design, per metric its estimate and the sample
    size and power behind it, and CUPED where a covariate was used."""
    observed = ", ".join(f"{escape.text(k)}={v}" for k, v in result.srm.observed.items())
    lines = [
        f"Experiment: {escape.text(result.treatment)} vs {escape.text(result.control)}",
        f"Decision: {escape.inline(result.decision)}"
        + (f" (winner: {result.winner})" if result.winner else ""),
        f"SRM: p={_fmt(result.srm.p_value)} flagged={result.srm.flagged} observed: {observed}",
        f"Design: {_design(result)}",
    ]
    for name, m in result.metrics.items():
        lo, hi = m.relative.ci
        lines.append(
            f"- {escape.text(name)} [{m.spec.role}, {m.spec.kind}, {m.spec.direction} is better]: "
            f"control={_fmt(m.control.mean)} (n={m.control.n}) "
            f"treatment={_fmt(m.treatment.mean)} (n={m.treatment.n}) "
            f"lift={_pct(m.relative.estimate)} CI [{_pct(lo)}, {_pct(hi)}] {_effect(m)} "
            f"p={_fmt(m.absolute.p_value)} adj_p={_fmt(m.adjusted_p_value)} "
            f"chance_to_win={_fmt(m.chance_to_win, '.3f')}"
        )
        lines.append(f"    sample size: {_sample_size(m, result)}")
        if m.cuped_theta is not None:
            lines.append(f"    CUPED: {_cuped(m)}")
    for g in result.guardrails:
        status = "pass" if g.passed else "FAIL"
        lines.append(
            f"guardrail {escape.text(g.name)}: {status} harm={_pct(g.harm)} "
            f"upper={_pct(g.harm_upper)} max_loss={_pct(g.max_loss)}"
        )
    lines.extend(f"note: {n}" for n in result.notes)
    return "\n".join(lines) + "\n"


def render_markdown(result: ExperimentResult) -> str:
    """Markdown report (a summary line, an SRM line and a metrics table)."""
    out = [
        f"### Experiment: {escape.md_code(result.treatment)} vs {escape.md_code(result.control)}",
        "",
        f"**Decision:** {escape.md_text(result.decision)}"
        + (f" (winner: `{result.winner}`)" if result.winner else ""),
        "",
        f"**SRM:** p = {_fmt(result.srm.p_value)}"
        + (" -- **sample-ratio mismatch**" if result.srm.flagged else " (ok)"),
        "",
        "| metric | role | control | treatment | lift | CI | effect | p (adj.) | chance to win |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, m in result.metrics.items():
        lo, hi = m.relative.ci
        shown_p = m.absolute.p_value if m.adjusted_p_value is None else m.adjusted_p_value
        out.append(
            f"| {escape.md_code(name)} | {m.spec.role} | {_fmt(m.control.mean)} "
            f"(n={m.control.n}) | {_fmt(m.treatment.mean)} (n={m.treatment.n}) | "
            f"{_pct(m.relative.estimate)} | [{_pct(lo)}, {_pct(hi)}] | {_effect(m)} | "
            f"{_fmt(shown_p)} | {_fmt(m.chance_to_win, '.3f')} |"
        )
    out += [
        "",
        f"**Design:** {_design(result)}",  # our own words and numbers: nothing to escape
        "",
        "| metric | sample size and power | CUPED |",
        "|---|---|---|",
    ]
    out.extend(
        f"| {escape.md_code(name)} | {_sample_size(m, result)} | {_cuped(m)} |"
        for name, m in result.metrics.items()
    )
    if result.guardrails:
        out += [
            "",
            "| guardrail | harm | upper bound | max loss | status |",
            "|---|---|---|---|---|",
        ]
        out.extend(
            f"| {escape.md_code(g.name)} | {_pct(g.harm)} | {_pct(g.harm_upper)} | "
            f"{_pct(g.max_loss)} | {'pass' if g.passed else '**fail**'} |"
            for g in result.guardrails
        )
    if result.notes:
        out += ["", *(f"> {escape.md_text(n)}" for n in result.notes)]
    return "\n".join(out) + "\n"
