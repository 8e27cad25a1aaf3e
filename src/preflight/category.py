"""Marketing or transactional, read from an email's content when nothing declares it.

The last step of the category's precedence chain (DESIGN.md, Template metadata): a send
step, a sidecar, platform metadata and config `defaults` all beat it. The evidence is data
in rules/category.yaml: phrases in en, de, fr, es and nl and merge-field names, each kind
with a weight. Precision comes first: an email is inferred transactional only on strong,
varied evidence that outweighs its marketing copy; anything else stays marketing (the
default), so an inference never makes a marketing email's errors disappear.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree

from preflight.model import Location, Part, Sourced, Template
from preflight.resources import rules_dir

TRANSACTIONAL = "transactional"
MARKETING = "marketing"
_CACHE_KEY = "category-inference"
_PROMINENT_TAGS = frozenset({"h1", "h2", "h3", "title"})
_MAX_EVIDENCE = 5


@dataclass(frozen=True, slots=True)
class Evidence:
    """One phrase that counted, and where it was read."""

    kind: str
    text: str
    part: Part
    weight: int
    """What it counted for: the kind's weight, plus the bonus of a prominent place."""
    location: Location | None = None

    def as_data(self) -> dict[str, Any]:
        span = self.location.span if self.location is not None else None
        return {
            "kind": self.kind,
            "text": self.text,
            "part": self.part.value,
            "line": span.line if span else None,
            "column": span.column if span else None,
        }

    def describe(self) -> str:
        span = self.location.span if self.location is not None else None
        where = f"{self.part.value}, line {span.line}" if span else self.part.value
        return f'"{self.text}" ({where})'


@dataclass(frozen=True)
class Inference:
    category: str
    evidence: tuple[Evidence, ...]
    """The transactional evidence, strongest first (at most five)."""
    score: int
    counter: tuple[Evidence, ...] = ()
    """The marketing evidence weighed against it."""
    counter_score: int = 0

    @property
    def location(self) -> Location | None:
        return self.evidence[0].location if self.evidence else None

    def data(self) -> dict[str, Any]:
        """What a finding on an email of inferred category carries in ``data``."""
        return {
            "category": self.category,
            "category_source": "inferred",
            "evidence": [e.as_data() for e in self.evidence],
        }

    def summary(self) -> str:
        return ", ".join(e.describe() for e in self.evidence[:3])


@dataclass(frozen=True)
class _Phrase:
    pattern: str
    needles: tuple[str, ...]
    """The whole words it always holds: the phrase is tried only where they all are."""
    group: str
    """The kind's key: "t3" (transactional) or "m1" (marketing)."""

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        """For lower-cased text. No look-behind in front, so a literal start lets the regex
        engine skip ahead: the start's word boundary is checked by the caller."""
        return re.compile(rf"(?:{_as_regex(self.pattern)})(?!\w)")

    @functools.cached_property
    def any_case(self) -> re.Pattern[str]:
        """For text whose lower-casing changes its length (offsets would drift)."""
        return re.compile(rf"(?<!\w)(?:{_as_regex(self.pattern)})(?!\w)", re.IGNORECASE)


@dataclass(frozen=True)
class _Evidence:
    threshold: int
    margin: int
    bonus: int
    max_text: int
    phrases: tuple[_Phrase, ...]
    fields: tuple[tuple[re.Pattern[str], str], ...]
    weights: Mapping[str, int]
    """Group -> the kind's weight; groups are t0, t1… (transactional) and m0… (marketing)."""
    kinds: Mapping[str, str]


def _as_regex(phrase: str) -> str:
    """A phrase as written in rules/data/category.yaml, as a regular expression."""
    phrase = phrase.replace("'", "['’]").replace(" ?", r"\s?")
    return phrase.replace(" ", r"\s+")


_UNKNOWN = "\x00"
_ESCAPE = re.compile(r"\\.")
_CLASS = re.compile(r"\[[^\]]*\]")
_GROUP = re.compile(r"\(([^()]*)\)([?*]?)")
_OPTIONAL = re.compile(r".(?:[?*]|\{0,?\d*\})")
_COUNT = re.compile(r"\{[^}]*\}")
_NOT_WORD = re.compile(r"[^\w\x00]+")
_WORDS = re.compile(r"\w+")


def _unknown_group(match: re.Match[str]) -> str:
    """A group is unknown text; the spaces at its edges still end the words beside it."""
    inner = match.group(1)
    before = " " if inner.startswith(("?: ", " ")) else ""
    after = " " if inner.endswith(" ") else ""
    return before + _UNKNOWN + after


def _needles(phrase: str) -> tuple[str, ...]:
    """The whole words every match of ``phrase`` holds, lower-cased: groups, classes, escapes
    and optional characters are unknown, and a word that touches one is not whole."""
    text = _CLASS.sub(_UNKNOWN, _ESCAPE.sub(_UNKNOWN, phrase))
    while "(" in text:
        shorter = _GROUP.sub(_unknown_group, text)
        if shorter == text:
            break
        text = shorter
    text = _COUNT.sub("", _OPTIONAL.sub(_UNKNOWN, text))
    return tuple(w.lower() for w in _NOT_WORD.split(text) if w and _UNKNOWN not in w)


@functools.cache
def _evidence() -> _Evidence:
    import yaml

    data = yaml.load(
        (rules_dir() / "data" / "category.yaml").read_text(encoding="utf-8"),
        Loader=yaml.CSafeLoader,
    )
    phrases: list[_Phrase] = []
    fields: list[tuple[re.Pattern[str], str]] = []
    weights: dict[str, int] = {}
    kinds: dict[str, str] = {}
    for side, prefix in (("transactional", "t"), ("marketing", "m")):
        for index, entry in enumerate(data[side]):
            group = f"{prefix}{index}"
            weights[group], kinds[group] = int(entry["weight"]), str(entry["kind"])
            for language in (entry.get("phrases") or {}).values():
                phrases.extend(_Phrase(p, _needles(p), group) for p in language)
            fields.extend((re.compile(f, re.IGNORECASE), group) for f in entry.get("fields") or ())
    return _Evidence(
        threshold=int(data["threshold"]),
        margin=int(data["margin"]),
        bonus=int(data["prominent_bonus"]),
        max_text=int(data["max_text"]),
        phrases=tuple(phrases),
        fields=tuple(fields),
        weights=weights,
        kinds=kinds,
    )


@dataclass(frozen=True)
class _Found:
    group: str
    text: str
    part: Part
    prominent: bool
    sourced: Sourced | None = None
    """For the subject and preheader: where the value came from."""
    element: etree._Element | None = None
    tail: bool = False
    occurrence: int = 0
    attribute: str | None = None
    """Set when the text is this attribute's value (a link address), not a text run."""


@dataclass
class _Segment:
    """Text read as one piece: the subject, the preheader, a <title>, the HTML part's visible
    runs joined with spaces (a phrase may cross an inline tag), or the text part."""

    text: str
    part: Part
    prominent: bool = False
    sourced: Sourced | None = None
    runs: list[tuple[int, etree._Element, str, bool, bool]] | None = None
    """(offset in text, element, run text, is tail, in a heading) of each visible run."""


_WORD = re.compile(r"[\w.]+")  # one greedy match per word: linear, whatever the text


def _segments(template: Template, limit: int) -> list[_Segment]:
    segments = []
    for part, sourced in ((Part.SUBJECT, template.subject), (Part.PREHEADER, template.preheader)):
        if sourced is not None and sourced.value.strip():
            segments.append(_Segment(sourced.value[:limit], part, True, sourced))
    html = template.html
    if html is not None:
        for title in html.iter("title"):
            if title.text and title.text.strip():
                run = (0, title, title.text, False, True)
                segments.append(_Segment(title.text[:limit], Part.HTML, True, runs=[run]))
        runs, pieces, offset = [], [], 0
        for element, text, is_tail in html.visible_text():
            if offset >= limit:
                break
            owner = element.getparent() if is_tail else element
            runs.append((offset, element, text, is_tail, owner is not None and _in_heading(owner)))
            pieces.append(text[: limit - offset])
            offset += len(pieces[-1]) + 1
        if runs:
            segments.append(_Segment(" ".join(pieces), Part.HTML, runs=runs))
    if template.text is not None and not any(s.runs for s in segments if s.part is Part.HTML):
        segments.append(_Segment(template.text.text[:limit], Part.TEXT))
    return segments


def _in_heading(element: etree._Element) -> bool:
    """In an <h1>–<h3> (or <title>): the element or one of its nearest ancestors."""
    if element.tag in _PROMINENT_TAGS:
        return True
    for depth, node in enumerate(element.iterancestors()):
        if depth >= 3:
            return False
        if node.tag in _PROMINENT_TAGS:
            return True
    return False


def _scan(template: Template, evidence: _Evidence) -> list[_Found]:
    found: list[_Found] = []
    segments = _segments(template, evidence.max_text)
    words = set(_WORDS.findall("\n".join(segment.text for segment in segments).lower()))
    active = [phrase for phrase in evidence.phrases if words.issuperset(phrase.needles)]
    for segment in segments:
        text, lowered = segment.text, segment.text.lower()
        exact = len(lowered) == len(text)
        for phrase in active:
            for match in (phrase.regex if exact else phrase.any_case).finditer(
                lowered if exact else text
            ):
                start = match.start()
                if exact and start and (lowered[start - 1].isalnum() or lowered[start - 1] == "_"):
                    continue  # inside a word
                found.append(_place(segment, phrase.group, match))
    found.extend(_fields(template, segments, evidence))
    return found


def _place(segment: _Segment, group: str, match: re.Match[str]) -> _Found:
    value = segment.text[match.start() : match.end()]
    if segment.runs is None:
        return _Found(group, value, segment.part, segment.prominent, sourced=segment.sourced)
    index = bisect.bisect_right([run[0] for run in segment.runs], match.start()) - 1
    offset, element, run_text, is_tail, heading = segment.runs[index]
    local = match.start() - offset
    piece = run_text[local : local + len(value)]  # a phrase across runs: its first run's part
    return _Found(
        group,
        value,
        segment.part,
        heading or segment.prominent,
        element=element,
        tail=is_tail,
        occurrence=run_text.count(piece, 0, local),
        attribute=None,
    )


def _is_field_name(word: str) -> bool:
    return len(word) <= 80 and ("_" in word or "." in word.strip("."))


def _fields(template: Template, segments: list[_Segment], evidence: _Evidence) -> list[_Found]:
    """Merge-field names in the text and in link addresses that name an action or an order."""
    if not evidence.fields:
        return []
    places: list[tuple[str, _Found]] = []
    for segment in segments:
        if "_" not in segment.text and "." not in segment.text:
            continue
        for match in _WORD.finditer(segment.text):
            name = match.group(0)
            if len(name) <= 80 and ("_" in name or "." in name.strip(".")):
                places.append((name, _place(segment, "", match)))
    if template.html is not None:
        for anchor in template.html.iter("a"):
            href = anchor.get("href") or ""
            if "{" in href or "%" in href or "[" in href:  # a merge tag's field names only
                for match in _WORD.finditer(href[: evidence.max_text]):
                    name = match.group(0)
                    if _is_field_name(name):
                        places.append(
                            (
                                name,
                                _Found(
                                    "", name, Part.HTML, False, element=anchor, attribute="href"
                                ),
                            )
                        )
    found = []
    for name, place in places:
        for pattern, group in evidence.fields:
            if pattern.search(name):
                found.append(dataclasses.replace(place, group=group, text=name))
                break
    return found


def _weigh(found: list[_Found], evidence: _Evidence) -> tuple[int, list[_Found]]:
    """Each kind once, at its best place: (score, the best occurrence of each kind)."""
    best: dict[str, tuple[int, _Found]] = {}
    for item in found:
        kind = evidence.kinds[item.group]
        weight = evidence.weights[item.group] + (evidence.bonus if item.prominent else 0)
        if kind not in best or weight > best[kind][0]:
            best[kind] = (weight, item)
    ranked = sorted(best.values(), key=lambda pair: -pair[0])
    return sum(weight for weight, _ in ranked), [item for _, item in ranked]


def _locate(template: Template, item: _Found) -> Location | None:
    if item.sourced is not None:
        where = item.sourced.location or template.location(item.part)
        return Location(where.path, where.span, item.part)
    if item.part is Part.TEXT and template.text is not None:
        start = template.text.text.find(item.text)
        span = template.text.span(start, start + len(item.text)) if start != -1 else None
        return template.location(Part.TEXT, span)
    if item.attribute is not None and item.element is not None and template.html is not None:
        span = template.html.attribute_span(item.element, item.attribute)
        return Location(template.path, span, Part.HTML)
    if item.element is not None and template.html is not None:
        span = template.html.text_span(item.element, item.text, item.tail, item.occurrence)
        return Location(template.path, span, Part.HTML)
    return template.location(item.part)


def _as_evidence(
    template: Template, items: list[_Found], evidence: _Evidence, locate: bool
) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(
            evidence.kinds[item.group],
            " ".join(item.text.split()),
            item.part,
            evidence.weights[item.group] + (evidence.bonus if item.prominent else 0),
            _locate(template, item) if locate else None,
        )
        for item in items[:_MAX_EVIDENCE]
    )


def infer_category(template: Template) -> Inference:
    """Marketing or transactional, from the subject, preheader, visible text, link texts
    and the merge fields in link addresses; transactional only on strong evidence."""
    evidence = _evidence()
    found = _scan(template, evidence)
    score, transactional = _weigh([f for f in found if f.group[0] == "t"], evidence)
    counter_score, marketing = _weigh([f for f in found if f.group[0] == "m"], evidence)
    is_transactional = score >= evidence.threshold and score >= evidence.margin * counter_score
    return Inference(
        TRANSACTIONAL if is_transactional else MARKETING,
        _as_evidence(template, transactional, evidence, locate=is_transactional),
        score,
        _as_evidence(template, marketing, evidence, locate=False),
        counter_score,
    )


def apply_inferred_category(template: Template) -> Inference | None:
    """The last step of the precedence chain: when nothing declared a category, infer it.

    An inferred transactional email gets ``category`` with origin "inferred" (it lowers
    CONTENT001/002 to info, and changes nothing else); an inferred marketing one keeps
    None, the default."""
    if template.category is not None:
        return None
    inference = infer_category(template)
    template.cache[_CACHE_KEY] = inference
    if inference.category == TRANSACTIONAL:
        template.category = Sourced(TRANSACTIONAL, "inferred", inference.location)
    return inference


def inferred_transactional(template: Template) -> Inference | None:
    """The inference behind an inferred transactional category, else None."""
    category = template.category
    if category is None or category.origin != "inferred" or category.value != TRANSACTIONAL:
        return None
    inference = template.cache.get(_CACHE_KEY)
    return inference if isinstance(inference, Inference) else infer_category(template)
