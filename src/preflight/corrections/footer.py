"""The original's footer, kept in the correction: its postal address and its unsubscribe."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from markupsafe import escape

from preflight.corrections.address import html_address, text_address
from preflight.corrections.words import Words, first
from preflight.dialects import Dialect, special_pattern
from preflight.model import Template


def _words(text: str | None, dialect: Dialect | None) -> Words | None:
    return Words.parse(text, dialect) if text else None


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


@dataclass
class Footer:
    """The footer's pieces as Words (None: the correction has none)."""

    postal_html: Words | None = None
    postal_text: Words | None = None
    unsubscribe_url: Words | None = None
    unsubscribe_markup: str | None = None
    unsubscribe_text: Words | None = None


def footer(
    template: Template,
    dialect: Dialect | None,
    words: Mapping[str, Any],
    notes: list[str],
    link_words: list[str],
) -> Footer:
    """The original's address and unsubscribe, in the words and tags it wrote them in.
    ``link_words`` is CONTENT001's option: what makes a link an unsubscribe link, so the
    correction and the rule agree on whether the original has one."""
    kept = Footer()
    in_html = _words(html_address(template, dialect), dialect)
    in_text = _words(text_address(template, dialect), dialect)
    written = dialect.write_special.get("postal_address") if dialect else None
    # the original's own address (its tags, its words), else the platform's address tags
    kept.postal_html = first(in_html, in_text, _words(written, dialect))
    kept.postal_text = first(in_text, in_html, _words(written, dialect))
    from preflight.footer import has_unsubscribe, unsubscribe_address

    if template.is_transactional and not has_unsubscribe(template, link_words):
        return kept  # a transactional email without one: a correction of it has none either
    tag = dialect.write_special.get("unsubscribe") if dialect else None
    if tag is None:
        url = unsubscribe_address(template, link_words)
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
