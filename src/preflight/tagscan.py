"""Where a template's merge tags are: part, context and exact position.

The HTML is tokenized as written (platforms substitute tags in the source, before
any HTML parser sees it), so offsets map straight to lines and columns. One regex
pass over the markup tells, for each tag, whether it sits in visible text, in an
attribute (and which), in a comment, or in a script or style body.
"""

from __future__ import annotations

import bisect
import html as html_lib
import re
from dataclasses import dataclass

from preflight.dialects import Dialect, dialects, tokenize
from preflight.model import Location, MergeTag, Part, Sourced, Span, Template

# comments (conditional ones are markup Outlook shows: read through), script and
# style bodies, and start tags with their attributes
_MARKUP = re.compile(
    r"<!--(?!\[if)[\s\S]*?(?:-->|$)"
    r"|<(?P<raw>script|style)\b(?:\"[^\"]*\"|'[^']*'|[^'\">])*>[\s\S]*?(?:</(?P=raw)\s*>|$)"
    r"|<[a-zA-Z][^\s/>]*(?:\"[^\"]*\"|'[^']*'|[^'\">])*>",
    re.IGNORECASE,
)
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_MARKUP_IN_TEXT = re.compile(r"<[^>]*>|<[^>]*$|^[^<]*>")
_SPACES = re.compile(r"\s+")
_CONTEXT_CHARS = 60


@dataclass(frozen=True, slots=True)
class TagSite:
    """One merge tag in one part of a template."""

    tag: MergeTag
    part: Part
    context: str
    """text | attribute | comment | script | style | value (subject, preheader)"""
    location: Location
    attribute: str | None = None
    element: str | None = None
    """The element whose attribute holds the tag (lower-cased name)."""
    value: str | None = None
    """The whole attribute value (a URL, for href and src)."""
    value_offset: int = 0
    """Where the tag starts inside ``value``."""
    before: str = ""
    """Up to 60 characters of readable text just before the tag, markup removed."""
    after: str = ""

    @property
    def readable(self) -> bool:
        """A recipient sees what this tag becomes (not a comment, script or style)."""
        return self.context in ("text", "attribute", "value")


def platform_of(template: Template) -> Dialect | None:
    platform = template.platform
    return dialects().get(platform.value) if platform is not None else None


def tag_sites(template: Template, dialect: Dialect | None = None) -> list[TagSite]:
    """Every merge tag of the template's platform (or ``dialect``), in every part, in order."""
    dialect = dialect or platform_of(template)
    if dialect is None:
        return []
    key = f"tag_sites:{dialect.name}"
    cached = template.cache.get(key)
    if cached is None:
        cached = list(_scan(template, dialect))
        template.cache[key] = cached
    return list(cached)


def _scan(template: Template, dialect: Dialect) -> list[TagSite]:
    sites: list[TagSite] = []
    for part, sourced in ((Part.SUBJECT, template.subject), (Part.PREHEADER, template.preheader)):
        if sourced is not None:
            sites.extend(_value_sites(template, part, sourced, dialect))
    if template.html is not None:
        sites.extend(_html_sites(template, dialect))
    if template.text is not None:
        source = template.text
        text = source.text
        for tag in tokenize(text, dialect.name):
            sites.append(
                TagSite(
                    tag,
                    Part.TEXT,
                    "text",
                    template.location(Part.TEXT, source.span(tag.start, tag.end)),
                    before=_squash(text[max(0, tag.start - _CONTEXT_CHARS) : tag.start], "end"),
                    after=_squash(text[tag.end : tag.end + _CONTEXT_CHARS], "start"),
                )
            )
    return sites


def value_span(template: Template, sourced: Sourced, start: int, end: int) -> Span | None:
    """The span of ``sourced.value[start:end]`` in its file (exact when written on one line)."""
    location = sourced.location
    if location is None or location.span is None:
        return None
    span = location.span
    source = template.sources.get(location.path)
    line = source.line_text(span.line) if source is not None else None
    piece = sourced.value[start:end]
    if line is None or span.end_line != span.line:
        return span
    index = line.find(piece, span.column - 1)
    if index == -1 or line.count(piece, span.column - 1) != sourced.value.count(piece):
        return span  # escaped or folded: the value is not written as it reads
    # the n-th copy in the value is the n-th copy on the line
    nth = sourced.value.count(piece, 0, start)
    for _ in range(nth):
        index = line.find(piece, index + 1)
    return Span(span.line, index + 1, span.line, index + 1 + len(piece))


def _value_sites(
    template: Template, part: Part, sourced: Sourced, dialect: Dialect
) -> list[TagSite]:
    value = sourced.value
    sites = []
    for tag in tokenize(value, dialect.name):
        where = sourced.location or template.location(part)
        span = value_span(template, sourced, tag.start, tag.end) if sourced.location else None
        sites.append(
            TagSite(
                tag,
                part,
                "value",
                Location(where.path, span or where.span, part),
                before=_squash(value[: tag.start], "end"),
                after=_squash(value[tag.end :], "start"),
            )
        )
    return sites


def markup_regions(text: str) -> tuple[list[int], list[tuple[int, int, str]]]:
    """(starts, regions) of comments, script/style bodies and start tags, in order."""
    regions: list[tuple[int, int, str]] = []
    if "<" in text:
        for match in _MARKUP.finditer(text):
            raw = match.group("raw")
            kind = raw.lower() if raw else "comment" if match.group(0)[1] == "!" else "tag"
            regions.append((match.start(), match.end(), kind))
    return [r[0] for r in regions], regions


def _html_sites(template: Template, dialect: Dialect) -> list[TagSite]:
    assert template.html is not None
    source = template.html.source
    text = source.text
    tags = tokenize(text, dialect.name)
    if not tags:
        return []
    starts, regions = markup_regions(text)
    sites = []
    for tag in tags:
        context, attribute, element, value, value_offset = "text", None, None, None, 0
        index = bisect.bisect_right(starts, tag.start) - 1
        if index >= 0 and tag.start < regions[index][1]:
            region_start, region_end, kind = regions[index]
            if kind != "tag":
                context = kind
            else:
                context = "tag"
                chunk = text[region_start:region_end]
                name_end = 1
                while (
                    name_end < len(chunk)
                    and not chunk[name_end].isspace()
                    and chunk[name_end] not in "/>"
                ):
                    name_end += 1
                element = chunk[1:name_end].lower()
                for match in _ATTRIBUTE.finditer(chunk, name_end):
                    value_start = region_start + match.start(2)
                    if value_start <= tag.start < region_start + match.end(2):
                        raw_value = match.group(2)
                        quoted = raw_value[:1] in "\"'"
                        inner_start = value_start + (1 if quoted else 0)
                        context, attribute = "attribute", match.group(1).lower()
                        value = raw_value[1:-1] if quoted else raw_value
                        value_offset = tag.start - inner_start
                        break
        sites.append(
            TagSite(
                tag,
                Part.HTML,
                context,
                Location(template.path, source.span(tag.start, tag.end), Part.HTML),
                attribute=attribute,
                element=element,
                value=value,
                value_offset=value_offset,
                before=_readable(text[max(0, tag.start - 4 * _CONTEXT_CHARS) : tag.start], "end")
                if context == "text"
                else "",
                after=_readable(text[tag.end : tag.end + 4 * _CONTEXT_CHARS], "start")
                if context == "text"
                else "",
            )
        )
    return sites


def _readable(chunk: str, keep: str) -> str:
    """Markup-free text of a window of HTML source, squashed."""
    return _squash(html_lib.unescape(_MARKUP_IN_TEXT.sub(" ", chunk)), keep)


def _squash(chunk: str, keep: str) -> str:
    squashed = _SPACES.sub(" ", chunk)
    return squashed[-_CONTEXT_CHARS:] if keep == "end" else squashed[:_CONTEXT_CHARS]
