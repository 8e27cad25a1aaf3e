"""What the MERGE rules share: the texts of a template and how they show tags."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from preflight.dialects import (
    Dialect,
    special_kind,
)
from preflight.model import (
    Location,
    Part,
    Template,
)
from preflight.preheader import value_parts
from preflight.tagscan import (
    Markup,
    markup,
    value_span,
)

Options = Mapping[str, Any]


_MAX_SHOWN = 60
_PART_NAMES = {
    Part.HTML: "HTML part",
    Part.TEXT: "text part",
    Part.SUBJECT: "subject",
    Part.PREHEADER: "preheader",
}


_SAID = {"email": "email address", "phone": "phone number", "city": "city", "postcode": "postcode"}


def _said(found: str) -> str:
    """How a message names a field's meaning ("email address", "first name")."""
    return _SAID.get(found, found.replace("_", " "))


def _article(label: str) -> str:
    """ "a" or "an" before a platform's name (an ActiveCampaign, a HubSpot)."""
    return "an" if label[:1].lower() in "aeio" else "a"


def _declared(template: Template) -> bool:
    platform = template.platform
    return platform is not None and platform.origin != "detected"


def _shown(raw: str) -> str:
    flat = " ".join(raw.split())
    return flat if len(flat) <= _MAX_SHOWN else flat[: _MAX_SHOWN - 1] + "…"


def _is_special(dialect: Dialect, raw: str) -> str | None:
    return special_kind(raw, dialect.name)


@dataclass(frozen=True)
class _Text:
    """One part of a template as text, with a way to turn offsets into locations."""

    part: Part
    text: str
    template: Template
    skip: Markup | None = None
    """For HTML: where comments, scripts and styles are (nobody reads the text there)."""

    def location(self, start: int, end: int) -> Location:
        template = self.template
        if self.part is Part.HTML and template.html is not None:
            return Location(template.path, template.html.source.span(start, end), Part.HTML)
        if self.part is Part.TEXT and template.text is not None:
            return template.location(Part.TEXT, template.text.span(start, end))
        sourced = template.subject if self.part is Part.SUBJECT else template.preheader
        if sourced is None or sourced.location is None:
            return template.location(self.part)
        span = value_span(template, sourced, start, end)
        return Location(sourced.location.path, span, self.part)

    def hidden(self, offset: int) -> bool:
        """Whether ``offset`` is in a comment, script or style."""
        return self.skip is not None and self.skip.region(offset) is not None


def _texts(template: Template) -> list[_Text]:
    return list(template.memo.get("merge_texts", lambda: _read_texts(template)))


def _read_texts(template: Template) -> list[_Text]:
    texts = []
    for part, sourced in value_parts(template):
        if sourced.value:
            texts.append(_Text(part, sourced.value, template))
    if template.html is not None:
        text = template.html.source.text
        texts.append(_Text(Part.HTML, text, template, markup(template)))
    if template.text is not None:
        texts.append(_Text(Part.TEXT, template.text.text, template))
    return texts
