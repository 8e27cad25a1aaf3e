"""The original's footer, kept in the correction: its postal address and its unsubscribe."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from preflight.corrections.words import Words, first, tag_or_none
from preflight.dialects import Dialect, special_pattern
from preflight.model import Template

_BLOCKS = ("p", "td", "th", "div", "address", "li", "span", "font", "center")


def _block_text(element: Any) -> str:
    """An element's text with <br> read as a comma (an address is often one line per <br>)."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "br":
            parts.append(", ")
        elif isinstance(child.tag, str):
            parts.append(_block_text(child))
        parts.append(child.tail or "")
    text = " ".join("".join(parts).split())
    return re.sub(r"(?:\s*,\s*)+", ", ", text).strip(" ,")


def _address_text(template: Template) -> str | None:
    """The original's postal address as written out (not a tag), from its text or HTML part."""
    from preflight.footer import looks_like_address

    found: list[str] = []
    for element in () if template.html is None else template.html.iter(*_BLOCKS):
        text = _block_text(element)
        if text and len(text) <= 200 and looks_like_address(text):
            found.append(text)
    if found:  # the HTML keeps an address's lines together (<br>); a text part may not
        return min(found, key=len)
    if template.text is not None:
        for paragraph in re.split(r"\n\s*\n", template.text.text):
            lines = [" ".join(line.split()) for line in paragraph.splitlines() if line.strip()]
            for line in lines:
                if len(line) > 200 or not looks_like_address(line):
                    continue
                whole = ", ".join(lines)  # an address is often one line per part of it
                plain = "://" not in whole and "unsubscribe" not in whole.lower()
                return whole if plain and len(whole) <= 200 else line
    return None


def _special_in(template: Template, kind: str, dialect: Dialect | None, html: bool) -> str | None:
    """The original's own tag of ``kind`` (as written) in its HTML or its text part."""
    if dialect is None:
        return None
    pattern = special_pattern(kind, dialect.name)
    if html:
        source = template.html.source.text if template.html is not None else None
    else:
        source = template.text.text if template.text is not None else None
    if pattern is None or source is None:
        return None
    match = pattern.search(source)
    return match.group(0) if match else None


def _unsubscribe_link(template: Template) -> str | None:
    """An unsubscribe address written out in the original (when no platform tag is known)."""
    from preflight.linkscan import links

    for link in links(template):
        written_out = link.kind == "link" and link.url.lower().startswith(("http://", "https://"))
        if written_out and "unsubscribe" in (link.url + " " + link.text).lower():
            return link.url.strip()
    return None


@dataclass
class Footer:
    """The footer's pieces as Words (None: the correction has none)."""

    postal_html: Words | None = None
    postal_text: Words | None = None
    unsubscribe_url: Words | None = None
    unsubscribe_markup: str | None = None
    unsubscribe_text: Words | None = None


def footer(
    template: Template, dialect: Dialect | None, words: Mapping[str, Any], notes: list[str]
) -> Footer:
    """The original's address and unsubscribe, in the words and tags it wrote them in."""
    kept = Footer()
    address = Words.plain(found) if (found := _address_text(template)) else None
    written = dialect.write_special.get("postal_address") if dialect else None
    html_tag = tag_or_none(_special_in(template, "postal_address", dialect, html=True))
    text_tag = tag_or_none(_special_in(template, "postal_address", dialect, html=False))
    # the original's own tag, else its address as written, else the platform's tag
    kept.postal_html = first(html_tag, address, text_tag, tag_or_none(written))
    kept.postal_text = first(text_tag, address, html_tag, tag_or_none(written))
    from preflight.footer import has_unsubscribe, link_words

    if template.is_transactional and not has_unsubscribe(template, link_words()):
        return kept  # a transactional email without one: a correction of it has none either
    tag = dialect.write_special.get("unsubscribe") if dialect else None
    if tag is None:
        url = _unsubscribe_link(template)
        if url is None:
            notes.append(
                "no unsubscribe tag or link is known for the original: add one before sending"
            )
            return kept
        kept.unsubscribe_url = kept.unsubscribe_text = Words.plain(url)
        return kept
    if tag.lstrip().startswith(
        "<"
    ):  # an element, such as Campaign Monitor's <unsubscribe>…</unsubscribe>
        label = str(escape(words["unsubscribe"]))
        kept.unsubscribe_markup = re.sub(
            r"^(<([\w-]+)[^>]*>)[^<]*(</\2>)$", rf"\g<1>{label}\g<3>", tag
        )
        own = _special_in(template, "unsubscribe", dialect, html=False)
        kept.unsubscribe_text = Words.tag(own or tag)
        return kept
    kept.unsubscribe_url = kept.unsubscribe_text = Words.tag(tag)
    return kept
