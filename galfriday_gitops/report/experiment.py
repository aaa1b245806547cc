"""Rendering an experiment analysis: plain text and Markdown (the JSON is ``to_dict()``)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from galfriday_gitops.stats.experiment import ExperimentResult


def _fmt(x: float | None, spec: str = ".4g") -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return format(x, spec)


def _pct(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "n/a"
    return f"{100.0 * x:+.2f}%"


def render_text(result: ExperimentResult) -> str:
    """Plain-text report."""
    lines = [
        f"Experiment: {result.treatment} vs {result.control}",
        f"Decision: {result.decision}" + (f" (winner: {result.winner})" if result.winner else ""),
        f"SRM: p={_fmt(result.srm.p_value)} flagged={result.srm.flagged} "
        f"observed={result.srm.observed}",
    ]
    for name, m in result.metrics.items():
        lo, hi = m.relative.ci
        lines.append(
            f"- {name} [{m.spec.role}, {m.spec.kind}, {m.spec.direction} is better]: "
            f"control={_fmt(m.control.mean)} (n={m.control.n}) "
            f"treatment={_fmt(m.treatment.mean)} (n={m.treatment.n}) "
            f"lift={_pct(m.relative.estimate)} CI [{_pct(lo)}, {_pct(hi)}] "
            f"p={_fmt(m.absolute.p_value)} adj_p={_fmt(m.adjusted_p_value)} "
            f"chance_to_win={_fmt(m.chance_to_win, '.3f')}"
        )
    for g in result.guardrails:
        status = "pass" if g.passed else "FAIL"
        lines.append(
            f"guardrail {g.name}: {status} harm={_pct(g.harm)} upper={_pct(g.harm_upper)} "
            f"max_loss={_pct(g.max_loss)}"
        )
    lines.extend(f"note: {n}" for n in result.notes)
    return "\n".join(lines) + "\n"


def render_markdown(result: ExperimentResult) -> str:
    """Markdown report (a summary line, an SRM line and a metrics table)."""
    out = [
        f"### Experiment: `{result.treatment}` vs `{result.control}`",
        "",
        f"**Decision:** {result.decision}"
        + (f" (winner: `{result.winner}`)" if result.winner else ""),
        "",
        f"**SRM:** p = {_fmt(result.srm.p_value)}"
        + (" -- **sample-ratio mismatch**" if result.srm.flagged else " (ok)"),
        "",
        "| metric | role | control | treatment | lift | CI | p (adj.) | chance to win |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, m in result.metrics.items():
        lo, hi = m.relative.ci
        shown_p = m.absolute.p_value if m.adjusted_p_value is None else m.adjusted_p_value
        out.append(
            f"| {name} | {m.spec.role} | {_fmt(m.control.mean)} (n={m.control.n}) | "
            f"{_fmt(m.treatment.mean)} (n={m.treatment.n}) | {_pct(m.relative.estimate)} | "
            f"[{_pct(lo)}, {_pct(hi)}] | {_fmt(shown_p)} | "
            f"{_fmt(m.chance_to_win, '.3f')} |"
        )
    if result.guardrails:
        out += [
            "",
            "| guardrail | harm | upper bound | max loss | status |",
            "|---|---|---|---|---|",
        ]
        out.extend(
            f"| {g.name} | {_pct(g.harm)} | {_pct(g.harm_upper)} | {_pct(g.max_loss)} | "
            f"{'pass' if g.passed else '**fail**'} |"
            for g in result.guardrails
        )
    return "\n".join(out) + "\n"
