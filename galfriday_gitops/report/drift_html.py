"""``drift.html``: one self-contained page per run, drifted features first.

Inline CSS and one inline ``<svg>`` plot per feature (reference vs current histogram for
numbers, side-by-side bars for categories), no JavaScript, no fonts, images or
stylesheets from anywhere else, so it can be attached to a CI run or mailed and opens
offline. Every text from the data goes through :func:`galfriday_gitops.report.escape.html_text`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from galfriday_gitops.report.drift import detail_lines, fmt, verdict_line
from galfriday_gitops.report.escape import html_text as esc

if TYPE_CHECKING:
    from galfriday_gitops.monitor.distributions import Distribution
    from galfriday_gitops.monitor.drift_run import DriftRun
    from galfriday_gitops.stats.drift import FeatureResult

_SIGNIFICANT = '<span class="drift">significant</span>'
REFERENCE_COLOUR = "#4c78a8"
CURRENT_COLOUR = "#f58518"


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


def nice_ticks(low: float, high: float, count: int = 5) -> list[tuple[float, str]]:
    """About ``count`` round values (steps of 1, 2 or 5 x 10^k) inside ``[low, high]``,
    each with its label: ``0.25``, not ``0.247318``."""
    if not (math.isfinite(low) and math.isfinite(high)) or high <= low:
        return []
    raw = (high - low) / max(count - 1, 1)
    power = 10.0 ** math.floor(math.log10(raw))
    step = min((m * power for m in (1, 2, 5, 10)), key=lambda c: abs(math.log(c / raw)))
    decimals = max(0, -math.floor(math.log10(step) + 1e-9))
    first = math.ceil(low / step - 1e-9)
    out: list[tuple[float, str]] = []
    k = first
    while k * step <= high * (1 + 1e-12) + 1e-12 * step:
        value = k * step
        text = f"{value:.{decimals}f}" if abs(value) < 1e6 else f"{value:.3g}"
        out.append((value, "0" if float(text) == 0 else text))
        k += 1
    return out


def _numeric_axis(dist: Distribution, plot_w: float, label_y: float) -> list[str]:
    """Round ticks along the plotted (quantile-clipped) range of a numeric feature."""
    assert dist.low is not None and dist.high is not None
    low, high = dist.low, dist.high
    parts = []
    for value, text in nice_ticks(low, high):
        x = _PAD_L + plot_w * (value - low) / (high - low)
        parts.append(
            f'<line x1="{x:.1f}" y1="{label_y - 14}" x2="{x:.1f}" y2="{label_y - 10}" '
            'stroke="#888"/>'
            f'<text x="{x:.1f}" y="{label_y}" text-anchor="middle">{esc(text)}</text>'
        )
    return parts


def _svg(name: str, dist: Distribution) -> str:
    """One inline SVG plot: reference and current proportions, side by side per bin."""
    plot_w, plot_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B
    k = len(dist.reference)
    top = max([*dist.reference, *dist.current, 1e-12])
    slot = plot_w / max(k, 1)
    bar = slot / 2 * (0.9 if dist.kind == "categorical" else 1.0)
    parts = [
        f'<svg role="img" width="{_W}" height="{_H}" viewBox="0 0 {_W} {_H}" '
        f'aria-label="{esc(name)} distribution">',
        f"<title>{esc(name)}: reference vs current</title>",
        f'<line x1="{_PAD_L}" y1="{_PAD_T + plot_h}" x2="{_W - _PAD_R}" y2="{_PAD_T + plot_h}" '
        'stroke="#888"/>',
        f'<text x="{_PAD_L - 4}" y="{_PAD_T + 8}" text-anchor="end">{top:.0%}</text>',
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
    if dist.kind == "numeric" and dist.low is not None:
        parts += _numeric_axis(dist, plot_w, label_y)
    elif dist.kind == "categorical":
        for i, label in enumerate(dist.labels):
            short = label if len(label) <= 12 else label[:11] + "…"
            x = _PAD_L + i * slot + slot / 2
            parts.append(
                f'<text x="{x:.1f}" y="{label_y}" text-anchor="middle">{esc(short)}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _html_tests(feat: FeatureResult) -> str:
    t = feat.test
    rows = [
        "<tr><th>measure</th><th>value</th><th>p-value (adj.)</th><th>alpha / required</th>"
        "<th>decides</th></tr>",
        f"<tr><td>{esc(t.name)}</td><td>{fmt(t.statistic)}</td>"
        f"<td>{fmt(t.p_value)} ({fmt(t.p_value_adjusted)})</td><td>{fmt(t.alpha)}</td>"
        f"<td>{_SIGNIFICANT if t.significant else 'no'}</td></tr>",
    ]
    for e in feat.effects.values():
        required = "-" if e.minimum is None else f"{e.minimum:g}"
        decides = "-" if e.minimum is None else ("reached" if e.reached else "not reached")
        rows.append(
            f"<tr><td>{esc(e.name)}</td><td>{fmt(e.value)}</td><td>-</td>"
            f"<td>{required}</td><td>{decides}</td></tr>"
        )
    return "<table>" + "".join(rows) + "</table>"


def _rows(n: int | None) -> str:
    return "-" if n is None else f"{n:,}"


def _facts(run: DriftRun) -> str:
    """What was compared, when, for which version: the first thing a reader needs."""
    rows = [
        ("model", esc(run.name)),
        ("version", esc(run.version) if run.version else "-"),
        ("reference", f"<code>{esc(run.reference)}</code>, {_rows(run.reference_rows)} rows"),
        ("current", f"<code>{esc(run.current)}</code>, {_rows(run.current_rows)} rows"),
        ("generated", esc(run.generated_at.strftime("%Y-%m-%d %H:%M:%S UTC"))),
    ]
    cells = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return f'<table class="facts">{cells}</table>'


def _counts(feat: FeatureResult, dist: Distribution | None) -> str:
    text = (
        f"n = {feat.n_reference:,} reference, {feat.n_current:,} current values"
        f" ({feat.missing_reference:,} / {feat.missing_current:,} missing)"
    )
    if dist is not None and dist.kind == "numeric" and any(dist.outside):
        ref_out, cur_out = dist.outside
        text += (
            f"; plotted over the 0.5-99.5 % quantile range, {ref_out:,} reference and "
            f"{cur_out:,} current values beyond it are drawn in the edge bins"
        )
    return f'<p class="counts">{esc(text)}</p>'


def html_report(run: DriftRun) -> str:
    """``drift.html``: self-contained (inline CSS + inline SVG), drifted features first."""
    rep = run.report
    verdict_cls = "drift" if run.drifted else "ok"
    body = [
        f"<h1>Drift report: {esc(run.name)}</h1>",
        f'<p class="{verdict_cls}">{esc(verdict_line(run))}</p>',
        _facts(run),
    ]
    body += [f"<p>{esc(line)}</p>" for line in detail_lines(run)]
    body += [f"<p><em>note: {esc(n)}</em></p>" for n in [*rep.notes, *run.notes]]
    body.append(
        '<p class="legend">'
        f'<span style="background:{REFERENCE_COLOUR}"></span>reference'
        f'<span style="background:{CURRENT_COLOUR}"></span>current</p>'
    )
    for feat in rep.ordered_features():
        dist = run.distributions.get(feat.name)
        cls = "feature drifted" if feat.drifted else "feature"
        flag = ' <span class="drift">drifted</span>' if feat.drifted else ""
        extra = f"<p>{esc(feat.status)}: {esc(feat.reason)}</p>" if feat.reason else ""
        extra += _counts(feat, dist)
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
