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
from pathlib import Path
from typing import Any, cast

from lxml import etree

from preflight.model import Location, Part, Sourced, Span, Template
from preflight.model.source import HtmlDocument

_LOWER = "translate({}, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
_NAMES = _LOWER.format("concat(@class, ' ', @id)")
_STYLE = _LOWER.format("translate(@style, ' \t\r\n', '')")
_CANDIDATES = etree.XPath(
    f".//*[contains({_NAMES}, 'preheader') or contains({_NAMES}, 'pre-header')"
    f" or contains({_NAMES}, 'preview')]"
    f" | (.//*)[position() <= 40][contains({_STYLE}, 'display:none')"
    f" or contains({_STYLE}, 'mso-hide:all') or contains({_STYLE}, 'max-height:0')"
    f" or contains({_STYLE}, 'opacity:0') or contains({_STYLE}, 'visibility:hidden')"
    f" or contains({_STYLE}, 'font-size:0') or contains({_STYLE}, 'font-size:1px')]"
)
"""Elements named like a preheader, and hidden ones among the first 40 of the body: found
by libxml2 in one pass (a Python walk over every element costs a third of the parse)."""

HIDDEN_STYLE = re.compile(
    r"display\s*:\s*none|mso-hide\s*:\s*all|max-height\s*:\s*0|opacity\s*:\s*0(?![.\d])"
    r"|visibility\s*:\s*hidden|font-size\s*:\s*[01]px",
    re.IGNORECASE,
)
PREHEADER_NAME = re.compile(r"pre-?header|preview", re.IGNORECASE)
_SPACERS = re.compile("[\u034f\u200b\u200c\u200d\u2007\u00ad\ufeff\u00a0]+")
"""The invisible characters templates pad a preheader with, so that the body's first words
do not show after it."""


def hidden_preheader(html: HtmlDocument, path: Path) -> Sourced | None:
    """The preview text of ``html`` (the HTML part of the template at ``path``), with origin
    "html", or None."""
    found = preheader_element(html)
    if found is None:
        return None
    element, text = found
    return Sourced(text, "html", Location(path, _span(html, element), Part.HTML))


def preheader_element(html: HtmlDocument) -> tuple[Any, str] | None:
    """(element, its text) of the first named or hidden preview element with text."""
    root = html.root
    if root is None:
        return None
    body = root.find("body")
    scope = body if body is not None else root
    found = cast("list[Any]", _CANDIDATES(scope))
    candidates = [
        element
        for element in found
        if PREHEADER_NAME.search((element.get("class") or "") + " " + (element.get("id") or ""))
        or HIDDEN_STYLE.search(element.get("style") or "")
    ]
    for element in candidates:
        text = _text(element)
        if not text:
            continue
        inner = [c for c in candidates if c is not element and _inside(c, element) and _text(c)]
        if inner:
            continue  # a named row around the preview cell: the cell says it
        return element, text
    return None


def _inside(element: Any, ancestor: Any) -> bool:
    return any(parent is ancestor for parent in element.iterancestors())


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
    return _clean(" ".join(pieces)) or _clean(" ".join(element.itertext()))


def _in_link(node: Any, top: Any) -> bool:
    """Whether ``node`` is an <a>, or inside one, below ``top``."""
    while node is not None:
        if node.tag == "a":
            return True
        if node is top:
            return False
        node = node.getparent()
    return False


def _clean(text: str) -> str:
    return " ".join(_SPACERS.sub(" ", text).split())


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
