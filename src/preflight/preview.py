"""How an email shows before it is opened, and what of its HTML a reader never sees.

Shared by CONTENT009 (is there a preheader), the INBOX rules (subject and preheader as
inboxes show them, rules/data/inbox-display.yaml) and the SPAM rules (hidden text, the
text a reader sees). Styles are read from inline ``style`` attributes, as email clients
that strip ``<style>`` blocks do.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import yaml
from lxml import etree

from preflight import preheader
from preflight.model import Template
from preflight.model.source import HtmlDocument, is_element
from preflight.resources import rules_dir

# -- the inbox-display table ----------------------------------------------------


@dataclass(frozen=True)
class Client:
    """One email client's inbox list, as rules/data/inbox-display.yaml describes it."""

    id: str
    label: str
    kind: str  # mobile | desktop | web
    subject: int | None
    """Characters of the subject shown before it is cut (None: not measured)."""
    preheader: int | None
    """Characters of preview text shown after or below the subject."""


@functools.cache
def clients() -> tuple[Client, ...]:
    path = rules_dir() / "data" / "inbox-display.yaml"
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    return tuple(
        Client(
            str(item["id"]),
            str(item["label"]),
            str(item["kind"]),
            item.get("subject"),
            item.get("preheader"),
        )
        for item in data["clients"]
    )


# -- merge tags in short values --------------------------------------------------

_ANY_TAG = re.compile(
    r"\{\{.{0,300}?\}\}|\{%.{0,300}?%\}|\*\|.{0,200}?\|\*|%%.{0,200}?%%|\[\[.{0,200}?\]\]"
    r"|\{(?:contactfield|leadfield|ownerfield)=[^}]{0,200}\}|%recipient\.\w+%|<%.{0,200}?%>"
    r"|\$\{.{0,200}?\}",
    re.S,
)
TAG_STAND_IN = "\u2063" * 8
"""What a merge tag counts as in a subject or preheader: eight characters (a first name),
none of them a letter, so a tag is never read as a shouted word."""


def readable(value: str) -> str:
    """A subject or preheader as a reader would roughly see it: each merge tag of any
    platform stands in as eight neutral characters, spaces collapsed."""
    return " ".join(_ANY_TAG.sub(TAG_STAND_IN, value).split())


def masked(value: str) -> str:
    """``value`` with each merge tag's characters replaced by U+2063: same length, so
    offsets found in it point into the value as written."""
    return _ANY_TAG.sub(lambda match: "\u2063" * len(match.group(0)), value)


def has_tags(value: str) -> bool:
    return _ANY_TAG.search(value) is not None


# -- inline styles ----------------------------------------------------------------


def style(element: etree._Element) -> dict[str, str]:
    """The element's inline declarations, property lower-cased, ``!important`` dropped
    (split on ; and :, not a regex: linear on any attribute)."""
    raw = element.get("style")
    if not raw or ":" not in raw:
        return {}
    found: dict[str, str] = {}
    for declaration in raw.split(";"):
        name, colon, value = declaration.partition(":")
        name = name.strip().lower()
        if colon and name and all(c.isalpha() or c == "-" for c in name) and len(value) < 300:
            found[name] = value.replace("!important", "").strip().lower()
    return found


_ZERO = re.compile(r"^[+]?0*(?:\.0*)?(?:px|pt|em|rem|%)?$")
_TINY_FONT = re.compile(r"^[+]?(?:0*(?:\.\d*)?|1)(?:px|pt)?$")


def hiding(declarations: Mapping[str, str]) -> str | None:
    """The declaration that hides an element from every reader (not Outlook's mso-hide),
    as written ("display:none"), or None."""
    if declarations.get("display") == "none":
        return "display:none"
    if declarations.get("visibility") in ("hidden", "collapse"):
        return "visibility:hidden"
    opacity = declarations.get("opacity")
    if opacity is not None and _ZERO.match(opacity):
        return "opacity:0"
    overflow = declarations.get("overflow")
    for size in ("max-height", "height", "max-width", "width"):
        value = declarations.get(size)
        if value is not None and _ZERO.match(value) and overflow == "hidden":
            return f"{size}:0 with overflow:hidden"
    return None


def _font_size(declarations: Mapping[str, str]) -> str | None:
    value = declarations.get("font-size")
    if value is None and "font" in declarations:  # font: bold 14px/20px Georgia
        for word in declarations["font"].replace("/", " ").split():
            if _SIZE.match(word):
                return word
    return value


_SIZE = re.compile(r"^(?:\d+(?:\.\d+)?|\.\d+)(?:px|pt)$")


def tiny_font(declarations: Mapping[str, str]) -> bool:
    value = _font_size(declarations)
    return value is not None and bool(_TINY_FONT.match(value))


_HEX = re.compile(r"#([0-9a-f]{3}|[0-9a-f]{6})\b")
_NAMED = {"white": "#ffffff", "black": "#000000"}


def colour(value: str | None) -> str | None:
    """A colour as six hex digits (#rrggbb) when written as hex or white/black, else None."""
    if not value:
        return None
    value = value.strip().lower()
    if value in _NAMED:
        return _NAMED[value]
    match = _HEX.match(value)
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def _background(element: etree._Element, declarations: Mapping[str, str]) -> str | None:
    """The element's own background colour (inline or bgcolor); "image" when it has an image."""
    if element.get("background") or "url(" in declarations.get("background", ""):
        return "image"
    if "background-image" in declarations:
        return "image"
    value = declarations.get("background-color")
    if value is None and "background" in declarations:
        value = declarations["background"].split()[0] if declarations["background"] else None
    found = colour(value) if value is not None else None
    if found is None and element.get("bgcolor"):
        found = colour(element.get("bgcolor"))
    return found


# -- what a reader sees ------------------------------------------------------------


@dataclass(frozen=True)
class Hidden:
    """Why a run of text is invisible: the element that hides it and how."""

    element: etree._Element
    how: str


_SPACERS = frozenset("\u00a0\u200b\u200c\u200d\u2060\u034f\u00ad\u2007\ufeff\u2002\u2003 \t\r\n")
"""Characters preheader spacers are made of (&nbsp; &zwnj; &#847; &shy; &#8199; …)."""


def is_spacer_text(text: str) -> bool:
    return all(char in _SPACERS for char in text)


def spacer_count(text: str) -> int:
    return sum(1 for char in text if char in _SPACERS and char not in " \t\r\n")


_Inherited = tuple[
    "etree._Element | None", "tuple[str | None, etree._Element | None]", "str | None"
]
"""(font-size owner, (text colour, its owner), background) as text inside an element gets them."""


class View:
    """One template's HTML as a reader sees it: which runs of text are hidden and why.

    Built once per template (``view(template)``) and shared by the rules that need it.
    """

    def __init__(self, html: HtmlDocument) -> None:
        self.html = html
        self._styles: dict[etree._Element, dict[str, str]] = {}
        self._hidden: dict[etree._Element, Hidden | None] = {}
        self._inheritance: dict[etree._Element, _Inherited] = {}
        self._order: dict[etree._Element, int] | None = None
        self._styled: frozenset[str] | None = None

    def declarations(self, element: etree._Element) -> dict[str, str]:
        found = self._styles.get(element)
        if found is None:
            found = self._styles[element] = style(element)
        return found

    def hidden(self, element: etree._Element) -> Hidden | None:
        """Why ``element`` (and so its text) is hidden from every reader, or None."""
        if element in self._hidden:
            return self._hidden[element]
        chain = []
        node: etree._Element | None = element
        while node is not None and node not in self._hidden:
            chain.append(node)
            node = node.getparent()
        inherited = self._hidden.get(node) if node is not None else None
        for item in reversed(chain):
            if inherited is None and is_element(item):
                how = hiding(self.declarations(item))
                if how is None and item.get("hidden") is not None:
                    how = "the hidden attribute"
                if how is not None:
                    inherited = Hidden(item, how)
            self._hidden[item] = inherited
        return self._hidden[element]

    def invisible_text(self, element: etree._Element) -> Hidden | None:
        """Why text directly inside ``element`` cannot be read though nothing hides the
        element: a font size of 0 or 1px, or a colour equal to its background."""
        size_owner, (text_colour, colour_owner), background = self._inherited(element)
        if size_owner is not None and tiny_font(self.declarations(size_owner)):
            return Hidden(
                size_owner, "font-size:" + (_font_size(self.declarations(size_owner)) or "0")
            )
        if (
            text_colour is not None
            and background not in (None, "image")
            and text_colour == background
            and colour_owner is not None
        ):
            return Hidden(colour_owner, f"color:{text_colour} on a {background} background")
        return None

    def _inherited(self, element: etree._Element) -> _Inherited:
        """For the text of ``element``: the nearest element (itself or above) that sets a font
        size, the nearest colour that reads as one (and who sets it), the nearest background.
        Worked out once per element, from its parent's (a text run's walk up the tree was
        the INBOX and SPAM rules' largest cost)."""
        found = self._inheritance.get(element)
        if found is not None:
            return found
        chain = []
        node: etree._Element | None = element
        while node is not None and is_element(node) and node not in self._inheritance:
            chain.append(node)
            node = node.getparent()
        above: _Inherited = (
            self._inheritance[node]
            if node is not None and node in self._inheritance
            else (None, (None, None), None)
        )
        for item in reversed(chain):
            declarations = self.declarations(item)
            size_owner, (text_colour, colour_owner), background = above
            if _font_size(declarations) is not None:
                size_owner = item
            if "color" in declarations:
                own = colour(declarations["color"])
                if own is not None:  # one that does not read as a colour leaves the parent's
                    text_colour, colour_owner = own, item
            own_background = _background(item, declarations)
            if own_background is not None:
                background = own_background
            above = self._inheritance[item] = (size_owner, (text_colour, colour_owner), background)
        return above

    def order(self, element: etree._Element) -> int:
        """The element's place in document order."""
        if self._order is None:
            root = self.html.root
            self._order = (
                {node: i for i, node in enumerate(root.iter())} if root is not None else {}
            )
        return self._order.get(element, -1)

    def styled_names(self) -> frozenset[str]:
        """Class names and ids that a ``<style>`` block names: elements a stylesheet may
        show (responsive or interactive parts hidden inline until a media query shows them)."""
        if self._styled is None:
            names: set[str] = set()
            for block in self.html.iter("style"):
                text = block.text or ""
                names.update(re.findall(r"[.#](-?[_a-zA-Z][\w-]*)", text))
            self._styled = frozenset(names)
        return self._styled

    def toggled(self, element: etree._Element) -> bool:
        """True when a stylesheet names the element (a class or id), so it may be shown."""
        names = self.styled_names()
        if not names:
            return False
        classes = (element.get("class") or "").split()
        return any(name in names for name in classes) or (element.get("id") or "") in names

    def runs(self) -> Iterator[tuple[etree._Element, str, bool, Hidden | None]]:
        """Every run of body text: (element, text, is_tail, why it is hidden or None)."""
        for element, text, is_tail in self.html.visible_text():
            owner = element.getparent() if is_tail else element
            if owner is None:
                continue
            why = self.hidden(owner)
            if why is None:
                why = self.invisible_text(owner)
            yield element, text, is_tail, why


def view(template: Template) -> View | None:
    """The template's View, built once and kept in its memo; None without HTML."""
    html = template.html
    if html is None or html.root is None:
        return None
    return template.memo.get("view", lambda: View(html))


# -- the preheader ----------------------------------------------------------------


def preheader_element(template: Template) -> etree._Element | None:
    """The element that holds the HTML's preview text (preflight.preheader finds it), kept
    in the template's memo."""
    html = template.html
    if html is None or html.root is None:
        return None

    def find() -> etree._Element | None:
        found = preheader.preheader_element(html)
        return None if found is None else found[0]

    return template.memo.get("preheader_element", find)
