"""The preheader an HTML part carries itself: the hidden preview text at the top of the body.

Most Mailchimp exports are HTML only: no sidecar, no subject field, but a hidden
``<span class="mcnPreviewText" style="display:none">*|MC_PREVIEW_TEXT|*</span>``. The
loaders give such a template ``preheader`` with origin "html" when the format itself sets
none; a sidecar or a send step still beats it (DESIGN.md, precedence). Its text is part of
the HTML, so the rules that read the subject and preheader as parts of their own
(``value_parts``) leave it to their reading of the HTML: a tag in it is reported once.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Any, cast

from lxml import etree

from preflight.model import Location, Part, Sourced, Span, Template
from preflight.model.source import HtmlDocument

_NAMED_IN_SOURCE = re.compile(r"pre-?header|preview")
"""A preheader or preview named anywhere in the lower-cased source (a class, an id, a style
rule): the literal prefix lets the regex engine skip ahead, where a case-insensitive pattern
tries every position."""
_HIDDEN_WITHIN = 40
"""A hidden element counts as the preview only among the first elements of the body."""

PREHEADER_NAME = re.compile(r"pre-?header|preview", re.IGNORECASE)
PADDING = frozenset(
    "\u00a0\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180e"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u200b\u200c\u200d\u200e\u200f\u2028\u2029\u202f\u205f"
    "\u2060\u2061\u2062\u2063\u2064\u3000\u3164\ufeff\uffa0"
)
"""The invisible characters templates pad a preheader with (&nbsp; &zwnj; &#847; &shy;
&#8199; …), so that the body's first words do not show after it: the one list the
preheader finder, CONTENT009, the INBOX and the SPAM rules read."""
_AS_SPACES = dict.fromkeys(map(ord, PADDING), " ")


def unpadded(text: str) -> str:
    """``text`` with padding read as spaces and spaces collapsed."""
    return " ".join(text.translate(_AS_SPACES).split())


def padding_count(text: str) -> int:
    """How many padding characters ``text`` has (spaces not counted)."""
    return sum(1 for char in text if char in PADDING)


def is_padding(text: str) -> bool:
    """Whether ``text`` is only padding and white space."""
    return not unpadded(text)


def hidden_preheader(html: HtmlDocument, path: Path) -> Sourced | None:
    """The preview text of ``html`` (the HTML part of the template at ``path``), with origin
    "html", or None."""
    found = preheader_element(html)
    if found is None:
        return None
    element, text = found
    return Sourced(text, "html", Location(path, _span(html, element), Part.HTML))


def composed_preheader(html: HtmlDocument, path: Path) -> Sourced | None:
    """The preview text of an email composed from a layout and its parts: its lines are the
    composed document's, so it is placed in the file as a whole (its map leads elsewhere)."""
    found = hidden_preheader(html, path)
    return Sourced(found.value, "html", Location(path, None, Part.HTML)) if found else None


_FOUND: weakref.WeakKeyDictionary[HtmlDocument, tuple[Any, str] | None] = (
    weakref.WeakKeyDictionary()
)
"""preheader_element's answer for each document alive: the loader asks (the format's own
preheader), then the rules (CONTENT009, INBOX, SPAM) through the template's memo, of the
same parsed document. It goes with the document."""


def preheader_element(html: HtmlDocument) -> tuple[Any, str] | None:
    """(element, its text) of the first element with text, in document order, that is named
    like a preheader or preview (class or id), or hidden among the first elements."""
    if html in _FOUND:
        return _FOUND[html]
    found = _FOUND[html] = _preheader_element(html)
    return found


def _preheader_element(html: HtmlDocument) -> tuple[Any, str] | None:
    scope = _scope(html)
    if scope is None:
        return None
    # the first elements, one by one: a hidden one or a named one
    for element in islice(scope.iter(etree.Element), _HIDDEN_WITHIN):
        found = _with_text(element) if _named(element) or _hidden(element) else None
        if found is not None:
            return found
    # further down, only named ones
    for element in _named_elements(html, scope):
        found = _with_text(element)
        if found is not None:
            return found
    return None


def preheader_of(template: Template) -> tuple[Any, str] | None:
    """:func:`preheader_element` of the template's HTML, found once and kept in its memo
    (CONTENT009, the INBOX and the SPAM rules share it)."""
    html = template.html
    if html is None or html.root is None:
        return None
    return template.memo.get("preheader_element", lambda: preheader_element(html))


def empty_preheader_element(html: HtmlDocument) -> Any | None:
    """The first element named like a preheader or preview when none has text (call it when
    :func:`preheader_element` found nothing): a preview element left empty or only padded."""
    scope = _scope(html)
    if scope is None:
        return None
    for element in islice(scope.iter(etree.Element), _HIDDEN_WITHIN):
        if _named(element):
            return element
    return next(_named_elements(html, scope), None)


def _scope(html: HtmlDocument) -> Any | None:
    """The body, or the whole document when it has none."""
    root = html.root
    if root is None:
        return None
    # root.find("body"), without ElementPath's Python
    return next(root.iterchildren("body"), root)


def _named_elements(html: HtmlDocument, scope: Any) -> Iterator[Any]:
    """The elements of ``scope`` named like a preheader or preview, in document order:
    found by their class or id in the source, then by libxml2 (a Python walk over every
    element would cost as much as the parse)."""
    values = _named_values(html.source.text, html.lower)
    if not values:
        return
    test = " or ".join(f"@class=$v{i} or @id=$v{i}" for i in range(len(values)))
    variables = {f"v{i}": value for i, value in enumerate(values)}
    yield from cast("list[Any]", scope.xpath(f".//*[{test}]", **variables))


def _with_text(element: Any) -> tuple[Any, str] | None:
    """The element and its text; a named row around the preview cell gives the cell."""
    text = _text(element)
    if not text:
        return None
    for inner in element.iterdescendants(etree.Element):
        if _named(inner) and (inner_text := _text(inner)):
            return inner, inner_text
    return element, text


_ATTRIBUTE = re.compile(
    r"""\b(?:class|id)\s*=\s*(?:"([^"]{0,300})"|'([^']{0,300})'|([^\s"'>]{1,300}))""",
    re.IGNORECASE,
)
_MAX_NAMES = 20


def _named_values(source: str, lower: str) -> list[str]:
    """The class and id values of the source that name a preheader or preview (``lower``:
    the source lower-cased, offsets unchanged)."""
    values: dict[str, None] = {}
    for match in _NAMED_IN_SOURCE.finditer(lower):
        start = source.rfind("<", 0, match.start())
        end = source.find(">", match.end())
        if start == -1 or end == -1 or source.find(">", start, match.start()) != -1:
            continue  # in text or a style rule, not in a start tag
        for attribute in _ATTRIBUTE.finditer(source, start, end):
            value = next(group for group in attribute.groups() if group is not None)
            if PREHEADER_NAME.search(value):
                values.setdefault(value, None)
        if len(values) >= _MAX_NAMES:
            break
    return list(values)


def _named(element: Any) -> bool:
    get = element.get
    cls, ident = get("class"), get("id")
    if not cls and not ident:
        return False  # most elements
    names = (cls or "") + " " + (ident or "")
    return bool(names.strip()) and PREHEADER_NAME.search(names) is not None


def _hidden(element: Any) -> bool:
    """Hidden by its own style (css.hiding, Outlook's mso-hide:all too) or attribute."""
    if element.get("hidden") is not None:
        return True
    style = element.get("style")
    if not style:
        return False
    from preflight import css  # HTML only: a run of text parts and workflows never loads it

    return css.style_hiding(style) is not None


def _text(element: Any) -> str:
    """The element's words, without its links' ("View this email in your browser") when it
    has words of its own, and without spacer characters."""
    pieces: list[str] = []
    for node in element.iter():
        readable = isinstance(node.tag, str) and node.tag not in ("script", "style")
        if readable and node.text and not _in_link(node, element):
            pieces.append(node.text)
        if node is not element and node.tail and not _in_link(node.getparent(), element):
            pieces.append(node.tail)
    return unpadded(" ".join(pieces)) or unpadded(" ".join(element.itertext()))


def _in_link(node: Any, top: Any) -> bool:
    """Whether ``node`` is an <a>, or inside one, below ``top``."""
    while node is not None:
        if node.tag == "a":
            return True
        if node is top:
            return False
        node = node.getparent()
    return False


def _span(html: HtmlDocument, element: Any) -> Span | None:
    """The preheader's line, from libxml2 (an exact column would cost a pass over the
    whole source, for every template)."""
    line = getattr(element, "sourceline", None)
    if not isinstance(line, int) or not html.source.exact:
        return None
    line += html.source.first_line - 1
    return Span(line, 1, line, 2)


def value_parts(template: Template) -> list[tuple[Part, Sourced]]:
    """The subject and the preheader as parts of their own: not a preheader read from the
    HTML, which the HTML part already holds."""
    parts: list[tuple[Part, Sourced]] = []
    if template.subject is not None:
        parts.append((Part.SUBJECT, template.subject))
    if template.preheader is not None and template.preheader.origin != "html":
        parts.append((Part.PREHEADER, template.preheader))
    return parts
