"""Violations become findings: the engine stamps rule id, name and severity, keeps the
source line for carets and fingerprints, caps what one rule may say about one file, and
reports suppressions that suppressed nothing (PF002).

Rules never see any of this (STYLE.md: rules only report).
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Protocol

from preflight.catalogue import Catalogue
from preflight.config import FileSettings
from preflight.engine.registry import Check
from preflight.model import Finding, Location, Part, Template, Violation
from preflight.model.source import BUILD_MARK
from preflight.suppressions import SuppressionSet

MAX_PER_RULE = 200
"""Findings one rule may report in one file; a pathological file gets one note for the rest."""


class Lines(Protocol):
    """Where the text of a line comes from: a SourceText, or the few lines a worker kept."""

    def line_text(self, line: int) -> str | None: ...

    def line_excerpt(self, line: int, column: int = 1) -> tuple[str, int] | None: ...


Sources = Mapping[Path, Lines]


_BUILD_RUNS = re.compile(BUILD_MARK + r"+(?:\s+" + BUILD_MARK + "+)*")


def _unmasked(violation: Violation) -> tuple[dict[str, Any], str]:
    """A violation's data and message with masked build syntax (PF005) quoted as "…" (and
    left out around a value's own text: a link whose text is ``{{trans "Help"}}`` reads
    "Help"): the rule read the masked text, the reader wrote the syntax."""
    data = dict(violation.data)
    if not any(isinstance(value, str) and BUILD_MARK in value for value in data.values()):
        return data, violation.message
    data = {k: _quoted(v) if isinstance(v, str) else v for k, v in data.items()}
    return data, violation.template.format(**data)


def _quoted(value: str) -> str:
    if BUILD_MARK not in value:
        return value
    trimmed = value.strip(BUILD_MARK + " \t\r\n")
    return _BUILD_RUNS.sub("…", trimmed) if trimmed else "…"


class Stamper:
    def __init__(self, catalogue: Catalogue) -> None:
        self.catalogue = catalogue

    def stamp(
        self,
        rule_id: str,
        violations: Iterable[Violation],
        settings: FileSettings,
        sources: Sources,
    ) -> list[Finding]:
        if not settings.is_enabled(rule_id):
            return []
        rule = self.catalogue.rules[rule_id]
        configured = settings.severities.get(rule_id, rule.severity)
        findings = []
        for violation in violations:
            severity = configured
            # a rule may mark an instance milder; one lowered only because the email's
            # category was inferred gives way to a severity the user set for the rule
            user_set = rule_id in settings.severities
            if violation.severity is not None and not (
                user_set and violation.data.get("category_source") == "inferred"
            ):
                severity = min(severity, violation.severity)
            span = violation.location.span
            source = sources.get(violation.location.path)
            excerpt = (
                source.line_excerpt(span.line, span.column) if source is not None and span else None
            )
            line_text, line_offset = excerpt or (None, 0)
            data, message = _unmasked(violation)
            findings.append(
                Finding(
                    rule=rule.id,
                    name=rule.name,
                    severity=severity,
                    message=message,
                    location=violation.location,
                    data=data,
                    help=violation.help,
                    related=violation.related,
                    source_line=line_text,
                    source_offset=line_offset,
                    fix=violation.fix,
                )
            )
        return findings

    def problems(
        self,
        problems: Iterable[tuple[str, Violation]],
        settings: FileSettings,
        sources: Sources,
    ) -> list[Finding]:
        """The PF findings a loader or importer met, each under its own rule."""
        findings: list[Finding] = []
        for rule_id, violation in problems:
            findings.extend(self.stamp(rule_id, [violation], settings, sources))
        return findings

    def run(
        self,
        checks: Iterable[tuple[str, Check]],
        subject: Any,
        settings: FileSettings,
        sources: Sources,
        template: Template | None = None,
    ) -> list[Finding]:
        """Each rule over one subject, at most MAX_PER_RULE findings a rule. Findings in a
        part of a platform export (``template``) get that part's JSON pointer."""
        findings: list[Finding] = []
        for rule_id, check in checks:
            violations = list(
                itertools.islice(check(subject, settings.options[rule_id]), MAX_PER_RULE + 1)
            )
            if not violations:  # most rules, on most files
                continue
            if template is not None and template.pointers:
                violations = [_with_pointer(v, template) for v in violations]
            if len(violations) > MAX_PER_RULE:  # a pathological file: say so once, move on
                del violations[MAX_PER_RULE:]
                violations.append(
                    Violation(
                        "more than {count} findings of this rule in this file; the rest are"
                        " not shown",
                        Location(subject.path),
                        {"count": MAX_PER_RULE, "reason": "truncated"},
                        help="fix the first ones (they often cause the rest) and run again",
                    )
                )
            findings.extend(self.stamp(rule_id, violations, settings, sources))
        return findings

    def unused(
        self, suppressions: SuppressionSet, settings: FileSettings, sources: Sources
    ) -> list[Finding]:
        """PF002: suppressions naming unknown rules, and those that suppressed nothing."""
        violations = []
        for suppression in suppressions.items:
            if suppression.unknown:
                violations.append(
                    Violation(
                        "suppression names unknown rules: {rules}",
                        suppression.location,
                        {"rules": ", ".join(suppression.unknown)},
                        help="use a rule id such as CONTENT004 or a name such as image-missing-alt",
                    )
                )
                continue
            if suppression.used:
                continue
            rules = suppression.rules
            if rules is not None and (not rules or not rules <= settings.enabled):
                continue  # a rule it names did not run here (or has no rules yet): not judged
            label = ", ".join(suppression.selectors) if suppression.selectors else "all rules"
            violations.append(
                Violation(
                    "unused suppression of {rules}: nothing here is reported by it",
                    suppression.location,
                    {"rules": label},
                    help="remove the comment",
                )
            )
        return self.stamp("PF002", violations, settings, sources)


def _with_pointer(violation: Violation, template: Template) -> Violation:
    """Give a finding in a part of a platform export the JSON pointer of that part."""
    location = violation.location
    if location.pointer is not None or location.part not in template.pointers:
        return violation
    if location.path != template.path:
        return violation
    pointer = template.pointers[location.part]
    return replace(violation, location=replace(location, pointer=pointer))


class KeptLines:
    """The lines of a file a worker kept for findings made later (PF002 after live links)."""

    __slots__ = ("lines",)

    def __init__(self, lines: Mapping[int, str]) -> None:
        self.lines = dict(lines)

    def line_text(self, line: int) -> str | None:
        return self.lines.get(line)

    def line_excerpt(self, line: int, column: int = 1) -> tuple[str, int] | None:
        text = self.lines.get(line)
        return None if text is None else (text, 0)


def relocate(findings: list[Finding], template: Template) -> list[Finding]:
    """Findings on a composed or compiled email, moved to the file their text came from (a
    layout, a partial, the content, the build source)."""
    if template.html_map is None and template.text_map is None:
        return findings
    moved = []
    for finding in findings:
        location = finding.location
        span = location.span
        locator = composed = None
        if (
            location.path == template.path
            and location.part in (Part.HTML, None, Part.HEADERS)
            and location.pointer is None  # a place in a platform's JSON, not in the email
        ):
            locator, composed = template.html_map, template.html.source if template.html else None
        elif location.path == template.text_path and location.part is Part.TEXT:
            locator, composed = template.text_map, template.text
        if locator is None or composed is None or span is None:
            moved.append(finding)
            continue
        found = locator.locate(composed, span)
        if found is None:
            if not locator.keeps_unmapped:  # composed text is in no file: the whole file
                moved.append(
                    replace(finding, location=replace(location, span=None), source_line=None)
                )
            else:
                moved.append(finding)
            continue
        path, new_span = found
        source = locator.files.get(path)
        excerpt = source.line_excerpt(new_span.line, new_span.column) if source else None
        line, offset = excerpt or (None, 0)
        where = replace(location, path=path, span=new_span)
        moved.append(replace(finding, location=where, source_line=line, source_offset=offset))
    return moved
