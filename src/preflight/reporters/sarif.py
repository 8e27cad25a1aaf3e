"""SARIF 2.1.0, for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from preflight.catalogue import RuleSpec, load_catalogue
from preflight.constants import VERSION as __version__
from preflight.model import Finding, Location, Severity, display_path

if TYPE_CHECKING:
    from preflight.model.report import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _rule(rule: RuleSpec) -> dict[str, Any]:
    from preflight.explain import explain_markdown

    return {
        "id": rule.id,
        "name": rule.name,
        "shortDescription": {"text": rule.name.replace("-", " ")},
        "fullDescription": {"text": rule.summary},
        "help": {"text": f"{rule.summary}\n\n{rule.why}", "markdown": explain_markdown(rule)},
        "defaultConfiguration": {"level": _LEVEL[rule.severity]},
        "properties": {"tags": [rule.family.lower()]},
    }


def _location(location: Location, message: str | None = None) -> dict[str, Any]:
    uri = quote(display_path(location.path), safe="/")  # "#" and "%" mean things in a URI
    physical: dict[str, Any] = {"artifactLocation": {"uri": uri}}
    if location.span is not None:
        span = location.span
        physical["region"] = {
            "startLine": span.line,
            "startColumn": span.column,
            "endLine": span.end_line,
            "endColumn": span.end_column,
        }
    result: dict[str, Any] = {"physicalLocation": physical}
    if message:
        result["message"] = {"text": message}
    return result


def _result(finding: Finding, index: dict[str, int]) -> dict[str, Any]:
    from preflight.baseline import fingerprint

    text = finding.message + (f"\nhelp: {finding.help}" if finding.help else "")
    result: dict[str, Any] = {
        "ruleId": finding.rule,
        "ruleIndex": index[finding.rule],
        "level": _LEVEL[finding.severity],
        "message": {"text": text},
        "locations": [_location(finding.location)],
        "partialFingerprints": {"preflight/v1": fingerprint(finding)},
        "properties": {"part": finding.location.part.value if finding.location.part else None},
    }
    if finding.related:
        result["relatedLocations"] = [
            {"id": i, **_location(r.location, r.message)} for i, r in enumerate(finding.related)
        ]
    return result


def _artifacts(report: Report) -> list[dict[str, Any]]:
    """Each file checked, with the platform assumed and where that came from."""
    artifacts = []
    for info in report.files:
        properties: dict[str, Any] = {"kind": info.kind}
        if info.platform_source is not None:
            properties.update(
                platform=info.platform,
                platformSource=info.platform_source,
                confidence=info.confidence,
            )
        if info.candidates:
            properties["candidates"] = list(info.candidates)
        artifacts.append(
            {
                "location": {"uri": quote(display_path(info.path), safe="/")},
                "properties": properties,
            }
        )
    return artifacts


def _invocation(report: Report) -> dict[str, Any]:
    """How the run went: a run that read no input says so (a tool execution notification),
    so that code scanning does not show it as a clean pass."""
    notifications = []
    if report.read_nothing:
        skipped = sum(len(paths) for paths in report.skipped.values())
        notifications.append(
            {
                "level": "error",
                "message": {
                    "text": "no input read: nothing checked is an email, workflow or audiences"
                    f" file preflight knows ({skipped} files skipped)"
                },
                "descriptor": {"id": "no-input"},
            }
        )
    for problem in report.internal_errors:
        notifications.append({"level": "error", "message": {"text": f"internal error: {problem}"}})
    return {
        "executionSuccessful": not report.internal_errors,
        "toolExecutionNotifications": notifications,
    }


def chunks(report: Report) -> Iterator[str]:
    """The SARIF log; results are written one per line as they are produced."""
    rules = list(load_catalogue())
    index = {rule.id: i for i, rule in enumerate(rules)}
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "preflight",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "rules": [_rule(rule) for rule in rules],
                    }
                },
                "columnKind": "unicodeCodePoints",
                "invocations": [_invocation(report)],
                "artifacts": _artifacts(report),
                "results": [],
            }
        ],
    }
    head = json.dumps(document, indent=2, ensure_ascii=False)
    marker = '"results": []'
    before, after = head.rsplit(marker, 1)
    yield before + '"results": ['
    for position, finding in enumerate(report.findings):
        separator = "," if position else ""
        yield separator + "\n        " + json.dumps(_result(finding, index), ensure_ascii=False)
    yield "\n      ]" + after + "\n"
