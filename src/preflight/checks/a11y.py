"""A11Y: accessibility of one email's HTML, the Email Markup Consortium's common failures first."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple, cast

from lxml import etree

from preflight import css
from preflight.model import Edit, Fix, Location, Part, Severity, Span, Template, Violation
from preflight.model.source import HtmlDocument
from preflight.resources import load_data, rules_dir

Options = Mapping[str, Any]

RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ku", "ps", "sd", "ug", "ur", "yi"}
)
_MERGE_TAG = re.compile(r"\{\{|\}\}|\*\||\|\*|%%|\{%|\[\[|<%")
_TRAILING_CHARS = " .,:;!?…>»→›-–—"
_LEADING = re.compile(r"^[\s<«←‹\-–—]+")
_URL_TEXT = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)


def _location(template: Template, span: Span | None) -> Location:
    return Location(template.path, span, Part.HTML)


def _insert_after_name(
    template: Template, doc: HtmlDocument, element: etree._Element, span: Span | None
) -> Span | None:
    """An empty span just after ``<tag`` in the source (the element's ``span``, from
    doc.element_span): where an attribute can go."""
    if span is None or not doc.source.exact:
        return None
    column = span.column + 1 + len(str(element.tag))
    return Span(span.line, column, span.line, column)


def _fix(template: Template, at: Span | None, text: str, description: str) -> Fix | None:
    if at is None:
        return None
    return Fix(description, (Edit(Location(template.path, at, Part.HTML), text),))


def _html_element(doc: HtmlDocument) -> etree._Element | None:
    """The <html> element when the source writes one (a fragment's comes from its platform)."""
    root = doc.root
    if root is None or not isinstance(root.tag, str) or root.tag.lower() != "html":
        return None
    return root if root in doc.positions else None


# -- A11Y001 --------------------------------------------------------------------------------


def missing_lang(template: Template, options: Options) -> Iterator[Violation]:
    doc = template.html
    if doc is None:
        return
    html = _html_element(doc)
    if html is None or not doc.visible_text():
        return  # no <html> written (a fragment), or nothing to read
    lang = (html.get("lang") or html.get("xml:lang") or "").strip()
    locale = template.locale.value.strip() if template.locale is not None else ""
    at = _insert_after_name(template, doc, html, doc.element_span(html))
    if not lang:
        fix = _fix(template, at, f' lang="{locale}"', f'add lang="{locale}"') if locale else None
        yield Violation(
            "<html> has no lang attribute",
            _location(template, doc.element_span(html)),
            {"locale": locale or None},
            help=f'write <html lang="{locale or "en"}"> (the language the email is written in)'
            " so screen readers pronounce it right",
            fix=fix,
        )
        return
    primary = lang.replace("_", "-").split("-", 1)[0].lower()
    direction = (html.get("dir") or "").strip().lower()
    body = next(iter(doc.iter("body")), None)
    if body is not None and not direction:
        direction = (body.get("dir") or "").strip().lower()
    if primary in RTL_LANGUAGES and direction not in ("rtl", "auto"):
        yield Violation(
            '<html lang="{lang}"> is a right-to-left language but has no dir="rtl"',
            _location(template, doc.element_span(html)),
            {"lang": lang},
            help='add dir="rtl" to <html> so clients lay the text out right to left',
            fix=_fix(template, at, ' dir="rtl"', 'add dir="rtl"'),
        )


# -- A11Y002 --------------------------------------------------------------------------------

_DATA_TABLE_MARKS = ("th", "caption", "thead", "tfoot")


def _is_data_table(table: etree._Element, marked: bool) -> bool:
    """A table of data: a summary, or its own header cells (``marked``: the document has
    some, else its tables are not searched for them)."""
    if table.get("summary"):
        return True
    if not marked:
        return False
    for mark in table.iter(*_DATA_TABLE_MARKS):
        owner = next(mark.iterancestors("table"), None)
        if owner is table:  # not a nested table's own header
            return True
    return False


def layout_table_role(template: Template, options: Options) -> Iterator[Violation]:
    doc = template.html
    if doc is None:
        return
    marked = next(doc.iter(*_DATA_TABLE_MARKS), None) is not None  # one walk, not one a table
    for table in doc.iter("table"):
        if table.get("role") is not None:
            continue  # presentation, none, or a role the author chose
        if _is_data_table(table, marked):
            continue
        span = doc.element_span(table)
        at = _insert_after_name(template, doc, table, span)
        yield Violation(
            'layout <table> without role="presentation"',
            _location(template, span),
            help='add role="presentation" so screen readers do not announce rows and columns'
            " (a table of data keeps its <th> headers instead)",
            fix=_fix(template, at, ' role="presentation"', 'add role="presentation"'),
        )


# -- A11Y003 --------------------------------------------------------------------------------


@functools.cache
def _link_words() -> tuple[frozenset[str], tuple[str, ...]]:
    data = load_data(rules_dir() / "a11y" / "link-text.yaml")
    hints = tuple(data.pop("copy_hints", ()))
    phrases = frozenset(str(p).lower() for values in data.values() for p in values)
    return phrases, hints


def _normal(text: str) -> str:
    text = " ".join(text.split()).lower()
    # str.rstrip, not a regex ending in $: that retried every start of a long run of
    # punctuation followed by a word (quadratic: 40 kB took 40 s); after the split and
    # join the only whitespace left is " "
    return _LEADING.sub("", text.rstrip(_TRAILING_CHARS))


def _accessible_name(link: etree._Element) -> bool:
    return bool(
        (link.get("aria-label") or "").strip() or (link.get("aria-labelledby") or "").strip()
    )


def vague_link_text(template: Template, options: Options) -> Iterator[Violation]:
    doc = template.html
    if doc is None:
        return
    phrases, hints = _link_words()
    styles = css.styles_of(template)
    for link in doc.iter("a"):
        if link.get("href") is None:
            continue
        raw = doc.text_content(link)
        if not raw or _MERGE_TAG.search(raw):
            continue
        text = _normal(raw)
        vague = text in phrases
        if not vague and not _URL_TEXT.match(raw.strip()):
            continue  # most links: the rest (names, styles) is read only for the others
        if _accessible_name(link) or styles.of(link).hidden:
            continue
        if vague:
            yield Violation(
                'the link text "{text}" does not say where the link goes',
                _location(template, doc.text_span(link, raw.strip().split()[0])),
                {"text": raw.strip(), "kind": "vague"},
                help='name the destination in the link itself ("Shop tomato seeds", "Read the'
                ' planting guide"): screen readers list links on their own',
            )
        elif not _asks_to_copy(doc, link, hints):  # a bare URL
            yield Violation(
                'the link text is the bare URL "{text}"',
                _location(template, doc.text_span(link, raw.strip())),
                {"text": raw.strip(), "kind": "url"},
                help="write what the link leads to; screen readers read a URL out character by"
                " character",
            )


def _asks_to_copy(doc: HtmlDocument, link: etree._Element, hints: tuple[str, ...]) -> bool:
    """True when the text around the link asks the reader to copy it (a button's fallback):
    the nearest ancestors up to the block of about a paragraph or two that holds it."""
    scope = link
    for _ in range(6):
        parent = scope.getparent()
        if parent is None:
            break
        scope = parent
        around = doc.text_content(scope).lower()
        if any(hint in around for hint in hints):
            return True
        if len(around) > 1000:
            break
    return False


# -- A11Y004 --------------------------------------------------------------------------------


class _Shortfall(NamedTuple):
    """Text colours whose contrast falls short, as the style cascade gives them."""

    foreground: tuple[float, float, float, float]
    background: tuple[float, float, float, float]
    ratio: float
    needed: float
    large: bool


def _shortfall(computed: css.Computed) -> _Shortfall | None:
    """The contrast problem of text styled as ``computed``, or None when there is none (or
    it cannot be judged: hidden, over an image, colours left to the client)."""
    if computed.hidden or computed.background_image or computed.font_size == 0:
        return None
    if computed.color is None and computed.background is None:
        return None
    return _colours_shortfall(
        computed.color, computed.background, computed.font_size, computed.bold
    )


@functools.lru_cache(maxsize=4096)
def _colours_shortfall(
    color: tuple[float, float, float, float] | None,
    background_color: tuple[float, float, float, float] | None,
    font_size: float | None,
    bold: bool,
) -> _Shortfall | None:
    """:func:`_shortfall` for what it reads of the styles, once per distinct combination."""
    foreground = color or _BLACK
    background = background_color or _WHITE
    if foreground[3] < 1 or background[3] < 1:
        return None
    ratio = css.contrast(foreground, background)
    if ratio < 1.1:
        return None  # invisible text is SPAM004's (hidden text), not a contrast problem
    size = font_size or 16.0
    large = size >= 24 or (bold and size >= 18.66)
    needed = 3.0 if large else 4.5
    if ratio >= needed:
        return None
    return _Shortfall(foreground, background, ratio, needed, large)


_WHITE = (1.0, 1.0, 1.0, 1.0)
_BLACK = (0.0, 0.0, 0.0, 1.0)


def low_contrast(template: Template, options: Options) -> Iterator[Violation]:
    doc = template.html
    if doc is None:
        return
    styles = css.styles_of(template)
    reported: set[Any] = set()
    # elements without styles of their own share their parent's Computed: each distinct one
    # is judged once (by id: they all live in ``styles`` while this runs)
    judged: dict[int, _Shortfall | None] = {}
    for _, text, _, owner, computed in styles.runs(doc):
        if owner in reported:
            continue
        key = id(computed)
        if key in judged:
            found = judged[key]
        else:
            found = judged[key] = _shortfall(computed)
        if found is None:
            continue
        if computed.color is None and _in_link(owner):
            continue  # the client's link colour, unknown here
        if computed.color_owner is not None and _link_between(owner, computed.color_owner):
            continue
        reported.add(owner)
        where = computed.color_owner if computed.color_owner is not None else owner
        shown = css.hex_colour(found.foreground), css.hex_colour(found.background)
        yield Violation(
            'text "{text}" has a contrast of {ratio}:1 against its background, under the'
            " {needed}:1 that WCAG 2.2 AA asks for",
            _location(template, doc.element_span(where)),
            {
                "text": _excerpt(text),
                "ratio": f"{found.ratio:.2f}",
                "needed": f"{found.needed:g}",
                "color": shown[0],
                "background": shown[1],
                "large": found.large,
            },
            help=f"{shown[0]} on {shown[1]}: darken the text or lighten the"
            " background (or the reverse) until the ratio reaches " + f"{found.needed:g}:1",
        )


def _in_link(element: etree._Element) -> bool:
    node: etree._Element | None = element
    while node is not None:
        if isinstance(node.tag, str) and node.tag.lower() == "a":
            return True
        node = node.getparent()
    return False


def _link_between(element: etree._Element, ancestor: etree._Element) -> bool:
    """True when an <a> lies between the text's element and the element that colours it."""
    node: etree._Element | None = element
    while node is not None and node is not ancestor:
        if isinstance(node.tag, str) and node.tag.lower() == "a":
            return True
        node = node.getparent()
    return False


def _excerpt(text: str) -> str:
    words = " ".join(text.split())
    return words if len(words) <= 40 else words[:39] + "…"


# -- A11Y005 --------------------------------------------------------------------------------

_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_ROLES = etree.XPath("//@role")


def heading_structure(template: Template, options: Options) -> Iterator[Violation]:
    doc = template.html
    if doc is None or doc.root is None:
        return
    styles = css.styles_of(template)
    headings: list[tuple[etree._Element, int]] = []
    candidates = list(doc.root.iter(*_HEADINGS))
    roles: list[etree._Element] = [
        a.getparent()
        for a in cast("list[Any]", _ROLES(doc.root))
        if str(a).strip().lower() == "heading" and a.getparent() is not None
    ]
    if roles:  # rare: put them in document order among the <hN>
        order = {element: index for index, element in enumerate(doc.root.iter())}
        candidates = sorted({*candidates, *roles}, key=lambda e: order.get(e, 0))
    for element in candidates:
        tag = str(element.tag).lower()
        if tag in _HEADINGS:
            level = int(tag[1])
        else:
            aria = (element.get("aria-level") or "").strip()
            level = int(aria) if aria.isdigit() and 1 <= int(aria) <= 6 else 2
        if not styles.of(element).hidden:
            headings.append((element, level))
    if not headings:
        words = sum(len(text.split()) for _, text, _ in doc.visible_text())
        if words < options["min_words"]:
            return  # a few lines need no outline
        body = next(iter(doc.iter("body")), None)
        span = doc.element_span(body) if body is not None else None
        yield Violation(
            "the email has no heading",
            _location(template, span),
            help="mark the main message as <h1> (style it as you like): screen reader users"
            " jump between headings to find their way",
            severity=Severity.INFO,
        )
        return
    previous = 0
    for element, level in headings:
        if previous and level > previous + 1:
            yield Violation(
                "<h{level}> follows <h{previous}>: heading level {skipped} is skipped",
                _location(template, doc.element_span(element)),
                {"level": level, "previous": previous, "skipped": previous + 1},
                help=f"make it <h{previous + 1}> (its look is the CSS's business)",
            )
        previous = level


# -- A11Y006 --------------------------------------------------------------------------------


def small_text(template: Template, options: Options) -> Iterator[Violation]:
    doc = template.html
    if doc is None:
        return
    minimum = float(options["min_size"])
    styles = css.styles_of(template)
    reported: set[Any] = set()
    for _, text, _, _, computed in styles.runs(doc):
        size = computed.font_size
        if size is None or size <= 0 or size >= minimum or computed.hidden:
            continue
        source = computed.size_owner
        if source in reported or not any(c.isalpha() for c in text):
            continue
        if "font-size" not in styles.own(source):  # a heading's default size, not the email's
            continue
        reported.add(source)
        yield Violation(
            'text "{text}" is {size}px, under the minimum of {minimum}px',
            _location(template, doc.element_span(source)),
            {"text": _excerpt(text), "size": f"{size:g}", "minimum": f"{minimum:g}"},
            help="phones shrink nothing back: use at least the minimum size (the rule's"
            " `min_size` option sets it)",
        )


# -- A11Y007 --------------------------------------------------------------------------------


def link_without_name(template: Template, options: Options) -> Iterator[Violation]:
    doc = template.html
    if doc is None:
        return
    styles = css.styles_of(template)
    for link in doc.iter("a"):
        if link.get("href") is None or _accessible_name(link) or (link.get("title") or "").strip():
            continue
        if any(chunk.strip() for chunk in cast("Iterator[str]", link.itertext())):
            continue  # it has text (doc.text_content, without building it)
        images = [i for i in link.iter("img")]
        if any(i.get("alt") is None for i in images):
            continue  # CONTENT004 reports the missing alt
        if any((i.get("alt") or "").strip() for i in images):
            continue
        if any(isinstance(e.tag, str) and e.tag.lower() in ("svg", "object") for e in link.iter()):
            continue  # named by its own title or text, if at all: not judged here
        if styles.of(link).hidden:
            continue
        where = images[0] if images else link
        yield Violation(
            'the link to "{href}" has no text and its image has an empty alt'
            if images
            else 'the link to "{href}" has no text',
            _location(template, doc.element_span(where)),
            {"href": link.get("href") or "", "images": len(images)},
            help='put the destination in the image\'s alt (alt="Brightleaf Gardens home"), or'
            " aria-label on the link: a screen reader otherwise reads the URL or nothing",
        )


# -- A11Y008 --------------------------------------------------------------------------------


def missing_title(template: Template, options: Options) -> Iterator[Violation]:
    doc = template.html
    if doc is None:
        return
    html = _html_element(doc)
    if html is None or not doc.visible_text():
        return  # a fragment (its platform's layout brings the title), or nothing to read
    title = next(iter(doc.iter("title")), None)
    subject = template.subject.value.strip() if template.subject is not None else ""
    help = (
        f"write <title>{subject}</title> (the subject) in the <head>"
        if subject
        else "write a <title> that names the email (its subject) in the <head>"
    )
    if title is None:
        head = next(iter(doc.iter("head")), None)
        span = doc.element_span(head) if head is not None and head in doc.positions else None
        yield Violation(
            "the email has no <title>",
            _location(template, span or doc.element_span(html)),
            help=help,
        )
    elif not doc.text_content(title).strip():
        yield Violation(
            "the email's <title> is empty",
            _location(template, doc.element_span(title)),
            help=help,
        )
