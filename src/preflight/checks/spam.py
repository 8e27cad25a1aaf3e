"""SPAM: what content filters hold against an email, read from the template itself.

SPAM001-004 are static and cheap. SPAM010 reads what a local SpamAssassin made of the
assembled message (``check --spam``; preflight.spamassassin runs it). The phrase and
shortener lists are data: rules/data/spam-phrases.yaml, rules/data/url-shorteners.yaml.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from lxml import etree

from preflight.linkscan import links
from preflight.model import Location, Part, Severity, Span, Template, Violation
from preflight.preheader import is_padding, preheader_of, value_parts
from preflight.preview import Hidden, View, readable, view
from preflight.resources import load_data, rules_dir
from preflight.tagscan import value_span

if TYPE_CHECKING:  # the SpamAssassin module is imported only when --spam scored something
    from preflight.spamassassin import Scored

Options = Mapping[str, Any]


def _data(name: str) -> Any:
    path = rules_dir() / "data" / name
    return load_data(path)


# -- SPAM001 ---------------------------------------------------------------------------


_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*|%")


def _tokens(text: str) -> list[str]:
    return [token.casefold().replace("’", "'") for token in _TOKEN.findall(text)]


@functools.cache
def _phrases() -> dict[str, list[tuple[tuple[str, ...], str, int]]]:
    """First word -> (the phrase's words, the phrase, its weight), longest phrase first."""
    weights: dict[tuple[str, ...], tuple[str, int]] = {}
    for table in _data("spam-phrases.yaml").values():
        for phrase, weight in table.items():
            words = tuple(_tokens(str(phrase)))
            if not words:
                continue
            shown = " ".join(str(phrase).casefold().replace("’", "'").split())
            before = weights.get(words)
            weights[words] = (shown, max(int(weight), before[1] if before else 0))
    index: dict[str, list[tuple[tuple[str, ...], str, int]]] = {}
    for words, (shown, weight) in weights.items():
        index.setdefault(words[0], []).append((words, shown, weight))
    for candidates in index.values():
        candidates.sort(key=lambda item: -len(item[0]))
    return index


@functools.cache
def _needles() -> dict[str, tuple[str, ...]]:
    """First word -> its phrases' words, each joined and ended by NUL as _matches joins the
    words of a text."""
    return {
        first: tuple("\0" + "\0".join(words) + "\0" for words, _, _ in candidates)
        for first, candidates in _phrases().items()
    }


def _matches(text: str) -> Iterator[tuple[int, int, str, int]]:
    """(start, end, phrase, weight) of each listed phrase in ``text``, on whole words, the
    longest at a place, none overlapping. Linear in the text: one pass over its words."""
    index = _phrases()
    raw = _TOKEN.findall(text)  # strings, not match objects: most texts match no phrase
    # every word folded by one casefold of them all: casefold maps each character on its
    # own (no context, unlike lower's final sigma), and no word holds the NUL between them
    folded = "\0".join(raw).casefold().replace("’", "'")
    words = folded.split("\0")
    # a test in C before the walk over the words: a phrase is found only where its words
    # follow each other, so its words joined as these are must be in them
    padded = f"\0{folded}\0"
    needles = _needles()
    if not any(needle in padded for first in index.keys() & words for needle in needles[first]):
        return
    starts = [i for i, word in enumerate(words) if word in index]  # a phrase's first word
    spans: list[tuple[int, int]] | None = None  # each word's (start, end), on the first find
    position = 0
    for start in starts:
        if start < position:
            continue  # inside the phrase found before
        for phrase_words, phrase, weight in index[words[start]]:
            size = len(phrase_words)
            if tuple(words[start : start + size]) == phrase_words:
                if spans is None:
                    spans = [match.span() for match in _TOKEN.finditer(text)]
                yield spans[start][0], spans[start + size - 1][1], phrase, weight
                position = start + size
                break


def spam_phrases(template: Template, options: Options) -> Iterator[Violation]:
    found: dict[str, int] = {}  # phrase -> weight as counted
    first: dict[str, Location] = {}
    written: dict[str, str] = {}  # phrase -> as the email first writes it
    for part, sourced in value_parts(template):  # a preview read from the HTML: as HTML
        for start, end, phrase, weight in _matches(sourced.value):
            counted = weight * (2 if part is Part.SUBJECT else 1)
            found[phrase] = max(found.get(phrase, 0), counted)
            written.setdefault(phrase, " ".join(sourced.value[start:end].split()))
            if phrase not in first:
                where = sourced.location or template.location(part)
                span = value_span(template, sourced, start, end)
                first[phrase] = Location(where.path, span or where.span, part, where.pointer)
    html = template.html
    if html is not None and html.root is not None:
        runs = html.visible_text()
        joined = "\n".join([text for _, text, _ in runs])
        starts: list[int] = []  # where each run starts in ``joined``, on the first find
        for start, end, phrase, weight in _matches(joined):
            if not starts:
                starts = list(itertools.accumulate((len(t) + 1 for _, t, _ in runs), initial=0))
            found.setdefault(phrase, weight)
            written.setdefault(phrase, " ".join(joined[start:end].split()))
            if phrase in first:
                continue
            index = bisect.bisect_right(starts, start) - 1
            element, text, is_tail = runs[index]
            piece = joined[start:end]
            earlier = text.count(piece, 0, start - starts[index])
            span = html.text_span(element, piece, tail=is_tail, occurrence=earlier)
            first[phrase] = Location(template.path, span, Part.HTML)
    elif template.text is not None:
        source = template.text
        for start, end, phrase, weight in _matches(source.text):
            found.setdefault(phrase, weight)
            written.setdefault(phrase, " ".join(source.text[start:end].split()))
            first.setdefault(phrase, template.location(Part.TEXT, source.span(start, end)))
    score = sum(found.values())
    if score < options["threshold"]:
        return
    ranked = sorted(found.items(), key=lambda item: (-item[1], item[0]))
    phrases = ", ".join(f'"{written[phrase]}" ({weight})' for phrase, weight in ranked)
    yield Violation(
        "spam-trigger phrases weigh {score} together, at or over {threshold}: {phrases}",
        first[ranked[0][0]],
        {
            "score": score,
            "threshold": options["threshold"],
            "phrases": phrases,
            "found": dict(ranked),
        },
        help="say it plainly: name the offer, the product and the date instead of hype; a"
        " phrase in the subject counts twice",
    )


# -- SPAM002 ---------------------------------------------------------------------------

_NUMBER = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:px)?\s*$")


def _pixels(value: str | None) -> float | None:
    if not value or len(value) > 20:
        return None
    match = _NUMBER.match(value)
    return float(match.group(1)) if match else None


def _is_small(image: etree._Element, seen: View) -> bool:
    """A tracking pixel, a spacer or an icon (a social link, a bullet): 64 pixels or less in
    width or height, by attribute or inline style. They carry no message of their own."""
    declarations = seen.declarations(image)
    sizes = [
        _pixels(image.get("width")),
        _pixels(image.get("height")),
        _pixels(declarations.get("width")),
        _pixels(declarations.get("height")),
    ]
    return any(size is not None and size <= ICON_PIXELS for size in sizes)


ICON_PIXELS = 64


def image_heavy(template: Template, options: Options) -> Iterator[Violation]:
    seen = view(template)
    if seen is None or template.html is None or template.html.root is None:
        return
    body = template.html.root.find("body")
    if body is None or "<body" not in template.html.lower:
        return  # a fragment (a partial, a source page): not an email as a reader gets it
    images = [
        image
        for image in body.iter("img")
        if seen.hidden(image) is None and not _is_small(image, seen)
    ]
    if not images:
        return
    characters = sum(
        len(" ".join(text.split()))
        for _, text, _, hidden in seen.runs()
        if hidden is None and not is_padding(text)
    )
    per_image = characters / len(images)
    count = len(images)
    data = {
        "images": count,
        "characters": characters,
        "per_image": round(per_image),
        "pictures": "1 image" if count == 1 else f"{count} images",
    }
    location = Location(template.path, template.html.element_span(images[0]), Part.HTML)
    if characters < options["image_only_chars"]:
        yield Violation(
            "the email is images with almost no text: {pictures} and {characters} characters"
            " of text",
            location,
            data,
            help="write the message as HTML text and keep images for illustration: filters"
            " distrust image-only mail and many inboxes block images by default",
        )
    elif per_image < options["min_chars_per_image"] and count >= options["min_images"]:
        yield Violation(
            "{images} images and only {characters} characters of text ({per_image} per image)",
            location,
            {**data, "limit": options["min_chars_per_image"]},
            help="put more of the message in text, or use fewer images: with images blocked"
            " the email says next to nothing, and filters read that as spam",
        )


# -- SPAM003 ---------------------------------------------------------------------------


@functools.cache
def _shorteners() -> frozenset[str]:
    return frozenset(str(host).lower() for host in _data("url-shorteners.yaml")["hosts"])


def _shortener(host: str, extra: frozenset[str]) -> str | None:
    hosts = _shorteners() | extra
    labels = host.lower().rstrip(".").split(".")
    for index in range(len(labels) - 1):
        candidate = ".".join(labels[index:])
        if candidate in hosts:
            return candidate
    return None


def url_shortener(template: Template, options: Options) -> Iterator[Violation]:
    extra = frozenset(str(host).lower() for host in options["extra_hosts"])
    for link in links(template):
        if link.parsed is None or link.parsed.host is None:
            continue
        if link.parsed.scheme not in ("http", "https", ""):
            continue
        service = _shortener(link.parsed.host, extra)
        if service is None:
            continue
        yield Violation(
            'the {kind} "{url}" goes through the link shortener {service}',
            link.location,
            {"url": link.url.strip(), "service": service, "kind": link.kind},
            help="link to the destination itself (your platform tracks clicks anyway);"
            " filters cannot see where a shortened link leads and distrust it",
        )


# -- SPAM004 ---------------------------------------------------------------------------

_LETTER = re.compile(r"[^\W\d_]")


def _exempt(seen: View, element: etree._Element, hidden: Hidden) -> bool:
    """A stylesheet can show it: the hiding element, or one between it and the text, is
    named by a <style> block (responsive and interactive parts)."""
    node: etree._Element | None = element
    while node is not None:
        if seen.toggled(node):
            return True
        if node is hidden.element:
            return False
        node = node.getparent()
    return seen.toggled(hidden.element)


def hidden_text(template: Template, options: Options) -> Iterator[Violation]:
    seen = view(template)
    if seen is None or template.html is None:
        return
    preheader = preheader_of(template)
    protected = set(preheader[0].iter()) if preheader is not None else set()
    reported: dict[etree._Element, list[str]] = {}
    reasons: dict[etree._Element, str] = {}
    started = False  # hidden text before any visible text is the preview (preheader)
    for element, text, is_tail, hidden in seen.runs():
        owner = element.getparent() if is_tail else element
        if hidden is None:
            if not started and _LETTER.search(text):
                started = True
            continue
        if not started or owner is None or owner in protected or hidden.element in protected:
            continue
        if is_padding(text) or not _LETTER.search(readable(text)):
            continue
        if _exempt(seen, owner, hidden):
            continue
        reported.setdefault(hidden.element, []).append(" ".join(text.split()))
        reasons[hidden.element] = hidden.how
    for element, texts in reported.items():
        words = " ".join(texts)
        shown = words if len(words) <= 60 else words[:60].rstrip() + "…"
        span: Span | None = template.html.element_span(element)
        yield Violation(
            'text hidden by {how} outside the preheader: "{text}"',
            Location(template.path, span, Part.HTML),
            {"how": reasons[element], "text": shown, "characters": len(words)},
            help="remove text readers cannot see, or show it; filters treat invisible text as"
            " an attempt to fool them",
        )


# -- SPAM010 ---------------------------------------------------------------------------


def spamassassin_score(scored: Scored, options: Options) -> Iterator[Violation]:
    from preflight.spamassassin import INSTALL_HELP

    if scored.problem == "not-installed":
        yield Violation(
            "no SpamAssassin on this machine, so --spam could not score the emails of this run",
            scored.location,
            {"reason": "not-installed"},
            help=INSTALL_HELP,
            severity=Severity.INFO,
        )
        return
    if scored.verdict is None:
        yield Violation(
            "the email could not be scored by SpamAssassin: {detail}",
            scored.location,
            {"reason": scored.problem, "detail": scored.detail or scored.problem or "no report"},
            help="run `spamassassin -L -t` on the message by hand to see why",
            severity=Severity.INFO,
        )
        return
    verdict = scored.verdict
    threshold = options["threshold"]
    counted = [hit for hit in verdict.hits if hit.score != 0]
    counted.sort(key=lambda hit: (-hit.score, hit.name))
    rules = ", ".join(f"{hit.name} {hit.score:g}" for hit in counted) or "none that count"
    data = {
        "score": verdict.score,
        "threshold": threshold,
        "required": verdict.required,
        "rules": rules,
        "hits": [
            {"rule": hit.name, "score": hit.score, "description": hit.description}
            for hit in sorted(verdict.hits, key=lambda hit: (-hit.score, hit.name))
        ],
    }
    if verdict.score >= threshold:
        top = counted[0] if counted else None
        yield Violation(
            "the email scores {score:g} in SpamAssassin, at or over {threshold:g}: {rules}",
            scored.location,
            data,
            help=f"start with {top.name} ({top.description})" if top else None,
        )
    elif options["show_scores"]:
        yield Violation(
            "the email scores {score:g} in SpamAssassin, under {threshold:g}: {rules}",
            scored.location,
            data,
            severity=Severity.INFO,
        )
