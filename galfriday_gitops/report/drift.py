"""Render a :class:`~galfriday_gitops.monitor.drift_run.DriftRun`: table, Markdown, annotations.

Every rendering lists drifted features first (``DriftReport.ordered_features()``) and
passes every name that comes from data (columns, categories, file paths) through
:mod:`galfriday_gitops.report.escape`. The HTML report is :mod:`.drift_html`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from galfriday_gitops.report import escape
from galfriday_gitops.stats.drift.results import INSUFFICIENT

if TYPE_CHECKING:
    from galfriday_gitops.monitor.drift_run import DriftRun
    from galfriday_gitops.stats.drift import FeatureResult

#: How the statistics' correction methods read in a report.
CORRECTION_NAMES = {
    "holm": "Holm",
    "fdr_bh": "Benjamini-Hochberg",
    "bonferroni": "Bonferroni",
    "none": "no",
}


# ---------------------------------------------------------------------------
# shared wording


def fmt(value: float | None) -> str:
    """A statistic for people: 4 decimals, scientific when tiny or huge, ``-`` when absent."""
    if value is None or value != value or value in (float("inf"), float("-inf")):
        return "-"
    if value == 0:
        return "0"
    if abs(value) < 1e-3 or abs(value) >= 1e5:
        return f"{value:.2e}"
    return f"{value:.4f}"


def test_cell(feat: FeatureResult) -> str:
    """``ks 0.2310 p_adj 1.20e-05`` (the test that decides)."""
    t = feat.test
    return f"{t.name} {fmt(t.statistic)} p_adj {fmt(t.p_value_adjusted)}"


def effect_cell(feat: FeatureResult) -> str:
    """``wasserstein 0.2100 (min 0.1)  psi 0.1500``."""
    cells = []
    for e in feat.effects.values():
        required = f" (min {e.minimum:g})" if e.minimum is not None else ""
        cells.append(f"{e.name} {fmt(e.value)}{required}")
    return "  ".join(cells)


def verdict_line(run: DriftRun) -> str:
    """``DRIFT: 2 of 6 tested features drifted (...)``, or ``no drift`` / insufficient data."""
    rep = run.report
    head = "DRIFT" if run.drifted else ("no drift" if rep.verdict != INSUFFICIENT else INSUFFICIENT)
    if rep.n_tested == 0:
        return (
            f"{head}: none of the {len(rep.features)} features has {rep.min_samples} values a side"
        )
    insufficient = len(rep.features) - rep.n_tested
    data = (
        f"{len(rep.drifted_features)} of {rep.n_tested} tested features drifted "
        f"(share {rep.drift_share:.2f}, threshold {rep.dataset_drift_share:.2f}, "
        f"{CORRECTION_NAMES.get(rep.correction, rep.correction)} correction, "
        f"family p {fmt(rep.global_p_value)})"
    )
    if insufficient:
        data += f"; {insufficient} with fewer than {rep.min_samples} values a side"
    return f"{head}: {data}"


def detail_lines(run: DriftRun) -> list[str]:
    """Performance, multivariate and error-stream lines (plain text; escape for Markdown)."""
    lines = []
    if run.performance is not None:
        for metric, md in run.performance.metrics.items():
            state = "DROPPED" if md.drifted else "ok"
            lines.append(
                f"performance {metric}: baseline {md.baseline:.4f} -> current {md.current:.4f} "
                f"(drop {md.drop:+.4f}, max {run.performance.max_drop:.4f}) {state}"
            )
    mv = run.report.multivariate
    if mv is not None:
        lines.append(
            f"multivariate (PCA reconstruction, {mv.n_components} components): error "
            f"{fmt(mv.statistic)}, p {fmt(mv.p_value)}, adjusted {fmt(mv.p_value_adjusted)}, "
            f"alpha {mv.alpha:g}: {'DRIFT' if mv.drifted else 'ok'}"
        )
    stream = run.error_stream
    if stream is not None:
        head = f"error stream of {stream.version or '-'} ({stream.requests:,} requests"
        head += f", error rate {fmt(stream.error_rate)})" if stream.error_rate is not None else ")"
        if stream.note:
            lines.append(f"{head}: {stream.note}")
        for d in stream.detectors:
            said = (
                f"ALARM at request {d.alarms[-1]:,} ({d.alarm_times[-1]})"
                + (f", {len(d.alarms)} alarms in all" if len(d.alarms) > 1 else "")
                if d.alarms
                else "no alarm"
            )
            lines.append(f"{head}: {d.detector} {said}")
        if stream.drifted and stream.error_rate_since_last_alarm is not None:
            lines.append(
                f"error rate since the last alarm: {fmt(stream.error_rate_since_last_alarm)}"
            )
    return lines


# ---------------------------------------------------------------------------
# terminal


def text_table(run: DriftRun) -> str:
    """Plain-text table for the terminal: one line per feature, drifted first."""
    rows = [("feature", "kind", "verdict", "test", "effect sizes")]
    for feat in run.report.ordered_features():
        verdict = feat.status + (f" ({feat.reason})" if feat.reason else "")
        rows.append(
            (escape.text(feat.name), feat.kind, verdict, test_cell(feat), effect_cell(feat))
        )
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    lines = [f"{escape.text(run.name)}: {escape.text(run.reference)} -> {escape.text(run.current)}"]
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r[:4], widths, strict=True)]
        lines.append("  ".join([*cells, r[4]]).rstrip())
    lines.append(verdict_line(run))
    lines.extend(detail_lines(run))
    # our sentences; the names in them are repr()
    lines.extend(f"note: {n}" for n in [*run.report.notes, *run.notes])
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# GitHub Actions annotations


def github_annotations(run: DriftRun) -> str:
    """Workflow commands for a CI log: a warning per drifted feature, then the verdict."""
    title = escape.annotation_property(f"drift: {run.name}")
    lines = []
    for feat in run.report.ordered_features():
        if feat.drifted:
            said = f"feature {feat.name} drifted: {test_cell(feat)}; {effect_cell(feat)}"
            lines.append(f"::warning title={title}::{escape.annotation_data(said)}")
    level = "error" if run.drifted else "notice"
    for line in [verdict_line(run), *detail_lines(run)]:
        lines.append(f"::{level} title={title}::{escape.annotation_data(line)}")
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------
# Markdown


def _md_table(features: Iterable[FeatureResult]) -> list[str]:
    lines = [
        "| feature | kind | verdict | test | effect sizes |",
        "| --- | --- | --- | --- | --- |",
    ]
    for feat in features:
        verdict = "**drifted**" if feat.drifted else escape.md_text(feat.status)
        if feat.reason:
            verdict += f" ({escape.md_text(feat.reason)})"
        lines.append(
            f"| {escape.md_code(feat.name)} | {feat.kind} | {verdict} | "
            f"{escape.md_text(test_cell(feat))} | {escape.md_text(effect_cell(feat))} |"
        )
    return lines


def _rows(n: int | None) -> str:
    return "" if n is None else f", {n:,} rows"


def markdown_summary(run: DriftRun) -> str:
    """The short Markdown a PR body or an issue carries: verdict, drifted features, table."""
    rep = run.report
    lines = [
        f"## Drift report: {escape.md_text(run.name)}",
        "",
        f"**{escape.md_text(verdict_line(run))}**",
        "",
    ]
    if rep.drifted_features:
        names = ", ".join(escape.md_code(n) for n in rep.drifted_features)
        lines += [f"Drifted features: {names}", ""]
    lines += [f"- {escape.md_text(p)}" for p in detail_lines(run)]
    lines += [
        f"- reference: {escape.md_code(run.reference)}{_rows(run.reference_rows)}",
        f"- current: {escape.md_code(run.current)}{_rows(run.current_rows)}",
        *([f"- production version: {escape.md_code(run.version)}"] if run.version else []),
        "",
    ]
    lines += _md_table(rep.ordered_features())
    notes = [*run.report.notes, *run.notes]
    if notes:
        lines += ["", *(f"> {escape.md_text(n)}" for n in notes)]
    return "\n".join(lines) + "\n"


def _md_feature(feat: FeatureResult) -> list[str]:
    flag = " - drifted" if feat.drifted else ""
    lines = [
        f"### {escape.md_text(feat.name)} ({feat.kind}){flag}",
        "",
        f"verdict: {escape.md_text(feat.status)}"
        + (f" ({escape.md_text(feat.reason)})" if feat.reason else ""),
        "",
        f"rows: reference {feat.n_reference:,}, current {feat.n_current:,}; "
        f"missing: reference {feat.missing_reference:,}, current {feat.missing_current:,}",
    ]
    if feat.unseen_categories:
        shown = ", ".join(escape.md_code(c) for c in feat.unseen_categories)
        lines.append(f"categories unseen in reference: {shown}")
    if feat.missing_categories:
        shown = ", ".join(escape.md_code(c) for c in feat.missing_categories)
        lines.append(f"categories absent from current: {shown}")
    t = feat.test
    lines += [
        "",
        "| measure | value | p-value | adjusted | alpha / required | decides |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {t.name} | {fmt(t.statistic)} | {fmt(t.p_value)} | {fmt(t.p_value_adjusted)} | "
        f"{fmt(t.alpha)} | {'significant' if t.significant else 'no'} |",
    ]
    for e in feat.effects.values():
        required = "-" if e.minimum is None else f"{e.minimum:g}"
        decides = "-" if e.minimum is None else ("reached" if e.reached else "not reached")
        lines.append(f"| {e.name} | {fmt(e.value)} | - | - | {required} | {decides} |")
    return [*lines, ""]


def markdown_report(run: DriftRun) -> str:
    """``drift.md``: the summary plus per-feature detail (counts, missing, categories)."""
    generated = run.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC")
    lines = [markdown_summary(run).rstrip("\n"), "", f"Generated {generated}.", ""]
    lines += ["## Features (drifted first)", ""]
    for feat in run.report.ordered_features():
        lines += _md_feature(feat)
    return "\n".join(lines)
