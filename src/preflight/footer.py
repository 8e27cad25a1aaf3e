"""What a footer holds: an unsubscribe link or tag, a postal address.

Shared by the CONTENT rules (CONTENT001, 002, 005) and the corrections, which keep
the original's footer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from lxml import etree

from preflight.dialects import CONFIDENT, has_special
from preflight.model import Template

_URL_IN_TEXT = re.compile(r"https?://\S+|\{\{[^}]+\}\}|\*\|[^|]+\|\*|%%[^%]+%%|\{%[^%]+%\}")


def declared_platform(template: Template) -> str | None:
    """The declared platform. A detected one is a guess: these checks accept every
    platform's tags rather than report a missing tag on the strength of a guess."""
    platform = template.platform
    return platform.value if platform and platform.origin != "detected" else None


def sure_platform(template: Template) -> str | None:
    """The declared platform, or the detected one when detection is confident or settled."""
    declared = declared_platform(template)
    detection = template.detection
    if (
        declared is None
        and detection is not None
        and detection.platform is not None
        and (detection.settled_by is not None or (detection.confidence or 0) >= CONFIDENT)
    ):
        return detection.platform
    return declared


def anchors(template: Template) -> Iterator[etree._Element]:
    if template.html is None:
        return iter(())
    return (a for a in template.html.iter("a") if a.get("href") is not None)


def has_unsubscribe(template: Template, words: list[str], html_only: bool = False) -> bool:
    """True when the template has an unsubscribe tag of its platform or an unsubscribe link
    (a link whose address has one of ``words``, or whose text has one and whose address can
    be one), as CONTENT001 judges it."""
    lowered = [w.lower() for w in words]
    if template.html is not None:
        html = template.html
        platform = declared_platform(template)
        tagged = template.memo.get(
            f"footer:unsubscribe-tag:{platform}",
            lambda: has_special("unsubscribe", platform, html.source.text, html.lower),
        )
        if tagged:
            return True
        if any(ok for _, ok in _unsubscribe_links(template, lowered)):
            return True
    if not html_only and template.text is not None:
        return text_has_unsubscribe(template, template.text.text, lowered)
    return False


def false_unsubscribe_links(template: Template, words: list[str]) -> list[etree._Element]:
    """Links whose text says unsubscribe but whose address cannot be an unsubscribe address:
    nowhere ("#"), an image or document, a blog or news page, or a site's home page."""
    if template.html is None:
        return []
    lowered = [w.lower() for w in words]
    return [anchor for anchor, ok in _unsubscribe_links(template, lowered) if not ok]


def _unsubscribe_links(template: Template, words: list[str]) -> list[tuple[etree._Element, bool]]:
    """(link, whether it can unsubscribe) for each link that reads as an unsubscribe link;
    found once per template and list of words (CONTENT001, 005 and others ask)."""
    if template.html is None:
        return []
    key = "footer:unsubscribe-links:" + "\x00".join(words)
    return template.memo.get(key, lambda: list(_find_unsubscribe_links(template, words)))


def _find_unsubscribe_links(
    template: Template, words: list[str]
) -> Iterator[tuple[etree._Element, bool]]:
    if template.html is None:
        return
    for anchor in anchors(template):
        raw = (anchor.get("href") or "").strip()
        href = raw.lower()
        # a merge tag named like "unsubscribe" is not a link unless it is this platform's tag
        web = href.startswith(("http://", "https://", "mailto:"))
        if web and any(word in href for word in words):
            yield anchor, True
            continue
        text = template.html.text_content(anchor).lower()
        if not any(word in text for word in words):
            continue
        yield anchor, _can_unsubscribe(href)


_NOT_UNSUBSCRIBE_PATH = re.compile(
    r"\.(?:png|jpe?g|gif|webp|svg|bmp|ico|pdf|docx?|xlsx?|zip|mp4|mov)$"
    r"|/(?:blogs?|news|articles?|posts?)(?:/|$)",
    re.IGNORECASE,
)


def _can_unsubscribe(href: str) -> bool:
    if href in ("", "#") or href.startswith(("#", "javascript:")):
        return False
    if not href.startswith(("http://", "https://")):
        return True  # mailto:, a merge tag, a platform's own link: not for us to judge
    parts = urlsplit(href)
    if parts.path in ("", "/") and not parts.query and not parts.fragment:
        return False  # a home page
    return _NOT_UNSUBSCRIBE_PATH.search(parts.path) is None


_WEB_URL = re.compile(r"https?://[^\s<>\"']+")


def unsubscribe_address(template: Template, words: list[str]) -> str | None:
    """The first unsubscribe address written out in full (http or https) that CONTENT001
    counts: an HTML link it reads as an unsubscribe link and not a false one, else a web
    address on a text-part line with one of ``words``. None when there is none."""
    lowered = [w.lower() for w in words]
    for anchor, ok in _unsubscribe_links(template, lowered):
        href = (anchor.get("href") or "").strip()
        if ok and href.lower().startswith(("http://", "https://")):
            return href
    if template.text is None:
        return None
    for line in template.text.text.splitlines():
        if not any(word in line.lower() for word in lowered):
            continue
        for match in _WEB_URL.finditer(line):
            url = match.group(0).rstrip(".,;:!?)")
            if _can_unsubscribe(url.lower()):
                return url
    return None


def text_has_unsubscribe(template: Template, text: str, words: list[str]) -> bool:
    if has_special("unsubscribe", declared_platform(template), text):
        return True
    lowered = text.lower()
    for word in words:
        index = lowered.find(word)
        while index != -1:  # a line with the word and a URL or tag is an unsubscribe line
            start = lowered.rfind("\n", 0, index) + 1
            end = lowered.find("\n", index)
            if _URL_IN_TEXT.search(lowered, start, end if end != -1 else len(lowered)):
                return True
            index = lowered.find(word, index + len(word))
    return False


# A street needs a number and a capitalised name before the street word ("14 Orchard
# Lane", not "5 bulbs in a sunny place"); postcodes need the city or a comma beside them.
# A name before a suffix (Hauptstraße) starts a run of name characters and is at most 60
# long: with \b and no bound, every digit of "-1-1-1…" started a search of the whole run
# (quadratic: 28 kB took minutes).
_STREET_WORDS = (
    r"(?i:street|st\.?|road|rd\.?|avenue|ave\.?|lane|ln\.?|drive|dr\.?|boulevard|blvd\.?"
    r"|parkway|pkwy\.?|highway|hwy\.?|terrace|square|sq\.?|close|crescent|court|ct\.?)"
)
# A pattern that would start with \b starts with its first character and checks the boundary
# behind it, "(?<!\w.)": the same matches, but the regex engine can skip ahead to a digit or
# capital instead of trying every position (a half to a third of the time).
_ADDRESS_PATTERNS = [
    re.compile(
        rf"\d(?<!\w.)\d{{0,4}}[A-Za-z]?,?\s+(?:[A-Z][A-Za-z'.-]*\s+){{1,4}}{_STREET_WORDS}(?![A-Za-z])"
    ),
    re.compile(
        r"\b(?:p\.?\s?o\.?\s?box|post office box|postfach|apartado(?: de correos)?|boîte postale"
        r"|postbus)\s*\d+",
        re.IGNORECASE,
    ),
    re.compile(
        r"(?<![\wäöüßéè.-])[\wäöüßéè.-]{1,60}(?:straße|strasse|str\.|weg|gasse|platz|allee|laan|straat|gracht|plein"
        r"|kade|singel)\s+\d+",
        re.IGNORECASE,
    ),
    re.compile(
        r"\d(?<!\w.)\d{0,3}(?:\s?(?:bis|ter))?,?\s+(?:rue|avenue|boulevard|bd|place|chemin|allée|quai"
        r"|impasse)\s+(?:de\s+|du\s+|des\s+|d')?[A-ZÉ]",
    ),
    re.compile(
        r"\b(?:[Cc]alle|C/|[Aa]venida|[Aa]vda\.?|[Pp]laza|[Pp]aseo|[Cc]arrer)\s+[A-ZÁÉ][^,\n]{1,40},?\s*\d+"
    ),
    re.compile(r"[A-Z](?<!\w.)[A-Z]\s+\d{5}(?:-\d{4})?\b"),  # US state + ZIP
    # a number and a name, a city and a ZIP, with no street word: "123 Van Ness, San
    # Francisco 94102", "350 Fifth, New York, 10118"
    re.compile(
        r"\d(?<!\w.)\d{0,4}[A-Za-z]?\s+(?:[A-Z][A-Za-z'.-]*\s+){0,3}[A-Z][A-Za-z'.-]*,\s*"
        r"(?:[A-Z][A-Za-z'.-]*\s+){0,3}[A-Z][A-Za-z'.-]*,?\s+\d{5}(?:-\d{4})?(?![\d-])"
    ),
    re.compile(
        r"(?:,\s*|[A-Z][a-z]+\s+)[A-Z]{1,2}\d[A-Z\d]?\s+\d[A-Z]{2}\b"
    ),  # UK: city or comma, postcode
    re.compile(r"(?:^|,\s*|\n)\d{4}\s?[A-Z]{2}\s+[A-Z][a-z]+"),  # NL postcode + city
    re.compile(r"(?:^|,\s*|\n)\d{5}\s+[A-ZÄÖÜ][a-zäöüß]+"),  # DE/FR/ES postcode + city
    # India: a comma, the city or state, the six-digit PIN ("Surat, Gujarat 395009"); not
    # a word that numbers something else ("Thanks, Order 123456")
    re.compile(
        r",\s*(?!(?:Order|Ticket|Code|Invoice|Ref|Reference|Booking|Account|Case|Number|Team"
        r"|Phone|Call|Total|Voucher|Coupon|Pin|Id|No)\b)"
        r"[A-Z][a-z]+(?:\s[A-Z][a-z]+)?,?\s*[-–]?\s*[1-9]\d{2}\s?\d{3}(?![\d-])"
    ),
]


# Cheap tests that rule a case-insensitive pattern out before its own search: each matches
# the folded text (_fold) wherever the pattern matches the text, as a literal scan in C,
# where the pattern tries every position (the "…straße 5" one cost a fifth of the CONTENT
# rules' time).
_GATES: dict[int, re.Pattern[str]] = {
    1: re.compile(r"box|postfach|apartado|boîte postale|postbus"),
    2: re.compile(
        r"(?:straße|strasse|str\.|weg|gasse|platz|allee|laan|straat|gracht|plein|kade|singel)\s+\d"
    ),
}
_FOLD = {0x130: "i", 0x131: "i", 0x17F: "s"}
"""The letters a case-insensitive pattern matches for "i" and "s" that str.lower leaves
alone (ı, ſ) or makes two characters of (İ); tests/test_content.py holds the fold to that."""


def _fold(text: str) -> str | None:
    """``text`` as a case-insensitive pattern reads its letters, or None when that would
    not keep its length."""
    folded = text.lower()
    if "\u0131" in folded or "\u017f" in folded or len(folded) != len(text):
        folded = text.translate(_FOLD).lower()
    return folded if len(folded) == len(text) else None


def address_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` reads as a postal address: (start, end) of each pattern's matches."""
    return [match.span() for pattern in _ADDRESS_PATTERNS for match in pattern.finditer(text)]


def looks_like_address(text: str) -> bool:
    """Whether ``text`` holds something that reads as a postal address (CONTENT002, corrections)."""
    # separate patterns: each keeps its own fast prefix scan, which one alternation loses
    folded: str | None = None
    for index, pattern in enumerate(_ADDRESS_PATTERNS):
        gate = _GATES.get(index)
        if gate is not None:
            if folded is None:
                folded = _fold(text) or ""
            if folded and gate.search(folded) is None:
                continue  # cannot match: its literal part is not there
        if pattern.search(text):
            return True
    return False


def link_words() -> list[str]:
    """CONTENT001's default `link_words`: what makes a link an unsubscribe link."""
    from preflight.catalogue import load_catalogue

    rule = load_catalogue().rules["CONTENT001"]
    return list(rule.options["link_words"].default)
