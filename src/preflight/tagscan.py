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

from preflight.dialects import Dialect, Hit, detect_hits, dialects, tokenize
from preflight.dialects import signature_hits as scan_signatures
from preflight.model import Detection, Location, MergeTag, Part, Sourced, Span, Template
from preflight.preheader import value_parts

_OPEN_TAG = re.compile(r"""<[a-zA-Z][^\s/>]*(?:"[^"]*"|'[^']*'|[^'">])*>""")
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_BLOCK_MARKUP = re.compile(
    r"</?(?:p|div|br|tr|td|th|li|ul|ol|h[1-6]|table|tbody|thead|tfoot|section|article"
    r"|header|footer|center|blockquote|hr)\b[^>]{0,2000}>",
    re.IGNORECASE,
)
"""Tags that end a line of text as a reader sees it."""
_MARKUP_IN_TEXT = re.compile(r"<[^>]{0,2000}>|<[^>]{0,2000}$|^[^<]{0,2000}>")
_SPACES = re.compile(r"[^\S\n]+")
_LINES = re.compile(r"\s*\n\s*")
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
    source: str = ""
    """The text of the part the tag is in (shared, not copied), for ``before`` and ``after``."""
    html: bool = False

    @property
    def before(self) -> str:
        """Up to 60 characters of readable text just before the tag, markup removed."""
        if self.context not in ("text", "value"):
            return ""
        start = self.tag.start
        if self.html:
            return _readable(self.source[max(0, start - 4 * _CONTEXT_CHARS) : start], "end")
        return _squash(self.source[max(0, start - _CONTEXT_CHARS) : start], "end")

    @property
    def after(self) -> str:
        if self.context not in ("text", "value"):
            return ""
        end = self.tag.end
        if self.html:
            return _readable(self.source[end : end + 4 * _CONTEXT_CHARS], "start")
        return _squash(self.source[end : end + _CONTEXT_CHARS], "start")

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
    chosen = dialect
    return list(template.memo.get(f"tag_sites:{dialect.name}", lambda: _scan(template, chosen)))


def _scan(template: Template, dialect: Dialect) -> list[TagSite]:
    sites: list[TagSite] = []
    for part, sourced in value_parts(template):
        sites.extend(_value_sites(template, part, sourced, dialect))
    if template.html is not None:
        sites.extend(_html_sites(template, dialect))
    if template.text is not None:
        source = template.text
        text = source.text
        for tag in part_tokens(template, Part.TEXT, text, dialect):
            sites.append(
                TagSite(
                    tag,
                    Part.TEXT,
                    "text",
                    template.location(Part.TEXT, source.span(tag.start, tag.end)),
                    source=text,
                )
            )
    return sites


def part_tokens(template: Template, part: Part, text: str, dialect: Dialect) -> list[MergeTag]:
    """The tags of one part of the template in ``dialect``, tokenized once per template."""
    key = f"tokens:{dialect.name}:{part.value}"
    return list(template.memo.get(key, lambda: tokenize(text, dialect.name)))


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
    for tag in part_tokens(template, part, value, dialect):
        where = sourced.location or template.location(part)
        span = value_span(template, sourced, tag.start, tag.end) if sourced.location else None
        sites.append(
            TagSite(
                tag,
                part,
                "value",
                Location(where.path, span or where.span, part),
                source=value,
            )
        )
    return sites


class Markup:
    """Where comments, scripts and styles are in an HTML source, and the start tag at an offset.

    Their openers and closers are found once per file with ``str.find`` (a C scan);
    each question about an offset is then a bisect, plus one bounded regex match for
    a start tag. A regex over the whole document cost 3x the lxml parse.
    """

    def __init__(self, text: str, lower: str) -> None:
        self.text = text
        self.lower = lower
        self.regions: list[tuple[int, int, str]] = []
        for opener, closer, kind in (
            ("<!--", "-->", "comment"),
            ("<script", "</script", "script"),
            ("<style", "</style", "style"),
        ):
            index = lower.find(opener)
            while index != -1:
                after = index + len(opener)
                if kind == "comment" and text.startswith("[if", after):
                    index = lower.find(opener, after)  # Outlook reads conditional comments
                    continue
                if (
                    kind != "comment"
                    and after < len(text)
                    and not (text[after].isspace() or text[after] == ">")
                ):
                    index = lower.find(opener, after)  # <scripts>, <styled>: other names
                    continue
                close = lower.find(closer, after)
                end = len(text) if close == -1 else close + len(closer)
                if kind != "comment" and close != -1:
                    gt = text.find(">", end)
                    end = gt + 1 if gt != -1 else len(text)
                self.regions.append((index, end, kind))
                index = lower.find(opener, end)
        # a "<!--" inside a script, or "<style" inside a comment, is that region's text
        kept: list[tuple[int, int, str]] = []
        for region in sorted(self.regions):
            if not kept or region[0] >= kept[-1][1]:
                kept.append(region)
        self.regions = kept
        self.starts = [region[0] for region in kept]
        self._last_tag: tuple[int, int] | None = None
        """The start tag found last: the tags of one attribute are asked about in order, and
        each would otherwise match the whole start tag again (quadratic in its length)."""

    def region(self, offset: int) -> str | None:
        """ "comment", "script" or "style" when ``offset`` is inside one, else None."""
        index = bisect.bisect_right(self.starts, offset) - 1
        if index >= 0 and offset < self.regions[index][1]:
            return self.regions[index][2]
        return None

    def start_tag(self, offset: int) -> tuple[int, int] | None:
        """(start, end) of the start tag ``offset`` is inside (in an attribute), if any."""
        last = self._last_tag
        if last is not None and last[0] < offset < last[1]:
            return last
        lt = self.text.rfind("<", max(0, offset - 20_000), offset)
        if lt == -1:
            return None
        match = _OPEN_TAG.match(self.text, lt)
        if match is None or match.end() <= offset:
            return None
        self._last_tag = (lt, match.end())
        return self._last_tag


def markup(template: Template) -> Markup | None:
    """The template's HTML markup index, built once."""
    if template.html is None:
        return None
    html = template.html
    return template.memo.get("markup", lambda: Markup(html.source.text, html.lower))


def _html_sites(template: Template, dialect: Dialect) -> list[TagSite]:
    assert template.html is not None
    source = template.html.source
    text = source.text
    tags = part_tokens(template, Part.HTML, text, dialect)
    if not tags:
        return []
    index = markup(template)
    assert index is not None
    sites = []
    parsed: tuple[int, str, list[_Attribute]] | None = None  # the start tag read last
    for tag in tags:
        context, attribute, element, value, value_offset = "text", None, None, None, 0
        kind = index.region(tag.start)
        if kind is not None:
            context = kind
        elif (bounds := index.start_tag(tag.start)) is not None:
            context = "tag"
            if parsed is None or parsed[0] != bounds[0]:
                parsed = (bounds[0], *_start_tag(text, *bounds))
            element = parsed[1]
            for value_start, value_end, name, inner, inner_start in parsed[2]:
                if value_start <= tag.start < value_end:
                    # every tag of one attribute shares its value (no copy per tag)
                    context, attribute, value = "attribute", name, inner
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
                source=text,
                html=True,
            )
        )
    return sites


_Attribute = tuple[int, int, str, str, int]
"""(value start, value end, name, value without quotes, where that starts): offsets into the
document."""


def _start_tag(text: str, region_start: int, region_end: int) -> tuple[str, list[_Attribute]]:
    """The element name and attributes of the start tag at ``text[region_start:region_end]``."""
    chunk = text[region_start:region_end]
    name_end = 1
    while name_end < len(chunk) and not chunk[name_end].isspace() and chunk[name_end] not in "/>":
        name_end += 1
    attributes = []
    for match in _ATTRIBUTE.finditer(chunk, name_end):
        raw_value = match.group(2)
        quoted = raw_value[:1] in "\"'"
        value_start = region_start + match.start(2)
        attributes.append(
            (
                value_start,
                region_start + match.end(2),
                match.group(1).lower(),
                raw_value[1:-1] if quoted else raw_value,
                value_start + (1 if quoted else 0),
            )
        )
    return chunk[1:name_end].lower(), attributes


def _readable(chunk: str, keep: str) -> str:
    """Markup-free text of a window of HTML source, squashed."""
    chunk = _BLOCK_MARKUP.sub("\n", chunk)
    return _squash(html_lib.unescape(_MARKUP_IN_TEXT.sub(" ", chunk)), keep)


def _squash(chunk: str, keep: str) -> str:
    """Runs of spaces become one space and runs of line breaks one "\\n" (kept: a greeting
    ends at the end of its line)."""
    squashed = _LINES.sub("\n", _SPACES.sub(" ", chunk))
    return squashed[-_CONTEXT_CHARS:] if keep == "end" else squashed[:_CONTEXT_CHARS]


def part_texts(template: Template) -> list[tuple[Part, str]]:
    """The texts of a template a merge language can be written in, by part."""
    found = []
    for part, sourced in value_parts(template):  # a preheader read from the HTML: counted once
        if sourced.value:
            found.append((part, sourced.value))
    if template.html is not None:
        found.append((Part.HTML, template.html.source.text))
    if template.text is not None:
        found.append((Part.TEXT, template.text.text))
    return found


def signature_hits(template: Template, part: Part, text: str) -> list[Hit]:
    """Where the platforms' signatures match in one part, scanned once per template (for
    detection and for MERGE002/MERGE011)."""
    return template.memo.get(f"signatures:{part.value}", lambda: scan_signatures(text))


def detect_template(template: Template) -> Detection:
    """Which platform's merge language the template is written in (from its tags)."""
    return detect_hits(signature_hits(template, part, text) for part, text in part_texts(template))
