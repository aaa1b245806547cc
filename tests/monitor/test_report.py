"""Markdown and HTML drift reports: drifted features first, one inline SVG per feature."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
from markdown_it import MarkdownIt

from galfriday_gitops.monitor.distributions import distributions
from galfriday_gitops.monitor.drift_run import DriftRun
from galfriday_gitops.report.drift import markdown_report, markdown_summary, text_table
from galfriday_gitops.report.drift_html import html_report
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
