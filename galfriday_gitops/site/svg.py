"""Inline SVG drawings: a policy's stage transition graph, an experiment's interval.

Each drawing is ``role="img"`` with a ``<title>`` and a ``<desc>`` (what a screen reader
says), drawn with presentation attributes only (no inline styles, so the pages' Content
Security Policy needs no ``'unsafe-inline'``), and every label escaped like any other text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from galfriday_gitops.resources import ModelStage
from galfriday_gitops.site.html import Html, el, join

NODE_W, NODE_H, GAP, MARGIN = 104, 30, 26, 12
INK, EDGE, NODE_FILL, LIVE_FILL, INITIAL_STROKE = (
    "#1b1f24",
    "#4a5560",
    "#e7eef7",
    "#fbe3c0",
    "#0b57d0",
)


def _label(id_prefix: str, title: str, desc: str) -> tuple[Html, dict[str, str]]:
    parts = join(
        [el("title", title, id=f"{id_prefix}-title"), el("desc", desc, id=f"{id_prefix}-desc")]
    )
    return parts, {"role": "img", "aria_labelledby": f"{id_prefix}-title {id_prefix}-desc"}


def _rise(span: int) -> int:
    """How far an arc over ``span`` columns bulges (a cubic reaches 3/4 of its control)."""
    return 16 + 14 * span if span else 0


def transition_graph(
    id_prefix: str,
    name: str,
    transitions: Mapping[ModelStage, Sequence[ModelStage]],
    initial: ModelStage,
) -> Html:
    """Stages left to right in lifecycle order; forward moves arc above, backward below."""
    used = {initial, *transitions, *(t for targets in transitions.values() for t in targets)}
    stages = [s for s in ModelStage if s in used]
    x = {s: MARGIN + i * (NODE_W + GAP) for i, s in enumerate(stages)}
    col = {s: i for i, s in enumerate(stages)}
    edges = sorted(
        ((a, b) for a, targets in transitions.items() for b in targets if a != b),
        key=lambda e: (col[e[0]], col[e[1]]),
    )
    up = max((col[b] - col[a] for a, b in edges if col[b] > col[a]), default=0)
    down = max((col[a] - col[b] for a, b in edges if col[b] < col[a]), default=0)
    top = MARGIN + _rise(up)
    width = 2 * MARGIN + len(stages) * NODE_W + (len(stages) - 1) * GAP
    height = top + NODE_H + _rise(down) + MARGIN
    arrow = f"{id_prefix}-arrow"
    shapes: list[Html] = [
        el(
            "defs",
            el(
                "marker",
                el("path", d="M0,0 L8,4 L0,8 z", fill=EDGE),
                id=arrow,
                viewBox="0 0 8 8",
                refX="7",
                refY="4",
                markerWidth="7",
                markerHeight="7",
                orient="auto",
            ),
        )
    ]
    for a, b in edges:
        forward = col[b] > col[a]
        ax, bx = x[a] + NODE_W / 2, x[b] + NODE_W / 2
        # Offsets keep the two directions of one pair apart.
        ax, bx = (ax + 8, bx - 8) if forward else (ax - 8, bx + 8)
        y = top if forward else top + NODE_H
        lift = _rise(abs(col[a] - col[b])) * (-1 if forward else 1)
        shapes.append(
            el(
                "path",
                d=f"M{ax:g},{y} C{ax:g},{y + lift} {bx:g},{y + lift} {bx:g},{y}",
                fill="none",
                stroke=EDGE,
                stroke_width="1.5",
                marker_end=f"url(#{arrow})",
            )
        )
    for stage in stages:
        fill = LIVE_FILL if stage.is_live else NODE_FILL
        stroke = INITIAL_STROKE if stage is initial else EDGE
        shapes.append(
            el(
                "g",
                el(
                    "rect",
                    x=x[stage],
                    y=top,
                    width=NODE_W,
                    height=NODE_H,
                    rx="6",
                    fill=fill,
                    stroke=stroke,
                    stroke_width="2" if stage is initial else "1",
                ),
                el(
                    "text",
                    stage.value,
                    x=x[stage] + NODE_W / 2,
                    y=top + NODE_H / 2 + 5,
                    text_anchor="middle",
                    font_size="13",
                    fill=INK,
                ),
            )
        )
    moves = "; ".join(f"{a.value} to {b.value}" for a, b in edges) or "none"
    label, aria = _label(
        id_prefix,
        f"Stage transitions of policy {name}",
        f"New versions start in {initial.value}. Allowed moves: {moves}.",
    )
    return el(
        "svg",
        label,
        *shapes,
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        class_="graph",
        **aria,
    )


def _pct(value: float) -> str:
    return f"{value * 100:+.1f} %" if value else "0 %"


def _tick(value: float) -> str:
    return f"{round(value * 100, 6):+g} %" if value else "0 %"


def _nice(reach: float) -> float:
    """The smallest 1, 2, 2.5 or 5 x 10^k at least ``reach``: axis ends that read well."""
    power = 10.0 ** math.floor(math.log10(reach))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= reach * (1 - 1e-9))


def interval_plot(
    id_prefix: str, name: str, lift: float | None, ci: Sequence[float], level: int
) -> Html:
    """The relative lift with its interval on an axis centred on zero (no effect)."""
    width, height, pad = 520, 84, 40
    values = [abs(v) for v in (lift, *ci) if v is not None]
    reach = _nice(max([*values, 0.01]) * 1.1)
    axis_y, mark_y = 58, 30

    def sx(v: float) -> float:
        return round(pad + (v + reach) / (2 * reach) * (width - 2 * pad), 2)

    parts: list[Html] = [
        el("line", x1=pad, y1=axis_y, x2=width - pad, y2=axis_y, stroke=EDGE, stroke_width="1"),
    ]
    for tick in (-reach, -reach / 2, 0.0, reach / 2, reach):
        parts.append(el("line", x1=sx(tick), y1=axis_y, x2=sx(tick), y2=axis_y + 5, stroke=EDGE))
        parts.append(
            el(
                "text",
                _tick(tick),
                x=sx(tick),
                y=axis_y + 18,
                text_anchor="middle",
                font_size="11",
                fill=INK,
            )
        )
    parts.append(
        el("line", x1=sx(0), y1=10, x2=sx(0), y2=axis_y, stroke=EDGE, stroke_dasharray="3 3")
    )
    if len(ci) == 2:
        lo, hi = sorted(ci)
        parts.append(
            el(
                "line",
                x1=sx(lo),
                y1=mark_y,
                x2=sx(hi),
                y2=mark_y,
                stroke=INITIAL_STROKE,
                stroke_width="3",
            )
        )
        for end in (lo, hi):
            parts.append(
                el(
                    "line",
                    x1=sx(end),
                    y1=mark_y - 7,
                    x2=sx(end),
                    y2=mark_y + 7,
                    stroke=INITIAL_STROKE,
                    stroke_width="2",
                )
            )
    if lift is not None:
        parts.append(el("circle", cx=sx(lift), cy=mark_y, r="5", fill=INK))
    interval = (
        f"{level} % interval from {_pct(min(ci))} to {_pct(max(ci))}"
        if len(ci) == 2
        else "no interval recorded"
    )
    said = f"relative lift {_pct(lift)}" if lift is not None else "no lift recorded"
    label, aria = _label(
        id_prefix,
        f"Result of experiment {name}",
        f"Treatment against control: {said}, {interval}; the dashed line is no effect.",
    )
    return el(
        "svg",
        label,
        *parts,
        viewBox=f"0 0 {width} {height}",
        width=width,
        height=height,
        class_="interval",
        **aria,
    )
