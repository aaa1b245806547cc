"""Names from data files, made inert for each output (checked by real parsers elsewhere:
tests/monitor/test_outputs.py, tests/experiments/test_cli.py)."""

from __future__ import annotations

import pytest

from galfriday_gitops.report import escape


@pytest.mark.parametrize("name", ["price", "ret_5m", "vol 1h", "prix_é", "a.b-c"])
def test_plain_names_print_as_they_are(name: str) -> None:
    assert escape.text(name) == name


@pytest.mark.parametrize(
    "name", ["::error::x", "a\nb", "x\x1b[31m", "tab\tname", "\u202eevil", " lead", "trail "]
)
def test_other_names_print_as_quoted_literals(name: str) -> None:
    shown = escape.text(name)
    assert shown == repr(name)
    assert "\n" not in shown and "\x1b" not in shown and not shown.startswith("::")


def test_inline_keeps_sentences_on_their_line() -> None:
    assert escape.inline("guardrail failed: a\nb\x1b") == "guardrail failed: a\\x0ab\\x1b"
    assert escape.inline("bidi \u202e") == "bidi \\u202e"


def test_markdown_code_span_fence_outgrows_backtick_runs() -> None:
    assert escape.md_code("plain") == "`plain`"
    assert escape.md_code("a`b") == "``a`b``"
    assert escape.md_code("`x``") == "``` `x`` ```"
    assert escape.md_code("a|b") == "`a\\|b`"  # a table cell's pipe
    assert escape.md_code("a\nb") == "`a\\x0ab`"


def test_markdown_text_escapes_every_punctuation_mark() -> None:
    assert escape.md_text("[l](http://e) <b>") == "\\[l\\]\\(http\\:\\/\\/e\\) \\<b\\>"
    assert escape.md_text("plain words") == "plain words"


def test_html_and_annotations() -> None:
    assert escape.html_text('<a href="x">') == "&lt;a href=&quot;x&quot;&gt;"
    assert escape.annotation_data("50%\r\n::x") == "50%25%0D%0A::x"
    assert escape.annotation_property("a:b,c") == "a%3Ab%2Cc"
    assert escape.annotation_data("\x1b[31m") == "\\x1b[31m"
