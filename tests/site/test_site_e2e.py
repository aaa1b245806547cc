"""``gfops site`` end to end: the real CLI on a real git registry with an applied audit trail.

What each page shows, byte-identical output for one revision, escaping of crafted values
(read back with Python's HTML parser: they must come out as the same text), the refusal to
replace a folder that is not a site, and the drift and lifecycle reports of the real jobs.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from galfriday_gitops.site import MARKER
from tests.site.conftest import (
    CRAFTED_DESCRIPTION,
    CRAFTED_MODEL,
    CRAFTED_SUBJECT,
    SiteRegistry,
)
from tests.support.cli import Result, gfops
from tests.support.repo import Repo


class Page(HTMLParser):
    """A page as elements (tag, attributes) and the text between them."""

    def __init__(self, path: Path) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self.feed(path.read_text(encoding="utf-8"))
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.texts.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.texts).split())

    def attribute_values(self, name: str) -> list[str]:
        return [a[name] or "" for _, a in self.elements if name in a]


def build(repo: Repo, out: Path, *args: str) -> Result:
    return gfops("site", "--out", str(out), *args, cwd=repo.path)


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


# ---------------------------------------------------------------- content


def test_the_site_shows_models_stages_history_and_approvers(
    site_registry: SiteRegistry, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    result = build(site_registry.repo, out, "--rev", site_registry.trail)
    assert result.code == 0, result.err
    assert "wrote 7 pages (2 models)" in result.out
    assert "audit:" not in result.out  # the applied trail verifies
    index = Page(out / "index.html").text
    assert "price-direction" in index and "spread-model" in index
    assert "audit ok" in index
    model = Page(out / "models" / "price-direction.html").text
    # PR #5 moved 1.0.0 to production with dave's and erin's approvals, recorded in its tags.
    assert "staging → production #5 dave, erin" in model
    assert "price-direction#production#" in model and "approved" in model
    assert "registered in development" in model
    audit = Page(out / "audit.html").text
    assert "Every audited change on this history has its tags" in audit
    again = build(site_registry.repo, out, "--rev", site_registry.trail, "--format", "json")
    assert again.code == 0, again.err
    assert json.loads(again.out) == {
        "out": str(out),
        "rev": site_registry.trail,
        "commit": site_registry.trail,
        "pages": 7,
        "files": 10,
        "models": 2,
        "audit_findings": 0,
    }
    policies = Page(out / "policies.html")
    graph_titles = [a.get("aria-labelledby") for t, a in policies.elements if t == "svg"]
    assert graph_titles == ["policy-1-title policy-1-desc"]
    assert "Allowed moves: development to testing" in policies.text
    assert "ml-leads" in policies.text


def test_index_rows_carry_production_metrics_canary_share_and_experiments(
    site_registry: SiteRegistry, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    assert build(site_registry.repo, out).code == 0
    index = Page(out / "index.html").text
    assert "price-direction 1.0.0 test.accuracy 0.9" in index  # production and its metric
    assert "0.2.0 (10 %)" in index  # the canary's traffic share
    experiments = Page(out / "experiments.html")
    assert "relative lift +3.1 %" in experiments.text
    assert "95 % interval from +1.2 % to +5.0 %" in experiments.text  # the SVG's description
    assert any(t == "svg" and a.get("role") == "img" for t, a in experiments.elements)


def test_an_untagged_change_shows_on_the_audit_page(
    site_registry: SiteRegistry, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    result = build(site_registry.repo, out)
    assert result.code == 0, result.err
    # The crafted direct push: two untagged registrations (GF300), one of them born into
    # canary (GF308 naming GF201), and an experiment added without a pull request (GF309)
    # whose made-up conclusion the gate would block (GF308 naming GF220: untracked data).
    assert "audit: 5 finding(s)" in result.out
    audit = Page(out / "audit.html").text
    assert "GF300" in audit and "xss-model@1.0.0 registered in development" in audit
    assert "GF308" in audit and "GF201" in audit and "GF309" in audit
    assert "GF220" in audit and "DVC does not track data/experiments/spread-ab" in audit
    model = Page(out / "models" / f"{CRAFTED_MODEL}.html").text
    assert "untagged" in model


# ---------------------------------------------------------------- determinism


def test_one_revision_gives_byte_identical_sites(
    site_registry: SiteRegistry, tmp_path: Path
) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    assert build(site_registry.repo, first).code == 0
    assert build(site_registry.repo, second).code == 0
    assert tree(first) == tree(second)
    assert build(site_registry.repo, first).code == 0  # rebuilt in place
    assert tree(first) == tree(second)
    # The only date is the commit's, never the clock.
    stamp = int(site_registry.repo.git("log", "-1", "--format=%ct", site_registry.crafted))
    when = dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    assert f"of {when}" in Page(first / "index.html").text
    # Control: another revision is another site.
    other = tmp_path / "c"
    assert build(site_registry.repo, other, "--rev", site_registry.trail).code == 0
    assert tree(other) != tree(first)


# ---------------------------------------------------------------- escaping


def test_crafted_values_come_out_as_text_never_as_markup(
    site_registry: SiteRegistry, tmp_path: Path
) -> None:
    out = tmp_path / "site"
    assert build(site_registry.repo, out).code == 0
    pages = sorted(out.rglob("*.html"))
    assert len(pages) == 8
    for path in pages:
        page = Page(path)
        scripts = [a.get("src") for t, a in page.elements if t == "script"]
        assert len(scripts) == 1 and str(scripts[0]).endswith("assets/sort.js"), path
        assert not [t for t, _ in page.elements if t in ("img", "b", "iframe", "object")], path
        handlers = [k for _, a in page.elements for k in a if k.startswith("on") or k == "data-x"]
        assert handlers == [], path
    model = Page(out / "models" / f"{CRAFTED_MODEL}.html")
    assert CRAFTED_DESCRIPTION in model.text  # the very text, decoded back
    assert CRAFTED_SUBJECT in model.attribute_values("title")  # a quote inside an attribute
    raw = (out / "models" / f"{CRAFTED_MODEL}.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in raw
    assert "&quot; onmouseover=&quot;window.pwned=3&quot;" in raw
    audit = Page(out / "audit.html").text
    assert "window.pwned=3" in audit  # the subject, quoted in the GF300 message, as text


# ---------------------------------------------------------------- replacing a folder


def test_refuses_to_replace_a_folder_it_did_not_build(
    site_registry: SiteRegistry, tmp_path: Path
) -> None:
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me", encoding="utf-8")
    refused = build(site_registry.repo, precious)
    assert refused.code == 2
    assert "not built by gfops site" in refused.err and MARKER in refused.err
    assert "Traceback" not in refused.err
    assert sorted(p.name for p in precious.iterdir()) == ["notes.txt"]
    a_file = tmp_path / "file.html"
    a_file.write_text("x", encoding="utf-8")
    assert build(site_registry.repo, a_file).code == 2
    assert a_file.read_text(encoding="utf-8") == "x"
    # Controls: an empty folder is filled, and an earlier site is replaced as a whole.
    empty = tmp_path / "empty"
    empty.mkdir()
    assert build(site_registry.repo, empty).code == 0
    assert (empty / MARKER).is_file() and (empty / "index.html").is_file()
    (empty / "stale.html").write_text("from an old build", encoding="utf-8")
    assert build(site_registry.repo, empty).code == 0
    assert not (empty / "stale.html").exists()
    link = tmp_path / "link"
    link.symlink_to(empty)
    followed = build(site_registry.repo, link)
    assert followed.code == 2 and "symlink" in followed.err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


# ---------------------------------------------------------------- reports


def _inference_log(path: Path, version: str, end: dt.datetime) -> None:
    rng = np.random.default_rng(7)
    n = 600
    stamps = np.datetime64(end.replace(tzinfo=None), "ms") - rng.integers(
        0, 80_000_000, size=n
    ).astype("timedelta64[ms]")
    table = pa.table(
        {
            "timestamp": pa.array(stamps, type=pa.timestamp("ms", tz="UTC")),
            "version": [version] * n,
            "success": np.ones(n, dtype=bool),
            "latency_ms": 10 * np.exp(0.2 * rng.standard_normal(n)),
            "confidence": np.full(n, 0.8),
            "cost": np.full(n, 0.0004),
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)


def test_drift_and_lifecycle_reports_of_the_real_jobs(repo: Repo, tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    data = tmp_path / "data"
    data.mkdir()
    pd.DataFrame({"spread_bps": rng.normal(0, 1, 2000)}).to_csv(data / "ref.csv", index=False)
    pd.DataFrame({"spread_bps": rng.normal(1.5, 1, 2000)}).to_csv(data / "cur.csv", index=False)
    reports = tmp_path / "reports"
    reports.mkdir()
    drift = gfops("drift", "--reference", str(data / "ref.csv"), "--current",
                  str(data / "cur.csv"), "--format", "json", cwd=repo.path)  # fmt: skip
    assert drift.code == 1, drift.err  # drift found: the report says so
    (reports / "drift.json").write_text(drift.out, encoding="utf-8")
    end = dt.datetime(2027, 1, 10, 12, tzinfo=dt.UTC)
    _inference_log(tmp_path / "logs" / "1.1.0.parquet", "1.1.0", end)
    lifecycle = gfops("lifecycle", "--format", "json", "--logs", str(tmp_path / "logs"),
                      "--now", end.isoformat(), cwd=repo.path)  # fmt: skip
    assert lifecycle.code in (0, 1), lifecycle.err
    (reports / "lifecycle.json").write_text(lifecycle.out, encoding="utf-8")
    out = tmp_path / "site"
    result = build(repo, out, "--reports", str(reports))
    assert result.code == 0, result.err
    page = Page(out / "reports.html")
    assert "From the scheduled jobs' reports: drift.json, lifecycle.json" in page.text
    assert "ad hoc drift spread_bps" in page.text  # the run, its verdict, the drifted feature
    assert "as of 2027-01-10" in page.text
    assert "price-direction 1.1.0 production ok" in page.text  # inference health of 1.1.0
    hrefs = page.attribute_values("href")
    assert "models/price-direction.html" in hrefs
    assert not [h for h in hrefs if "ad" in h and "hoc" in h]  # no page: no link
    # Control: without --reports the page says where the reports would come from.
    bare = tmp_path / "bare"
    assert build(repo, bare).code == 0
    assert "gfops site --reports DIR" in Page(bare / "reports.html").text


def test_a_report_that_is_not_the_jobs_output_is_a_clear_error(repo: Repo, tmp_path: Path) -> None:
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "drift.json").write_text(json.dumps({"models": {"m": {"model": 3}}}))
    result = build(repo, tmp_path / "site", "--reports", str(reports))
    assert result.code == 2
    assert "drift.json: models.m.model: expected a string" in result.err
    assert not (tmp_path / "site").exists()
    (reports / "drift.json").write_text('{"model": NaN}')
    nan = build(repo, tmp_path / "site", "--reports", str(reports))
    assert nan.code == 2 and "not valid JSON" in nan.err
    (reports / "drift.json").unlink()
    os.symlink(tmp_path / "elsewhere.json", reports / "lifecycle.json")
    linked = build(repo, tmp_path / "site", "--reports", str(reports))
    assert linked.code == 2 and "symlinks are refused" in linked.err


def test_a_refused_file_is_listed_not_hidden(repo: Repo, tmp_path: Path) -> None:
    repo.write("models/price-direction/1.3.0.yaml", "apiVersion: galfriday/v1\nkind: [\n")
    repo.commit("a broken manifest")
    out = tmp_path / "site"
    result = build(repo, out)
    assert result.code == 0, result.err
    index = Page(out / "index.html").text
    assert "Files the loader refused" in index
    assert "GF100 models/price-direction/1.3.0.yaml:" in index
    assert "price-direction 1.1.0" in index  # the valid versions are still shown
    model = Page(out / "models" / "price-direction.html").text
    assert "files of this model the loader refused" in model
