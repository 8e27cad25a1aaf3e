"""The original's postal address, as its footer writes it: words, tags, or both.

A footer often keeps the address and its links in one paragraph ("…Leeds LS1 2AB,
Unsubscribe | Update preferences", "…10115 Berlin. Abmelden"), and platforms spell an
address as several tags ({{Sender_Name}}, {{Sender_Address}}, {{Sender_City}},
{{Sender_Zip}}). So a block is cut into segments (at <br>, links, commas, bars, dots and
sentence ends); the segments that read as an address, or hold the platform's address tag
or a tag named for an address, are the core; the run grows over the plain segments next
to it (a company name, a city tag) and stops at a link, link words, a URL, a label
("Our mailing address is:"), prose, a copyright line or a blank line.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from preflight.dialects import Dialect, special_pattern, tokenize
from preflight.model import Template

MAX_ADDRESS = 200
"""The longest address kept whole; a longer run keeps its core only."""

_BLOCKS = ("p", "td", "th", "div", "address", "li", "span", "font", "center")
_BREAKING = frozenset(
    "p div td th tr table li ul ol address center h1 h2 h3 h4 h5 h6 blockquote section"
    " footer".split()
)
_SILENT = frozenset(("script", "style", "head", "title"))

_SEPARATORS = re.compile(r"\s*(?:[|·•,;]|\s[–—-]\s)\s*")
_TAGLIKE = re.compile(
    r"\*\|.{0,200}?\|\*|\{\{.{0,300}?\}\}\}?|\{%.{0,300}?%\}|%%.{0,200}?%%|<%.{0,200}?%>"
    r"|\[[^\[\]]{0,200}\]|%[A-Z][A-Z-]{0,60}%"
)
"""Merge tags (of any platform) and bracketed words: never cut at a bar or comma inside."""
_SENTENCE_END = re.compile(r"(?<=\w)\.(?=\s+\S|\s*$)")
_ABBREVIATIONS = frozenset(
    "st rd ave av ln dr blvd pkwy hwy sq ct apt ste no nr str inc ltd llc co corp bv gmbh"
    " mr mrs ms dr e.v ag".split()
)
_STOP_WORDS = re.compile(
    r"preferences|einstellungen|préférences|preferencias|voorkeuren|view (?:it |this )?(?:email )?"
    r"(?:online|in (?:your |a )?browser)|im browser|webversion|privacy|datenschutz"
    r"|confidentialité|privacidad|all rights reserved|rechte vorbehalten|droits réservés"
    r"|derechos reservados|rechten voorbehouden|copyright|©|\(c\) \d{4}|https?://|www\.",
    re.IGNORECASE,
)
_ADDRESS_FIELD = re.compile(
    r"(?i)(?:sender|company|organi[sz]ation|org|site_settings|account|list|member|business|brand)"
    r".{0,40}?(?:addr|street)"
)
"""A tag for the sender's address ({{company_address}}, %%Member_Addr%%), not the
recipient's ({{ contact.address }})."""
_MAX_BLOCK_TEXT = 2_000
"""A block with more text than this is a layout, not a footer line: not read."""
_MAX_DEPTH = 40


@dataclass
class _Unit:
    kind: str  # "seg" | "sep" | "br" | "edge" | "link" | "para"
    text: str = ""
    role: str = ""  # for segments: "address" | "plain" | "stop"


def html_address(template: Template, dialect: Dialect | None) -> str | None:
    """The address of the HTML part: the block whose address run holds the platform's tag
    first (that is the footer), else the shortest run of words that reads as an address."""
    if template.html is None or template.html.root is None:
        return None
    runs: list[tuple[bool, int, str]] = []
    for element in template.html.iter(*_BLOCKS):
        if _longer_than(element, _MAX_BLOCK_TEXT):
            continue
        found = _run(list(_html_units(element, dialect)), dialect)
        if found is not None:
            runs.append(found)
    return _best(runs)


def text_address(template: Template, dialect: Dialect | None) -> str | None:
    """The address of the text part, paragraph by paragraph (a line is a <br>)."""
    if template.text is None:
        return None
    runs: list[tuple[bool, int, str]] = []
    for paragraph in re.split(r"\n\s*\n", template.text.text):
        units: list[_Unit] = []
        for line in paragraph.splitlines():
            if units:
                units.append(_Unit("br"))
            units.extend(_text_units(line))
        found = _run(units, dialect)
        if found is not None:
            runs.append(found)
    return _best(runs)


def _best(runs: list[tuple[bool, int, str]]) -> str | None:
    """The footer's address tag first; then the block that holds the most of the address
    (<td> around three <div> lines); then the tightest (<p> inside that <td>)."""
    if not runs:
        return None
    return min(runs, key=lambda run: (not run[0], -run[1], len(run[2])))[2]


# -- units ----------------------------------------------------------------------------


def _longer_than(element: Any, limit: int) -> bool:
    total = 0
    for piece in element.itertext():
        total += len(piece)
        if total > limit:
            return True
    return False


def _html_units(element: Any, dialect: Dialect | None, depth: int = 0) -> Iterator[_Unit]:
    """An element's content: text cut into segments, <br> as a break, the edges of a block
    inside as one break, each link as one unit (its words are never the address)."""
    if element.text:
        yield from _text_units(element.text)
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else None  # comments have none
        if tag == "br":
            yield _Unit("br")
        elif tag == "a":
            yield _Unit("link", " ".join("".join(child.itertext()).split()))
        elif tag is not None and tag not in _SILENT and depth < _MAX_DEPTH:
            edge = tag in _BREAKING
            if edge:
                yield _Unit("edge")
            yield from _html_units(child, dialect, depth + 1)
            if edge:
                yield _Unit("edge")
        if child.tail:
            yield from _text_units(child.tail)


def _text_units(text: str) -> Iterator[_Unit]:
    text = " ".join(text.split())
    position = 0
    for match in _separators(text):
        start, end = match
        if start > position:
            yield _Unit("seg", text[position:start])
        yield _Unit("sep", text[start:end])
        position = end
    if position < len(text):
        yield _Unit("seg", text[position:])


def _separators(text: str) -> list[tuple[int, int]]:
    """Commas, bars and dots between parts, and the dot that ends a sentence ("Berlin.")
    but not an abbreviation ("Rd.", "Ltd.")."""
    tags = [m.span() for m in _TAGLIKE.finditer(text)]

    def in_tag(start: int) -> bool:
        return any(s <= start < e for s, e in tags)

    found = [
        m.span()
        for m in _SEPARATORS.finditer(text)
        if m.end() > m.start() and not in_tag(m.start())
    ]
    for match in _SENTENCE_END.finditer(text):
        if in_tag(match.start()):
            continue
        word = re.search(r"([\w.]+)$", text[: match.start()])
        if word and word.group(1).lower() in _ABBREVIATIONS:
            continue
        if word and len(word.group(1)) == 1:  # an initial: "J. Smith"
            continue
        found.append((match.start(), match.end()))
    found.sort()
    merged: list[tuple[int, int]] = []
    for start, end in found:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


# -- the run --------------------------------------------------------------------------


def _run(units: list[_Unit], dialect: Dialect | None) -> tuple[bool, int, str] | None:
    """(holds an address tag, its segments that read as an address, the address) of one
    block, or None when it has none."""
    units = _paragraphs(units)
    has_tag = _mark(units, dialect)
    core = [i for i, unit in enumerate(units) if unit.role == "address"]
    if not core:
        return None
    first = core[0]
    last = first
    for index in core[1:]:  # the address goes on while nothing stops it
        if any(units[j].kind in ("link", "para") or units[j].role == "stop"
               for j in range(last + 1, index)):  # fmt: skip
            break
        last = index
    start, end = first, last
    while start > 0 and _joins(units[start - 1], units, start - 1, -1):
        start -= 1
    while end + 1 < len(units) and _joins(units[end + 1], units, end + 1, 1):
        end += 1
    text = _written(units[start : end + 1], dialect)
    if len(text) > MAX_ADDRESS:
        text = _written(units[first : last + 1], dialect)
    if not text or len(text) > MAX_ADDRESS:
        return None
    return has_tag, len([i for i in core if first <= i <= last]), text


def _joins(unit: _Unit, units: list[_Unit], index: int, step: int) -> bool:
    """Whether the run may take ``unit``: a plain segment (a company name, a city tag), or
    a separator or <br> before one; never the edge of another block (<p>Thanks for
    reading</p> is not part of the address in the next paragraph)."""
    if unit.kind in ("sep", "br"):
        nearby = index
        while 0 <= nearby < len(units) and units[nearby].kind in ("sep", "br"):
            if units[nearby].text == "edge":
                return False
            nearby += step
        return 0 <= nearby < len(units) and units[nearby].role == "plain"
    return unit.role == "plain"


def _paragraphs(units: list[_Unit]) -> list[_Unit]:
    """Two <br> (or blank lines) with nothing but separators between them end a paragraph;
    the edges of blocks inside are one break however many there are."""
    out: list[_Unit] = []
    for unit in units:
        if unit.kind == "seg" and not unit.text.strip():
            continue
        if unit.kind in ("br", "edge"):
            last = len(out) - 1
            while last >= 0 and out[last].kind == "sep":
                last -= 1
            if last < 0 or out[last].kind == "para":
                continue  # a break at the start, or after a paragraph's end
            if out[last].kind == "br":
                if unit.kind == "br" and out[last].text == "br":
                    del out[last:]
                    out.append(_Unit("para"))
                continue
            out.append(_Unit("br", unit.kind))
            continue
        out.append(unit)
    return out


def _mark(units: list[_Unit], dialect: Dialect | None) -> bool:
    """Give each segment its role; True when one holds an address tag."""
    from preflight.footer import address_spans

    flat, offsets = _flatten(units)
    written = address_spans(flat)
    tagged = False
    for index, unit in enumerate(units):
        if unit.kind != "seg":
            continue
        start, end = offsets[index]
        if _has_address_tag(unit.text, dialect):
            unit.role, tagged = "address", True
        elif any(s < end and start < e for s, e in written):
            unit.role = "address"
        elif _stops(unit.text, dialect):
            unit.role = "stop"
        else:
            unit.role = "plain"
    return tagged


def _flatten(units: list[_Unit]) -> tuple[str, dict[int, tuple[int, int]]]:
    """The block as one line for the address patterns: breaks read as commas, links as
    line ends (an address never runs through one)."""
    pieces: list[str] = []
    offsets: dict[int, tuple[int, int]] = {}
    length = 0
    for index, unit in enumerate(units):
        piece = {"br": ", ", "link": "\n", "para": "\n"}.get(unit.kind, unit.text)
        offsets[index] = (length, length + len(piece))
        pieces.append(piece)
        length += len(piece)
    return "".join(pieces), offsets


def _has_address_tag(text: str, dialect: Dialect | None) -> bool:
    if dialect is None:
        return False
    pattern = special_pattern("postal_address", dialect.name)
    if pattern is not None and pattern.search(text):
        return True
    return any(
        tag.kind in ("variable", "special") and tag.field and _ADDRESS_FIELD.search(tag.field)
        for tag in tokenize(text, dialect.name)
    )


def _stops(text: str, dialect: Dialect | None) -> bool:
    """Link words, a URL, a label, prose, a copyright line, a tag that is a link."""
    lowered = text.lower()
    if any(word in lowered for word in _link_words()) or _STOP_WORDS.search(text):
        return True
    if text.rstrip().endswith((":", "?", "!")):
        return True
    words = re.sub(r"\S*[{}%|*\[\]]\S*", "", text).split()  # tags are not words
    if len(words) > 8:
        return True
    if dialect is not None:
        for kind in ("unsubscribe", "view_online", "preferences"):
            pattern = special_pattern(kind, dialect.name)
            if pattern is not None and pattern.search(text):
                return True
    return False


@functools.cache
def _link_words() -> tuple[str, ...]:
    from preflight.footer import link_words

    return tuple(word.lower() for word in link_words())


def _written(units: list[_Unit], dialect: Dialect | None) -> str:
    """The run as one line: a break is a comma; block tags (*|END:IF|*) are left out, as a
    correction has none of the conditions around them."""
    pieces: list[str] = []
    gap = ""
    for unit in units:
        if unit.kind == "seg":
            if pieces:
                pieces.append(gap)
            pieces.append(unit.text)
            gap = ""
        elif unit.kind == "br":
            gap = ", "
        elif unit.kind == "sep" and not gap:
            mark = unit.text.strip()
            gap = ", " if mark in (",", ";", ".") else f" {mark} "
    text = "".join(pieces)
    if dialect is not None:
        for tag in sorted(tokenize(text, dialect.name), key=lambda t: -t.start):
            if tag.kind.startswith("block"):
                text = text[: tag.start] + text[tag.end :]
    text = " ".join(text.split())
    text = re.sub(r"\s+,", ",", text)
    return text.strip(" ,;|·•–—-")
