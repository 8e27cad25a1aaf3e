"""Marketing or transactional, read from an email's content when nothing declares it.

The last step of the category's precedence chain (DESIGN.md, Template metadata): a send
step, a sidecar, platform metadata and config `defaults` all beat it. The evidence is data
in rules/category.yaml: phrases in en, de, fr, es and nl and merge-field names, each kind
with a weight. Precision comes first: an email is inferred transactional only on strong,
varied evidence that outweighs its marketing copy; one with marketing evidence is
marketing; one that reads as neither is undecided (marketing by default, but CONTENT001/002
only warn on it). An inference never makes a marketing email's errors disappear.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from preflight.linkscan import is_button
from preflight.model import Location, Part, Sourced, Template
from preflight.phraseset import PhraseSet, ascii_cuts, cut
from preflight.resources import load_data, rules_dir

TRANSACTIONAL = "transactional"
MARKETING = "marketing"
UNDECIDED = "undecided"
_MEMO_KEY = "category-inference"
_PROMINENT_TAGS = frozenset({"h1", "h2", "h3", "title"})
_MAX_EVIDENCE = 5


@dataclass(frozen=True)
class Evidence:
    """One phrase that counted, and where it was read."""

    kind: str
    text: str
    part: Part
    weight: int
    """What it counted for: the kind's weight, plus the bonus of a prominent place."""
    locate: Callable[[], Location | None] = field(default=lambda: None, compare=False, repr=False)
    """Where it is, found only when asked: a position costs a pass over the whole document,
    which an email no rule reports on never needs."""

    @functools.cached_property
    def location(self) -> Location | None:
        return self.locate()

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
    path: Path | None = None

    @property
    def location(self) -> Location | None:
        """The strongest evidence's part of the file (its position: ``evidence[0].location``)."""
        if not self.evidence:
            return None
        first = self.evidence[0]
        if first.part in (Part.SUBJECT, Part.PREHEADER) or self.path is None:
            return first.location  # where the metadata says it: no pass over the document
        return Location(self.path, None, first.part)

    def data(self) -> dict[str, Any]:
        """What a finding on an email of inferred category carries in ``data``; an undecided
        one carries the little marketing evidence there was too."""
        data = {
            "category": self.category,
            "category_source": "inferred",
            "evidence": [e.as_data() for e in self.evidence],
        }
        if self.category == UNDECIDED:
            data["marketing_evidence"] = [e.as_data() for e in self.counter]
        return data

    def summary(self) -> str:
        return ", ".join(e.describe() for e in self.evidence[:3])


@dataclass(frozen=True)
class _Evidence:
    threshold: int
    margin: int
    marketing_threshold: int
    bonus: int
    max_text: int
    phrases: PhraseSet[str]
    """Each phrase labelled with its kind's group."""
    fields: tuple[tuple[re.Pattern[str], str], ...]
    any_field: re.Pattern[str] | None
    """Every field pattern in one: a name it misses needs no pattern of its own."""
    weights: Mapping[str, int]
    """Group -> the kind's weight; groups are t0, t1… (transactional) and m0… (marketing)."""
    kinds: Mapping[str, str]


@functools.cache
def _evidence() -> _Evidence:

    data = load_data(rules_dir() / "data" / "category.yaml")
    phrases: list[tuple[str, str]] = []
    fields: list[tuple[re.Pattern[str], str]] = []
    weights: dict[str, int] = {}
    kinds: dict[str, str] = {}
    for side, prefix in (("transactional", "t"), ("marketing", "m")):
        for index, entry in enumerate(data[side]):
            group = f"{prefix}{index}"
            weights[group], kinds[group] = int(entry["weight"]), str(entry["kind"])
            for language in (entry.get("phrases") or {}).values():
                phrases.extend((p, group) for p in language)
            fields.extend((re.compile(f, re.IGNORECASE), group) for f in entry.get("fields") or ())
    return _Evidence(
        threshold=int(data["threshold"]),
        margin=int(data["margin"]),
        marketing_threshold=int(data["marketing_threshold"]),
        bonus=int(data["prominent_bonus"]),
        max_text=int(data["max_text"]),
        phrases=PhraseSet(phrases),
        fields=tuple(fields),
        any_field=re.compile("|".join(f"(?:{p.pattern})" for p, _ in fields), re.IGNORECASE)
        if fields
        else None,
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
    runs: list[tuple[int, etree._Element, str, bool]] | None = None
    """(offset in text, element, run text, is tail) of each visible run."""

    @functools.cached_property
    def offsets(self) -> list[int]:
        return [run[0] for run in self.runs or ()]


# a name with a "." or "_" inside (order.number, reset_url); tried only where a word starts,
# so a long run of letters is read once, not once per letter
_FIELD_NAME = re.compile(r"(?<![\w.])\w+(?:[._]\w+)+")
_NAME_RUN = re.compile(r"[\w.]+")
_NAME_CUTS = ascii_cuts(keep=".")
"""ASCII characters that cannot be in a name (neither \\w nor ".") cut the text."""


def _field_names(text: str) -> list[str]:
    """``_FIELD_NAME.findall(text)``, from the runs of name characters (\\w and "."): a name
    starts where a run does and none follows it in that run (each later place is after a
    name character), so it is the pattern's match at the start of a run that has a "." or
    "_". The runs are cut in C (phraseset.cut), as words are."""
    names = []
    for piece in cut(text, _NAME_CUTS):
        if "_" not in piece and "." not in piece:
            continue
        for run in (piece,) if piece.isascii() else _NAME_RUN.findall(piece):
            match = _FIELD_NAME.match(run)
            if match is not None:
                names.append(match.group())
    return names


def _segments(template: Template, limit: int) -> list[_Segment]:
    segments = []
    for part, sourced in ((Part.SUBJECT, template.subject), (Part.PREHEADER, template.preheader)):
        if sourced is not None and sourced.value.strip():
            segments.append(_Segment(sourced.value[:limit], part, True, sourced))
    html = template.html
    if html is not None:
        for title in html.iter("title"):
            if title.text and title.text.strip():
                run = (0, title, title.text, False)
                segments.append(_Segment(title.text[:limit], Part.HTML, True, runs=[run]))
        runs, pieces, offset = [], [], 0
        for element, text, is_tail in html.visible_text():
            if offset >= limit:
                break
            runs.append((offset, element, text, is_tail))
            pieces.append(text[: limit - offset])
            offset += len(pieces[-1]) + 1
        if runs:
            segments.append(_Segment(" ".join(pieces), Part.HTML, runs=runs))
    if template.text is not None and not any(s.runs for s in segments if s.part is Part.HTML):
        segments.append(_Segment(template.text.text[:limit], Part.TEXT))
    return segments


def _in_heading(element: etree._Element) -> bool:
    """In an <h1>–<h3> (or <title>) or a call-to-action button: the element or one of its
    nearest ancestors. What an email's heading and its button say is what it is for."""
    if element.tag in _PROMINENT_TAGS or is_button(element):
        return True
    for depth, node in enumerate(element.iterancestors()):
        if depth >= 3:
            return False
        if node.tag in _PROMINENT_TAGS or is_button(node):
            return True
    return False


def _scan(template: Template, evidence: _Evidence) -> list[_Found]:
    found: list[_Found] = []
    segments = _segments(template, evidence.max_text)
    active = evidence.phrases.active("\n".join(segment.text for segment in segments))
    for segment in segments:  # in reading order, so that of equal evidence the first counts
        matches = sorted(evidence.phrases.finditer(segment.text, active))
        found.extend(_place(segment, group, start, end) for start, end, group in matches)
    found.extend(_fields(template, segments, evidence))
    return found


def _place(segment: _Segment, group: str, start: int, end: int) -> _Found:
    value = segment.text[start:end]
    if segment.runs is None:
        return _Found(group, value, segment.part, segment.prominent, sourced=segment.sourced)
    index = bisect.bisect_right(segment.offsets, start) - 1
    offset, element, run_text, is_tail = segment.runs[index]
    owner = element.getparent() if is_tail else element
    heading = owner is not None and _in_heading(owner)
    local = start - offset
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


def _fields(template: Template, segments: list[_Segment], evidence: _Evidence) -> list[_Found]:
    """Merge-field names in the text and in link addresses that name an action or an order."""
    if evidence.any_field is None:
        return []
    found = []
    for segment in segments:
        if "_" not in segment.text and "." not in segment.text:
            continue
        # in order of appearance (a set's order changes with the hash seed: reports differ)
        names = dict.fromkeys(w for w in _field_names(segment.text) if len(w) <= 80)
        for name in names:  # its first place is enough for the evidence
            group = _field_group(name, evidence)
            if group is not None:
                start = segment.text.find(name)
                found.append(_place(segment, group, start, start + len(name)))
    if template.html is not None:
        for anchor in template.html.iter("a"):
            href = anchor.get("href") or ""
            if "{" in href or "%" in href or "[" in href:  # a merge tag's field names only
                for name in dict.fromkeys(
                    w for w in _FIELD_NAME.findall(href[: evidence.max_text]) if len(w) <= 80
                ):
                    group = _field_group(name, evidence)
                    if group is not None:
                        found.append(
                            _Found(group, name, Part.HTML, False, element=anchor, attribute="href")
                        )
    return found


def _field_group(name: str, evidence: _Evidence) -> str | None:
    """The group of the first field pattern that ``name`` matches, or None."""
    if evidence.any_field is None or evidence.any_field.search(name) is None:
        return None  # the most names by far: one search, not one per pattern
    for pattern, group in evidence.fields:
        if pattern.search(name):
            return group
    return None


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
    template: Template, items: list[_Found], evidence: _Evidence
) -> tuple[Evidence, ...]:
    return tuple(
        Evidence(
            evidence.kinds[item.group],
            " ".join(item.text.split()),
            item.part,
            evidence.weights[item.group] + (evidence.bonus if item.prominent else 0),
            functools.partial(_locate, template, item),
        )
        for item in items[:_MAX_EVIDENCE]
    )


def infer_category(template: Template) -> Inference:
    """Transactional, marketing or undecided, from the subject, preheader, visible text,
    link texts and the merge fields in link addresses: transactional only on strong
    evidence; marketing on marketing evidence that reaches ``marketing_threshold``;
    undecided when neither side says enough."""
    evidence = _evidence()
    found = _scan(template, evidence)
    score, transactional = _weigh([f for f in found if f.group[0] == "t"], evidence)
    counter_score, marketing = _weigh([f for f in found if f.group[0] == "m"], evidence)
    if score >= evidence.threshold and score >= evidence.margin * counter_score:
        category = TRANSACTIONAL
    elif counter_score >= evidence.marketing_threshold:
        category = MARKETING
    else:
        category = UNDECIDED
    return Inference(
        category,
        _as_evidence(template, transactional, evidence),
        score,
        _as_evidence(template, marketing, evidence),
        counter_score,
        template.path,
    )


def apply_inferred_category(template: Template) -> Template:
    """The last step of the precedence chain: when nothing declared a category, infer it.

    An inferred transactional email comes back with ``category`` of origin "inferred" (it
    lowers CONTENT001/002 to info, and changes nothing else); any other comes back as it
    was (marketing is the default). The inference is kept in the template's memo."""
    if template.category is not None:
        return template
    inference = _inference(template)
    if inference.category != TRANSACTIONAL:
        return template
    return replace(template, category=Sourced(TRANSACTIONAL, "inferred", inference.location))


def _inference(template: Template) -> Inference:
    return template.memo.get(_MEMO_KEY, lambda: infer_category(template))


def inferred_transactional(template: Template) -> Inference | None:
    """The inference behind an inferred transactional category, else None."""
    category = template.category
    if category is None or category.origin != "inferred" or category.value != TRANSACTIONAL:
        return None
    return _inference(template)


def undecided(template: Template) -> Inference | None:
    """The inference of an email whose category nothing declares and whose content reads as
    neither marketing nor transactional, else None (it is then marketing by default, but
    a rule that only matters for marketing email may say it cannot tell)."""
    if template.category is not None:
        return None
    inference = _inference(template)
    return inference if inference.category == UNDECIDED else None
