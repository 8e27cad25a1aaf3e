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

from preflight.catalogue import Catalogue
from preflight.formats.source import HtmlDocument, is_element
from preflight.model import Finding, Location, Part, Span

_DIRECTIVE = re.compile(
    r"^\s*preflight\s*:\s*(ignore-file|ignore-begin|ignore-end|ignore)\s*(?:\[([^\]]*)\])?\s*$",
    re.IGNORECASE,
)
_YAML_DIRECTIVE = re.compile(r"#\s*preflight\s*:\s*ignore\s*(?:\[([^\]]*)\])?\s*$", re.IGNORECASE)


@dataclass
class Suppression:
    path: Path
    location: Location
    selectors: tuple[str, ...]
    """As written; empty means every rule."""
    rules: frozenset[str] | None
    """Resolved ids; None means every rule."""
    first_line: int | None = None
    last_line: int | None = None
    """Lines covered (inclusive); None for a whole-file suppression."""
    used: bool = False
    unknown: tuple[str, ...] = ()

    def covers(self, finding: Finding) -> bool:
        if self.rules is not None and finding.rule not in self.rules:
            return False
        if finding.location.path != self.path:
            return False
        if self.first_line is None:
            return True
        span = finding.location.span
        if span is None:
            return False
        assert self.last_line is not None
        return self.first_line <= span.line <= self.last_line


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
        else:
            unknown.append(selector)
    return selectors, frozenset(ids), tuple(unknown)


def html_suppressions(path: Path, document: HtmlDocument, catalogue: Catalogue) -> SuppressionSet:
    result = SuppressionSet()
    open_blocks: list[Suppression] = []
    for comment in document.comments():
        match = _DIRECTIVE.match(comment.text or "")
        if match is None:
            continue
        kind = match.group(1).lower()
        span = document.element_span(comment)
        location = Location(path, span, Part.HTML)
        if kind == "ignore-end":
            if open_blocks:
                block = open_blocks.pop()
                block.last_line = span.end_line if span else block.first_line
            continue
        selectors, rules, unknown = _resolve(catalogue, match.group(2))
        suppression = Suppression(path, location, selectors, rules, unknown=unknown)
        if kind == "ignore":
            target = _next_element(comment)
            covered = document.element_range(target) if target is not None else None
            if covered is None:
                line = span.end_line + 1 if span else 1
                covered = (line, line)
            suppression.first_line, suppression.last_line = covered
        elif kind == "ignore-begin":
            suppression.first_line = span.line if span else 1
            suppression.last_line = 10**9
            open_blocks.append(suppression)
        result.items.append(suppression)
    return result


def _next_element(comment: etree._Element) -> etree._Element | None:
    """The next element after a comment: its next sibling element, or its parent's."""
    node: etree._Element | None = comment
    while node is not None:
        sibling = node.getnext()
        while sibling is not None and not is_element(sibling):
            sibling = sibling.getnext()
        if sibling is not None:
            return sibling
        node = node.getparent()
    return None


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
            Suppression(path, location, selectors, rules, target, target, unknown=unknown)
        )
    return result
