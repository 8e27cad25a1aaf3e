"""How an email shows before it is opened, and what of its HTML a reader never sees.

Shared by CONTENT009 (is there a preheader), the INBOX rules (subject and preheader as
inboxes show them, rules/data/inbox-display.yaml) and the SPAM rules (hidden text, the
text a reader sees). Styles are read from inline ``style`` attributes, as email clients
that strip ``<style>`` blocks do, through css.InlineStyles: one cascade for every rule.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from lxml import etree

from preflight import css
from preflight.model import Template
from preflight.model.source import HtmlDocument
from preflight.preheader import unpadded
from preflight.resources import load_data, rules_dir

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
    data = load_data(path)
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
    """A subject or preheader as a reader would roughly see it: padding (preflight.preheader)
    read as spaces, each merge tag of any platform standing in as eight neutral characters,
    spaces collapsed. Empty when it says nothing."""
    return " ".join(_ANY_TAG.sub(TAG_STAND_IN, unpadded(value)).split())


def masked(value: str) -> str:
    """``value`` with each merge tag's characters replaced by U+2063: same length, so
    offsets found in it point into the value as written."""
    return _ANY_TAG.sub(lambda match: "\u2063" * len(match.group(0)), value)


def has_tags(value: str) -> bool:
    return _ANY_TAG.search(value) is not None


# -- what a reader sees ------------------------------------------------------------


@dataclass(frozen=True)
class Hidden:
    """Why a run of text is invisible: the element that hides it and how."""

    element: etree._Element
    how: str


_TINY_PX = 4 / 3
"""Type this small (0, 1px, 1pt) cannot be read."""


class View:
    """One template's HTML as a reader sees it: which runs of text are hidden and why.

    Built once per template (``view(template)``) and shared by the rules that need it; the
    styles are the template's css.InlineStyles (the cascade the A11Y and CLIENT rules read).
    """

    def __init__(self, html: HtmlDocument, styles: css.InlineStyles) -> None:
        self.html = html
        self.styles = styles
        self._order: dict[etree._Element, int] | None = None
        self._styled: frozenset[str] | None = None
        self._runs: list[tuple[etree._Element, str, bool, Hidden | None]] | None = None

    def declarations(self, element: etree._Element) -> dict[str, str]:
        """The element's own inline declarations that win: property -> value, lower case."""
        return {name: found.lower_value for name, found in self.styles.own(element).items()}

    def hidden(self, element: etree._Element) -> Hidden | None:
        """Why ``element`` (and so its text) is hidden from every reader, or None (Outlook's
        mso-hide:all hides from one client only)."""
        found = self.styles.of(element).hidden_by
        return None if found is None else Hidden(found[0], found[1])

    def invisible_text(self, element: etree._Element) -> Hidden | None:
        """Why text directly inside ``element`` cannot be read though nothing hides the
        element: a font size of 0 or 1px, or a colour equal to its background."""
        return self._invisible(self.styles.of(element))

    def _invisible(self, computed: css.Computed) -> Hidden | None:
        size, size_owner = computed.font_size, computed.size_owner
        if size is not None and size <= _TINY_PX and size_owner is not None:
            written = css.font_size_of(self.styles.own(size_owner)) or f"{size:g}px"
            return Hidden(size_owner, "font-size:" + written.lower())
        text_colour, background = computed.color, computed.background
        if (
            text_colour is not None
            and background is not None
            and not computed.background_image
            and computed.color_owner is not None
            and css.hex_colour(text_colour) == css.hex_colour(background)
            and text_colour[3] == background[3] == 1.0
        ):
            shown = css.hex_colour(text_colour)
            return Hidden(computed.color_owner, f"color:{shown} on a {shown} background")
        return None

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

    def runs(self) -> list[tuple[etree._Element, str, bool, Hidden | None]]:
        """Every run of body text: (element, text, is_tail, why it is hidden or None);
        worked out once, for the SPAM and INBOX rules that all read it."""
        if self._runs is None:
            runs: list[tuple[etree._Element, str, bool, Hidden | None]] = []
            whys: dict[int, Hidden | None] = {}  # by id(computed): runs share their styles
            for element, text, is_tail, _, computed in self.styles.runs(self.html):
                key = id(computed)
                if key in whys:
                    why = whys[key]
                else:
                    found = computed.hidden_by  # what hidden() and invisible_text() read
                    why = Hidden(*found) if found is not None else self._invisible(computed)
                    whys[key] = why
                runs.append((element, text, is_tail, why))
            self._runs = runs
        return self._runs


def view(template: Template) -> View | None:
    """The template's View, built once and kept in its memo; None without HTML."""
    html = template.html
    if html is None or html.root is None:
        return None
    return template.memo.get("view", lambda: View(html, css.styles_of(template)))
