"""Render a :class:`~galfriday_gitops.monitor.drift_run.DriftRun`: table, Markdown, HTML.

Every rendering lists drifted features first (``DriftReport.ordered_features()``).

The HTML report is one self-contained file: inline CSS and one inline ``<svg>`` plot per
feature (reference vs current histogram for numbers, side-by-side bars for categories),
no JavaScript, no fonts, images or stylesheets from anywhere else, so it can be attached
to a CI run or mailed and opens offline. Every text from the data is HTML-escaped.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import TYPE_CHECKING

from galfriday_gitops.errors import UserError

if TYPE_CHECKING:
    from pathlib import Path

    from galfriday_gitops.monitor.distributions import Distribution
    from galfriday_gitops.monitor.drift_run import DriftRun
    from galfriday_gitops.stats.drift import FeatureResult

REFERENCE_COLOUR = "#4c78a8"
CURRENT_COLOUR = "#f58518"


# ---------------------------------------------------------------------------
# shared wording


def _fmt(value: float | None) -> str:
    if value is None:
        return "-"
    if value == 0:
        return "0"
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.2e}"
    return f"{value:.4f}"


def _test_cells(feat: FeatureResult) -> list[str]:
    """``name=statistic`` per test, p-values adjusted, ``*`` on the tests that fired."""
    cells = []
    for name, test in feat.tests.items():
        text = f"{name}={_fmt(test.statistic)}"
        if test.p_value_adjusted is not None:
            text += f" (p_adj={_fmt(test.p_value_adjusted)})"
        cells.append(text + (" *" if test.drifted else ""))
    return cells


def _verdict_line(run: DriftRun) -> str:
    rep = run.report
    n = len(rep.features)
    data = (
        f"{len(rep.drifted_features)} of {n} features drifted "
        f"(share {rep.drift_share:.2f}, threshold {rep.dataset_drift_share:.2f}, "
        f"{rep.correction} correction)"
    )
    return ("DRIFT" if run.drifted else "no drift") + f": {data}"


def _performance_lines(run: DriftRun) -> list[str]:
    if run.performance is None:
        return []
    lines = []
    for metric, md in run.performance.metrics.items():
        state = "DROPPED" if md.drifted else "ok"
        lines.append(
            f"performance {metric}: baseline {md.baseline:.4f} -> current {md.current:.4f} "
            f"(drop {md.drop:+.4f}, max {run.performance.max_drop:.4f}) {state}"
        )
    return lines


# ---------------------------------------------------------------------------
# terminal


def text_table(run: DriftRun) -> str:
    """Plain-text table for the terminal: one line per feature, drifted first."""
    rows = [("feature", "kind", "drifted", "tests")]
    for feat in run.report.ordered_features():
        rows.append(
            (feat.name, feat.kind, "yes" if feat.drifted else "no", "  ".join(_test_cells(feat)))
        )
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"{run.name}: {run.reference} -> {run.current}"]
    for r in rows:
        lines.append(
            "  ".join(c.ljust(w) for c, w in zip(r[:3], widths, strict=True)) + "  " + r[3]
        )
    lines.append(_verdict_line(run))
    lines.extend(_performance_lines(run))
    if run.report.multivariate is not None:
        mv = run.report.multivariate
        lines.append(
            f"multivariate (PCA reconstruction): {_fmt(mv.statistic)} "
            f"threshold {_fmt(mv.threshold)} {'DRIFT' if mv.drifted else 'ok'}"
        )
    lines.extend(f"note: {n}" for n in run.notes)
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# Markdown


def _md(text: str) -> str:
    """Escape what would break a Markdown table cell or start markup."""
    return html.escape(text, quote=False).replace("|", "\\|").replace("`", "\\`")


def _md_table(features: Iterable[FeatureResult]) -> list[str]:
    lines = [
        "| feature | kind | drifted | tests (`*` = fired) |",
        "| --- | --- | --- | --- |",
    ]
    for feat in features:
        mark = "**yes**" if feat.drifted else "no"
        tests = "<br>".join(_md(c) for c in _test_cells(feat))
        lines.append(f"| `{_md(feat.name)}` | {feat.kind} | {mark} | {tests} |")
    return lines


def markdown_summary(run: DriftRun) -> str:
    """The short Markdown a PR body or an issue carries: verdict, drifted features, table."""
    rep = run.report
    lines = [f"## Drift report: {_md(run.name)}", "", f"**{_md(_verdict_line(run))}**", ""]
    if rep.drifted_features:
        names = ", ".join(f"`{_md(n)}`" for n in rep.drifted_features)
        lines += [f"Drifted features: {names}", ""]
    lines += [f"- {_md(p)}" for p in _performance_lines(run)]
    lines += [f"- reference: `{_md(run.reference)}`", f"- current: `{_md(run.current)}`", ""]
    lines += _md_table(rep.ordered_features())
    if run.notes:
        lines += ["", *(f"> {_md(n)}" for n in run.notes)]
    return "\n".join(lines) + "\n"


def markdown_report(run: DriftRun) -> str:
    """``drift.md``: the summary plus per-feature detail (counts, missing, categories)."""
    lines = [markdown_summary(run).rstrip("\n"), "", "## Features (drifted first)", ""]
    for feat in run.report.ordered_features():
        lines.append(f"### {_md(feat.name)} ({feat.kind}){' - drifted' if feat.drifted else ''}")
        lines.append("")
        lines.append(
            f"rows: reference {feat.n_reference:,}, current {feat.n_current:,}; "
            f"missing: reference {feat.missing_reference:,}, current {feat.missing_current:,}"
        )
        if feat.unseen_categories:
            lines.append(
                f"categories unseen in reference: {_md(', '.join(feat.unseen_categories))}"
            )
        if feat.missing_categories:
            lines.append(
                f"categories absent from current: {_md(', '.join(feat.missing_categories))}"
            )
        lines.append("")
        lines.append("| test | statistic | p-value | adjusted | threshold | fired |")
        lines.append("| --- | --- | --- | --- | --- | --- |")
        for name, t in feat.tests.items():
            fired = "yes" if t.drifted else "no"
            lines.append(
                f"| {name} | {_fmt(t.statistic)} | {_fmt(t.p_value)} | "
                f"{_fmt(t.p_value_adjusted)} | {_fmt(t.threshold)} | {fired} |"
            )
        lines.append("")
    return "\n".join(lines)


# ---------------------------------------------------------------------------
# HTML

_W, _H = 420, 170
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 40, 8, 10, 36

_CSS = """
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:20px} h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;margin:8px 0} td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left;vertical-align:top} .drift{color:#b00;font-weight:600} .ok{color:#070}
.feature{border:1px solid #ddd;border-radius:6px;padding:8px 12px;margin:12px 0}
.feature.drifted{border-color:#b00} .legend span{display:inline-block;width:10px;height:10px;
margin:0 4px 0 12px} svg text{font:10px sans-serif;fill:#444}
"""


def _svg(name: str, dist: Distribution) -> str:
    """One inline SVG plot: reference and current proportions, side by side per bin."""
    plot_w, plot_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B
    k = len(dist.reference)
    top = max([*dist.reference, *dist.current, 1e-12])
    slot = plot_w / max(k, 1)
    bar = slot / 2 * (0.9 if dist.kind == "categorical" else 1.0)
    parts = [
        f'<svg role="img" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        f'aria-label="{html.escape(name)} distribution">',
        f"<title>{html.escape(name)}: reference vs current</title>",
        f'<line x1="{_PAD_L}" y1="{_PAD_T + plot_h}" x2="{_W - _PAD_R}" y2="{_PAD_T + plot_h}" '
        'stroke="#888"/>',
        f'<text x="{_PAD_L - 4}" y="{_PAD_T + 8}" text-anchor="end">{top:.2f}</text>',
        f'<text x="{_PAD_L - 4}" y="{_PAD_T + plot_h}" text-anchor="end">0</text>',
    ]
    for i in range(k):
        x0 = _PAD_L + i * slot
        for j, (values, colour) in enumerate(
            ((dist.reference, REFERENCE_COLOUR), (dist.current, CURRENT_COLOUR))
        ):
            h = plot_h * values[i] / top
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{_PAD_T + plot_h - h:.1f}" '
                f'width="{max(bar - 0.5, 0.5):.1f}" height="{h:.1f}" fill="{colour}" '
                f'fill-opacity="0.85"/>'
            )
    label_y = _PAD_T + plot_h + 14
    if dist.kind == "numeric":
        for idx, anchor in ((0, "start"), (k // 2, "middle"), (k, "end")):
            x = _PAD_L + idx * slot
            parts.append(
                f'<text x="{x:.1f}" y="{label_y}" text-anchor="{anchor}">'
                f"{html.escape(dist.labels[idx])}</text>"
            )
    else:
        for i, label in enumerate(dist.labels):
            short = label if len(label) <= 12 else label[:11] + "…"
            x = _PAD_L + i * slot + slot / 2
            parts.append(
                f'<text x="{x:.1f}" y="{label_y}" text-anchor="middle">{html.escape(short)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _html_tests(feat: FeatureResult) -> str:
    rows = ["<tr><th>test</th><th>statistic</th><th>p-value (adj.)</th><th>threshold</th>"
            "<th>fired</th></tr>"]  # fmt: skip
    for name, t in feat.tests.items():
        p = "-" if t.p_value is None else f"{_fmt(t.p_value)} ({_fmt(t.p_value_adjusted)})"
        fired = '<span class="drift">yes</span>' if t.drifted else "no"
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{_fmt(t.statistic)}</td><td>{p}</td>"
            f"<td>{_fmt(t.threshold)}</td><td>{fired}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def html_report(run: DriftRun) -> str:
    """``drift.html``: self-contained (inline CSS + inline SVG), drifted features first."""
    rep = run.report
    esc = html.escape
    verdict_cls = "drift" if run.drifted else "ok"
    body = [
        f"<h1>Drift report: {esc(run.name)}</h1>",
        f'<p class="{verdict_cls}">{esc(_verdict_line(run))}</p>',
        f"<p>reference <code>{esc(run.reference)}</code> &rarr; current "
        f"<code>{esc(run.current)}</code></p>",
    ]
    body += [f"<p>{esc(line)}</p>" for line in _performance_lines(run)]
    body += [f"<p><em>note: {esc(n)}</em></p>" for n in run.notes]
    body.append(
        '<p class="legend">'
        f'<span style="background:{REFERENCE_COLOUR}"></span>reference'
        f'<span style="background:{CURRENT_COLOUR}"></span>current</p>'
    )
    for feat in rep.ordered_features():
        dist = run.distributions.get(feat.name)
        cls = "feature drifted" if feat.drifted else "feature"
        flag = ' <span class="drift">drifted</span>' if feat.drifted else ""
        extra = ""
        if feat.unseen_categories:
            extra += f"<p>unseen in reference: {esc(', '.join(feat.unseen_categories))}</p>"
        body.append(
            f'<section class="{cls}" id="feature-{esc(feat.name)}">'
            f"<h2>{esc(feat.name)} <small>({feat.kind})</small>{flag}</h2>"
            f"{_svg(feat.name, dist) if dist is not None else ''}"
            f"{_html_tests(feat)}{extra}</section>"
        )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Drift report: {esc(run.name)}</title><style>{_CSS}</style></head>"
        "<body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def write_files(run: DriftRun, directory: Path) -> list[Path]:
    """Write ``drift.md`` and ``drift.html`` of ``run`` into ``directory`` (created)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        md, page = directory / "drift.md", directory / "drift.html"
        md.write_text(markdown_report(run), encoding="utf-8")
        page.write_text(html_report(run), encoding="utf-8")
    except OSError as exc:
        raise UserError(f"report {directory}: {exc.strerror or exc}") from None
    return [md, page]
