"""The frame every page shares (head, navigation, footer) and small formatting helpers.

Pages link to one local stylesheet and one local script by relative paths, so the site
works from ``file://`` and under any GitHub Pages prefix. A Content Security Policy in
each page allows nothing but those two files: even a value that escaped escaping could
not load or send anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import quote

from galfriday_gitops.findings import Finding
from galfriday_gitops.site.collect import SiteData
from galfriday_gitops.site.html import Html, el, join

CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)
NAV = (
    ("index.html", "Models"),
    ("policies.html", "Policies"),
    ("experiments.html", "Experiments"),
    ("reports.html", "Drift and lifecycle"),
    ("audit.html", "Audit"),
)
DASH = "—"


def model_href(name: str, depth: int) -> str:
    """The page of model ``name`` from a page ``depth`` folders down."""
    return f"{'../' * depth}models/{quote(name, safe='')}.html"


def model_link(name: str, depth: int) -> Html:
    return el("a", name, href=model_href(name, depth))


def when(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def day(seconds: int) -> str:
    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%d")


def num(value: float | int | None) -> str:
    """A readable number: thousands separated, at most four significant digits."""
    if value is None:
        return DASH
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value):,}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.4g}"


def pct(value: float | None, digits: int = 1) -> str:
    return DASH if value is None else f"{value * 100:.{digits}f} %"


def badge(text: str, kind: str) -> Html:
    return el("span", text, class_=f"badge {kind}")


@dataclass(frozen=True, slots=True)
class Col:
    """A table column: its heading, and whether it holds numbers (right-aligned, sorted as such)."""

    label: str
    numeric: bool = False


def td(content: object, *, sort: object = None, numeric: bool = False, cls: str = "") -> Html:
    classes = " ".join(c for c in ("num" if numeric else "", cls) if c) or None
    return el("td", content, data_sort=sort, class_=classes)


def table(
    columns: Sequence[Col],
    rows: Iterable[Sequence[Html]],
    *,
    caption: str,
    sortable: bool = False,
) -> Html:
    head = el(
        "tr",
        [el("th", c.label, scope="col", class_="num" if c.numeric else None) for c in columns],
    )
    body = [el("tr", list(row)) for row in rows]
    return el(
        "div",
        el(
            "table",
            el("caption", caption),
            el("thead", head),
            el("tbody", body),
            class_="sortable" if sortable else None,
        ),
        class_="scroll",
    )


def page(data: SiteData, *, title: str, current: str, body: Sequence[Html], depth: int = 0) -> str:
    """One complete page; ``depth`` is how many folders below the site's root it lives."""
    up = "../" * depth
    links = [
        el(
            "li",
            el("a", label, href=up + href, aria_current="page" if href == current else None),
        )
        for href, label in NAV
    ]
    audit = "audit ok" if not data.audit_errors else f"{data.audit_errors} audit finding(s)"
    footer = join(
        [
            "Built by ",
            el("code", "gfops site"),
            " from ",
            el("code", data.rev),
            " = commit ",
            el("code", data.head.sha[:12], title=data.head.sha),
            f" of {when(data.head.time)} · {audit}",
        ]
    )
    document = el(
        "html",
        el(
            "head",
            el("meta", charset="utf-8"),
            el("meta", name="viewport", content="width=device-width, initial-scale=1"),
            el("meta", http_equiv="Content-Security-Policy", content=CSP),
            el("meta", name="referrer", content="no-referrer"),
            el("title", f"{title} · model registry"),
            el("link", rel="stylesheet", href=f"{up}assets/site.css"),
            el("script", src=f"{up}assets/sort.js", defer=True),
        ),
        el(
            "body",
            el("a", "Skip to content", href="#content", class_="skip"),
            el(
                "header",
                el("a", "Model registry", href=f"{up}index.html", class_="brand"),
                el("nav", el("ul", links), aria_label="Site"),
                class_="site",
            ),
            el("main", list(body), id="content"),
            el("footer", footer, class_="site"),
        ),
        lang="en",
    )
    return "<!DOCTYPE html>\n" + document + "\n"


def facts(pairs: Iterable[tuple[str, object]]) -> Html:
    """A definition list of label -> value (values escaped unless Html)."""
    items: list[Html] = []
    for label, value in pairs:
        items += [el("dt", label), el("dd", DASH if value is None or value == "" else value)]
    return el("dl", items, class_="facts")


def findings_table(findings: Sequence[Finding], caption: str) -> Html:
    """Rule id, where (file:line, or the tag), message of each finding."""
    rows = []
    for f in findings:
        where = f.file if f.file.startswith("refs/") else f"{f.file}:{f.line}"
        rows.append([td(el("code", f.rule)), td(el("code", where)), td(f.message)])
    return table([Col("rule"), Col("where"), Col("message")], rows, caption=caption)
