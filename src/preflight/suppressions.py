"""Inline suppressions: HTML comments (and YAML comments, for YAML inputs).

HTML: ``<!-- preflight: ignore[ID,...] -->`` covers the next element,
``ignore-begin[...]`` … ``ignore-end`` a block, ``ignore-file[...]`` the file.
YAML: ``# preflight: ignore[ID]`` at the end of a line covers that line; alone
on a line, the next line. Ids may be rule ids, names or prefixes; with no
brackets, every rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from preflight.catalogue import FAMILIES, Catalogue
from preflight.model import Finding, Location, Part, Span
from preflight.model.source import HtmlDocument, is_element

_DIRECTIVE = re.compile(
    r"^\s*preflight\s*:\s*(ignore-file|ignore-begin|ignore-end|ignore)\s*(?:\[([^\]]*)\])?\s*$",
    re.IGNORECASE,
)
_YAML_DIRECTIVE = re.compile(r"#\s*preflight\s*:\s*ignore\s*(?:\[([^\]]*)\])?\s*$", re.IGNORECASE)


Point = tuple[int, int]
"""(line, column), 1-based: comparable, so a range check is two comparisons."""
END_OF_FILE: Point = (10**9, 0)


@dataclass
class Suppression:
    path: Path
    location: Location
    selectors: tuple[str, ...]
    """As written; empty means every rule."""
    rules: frozenset[str] | None
    """Resolved ids; None means every rule."""
    first: Point | None = None
    last: Point | None = None
    """What it covers, both ends included; None for a whole-file suppression."""
    used: bool = False
    unknown: tuple[str, ...] = ()

    def covers(self, finding: Finding) -> bool:
        if self.rules is not None and finding.rule not in self.rules:
            return False
        if finding.location.path != self.path:
            return False
        if self.first is None:
            return True
        span = finding.location.span
        if span is None:
            return False
        assert self.last is not None
        return self.first <= (span.line, span.column) <= self.last


@dataclass
class SuppressionSet:
    items: list[Suppression] = field(default_factory=list)

    def apply(self, findings: list[Finding]) -> list[Finding]:
        kept = []
        for finding in findings:
            covering = [s for s in self.items if s.covers(finding)]
            for suppression in covering:
                suppression.used = True
            if not covering:
                kept.append(finding)
        return kept


def _resolve(
    catalogue: Catalogue, raw: str | None
) -> tuple[tuple[str, ...], frozenset[str] | None, tuple[str, ...]]:
    if raw is None or not raw.strip():
        return (), None, ()
    selectors = tuple(s.strip() for s in raw.split(",") if s.strip())
    ids: set[str] = set()
    unknown = []
    for selector in selectors:
        expanded = catalogue.expand(selector)
        if expanded:
            ids.update(expanded)
        elif selector.strip().upper() not in FAMILIES:
            unknown.append(selector)
    return selectors, frozenset(ids), tuple(unknown)


def html_suppressions(path: Path, document: HtmlDocument, catalogue: Catalogue) -> SuppressionSet:
    result = SuppressionSet()
    open_blocks: list[Suppression] = []
    source = document.source
    for comment in document.comments():
        match = _DIRECTIVE.match(comment.text or "")
        if match is None:
            continue
        kind = match.group(1).lower()
        comment_extent = document.extent(comment)
        if comment_extent is None or not source.exact:
            continue  # suppressions work on positions: an HTML part decoded from elsewhere has none
        start, end = comment_extent
        location = Location(path, document.element_span(comment), Part.HTML)
        if kind == "ignore-end":
            if open_blocks:
                open_blocks.pop().last = source.position(end - 1)
            continue
        selectors, rules, unknown = _resolve(catalogue, match.group(2))
        suppression = Suppression(path, location, selectors, rules, unknown=unknown)
        if kind == "ignore":
            # from the comment to the end of the next element; with no element after it,
            # to the end of the element that holds it
            target = _next_element(comment)
            covered = _extent_in_source(document, target) if target is not None else None
            if covered is None:
                parent = comment.getparent()
                covered = document.extent(parent) if parent is not None else None
            cover_end = covered[1] if covered else len(source.text)
            suppression.first = source.position(start)
            suppression.last = source.position(max(cover_end - 1, start))
        elif kind == "ignore-begin":
            suppression.first = source.position(start)
            suppression.last = END_OF_FILE
            open_blocks.append(suppression)
        result.items.append(suppression)
    return result


def _extent_in_source(document: HtmlDocument, element: etree._Element) -> tuple[int, int] | None:
    """An element's extent; for one the parser implied (html, body), its first real element's."""
    extent = document.extent(element)
    if extent is not None:
        return extent
    for descendant in element.iterdescendants():
        if is_element(descendant):
            extent = document.extent(descendant)
            if extent is not None:
                return extent
    return None


def _next_element(comment: etree._Element) -> etree._Element | None:
    """The next sibling element after a comment, if it has one."""
    sibling = comment.getnext()
    while sibling is not None and not is_element(sibling):
        sibling = sibling.getnext()
    return sibling


def yaml_suppressions(path: Path, text: str, catalogue: Catalogue) -> SuppressionSet:
    result = SuppressionSet()
    for number, line in enumerate(text.splitlines(), start=1):
        if "preflight" not in line:
            continue
        match = _YAML_DIRECTIVE.search(line)
        if match is None:
            continue
        selectors, rules, unknown = _resolve(catalogue, match.group(1))
        column = match.start() + 1
        location = Location(path, Span(number, column, number, len(line) + 1))
        alone = not line[: match.start()].strip()
        target = number + 1 if alone else number
        result.items.append(
            Suppression(
                path, location, selectors, rules, (target, 1), (target, 10**9), unknown=unknown
            )
        )
    return result
