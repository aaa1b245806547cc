"""Building HTML where escaping is the default: data can only enter a page as text.

:class:`Html` marks markup this module built; every other value given to :func:`el` or
:func:`esc` — a model name, a description, a PR title, an approver login, a number — is
escaped (``<``, ``>``, ``&`` and both quotes), in text and in attribute values alike.
There is no way to splice a raw string into a page except by wrapping it in ``Html``,
which only the site's own templates do for their fixed markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

# Attributes that are present or absent, never given a value.
_BOOLEAN = frozenset({"hidden", "defer"})
_VOID = frozenset({"meta", "link", "br", "hr", "img", "input"})


class Html(str):
    """Markup that is already safe to put in a page (built here, data escaped)."""

    __slots__ = ()


def esc(value: object) -> Html:
    """``value`` as text: Html is kept, anything else is escaped (quotes included)."""
    return value if isinstance(value, Html) else Html(_text(value))


_NAMES: dict[str, str] = {}


def _attr_name(name: str) -> str:
    # Python spelling -> HTML: class_ -> class, aria_label -> aria-label, data_sort -> data-sort.
    found = _NAMES.get(name)
    if found is None:
        found = _NAMES[name] = name.rstrip("_").replace("_", "-")
    return found


def attrs(pairs: dict[str, object]) -> str:
    out = []
    for name, value in pairs.items():
        if value is None or value is False:
            continue
        key = _attr_name(name)
        if value is True or key in _BOOLEAN:
            out.append(f" {key}")
        else:
            out.append(f' {key}="{_text(value)}"')
    return "".join(out)


def _text(value: object) -> str:
    # The hot path of every page: Html as is, anything else escaped.
    if type(value) is Html:
        return value
    return html.escape(value if type(value) is str else str(value), quote=True)


def el(tag: str, *children: object, **attributes: object) -> Html:
    """``<tag attributes>children</tag>``; None children are skipped, lists are flattened."""
    head = f"<{tag}{attrs(attributes)}>" if attributes else f"<{tag}>"
    if tag in _VOID:
        return Html(head)
    return Html(f"{head}{_join(children)}</{tag}>")


def _join(children: Iterable[object]) -> str:
    parts: list[str] = []
    for child in children:
        if child is None:
            continue
        if type(child) is list or type(child) is tuple:
            parts.append(_join(child))
        else:
            parts.append(_text(child))
    return "".join(parts)


def join(children: Iterable[object]) -> Html:
    """Several pieces as one (each escaped unless it is Html)."""
    return Html(_join(children))
