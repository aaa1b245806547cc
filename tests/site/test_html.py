"""site/html.py: data enters a page only as text, in element content and attribute values."""

from __future__ import annotations

from html.parser import HTMLParser

from galfriday_gitops.resources import ModelStage
from galfriday_gitops.site.html import Html, el, esc, join

HOSTILE = "</td><script>alert(\"x\")</script> & 'y'"


class _Attrs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(markup: str) -> _Attrs:
    parser = _Attrs()
    parser.feed(markup)
    parser.close()
    return parser


def test_text_and_attribute_values_are_escaped_and_read_back_unchanged() -> None:
    markup = el("td", HOSTILE, title=HOSTILE, data_sort=HOSTILE)
    assert "<script>" not in markup and '"x"' not in markup
    parsed = _parse(markup)
    assert parsed.found == [("td", {"title": HOSTILE, "data-sort": HOSTILE})]
    assert "".join(parsed.text) == HOSTILE


def test_markup_built_here_is_kept_and_plain_strings_never_are() -> None:
    inner = el("code", "1.0.0")
    assert el("td", inner) == "<td><code>1.0.0</code></td>"
    assert el("td", "<code>1.0.0</code>") == "<td>&lt;code&gt;1.0.0&lt;/code&gt;</td>"
    assert esc(inner) is inner and isinstance(esc("<"), Html) and esc("<") == "&lt;"
    assert (
        join(["<", inner, None, ["&", [inner]]]) == "&lt;<code>1.0.0</code>&amp;<code>1.0.0</code>"
    )


def test_attributes_booleans_names_and_non_strings() -> None:
    assert el("script", src="a.js", defer=True) == '<script src="a.js" defer></script>'
    assert el("a", "x", href=None, hidden=False) == "<a>x</a>"
    assert el("th", "n", class_="num", aria_sort="ascending") == (
        '<th class="num" aria-sort="ascending">n</th>'
    )
    assert el("meta", charset="utf-8") == '<meta charset="utf-8">'  # void: no end tag
    assert el("td", 0.5, data_sort=3) == '<td data-sort="3">0.5</td>'
    assert el("td", ModelStage.PRODUCTION) == "<td>production</td>"
