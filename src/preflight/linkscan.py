"""Every link and image URL of a template, read once: the shared reading of links.

Merge tags inside a URL are recognised with the platform's tokenizer (or a
conservative pattern when no platform is known) and stand in as one opaque mark.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from preflight.dialects import SPECIAL_KINDS, special_pattern, tokenize
from preflight.model import TAG_MARK, Link, Location, Part, Template
from preflight.model.source import BUILD_MARK
from preflight.tagscan import platform_of
from preflight.urls import parse_url

_GENERIC_TAGS = re.compile(
    r"\{\{.{0,300}?\}\}|\{%.{0,300}?%\}|\*\|.{0,200}?\|\*|%%.{0,200}?%%|\[\[.{0,200}?\]\]"
    r"|\{(?:contactfield|leadfield|ownerfield)=[^}]{0,200}\}|%recipient\.\w+%|%[A-Z][A-Z0-9_-]{2,60}%"
    r"|<%.{0,200}?%>|\{[a-z_]+\}|\[[A-Za-z][A-Za-z_]{2,40}\]",
    re.S,
)
"""Tags of any platform, for files whose platform is unknown."""
BUTTON_CLASS = re.compile(r"\b(?:btn|button|cta)\b", re.IGNORECASE)
"""A class that names a call-to-action button (btn-primary, button, cta)."""


def is_button(element: Any) -> bool:
    """An <a> drawn as a button: a class that says so, or a background with padding."""
    if element is None or element.tag != "a":
        return False
    style = (element.get("style") or "").lower()
    styled = "background" in style and ("padding" in style or "display:inline-block" in style)
    return styled or bool(BUTTON_CLASS.search(element.get("class") or ""))


_TEXT_URL = re.compile(r"(?:https?|ftp)://[^\s<>\"')\]]{1,2000}", re.IGNORECASE)


_BUILD_RUN = re.compile(BUILD_MARK + "+")


def links(template: Template) -> list[Link]:
    """Every link and image URL of the template, in document order, read once."""
    return list(template.memo.get("links", lambda: list(_collect(template))))


def _opaque(url: str, platform: str | None) -> str:
    """The URL with every merge tag as one mark: the platform's tags and its special tags,
    and what any platform would read as a tag (a detected platform is only a guess)."""
    spans: list[tuple[int, int]] = []
    if platform is not None:
        spans += [(t.start, t.end) for t in tokenize(url, platform) if t.kind != "comment"]
        for kind in SPECIAL_KINDS:
            pattern = special_pattern(kind, platform)
            if pattern is not None:
                spans += [m.span() for m in pattern.finditer(url)]
    spans += [m.span() for m in _GENERIC_TAGS.finditer(url)]
    if BUILD_MARK in url:  # build syntax that was not run (PF005): filled in later, like a tag
        spans += [m.span() for m in _BUILD_RUN.finditer(url)]
    if not spans:
        return url
    out, position = [], 0
    for start, end in sorted(spans):
        if start < position:
            continue  # inside a tag already marked
        out.append(url[position:start] + TAG_MARK)
        position = end
    out.append(url[position:])
    return "".join(out)


def _attribute_place(template: Template, element: Any, attribute: str) -> Callable[[], Location]:
    """Where an attribute's value is, worked out only when a rule reports the link."""
    html = template.html
    assert html is not None

    def place() -> Location:
        return Location(template.path, html.attribute_span(element, attribute), Part.HTML)

    return place


def _collect(template: Template) -> Iterator[Link]:
    dialect = platform_of(template)
    platform = dialect.name if dialect else None
    html = template.html
    if html is not None:
        for element in html.iter("a", "area", "img"):
            attribute = "src" if element.tag == "img" else "href"
            url = element.get(attribute)
            if url is None:
                if element.tag == "a":  # an anchor without href: a button with no link?
                    yield Link(
                        "",
                        "",
                        "missing",
                        Part.HTML,
                        Location(template.path, html.element_span(element), Part.HTML),
                        element,
                        html.text_content(element),
                    )
                continue
            text = html.text_content(element) if element.tag != "img" else ""
            opaque = _opaque(url.strip(), platform)
            yield Link(
                url,
                opaque,
                "image" if element.tag == "img" else "link",
                Part.HTML,
                _attribute_place(template, element, attribute),
                element,
                text,
                parse_url(opaque.strip()),
            )
    if template.text is not None:
        source = template.text
        for match in _TEXT_URL.finditer(source.text):
            url = match.group(0).rstrip(".,;:!?")
            opaque = _opaque(url, platform)
            yield Link(
                url,
                opaque,
                "link",
                Part.TEXT,
                template.location(Part.TEXT, source.span(match.start(), match.start() + len(url))),
                parsed=parse_url(opaque.strip()),
            )
