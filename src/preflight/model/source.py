"""Source text with positions, and an lxml HTML document that keeps them.

libxml2 gives each element the line on which its start tag *ends* and no
column, so the first time a position is asked for we walk the tree in document
order with a cursor over the source and find each start tag; comments, scripts
and styles move the cursor past their bodies so their contents never match.
The walk is lazy: a file with no finding and no suppression never pays for it.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import cast

from lxml import etree

from preflight.model import Span

_TAG_START = re.compile(r"<(!--|[a-z][a-z0-9:_.-]*)")
_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_HIDDEN_TEXT = frozenset({"script", "style", "title", "noscript", "template"})
_VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
# the first ">" outside quotes; written as an unrolled loop (runs of plain characters between
# quoted values) rather than (?:"…"|'…'|[^'">])*, which tries the alternation per character
_START_TAG_END = re.compile(r"""[^'">]*(?:(?:"[^"]*"|'[^']*')[^'">]*)*>""")

EXCERPT_CHARS = 240
"""The longest source line a finding keeps; a longer line (minified HTML, a one-line export)
is kept as a window of this many characters around the finding."""
EXCERPT_LEAD = 80
"""How much of the window lies before the finding's column."""


class SourceText:
    """A text with a line index; ``first_line`` places it inside a larger file."""

    __slots__ = ("_starts", "exact", "first_column", "first_line", "text")

    def __init__(
        self, text: str, first_line: int = 1, exact: bool = True, first_column: int = 1
    ) -> None:
        self.text = text
        self.first_line = first_line
        self.first_column = first_column
        """Where an inexact text is reported: the start of the field that holds it."""
        self.exact = exact
        """False when the text was decoded (base64, quoted-printable): positions are approximate."""
        self._starts: list[int] | None = None

    @property
    def starts(self) -> list[int]:
        if self._starts is None:
            lengths = map(len, self.text.split("\n"))
            starts = list(itertools.accumulate(map((1).__add__, lengths), initial=0))
            starts.pop()  # the offset past the end is not a line
            self._starts = starts
        return self._starts

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset, in file coordinates."""
        if not self.exact:
            return self.first_line, self.first_column
        index = bisect.bisect_right(self.starts, offset) - 1
        return index + self.first_line, offset - self.starts[index] + 1

    def span(self, start: int, end: int) -> Span:
        line, column = self.position(start)
        end_line, end_column = self.position(max(end, start + 1))
        if not self.exact:
            return Span(line, column, line, column + 1)
        return Span(line, column, end_line, end_column)

    def line_text(self, line: int) -> str | None:
        """The text of a file line, if it lies in this source."""
        index = line - self.first_line
        if not self.exact or index < 0 or index >= len(self.starts):
            return None
        start = self.starts[index]
        end = self.text.find("\n", start)
        return self.text[start : end if end != -1 else len(self.text)].rstrip("\r")

    def line_excerpt(self, line: int, column: int = 1) -> tuple[str, int] | None:
        """What a finding at (line, column) quotes of its line, and where that starts in the
        line (0-based): the whole line, or a window of EXCERPT_CHARS around the column for a
        longer one, so a finding never copies a multi-megabyte line. None outside this source."""
        index = line - self.first_line
        starts = self.starts
        if not self.exact or index < 0 or index >= len(starts):
            return None
        start = starts[index]
        if index + 1 < len(starts):
            end = starts[index + 1] - 1
        else:
            end = self.text.find("\n", start)
            end = len(self.text) if end == -1 else end
        if end - start <= EXCERPT_CHARS:
            return self.text[start:end].rstrip("\r"), 0
        offset = max(0, min(column - 1 - EXCERPT_LEAD, end - start - EXCERPT_CHARS))
        return self.text[start + offset : start + offset + EXCERPT_CHARS], offset


@dataclass(frozen=True)
class TagPosition:
    start: int  # offset of "<"
    tag_end: int  # offset just past the start tag's ">"
    end: int  # offset just past the element (its end tag, or best guess)


def _local_name(element: etree._Element) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""


class HtmlDocument:
    """An HTML part parsed once with lxml, with lazily computed source positions."""

    def __init__(self, source: SourceText) -> None:
        self.source = source
        self.root: etree._Element | None = None
        if source.text.strip():
            parser = etree.HTMLParser(encoding="utf-8", remove_comments=False, no_network=True)
            try:
                self.root = etree.fromstring(source.text.encode("utf-8", "surrogatepass"), parser)
            except (etree.ParserError, ValueError):
                self.root = None
        self._starts: dict[etree._Element, int] | None = None
        self._tag_positions: dict[etree._Element, TagPosition] = {}
        self._ends: dict[etree._Element, int] = {}
        """Where comments, scripts and styles end (their bodies are skipped)."""
        self._visible: list[tuple[etree._Element, str, bool]] | None = None
        self._lower: str | None = None
        self._order: list[etree._Element] = []
        self._index: dict[etree._Element, int] | None = None

    # -- iteration -------------------------------------------------------
    def iter(self, *tags: str) -> Iterator[etree._Element]:
        if self.root is None:
            return iter(())
        if tags:
            return self.root.iter(*tags)
        return self.root.iter()

    def elements(self, tag: str) -> list[etree._Element]:
        return list(self.iter(tag))

    def nodes(self) -> Iterator[etree._Element]:
        """Every node in document order, the comments before and after <html> included."""
        if self.root is None:
            return
        yield from reversed(list(self.root.itersiblings(preceding=True)))
        yield from self.root.iter()
        yield from self.root.itersiblings()

    def comments(self) -> Iterator[etree._Element]:
        """Every comment in document order, those before and after <html> included."""
        if self.root is None:
            return
        root = self.root
        yield from (
            n
            for n in reversed(list(root.itersiblings(preceding=True)))
            if isinstance(n, etree._Comment)
        )
        yield from root.iter(etree.Comment)  # libxml2 filters; no Python loop over elements
        yield from (n for n in root.itersiblings() if isinstance(n, etree._Comment))

    def visible_text(self) -> list[tuple[etree._Element, str, bool]]:
        """(element, text, is_tail) for every text run a reader could see, in document order:
        the text nodes of ``//body//text()`` outside scripts, styles, titles and templates.
        Computed once."""
        if self._visible is None:
            self._visible = [] if self.root is None else _visible_runs(self.root)
        return self._visible

    def text_content(self, element: etree._Element) -> str:
        return " ".join("".join(cast("Iterator[str]", element.itertext())).split())

    @property
    def lower(self) -> str:
        """The source with ASCII letters lowered: same length, so offsets stay valid."""
        if self._lower is None:
            text = self.source.text
            lowered = text.lower()
            # a few characters (İ) grow when lowered; then fall back to ASCII-only lowering
            self._lower = lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)
        return self._lower

    # -- positions --------------------------------------------------------
    @property
    def positions(self) -> dict[etree._Element, int]:
        """Offset of each located element's "<" (or "<!--"); computed once, on first need."""
        if self._starts is None:
            self._starts = self._locate_all()
        return self._starts

    def _locate_all(self) -> dict[etree._Element, int]:
        # Every "<name" and "<!--" in the source, found by one regex pass in C, is matched
        # in order to the elements in document order. An element's start tag ends on its
        # sourceline, so its token must begin before that line ends; an element with no
        # such token was implied by the parser (html, body). Tokens inside comments,
        # scripts and styles are skipped. Where a start tag ends is found later, on demand.
        text = self.source.text
        found: dict[etree._Element, int] = {}
        if self.root is None:
            return found
        lower = self.lower
        tokens = [(m.start(), m.group(1)) for m in _TAG_START.finditer(lower)]
        count = len(tokens)
        starts = self.source.starts
        line_count = len(starts)
        size = len(text)
        order: list[etree._Element] = []
        ends = self._ends
        i = 0
        for element in self.nodes():
            tag: object = element.tag  # the stubs say str; comments carry a factory
            if isinstance(tag, str):
                name = tag.lower()
            elif isinstance(element, etree._Comment):
                name = "!--"
            else:
                continue
            j = i
            while j < count and tokens[j][1] != name:
                j += 1
            if j == count:
                continue
            start = tokens[j][0]
            line = getattr(element, "sourceline", 0) or 0
            limit = starts[line] if 0 < line < line_count else size
            if start >= limit + (4 if name == "!--" else 0):
                continue  # implied by the parser, not in the source
            if name == "!--" and not text.startswith(element.text or "", start + 4):
                continue  # "<![if mso]>" or "<?xml?>" made into a comment by libxml2
            found[element] = start
            i = j + 1
            end = -1
            if name == "!--":
                close = text.find("-->", start + 4)
                end = close + 3 if close != -1 else size
            elif name in ("script", "style"):  # their bodies are text, not tags
                close = lower.find(f"</{name}", start)
                if close != -1:
                    gt = text.find(">", close)
                    end = gt + 1 if gt != -1 else size
            else:
                order.append(element)
            if end != -1:
                ends[element] = end
                while i < count and tokens[i][0] < end:
                    i += 1
                if name != "!--":
                    order.append(element)
        self._order = order
        return found

    def _position(self, element: etree._Element) -> TagPosition | None:
        start = self.positions.get(element)
        if start is None:
            return None
        position = self._tag_positions.get(element)
        if position is None:
            if isinstance(element, etree._Comment):
                tag_end = self._ends[element]
            else:
                after = start + 1 + len(str(element.tag))
                match = _START_TAG_END.match(self.source.text, after)
                tag_end = match.end() if match else after
            position = TagPosition(start, tag_end, self._ends.get(element, tag_end))
            self._tag_positions[element] = position
        return position

    def element_span(self, element: etree._Element) -> Span | None:
        """The span of an element's start tag (all of it, for a multi-line tag)."""
        position = self._position(element)
        if position is None:
            return self._fallback_span(element)
        return self.source.span(position.start, position.tag_end)

    def extent(self, element: etree._Element) -> tuple[int, int] | None:
        """(start, end) offsets of the whole element, end tag included, for suppressions."""
        position = self._position(element)
        if position is None:
            return None
        return position.start, self._element_end(element, position)

    def _element_end(self, element: etree._Element, position: TagPosition) -> int:
        """Offset just past an element's end tag, or of the next element outside it."""
        if element in self._ends:  # comments, scripts and styles: their end is known
            return self._ends[element]
        name = _local_name(element)
        if self._index is None:
            self._index = {el: i for i, el in enumerate(self._order)}
        if name in _VOID or element not in self._index:
            return position.tag_end
        descendants = [d for d in element.iterdescendants() if d in self._index]
        last = descendants[-1] if descendants else element
        j = self._index[last] + 1
        limit = self.positions[self._order[j]] if j < len(self._order) else len(self.source.text)
        lower = self.lower
        last_position = self._position(last)
        search_from = last_position.tag_end if last_position else position.tag_end
        close = lower.rfind(f"</{name}", search_from, limit)
        while close != -1 and lower[close + 2 + len(name) : close + 3 + len(name)].isalnum():
            close = lower.rfind(f"</{name}", search_from, close)  # "</b" of "</body>"
        if close == -1:
            return limit
        gt = lower.find(">", close, limit)
        return gt + 1 if gt != -1 else limit

    def attribute_span(self, element: etree._Element, attribute: str) -> Span | None:
        """The span of an attribute's value (or of the tag, if it cannot be found)."""
        position = self._position(element)
        if position is None:
            return self._fallback_span(element)
        match = _attribute_pattern(attribute).search(
            self.source.text, position.start, position.tag_end
        )
        if match is None:
            return self.source.span(position.start, position.tag_end)
        group = 2 if match.group(2) is not None else 3 if match.group(3) is not None else 4
        start, end = match.span(group)
        if start == end:  # empty value: point at the quotes
            start, end = match.span(1)
        return self.source.span(start, end)

    def text_span(
        self, element: etree._Element, needle: str, tail: bool = False, occurrence: int = 0
    ) -> Span | None:
        """Where ``needle`` (a piece of an element's text or tail) is in the source.

        ``occurrence`` counts earlier copies of the needle in the same text run.
        """
        position = self._position(element)
        text = self.source.text
        if position is None:
            return self._fallback_span(element)
        begin = self._element_end(element, position) if tail else position.tag_end
        offset = begin - 1
        for _ in range(occurrence + 1):
            found = text.find(needle, offset + 1)
            if found == -1:
                found = self.lower.find(needle.translate(_ASCII_LOWER), offset + 1)
            offset = found
            if offset == -1:
                break
        if offset == -1:
            return self.source.span(position.start, position.tag_end)
        return self.source.span(offset, offset + len(needle))

    def _fallback_span(self, element: etree._Element) -> Span | None:
        if not self.source.exact:
            return self.source.span(0, 1)
        line = _sourceline(element)
        if not line:
            return None
        return Span(line + self.source.first_line - 1, 1, line + self.source.first_line - 1, 2)


@functools.lru_cache(maxsize=64)
def _attribute_pattern(attribute: str) -> re.Pattern[str]:
    """An attribute and its value in a start tag (compiled once per attribute name)."""
    return re.compile(
        rf"""\s{re.escape(attribute)}\s*=\s*("([^"]*)"|'([^']*)'|([^\s>]+))""", re.IGNORECASE
    )


def _visible_runs(root: etree._Element) -> list[tuple[etree._Element, str, bool]]:
    # The walk of //body//text() by hand: 1.5x faster than the XPath, whose "smart" result
    # strings each cost a Python object and a getparent(). An element's tail comes after its
    # subtree, so each element waits on a stack until the walk leaves it.
    runs: list[tuple[etree._Element, str, bool]] = []
    hidden = _HIDDEN_TEXT

    def tail(element: etree._Element) -> None:
        text = element.tail
        if text and text.strip():
            owner = element.getparent()
            if owner is None or owner.tag not in hidden:
                runs.append((element, text, True))

    # "//" starts at the document: a <body> may be a sibling of <html> in a broken file
    tops = [*reversed(list(root.itersiblings(preceding=True))), root, *root.itersiblings()]
    bodies = [body for top in tops if is_element(top) for body in top.iter("body")]
    if len(bodies) > 1:  # a node is in the XPath's result once
        bodies = [b for b in bodies if not any(a.tag == "body" for a in b.iterancestors())]
    for body in bodies:
        text = body.text
        if text and text.strip():
            runs.append((body, text, False))
        waiting: list[etree._Element] = []
        for element in body.iterdescendants():
            parent = element.getparent()
            while waiting and waiting[-1] is not parent:
                tail(waiting.pop())
            text = element.text
            if text and is_element(element) and element.tag not in hidden and text.strip():
                runs.append((element, text, False))
            waiting.append(element)
        while waiting:
            tail(waiting.pop())
    return runs


def _sourceline(element: etree._Element) -> int | None:
    """libxml2's line for an element (the line where its start tag ends), if any."""
    line = getattr(element, "sourceline", None)
    return line if isinstance(line, int) else None


def is_element(node: etree._Element) -> bool:
    """True for elements, False for comments and processing instructions."""
    tag: object = node.tag  # the stubs say str; comments carry a factory function
    return isinstance(tag, str)


# -- composed emails: where each run of the email's text came from ---------------------------

BUILD_MARK = "\ue001"
"""What build-time syntax that could not be run (a Twig or Maizzle expression) becomes in the
text the rules read: a private-use character per character, newlines kept, so positions
stay where they were. URL rules treat it like a merge tag (filled in later)."""


@dataclass(frozen=True)
class Piece:
    """A run of a composed text copied from a file: composed[start:end] is the file's text
    from ``origin`` on."""

    start: int
    end: int
    path: Path
    origin: int


class Locator:
    """Maps a span of an email's composed text back to the file it came from."""

    files: dict[Path, SourceText]
    keeps_unmapped: bool = False
    """True when the email's own file holds the composed text (a compiled output on disk):
    a span that maps nowhere stays there. Else it becomes a whole-file finding."""

    def locate(self, composed: SourceText, span: Span) -> tuple[Path, Span] | None:
        raise NotImplementedError


def _offset(source: SourceText, line: int, column: int) -> int | None:
    index = line - source.first_line
    if not source.exact or index < 0 or index >= len(source.starts):
        return None
    return min(source.starts[index] + column - 1, len(source.text))


class SourceMap(Locator):
    """An email assembled from several files (a layout with its content, partials):
    every composed character that was copied from a file maps back to it."""

    def __init__(self, pieces: list[Piece], files: dict[Path, SourceText]) -> None:
        self.pieces = pieces
        self.files = files
        self._starts = [piece.start for piece in pieces]

    def locate(self, composed: SourceText, span: Span) -> tuple[Path, Span] | None:
        start = _offset(composed, span.line, span.column)
        end = _offset(composed, span.end_line, span.end_column)
        if start is None:
            return None
        index = bisect.bisect_right(self._starts, start) - 1
        if index < 0:
            return None
        piece = self.pieces[index]
        if not piece.start <= start < max(piece.end, piece.start + 1):
            return None
        source = self.files[piece.path]
        origin = piece.origin + start - piece.start
        stop = origin + max(1, min(end if end is not None else start + 1, piece.end) - start)
        return piece.path, source.span(origin, stop)


_ATTRIBUTE_VALUE = re.compile(r"""=\s*(?:"([^"]{4,})"|'([^']{4,})')""")
_ATTRIBUTE_BEFORE = re.compile(r"""([A-Za-z][\w:-]*)=(["'])""")


class ValueMap(Locator):
    """A compiled email (MJML, a build tool's output): a finding points at its build source
    where the value it is about occurs exactly once in the source or its includes; else it
    stays on the output."""

    def __init__(self, files: dict[Path, SourceText], keeps_unmapped: bool = False) -> None:
        self.files = files
        self.keeps_unmapped = keeps_unmapped

    def locate(self, composed: SourceText, span: Span) -> tuple[Path, Span] | None:
        start = _offset(composed, span.line, span.column)
        end = _offset(composed, span.end_line, span.end_column)
        if start is None or end is None or end <= start:
            return None
        text = composed.text[start:end]
        needles = [text.strip()] if "\n" not in text.strip() else []
        values = [m.group(1) or m.group(2) for m in _ATTRIBUTE_VALUE.finditer(text)]
        needles += sorted(values, key=len, reverse=True)
        shifts = dict.fromkeys(needles, 0)
        named = _ATTRIBUTE_BEFORE.search(composed.text, max(0, start - 60), start)
        if named is not None and named.end() == start:  # a short value: with its name, href="#"
            quote = named.group(2)
            needle = f"{named.group(1)}={quote}{text}{quote}"
            needles.append(needle)
            shifts[needle] = len(named.group(1)) + 2
        for needle in needles:
            if len(needle) < 4:
                continue
            found = self._once(needle)
            if found is not None:
                path, span = found
                if shifts.get(needle):
                    span = self._shifted(path, span, shifts[needle], len(text))
                return path, span
        return None

    def _shifted(self, path: Path, span: Span, shift: int, length: int) -> Span:
        source = self.files[path]
        offset = _offset(source, span.line, span.column)
        if offset is None:
            return span
        return source.span(offset + shift, offset + shift + max(length, 1))

    def _once(self, needle: str) -> tuple[Path, Span] | None:
        hit: tuple[Path, int] | None = None
        for path, source in self.files.items():
            first = source.text.find(needle)
            if first == -1:
                continue
            if hit is not None or source.text.find(needle, first + 1) != -1:
                return None  # more than once: the output is the honest place
            hit = (path, first)
        if hit is None:
            return None
        path, offset = hit
        return path, self.files[path].span(offset, offset + len(needle))
