"""Names from data files (columns, categories, variant labels), made safe for each output.

A column of a CSV file is named by whoever wrote the file. Printed raw, a name can end a
line and start a GitHub workflow command in a CI log (``\\n::error::...``), recolour a
terminal (ANSI escapes), hide text behind a bidi override, break a Markdown table or add
a link, or inject HTML. Every renderer passes such names through one function here:

* :func:`text` -- terminal and CI logs: a name made of letters, digits, ``_ . -`` and
  inner spaces is printed as it is; any other is printed as a Python string literal
  (quoted, control characters escaped), so no line it is on can start with ``::``.
  :func:`inline` is for a sentence that may contain a name and is printed after a fixed
  prefix on its line: its control and invisible characters are escaped, so it cannot
  end the line, start another or recolour the terminal.
* :func:`md_code` / :func:`md_text` -- Markdown (GitHub-flavoured): in a code span with a
  fence longer than any backtick run in the name, or as text with every ASCII
  punctuation character backslash-escaped; ``|`` is escaped for table cells; control
  and invisible characters are shown as escapes.
* :func:`html_text` -- HTML text and attribute values.
* :func:`annotation_data` / :func:`annotation_property` -- the message and the
  properties of a workflow command (``%``, CR and LF encoded; ``:`` and ``,`` too in a
  property), as the GitHub Actions toolkit encodes them; other control characters are
  shown as escapes.
"""

from __future__ import annotations

import html
import re
import unicodedata

from galfriday_gitops.findings import printable

__all__ = [
    "annotation_data",
    "annotation_property",
    "html_text",
    "inline",
    "md_code",
    "md_text",
    "text",
]

_PLAIN = re.compile(r"\w(?:[\w.\- ]*[\w.\-])?")
_ASCII_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
_BACKTICKS = re.compile(r"`+")


def _invisible(ch: str) -> bool:
    """C1 controls, format characters (bidi, zero-width) and line/paragraph separators."""
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp")


def _visible(name: str) -> str:
    """:func:`~galfriday_gitops.findings.printable` (C0 controls as ``\\xNN``), and the
    other invisible characters as escapes too (``\\u202e``)."""
    shown = printable(name)
    if all(ch.isascii() or not _invisible(ch) for ch in shown):
        return shown
    return "".join(
        ch.encode("unicode_escape").decode("ascii") if _invisible(ch) else ch for ch in shown
    )


def text(name: str) -> str:
    """``name`` for a plain-text line (see the module docstring)."""
    if _PLAIN.fullmatch(name):
        return name
    return repr(name)


def inline(value: str) -> str:
    """``value`` inside a line that starts with our own words (see the module docstring)."""
    return _visible(value)


def md_code(name: str) -> str:
    """``name`` as a Markdown code span that also survives a table cell."""
    shown = _visible(name).replace("|", "\\|")
    longest = max((len(m.group()) for m in _BACKTICKS.finditer(shown)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") or not shown.strip() else ""
    return f"{fence}{pad}{shown}{pad}{fence}"


def md_text(value: str) -> str:
    """``value`` as literal Markdown text: no markup, link, HTML or table break survives."""
    return _ASCII_PUNCTUATION.sub(r"\\\1", _visible(value))


def html_text(value: str) -> str:
    """``value`` for HTML text or a quoted attribute."""
    return html.escape(_visible(value), quote=True)


def annotation_data(value: str) -> str:
    """The message of a workflow command (``::warning ...::<message>``); other control
    characters (a terminal escape) are shown as escapes rather than sent to the log."""
    return _visible(value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def annotation_property(value: str) -> str:
    """A property value of a workflow command (``title=<value>``)."""
    return annotation_data(value).replace(":", "%3A").replace(",", "%2C")
