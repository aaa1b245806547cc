"""Markdown and HTML drift reports: drifted features first, one inline SVG per feature."""

from __future__ import annotations

import itertools
import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
from markdown_it import MarkdownIt

from galfriday_gitops.monitor.distributions import distributions
from galfriday_gitops.monitor.drift_run import DriftRun
from galfriday_gitops.report.drift import markdown_report, markdown_summary, text_table
from galfriday_gitops.report.drift_html import html_report, nice_ticks
from galfriday_gitops.stats.drift import analyze
from tests.monitor.conftest import MODEL, DriftRegistry
from tests.support.cli import gfops


class _Page(HTMLParser):
    """Collects what the checks need: svg count, section order, every URL-ish attribute."""

    def __init__(self) -> None:
        super().__init__()
        self.svgs = 0
        self.sections: list[str] = []
        self.tags: set[str] = set()
        self.urls: list[str] = []
        self._in_h2 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "svg":
            self.svgs += 1
        if tag == "section":
            self.sections.append(dict(attrs).get("id", "") or "")
        for key, value in attrs:
            if key in ("src", "href", "xlink:href") and value:
                self.urls.append(value)


def _parse(text: str) -> _Page:
    page = _Page()
    page.feed(text)
    page.close()
    return page


def _headings(md: str) -> list[tuple[str, str, str]]:
    """(feature, kind, " - drifted" or "") of each feature heading, as a Markdown reader sees it."""
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    out = []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h3":
            text = "".join(c.content for c in tokens[i + 1].children or [])
            match = re.fullmatch(r"(.+) \((numeric|categorical)\)( - drifted)?", text)
            assert match is not None, text
            out.append((match.group(1), match.group(2), match.group(3) or ""))
    return out


def _run(shift: float = 1.0) -> DriftRun:
    rng = np.random.default_rng(3)
    n = 1000
    ref = pd.DataFrame(
        {
            "calm": rng.normal(size=n),
            "<b>moved</b>": rng.normal(size=n),
            "venue": rng.choice(["x", "y"], n),
        }
    )
    cur = pd.DataFrame(
        {
            "calm": rng.normal(size=n),
            "<b>moved</b>": rng.normal(shift, 1.0, n),
            "venue": rng.choice(["x", "y", "new<script>"] if shift else ["x", "y"], n),
        }
    )
    rep = analyze(ref, cur, numeric=["calm", "<b>moved</b>"], categorical=["venue"])
    return DriftRun("m", "ref.csv", "cur.csv", rep, distributions(ref, cur, rep))


def test_html_is_self_contained_with_one_svg_per_feature_drifted_first() -> None:
    run = _run()
    page = _parse(html_report(run))
    assert page.svgs == 3
    assert page.sections[0] == "feature-<b>moved</b>"  # drifted first (unescaped by parser)
    assert page.sections[-1] == "feature-calm"
    assert not page.urls and "script" not in page.tags and "link" not in page.tags
    text = html_report(run)
    assert "new<script>" not in text and "new&lt;script&gt;" in text
    assert not re.search(r"https?://", text)


def test_markdown_and_table_list_drifted_first_and_escape() -> None:
    run = _run()
    order = [name for name, _, _ in _headings(markdown_report(run))]
    assert order[0] == "<b>moved</b>" and order[-1] == "calm"
    assert "Drifted features:" in markdown_summary(run)
    lines = text_table(run).splitlines()
    assert lines[2].startswith("'<b>moved</b>'")  # not a plain name: quoted


def test_no_drift_summary() -> None:
    run = _run(shift=0.0)
    assert not run.report.dataset_drift
    assert "no drift" in markdown_summary(run)
    assert "Drifted features" not in markdown_summary(run)


def test_policy_report_names_shifted_features_first(
    drift_registry: DriftRegistry, tmp_path: Path
) -> None:
    out = tmp_path / "report"
    res = gfops("drift", "--model", MODEL, "--report", str(out), cwd=drift_registry.path)
    assert res.code == 1, res.err
    headings = _headings((out / "drift.md").read_text(encoding="utf-8"))
    names = [h[0] for h in headings]
    assert sorted(names) == sorted(
        ["spread_bps", "imbalance_l5", "ret_5m", "ret_1h", "vol_1h", "session"]
    )
    flags = [bool(h[2]) for h in headings]
    assert flags == sorted(flags, reverse=True)  # every drifted one before every other
    assert {"spread_bps", "vol_1h"} <= set(names[: flags.count(True)])
    assert names[-1] == "session"
    html = (out / "drift.html").read_text(encoding="utf-8")
    page = _parse(html)
    assert page.svgs == 6
    assert [s.removeprefix("feature-") for s in page.sections] == names
    assert not page.urls and not re.search(r"https?://", html)
    # what was compared, for which version, when: in the page's facts table
    assert "<th>version</th><td>1.0.0</td>" in html
    assert re.search(r"<th>reference</th><td><code>[^<]+</code>, [\d,]+ rows</td>", html)
    assert re.search(r"<th>generated</th><td>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC</td>", html)


def _tick_labels(svg: str) -> list[str]:
    """The x-axis labels of the plots: the text under each tick mark."""
    tick = r'stroke="#888"/><text x="[\d.]+" y="[\d.]+" text-anchor="middle">([^<]*)</text>'
    return re.findall(tick, svg)


def test_axis_ticks_are_round_and_outliers_do_not_squash_the_histogram() -> None:
    rng = np.random.default_rng(11)
    n = 2000
    ref = pd.DataFrame({"spread": rng.normal(0.0, 1.0, n)})
    cur = pd.DataFrame({"spread": np.append(rng.normal(0.3, 1.0, n - 1), 1e9)})  # one outlier
    rep = analyze(ref, cur, numeric=["spread"], categorical=[])
    run = DriftRun("m", "ref.csv", "cur.csv", rep, distributions(ref, cur, rep),
                   reference_rows=n, current_rows=n, version="1.2.0")  # fmt: skip
    dist = run.distributions["spread"]
    # the range is the 0.5..99.5 % quantiles, so the bulk spreads over many bins
    assert dist.high is not None and dist.high < 10 and dist.outside[1] >= 1
    assert sum(1 for p in dist.current if p > 0.01) >= 10
    page = html_report(run)
    labels = _tick_labels(page)
    assert len(labels) >= 3
    values = [float(v) for v in labels]
    steps = {round(b - a, 9) for a, b in itertools.pairwise(values)}
    assert len(steps) == 1  # evenly spaced
    assert all(len(v.split(".")[-1]) <= 1 or "." not in v for v in labels), labels  # round
    assert "beyond it are drawn in the edge bins" in page
    assert "n = 2,000 reference, 2,000 current values" in page
    assert "<th>version</th><td>1.2.0</td>" in page and "2,000 rows" in page


def test_nice_ticks() -> None:
    assert [t for _, t in nice_ticks(-2.57, 2.61)] == ["-2", "-1", "0", "1", "2"]
    assert [t for _, t in nice_ticks(0.0123, 0.0871)] == ["0.02", "0.04", "0.06", "0.08"]
    assert [t for _, t in nice_ticks(1500.0, 9800.0)] == ["2000", "4000", "6000", "8000"]
    assert nice_ticks(1.0, 1.0) == []
